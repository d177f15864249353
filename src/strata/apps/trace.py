"""What a run leaves behind: a trace per step (inputs, outputs, latency, models, verdicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strata.core.errors import StrataError

_MAX_LIST = 16


def error_dict(exc: StrataError) -> dict[str, Any]:
    """The error as stored in a trace: code, message, hint."""
    return {"code": exc.code, "status": exc.status, "message": exc.message, "hint": exc.hint}


def shorten(value: Any) -> Any:
    """A copy for storage: long lists of numbers (vectors) keep their first values and a count."""
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > _MAX_LIST and all(isinstance(v, int | float) for v in value):
            return [*value[:_MAX_LIST], f"... {len(value)} values"]
        return [shorten(v) for v in value]
    return value


@dataclass
class StepTrace:
    """One step of one run."""

    step: str
    uses: str
    status: str = "pending"
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    latency_ms: float = 0.0
    attempts: int = 0
    models: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    exception: StrataError | None = None

    def fail(self, exc: StrataError) -> None:
        """Mark the step failed with this error."""
        self.status, self.error, self.exception, self.outputs = "failed", error_dict(exc), exc, None

    def to_dict(self, *, compact: bool = False) -> dict[str, Any]:
        """A JSON-ready view (vectors shortened when `compact`)."""
        data = {
            "step": self.step, "uses": self.uses, "status": self.status, "inputs": self.inputs,
            "outputs": self.outputs, "latency_ms": round(self.latency_ms, 3),
            "attempts": self.attempts, "models": self.models, "verdicts": self.verdicts,
            "error": self.error,
        }  # fmt: skip
        return shorten(data) if compact else data


@dataclass
class RunResult:
    """One run: its status, output, error and step traces."""

    run_id: str
    app: str
    version: int
    input: dict[str, Any]
    status: str = "succeeded"
    output: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    steps: list[StepTrace] = field(default_factory=list)
    latency_ms: float = 0.0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    exception: StrataError | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the whole run and its trace."""
        return {
            "run_id": self.run_id, "app": self.app, "version": self.version,
            "status": self.status, "input": self.input, "output": self.output,
            "error": self.error, "latency_ms": round(self.latency_ms, 3),
            "started_at": self.started_at.isoformat(),
            "steps": [s.to_dict(compact=True) for s in self.steps],
        }  # fmt: skip

    def raise_for_status(self) -> RunResult:
        """The result itself, or the error of the step that failed (with the run id)."""
        if self.exception is not None:
            self.exception.context.setdefault("run_id", self.run_id)
            raise self.exception
        return self
