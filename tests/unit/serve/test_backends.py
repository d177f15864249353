"""Upstream backends: proxies come from the environment; streamed lines survive any chunking;
a broken stream becomes BackendDown; a keep-alive connection the server closed as it was
reused is retried once on another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpcore2
import pytest

from strata.serve.backends import (
    BackendDown,
    UpstreamBackend,
    UpstreamClient,
    _proxy_for,
    _stream_lines,
)

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert _proxy_for("http://10.0.0.5:8000/v1/chat/completions") is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,models.internal")
    assert _proxy_for("http://10.0.0.5:8000/v1/chat/completions") == "http://proxy.internal:3128"
    assert _proxy_for("http://models.internal:8000/v1/chat/completions") is None
    assert _proxy_for("http://127.0.0.1:8000/v1/chat/completions") is None
    assert _proxy_for("https://api.example.com/v1/chat/completions") is None  # no HTTPS_PROXY


class _Streamed:
    """Stands in for an httpcore2 response: its body in the given chunks, then maybe an error."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error

    async def aiter_stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


def _read(response: Any) -> list[str]:
    async def collect() -> list[str]:
        return [line async for line in _stream_lines(response, "up#m")]

    return asyncio.run(collect())


def test_stream_lines_survive_chunks_cut_anywhere() -> None:
    body = 'data: {"content": "café"}\r\n\r\ndata: [DONE]\n\n'.encode()
    expected = ['data: {"content": "café"}', "", "data: [DONE]", ""]
    for cut in range(len(body) + 1):
        assert _read(_Streamed([body[:cut], body[cut:]])) == expected


def test_a_broken_stream_is_backend_down() -> None:
    broken = _Streamed([b"data: {}\n\n"], httpcore2.RemoteProtocolError("peer closed"))
    with pytest.raises(BackendDown, match="broke the stream"):
        _read(broken)


REPLY = b'{"id":"c","object":"chat.completion","choices":[]}'
BODY = {"messages": [{"role": "user", "content": "hi"}]}


@dataclass
class Flaky:
    """A keep-alive HTTP server on loopback that drops the connection of the requests numbered
    in `dropped` (1-based, over all connections) after reading them, as a server closing an idle
    connection does; `seen` counts the requests of each connection."""

    dropped: set[int]
    seen: list[int] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        index = len(self.seen)
        self.seen.append(0)
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            self.seen[index] += 1
            if sum(self.seen) in self.dropped:
                writer.transport.abort()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(REPLY)}\r\n\r\n".encode()
                + REPLY
            )
            await writer.drain()

    async def run(self, calls: int) -> list[bytes | BackendDown]:
        """Send `calls` chat requests one after the other through one backend."""
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = UpstreamClient(connect_s=2, read_s=2, shards=1)
        backend = UpstreamBackend(url=f"http://127.0.0.1:{port}/v1", model="m", client=client)
        results: list[bytes | BackendDown] = []
        for _ in range(calls):
            try:
                results.append((await backend.complete(BODY))[0])
            except BackendDown as exc:
                results.append(exc)
        await client.aclose()
        for writer in self.writers:
            writer.transport.abort()
        server.close()
        await server.wait_closed()
        return results


def test_a_connection_closed_as_it_is_reused_is_retried_once_on_another() -> None:
    upstream = Flaky(dropped={2})
    assert asyncio.run(upstream.run(2)) == [REPLY, REPLY]
    assert upstream.seen == [2, 1]  # the second call broke on the pooled connection, then a new one


def test_a_request_that_breaks_on_the_retry_too_is_backend_down() -> None:
    upstream = Flaky(dropped={2, 3})
    first, second = asyncio.run(upstream.run(2))
    assert first == REPLY
    assert isinstance(second, BackendDown) and "could not be reached" in second.message
    assert upstream.seen == [2, 1]  # one retry, not more
