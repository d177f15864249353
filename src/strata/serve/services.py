"""Everything one gateway app holds: catalog, models, keys, quotas, audit, router, batchers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.models.errors import ModelNotFound
from strata.models.layers import ModelKind
from strata.models.records import ModelRecord
from strata.models.runtime import ModelRuntime, open_store
from strata.models.store import ENDPOINT_BACKEND
from strata.security.filters import FILTERS
from strata.security.policy import load_policies
from strata.serve.audit import AuditLog
from strata.serve.auth import Authenticator, KeyStore, Principal
from strata.serve.backends import ChatBackend, LocalBackend, UpstreamBackend, UpstreamClient
from strata.serve.batching import MicroBatcher
from strata.serve.guarding import FilterPolicy
from strata.serve.metrics import GatewayMetrics
from strata.serve.quotas import Quotas
from strata.serve.routing import Router

if TYPE_CHECKING:
    from strata.lake.lake import Lake

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.0005  # the GIL switch interval while the gateway serves


class Services:
    """Built once per app by `create_app`; the HTTP client and flusher start with the app."""

    def __init__(self, settings: Settings, catalog: Catalog, runtime: ModelRuntime | None) -> None:
        self.settings = settings
        self.serve = settings.serve
        self.catalog = catalog
        self.runtime = runtime or ModelRuntime(open_store(catalog), settings.models)
        if self.serve.model_threads:
            self.runtime.use_threads(self.serve.model_threads)
        self.store = self.runtime.store
        self.keys = KeyStore(catalog)
        self.auth = Authenticator(self.keys, self.serve.key_cache_s)
        self.quotas = Quotas(catalog)
        self.audit = AuditLog(catalog)
        self.router = Router(self.serve)
        self.filters = FilterPolicy(tenant_filters(settings), self.runtime)
        self.metrics = GatewayMetrics()
        self.batchers: dict[tuple[int, str], MicroBatcher[Any]] = {}
        self._resolved: dict[str, tuple[float, ModelRecord]] = {}
        self._client: UpstreamClient | None = None
        self._lake: Lake | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._switch_interval = sys.getswitchinterval()
        self._stopping = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._load_lock = asyncio.Lock()

    @property
    def client(self) -> UpstreamClient:
        """The shared, pooled HTTP client for upstreams (opened on first use)."""
        if self._client is None:
            self._client = UpstreamClient(
                connect_s=self.serve.connect_timeout_s, read_s=self.serve.upstream_timeout_s
            )
        return self._client

    def lake(self) -> Lake:
        """The data lake, opened on the first telemetry post."""
        if self._lake is None:
            from strata.lake.lake import Lake

            self._lake = Lake(self.catalog, self.settings.lake, self.settings.home)
        return self._lake

    def build_pools(self) -> None:
        """Register the configured aliases' upstream pools with the router."""
        for alias, upstreams in self.serve.pools.items():
            backends: list[ChatBackend] = [
                UpstreamBackend(
                    url=u.url,
                    model=u.model or alias,
                    client=self.client,
                    api_key_env=u.api_key_env,
                    price_per_1k_tokens=u.price_per_1k_tokens,
                )
                for u in upstreams
            ]
            self.router.add_pool(alias, backends)

    def resolve(self, name: str, who: Principal) -> ModelRecord:
        """The model a request names, if the caller's tenant may see it (cached briefly)."""
        now = time.monotonic()
        hit = self._resolved.get(name)
        if hit is None or now - hit[0] > self.serve.key_cache_s:
            hit = (now, self.store.resolve(name))
            self._resolved[name] = hit
        record = hit[1]
        if record.tenant is not None and record.tenant != who.tenant:
            raise ModelNotFound(
                f'Model "{name}" not found.', hint="GET /v1/models lists the models you can use."
            )
        return record

    def chat_names(self, name: str, who: Principal) -> list[str]:
        """The pools to try for a chat model name: its own (built on demand), then fallbacks."""
        names = self.router.chain(name)
        for item in names:
            if not self.router.has(item) and (item == name or _is_ref(item)):
                record = self.resolve(item, who)
                self.router.add_pool(item, [self._generator_backend(record)])
        return [n for n in names if self.router.has(n)]

    def _generator_backend(self, record: ModelRecord) -> ChatBackend:
        if record.kind != ModelKind.GENERATOR:
            from strata.models.errors import WrongModelKind

            raise WrongModelKind(
                f"Model {record.ref} is a {record.kind.value}, not a generator.",
                hint="Chat needs a generator: GET /v1/models lists each model's kind.",
            )
        if record.backend == ENDPOINT_BACKEND:
            return UpstreamBackend(
                url=record.uri,
                model=record.endpoint_model or record.name,
                client=self.client,
                api_key_env=record.api_key_env,
                price_per_1k_tokens=float(record.details.get("price_per_1k_tokens", 0.0)),
            )
        _, generator = self.runtime.generator(record.ref)
        return LocalBackend(record.ref, generator, self.settings.models.max_new_tokens)

    async def load_model(self, record: ModelRecord) -> Any:
        """The loaded encoder or classifier of a record (loaded once, in a worker thread)."""
        async with self._load_lock:
            _, model = await asyncio.to_thread(self.runtime.load, record.ref, record.kind)
        return model

    def batcher(self, record: ModelRecord, make: Callable[[], Callable[[list[str]], Any]]) -> Any:
        """The micro-batcher of one model and task, created on first use."""
        key = (record.id, record.kind.value)
        if key not in self.batchers:
            self.batchers[key] = MicroBatcher(
                make(),
                window_s=self.serve.batch_window_ms / 1000,
                max_size=self.serve.batch_max_size,
            )
        return self.batchers[key]

    async def flush(self) -> None:
        """Write queued audit records and quota deltas in a worker thread; on return, everything
        recorded before the call is written (a write already in progress is waited for)."""
        async with self._flushing:
            entries, deltas = self.audit.take_pending(), self.quotas.take_pending()
            if entries or deltas:
                await asyncio.to_thread(self._write, entries, deltas)

    def _write(self, entries: list[Any], deltas: list[Any]) -> None:
        try:  # one transaction (one commit) for both: the flush shares the GIL with requests
            with self.catalog.session() as session:
                self.audit.append(session, entries)
                self.quotas.apply(session, deltas)
        except Exception:
            self.audit.requeue(entries)
            self.quotas.requeue(deltas)
            raise

    async def _flush_forever(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.serve.flush_interval_s)
            try:
                await self.flush()
            except Exception:  # keep serving; the next round retries what is still queued
                log.exception("writing audit records and quota counters failed")

    async def start(self) -> None:
        """Build pools and start the background writer (app startup)."""
        self.build_pools()
        self._stopping, self._flushing = asyncio.Event(), asyncio.Lock()  # this loop's
        self._flusher = asyncio.create_task(self._flush_forever(self._stopping))
        # The ~200k objects alive now (modules, models, the app) live as long as the gateway;
        # frozen, they are left out of full collections, which would otherwise stall every
        # request for 50-200 ms each. `stop` hands them back to the collector.
        gc.freeze()
        # The writer thread holds the GIL while it builds a flush; with Python's default 5 ms
        # switch interval a request that needs the GIL meanwhile waits for it. 0.5 ms bounds that
        # wait (docs/benchmarks.md, gateway overhead). `stop` puts the old interval back.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)

    async def stop(self) -> None:
        """Stop the writer, write what is queued, close the HTTP client (app shutdown)."""
        gc.unfreeze()
        sys.setswitchinterval(self._switch_interval)
        if self._flusher is not None:
            # Not cancelled: a write in progress must end (commit or requeue) before the last one.
            self._stopping.set()
            await self._flusher
            self._flusher = None
        await self.flush()
        self.filters.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _is_ref(name: str) -> bool:
    return "/" in name


def tenant_filters(settings: Settings) -> dict[str, dict[str, dict[str, Any]]]:
    """Each tenant's filters: `serve.tenant_filters`, then the security policy file's tenants
    (the policy file wins for a tenant it names)."""
    filters = dict(settings.serve.tenant_filters)
    if settings.security.policy_file:
        policies = load_policies(Path(settings.security.policy_file), FILTERS.names())
        filters.update(policies.tenant_filters())
    return filters
