"""`strata models lineage|promote|card|predict`: what a model came from, gates, predictions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from strata.cli.output import console, print_json, print_table
from strata.cli.state import state
from strata.core.errors import InvalidInput
from strata.models.card import render_card
from strata.models.layers import ModelKind
from strata.models.lineage import lineage as model_lineage
from strata.models.predict import classify_frame, detect_frame

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RefArg = Annotated[str, typer.Argument(help="A model reference, e.g. l2/banking-intents.")]


def lineage(ctx: typer.Context, ref: RefArg, as_json: JsonOption = False) -> None:
    """Print the chain data -> L0 -> L1 -> L2 for a model."""
    store = state(ctx).store
    steps = model_lineage(store, store.resolve(ref))
    if as_json:
        print_json([s.to_dict() for s in steps])
        return
    out = console()
    for i, step in enumerate(steps):
        arrow = "   " if i == 0 else "-> "
        out.print(f"{arrow}{step.stage:<4} {step.ref:<28} {step.detail}")


def promote(
    ctx: typer.Context,
    ref: RefArg,
    alias: Annotated[str, typer.Option(help="Alias to point at this version.")] = "production",
    as_json: JsonOption = False,
) -> None:
    """Point an alias at a version, only when it passes the gates declared for it."""
    record = state(ctx).store.promote(ref, alias)
    if as_json:
        print_json(record.to_dict())
    else:
        typer.echo(f"{record.layer.value}/{record.name}:{alias} -> {record.ref}")


def card(ctx: typer.Context, ref: RefArg) -> None:
    """Print a model's card (markdown)."""
    store = state(ctx).store
    record = store.resolve(ref)
    parent = store.get(record.parent_id) if record.parent_id else None
    typer.echo(render_card(record, parent))


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidInput(
            f"Input file {str(path)!r} does not exist.",
            hint="Pass --input with the path of a CSV file.",
        )
    try:
        return pd.read_csv(path, sep=None, engine="python")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Input file {str(path)!r} is not a readable CSV: {exc}",
            hint="Save it as UTF-8 CSV with a header row.",
        ) from exc


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def predict(
    ctx: typer.Context,
    ref: RefArg,
    input_file: Annotated[Path, typer.Option("--input", help="CSV of texts or telemetry rows.")],
    output: Annotated[Path, typer.Option(help="CSV to write, the input plus predictions.")],
    text_col: Annotated[str, typer.Option(help="Column holding the texts.")] = "text",
    top_k: Annotated[int, typer.Option(min=1, max=50, help="Labels to keep per text.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Predict labels (classifier) or anomalies (detector) for every row of a CSV."""
    runtime = state(ctx).runtime
    record = runtime.store.resolve(ref)
    frame = _read_csv(input_file)
    if record.kind == ModelKind.ANOMALY:
        _, detector = runtime.detector(ref)
        result = detect_frame(detector, frame)
        summary = {"rows": len(result), "anomalies": int(result["anomaly"].sum())}
    else:
        _, classifier = runtime.classifier(ref)
        result = classify_frame(classifier, frame, text_col, top_k)
        summary = {"rows": len(result), "labels": result["label"].value_counts().head(5).to_dict()}
    _write_csv(result, output)
    if as_json:
        print_json({"model": record.ref, "output": str(output), **summary})
    else:
        print_table(f"{record.ref} -> {output}", ["key", "value"], list(summary.items()))
