"""The error family: one root with a code, an HTTP status and a hint; every domain subclasses it."""

from __future__ import annotations

from typing import Any, ClassVar


class StrataError(Exception):
    """Root of every error Strata raises on purpose.

    Args:
        message: what failed and the value received.
        hint: the next step a person should take.
        **context: structured details (names, values) kept for logs and API bodies.
    """

    code: ClassVar[str] = "strata_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = context

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} (hint: {self.hint})"


class InvalidInput(StrataError):
    """Input that fails validation: a bad argument, file, reference or value."""

    code = "invalid_input"
    status = 400


class NotFound(StrataError):
    """Something named does not exist."""

    code = "not_found"
    status = 404


class Conflict(StrataError):
    """The request clashes with what already exists."""

    code = "conflict"
    status = 409


class ConfigError(StrataError):
    """A setting or configuration file is wrong."""

    code = "config_error"
    status = 500


class DependencyMissing(StrataError):
    """An optional extra or system component is not installed."""

    code = "dependency_missing"
    status = 501


class PluginNotFound(NotFound):
    """No plugin of that name in its entry-point group."""

    code = "plugin_not_found"


class UpstreamError(StrataError):
    """A service Strata calls (an endpoint, a database) failed or could not be reached."""

    code = "upstream_error"
    status = 502


def error_body(error: StrataError) -> dict[str, Any]:
    """The JSON body every Strata API and page uses for an error."""
    return {
        "ok": False,
        "status": error.status,
        "error": {"code": error.code, "message": error.message, "hint": error.hint},
    }
