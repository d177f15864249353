"""Errors of the security package: blocked egress, bad policies, rejected content."""

from __future__ import annotations

from strata.core.errors import ConfigError, InvalidInput, StrataError


class SecurityError(StrataError):
    """Root of the security package's errors."""

    code = "security_error"
    status = 400


class EgressBlocked(SecurityError):
    """An outbound request was refused: a private address, a bad scheme, too big or too slow."""

    code = "egress_blocked"
    status = 403


class InvalidPolicy(ConfigError):
    """A security policy file or entry is wrong."""

    code = "invalid_policy"


class InvalidPiiOptions(InvalidInput):
    """PII options (entity names, redaction mode) are wrong."""

    code = "invalid_pii_options"


class OutputBlocked(SecurityError):
    """A post filter refused part of a streamed response; the stream ends with an error event."""

    code = "output_blocked"

    def __init__(self, message: str, *, filter_name: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, filter=filter_name)
        self.filter_name = filter_name
