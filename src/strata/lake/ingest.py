"""Ingest: scan a source, validate every row against the spec in DuckDB, quarantine failures,
and commit accepted rows as one atomic Delta version, exactly once per source content."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from strata.lake import tables
from strata.lake.connectors.base import Part, Scan, Source, find_connector
from strata.lake.errors import SpecMismatch
from strata.lake.infer import infer_spec
from strata.lake.names import check_name
from strata.lake.records import DatasetRow, IngestRow
from strata.lake.spec import DataSpec, parse_spec
from strata.lake.state import STAGED, Counts, IngestLedger
from strata.lake.validate import ROW, RULES, ident, literal, reason_sql, validation_sql

Progress = Callable[[float], None]


@dataclass
class IngestOptions:
    """How to ingest: an explicit spec, a connector name, a progress callback."""

    spec: DataSpec | None = None
    connector: str | None = None
    progress: Progress | None = None
    pause_before_commit_s: float = 0.0


@dataclass
class IngestResult:
    """What one ingest did."""

    dataset: str
    version: int | None
    created: bool
    counts: Counts = field(default_factory=Counts)
    source: str = ""
    parts: int = 0
    unchanged_parts: int = 0
    recovered: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "created": self.created,
            **vars(self.counts),
            "source": self.source,
            "parts": self.parts,
            "unchanged_parts": self.unchanged_parts,
            "recovered": self.recovered,
        }


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with UTC time and progress tracking."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


@contextmanager
def _polling(con: duckdb.DuckDBPyConnection, progress: Progress | None) -> Iterator[None]:
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.2):
            value = con.query_progress()
            if value >= 0 and progress is not None:
                progress(min(value, 100.0) / 100.0)

    thread = threading.Thread(target=poll, daemon=True)
    if progress is not None:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()


class Ingestor:
    """Runs ingests into the lake under `root`."""

    def __init__(self, ledger: IngestLedger, root: str, storage: dict[str, str] | None = None):
        self.ledger = ledger
        self.root = root
        self.storage = storage

    def run(self, name: str, source: Source, options: IngestOptions) -> IngestResult:
        """Ingest `source` into dataset `name`; a source already ingested changes nothing."""
        check_name(name)
        existing = self.ledger.dataset(name)
        connector = find_connector(source, options.connector)
        scan = connector.scan(source, self.ledger.last_details(existing.id) if existing else {})
        todo = self._todo(scan.parts, existing)
        if not todo:
            return self._unchanged(name, scan)
        con = connect()
        try:
            dataset = self._dataset(con, name, scan, todo, options.spec, existing)
            ingest = self.ledger.begin(dataset.id, todo, scan.lineage)
            result = self._recover(dataset, ingest) or self._write(
                con, dataset, ingest, scan, todo, options
            )
        finally:
            con.close()
        result.parts, result.unchanged_parts = len(todo), len(scan.parts) - len(todo)
        return result

    def _todo(self, parts: list[Part], existing: DatasetRow | None) -> list[Part]:
        done = self.ledger.done_hashes(existing.id) if existing else set()
        todo: dict[str, Part] = {}
        for part in parts:
            if part.sha256 not in done:
                todo.setdefault(part.sha256, part)
        return list(todo.values())

    def _unchanged(self, name: str, scan: Scan) -> IngestResult:
        version = self.ledger.latest_version(name)
        return IngestResult(
            name, version, False, source=scan.lineage, unchanged_parts=len(scan.parts)
        )

    def _dataset(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        scan: Scan,
        todo: list[Part],
        spec: DataSpec | None,
        existing: DatasetRow | None,
    ) -> DatasetRow:
        uri = tables.table_uri(self.root, name)
        if spec is not None:
            return self.ledger.ensure_dataset(name, uri, spec, "file")
        if existing is not None:
            return existing
        inferred = infer_spec(con, scan.relation(con, todo, True))
        return self.ledger.ensure_dataset(name, uri, inferred, "inferred")

    def _recover(self, dataset: DatasetRow, ingest: IngestRow) -> IngestResult | None:
        """Finish the catalog record of a run that committed to Delta and then crashed."""
        delta_version = tables.committed(dataset.uri, ingest.id)
        if delta_version is None:
            return None
        entry = next(e for e in tables.history(dataset.uri) if e["version"] == delta_version)
        counts = Counts.from_metadata(entry)
        operation = str(entry.get("operation", "WRITE")).lower()
        version = self.ledger.finish(ingest, delta_version, counts, operation, {})
        return IngestResult(dataset.name, version, True, counts, ingest.source, recovered=True)

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        dataset: DatasetRow,
        ingest: IngestRow,
        scan: Scan,
        todo: list[Part],
        options: IngestOptions,
    ) -> IngestResult:
        spec = parse_spec(dataset.spec, where=f"of dataset {dataset.name}")
        tables.clear_staging(dataset.uri, ingest.id)
        relation = scan.relation(con, todo, False)
        _check_columns(dataset.name, spec, relation.columns)
        relation.create_view("__src")
        with _polling(con, options.progress):
            con.execute(
                f"CREATE TEMP TABLE __v AS {validation_sql(spec, relation.columns, '__src')}"
            )
        accepted_sql, counts = _accepted(con, spec)
        self._quarantine(con, dataset, ingest, spec, relation.columns)
        self.ledger.mark(ingest.id, STAGED)
        delta_version, operation = self._commit(
            con, dataset, ingest, spec, accepted_sql, counts, options.pause_before_commit_s
        )
        version = self.ledger.finish(ingest, delta_version, counts, operation, scan.details)
        if options.progress is not None:
            options.progress(1.0)
        return IngestResult(dataset.name, version, True, counts, scan.lineage)

    def _quarantine(
        self,
        con: duckdb.DuckDBPyConnection,
        dataset: DatasetRow,
        ingest: IngestRow,
        spec: DataSpec,
        columns: list[str],
    ) -> None:
        quarantine_uri = dataset.uri + tables.QUARANTINE_SUFFIX
        if tables.committed(quarantine_uri, ingest.id) is not None:
            return
        rows = con.sql(
            f"SELECT row, rule, rules, {reason_sql(spec, columns)} AS reason, "
            f"{literal(ingest.source)} AS source, {literal(ingest.id)} AS ingest_id, "
            f"now() AS quarantined_at FROM (SELECT {ROW} AS row, split_part({RULES}, ';', 1) "
            f"AS rule, {RULES} AS rules FROM __v WHERE {RULES} <> '')"
        ).to_arrow_table()
        if rows.num_rows:
            tables.write(quarantine_uri, rows, ingest.id, {}, self.storage)

    def _commit(
        self,
        con: duckdb.DuckDBPyConnection,
        dataset: DatasetRow,
        ingest: IngestRow,
        spec: DataSpec,
        accepted_sql: str,
        counts: Counts,
        pause_s: float,
    ) -> tuple[int, str]:
        metadata = counts.metadata() | {"strata.source": ingest.source}
        if spec.primary_key and tables.open_table(dataset.uri) is not None:
            data = _arrow(con, accepted_sql, spec)
            _pause(pause_s)
            version = tables.merge(
                dataset.uri, data, spec.primary_key, ingest.id, metadata, self.storage
            )
            return version, "merge"
        if tables.is_remote(dataset.uri):
            data = _arrow(con, accepted_sql, spec)
            _pause(pause_s)
            return tables.write(dataset.uri, data, ingest.id, metadata, self.storage), "write"
        folder = tables.staging_dir(dataset.uri, ingest.id)
        folder.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY ({accepted_sql}) TO {literal(str(folder))} "
            "(FORMAT parquet, PER_THREAD_OUTPUT true, OVERWRITE true)"
        )
        _pause(pause_s)
        files = sorted(folder.glob("*.parquet"))
        schema = spec.arrow_schema()
        return tables.commit_files(dataset.uri, schema, files, ingest.id, metadata), "write"


def _pause(seconds: float) -> None:
    """Test hook: a window between writing data files and committing them, to kill -9 in."""
    if seconds:
        time.sleep(seconds)


def _check_columns(name: str, spec: DataSpec, columns: list[str]) -> None:
    extra = [c for c in columns if c not in spec.columns]
    if extra:
        raise SpecMismatch(
            f"Source columns {', '.join(map(repr, extra))} are not in the spec of dataset "
            f"{name!r} (spec columns: {', '.join(spec.columns)}).",
            hint="Pass --spec FILE with the new columns (strata lake spec infer FILE drafts "
            "one), or ingest into a new dataset.",
            columns=extra,
        )


def _accepted(con: duckdb.DuckDBPyConnection, spec: DataSpec) -> tuple[str, Counts]:
    cols = ", ".join(ident(c) for c in spec.columns)
    sql = f"SELECT {cols} FROM __v WHERE {RULES} = ''"
    if spec.primary_key:
        keys = ", ".join(ident(k) for k in spec.primary_key)
        sql += f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY rowid DESC) = 1"
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {RULES} = ''), count(*) FILTER (WHERE {RULES} <> '') "
        "FROM __v"
    ).fetchall()[0]
    valid, bad = (int(row[0]), int(row[1])) if row else (0, 0)
    kept = valid
    if spec.primary_key:
        counted = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0]
        kept = int(counted[0]) if counted else 0
    return sql, Counts(kept, bad, valid - kept)


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, spec: DataSpec) -> pa.Table:
    return con.sql(sql).to_arrow_table().cast(spec.arrow_schema())
