"""The chat fast path: a pure ASGI layer that serves `POST /v1/chat/completions` itself.

Chat is the gateway's busiest route and its request path is what a proxy adds to every call.
This layer sits just inside the key gate and answers the route with the same handler
(`chat_completion`), the same body model (`ChatRequest`, validated by pydantic-core straight from
the raw bytes) and the same error envelope as the FastAPI route, without the framework's routing,
request object, dependency solving and exception middleware. The FastAPI route stays registered:
it documents the route in OpenAPI and serves it wherever this layer is not mounted.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from strata.serve.chat import chat_completion
from strata.serve.envelope import error_response
from strata.serve.gate import request_state
from strata.serve.schemas import ChatRequest
from strata.serve.services import Services

CHAT_PATH = "/v1/chat/completions"


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the key gate has already capped its size)."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_chat(raw: bytes) -> ChatRequest:
    """The chat body, or RequestValidationError shaped as FastAPI raises it (loc under `body`)."""
    try:
        return ChatRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from None


class ChatFastPath:
    """Serve chat completions directly; pass every other request to the app."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CHAT_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            body = parse_chat(await read_body(receive))
            response = await chat_completion(self.services, request_state(scope), body)
        except Exception as exc:  # every error leaves as OpenAI's envelope, as on the route
            response = error_response(exc)
        await response(scope, receive, send)
