"""Tenants and API keys: a key is shown once, stored as its sha256, and checked on every request."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strata.core.catalog import Catalog, utcnow
from strata.core.errors import InvalidInput, NotFound
from strata.serve.errors import Forbidden, Unauthorized
from strata.serve.records import KeyRow, TenantRow

KEY_PREFIX = "sk-strata-"
SCOPES = frozenset({"inference", "lake", "admin"})
DEFAULT_SCOPES = ("inference", "lake")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Requests/min, tokens/min and budget; None means unlimited."""

    rpm: int | None = None
    tpm: int | None = None
    budget: float | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its tenant, scopes, and both sets of limits."""

    key_id: str
    tenant: str
    scopes: frozenset[str]
    key_limits: Limits
    tenant_limits: Limits

    def require(self, scope: str) -> None:
        """Raise Forbidden unless the key holds `scope` (admin holds every scope)."""
        if scope not in self.scopes and "admin" not in self.scopes:
            raise Forbidden(
                f"Key {self.key_id} lacks the {scope!r} scope this route needs "
                f"(it has: {', '.join(sorted(self.scopes))}).",
                hint=f"Create a key with it: strata keys create --tenant {self.tenant} "
                f"--scopes {scope}",
            )


@dataclass(frozen=True)
class KeyInfo:
    """A key as `strata keys ls` shows it (never the secret)."""

    id: str
    tenant: str
    scopes: tuple[str, ...]
    limits: Limits
    created_at: str
    revoked: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "id": self.id,
            "tenant": self.tenant,
            "scopes": list(self.scopes),
            "rpm": self.limits.rpm,
            "tpm": self.limits.tpm,
            "budget": self.limits.budget,
            "created_at": self.created_at,
            "revoked": self.revoked,
        }


def hash_key(key: str) -> str:
    """The stored form of a key: its sha256 (keys are 256-bit random, so no slow hash needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_key(key: str) -> str | None:
    """The public id inside a key, or None when the text is not shaped like a Strata key."""
    if not key.startswith(KEY_PREFIX) or "." not in key:
        return None
    key_id = key[len(KEY_PREFIX) :].split(".", 1)[0]
    return key_id if 0 < len(key_id) <= 32 else None


def parse_scopes(text: str) -> tuple[str, ...]:
    """Comma-separated scopes, checked against the known ones."""
    scopes = tuple(sorted({s.strip() for s in text.split(",") if s.strip()}))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(
            f"Scopes {text!r} are not valid; known scopes: {', '.join(sorted(SCOPES))}.",
            hint="Pass --scopes inference,lake (or admin for admin routes).",
        )
    return scopes


def _check_limits(limits: Limits) -> None:
    for name, value in (("rpm", limits.rpm), ("tpm", limits.tpm), ("budget", limits.budget)):
        if value is not None and value < 0:
            raise InvalidInput(
                f"--{name} must be 0 or more, got {value}.", hint="Omit it for none."
            )


class KeyStore:
    """Create, list, revoke and look up keys in the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def create(self, tenant: str, scopes: tuple[str, ...], limits: Limits) -> tuple[str, KeyInfo]:
        """A new key for `tenant` (created when new); returns (the key, shown once, and info)."""
        if not tenant.strip() or len(tenant) > 100:
            raise InvalidInput(f"Tenant name {tenant!r} must be 1-100 characters.", hint="--tenant")
        _check_limits(limits)
        key_id = secrets.token_hex(6)
        key = f"{KEY_PREFIX}{key_id}.{secrets.token_urlsafe(32)}"
        with self.catalog.session() as session:
            row = _tenant(session, tenant)
            key_row = KeyRow(
                id=key_id,
                tenant_id=row.id,
                secret_hash=hash_key(key),
                scopes=",".join(scopes),
                rpm=limits.rpm,
                tpm=limits.tpm,
                budget=limits.budget,
                created_at=utcnow(),
            )
            session.add(key_row)
            session.flush()
            return key, _info(key_row, tenant)

    def set_tenant_limits(self, tenant: str, limits: Limits) -> None:
        """Set (or clear, with None) a tenant's limits; creates the tenant when new."""
        _check_limits(limits)
        with self.catalog.session() as session:
            row = _tenant(session, tenant)
            row.rpm, row.tpm, row.budget = limits.rpm, limits.tpm, limits.budget

    def list(self) -> list[KeyInfo]:
        """Every key, oldest first."""
        with self.catalog.session() as session:
            rows = session.scalars(select(KeyRow).order_by(KeyRow.created_at)).all()
            return [_info(r, r.tenant.name) for r in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key by id; it stops working within `serve.key_cache_s` seconds."""
        with self.catalog.session() as session:
            row = session.get(KeyRow, key_id)
            if row is None:
                raise NotFound(f"No key with id {key_id!r}.", hint="List keys with: strata keys ls")
            row.revoked_at = row.revoked_at or utcnow()
            return _info(row, row.tenant.name)

    def principal(self, key: str) -> Principal | None:
        """The caller a full key belongs to, or None when unknown, wrong or revoked."""
        key_id = split_key(key)
        if key_id is None:
            return None
        with self.catalog.session() as session:
            row = session.get(KeyRow, key_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_hash, hash_key(key)):
                return None
            tenant = row.tenant
            return Principal(
                key_id=row.id,
                tenant=tenant.name,
                scopes=frozenset(row.scopes.split(",")),
                key_limits=Limits(row.rpm, row.tpm, row.budget),
                tenant_limits=Limits(tenant.rpm, tenant.tpm, tenant.budget),
            )


def _tenant(session: Session, name: str) -> TenantRow:
    row = session.scalars(select(TenantRow).where(TenantRow.name == name)).first()
    if row is None:
        row = TenantRow(name=name, created_at=utcnow())
        session.add(row)
        session.flush()
    return row


def _info(row: KeyRow, tenant: str) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        tenant=tenant,
        scopes=tuple(row.scopes.split(",")),
        limits=Limits(row.rpm, row.tpm, row.budget),
        created_at=row.created_at.isoformat(),
        revoked=row.revoked_at is not None,
    )


class Authenticator:
    """Checks bearer keys on the request path, caching lookups for `ttl_s` seconds.

    A cached key costs one sha256 and a dict lookup. An expired or unknown one is read from the
    catalog in a worker thread (the event loop never waits on the database), once however many
    requests with that key arrive meanwhile; a key in use is read again in the background once
    its entry is half way to expiry, so its requests never wait. An entry is cached from when its
    read started, so a revocation applies within `ttl_s` of being committed.
    """

    def __init__(self, keys: KeyStore, ttl_s: float) -> None:
        self.keys = keys
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._reads: dict[str, tuple[float, asyncio.Task[Principal | None]]] = {}

    async def lookup(self, key: str) -> Principal | None:
        """The principal of a key (cached by the key's hash), or None."""
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        read = self._reads.get(digest)
        if hit is not None and now - hit[0] < self.ttl_s:
            if now - hit[0] >= self.ttl_s / 2 and read is None:
                self._start_read(key, digest, now)  # refresh ahead: busy keys never wait
            return hit[1]
        if read is None or now - read[0] >= self.ttl_s:  # join only a read that is fresh enough
            read = self._start_read(key, digest, now)
        return await asyncio.shield(read[1])  # a caller that goes away leaves the read to others

    def _start_read(
        self, key: str, digest: str, now: float
    ) -> tuple[float, asyncio.Task[Principal | None]]:
        task = asyncio.create_task(self._read(key, digest, now))
        task.add_done_callback(_log_failed_read)  # a refresh nobody awaits must not fail unseen
        read = self._reads[digest] = (now, task)
        return read

    async def _read(self, key: str, digest: str, started: float) -> Principal | None:
        try:
            principal = await asyncio.to_thread(self.keys.principal, key)
        finally:
            if self._reads.get(digest, (None,))[0] == started:
                del self._reads[digest]
        if len(self._cache) > 10_000:
            self._cache.clear()  # bounded: unknown keys must not grow memory without limit
        if self._cache.get(digest, (started,))[0] <= started:  # never replace a newer read
            self._cache[digest] = (started, principal)
        return principal

    async def authenticate(self, header: str | None) -> Principal:
        """The caller of an `Authorization: Bearer KEY` header; raises Unauthorized otherwise."""
        if not header or not header.lower().startswith("bearer "):
            raise Unauthorized(
                "No API key: send `Authorization: Bearer sk-strata-...`.",
                hint="Create a key with: strata keys create --tenant NAME",
            )
        principal = await self.lookup(header[7:].strip())
        if principal is None:
            raise Unauthorized(
                "The API key is not valid (unknown, mistyped or revoked).",
                hint="Check the key, or create a new one with: strata keys create --tenant NAME",
            )
        return principal


def _log_failed_read(task: asyncio.Task[Principal | None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("reading an API key from the catalog failed", exc_info=task.exception())
