"""Model references: `l2/intents@3` (a version) or `l2/intents:production` (an alias)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strata.models.errors import InvalidModelRef
from strata.models.layers import Layer

NAME_PATTERN = r"[a-z0-9][a-z0-9._-]{0,99}"
_REF = re.compile(
    rf"^(?P<layer>l[0-2])/(?P<name>{NAME_PATTERN})(?:@(?P<version>\d+)|:(?P<alias>[a-z][a-z0-9_-]{{0,63}}))?$"
)
_NAME = re.compile(rf"^{NAME_PATTERN}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference; neither version nor alias means the latest version."""

    layer: Layer
    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        base = f"{self.layer.value}/{self.name}"
        if self.version is not None:
            return f"{base}@{self.version}"
        return f"{base}:{self.alias}" if self.alias else base


def parse_ref(text: str) -> ModelRef:
    """Parse `LAYER/NAME[@VERSION|:ALIAS]`; raises InvalidModelRef naming the value received."""
    match = _REF.match(text.strip())
    if not match:
        raise InvalidModelRef(
            f"Model reference {text!r} is not valid; expected LAYER/NAME[@VERSION|:ALIAS] "
            "with LAYER one of l0, l1, l2 and a lower-case NAME.",
            hint="For example l0/minilm-l6, l1/finance@2 or l2/banking-intents:production; "
            "`strata models ls` lists what exists.",
            value=text,
        )
    version = match.group("version")
    return ModelRef(
        layer=Layer(match.group("layer")),
        name=match.group("name"),
        version=int(version) if version else None,
        alias=match.group("alias"),
    )


def check_name(name: str) -> str:
    """Validate a model name (lower case, digits, `.`, `_`, `-`; 1-100 characters)."""
    if not _NAME.match(name):
        raise InvalidModelRef(
            f"Model name {name!r} is not valid; use lower-case letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 100 characters).",
            hint="Pass --name with a name such as my-encoder.",
            value=name,
        )
    return name


def check_alias(alias: str) -> str:
    """Validate an alias name such as `production` or `canary`."""
    if not _ALIAS.match(alias):
        raise InvalidModelRef(
            f"Alias {alias!r} is not valid; use lower-case letters, digits, '_' or '-', "
            "starting with a letter.",
            hint="For example --alias production or --alias canary.",
            value=alias,
        )
    return alias
