"""`strata settings show`: each effective setting and where it came from."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json, print_table
from strata.cli.state import state
from strata.core.settings import describe

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print each setting's value, its source (default, env, file) and its env variable."""
    app_state = state(ctx)
    rows = describe(app_state.settings, app_state.config_file)
    if as_json:
        print_json([{**r.__dict__, "value": str(r.value)} for r in rows])
        return
    print_table(
        "Settings",
        ["key", "value", "source", "env", "description"],
        [(r.key, r.value, r.source, r.env, r.description) for r in rows],
    )


def register(app: typer.Typer) -> None:
    """Add `strata settings`."""
    group = typer.Typer(help="Show the effective settings.", no_args_is_help=True)
    group.command("show")(show)
    app.add_typer(group, name="settings")
