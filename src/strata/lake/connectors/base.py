"""The connector protocol: name a source's parts (for exactly-once), then scan them in DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from strata.core.registry import Registry


@dataclass(frozen=True)
class Source:
    """What to ingest: a path, folder or URL, and connector options."""

    uri: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """One identifiable piece of a source (a file, a fetched batch) and its content sha256."""

    name: str
    sha256: str


@dataclass
class Scan:
    """A source read by a connector.

    Args:
        parts: what the source holds, each with a sha256; parts ingested before are skipped.
        relation: builds a DuckDB relation over the given (not yet ingested) parts; with
            `typed` True, raw text sources are read with sniffed types (for inference).
        lineage: a short description of the source for history and lineage.
        raw: True when values arrive as text to be typed by the spec (CSV).
        details: connector state to remember (e.g. the SQL cursor reached).
    """

    parts: list[Part]
    relation: Callable[[duckdb.DuckDBPyConnection, Sequence[Part], bool], duckdb.DuckDBPyRelation]
    lineage: str
    raw: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    """Reads one kind of source."""

    def matches(self, source: Source) -> bool:
        """Whether this connector can read the source (for auto-detection)."""
        ...

    def scan(self, source: Source, state: dict[str, Any]) -> Scan:
        """Identify the source's parts; `state` holds `details` of this source's last ingest."""
        ...


CONNECTORS: Registry[Callable[[], Connector]] = Registry("strata.lake.connectors")
AUTO_ORDER = ("records", "sql", "files")


def find_connector(source: Source, name: str | None = None) -> Connector:
    """The connector called `name`, or the first built-in that matches the source."""
    if name:
        return CONNECTORS.get(name)()
    for candidate in AUTO_ORDER:
        connector = CONNECTORS.get(candidate)()
        if connector.matches(source):
            return connector
    from strata.lake.errors import InvalidSource

    raise InvalidSource(
        f"No connector recognises source {source.uri!r}.",
        hint="Pass a CSV/TSV/JSON/Parquet/Excel file or folder, a SQLAlchemy URL, or "
        f"--connector NAME (known: {', '.join(CONNECTORS.names())}).",
    )
