"""`strata up`, the main job: install the finance pack, create a local admin key, start the
gateway, and print where everything is (JOURNEY.md section 1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from strata.cli.output import console
from strata.cli.packs import install_options, print_metrics, run_install
from strata.cli.state import AppState, state

if TYPE_CHECKING:
    from fastapi import FastAPI

    from strata.packs.install import InstallReport

KEY_FILE = "admin.key"
ADMIN_TENANT = "admin"
EXAMPLE = "I was charged twice for the same coffee yesterday, card ending 4242"


def admin_key(app_state: AppState) -> tuple[str, bool]:
    """The local admin key and whether it was created now (it is printed only then).

    Stored in STRATA_HOME/admin.key with mode 0600; a stored key the catalog no longer knows
    (a reset catalog) is replaced.
    """
    from strata.serve.auth import KeyStore, Limits

    path = app_state.settings.home / KEY_FILE
    keys = KeyStore(app_state.catalog)
    if path.is_file():
        stored = path.read_text(encoding="utf-8").strip()
        if stored and keys.principal(stored) is not None:
            return stored, False
    key, _ = keys.create(ADMIN_TENANT, ("admin",), Limits())
    _write_secret(path, key)
    return key, True


def _write_secret(path: Path, text: str) -> None:
    """Write a file only its owner can read (created 0600, never world-readable for a moment)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _display(path: Path) -> str:
    """A path relative to the working directory when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def banner(app_state: AppState, key: str, created: bool, host: str, port: int) -> list[str]:
    """The lines `strata up` prints once the home is ready (JOURNEY.md section 1)."""
    base = f"http://{host}:{port}"
    key_path = _display(app_state.settings.home / KEY_FILE)
    shown = (
        f"{key}  (shown once; saved in {key_path}, mode 0600)"
        if created
        else f"saved in {key_path} (mode 0600)"
    )
    return [
        "Strata is up.",
        f"  API        {base}/v1        (OpenAI-compatible)",
        f"  API docs   {base}/docs",
        f"  Admin key  {shown}",
        "Try:",
        f"  curl -s {base}/v1/apps/counter-assistant/runs \\",
        f'    -H "Authorization: Bearer $(cat {key_path})" '
        "-H 'Content-Type: application/json' \\",
        f'    -d \'{{"input": {{"text": "{EXAMPLE}"}}}}\'',
    ]


def gateway(app_state: AppState) -> FastAPI:
    """The gateway `strata serve` runs (apps routes included), sharing this invocation's models."""
    from strata.serve.app import create_app

    return create_app(app_state.settings, catalog=app_state.catalog, runtime=app_state.runtime)


def up(
    ctx: typer.Context,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Start the gateway (default) or stop after setup."),
    ] = True,
    profile: Annotated[str, typer.Option(help="Finance pack profile: full or quick.")] = "full",
    encoder: Annotated[
        str | None, typer.Option(help="The L0 encoder the pack starts from.")
    ] = None,
    rows_per_label: Annotated[
        int | None, typer.Option(help="Keep only N banking77 rows per intent.")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="STRATA_PACKS_DATA", help="Folder of shared data (banking77, jailbreak)."
        ),
    ] = None,
    guard: Annotated[
        bool | None,
        typer.Option(
            "--guard/--no-guard",
            help="Build the injection detector (default: full yes, quick no; needs jailbreak).",
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default serve.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default serve.port, 8700).")] = None,
) -> None:
    """Install the finance pack, create the admin key, start the gateway on 127.0.0.1:8700."""
    app_state = state(ctx)
    settings = app_state.settings
    out = console()
    out.print(f"Preparing {settings.home} (the first run builds the finance pack: minutes)…")
    options = install_options(profile, encoder, rows_per_label, None, data_dir, guard)
    report = run_install(app_state, "finance", options, show_progress=True)
    _summary(report)
    key, created = admin_key(app_state)
    bind_host, bind_port = host or settings.serve.host, port or settings.serve.port
    for line in banner(app_state, key, created, bind_host, bind_port):
        out.print(line, markup=False, highlight=False)
    if serve:
        _serve(app_state, bind_host, bind_port)


def _summary(report: InstallReport) -> None:
    out = console()
    built = [f"{s.step} {s.target}" for s in report.steps if s.created]
    verb = f"built {len(built)} parts" if built else "unchanged"
    out.print(f"Finance pack {verb} in {report.seconds:.1f} s.", markup=False)
    print_metrics(report.evaluation)


def _serve(app_state: AppState, host: str, port: int) -> None:
    import uvicorn

    config: dict[str, Any] = {"log_level": "warning", "access_log": False}
    uvicorn.run(gateway(app_state), host=host, port=port, **config)


def register(app: typer.Typer) -> None:
    """Add `strata up`."""
    app.command("up")(up)
