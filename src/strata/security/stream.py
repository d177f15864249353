"""Filtering streamed output chunk by chunk without breaking Server-Sent Events.

`StreamGuard` holds back a short tail (enough for an entity or a deny-listed phrase that straddles
two chunks), runs the post filters on the part before it, and emits the result. `filter_sse`
applies a guard to OpenAI-style `data: {...}` lines and flushes the tail before `data: [DONE]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from strata.security.errors import OutputBlocked

DONE = "data: [DONE]"


class _Verdict(Protocol):
    allowed: bool
    reason: str
    text: str | None

    def to_dict(self) -> dict[str, Any]: ...


class StreamFilter(Protocol):
    """A post filter as the gateway defines it (`strata.security.filters.SecurityFilter`)."""

    name: str

    def check(self, text: str, context: Any) -> Any: ...


def word_cut(text: str, cut: int) -> int:
    """Move `cut` back to just after the last whitespace before it (0 when there is none)."""
    index = max(text.rfind(ch, 0, cut) for ch in (" ", "\n", "\t"))
    return index + 1 if index >= 0 else 0


class StreamGuard:
    """Runs post filters over a stream of text pieces; `feed` then `finish`.

    Args:
        filters: post filters; one with `safe_cut(text, cut) -> int` rewrites (e.g. redacts) and
            chooses where a piece may end; the others only block, and see the piece together
            with the last `tail` characters already emitted.
        context: the request's FilterContext (pseudonyms live in its state).
        tail: characters held back; longer than any entity or phrase to catch.
    """

    def __init__(self, filters: Sequence[StreamFilter], context: Any, tail: int = 96) -> None:
        self.filters = list(filters)
        self.context = context
        self.tail = tail
        self.verdicts: list[dict[str, Any]] = []
        self._pending = ""
        self._emitted = ""

    def feed(self, chunk: str) -> str:
        """Add a chunk; returns the text that is safe to send now (possibly empty)."""
        self._pending += chunk
        if len(self._pending) <= self.tail:
            return ""
        return self._emit(len(self._pending) - self.tail)

    def finish(self) -> str:
        """The rest of the text, filtered, at the end of the stream."""
        return self._emit(len(self._pending)) if self._pending else ""

    def _emit(self, cut: int) -> str:
        final = cut == len(self._pending)
        if not final:
            cut = word_cut(self._pending, cut)
            for flt in self.filters:
                safe = getattr(flt, "safe_cut", None)
                if safe is not None:
                    cut = min(cut, int(safe(self._pending, cut)))
        if cut <= 0:
            return ""
        piece, self._pending = self._pending[:cut], self._pending[cut:]
        for flt in self.filters:
            piece = self._check(flt, piece)
        self._emitted = (self._emitted + piece)[-self.tail :]
        return piece

    def _check(self, flt: StreamFilter, piece: str) -> str:
        rewrites = hasattr(flt, "safe_cut")
        verdict = flt.check(piece if rewrites else self._emitted + piece, self.context)
        self.verdicts.append({**verdict.to_dict(), "phase": "post", "stream": True})
        if not verdict.allowed:
            raise OutputBlocked(
                f"The output was stopped by the security filter {flt.name!r}: {verdict.reason}.",
                filter_name=flt.name,
                hint="Ask the tenant's administrator about its output policy.",
            )
        return str(verdict.text) if rewrites and verdict.text is not None else piece


def filter_sse(lines: Iterable[str], guard: StreamGuard) -> Iterator[str]:
    """Apply `guard` to the `delta.content` of OpenAI-style SSE chunks.

    Each input is one event's `data: ...` line. Content held back joins the chunk with a finish
    reason (or goes in one extra chunk before `[DONE]`); a block ends the stream with an error
    event and `[DONE]`.
    """
    last: dict[str, Any] | None = None
    try:
        for line in lines:
            if not line.startswith("data:") or line.strip() == DONE:
                if line.strip() == DONE:
                    yield from _flush(guard, last)
                    last = None
                yield line
                continue
            event = json.loads(line[5:])
            last = event
            yield from _transform(event, guard)
    except OutputBlocked as exc:
        body = {
            "error": {
                "message": exc.message,
                "type": "invalid_request_error",
                "param": None,
                "code": exc.filter_name,
            }
        }
        yield f"data: {json.dumps(body)}"
        yield DONE


def _transform(event: dict[str, Any], guard: StreamGuard) -> Iterator[str]:
    choice = (event.get("choices") or [{}])[0]
    delta = choice.get("delta")
    if isinstance(delta, dict) and isinstance(delta.get("content"), str):
        delta["content"] = guard.feed(delta["content"])
    if choice.get("finish_reason") and isinstance(delta, dict):
        delta["content"] = (delta.get("content") or "") + guard.finish()
    yield f"data: {json.dumps(event, ensure_ascii=False)}"


def _flush(guard: StreamGuard, template: dict[str, Any] | None) -> Iterator[str]:
    rest = guard.finish()
    if not rest:
        return
    event = dict(template or {"object": "chat.completion.chunk"})
    event["choices"] = [{"index": 0, "delta": {"content": rest}, "finish_reason": None}]
    yield f"data: {json.dumps(event, ensure_ascii=False)}"
