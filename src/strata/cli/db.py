"""`strata db upgrade|current`: catalog migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json
from strata.cli.state import state
from strata.core.catalog import Catalog

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def upgrade(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Apply catalog migrations up to the newest."""
    settings = state(ctx).settings
    before, after = Catalog(settings.catalog_url, upgrade=False).upgrade()
    if as_json:
        print_json({"catalog": settings.catalog_url, "from": before, "to": after})
    elif before == after:
        typer.echo(f"Catalog already at migration {after}.")
    else:
        typer.echo(f"Catalog upgraded from {before or 'empty'} to migration {after}.")


def current(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the catalog's migration and the newest available."""
    settings = state(ctx).settings
    catalog = Catalog(settings.catalog_url, upgrade=False)
    data = {
        "catalog": settings.catalog_url,
        "current": catalog.current_revision(),
        "head": catalog.head_revision(),
    }
    if as_json:
        print_json(data)
    else:
        typer.echo(
            f"{data['catalog']}: migration {data['current'] or 'none'} (newest {data['head']})"
        )


def register(app: typer.Typer) -> None:
    """Add `strata db`."""
    group = typer.Typer(help="Catalog database migrations.", no_args_is_help=True)
    group.command("upgrade")(upgrade)
    group.command("current")(current)
    app.add_typer(group, name="db")
