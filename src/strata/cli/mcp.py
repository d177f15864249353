"""`strata mcp serve`: published apps and knowledge-base search as MCP tools."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.state import state
from strata.core.errors import InvalidInput


def serve(
    ctx: typer.Context,
    transport: Annotated[str, typer.Option(help="stdio or http (streamable HTTP).")] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP: address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP: port.")] = 8765,
) -> None:
    """Serve apps and `kb_search` over MCP (stdio for local clients, HTTP at /mcp)."""
    from strata.apps.mcp import build_server

    if transport not in ("stdio", "http"):
        raise InvalidInput(
            f"--transport {transport!r} is not supported.", hint="Use stdio or http."
        )
    apps = state(ctx).apps
    server = build_server(apps, apps.services.kbs)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)


def register(app: typer.Typer) -> None:
    """Add `strata mcp`."""
    group = typer.Typer(help="Model Context Protocol server.", no_args_is_help=True)
    group.command("serve")(serve)
    app.add_typer(group, name="mcp")
