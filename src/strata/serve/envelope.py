"""The one edge handler: any error becomes OpenAI's envelope
{"error": {"message", "type", "param", "code"}}.

Malformed input (bad JSON, a failed validation) is a 400; unknown routes 404; only Strata's own
errors choose other statuses.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from strata.core.errors import StrataError
from strata.serve.errors import FilterRejected, GatewayError

log = logging.getLogger(__name__)

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


def envelope(message: str, status: int, code: str, param: str | None = None) -> dict[str, Any]:
    """The OpenAI error body."""
    kind = _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _headers(exc: StrataError) -> dict[str, str]:
    retry = exc.context.get("retry_after")
    return {"Retry-After": str(retry)} if retry is not None else {}


def _strata(exc: StrataError) -> JSONResponse:
    code = exc.filter_name if isinstance(exc, FilterRejected) else exc.code
    message = exc.message if exc.hint is None else f"{exc.message} Hint: {exc.hint}"
    body = envelope(message, exc.status, code, exc.context.get("param"))
    if isinstance(exc, GatewayError):
        body["error"]["type"] = exc.kind
    return JSONResponse(body, status_code=exc.status, headers=_headers(exc))


def _validation(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return JSONResponse(
            envelope("The request body is not valid JSON.", 400, "invalid_json"), status_code=400
        )
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    if not loc:
        message = "The request body must be a JSON object (send Content-Type: application/json)."
        return JSONResponse(envelope(message, 400, "invalid_json"), status_code=400)
    param = ".".join(loc) or None
    message = f"Invalid request: {param or 'body'}: {first.get('msg', 'invalid value')}."
    return JSONResponse(envelope(message, 400, "invalid_request", param), status_code=400)


def error_response(exc: Exception) -> Response:
    """The response for any error (used by the exception handlers and the key gate)."""
    if isinstance(exc, StrataError):
        return _strata(exc)
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, HTTPException):
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        return JSONResponse(
            envelope(str(exc.detail), exc.status_code, code),
            status_code=exc.status_code,
            headers=exc.headers,
        )
    log.exception("unexpected error in the gateway", exc_info=exc)
    return JSONResponse(
        envelope(f"Internal error: {type(exc).__name__}.", 500, "internal_error"), status_code=500
    )


async def handle_error(request: Request, exc: Exception) -> Response:
    """The edge handler FastAPI calls for every exception type."""
    return error_response(exc)
