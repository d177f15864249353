"""HTTP routes for apps, mounted by the gateway behind its keys, quotas and filters.

`POST /v1/apps/{name}/runs` runs an app (`name`, `name@2` or `name:canary`): synchronously, or as
server-sent step events when the body says `"stream": true`. Errors are raised as `StrataError`s
for the gateway's edge handler to shape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.sse import EventSourceResponse, ServerSentEvent, format_sse_event
from pydantic import BaseModel, Field

from strata.apps.service import Apps

TenantOf = Callable[[Request], str]


class RunRequest(BaseModel):
    """The body of a run request."""

    input: dict[str, Any] = Field(default_factory=dict, description="The app's input fields.")
    stream: bool = Field(False, description="Stream step events as server-sent events.")


def _default_tenant(request: Request) -> str:
    return str(getattr(request.state, "tenant", "default"))


async def _events(
    apps: Apps, name: str, body: RunRequest, tenant: str
) -> AsyncIterator[ServerSentEvent]:
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def sink(event: dict[str, Any]) -> None:
        await queue.put(event)

    async def work() -> None:
        try:
            await apps.run(name, body.input, tenant=tenant, source="http", on_event=sink)
        finally:
            await queue.put(None)

    task = asyncio.create_task(work())
    try:
        while (event := await queue.get()) is not None:
            yield ServerSentEvent(event=event["event"], data=event)
        await task
    finally:
        task.cancel()


def create_router(apps: Apps, *, tenant_of: TenantOf = _default_tenant) -> APIRouter:
    """The apps router; `tenant_of` reads the caller's tenant set by the gateway's auth."""
    router = APIRouter(prefix="/v1/apps", tags=["apps"])

    @router.get("")
    async def list_apps() -> dict[str, Any]:
        """Published apps with their latest version and aliases."""
        return {"object": "list", "data": await asyncio.to_thread(apps.listing)}

    @router.post("/{name}/runs", response_model=None)
    async def run_app(name: str, body: RunRequest, request: Request) -> Any:
        """Run an app; `stream: true` answers with server-sent step events."""
        tenant = tenant_of(request)
        if body.stream:
            await asyncio.to_thread(apps.store.resolve, name)  # a 404 before streaming starts
            return EventSourceResponse(_sse(apps, name, body, tenant))
        result = await apps.run(name, body.input, tenant=tenant, source="http")
        return result.raise_for_status().to_dict()

    @router.get("/runs/{run_id}")
    async def get_run(run_id: str) -> dict[str, Any]:
        """One stored run with its trace."""
        return await asyncio.to_thread(apps.trace, run_id)

    return router


async def _sse(apps: Apps, name: str, body: RunRequest, tenant: str) -> AsyncIterator[bytes]:
    async for event in _events(apps, name, body, tenant):
        data = json.dumps(jsonable_encoder(event.data), ensure_ascii=False)
        yield format_sse_event(data_str=data, event=event.event)
