"""`strata audit verify`: walk the gateway's hash-chained audit log; exit 1 if it was altered."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_error, print_json
from strata.cli.state import state
from strata.serve.audit import AuditLog


def verify(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Recompute every audit record's hash and link; report the first broken one."""
    result = AuditLog(state(ctx).catalog).verify()
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        typer.echo(f"Audit chain intact: {result.records} records.")
    else:
        print_error(
            f"Audit chain broken at record {result.bad_seq}: {result.reason}.",
            "Restore the catalog from a backup and investigate who changed it.",
        )
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `strata audit`."""
    group = typer.Typer(help="The gateway's audit log.", no_args_is_help=True)
    group.command("verify")(verify)
    app.add_typer(group, name="audit")
