"""`strata models optimize REF`: an exported (ONNX) version of an encoder or classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from strata.cli.output import print_json
from strata.cli.state import state
from strata.core.errors import InvalidInput
from strata.core.files import read_csv_columns


def read_texts(path: Path, text_col: str) -> tuple[str, ...]:
    """Texts for the agreement check: a CSV's `text_col`, or one text per line of any other file."""
    what = "a CSV or a file of one text per line"
    if path.suffix.lower() == ".csv":
        frame = read_csv_columns(path, (text_col,), "--texts", what)
        texts = [t for t in frame[text_col] if t.strip()]
    elif path.is_file():
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        raise InvalidInput(f"{path} does not exist.", hint=f"Pass --texts with {what}.")
    if not texts:
        raise InvalidInput(
            f"{path} holds no text.", hint="Give at least one text for the agreement check."
        )
    return tuple(texts)


def optimize(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An encoder or classifier, e.g. l0/minilm-l6.")],
    min_cosine: Annotated[
        float, typer.Option(min=0, max=1, help="Encoders: least cosine of any text below fp32.")
    ] = 0.99,
    min_mean_cosine: Annotated[
        float, typer.Option(min=0, max=1, help="Encoders: least mean cosine below fp32.")
    ] = 0.995,
    min_agreement: Annotated[
        float, typer.Option(min=0, max=1, help="Classifiers: least top-1 agreement below fp32.")
    ] = 0.99,
    max_score_diff: Annotated[
        float,
        typer.Option(min=0, max=1, help="Classifiers: most any probability may move below fp32."),
    ] = 0.05,
    precision: Annotated[
        str,
        typer.Option(
            help="auto: the fastest of bf16 (CPUs with native bf16), int8 and fp32 that agrees "
            "with torch; bf16 or int8: that one, else fp32; fp32: full precision."
        ),
    ] = "auto",
    fp32: Annotated[bool, typer.Option("--fp32", help="Same as --precision fp32.")] = False,
    texts: Annotated[
        Path | None,
        typer.Option(
            help="Texts for the agreement check (a CSV, or one per line); default: 14 samples. "
            "Real inputs of the model make the check meaningful."
        ),
    ] = None,
    text_col: Annotated[str, typer.Option(help="The CSV column holding the texts.")] = "text",
    threads: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=256,
            help="Threads when timing the candidates of --precision auto (0: all); default: "
            "serve.model_threads, as the gateway runs a model call.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Export to ONNX (the fastest precision that agrees with torch) as the next version."""
    from strata.models.optimize import SAMPLE_TEXTS, OptimizeSpec
    from strata.models.optimize import optimize as run

    app_state = state(ctx)
    spec = OptimizeSpec(
        ref,
        texts=SAMPLE_TEXTS if texts is None else read_texts(texts, text_col),
        min_cosine=min_cosine,
        min_mean_cosine=min_mean_cosine,
        min_agreement=min_agreement,
        max_score_diff=max_score_diff,
        precision="fp32" if fp32 else precision,
        threads=app_state.settings.serve.model_threads if threads is None else threads,
    )
    record = run(app_state.runtime, spec, app_state.settings.home / "models")
    if as_json:
        print_json(record.to_dict())
        return
    details = record.details
    typer.echo(
        f"{record.ref}: ONNX {details['precision']} on {details.get('runtime', 'onnxruntime')} "
        f"from {details['optimized_from']}, "
        f"agreement {details['agreement']}"
    )
