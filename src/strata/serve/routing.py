"""Routing: aliases over pools of backends, retries with backoff, fallbacks, circuit breakers.

A backend is ejected after `breaker_failures` consecutive failures or once it has failed for
`breaker_window_s`; after `breaker_cooldown_s` one probe request may try it again. With every
backend ejected the router answers 503 at once, with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from strata.core.settings import ServeSettings
from strata.serve.backends import BackendDown, ChatBackend
from strata.serve.errors import NoBackendAvailable

T = TypeVar("T")


@dataclass
class Breaker:
    """The health of one backend: closed (in use), open (ejected) or probing."""

    failures: int = 0
    failing_since: float | None = None
    open_until: float = 0.0
    probing: bool = False

    def available(self, now: float) -> bool:
        """Whether a request may go to the backend now (one probe at a time when open)."""
        if self.open_until == 0.0:
            return True
        return now >= self.open_until and not self.probing

    def success(self) -> None:
        """Close the breaker."""
        self.failures, self.failing_since, self.open_until, self.probing = 0, None, 0.0, False

    def failure(self, now: float, settings: ServeSettings) -> None:
        """Count a failure; open (eject) on too many or for too long, and after a failed probe."""
        self.failures += 1
        if self.failing_since is None:
            self.failing_since = now
        too_long = now - self.failing_since >= settings.breaker_window_s
        if self.probing or too_long or self.failures >= settings.breaker_failures:
            self.open_until = now + settings.breaker_cooldown_s
        self.probing = False

    @property
    def state(self) -> str:
        """`closed`, `open` or `probing`."""
        if self.open_until == 0.0:
            return "closed"
        return "probing" if self.probing else "open"


@dataclass
class Pool:
    """The backends behind one alias, tried round-robin."""

    name: str
    backends: list[ChatBackend]
    turn: Iterator[int]


class Router:
    """Sends chat requests to an alias's pool, then to its fallbacks."""

    def __init__(self, settings: ServeSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.breakers: dict[str, Breaker] = {}
        self._pools: dict[str, Pool] = {}

    def add_pool(self, name: str, backends: list[ChatBackend]) -> None:
        """Put backends behind an alias (replacing any pool of that name)."""
        self._pools[name] = Pool(name, backends, itertools.cycle(range(len(backends))))
        for backend in backends:
            self.breakers.setdefault(backend.name, Breaker())

    def has(self, name: str) -> bool:
        """Whether an alias or model has a pool."""
        return name in self._pools

    def names(self) -> list[str]:
        """Every alias with a pool."""
        return sorted(self._pools)

    def pool(self, name: str) -> Pool:
        """The pool of an alias."""
        return self._pools[name]

    def chain(self, name: str) -> list[str]:
        """The alias and its fallbacks, in order, each once."""
        return list(dict.fromkeys([name, *self.settings.fallbacks.get(name, [])]))

    async def call(
        self, names: list[str], fn: Callable[[ChatBackend], Awaitable[T]]
    ) -> tuple[ChatBackend, T]:
        """Run `fn` on the first backend that succeeds, with retries, over the named pools."""
        delay = self.settings.retry_backoff_s
        tried = 0
        last: BackendDown | None = None
        for name in names:
            for backend in self._candidates(name)[: self.settings.retries + 1]:
                if tried:
                    await asyncio.sleep(delay)
                    delay *= 2
                tried += 1
                breaker = self.breakers[backend.name]
                breaker.probing = breaker.open_until != 0.0
                try:
                    result = await fn(backend)
                except BackendDown as exc:
                    breaker.failure(self.clock(), self.settings)
                    last = exc
                    continue
                breaker.success()
                return backend, result
        raise self._unavailable(names, last)

    def _candidates(self, name: str) -> list[ChatBackend]:
        pool = self._pools.get(name)
        if pool is None or not pool.backends:
            return []
        start = next(pool.turn)
        ordered = pool.backends[start:] + pool.backends[:start]
        now = self.clock()
        return [b for b in ordered if self.breakers[b.name].available(now)]

    def _unavailable(self, names: list[str], last: BackendDown | None) -> NoBackendAvailable:
        now = self.clock()
        waits = [
            self.breakers[b.name].open_until - now
            for n in names
            if n in self._pools
            for b in self._pools[n].backends
        ]
        retry = max(1, math.ceil(min((w for w in waits if w > 0), default=1.0)))
        detail = f" Last error: {last.message}" if last else " Every backend is ejected."
        return NoBackendAvailable(
            f"No backend of {' -> '.join(names)} is available.{detail}",
            retry_after=retry,
            hint=f"Retry after {retry} s; check the upstream servers (`/metrics` shows breakers).",
        )

    def states(self) -> dict[str, str]:
        """Each backend's breaker state, for /ready and /metrics."""
        return {name: breaker.state for name, breaker in self.breakers.items()}

    def snapshot(self) -> dict[str, Any]:
        """Pools and their backends' states."""
        return {
            name: [{"backend": b.name, "state": self.breakers[b.name].state} for b in p.backends]
            for name, p in self._pools.items()
        }
