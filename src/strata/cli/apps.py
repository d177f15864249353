"""`strata apps publish|promote|rollback|ls|versions|run|runs|trace`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from strata.cli.output import print_json, print_table
from strata.cli.state import state
from strata.core.errors import InvalidInput

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def publish(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="App spec (YAML).")],
    alias: Annotated[
        str, typer.Option(help="Alias to move when the eval gate passes ('' for none).")
    ] = "production",
    as_json: JsonOption = False,
) -> None:
    """Publish an immutable version; its eval set must pass its gate for the alias to move."""
    apps = state(ctx).apps
    result = asyncio.run(apps.publish(file, alias=alias or None))
    if as_json:
        print_json(result.to_dict())
        return
    evaluation = result.app.evaluation
    scored = f", eval {evaluation['passed']}/{evaluation['cases']}" if evaluation else ""
    verb = "published" if result.created else "unchanged"
    moved = f", {alias} -> {result.app.version}" if alias else ""
    typer.echo(f"{result.app.ref} {verb}{scored}{moved}")


def promote(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    alias: Annotated[str, typer.Option(help="Alias to move.")] = "production",
) -> None:
    """Point an alias at a version whose eval passed its gate."""
    apps = state(ctx).apps
    app = apps.store.resolve(ref)
    previous = apps.promote(app, alias)
    typer.echo(f"{app.name}:{alias} -> {app.version} (was {previous or 'unset'})")


def rollback(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="App name.")],
    alias: Annotated[str, typer.Option(help="Alias to move back.")] = "production",
) -> None:
    """Move an alias back to the version it pointed at before; pinned callers are unaffected."""
    current, target = state(ctx).apps.rollback(name, alias)
    typer.echo(f"{name}:{alias} rolled back from {current} to {target}")


def ls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Published apps with their latest version and aliases."""
    rows = state(ctx).apps.listing()
    if as_json:
        print_json(rows)
        return
    print_table(
        "apps",
        ["app", "latest", "aliases", "description"],
        [[r["app"], r["latest"], _aliases(r["aliases"]), r["description"]] for r in rows],
    )


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a}={v}" for a, v in sorted(aliases.items()))


def versions(ctx: typer.Context, name: str, as_json: JsonOption = False) -> None:
    """Every version of an app with its eval result."""
    apps = state(ctx).apps
    found = apps.store.versions(name)
    aliases = apps.store.aliases(name)
    rows: list[dict[str, Any]] = [
        {"version": v.version, "sha256": v.sha256[:12], "created_at": v.created_at.isoformat(),
         "evaluation": v.evaluation,
         "aliases": [a for a, n in aliases.items() if n == v.version]}
        for v in found
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    print_table(
        f"versions of {name}",
        ["version", "created", "eval", "aliases"],
        [[r["version"], r["created_at"][:19], _score(r["evaluation"]), ", ".join(r["aliases"])]
         for r in rows],
    )  # fmt: skip


def _score(evaluation: dict[str, Any] | None) -> str:
    if not evaluation:
        return "no eval set"
    verdict = "pass" if evaluation["gate_passed"] else "FAIL"
    return f"{evaluation['passed']}/{evaluation['cases']} {verdict}"


def run(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME:ALIAS")],
    input_json: Annotated[str, typer.Option("--input", help="Input as a JSON object.")] = "{}",
    as_json: JsonOption = False,
) -> None:
    """Run an app once and print its output (the trace is stored: strata apps trace RUN_ID)."""
    try:
        data = json.loads(input_json)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"--input is not valid JSON: {exc.msg} (got {input_json!r}).",
            hint='Pass a JSON object, e.g. --input \'{"text": "my card has not arrived"}\'.',
        ) from exc
    result = asyncio.run(state(ctx).apps.run(ref, data, source="cli"))
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(json.dumps(result.output, indent=2, ensure_ascii=False, default=str))
        typer.echo(
            f"run {result.run_id} ({result.app}@{result.version}, {result.status})", err=True
        )
    if result.status != "succeeded":
        result.raise_for_status()


def runs(
    ctx: typer.Context,
    name: str,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The latest runs of an app."""
    from strata.apps.service import run_dict

    rows = [run_dict(r, steps=False) for r in state(ctx).apps.runs(name, limit)]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"runs of {name}",
        ["run", "version", "status", "source", "started", "ms"],
        [[r["run_id"], r["version"], r["status"], r["source"], r["started_at"][:19],
          r["latency_ms"]] for r in rows],
    )  # fmt: skip


def trace(ctx: typer.Context, run_id: str, as_json: JsonOption = False) -> None:
    """One run's trace: each step's status, latency, models, verdicts, inputs and outputs."""
    data = state(ctx).apps.trace(run_id)
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"run {data['run_id']}: {data['app']}@{data['version']} {data['status']} "
        f"in {data['latency_ms']:.1f} ms"
    )
    print_table(
        "steps",
        ["step", "uses", "status", "ms", "attempts", "models", "verdicts", "error"],
        [[s["step"], s["uses"], s["status"], s["latency_ms"], s["attempts"],
          ", ".join(s["models"]), len(s["verdicts"]), (s["error"] or {}).get("message", "")]
         for s in data["steps"]],
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `strata apps`."""
    group = typer.Typer(help="Publish, release and run apps.", no_args_is_help=True)
    for name, command in (
        ("publish", publish), ("promote", promote), ("rollback", rollback), ("ls", ls),
        ("versions", versions), ("run", run), ("runs", runs), ("trace", trace),
    ):  # fmt: skip
        group.command(name)(command)
    app.add_typer(group, name="apps")
