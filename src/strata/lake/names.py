"""Dataset names and references: `banking-requests` (latest) or `banking-requests@4`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strata.lake.errors import InvalidDatasetRef

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def check_name(name: str) -> str:
    """A valid dataset name; `__` is reserved for derived tables such as `NAME__quarantine`."""
    if not _NAME.match(name) or "__" in name:
        raise InvalidDatasetRef(
            f"Dataset name {name!r} is not valid.",
            hint="Use 1-100 lowercase letters, digits, '-' or '_' (no '__'), starting with a "
            "letter or digit, e.g. banking-requests.",
            value=name,
        )
    return name


@dataclass(frozen=True)
class DatasetRef:
    """A dataset name and an optional version."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def parse_ref(text: str) -> DatasetRef:
    """Parse `NAME` or `NAME@N`."""
    name, sep, version = text.partition("@")
    if sep and not version.isdigit():
        raise InvalidDatasetRef(
            f"Dataset reference {text!r} has a bad version {version!r}.",
            hint="Write NAME@N with N a whole number, e.g. banking-requests@2.",
            value=text,
        )
    return DatasetRef(check_name(name), int(version) if sep else None)


def sql_name(name: str) -> str:
    """The view name a table gets in `strata lake sql` (dashes become underscores)."""
    return name.replace("-", "_")
