"""Calling tools on MCP servers (the official SDK's client), with the admin allow-list for stdio.

An app never starts a stdio MCP command unless its executable is listed in
`apps.mcp_allowed_commands`; remote servers are reached over streamable HTTP by URL.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from strata.apps.errors import InvalidAppSpec, McpNotAllowed, StepFailed
from strata.core.settings import AppsSettings


def check_allowed(command: str, settings: AppsSettings) -> str:
    """The command when it is on the allow-list (by name or resolved path); else McpNotAllowed."""
    allowed = set(settings.mcp_allowed_commands)
    resolved = shutil.which(command) or command
    candidates = {command, resolved, Path(resolved).name}
    if (
        command in allowed
        or resolved in allowed
        or ("/" not in command and Path(resolved).name in allowed)
    ):
        return command
    raise McpNotAllowed(
        f"MCP server command {command!r} is not on the admin allow-list "
        f"(allowed: {', '.join(sorted(allowed)) or 'none'}).",
        hint="An administrator may add it to apps.mcp_allowed_commands "
        "(STRATA_APPS__MCP_ALLOWED_COMMANDS='[\"...\"]'); imported apps cannot.",
        command=command,
        candidates=sorted(candidates),
    )


def server_target(server: Any, settings: AppsSettings) -> StdioServerParameters | str:
    """A stdio command (allow-listed) or a streamable-HTTP URL from a step's `server:` value."""
    if isinstance(server, str) and server.startswith(("http://", "https://")):
        return server
    if isinstance(server, Mapping) and isinstance(server.get("url"), str):
        return str(server["url"])
    if isinstance(server, Mapping) and isinstance(server.get("command"), str):
        command = check_allowed(server["command"], settings)
        args = [str(a) for a in server.get("args") or []]
        env = {str(k): str(v) for k, v in (server.get("env") or {}).items()} or None
        return StdioServerParameters(command=command, args=args, env=env)
    raise InvalidAppSpec(
        f"MCP server {server!r} is neither a URL nor a mapping with `command:`.",
        hint="Write server: {url: http://host/mcp} or server: {command: NAME, args: [...]}.",
    )


def result_to_dict(result: CallToolResult) -> dict[str, Any]:
    """The text and structured parts of a tool result."""
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    return {"text": text, "structured": result.structured_content, "is_error": result.is_error}


async def call_tool(
    target: Any, tool: str, arguments: Mapping[str, Any], *, timeout_s: float | None = None
) -> dict[str, Any]:
    """Call one tool on a server (URL, stdio parameters, or an in-process `MCPServer`)."""
    async with Client(target, read_timeout_seconds=timeout_s) as client:
        result = await client.call_tool(tool, dict(arguments))
    out = result_to_dict(result)
    if out["is_error"]:
        raise StepFailed(
            f"MCP tool {tool!r} answered with an error: {out['text'][:300]}",
            hint="Check the tool's arguments against its input schema (list the server's tools).",
        )
    return out
