"""The gateway app factory: `create_app(settings)` builds everything; nothing runs at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from strata.apps.http import create_router as apps_router
from strata.apps.service import open_apps
from strata.core.catalog import Catalog
from strata.core.errors import StrataError
from strata.core.settings import Settings
from strata.lake.connectors.telemetry import lake_router
from strata.models.runtime import ModelRuntime
from strata.serve import routes_openai, routes_ops
from strata.serve.envelope import handle_error
from strata.serve.fastpath import ChatFastPath
from strata.serve.gate import KeyGate, request_state
from strata.serve.services import Services
from strata.tickets.http import Caller
from strata.tickets.http import create_router as tickets_router
from strata.tickets.service import Tickets


def create_app(
    settings: Settings, *, catalog: Catalog | None = None, runtime: ModelRuntime | None = None
) -> FastAPI:
    """A gateway over the settings' catalog (or the ones given, e.g. shared with the CLI).

    Args:
        settings: every setting; `settings.serve` shapes the gateway.
        catalog: an open catalog; default opens (and migrates) `settings.catalog_url`.
        runtime: a model runtime to share; default builds one over the catalog.
    """
    services = Services(settings, catalog or Catalog(settings.catalog_url), runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = FastAPI(
        title="Strata gateway",
        summary="OpenAI-compatible serving of L0/L1/L2 models with keys, quotas and audit.",
        lifespan=lifespan,
    )
    app.state.services = services
    for kind in (StrataError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, handle_error)
    app.include_router(routes_openai.router(services))  # first: routes match in order
    app.include_router(routes_ops.router(services))
    app.include_router(lake_router(services.lake))
    apps = open_apps(settings, services.catalog, services.runtime)  # serving reads indexes only
    app.include_router(apps_router(apps, tenant_of=_tenant))
    tickets = Tickets(services.catalog, settings.tickets, settings.security)
    app.include_router(tickets_router(tickets, apps, caller_of=_caller))
    app.add_middleware(ChatFastPath, services=services)  # inside the gate: added first
    app.add_middleware(KeyGate, services=services)
    return app


def _tenant(request: Request) -> str:
    """The caller's tenant, as the key gate authenticated it."""
    return request_state(request.scope).principal.tenant


def _caller(request: Request) -> Caller:
    """The caller of a ticket route: its tenant names its department; `admin` sees all."""
    state = request_state(request.scope)
    who = state.principal
    return Caller(who.tenant, who.key_id, "admin" in who.scopes, state.entry.request_id)
