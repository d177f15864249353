"""Security steps: `redact` (rewrite text through filters) and `check` (refuse on a verdict).

Both run filters from `strata.security.filters.FILTERS` (entry-point group
`strata.serve.filters`); each verdict joins the run's trace. The filter protocol lives in
`security`, so apps never import the gateway.
"""

from __future__ import annotations

from typing import Any

from strata.apps.errors import InvalidAppSpec, StepRejected
from strata.apps.steps.base import StepContext, require
from strata.security.filters import FILTERS, FilterContext, SecurityFilter, Verdict


def _filters(params: dict[str, Any], ctx: StepContext) -> list[SecurityFilter]:
    listed = require(params, "filters", ctx, list)
    built = []
    for item in listed:
        name, options = (item, {}) if isinstance(item, str) else (item.get("name"), item)
        if not isinstance(name, str):
            raise InvalidAppSpec(
                f'Step "{ctx.step_id}", field "with.filters": {item!r} names no filter.',
                hint="List filter names, or mappings with `name:` and the filter's options.",
            )
        factory = FILTERS.get(name)
        opts = {k: v for k, v in options.items() if k != "name"}
        built.append(factory(opts, ctx.need_runtime()))
    return built


def _run(params: dict[str, Any], ctx: StepContext) -> tuple[str, list[Verdict]]:
    text = str(require(params, "text", ctx))
    context = FilterContext(tenant=ctx.tenant, request_id=ctx.run_id)
    verdicts = []
    for flt in _filters(params, ctx):
        verdict = flt.check(text, context)
        verdicts.append(verdict)
        ctx.verdicts.append({"step": ctx.step_id, **verdict.to_dict()})
        if verdict.text is not None:
            text = verdict.text
    return text, verdicts


async def redact(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {text, filters: [NAME | {name, ...options}]}` -> `{text, allowed}`."""
    text, verdicts = await ctx.in_thread(_run, params, ctx)
    return {"text": text, "allowed": all(v.allowed for v in verdicts)}


async def check(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {text, filters, block?: true}` -> `{allowed, reasons}`; refuses when `block`."""
    text, verdicts = await ctx.in_thread(_run, params, ctx)
    refused = [v for v in verdicts if not v.allowed]
    if refused and params.get("block", True):
        first = refused[0]
        raise StepRejected(
            f'Step "{ctx.step_id}": filter "{first.filter}" refused the text: {first.reason}.',
            hint="Change the input, or set `block: false` to branch on `allowed` instead.",
            filter=first.filter,
        )
    return {"allowed": not refused, "reasons": [v.reason for v in refused], "text": text}
