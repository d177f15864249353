"""Errors of the gateway, each with the HTTP status and OpenAI error type it answers with."""

from __future__ import annotations

from typing import ClassVar

from strata.core.errors import InvalidInput, StrataError


class GatewayError(StrataError):
    """Root of the gateway's own errors."""

    code = "gateway_error"
    status = 500
    kind: ClassVar[str] = "api_error"


class Unauthorized(GatewayError):
    """No key, an unknown key, or a revoked key."""

    code = "invalid_api_key"
    status = 401
    kind = "authentication_error"


class Forbidden(GatewayError):
    """A valid key without the scope a route needs."""

    code = "insufficient_scope"
    status = 403
    kind = "permission_error"


class RateLimited(GatewayError):
    """A request, token or budget limit is reached; `retry_after` seconds until it frees."""

    code = "rate_limit_exceeded"
    status = 429
    kind = "rate_limit_error"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, retry_after=retry_after)
        self.retry_after = retry_after


class BudgetExceeded(RateLimited):
    """A key's or tenant's budget is spent."""

    code = "budget_exceeded"


class NoBackendAvailable(GatewayError):
    """Every backend of an alias (and its fallbacks) is down or ejected."""

    code = "no_backend_available"
    status = 503
    kind = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, retry_after=retry_after)
        self.retry_after = retry_after


class BodyTooLarge(InvalidInput):
    """A request body over `serve.max_body_bytes`."""

    code = "request_too_large"
    status = 413


class FilterRejected(InvalidInput):
    """A security filter refused the input or the output; `code` names the filter."""

    def __init__(self, message: str, *, filter_name: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, filter=filter_name)
        self.filter_name = filter_name
