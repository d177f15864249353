"""The lake: datasets as versioned Delta tables registered in the catalog, with SQL and quality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from strata.core.catalog import Catalog
from strata.core.settings import LakeSettings
from strata.lake import tables
from strata.lake.connectors.base import Source
from strata.lake.connectors.documents import CHUNKS_SPEC, CHUNKS_SUFFIX, DOCUMENTS_SPEC
from strata.lake.errors import DatasetNotFound
from strata.lake.ingest import IngestOptions, Ingestor, IngestResult, Progress, connect
from strata.lake.names import DatasetRef, parse_ref
from strata.lake.quality import quality
from strata.lake.records import DatasetRow, VersionRow
from strata.lake.spec import DataSpec, parse_spec
from strata.lake.sql import register_tables, run_query
from strata.lake.state import IngestLedger


@dataclass(frozen=True)
class VersionInfo:
    """One dataset version and the ingest that made it."""

    version: int
    delta_version: int
    operation: str
    source: str
    accepted: int
    quarantined: int
    skipped: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {**vars(self), "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset: where it lives, its spec and its versions."""

    name: str
    uri: str
    spec: DataSpec
    spec_source: str
    versions: list[VersionInfo]

    @property
    def latest(self) -> VersionInfo | None:
        """The newest version, or None before the first commit."""
        return self.versions[-1] if self.versions else None

    def version(self, number: int | None) -> VersionInfo:
        """Version `number` (latest when None); raises DatasetNotFound listing known ones."""
        found = (
            self.latest
            if number is None
            else next((v for v in self.versions if v.version == number), None)
        )
        if found is None:
            known = f"known versions 1-{len(self.versions)}" if self.versions else "no versions"
            raise DatasetNotFound(
                f'Dataset "{self.name}@{number}" not found; {known}.',
                hint=f"Try: strata lake history {self.name}",
            )
        return found


def _version_info(row: VersionRow) -> VersionInfo:
    return VersionInfo(
        row.version,
        row.delta_version,
        row.operation,
        row.source,
        row.accepted,
        row.quarantined,
        row.skipped,
        row.created_at,
    )


class Lake:
    """Datasets under one root (a folder or an s3:// URI), recorded in the catalog."""

    def __init__(self, catalog: Catalog, settings: LakeSettings, home: Path) -> None:
        self.catalog = catalog
        self.settings = settings
        self.root = settings.root or str(home / "lake")
        self.ledger = IngestLedger(catalog)

    def ingest(
        self,
        source: str | Source,
        dataset: str,
        *,
        spec: DataSpec | None = None,
        connector: str | None = None,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Ingest a source into a dataset as one new version (no-op when already ingested)."""
        src = Source(source) if isinstance(source, str) else source
        if connector == "documents":
            return self._ingest_documents(src, dataset, progress)
        options = IngestOptions(spec, connector, progress, self.settings.pause_before_commit_s)
        return Ingestor(self.ledger, self.root).run(dataset, src, options)

    def _ingest_documents(
        self, source: Source, dataset: str, progress: Progress | None
    ) -> IngestResult:
        """Documents into `dataset` (one row per page), chunks into `dataset-chunks`."""
        ingestor = Ingestor(self.ledger, self.root)
        pause = self.settings.pause_before_commit_s
        options = {**source.options, "chunk_chars": self.settings.chunk_chars}
        result = ingestor.run(
            dataset,
            Source(source.uri, options),
            IngestOptions(DOCUMENTS_SPEC, "documents", progress, pause),
        )
        chunks = Source(source.uri, {**options, "chunks": True})
        ingestor.run(
            dataset + CHUNKS_SUFFIX, chunks, IngestOptions(CHUNKS_SPEC, "documents", None, pause)
        )
        return result

    def datasets(self) -> list[DatasetInfo]:
        """Every dataset, by name."""
        with self.catalog.session() as session:
            rows = session.scalars(select(DatasetRow).order_by(DatasetRow.name)).all()
            return [self._info(session, row) for row in rows]

    def dataset(self, name: str) -> DatasetInfo:
        """One dataset; raises DatasetNotFound listing the known ones."""
        parse_ref(name)
        for info in self.datasets():
            if info.name == name:
                return info
        known = ", ".join(d.name for d in self.datasets()) or "none"
        raise DatasetNotFound(
            f'Dataset "{name}" not found; known datasets: {known}.',
            hint="Try: strata lake ls, or create it with strata lake ingest PATH --dataset NAME",
        )

    def _info(self, session: Any, row: DatasetRow) -> DatasetInfo:
        versions = [_version_info(v) for v in self.ledger.versions(session, row.id)]
        spec = parse_spec(row.spec, where=f"of dataset {row.name}")
        return DatasetInfo(row.name, row.uri, spec, row.spec_source, versions)

    def read(self, ref: str | DatasetRef, columns: list[str] | None = None) -> pa.Table:
        """The rows of `NAME` (latest) or `NAME@N` as Arrow."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        info = self.dataset(parsed.name)
        version = info.version(parsed.version)
        return tables.read(info.uri, version.delta_version, columns)

    def quarantine(self, name: str) -> pa.Table | None:
        """The quarantined rows of a dataset, or None when none were ever quarantined."""
        uri = self.dataset(name).uri + tables.QUARANTINE_SUFFIX
        return tables.read(uri) if tables.open_table(uri) is not None else None

    def show(self, ref: str) -> dict[str, Any]:
        """Schema, spec, row count, versions, quality, PII columns and lineage of a dataset."""
        parsed = parse_ref(ref)
        info = self.dataset(parsed.name)
        current = info.version(parsed.version) if info.versions else None
        table = self.read(parsed) if current else info.spec.arrow_schema().empty_table()
        return {
            "name": info.name,
            "uri": info.uri,
            "version": current.version if current else None,
            "rows": table.num_rows,
            "schema": [{"name": f.name, "type": str(f.type)} for f in table.schema],
            "spec": info.spec.to_dict(),
            "spec_source": info.spec_source,
            "versions": [v.to_dict() for v in info.versions],
            "quality": quality(table, info.spec, self.quarantine(info.name)),
            "lineage": [{"source": v.source, "version": v.version} for v in info.versions],
        }

    def table_uris(self) -> dict[str, str]:
        """Every Delta table by SQL name: datasets and their quarantine tables."""
        uris = {}
        for info in self.datasets():
            if info.versions:
                uris[info.name] = info.uri
            quarantine = info.uri + tables.QUARANTINE_SUFFIX
            if tables.open_table(quarantine) is not None:
                uris[info.name + tables.QUARANTINE_SUFFIX] = quarantine
        return uris

    def sql(self, query: str) -> pa.Table:
        """Run a DuckDB query over every table (latest versions) and return Arrow."""
        con = connect()
        try:
            register_tables(con, self.table_uris())
            return run_query(con, query)
        finally:
            con.close()
