"""Text steps: `template` (sandboxed Jinja2) and `route` (branch on a value)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from strata.apps.errors import InvalidAppSpec
from strata.apps.steps.base import StepContext, require

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render(template: str, variables: Mapping[str, Any]) -> str:
    """Render a sandboxed template; no attribute access to internals, no file system."""
    try:
        return _ENV.from_string(template).render(**variables)
    except TemplateError as exc:
        raise InvalidAppSpec(
            f"Template failed: {exc} (variables given: {', '.join(sorted(variables)) or 'none'}).",
            hint="Pass every name the template uses under the step's `with:`.",
        ) from exc


async def template(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {template, NAME: value, ...}` -> `{text}`; every other key is a template variable."""
    source = require(params, "template", ctx, str)
    variables = {k: v for k, v in params.items() if k != "template"}
    return {"text": render(source, variables)}


async def route(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {value, routes: {value: branch}, default?}` -> `{route, value}`.

    Later steps branch with `when: steps.ID.route == 'branch'`.
    """
    value = params.get("value")
    routes = params.get("routes") or {}
    if not isinstance(routes, Mapping):
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.routes": expected a mapping of value to branch, '
            f"got {routes!r}.",
            hint="For example routes: {card_arrival: faq, lost_card: urgent}.",
        )
    branch = routes.get(str(value), params.get("default", "default"))
    return {"route": branch, "value": value}
