"""Security filters the gateway runs around model calls: `pre` on input, `post` on output.

A filter is a plugin in `strata.serve.filters`: a factory `create(options, runtime)` returning an
object with a `name`, a `phase` and `check(text, context) -> Verdict`. Every verdict is logged for
audit. A filter may rewrite the text (redaction) by returning it in `Verdict.text`. The protocol
lives in `security` so both the gateway and apps can run filters; model-backed filters receive the
model runtime from their caller (typed loosely here, since security sits below models).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from strata.core.registry import Registry

Phase = Literal["pre", "post"]


@dataclass(frozen=True)
class Verdict:
    """What a filter decided about one text."""

    filter: str
    allowed: bool
    reason: str = ""
    score: float | None = None
    text: str | None = None  # the rewritten text, when the filter transformed it

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the audit log (never the text itself)."""
        return {
            "filter": self.filter,
            "allowed": self.allowed,
            "reason": self.reason,
            "score": self.score,
            "rewritten": self.text is not None,
        }


@dataclass
class FilterContext:
    """Per-request context: who is calling, and state shared by the filters of one request
    (for example reversible pseudonyms to restore in the response)."""

    tenant: str
    request_id: str
    state: dict[str, Any] = field(default_factory=dict)


class SecurityFilter(Protocol):
    """One filter: a name, the phase it runs in, and a check."""

    name: str
    phase: Phase

    def check(self, text: str, context: FilterContext) -> Verdict: ...


FilterFactory = Callable[[Mapping[str, Any], Any], SecurityFilter]
FILTERS: Registry[FilterFactory] = Registry("strata.serve.filters")
