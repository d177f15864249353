"""The audit log: one record per authenticated request, hash-chained, verified by `strata audit
verify`. Records queue in memory and are appended in batches; each batch locks the chain head."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from strata.core.catalog import Catalog
from strata.serve.records import AuditHeadRow, AuditRow

GENESIS = "0" * 64


@dataclass
class AuditEntry:
    """What the gateway records about one request: no secrets, no prompt unless opted in."""

    request_id: str
    tenant: str
    key_id: str
    method: str
    path: str
    created_at: datetime
    model: str | None = None
    status: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    error_code: str | None = None
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    prompt: str | None = None


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


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _payload(seq: int, fields: dict[str, Any]) -> str:
    data = {**fields, "seq": seq, "created_at": _stamp(fields["created_at"])}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def chain_hash(prev_hash: str, seq: int, fields: dict[str, Any]) -> str:
    """sha256 over the previous hash and the record's canonical JSON."""
    return hashlib.sha256((prev_hash + _payload(seq, fields)).encode("utf-8")).hexdigest()


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
            # Write first, so the head row is locked before it is read (SQLite and PostgreSQL).
            session.execute(
                update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq)
            )
            head = session.get(AuditHeadRow, 1, populate_existing=True)
            if head is None:
                head = AuditHeadRow(id=1, seq=0, hash=GENESIS)
                session.add(head)
            seq, prev = head.seq, head.hash
            for entry in entries:
                seq += 1
                fields = asdict(entry)
                digest = chain_hash(prev, seq, fields)
                session.add(AuditRow(seq=seq, prev_hash=prev, hash=digest, **fields))
                prev = digest
            head.seq, head.hash = seq, prev

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
                {**_row_fields(r), "seq": r.seq, "created_at": _stamp(r.created_at)} for r in rows
            ]
