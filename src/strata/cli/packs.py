"""`strata packs ls|install|eval`: industry packs (finance, ...) built into the home."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from strata.cli.output import console, print_json, print_table
from strata.cli.progress import progress_bar
from strata.cli.state import AppState, state

if TYPE_CHECKING:
    from strata.packs.install import InstallReport, PackContext

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def pack_context(app_state: AppState) -> PackContext:
    """Install handles from the invocation's settings: workspace, knowledge bases, apps."""
    from strata.apps import open_apps
    from strata.packs.apps_side import AppsPublisher
    from strata.packs.install import PackContext

    settings = app_state.settings
    ws = app_state.workspace
    apps = open_apps(settings, app_state.catalog, ws.runtime, ws.lake)
    assert apps.services.kbs is not None  # open_apps always wires knowledge bases
    return PackContext(
        ws=ws,
        home=settings.home,
        kbs=apps.services.kbs,
        apps=AppsPublisher(apps),
        default_encoder=settings.models.default_encoder,
    )


def ls(as_json: JsonOption = False) -> None:
    """List the installable packs."""
    from strata.packs.base import available_packs

    packs = available_packs()
    rows = [
        {
            "name": p.manifest.name,
            "title": p.manifest.title,
            "version": p.manifest.version,
            "description": p.manifest.description,
        }
        for p in packs
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Packs", ["name", "version", "title"], [(r["name"], r["version"], r["title"]) for r in rows]
    )


def install(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The pack, e.g. finance.")],
    profile: Annotated[
        str, typer.Option(help="full (default) or quick (small and fast).")
    ] = "full",
    encoder: Annotated[str | None, typer.Option(help="The L0 encoder the L1 starts from.")] = None,
    rows_per_label: Annotated[
        int | None, typer.Option(help="Keep only N rows of each label (quick installs).")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="L2 training: fast or body.")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="STRATA_PACKS_DATA", help="Folder of external data (default: ../shared/data)."
        ),
    ] = None,
    guard: Annotated[
        bool | None,
        typer.Option(
            "--guard/--no-guard",
            help="Build the pack's injection detector (default: full yes, quick no).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Install a pack: data, L1, L2, injection detector, knowledge base, app, gates, eval."""
    report = run_install(
        state(ctx),
        name,
        install_options(profile, encoder, rows_per_label, mode, data_dir, guard),
        show_progress=not as_json,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)


def install_options(
    profile: str, encoder: Any, rows: Any, mode: Any, data_dir: Any, guard: Any = None
) -> Any:
    """Install options from a profile name and the command-line overrides."""
    from strata.core.errors import InvalidInput
    from strata.packs.install import profile as named

    if mode not in (None, "fast", "body"):
        raise InvalidInput(f"--mode {mode!r} is not valid.", hint="Use --mode fast or --mode body.")
    return named(
        profile, encoder=encoder, rows_per_label=rows, mode=mode, data_dir=data_dir, guard=guard
    )


def run_install(app_state: AppState, name: str, options: Any, show_progress: bool) -> InstallReport:
    """Install a pack with a progress bar (shared with `strata up`)."""
    from strata.packs.base import get_pack
    from strata.packs.install import install as run

    pack = get_pack(name)
    app_state.settings.home.mkdir(parents=True, exist_ok=True)
    with progress_bar(show_progress) as update:
        return run(pack, pack_context(app_state), options, update)


def print_report(report: InstallReport) -> None:
    """What the install built, changed or found, and the pack's metrics."""
    out = console()
    verb = "Installed" if report.changed else "Already installed, unchanged:"
    out.print(f"{verb} pack {report.pack} ({report.seconds:.1f} s)")
    for step in report.steps:
        mark = "built" if step.created else "same "
        extra = ", ".join(f"{k} {_fmt(v)}" for k, v in step.facts.items() if _simple(v))
        out.print(f"  {mark} {step.step:<8} {step.target}  {extra}")
    print_metrics(report.evaluation)
    out.print(f"  eval report {report.eval_path}")


def _simple(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def print_metrics(evaluation: dict[str, Any]) -> None:
    """The headline figures of a pack's eval report."""
    out = console()
    intent = evaluation.get("intent", {})
    if "accuracy" in intent:
        split = intent.get("split", {})
        out.print(
            f"  intent accuracy   {intent['accuracy']:.4f} on {split.get('validation', '?')} "
            f"held-out requests ({intent['model']})"
        )
    for key, label in (("slots", "slot accuracy"), ("citations", "citation hit rate")):
        section = evaluation.get(key, {})
        if "accuracy" in section or "hit_rate" in section:
            value = section.get("accuracy", section.get("hit_rate"))
            out.print(f"  {label:<17} {value:.4f} on {section.get('cases', '?')} authored cases")
    guard = evaluation.get("guard", {})
    if "false_flag_rate" in guard:
        out.print(
            f"  guard flags       {guard['false_flag_rate']:.4f} of {guard['heldout_requests']} "
            f"held-out requests ({guard['model']})"
        )


def evaluate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The pack, e.g. finance.")],
    as_json: JsonOption = False,
) -> None:
    """Re-run the pack's evaluation and print its eval report."""
    from strata.packs.base import get_pack
    from strata.packs.install import evaluate_pack

    app_state = state(ctx)
    report = evaluate_pack(get_pack(name), pack_context(app_state))
    if as_json:
        print_json(report)
    else:
        print_metrics(report)


def register(app: typer.Typer) -> None:
    """Add `strata packs`."""
    group = typer.Typer(help="Industry packs: ls, install, eval.", no_args_is_help=True)
    group.command("ls")(ls)
    group.command("install")(install)
    group.command("eval")(evaluate)
    app.add_typer(group, name="packs")
