"""Serving: the HTTP router (synchronous and SSE) and MCP (the SDK's in-process client)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from mcp import Client

from strata.apps import Apps
from strata.apps.http import create_router
from strata.apps.mcp import build_server
from strata.core.errors import StrataError, error_body
from strata.models.runtime import ModelRuntime

from .conftest import label_of, support_app

QUESTION = {"text": "my card has not arrived"}


@pytest.fixture
def published(apps: Apps, help_kb: str, models: dict[str, str], runtime: ModelRuntime) -> Apps:
    label = label_of(runtime, models["classifier"], QUESTION["text"])
    asyncio.run(apps.publish(support_app(models["classifier"], label)))
    return apps


def _client(apps: Apps) -> TestClient:
    app = FastAPI()
    app.include_router(create_router(apps))

    @app.exception_handler(StrataError)
    async def _error(_request: Request, exc: StrataError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=exc.status)

    return TestClient(app)


def test_http_run_synchronous_with_trace(published: Apps) -> None:
    with _client(published) as client:
        answer = client.post("/v1/apps/support/runs", json={"input": QUESTION})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "succeeded" and body["output"]["branch"] == "faq"
        trace = client.get(f"/v1/apps/runs/{body['run_id']}").json()
        assert [s["step"] for s in trace["steps"]] == ["intent", "branch", "docs", "answer"]
        assert trace["source"] == "http"
        missing = client.post("/v1/apps/nope/runs", json={"input": QUESTION})
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "app_not_found"
        bad = client.post("/v1/apps/support/runs", json={"input": {"txt": "x"}})
        assert bad.status_code == 400 and "unknown field" in bad.json()["error"]["message"]


def test_http_run_streams_step_events(published: Apps) -> None:
    with (
        _client(published) as client,
        client.stream(
            "POST", "/v1/apps/support@1/runs", json={"input": QUESTION, "stream": True}
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events: list[tuple[str, Any]] = []
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    finished = [d["step"] for k, d in events if k == "step_finished"]
    assert finished == ["intent", "branch", "docs", "answer"]
    assert events[-1][1]["output"]["branch"] == "faq"


async def _mcp_session(apps: Apps) -> tuple[list[str], Any, Any]:
    async with Client(build_server(apps, apps.services.kbs)) as client:
        tools = await client.list_tools()
        ran = await client.call_tool("support", {"input": QUESTION})
        found = await client.call_tool("kb_search", {"kb": "help", "query": "valve pressure"})
        return [t.name for t in tools.tools], ran, found


def test_mcp_client_lists_and_calls_a_published_app(published: Apps) -> None:
    names, ran, found = asyncio.run(_mcp_session(published))
    assert set(names) == {"support", "kb_search"}
    assert not ran.is_error
    assert ran.structured_content["output"]["branch"] == "faq"
    assert ran.structured_content["version"] == 1
    hits = found.structured_content["result"]
    assert hits[0]["path"] == "pumps.md" and hits[0]["page"] == 1
