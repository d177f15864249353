"""A streaming OpenAI-compatible chat server on loopback (chat and SSE, optional cut stream)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from fixtures.openai_server import free_port


def _chunk(content: str | None, finish: str | None) -> str:
    delta = {} if content is None else {"content": content}
    body = {
        "id": "chatcmpl-up",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "up",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


def create_app(name: str, cut: bool, seen: list[dict[str, Any]]) -> FastAPI:
    """Answers `NAME: <last message>`; streams it word by word; `cut` drops the stream midway;
    keeps each request body it got in `seen`."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(body: dict[str, Any]) -> Any:
        seen.append(body)
        text = f"{name}: {body['messages'][-1]['content']}"
        if not body.get("stream"):
            return {
                "id": "chatcmpl-up",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7},
            }

        async def events() -> AsyncIterator[str]:
            for word in text.split(" "):
                yield _chunk(word + " ", None)
            if cut:
                raise RuntimeError("upstream dies mid-stream")
            yield _chunk(None, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class Upstream:
    """A running upstream that a test can stop (kill) while the gateway runs."""

    def __init__(self, name: str, cut: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.requests: list[dict[str, Any]] = []
        config = uvicorn.Config(
            create_app(name, cut, self.requests),
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Upstream:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def upstreams(*names: str, cut: bool = False) -> Iterator[list[Upstream]]:
    """Start one upstream per name; stop them all at the end."""
    running = [Upstream(name, cut).start() for name in names]
    try:
        yield running
    finally:
        for upstream in running:
            if upstream.thread.is_alive():
                upstream.stop()
