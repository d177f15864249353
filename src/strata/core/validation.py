"""Pydantic validation errors, summarised for Strata's messages: where, what, the value received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """The first thing wrong in a validated document."""

    where: str
    message: str
    value: Any

    def describe(self, fallback: str = "(top level)") -> str:
        """`where: message (got value)` for an error message."""
        return f"{self.where or fallback}: {self.message} (got {self.value!r})"


def first_problem(exc: ValidationError) -> Problem:
    """The first error of a pydantic ValidationError, with its dotted location."""
    first = exc.errors()[0]
    return Problem(".".join(str(p) for p in first["loc"]), first["msg"], first.get("input"))
