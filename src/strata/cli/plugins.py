"""`strata plugins ls`: every entry point in a `strata.*` group."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json, print_table
from strata.core.registry import installed_plugins

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def ls(as_json: JsonOption = False) -> None:
    """List plugins: group, name, distribution, version and the object they point to."""
    plugins = installed_plugins()
    if as_json:
        print_json([p.__dict__ for p in plugins])
        return
    print_table(
        "Plugins",
        ["group", "name", "distribution", "version", "object"],
        [(p.group, p.name, p.distribution, p.version, p.value) for p in plugins],
    )


def register(app: typer.Typer) -> None:
    """Add `strata plugins`."""
    group = typer.Typer(help="Installed plugins.", no_args_is_help=True)
    group.command("ls")(ls)
    app.add_typer(group, name="plugins")
