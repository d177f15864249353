"""Every error is OpenAI's envelope; malformed input is a 4xx, never a 5xx; bodies are capped."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.serve.app import create_app

from .conftest import MakeKey, bearer, make_settings


def _envelope(body: dict[str, object]) -> dict[str, object]:
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_malformed_json_is_400(client: TestClient, make_key: MakeKey) -> None:
    response = client.post(
        "/v1/embeddings",
        headers={**bearer(make_key()), "Content-Type": "application/json"},
        content=b'{"model": "l0/minilm-l6", "input": [',
    )
    assert response.status_code == 400
    assert _envelope(response.json())["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"model": "l0/minilm-l6"},
        {"model": "l0/minilm-l6", "input": []},
        {"model": "l0/minilm-l6", "input": [1, 2]},
        {"model": "", "input": "x"},
        {"model": "not a ref", "input": "x"},
        {"model": "l0/no-such-model", "input": "x"},
        [],
        "text",
    ],
)
def test_bad_embedding_requests_are_4xx(
    client: TestClient, make_key: MakeKey, body: object
) -> None:
    response = client.post("/v1/embeddings", headers=bearer(make_key()), json=body)
    assert 400 <= response.status_code < 500, response.text
    _envelope(response.json())


@pytest.mark.parametrize(
    "body",
    [
        {"model": "x", "messages": []},
        {"model": "x", "messages": [{"role": "wizard", "content": "hi"}]},
        {"model": "x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1},
        {"model": "l0/nothing", "messages": [{"role": "user", "content": "hi"}]},
        {"model": "l0/minilm-l6", "messages": [{"role": "user", "content": "hi"}]},
    ],
)
def test_bad_chat_requests_are_4xx(client: TestClient, make_key: MakeKey, body: object) -> None:
    response = client.post("/v1/chat/completions", headers=bearer(make_key()), json=body)
    assert 400 <= response.status_code < 500, response.text
    _envelope(response.json())


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"model": "x", "messages": [', "invalid_json"),
        (b"", "invalid_json"),
        (b"[]", "invalid_json"),
        (b'"text"', "invalid_json"),
        (b'{"model": "x"}', "invalid_request"),
    ],
)
def test_malformed_chat_bodies_are_400_with_the_reason(
    client: TestClient, make_key: MakeKey, content: bytes, code: str
) -> None:
    headers = {**bearer(make_key()), "Content-Type": "application/json"}
    response = client.post("/v1/chat/completions", headers=headers, content=content)
    assert response.status_code == 400, response.text
    error = _envelope(response.json())
    assert error["code"] == code
    if code == "invalid_request":
        assert error["param"] == "messages"


def test_chat_is_documented_in_openapi(client: TestClient, make_key: MakeKey) -> None:
    paths = client.get("/openapi.json", headers=bearer(make_key())).json()["paths"]
    assert "ChatRequest" in str(paths["/v1/chat/completions"]["post"]["requestBody"])


def test_unknown_route_is_404_envelope(client: TestClient, make_key: MakeKey) -> None:
    response = client.get("/v1/nothing", headers=bearer(make_key()))
    assert response.status_code == 404
    assert _envelope(response.json())["type"] == "not_found_error"


def test_body_size_cap(tmp_path: Path, make_key: MakeKey) -> None:
    settings = make_settings(tmp_path, max_body_bytes=1000)
    catalog = Catalog(settings.catalog_url)
    key = make_key()
    with TestClient(create_app(settings, catalog=catalog)) as client:
        big = {"model": "l0/minilm-l6", "input": "x" * 5000}
        response = client.post("/v1/embeddings", headers=bearer(key), json=big)
        assert response.status_code == 413
        assert _envelope(response.json())["code"] == "request_too_large"

        def chunks():  # no Content-Length: the gate counts while reading
            yield b'{"model": "l0/minilm-l6", "input": "'
            yield b"x" * 5000
            yield b'"}'

        streamed = client.post("/v1/embeddings", headers=bearer(key), content=chunks())
        assert streamed.status_code == 413
    catalog.dispose()
