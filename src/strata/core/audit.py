"""The audit chain: records in the catalog, each hash-chained to the one before it.

The gateway appends one record per request (`serve/audit.py`); other domains (tickets) append
theirs inside the transaction of the change they describe, so the change and its record commit
together. `strata audit verify` walks the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    insert,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from strata.core.catalog import Base

GENESIS = "0" * 64


@dataclass
class AuditEntry:
    """One audit record: who, what, when; no secrets, no prompt unless opted in."""

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


class AuditRow(Base):
    """One audit record, chained to the previous record by sha256."""

    __tablename__ = "gateway_audit"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(32))
    tenant: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    model: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    error_code: Mapped[str | None] = mapped_column(String(64))
    verdicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    prompt: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The last sequence number and hash of the audit chain (one row, locked on append)."""

    __tablename__ = "gateway_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def stamp(moment: datetime) -> str:
    """A timestamp as the chain hashes it: naive UTC, microseconds."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _payload(seq: int, fields: dict[str, Any]) -> str:
    data = {**fields, "seq": seq, "created_at": stamp(fields["created_at"])}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def chain_hash(prev_hash: str, seq: int, fields: dict[str, Any]) -> str:
    """sha256 over the previous hash and the record's canonical JSON."""
    return hashlib.sha256((prev_hash + _payload(seq, fields)).encode("utf-8")).hexdigest()


def lock_head(session: Session) -> AuditHeadRow:
    """The chain head, locked for the rest of the caller's transaction.

    It writes before it reads, so the lock is taken before the head is read (SQLite and
    PostgreSQL); calling it again in the same transaction is harmless.
    """
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq))
    head = session.get(AuditHeadRow, 1, populate_existing=True)
    if head is None:
        head = AuditHeadRow(id=1, seq=0, hash=GENESIS)
        session.add(head)
    return head


_FIELDS = tuple(AuditEntry.__dataclass_fields__)


def append_entries(session: Session, entries: Sequence[AuditEntry]) -> None:
    """Append entries to the chain inside the caller's transaction (commits with it).

    The rows go in as one bulk INSERT, with the fields copied shallowly (`asdict` deep-copies):
    the gateway appends its batches from a worker thread that shares the GIL with its requests.
    """
    if not entries:
        return
    head = lock_head(session)
    seq, prev = head.seq, head.hash
    rows = []
    for entry in entries:
        seq += 1
        fields = {name: getattr(entry, name) for name in _FIELDS}
        digest = chain_hash(prev, seq, fields)
        rows.append({**fields, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    # A Core executemany on the table: the ORM's bulk path processes every row's attributes.
    session.connection().execute(insert(cast(Table, AuditRow.__table__)), rows)
    head.seq, head.hash = seq, prev
