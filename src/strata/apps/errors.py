"""Errors of the application framework: specs, runs, releases, knowledge bases and MCP."""

from __future__ import annotations

from strata.core.errors import Conflict, InvalidInput, NotFound, StrataError, UpstreamError


class InvalidAppSpec(InvalidInput):
    """An app spec that fails validation; the message names the step and the field."""

    code = "invalid_app_spec"


class InvalidAppInput(InvalidInput):
    """Run input that does not match the app's input schema."""

    code = "invalid_app_input"


class AppNotFound(NotFound):
    """No published app (or version, or alias) of that name."""

    code = "app_not_found"


class RunNotFound(NotFound):
    """No stored run with that id."""

    code = "run_not_found"


class StepFailed(UpstreamError):
    """A step raised, timed out, or exhausted its retries."""

    code = "step_failed"


class StepRejected(InvalidInput):
    """A `check` step's security filter refused the text."""

    code = "step_rejected"


class GateFailed(Conflict):
    """An app version's eval set did not pass its gate, so it cannot take an alias."""

    code = "gate_failed"


class KnowledgeBaseNotFound(NotFound):
    """No knowledge base of that name under STRATA_HOME/kb."""

    code = "kb_not_found"


class McpNotAllowed(StrataError):
    """A stdio MCP command that is not on the admin allow-list (`apps.mcp_allowed_commands`)."""

    code = "mcp_not_allowed"
    status = 403
