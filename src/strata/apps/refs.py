"""References inside app specs: `${input.text}`, `${steps.intent.label}`, and step conditions.

A string that is exactly one reference resolves to the referenced value itself (a list stays a
list); a reference inside longer text is interpolated as text. Conditions (`when:`) are sandboxed
Jinja2 expressions over `input` and `steps`, such as `steps.branch.route == 'faq'`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

REF = re.compile(r"\$\{\s*((?:input|steps)(?:\.[A-Za-z0-9_-]+)*)\s*\}")
STEP_NAME = re.compile(r"\bsteps\.([a-z_][a-z0-9_]*)")
_ENV = ImmutableSandboxedEnvironment()


def references(value: Any) -> set[str]:
    """Every dotted reference (`steps.intent.label`) in a value, searching nested containers."""
    if isinstance(value, str):
        return set(REF.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


def step_names(value: Any, condition: str | None = None) -> set[str]:
    """The step ids a step's parameters and condition depend on."""
    found = {ref.split(".")[1] for ref in references(value) if ref.startswith("steps.")}
    return found | set(STEP_NAME.findall(condition or ""))


def lookup(path: str, scope: Mapping[str, Any]) -> Any:
    """The value at a dotted path (`steps.docs.results.0.text`); missing parts give None."""
    node: Any = scope
    for part in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def resolve(value: Any, scope: Mapping[str, Any]) -> Any:
    """A copy of `value` with every reference replaced from `scope` (`input`, `steps`)."""
    if isinstance(value, str):
        whole = REF.fullmatch(value.strip())
        if whole:
            return lookup(whole.group(1), scope)
        return REF.sub(lambda m: _text(lookup(m.group(1), scope)), value)
    if isinstance(value, Mapping):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value


def check_condition(condition: str) -> str | None:
    """None when the condition compiles, otherwise the syntax error's message."""
    try:
        _ENV.compile_expression(condition)
    except Exception as exc:  # jinja2 raises TemplateSyntaxError and friends
        return str(exc)
    return None


def evaluate(condition: str, scope: Mapping[str, Any]) -> bool:
    """Whether a step's condition holds (a skipped step's outputs read as undefined)."""
    return bool(_ENV.compile_expression(condition)(**scope))
