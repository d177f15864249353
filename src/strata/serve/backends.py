"""Generator backends the router calls: OpenAI-compatible upstreams (async, httpx2) and local
causal LM folders (run in a worker thread). Both answer in OpenAI's chat-completion shape."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx2

from strata.models.backends.base import ChatMessage, Generator
from strata.models.backends.endpoint import bearer_from_env
from strata.models.errors import EndpointError


class BackendDown(EndpointError):
    """A backend failed in a way another backend may not: unreachable, 5xx, 429, timeout."""

    code = "backend_unavailable"


@dataclass(frozen=True)
class StreamHandle:
    """An open stream: its SSE lines and how to close it."""

    lines: AsyncIterator[str]
    close: Any


class ChatBackend(Protocol):
    """One place a chat completion can be computed."""

    name: str
    price_per_1k_tokens: float

    async def complete(self, body: dict[str, Any]) -> tuple[bytes, dict[str, Any]]: ...

    async def open_stream(self, body: dict[str, Any]) -> StreamHandle: ...


class UpstreamBackend:
    """An OpenAI-compatible server; retryable failures raise BackendDown."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        client: httpx2.AsyncClient,
        api_key_env: str | None = None,
        price_per_1k_tokens: float = 0.0,
    ) -> None:
        self.name = f"{url.rstrip('/')}#{model}"
        self.url = f"{url.rstrip('/')}/chat/completions"
        self._url = httpx2.URL(self.url)  # parsed once, not on every request
        self.model = model
        self.client = client
        self.api_key_env = api_key_env
        self.price_per_1k_tokens = price_per_1k_tokens

    def _headers(self) -> dict[str, str]:
        return bearer_from_env(self.api_key_env, f"Upstream {self.name}")

    def _request(self, body: dict[str, Any]) -> httpx2.Request:
        return self.client.build_request(
            "POST", self._url, json={**body, "model": self.model}, headers=self._headers()
        )

    async def complete(self, body: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """The upstream's JSON bytes and parsed body."""
        try:
            response = await self.client.send(self._request(body))
        except httpx2.HTTPError as exc:
            raise self._down(f"could not be reached: {exc!r}") from exc
        if response.status_code >= 400:
            self._check(response.status_code, response.text)
        content = response.content  # passed through as sent; parsed only for usage and filters
        try:
            data = json.loads(content)
        except ValueError as exc:
            raise self._down(f"sent a reply that is not JSON: {response.text[:200]}") from exc
        return content, data

    async def open_stream(self, body: dict[str, Any]) -> StreamHandle:
        """Send a streaming request; returns once the upstream answered with a status."""
        try:
            response = await self.client.send(self._request(body), stream=True)
        except httpx2.HTTPError as exc:
            raise self._down(f"could not be reached: {exc!r}") from exc
        if response.status_code >= 400:
            text = (await response.aread()).decode("utf-8", "replace")
            await response.aclose()
            self._check(response.status_code, text)
        return StreamHandle(response.aiter_lines(), response.aclose)

    def _check(self, status: int, text: str) -> None:
        if status >= 500 or status == 429:
            raise self._down(f"answered HTTP {status}: {text[:200]}")
        if status >= 400:
            raise EndpointError(
                f"Upstream {self.name} refused the request with HTTP {status}: {text[:300]}",
                hint="Check the request parameters and the model the upstream serves.",
                status=status,
            )

    def _down(self, what: str) -> BackendDown:
        return BackendDown(
            f"Upstream {self.name} {what}",
            hint="Check that the server runs; the gateway retries other backends of the pool.",
        )


def completion(model: str, text: str, usage: tuple[int, int], finish: str) -> dict[str, Any]:
    """An OpenAI chat.completion object."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    """An OpenAI chat.completion.chunk object."""
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def synthesize_stream(data: dict[str, Any]) -> list[str]:
    """SSE `data:` payloads for a finished completion: role, content, finish, usage, [DONE]."""
    cid, model = str(data.get("id", "chatcmpl")), str(data.get("model", ""))
    choice = data["choices"][0]
    text = choice.get("message", {}).get("content") or ""
    payloads = [
        chunk(cid, model, {"role": "assistant", "content": ""}, None),
        chunk(cid, model, {"content": text}, None),
        chunk(cid, model, {}, choice.get("finish_reason") or "stop"),
    ]
    if data.get("usage"):
        payloads.append({**chunk(cid, model, {}, None), "choices": [], "usage": data["usage"]})
    return [*(json.dumps(p, separators=(",", ":")) for p in payloads), "[DONE]"]


async def _lines(payloads: list[str]) -> AsyncIterator[str]:
    for payload in payloads:
        yield f"data: {payload}"


async def _noop() -> None:
    return None


class LocalBackend:
    """A local causal LM folder, run in a worker thread (one generation at a time)."""

    def __init__(self, ref: str, generator: Generator, max_new_tokens: int) -> None:
        self.name = ref
        self.ref = ref
        self.generator = generator
        self.max_new_tokens = max_new_tokens
        self.price_per_1k_tokens = 0.0
        self._lock = asyncio.Lock()

    async def complete(self, body: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """Generate in a thread and shape the answer as OpenAI does."""
        messages = [
            ChatMessage(str(m["role"]), str(m.get("content") or "")) for m in body["messages"]
        ]
        max_tokens = int(body.get("max_tokens") or self.max_new_tokens)
        temperature = float(body.get("temperature") or 0.0)
        async with self._lock:
            result = await asyncio.to_thread(
                self.generator.generate,
                messages,
                max_new_tokens=max_tokens,
                temperature=temperature,
            )
        usage = (result.prompt_tokens, result.completion_tokens)
        data = completion(self.ref, result.text, usage, result.finish_reason)
        return json.dumps(data).encode("utf-8"), data

    async def open_stream(self, body: dict[str, Any]) -> StreamHandle:
        """The whole answer, sent as chunks once generated."""
        _, data = await self.complete(body)
        return StreamHandle(_lines(synthesize_stream(data)), _noop)
