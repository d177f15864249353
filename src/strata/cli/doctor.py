"""`strata doctor`: checks the machine, the catalog and the default model; says how to fix."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import console, print_json
from strata.cli.state import state
from strata.core.doctor import Level, run_checks

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_MARK = {Level.OK: "[green]ok[/]", Level.WARN: "[yellow]warn[/]", Level.FAIL: "[red]FAIL[/]"}


def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check Python, torch, the catalog, the default L0 encoder and free disk."""
    results = run_checks(state(ctx).settings)
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        out = console()
        for r in results:
            out.print(f"{_MARK[r.level]:>18}  {r.name:<16} {r.detail}")
            if r.fix:
                out.print(f"{'':>6}  {'':<16} fix: {r.fix}")
    if any(r.level == Level.FAIL for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `strata doctor`."""
    app.command("doctor")(doctor)
