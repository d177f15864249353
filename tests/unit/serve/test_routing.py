"""Routing: two upstreams behind an alias, one killed; breakers; all down is 503 with Retry-After;
SSE exactly as OpenAI sends it; a stream cut midway ends with an error event."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.core.settings import ServeSettings
from strata.serve.app import create_app
from strata.serve.backends import BackendDown
from strata.serve.routing import Breaker, Router

from .conftest import MakeKey, bearer, make_settings
from .upstream import upstreams

CHAT = {"model": "chat", "messages": [{"role": "user", "content": "hi there"}]}


def _app(tmp_path: Path, catalog: Catalog, urls: list[str], **serve: object) -> TestClient:
    pools = {"chat": [{"url": url, "model": "up"} for url in urls]}
    settings = make_settings(tmp_path, pools=pools, retry_backoff_s=0.0, **serve)
    return TestClient(create_app(settings, catalog=catalog))


def test_killing_one_of_two_upstreams_leaves_the_alias_answering(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    key = make_key()
    with upstreams("a", "b") as (a, b), _app(tmp_path, gw_catalog, [a.url, b.url]) as client:
        first = {
            client.post("/v1/chat/completions", headers=bearer(key), json=CHAT).json()["choices"][
                0
            ]["message"]["content"]
            for _ in range(4)
        }
        assert first == {"a: hi there", "b: hi there"}
        a.stop()
        answers = [
            client.post("/v1/chat/completions", headers=bearer(key), json=CHAT) for _ in range(6)
        ]
        assert all(r.status_code == 200 for r in answers)
        assert {r.json()["choices"][0]["message"]["content"] for r in answers} == {"b: hi there"}
        states = client.app.state.services.router.states()
        assert states[f"{a.url}#up"] == "open" and states[f"{b.url}#up"] == "closed"


def test_pass_through_fields_reach_the_upstream_as_sent(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    body = {**CHAT, "seed": 2**70, "user": "teller-7", "temperature": 0.5}
    with upstreams("a") as (a,), _app(tmp_path, gw_catalog, [a.url]) as client:
        response = client.post("/v1/chat/completions", headers=bearer(make_key()), json=body)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == "a: hi there"
        sent = a.requests[-1]
    assert (sent["seed"], sent["user"], sent["temperature"]) == (2**70, "teller-7", 0.5)
    assert sent["model"] == "up"


def test_all_backends_down_is_503_with_retry_after(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    key = make_key()
    with upstreams("a") as (a,):
        url = a.url
    with _app(tmp_path, gw_catalog, [url]) as client:
        for _ in range(4):
            response = client.post("/v1/chat/completions", headers=bearer(key), json=CHAT)
            assert response.status_code == 503
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["error"]["code"] == "no_backend_available"


def test_fallback_alias_answers_when_the_pool_is_down(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    with upstreams("a") as (dead,):
        dead_url = dead.url
    with upstreams("backup") as (backup,):
        pools = {"chat": [{"url": dead_url, "model": "up"}], "spare": [{"url": backup.url}]}
        settings = make_settings(tmp_path, pools=pools, fallbacks={"chat": ["spare"]})
        with TestClient(create_app(settings, catalog=gw_catalog)) as client:
            response = client.post("/v1/chat/completions", headers=bearer(make_key()), json=CHAT)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "backup: hi there"


def _events(text: str) -> list[str]:
    assert text.endswith("\n\n")
    blocks = text.strip("\n").split("\n\n")
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks)
    return [b[len("data: ") :] for b in blocks]


def test_stream_is_openai_sse_ending_with_done(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    with upstreams("a") as (a,), _app(tmp_path, gw_catalog, [a.url]) as client:
        response = client.post(
            "/v1/chat/completions", headers=bearer(make_key()), json={**CHAT, "stream": True}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.strip() == "a: hi there"


def test_cut_stream_ends_with_an_error_event(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    with upstreams("a", cut=True) as (a,), _app(tmp_path, gw_catalog, [a.url]) as client:
        response = client.post(
            "/v1/chat/completions", headers=bearer(make_key()), json={**CHAT, "stream": True}
        )
    events = _events(response.text)
    last = json.loads(events[-1])
    assert last["error"]["code"] == "stream_interrupted"
    assert "[DONE]" not in events


def test_local_generator_answers_and_streams(
    client: TestClient, make_key: MakeKey, gw_catalog: Catalog, tiny_generator: Path
) -> None:
    from strata.models.layers import ModelKind
    from strata.models.store import ModelStore

    ModelStore(gw_catalog).add_folder(tiny_generator, kind=ModelKind.GENERATOR, name="tiny-lm")
    body = {
        "model": "l0/tiny-lm",
        "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 4,
    }
    data = client.post("/v1/chat/completions", headers=bearer(make_key()), json=body).json()
    assert data["object"] == "chat.completion"
    assert data["usage"]["completion_tokens"] == 4
    streamed = client.post(
        "/v1/chat/completions", headers=bearer(make_key()), json={**body, "stream": True}
    )
    assert _events(streamed.text)[-1] == "[DONE]"


def test_breaker_ejects_after_three_failures_and_probes_back() -> None:
    settings = ServeSettings(breaker_failures=3, breaker_cooldown_s=5.0)
    breaker, now = Breaker(), 100.0
    for _ in range(3):
        assert breaker.available(now)
        breaker.failure(now, settings)
    assert not breaker.available(now + 4.9)
    assert breaker.available(now + 5.0)
    breaker.probing = True
    assert not breaker.available(now + 5.0)  # one probe at a time
    breaker.success()
    assert breaker.state == "closed"


def test_breaker_ejects_a_backend_failing_for_the_window() -> None:
    settings = ServeSettings(breaker_failures=100, breaker_window_s=5.0)
    breaker = Breaker()
    breaker.failure(0.0, settings)
    breaker.failure(5.0, settings)
    assert breaker.state == "open"


class _Dead:
    name = "dead"
    price_per_1k_tokens = 0.0


def test_router_with_everything_ejected_answers_at_once() -> None:
    router = Router(ServeSettings(retry_backoff_s=0.0), clock=lambda: 10.0)
    router.add_pool("x", [_Dead()])  # type: ignore[list-item]
    router.breakers["dead"].open_until = 13.2

    async def never(_: object) -> None:
        raise AssertionError("an ejected backend must not be called")

    with pytest.raises(Exception) as raised:
        asyncio.run(router.call(["x"], never))
    assert raised.value.context["retry_after"] == 4  # type: ignore[attr-defined]
    assert not isinstance(raised.value, BackendDown)
