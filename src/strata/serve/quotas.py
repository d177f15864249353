"""Quotas: requests/min, tokens/min and budget per key and per tenant.

Counters live in memory, where a check-and-reserve runs without an await (so concurrent requests on
one event loop can never over-admit), and are written to the catalog as deltas every
`serve.flush_interval_s` and on shutdown; a restarted gateway reads them back on first use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from strata.core.catalog import Catalog, utcnow
from strata.serve.auth import Limits, Principal
from strata.serve.errors import BudgetExceeded, RateLimited
from strata.serve.records import CounterRow

TOTAL = "total"


@dataclass
class Counter:
    """Usage of one scope in one window, plus what is not yet written to the catalog."""

    requests: int = 0
    tokens: int = 0
    spend: float = 0.0
    pending: list[float] = field(default_factory=lambda: [0, 0, 0.0])

    def add(self, requests: int, tokens: int, spend: float) -> None:
        """Count usage (negative values give back a reservation)."""
        self.requests += requests
        self.tokens += tokens
        self.spend += spend
        self.pending[0] += requests
        self.pending[1] += tokens
        self.pending[2] += spend


@dataclass(frozen=True)
class Reservation:
    """What one request reserved: its scopes, minute window, tokens and cost."""

    scopes: tuple[str, ...]
    window: str
    tokens: int
    cost: float


def _minute_window(now: float) -> tuple[str, int]:
    minute = int(now // 60)
    retry = max(1, math.ceil((minute + 1) * 60 - now))
    return f"m:{minute}", retry


class Quotas:
    """Check-and-reserve before a backend call, reconcile after, persist in the catalog."""

    def __init__(self, catalog: Catalog, clock: Callable[[], float] = time.time) -> None:
        self.catalog = catalog
        self.clock = clock
        self._counters: dict[tuple[str, str], Counter] = {}

    def reserve(self, who: Principal, tokens: int, cost: float) -> Reservation:
        """Admit one request reserving `tokens` and `cost`, or raise RateLimited (429)."""
        window, retry = _minute_window(self.clock())
        checks = (
            (f"key:{who.key_id}", who.key_limits),
            (f"tenant:{who.tenant}", who.tenant_limits),
        )
        for scope, limits in checks:
            self._check(scope, limits, window, retry, tokens, cost)
        for scope, _ in checks:
            self._counter(scope, window).add(1, tokens, 0.0)
            self._counter(scope, TOTAL).add(0, 0, cost)
        return Reservation(tuple(s for s, _ in checks), window, tokens, cost)

    def reconcile(self, reservation: Reservation, tokens: int, cost: float) -> None:
        """Replace the reserved tokens and cost with what the call really used."""
        for scope in reservation.scopes:
            self._counter(scope, reservation.window).add(0, tokens - reservation.tokens, 0.0)
            self._counter(scope, TOTAL).add(0, 0, cost - reservation.cost)

    def usage(self, scope: str) -> tuple[int, int, float]:
        """(requests this minute, tokens this minute, total spend) of a scope."""
        window, _ = _minute_window(self.clock())
        minute, total = self._counter(scope, window), self._counter(scope, TOTAL)
        return minute.requests, minute.tokens, total.spend

    def _check(
        self, scope: str, limits: Limits, window: str, retry: int, tokens: int, cost: float
    ) -> None:
        minute = self._counter(scope, window)
        if limits.rpm is not None and minute.requests + 1 > limits.rpm:
            raise RateLimited(
                f"{scope} reached its limit of {limits.rpm} requests/min.",
                retry_after=retry,
                hint=f"Wait {retry} s, or raise the limit (strata keys create --rpm N).",
            )
        if limits.tpm is not None and minute.tokens + tokens > limits.tpm:
            raise RateLimited(
                f"{scope} would exceed {limits.tpm} tokens/min "
                f"({minute.tokens} used, {tokens} requested).",
                retry_after=retry,
                hint=f"Wait {retry} s, lower max_tokens, or raise --tpm.",
            )
        spent = self._counter(scope, TOTAL).spend
        if limits.budget is not None and spent + cost > limits.budget:
            raise BudgetExceeded(
                f"{scope} would exceed its budget of {limits.budget} ({spent:.6f} spent).",
                retry_after=3600,
                hint="Raise the budget with a new key (strata keys create --budget X).",
            )

    def _counter(self, scope: str, window: str) -> Counter:
        counter = self._counters.get((scope, window))
        if counter is None:
            counter = self._load(scope, window)
            self._counters[(scope, window)] = counter
        return counter

    def _load(self, scope: str, window: str) -> Counter:
        with self.catalog.session() as session:
            row = session.scalars(
                select(CounterRow).where(CounterRow.scope == scope, CounterRow.window == window)
            ).first()
            if row is None:
                return Counter()
            return Counter(int(row.requests), int(row.tokens), float(row.spend))

    def take_pending(self) -> list[tuple[str, str, list[float]]]:
        """Hand over unwritten deltas (on the event loop) and drop past minutes."""
        current, _ = _minute_window(self.clock())
        taken = []
        for (scope, window), counter in self._counters.items():
            if any(counter.pending):
                taken.append((scope, window, counter.pending))
                counter.pending = [0, 0, 0.0]
        for key in [k for k in self._counters if k[1] not in (TOTAL, current)]:
            del self._counters[key]
        return taken

    def requeue(self, deltas: list[tuple[str, str, list[float]]]) -> None:
        """Put back deltas whose write failed, so the next flush retries them."""
        for scope, window, delta in deltas:
            counter = self._counters.setdefault((scope, window), Counter())
            counter.pending = [a + b for a, b in zip(counter.pending, delta, strict=True)]

    def write(self, deltas: list[tuple[str, str, list[float]]]) -> None:
        """Add deltas to the catalog's counters in one transaction (safe in a worker thread)."""
        if deltas:
            with self.catalog.session() as session:
                self.apply(session, deltas)

    def apply(self, session: Session, deltas: list[tuple[str, str, list[float]]]) -> None:
        """Add deltas to the catalog's counters inside the caller's transaction.

        Plain SQL statements, not the ORM: the flush runs in a worker thread that shares the GIL
        with the event loop, so the less Python it runs the less it delays requests.
        """
        now = utcnow()
        for scope, window, delta in deltas:
            _write_delta(session, scope, window, delta, now)

    def flush(self) -> int:
        """Write every pending delta now; returns how many counters were written."""
        deltas = self.take_pending()
        self.write(deltas)
        return len(deltas)


