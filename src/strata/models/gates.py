"""Promotion gates: thresholds such as `accuracy>=0.93` a model must meet to reach an alias."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strata.core.errors import InvalidInput

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_GATE = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Gate:
    """One threshold on one metric."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    def passes(self, metrics: Mapping[str, Any]) -> bool:
        """Whether the metric exists and meets the threshold."""
        actual = metrics.get(self.metric)
        return isinstance(actual, int | float) and _OPS[self.op](float(actual), self.value)


def parse_gate(text: str) -> Gate:
    """Parse `METRIC OP VALUE`, e.g. `accuracy>=0.93` or `far<=0.12`."""
    match = _GATE.match(text)
    if not match:
        raise InvalidInput(
            f"Gate {text!r} is not valid; expected METRIC>=VALUE (or <=, >, <).",
            hint="For example --gate accuracy>=0.93 or --gate far<=0.12.",
            value=text,
        )
    return Gate(match.group(1), match.group(2), float(match.group(3)))


def failing(gates: list[Gate], metrics: Mapping[str, Any]) -> list[str]:
    """A line per failing gate: the gate and the value measured (or that none was)."""
    lines = []
    for gate in gates:
        if not gate.passes(metrics):
            actual = metrics.get(gate.metric)
            got = "not measured" if actual is None else f"measured {actual:.4g}"
            lines.append(f"{gate} ({got})")
    return lines
