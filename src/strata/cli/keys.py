"""`strata keys create|ls|revoke`: API keys for tenants (a key is printed once, stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json, print_table
from strata.cli.state import state
from strata.serve.auth import DEFAULT_SCOPES, KeyStore, Limits, parse_scopes

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def create(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="Tenant the key belongs to (created when new).")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: inference, lake, admin.")
    ] = ",".join(DEFAULT_SCOPES),
    rpm: Annotated[int | None, typer.Option(min=0, help="Requests per minute.")] = None,
    tpm: Annotated[int | None, typer.Option(min=0, help="Tokens per minute.")] = None,
    budget: Annotated[float | None, typer.Option(min=0, help="Spend limit (price units).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key; it is printed once and only its sha256 is kept."""
    keys = KeyStore(state(ctx).catalog)
    key, info = keys.create(tenant, parse_scopes(scopes), Limits(rpm, tpm, budget))
    if as_json:
        print_json({**info.to_dict(), "key": key})
        return
    typer.echo(key)
    typer.echo(
        f"Key {info.id} for tenant {tenant} ({','.join(info.scopes)}). Store it now: it is not "
        "shown again.",
        err=True,
    )


def ls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List keys (ids, tenants, scopes, limits; never secrets)."""
    infos = KeyStore(state(ctx).catalog).list()
    if as_json:
        print_json([k.to_dict() for k in infos])
        return
    print_table(
        "Keys",
        ["id", "tenant", "scopes", "rpm", "tpm", "budget", "created", "revoked"],
        [
            (
                k.id,
                k.tenant,
                ",".join(k.scopes),
                k.limits.rpm,
                k.limits.tpm,
                k.limits.budget,
                k.created_at[:16],
                "yes" if k.revoked else "",
            )
            for k in infos
        ],
    )


def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key id (from `strata keys ls`).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key; a running gateway refuses it within serve.key_cache_s seconds."""
    info = KeyStore(state(ctx).catalog).revoke(key_id)
    if as_json:
        print_json(info.to_dict())
    else:
        typer.echo(f"Revoked key {info.id} of tenant {info.tenant}.")


def register(app: typer.Typer) -> None:
    """Add `strata keys`."""
    group = typer.Typer(help="API keys of the gateway.", no_args_is_help=True)
    group.command("create")(create)
    group.command("ls")(ls)
    group.command("revoke")(revoke)
    app.add_typer(group, name="keys")
