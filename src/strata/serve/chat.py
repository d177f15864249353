"""Chat completions through the router: quota reserved before the call and reconciled after,
filters around it, SSE relayed exactly as the upstream sends it (ending `data: [DONE]`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import Response
from fastapi.sse import EventSourceResponse

from strata.security.filters import FilterContext
from strata.serve.backends import BackendDown, ChatBackend, StreamHandle, synthesize_stream
from strata.serve.envelope import envelope
from strata.serve.gate import RequestState
from strata.serve.quotas import Reservation
from strata.serve.schemas import ChatRequest, estimate_tokens, message_text
from strata.serve.services import Services


class _Call:
    """One chat request on its way: caller, body, reservation and price."""

    def __init__(self, services: Services, state: RequestState, body: ChatRequest) -> None:
        self.services = services
        self.state = state
        self.raw: dict[str, Any] = body.model_dump(exclude_unset=True, exclude_none=True)
        self.stream = body.stream
        self.max_tokens = (
            body.max_tokens or body.max_completion_tokens or services.serve.default_max_tokens
        )
        self.context = FilterContext(state.principal.tenant, state.entry.request_id)
        self.reservation: Reservation | None = None
        self.price = 0.0

    def reconcile(self, prompt: int, completion: int) -> None:
        """Charge what was used instead of what was reserved; record it for audit and metrics."""
        entry = self.state.entry
        entry.prompt_tokens, entry.completion_tokens = prompt, completion
        if self.reservation is not None:
            used = prompt + completion
            self.services.quotas.reconcile(self.reservation, used, used * self.price / 1000)
            self.reservation = None
        self.services.metrics.prompt_tokens.inc(prompt)
        self.services.metrics.completion_tokens.inc(completion)


async def chat_completion(services: Services, state: RequestState, body: ChatRequest) -> Response:
    """Route one chat request; returns JSON, or an SSE stream when `stream` is true."""
    call = _Call(services, state, body)
    state.entry.model = body.model
    names = services.chat_names(body.model, state.principal)
    texts = await _pre_filter(call)
    call.price = _price(services, names)
    state.entry.prompt_tokens = estimate_tokens(texts)
    tokens = state.entry.prompt_tokens + call.max_tokens
    call.reservation = services.quotas.reserve(state.principal, tokens, tokens * call.price / 1000)
    try:
        if call.stream and not services.filters.filters(call.context.tenant, "post"):
            return await _stream(call, names)
        return await _complete(call, names)
    except BaseException:
        call.reconcile(0, 0)  # nothing was produced: give the reservation back
        raise


def _price(services: Services, names: list[str]) -> float:
    if not names:
        return 0.0
    return max(
        (b.price_per_1k_tokens for b in services.router.pool(names[0]).backends), default=0.0
    )


async def _pre_filter(call: _Call) -> list[str]:
    messages = call.raw["messages"]
    texts = [message_text(m) for m in messages]
    if call.state.principal.tenant in call.services.serve.log_prompts:
        call.state.entry.prompt = json.dumps(texts)[:20_000]
    if not call.services.filters.active(call.context.tenant):
        return texts
    out = await asyncio.to_thread(
        call.services.filters.apply, "pre", texts, call.context, call.state.entry.verdicts
    )
    for message, before, after in zip(messages, texts, out, strict=True):
        if before != after:
            message["content"] = after
    return out


async def _complete(call: _Call, names: list[str]) -> Response:
    body = {**call.raw, "stream": False}
    body.pop("stream_options", None)

    async def send(backend: ChatBackend) -> tuple[bytes, dict[str, Any]]:
        return await backend.complete(body)

    _, (content, data) = await call.services.router.call(names, send)
    usage = data.get("usage") or {}
    call.reconcile(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))
    if await _post_filter(call, data):
        content = json.dumps(data).encode("utf-8")
    if call.stream:
        return EventSourceResponse(_sse(synthesize_stream(data)))
    return Response(content, media_type="application/json")


async def _post_filter(call: _Call, data: dict[str, Any]) -> bool:
    """Run post filters on the answer; True when a filter rewrote it."""
    if not call.services.filters.filters(call.context.tenant, "post"):
        return False
    message = data["choices"][0].get("message", {})
    text = message.get("content") or ""
    out = await asyncio.to_thread(
        call.services.filters.apply, "post", [text], call.context, call.state.entry.verdicts
    )
    if out[0] == text:
        return False
    message["content"] = out[0]
    return True


async def _sse(payloads: list[str]) -> AsyncIterator[str]:
    for payload in payloads:
        yield f"data: {payload}\n\n"


async def _stream(call: _Call, names: list[str]) -> Response:
    async def open_stream(backend: ChatBackend) -> StreamHandle:
        return await backend.open_stream(call.raw)

    _, handle = await call.services.router.call(names, open_stream)
    return EventSourceResponse(_relay(call, handle))


def _stream_error(message: str) -> str:
    body = envelope(message, 502, "stream_interrupted")
    return f"data: {json.dumps(body)}\n\n"


async def _relay(call: _Call, handle: StreamHandle) -> AsyncIterator[str]:
    """Pass SSE events through; a cut stream ends with an error event, never a hang."""
    chunks, usage, done = 0, None, False
    try:
        async for line in handle.lines:
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                done = True
                yield "data: [DONE]\n\n"
                break
            if '"usage"' in payload:
                usage = _usage(payload) or usage
            chunks += 1
            yield f"data: {payload}\n\n"
        if not done:
            call.state.entry.error_code = "stream_interrupted"
            yield _stream_error("The upstream closed the stream before it finished.")
    except BackendDown as exc:  # the backend turns transport errors into this
        call.state.entry.error_code = "stream_interrupted"
        yield _stream_error(exc.message)
    finally:
        await handle.close()
        prompt, completion = usage or (call.state.entry.prompt_tokens, max(0, chunks - 2))
        call.reconcile(prompt, completion)


def _usage(payload: str) -> tuple[int, int] | None:
    try:
        usage = json.loads(payload).get("usage") or {}
    except (ValueError, AttributeError):
        return None
    if not usage:
        return None
    return int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
