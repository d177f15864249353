"""Ingest state in the catalog: the parts each dataset holds, and runs to finish after a crash."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strata.core.catalog import Catalog, utcnow
from strata.lake.connectors.base import Part
from strata.lake.records import DatasetRow, IngestRow, VersionRow
from strata.lake.spec import DataSpec

STARTED, STAGED, DONE = "started", "staged", "done"


@dataclass(frozen=True)
class Counts:
    """Rows accepted, quarantined and skipped (superseded duplicates of a primary key)."""

    accepted: int = 0
    quarantined: int = 0
    skipped: int = 0

    def metadata(self) -> dict[str, str]:
        """Counts as Delta commit metadata, so a crashed run can finish the catalog record."""
        return {f"strata.{k}": str(v) for k, v in vars(self).items()}

    @classmethod
    def from_metadata(cls, entry: dict[str, Any]) -> Counts:
        """Counts read back from a Delta commit entry."""
        return cls(
            *(int(entry.get(f"strata.{k}", 0)) for k in ("accepted", "quarantined", "skipped"))
        )


def parts_key(parts: Sequence[Part]) -> str:
    """One sha256 over the parts' content hashes (order-independent)."""
    return hashlib.sha256("\n".join(sorted(p.sha256 for p in parts)).encode()).hexdigest()


class IngestLedger:
    """Reads and writes dataset, version and ingest rows."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def dataset(self, name: str) -> DatasetRow | None:
        """The dataset row called `name`, or None."""
        with self.catalog.session() as session:
            return session.scalars(select(DatasetRow).where(DatasetRow.name == name)).first()

    def ensure_dataset(self, name: str, uri: str, spec: DataSpec, spec_source: str) -> DatasetRow:
        """Create the dataset, or record a newly given spec on it."""
        with self.catalog.session() as session:
            row = session.scalars(select(DatasetRow).where(DatasetRow.name == name)).first()
            if row is None:
                row = DatasetRow(name=name, uri=uri, spec=spec.to_dict(), spec_source=spec_source)
                session.add(row)
            elif spec_source == "file" and row.spec != spec.to_dict():
                row.spec, row.spec_source = spec.to_dict(), spec_source
            session.flush()
            return row

    def done_hashes(self, dataset_id: int) -> set[str]:
        """Content hashes of every part already committed to the dataset."""
        with self.catalog.session() as session:
            rows = session.scalars(
                select(IngestRow.parts).where(
                    IngestRow.dataset_id == dataset_id, IngestRow.state == DONE
                )
            ).all()
        return {part["sha256"] for parts in rows for part in parts}

    def last_details(self, dataset_id: int) -> dict[str, Any]:
        """Connector state recorded by the dataset's latest finished ingest."""
        with self.catalog.session() as session:
            row = session.scalars(
                select(IngestRow)
                .where(IngestRow.dataset_id == dataset_id, IngestRow.state == DONE)
                .order_by(IngestRow.finished_at.desc())
                .limit(1)
            ).first()
        return dict(row.details) if row else {}

    def begin(self, dataset_id: int, parts: Sequence[Part], source: str) -> IngestRow:
        """The unfinished ingest of these parts (crash recovery), or a new one."""
        key = parts_key(parts)
        with self.catalog.session() as session:
            row = session.scalars(
                select(IngestRow).where(IngestRow.dataset_id == dataset_id, IngestRow.key == key)
            ).first()
            if row is None:
                row = IngestRow(
                    id=uuid.uuid4().hex,
                    dataset_id=dataset_id,
                    key=key,
                    state=STARTED,
                    source=source,
                    parts=[{"name": p.name, "sha256": p.sha256} for p in parts],
                    details={},
                )
                session.add(row)
            session.flush()
            return row

    def mark(self, ingest_id: str, state: str) -> None:
        """Move an ingest to `state`."""
        with self.catalog.session() as session:
            row = session.get(IngestRow, ingest_id)
            if row is not None:
                row.state = state

    def finish(
        self,
        ingest: IngestRow,
        delta_version: int,
        counts: Counts,
        operation: str,
        details: dict[str, Any],
    ) -> int:
        """Record the new dataset version and close the ingest, in one catalog transaction."""
        with self.catalog.session() as session:
            latest = session.scalar(
                select(func.max(VersionRow.version)).where(
                    VersionRow.dataset_id == ingest.dataset_id
                )
            )
            version = (latest or 0) + 1
            session.add(
                VersionRow(
                    dataset_id=ingest.dataset_id,
                    version=version,
                    delta_version=delta_version,
                    operation=operation,
                    source=ingest.source,
                    ingest_id=ingest.id,
                    accepted=counts.accepted,
                    quarantined=counts.quarantined,
                    skipped=counts.skipped,
                )
            )
            row = session.get(IngestRow, ingest.id)
            assert row is not None
            row.state, row.details, row.finished_at = DONE, details, utcnow()
            return version

    def latest_version(self, name: str) -> int | None:
        """The newest version number of dataset `name`, or None."""
        with self.catalog.session() as session:
            return session.scalar(
                select(func.max(VersionRow.version))
                .join(DatasetRow, DatasetRow.id == VersionRow.dataset_id)
                .where(DatasetRow.name == name)
            )

    def versions(self, session: Session, dataset_id: int) -> list[VersionRow]:
        """Every version of a dataset, oldest first."""
        return list(
            session.scalars(
                select(VersionRow)
                .where(VersionRow.dataset_id == dataset_id)
                .order_by(VersionRow.version)
            ).all()
        )
