"""Generator backends the router calls: OpenAI-compatible upstreams (over one shared, pooled
HTTP client) and local causal LM folders (run in a worker thread). Both answer in OpenAI's
chat-completion shape."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpcore2
import httpx2
import orjson

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


# What an upstream can fail with at the transport level (httpcore2 has no common base class).
TRANSPORT_ERRORS = (
    httpcore2.NetworkError,
    httpcore2.TimeoutException,
    httpcore2.ProtocolError,
    httpcore2.ProxyError,
    httpcore2.UnsupportedProtocol,
)


# What a pooled keep-alive connection fails with when the server closed it just as it was reused
# (the server's idle timeout and the client's expiry race): before any reply, so sent once more.
STALE_ERRORS = (httpcore2.ReadError, httpcore2.WriteError, httpcore2.RemoteProtocolError)

# Idle connections are dropped before the keep-alive timeout of common servers (uvicorn and
# Node.js close after 5 s), so the pool rarely hands out one the server is closing.
KEEPALIVE_EXPIRY_S = 4.0


class UpstreamClient:
    """The HTTP/1.1 connection pool every upstream backend of one gateway shares.

    It drives httpcore2, the pool under httpx2, directly: the gateway only POSTs JSON and relays
    the bytes it gets, and skipping httpx2's request and response models saved 20-40% of the
    client's CPU per call against a loopback upstream (docs/benchmarks.md, gateway overhead).
    Like httpx2 it honours the `HTTP(S)_PROXY`, `ALL_PROXY` and `NO_PROXY` variables and
    `SSL_CERT_FILE`. Backends ask for `Accept-Encoding: identity`, so a body passes through as sent.
    """

    def __init__(
        self, *, connect_s: float, read_s: float, max_connections: int = 512, shards: int = 4
    ) -> None:
        self.timeouts = {"connect": connect_s, "read": read_s, "write": read_s, "pool": read_s}
        self.max_connections = max_connections
        self.shards = shards
        self._pools: dict[str | None, list[httpcore2.AsyncConnectionPool]] = {}
        self._by_url: dict[str, list[httpcore2.AsyncConnectionPool]] = {}
        self._turn = 0

    def pool(self, url: str) -> httpcore2.AsyncConnectionPool:
        """A pool for a URL: direct, or through the proxy the environment names for it (looked
        up once per URL, as httpx2 reads the environment once per client).

        Requests take the `shards` pools of a route in turn: httpcore2 probes every idle
        connection of a pool (a poll() each) whenever it assigns or releases one, so under many
        concurrent requests smaller pools cost less CPU per request.
        """
        pools = self._by_url.get(url)
        if pools is None:
            proxy = _proxy_for(url)
            if proxy not in self._pools:
                self._pools[proxy] = [self._new_pool(proxy) for _ in range(self.shards)]
            pools = self._by_url[url] = self._pools[proxy]
        self._turn = (self._turn + 1) % len(pools)
        return pools[self._turn]

    def _new_pool(self, proxy: str | None) -> httpcore2.AsyncConnectionPool:
        size = max(1, self.max_connections // self.shards)
        return httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            proxy=httpcore2.Proxy(proxy) if proxy else None,
            max_connections=size,
            max_keepalive_connections=max(1, size // 4),
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for pools in self._pools.values():
            for pool in pools:
                await pool.aclose()
        self._pools.clear()
        self._by_url.clear()


def _proxy_for(url: str) -> str | None:
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _dumps(body: dict[str, Any]) -> bytes:
    """Compact JSON bytes; orjson on the hot path, the standard library for what it refuses
    (integers past 64 bits, which a client may put in a pass-through field)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()


async def _stream_lines(response: httpcore2.Response, name: str) -> AsyncIterator[str]:
    """The lines of a streamed body (splitting bytes on newlines is safe in UTF-8)."""
    rest = b""
    try:
        async for chunk in response.aiter_stream():
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
    except TRANSPORT_ERRORS as exc:
        raise BackendDown(f"Upstream {name} broke the stream: {exc!r}") from exc
    if rest:
        yield rest.rstrip(b"\r").decode("utf-8", "replace")


class UpstreamBackend:
    """An OpenAI-compatible server; retryable failures raise BackendDown."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        client: UpstreamClient,
        api_key_env: str | None = None,
        price_per_1k_tokens: float = 0.0,
    ) -> None:
        self.name = f"{url.rstrip('/')}#{model}"
        self.url = f"{url.rstrip('/')}/chat/completions"
        self.model = model
        self.client = client
        self.api_key_env = api_key_env
        self.price_per_1k_tokens = price_per_1k_tokens
        host = urlsplit(self.url).netloc.rsplit("@", 1)[-1].encode("ascii")
        self._headers = [
            (b"Host", host),
            (b"Accept", b"*/*"),
            (b"Accept-Encoding", b"identity"),  # uncompressed: the body is passed through
            (b"Content-Type", b"application/json"),
            (b"User-Agent", b"strata-gateway"),
        ]

    def _request(self, body: dict[str, Any]) -> httpcore2.Request:
        content = _dumps({**body, "model": self.model})
        headers = [*self._headers, (b"Content-Length", str(len(content)).encode("ascii"))]
        auth = bearer_from_env(self.api_key_env, f"Upstream {self.name}")
        headers += [(k.encode(), v.encode()) for k, v in auth.items()]
        extensions = {"timeout": self.client.timeouts}
        return httpcore2.Request(
            "POST", self.url, headers=headers, content=content, extensions=extensions
        )

    async def _send(self, body: dict[str, Any]) -> httpcore2.Response:
        """The upstream's response (status and headers read); every failure is BackendDown.

        A connection that breaks before any reply is most likely a keep-alive connection the
        server closed as it was reused, so the request is sent once more on another."""
        pool = self.client.pool(self.url)
        try:
            try:
                return await pool.handle_async_request(self._request(body))
            except STALE_ERRORS:
                return await pool.handle_async_request(self._request(body))
        except TRANSPORT_ERRORS as exc:
            raise self._down(f"could not be reached: {exc!r}") from exc

    async def complete(self, body: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """The upstream's JSON bytes (passed through as sent) and the parsed body."""
        response = await self._send(body)
        try:
            content = await response.aread()
        except TRANSPORT_ERRORS as exc:
            raise self._down(f"broke off its reply: {exc!r}") from exc
        finally:
            await response.aclose()
        if response.status >= 400:
            self._check(response.status, content.decode("utf-8", "replace"))
        try:
            data = orjson.loads(content)
        except ValueError as exc:
            text = content[:200].decode("utf-8", "replace")
            raise self._down(f"sent a reply that is not JSON: {text}") from exc
        return content, data

    async def open_stream(self, body: dict[str, Any]) -> StreamHandle:
        """Send a streaming request; returns once the upstream answered with a status."""
        response = await self._send(body)
        if response.status >= 400:
            try:
                text = (await response.aread()).decode("utf-8", "replace")
            except TRANSPORT_ERRORS as exc:
                text = repr(exc)
            finally:
                await response.aclose()
            self._check(response.status, text)
        return StreamHandle(_stream_lines(response, self.name), response.aclose)

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
