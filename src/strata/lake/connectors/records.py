"""Records posted by programs (HTTP, MQTT): an Arrow table already in memory, hashed by content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from strata.lake.connectors.base import Part, Scan, Source
from strata.lake.errors import InvalidSource


def records_source(label: str, records: list[dict[str, Any]], key: str | None = None) -> Source:
    """A Source over JSON records; `key` (e.g. an idempotency key) overrides the content hash."""
    if not records:
        raise InvalidSource(
            f"No records to ingest from {label}.", hint="Send at least one JSON object per line."
        )
    digest = (
        key or hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
    )
    return Source(label, {"table": pa.Table.from_pylist(records), "sha256": digest})


class RecordsConnector:
    """Options: `table` (Arrow) and `sha256` (its identity for exactly-once)."""

    def matches(self, source: Source) -> bool:
        """Only sources built by `records_source`."""
        return isinstance(source.options.get("table"), pa.Table)

    def scan(self, source: Source, state: dict[str, Any]) -> Scan:
        """One part: the whole batch."""
        table: pa.Table = source.options["table"]
        part = Part(f"{table.num_rows} records", str(source.options["sha256"]))

        def relation(
            con: duckdb.DuckDBPyConnection, todo: Sequence[Part], typed: bool = False
        ) -> duckdb.DuckDBPyRelation:
            return con.from_arrow(table)

        return Scan(parts=[part], relation=relation, lineage=source.uri)