_COUNTERS = CounterRow.metadata.tables[CounterRow.__tablename__]
# Built once with bound parameters (no SQL expression building per flush).
_ADD = (
    update(_COUNTERS)
    .where(_COUNTERS.c.scope == bindparam("b_scope"), _COUNTERS.c.window == bindparam("b_window"))
    .values(
        requests=_COUNTERS.c.requests + bindparam("b_requests"),
        tokens=_COUNTERS.c.tokens + bindparam("b_tokens"),
        spend=_COUNTERS.c.spend + bindparam("b_spend"),
        updated_at=bindparam("b_now"),
    )
)
_NEW = insert(_COUNTERS).values(
    scope=bindparam("b_scope"),
    window=bindparam("b_window"),
    requests=bindparam("b_requests"),
    tokens=bindparam("b_tokens"),
    spend=bindparam("b_spend"),
    updated_at=bindparam("b_now"),
)


def _write_delta(
    session: Session, scope: str, window: str, delta: list[float], now: datetime
) -> None:
    params = {
        "b_scope": scope,
        "b_window": window,
        "b_requests": int(delta[0]),
        "b_tokens": int(delta[1]),
        "b_spend": float(delta[2]),
        "b_now": now,
    }
    if getattr(session.execute(_ADD, params), "rowcount", 0) == 0:
        session.execute(_NEW, params)
