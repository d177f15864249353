"""The key gate: a pure ASGI middleware in front of every route but /health.

It answers 401 before the body is read, checks the route's scope and the body size cap, and
records exactly one audit record (and the metrics) for every authenticated request.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strata.core.errors import StrataError
from strata.serve.audit import AuditEntry
from strata.serve.auth import Principal
from strata.serve.envelope import error_response
from strata.serve.errors import BodyTooLarge, GatewayError
from strata.serve.services import Services

OPEN_PATHS = frozenset({"/health"})
KNOWN_ROUTES = frozenset(
    {
        "/v1/models",
        "/v1/embeddings",
        "/v1/chat/completions",
        "/v1/classifications",
        "/ready",
        "/metrics",
        "/v1/admin/audit/verify",
        "/v1/admin/keys",
    }
)


@dataclass
class RequestState:
    """What a route handler may read (the caller) and fill in (the audit record)."""

    principal: Principal
    entry: AuditEntry


def request_state(scope: Scope) -> RequestState:
    """The state the gate attached to this request."""
    state: RequestState = scope["state"]["strata"]
    return state


def _scope_needed(path: str) -> str | None:
    if path == "/metrics" or path.startswith("/v1/admin"):
        return "admin"
    if path.startswith("/v1/lake"):
        return "lake"
    if path.startswith("/v1/"):
        return "inference"
    return None


def _route(path: str) -> str:
    if path in KNOWN_ROUTES:
        return path
    return "/v1/lake/{dataset}/records" if path.startswith("/v1/lake/") else "other"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class KeyGate:
    """Authenticate, authorise, cap the body, audit."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services
        # Request ids need to be unique, not secret: no system call (and GIL hand-off) per request.
        self._ids = random.Random(secrets.randbits(128))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            who = await self.services.auth.authenticate(_header(scope, b"authorization"))
        except GatewayError as exc:
            await error_response(exc)(scope, receive, send)
            return
        entry = AuditEntry(
            request_id=f"{self._ids.getrandbits(64):016x}",
            tenant=who.tenant,
            key_id=who.key_id,
            method=scope["method"],
            path=scope["path"][:300],
            created_at=datetime.now(UTC),
        )
        scope.setdefault("state", {})["strata"] = RequestState(who, entry)
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", entry.request_id.encode()),
                ]
            await send(message)

        try:
            await self._guarded(scope, receive, send_wrapper, who)
        finally:
            self._finish(entry, status[0], start)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, who: Principal) -> None:
        try:
            needed = _scope_needed(scope["path"])
            if needed:
                who.require(needed)
            receive = await self._capped(scope, receive)
        except StrataError as exc:
            request_state(scope).entry.error_code = exc.code
            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _capped(self, scope: Scope, receive: Receive) -> Receive:
        cap = self.services.serve.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > cap:
                raise _too_large(int(length), cap)
            return receive
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return receive
        body, more = b"", True
        while more:  # no length given: read up to the cap, then replay
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > cap:
                raise _too_large(len(body), cap)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    def _finish(self, entry: AuditEntry, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        entry.status = status
        entry.latency_ms = elapsed * 1000
        self.services.audit.record(entry)
        self.services.metrics.answered(_route(entry.path), status, elapsed)


def _too_large(size: int, cap: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"The request body has {size} bytes; the limit is {cap}.",
        hint="Send fewer inputs per request, or raise serve.max_body_bytes.",
    )
