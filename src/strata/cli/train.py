"""`strata train adapt|tune|eval`: L0 -> L1, -> L2, and evaluation."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from strata.cli.output import console, print_json
from strata.cli.progress import progress_bar
from strata.cli.state import state
from strata.core.validation import first_problem
from strata.train.errors import InvalidJobSpec

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _spec(cls: Any, **values: Any) -> Any:
    try:
        return cls(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problem = first_problem(exc)
        raise InvalidJobSpec(
            f"--{problem.describe('spec').replace('_', '-')}",
            hint="See `strata train --help` for the accepted values.",
        ) from None


def _report(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    record = result.record
    verb = "Trained" if result.created else "Unchanged (same job already ran):"
    out = console()
    datasets = ", ".join(d["dataset"] for d in record.details.get("data", []))
    out.print(f"{verb} {record.ref} ({record.kind.value}, data: {datasets or 'none'})")
    _print_metrics(record.metrics)


def _print_metrics(metrics: dict[str, Any]) -> None:
    out = console()
    for key, value in sorted(metrics.items()):
        if isinstance(value, float) and not value.is_integer():
            out.print(f"  {key:<16} {value:.4f}")
        elif isinstance(value, int | float):
            out.print(f"  {key:<16} {int(value)}")


def adapt(
    ctx: typer.Context,
    base: Annotated[str, typer.Option(help="The L0 encoder to start from.")],
    name: Annotated[str, typer.Option(help="Name of the L1 model, e.g. finance.")],
    corpus: Annotated[str | None, typer.Option(help="DATASET[@N]:TEXT unlabelled text.")] = None,
    labels: Annotated[
        str | None, typer.Option(help="DATASET[@N]:TEXT,LABEL pooled labels.")
    ] = None,
    pairs: Annotated[str | None, typer.Option(help="DATASET[@N]:A,B related pairs.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Passes over the pairs (default 1).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Pairs per step (default 32).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Adapt an L0 encoder into an L1 industry model on lake data."""
    from strata.train.adapt import adapt as run_adapt
    from strata.train.spec import AdaptSpec

    spec = _spec(
        AdaptSpec,
        base=base,
        name=name,
        corpus=corpus,
        labels=labels,
        pairs=pairs,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
    )
    with progress_bar(not as_json) as update:
        result = run_adapt(state(ctx).workspace, spec, update)
    _report(result, as_json)


def tune(
    ctx: typer.Context,
    data: Annotated[str, typer.Option(help="DATASET[@N]:TEXT,LABEL (classify) or DATASET[@N].")],
    name: Annotated[str, typer.Option(help="Name of the L2 model.")],
    task: Annotated[str, typer.Option(help="classify or anomaly.")] = "classify",
    base: Annotated[str | None, typer.Option(help="The encoder to tune on (classify).")] = None,
    shots: Annotated[int | None, typer.Option(help="Examples per label (few-shot).")] = None,
    mode: Annotated[str | None, typer.Option(help="fast (head only) or body.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Body tuning: passes over the data.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Tokens kept per text.")] = None,
    lexical: Annotated[
        str | None, typer.Option(help="TF-IDF terms in the head: auto (CV chooses), on or off.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split and training.")] = 0,
    gate: Annotated[
        list[str] | None, typer.Option(help="Promotion gate, e.g. accuracy>=0.93.")
    ] = None,
    features: Annotated[str | None, typer.Option(help="Anomaly: comma-separated columns.")] = None,
    time_col: Annotated[str | None, typer.Option(help="Anomaly: time column.")] = None,
    group_col: Annotated[str | None, typer.Option(help="Anomaly: machine column.")] = None,
    label_col: Annotated[str | None, typer.Option(help="Anomaly: 0/1 column to leave out.")] = None,
    train_rows: Annotated[
        int | None, typer.Option(help="Anomaly: first N rows per group train, the rest validate.")
    ] = None,
    threshold_margin: Annotated[
        float | None,
        typer.Option(help="Anomaly: factor on the calibrated threshold (default 0.9)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Tune an L2 scenario model: a text classifier or a telemetry anomaly detector."""
    from strata.train.spec import TuneSpec
    from strata.train.tune import tune as run_tune

    spec = _spec(
        TuneSpec,
        data=data,
        name=name,
        task=task,
        base=base,
        shots=shots,
        mode=mode,
        epochs=epochs,
        max_length=max_length,
        lexical=lexical,
        seed=seed,
        gates=tuple(gate or ()),
        time_col=time_col,
        group_col=group_col,
        label_col=label_col,
        train_rows=train_rows,
        threshold_margin=threshold_margin,
        features=tuple(f.strip() for f in features.split(",") if f.strip()) if features else None,
    )
    with progress_bar(not as_json) as update:
        result = run_tune(state(ctx).workspace, spec, update)
    _report(result, as_json)


def evaluate(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The model to evaluate.")],
    data: Annotated[str, typer.Option(help="DATASET[@N][:TEXT,LABEL] to evaluate on.")],
    label_col: Annotated[str | None, typer.Option(help="Anomaly: the 0/1 label column.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a model on a dataset version; the result is stored on the model."""
    from strata.train.assess import evaluate as run_eval

    with progress_bar(not as_json) as update:
        report = run_eval(state(ctx).workspace, ref, data, label_col, update)
    if as_json:
        print_json(report)
        return
    out = console()
    for key, value in sorted(report["metrics"].items()):
        out.print(
            f"  {key:<16} {value:.4f}" if isinstance(value, float) else f"  {key:<16} {value}"
        )
    for pair in report.get("confused_pairs", [])[:5]:
        out.print(f"  confused: {pair['true']} -> {pair['predicted']} ({pair['count']})")


def register(app: typer.Typer) -> None:
    """Add `strata train`."""
    group = typer.Typer(help="Adapt L0 into L1, tune L2, evaluate.", no_args_is_help=True)
    group.command("adapt")(adapt)
    group.command("tune")(tune)
    group.command("eval")(evaluate)
    app.add_typer(group, name="train")
