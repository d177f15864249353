"""The `http` step: an outbound call, always through the egress guard (SSRF-safe client)."""

from __future__ import annotations

from typing import Any

from strata.apps.errors import InvalidAppSpec, StepFailed
from strata.apps.steps.base import StepContext, require
from strata.security.egress import EgressClient

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}


def _call(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    url = require(params, "url", ctx, str)
    method = str(params.get("method", "GET")).upper()
    if method not in METHODS:
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.method": {method!r} is not an HTTP method.',
            hint=f"Use one of {', '.join(sorted(METHODS))}.",
        )
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    body = {"json": params["json"]} if params.get("json") is not None else {}
    with EgressClient(ctx.services.security) as client:
        response = client.request(method, url, headers=headers, **body)
    if response.status_code >= 400 and params.get("raise_for_status", True):
        raise StepFailed(
            f'Step "{ctx.step_id}": {method} {url} answered {response.status_code}: '
            f"{response.text[:200]}",
            hint="Check the URL and the request, or set `raise_for_status: false`.",
        )
    kind = response.headers.get("content-type", "")
    data = response.json() if "json" in kind and response.content else None
    return {"status": response.status_code, "json": data, "text": response.text}


async def http(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {url, method?, headers?, json?, raise_for_status?}` -> `{status, json, text}`.

    Loopback, private and metadata addresses are refused unless `security.egress_allow_*`
    lists them.
    """
    return await ctx.in_thread(_call, params, ctx)
