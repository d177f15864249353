"""Operations routes: /health (open), /ready, /metrics and /v1/admin/* (admin scope)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from strata.serve.services import Services


def router(services: Services) -> APIRouter:
    """Health, readiness, metrics and admin views of one app."""
    api = APIRouter(tags=["operations"])

    @api.get("/health")
    async def health() -> JSONResponse:
        """Liveness: the process answers (no key needed, no I/O)."""
        return JSONResponse({"status": "ok"})

    @api.get("/ready")
    async def ready() -> JSONResponse:
        """Readiness: the catalog is reachable and migrated; backend breaker states."""
        catalog = services.catalog
        current = await asyncio.to_thread(catalog.current_revision)
        ok = current == catalog.head_revision()
        body = {"status": "ready" if ok else "not_ready", "catalog": current}
        return JSONResponse({**body, "pools": services.router.snapshot()}, 200 if ok else 503)

    @api.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text exposition."""
        data = services.metrics.render(services.router.states())
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    @api.get("/v1/admin/keys")
    async def keys() -> JSONResponse:
        """Every key (never a secret)."""
        infos = await asyncio.to_thread(services.keys.list)
        return JSONResponse({"object": "list", "data": [k.to_dict() for k in infos]})

    @api.get("/v1/admin/audit/verify")
    async def verify() -> JSONResponse:
        """Write queued records, then walk the audit chain."""
        await services.flush()
        result = await asyncio.to_thread(services.audit.verify)
        return JSONResponse(result.to_dict())

    return api
