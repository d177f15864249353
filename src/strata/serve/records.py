"""Catalog tables of the gateway: tenants, keys (hashed), quota counters, audit records.

The audit tables are declared in `core/audit.py` (tickets append to the same chain) and
re-exported here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strata.core.audit import AuditHeadRow, AuditRow
from strata.core.catalog import Base, utcnow

__all__ = ["AuditHeadRow", "AuditRow", "CounterRow", "KeyRow", "TenantRow"]


class TenantRow(Base):
    """A tenant: a team or customer whose keys share limits and see their own models."""

    __tablename__ = "gateway_tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rpm: Mapped[int | None] = mapped_column(Integer)
    tpm: Mapped[int | None] = mapped_column(Integer)
    budget: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    keys: Mapped[list[KeyRow]] = relationship(back_populates="tenant")


class KeyRow(Base):
    """An API key: its public id, the sha256 of its secret, scopes and limits."""

    __tablename__ = "gateway_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("gateway_tenants.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200))
    rpm: Mapped[int | None] = mapped_column(Integer)
    tpm: Mapped[int | None] = mapped_column(Integer)
    budget: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tenant: Mapped[TenantRow] = relationship(back_populates="keys")


class CounterRow(Base):
    """Requests, tokens and spend of one scope (`key:ID`, `tenant:NAME`) in one window."""

    __tablename__ = "gateway_quota_counters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(140))
    window: Mapped[str] = mapped_column(String(32))
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    spend: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
