"""Tool steps: `python` (a function a plugin registers) and `mcp_tool` (a tool on an MCP server)."""

from __future__ import annotations

import inspect
from typing import Any

from strata.apps.mcp_client import call_tool, server_target
from strata.apps.steps.base import FUNCTIONS, StepContext, require
from strata.security.egress import EgressGuard


async def python(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {function, args?: {...}}` -> the function's mapping, or `{result: value}`.

    Functions come from `strata.apps.functions` (entry points, or `FUNCTIONS.register`).
    """
    fn = FUNCTIONS.get(require(params, "function", ctx, str))
    args = dict(params.get("args") or {})
    result = (
        await fn(**args) if inspect.iscoroutinefunction(fn) else await ctx.in_thread(fn, **args)
    )
    return dict(result) if isinstance(result, dict) else {"result": result}


async def mcp_tool(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {server: {url} | {command, args}, tool, arguments?}` -> `{text, structured}`.

    A stdio `command` must be on the admin allow-list (`apps.mcp_allowed_commands`).
    """
    target = server_target(require(params, "server", ctx), ctx.services.settings)
    if isinstance(target, str):
        # The SDK's transport opens its own connection, so the address is checked here (not
        # pinned): internal addresses are refused unless `security.egress_allow_*` lists them.
        await ctx.in_thread(EgressGuard(ctx.services.security).check, target)
    tool = require(params, "tool", ctx, str)
    return await call_tool(target, tool, dict(params.get("arguments") or {}))
