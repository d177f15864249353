"""Upstream backends: proxies come from the environment; streamed lines survive any chunking;
a broken stream becomes BackendDown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpcore2
import pytest

from strata.serve.backends import BackendDown, _proxy_for, _stream_lines

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
