"""The audit log: one record per authenticated request, hash-chained, verified by `strata audit
verify`. Records queue in memory and are appended in batches; each batch locks the chain head.

The chain itself (its tables, hashing and append) lives in `core/audit.py`, so that domains below
the gateway (tickets) append to the same chain inside their own transactions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strata.core.audit import (
    GENESIS,
    AuditEntry,
    AuditHeadRow,
    AuditRow,
    append_entries,
    chain_hash,
    stamp,
)
from strata.core.catalog import Catalog

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "VerifyResult", "chain_hash"]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain."""

    ok: bool
    records: int
    bad_seq: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return asdict(self)


_FIELDS = tuple(AuditEntry.__dataclass_fields__)


def _row_fields(row: AuditRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


class AuditLog:
    """Queue records on the request path; append them to the chain in batches."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._queue: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        """Queue one record (no I/O on the request path)."""
        entry.latency_ms = round(entry.latency_ms, 3)
        self._queue.append(entry)

    def take_pending(self) -> list[AuditEntry]:
        """Hand over queued records (on the event loop)."""
        taken, self._queue = self._queue, []
        return taken

    def requeue(self, entries: list[AuditEntry]) -> None:
        """Put back records whose write failed, ahead of newer ones."""
        self._queue[:0] = entries

    def write(self, entries: list[AuditEntry]) -> None:
        """Append entries to the chain in one transaction (safe in a worker thread)."""
        if not entries:
            return
        with self.catalog.session() as session:
            append_entries(session, entries)

    def append(self, session: Session, entries: list[AuditEntry]) -> None:
        """Append entries to the chain inside the caller's transaction (commits with it)."""
        append_entries(session, entries)

    def flush(self) -> int:
        """Write every queued record now; returns how many."""
        entries = self.take_pending()
        self.write(entries)
        return len(entries)

    def verify(self) -> VerifyResult:
        """Walk the chain: every hash recomputed, every link and the head checked."""
        count, prev, last_seq = 0, GENESIS, 0
        with self.catalog.session() as session:
            for row in session.scalars(select(AuditRow).order_by(AuditRow.seq)).yield_per(1000):
                count += 1
                if row.seq != last_seq + 1 or row.prev_hash != prev:
                    return VerifyResult(False, count, row.seq, "a record is missing or reordered")
                prev = chain_hash(prev, row.seq, _row_fields(row))
                if prev != row.hash:
                    return VerifyResult(False, count, row.seq, "the record was edited")
                last_seq = row.seq
            head = session.get(AuditHeadRow, 1)
        if (head.seq if head else 0) != last_seq or (head.hash if head else GENESIS) != prev:
            return VerifyResult(False, count, last_seq, "records after this one were removed")
        return VerifyResult(True, count)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest records, newest first, as plain data."""
        with self.catalog.session() as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit))
            return [
                {**_row_fields(r), "seq": r.seq, "created_at": stamp(r.created_at)} for r in rows
            ]
