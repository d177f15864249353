"""`strata up`, the main job: initialise the home, register the default L0, report."""

from __future__ import annotations

import typer

from strata.cli.output import console
from strata.cli.state import state


def up(ctx: typer.Context) -> None:
    """Initialise STRATA_HOME and the catalog, register and check the default L0 encoder."""
    app_state = state(ctx)
    settings = app_state.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    out = console()
    with out.status("Opening the catalog and registering the default L0 encoder…"):
        catalog = app_state.catalog
        record, encoder = app_state.runtime.encoder(settings.models.default_encoder)
        dimension = encoder.embed(["strata is up"]).shape[1]
    out.print("Strata is up.")
    out.print(f"  Home       {settings.home}")
    out.print(f"  Catalog    {catalog.url} (migration {catalog.current_revision()})")
    out.print(f"  L0 encoder {record.ref} ({dimension} dimensions, sha256 checked)")
    out.print("Try:")
    out.print('  strata embed l0/minilm-l6 "my card has not arrived" --json')
    out.print("  strata models ls")


def register(app: typer.Typer) -> None:
    """Add `strata up`."""
    app.command("up")(up)
