"""`strata serve`: the gateway on uvicorn, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.state import state


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default serve.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default serve.port, 8700).")] = None,
) -> None:
    """Run the OpenAI-compatible gateway (keys, quotas, audit, routing) with one worker."""
    import uvicorn

    from strata.serve.app import create_app

    app_state = state(ctx)
    settings = app_state.settings
    app = create_app(settings, catalog=app_state.catalog)
    bind_host = host or settings.serve.host
    bind_port = port or settings.serve.port
    typer.echo(
        f"Strata gateway on http://{bind_host}:{bind_port} (every route but /health needs a key)"
    )
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add `strata serve`."""
    app.command("serve")(serve)
