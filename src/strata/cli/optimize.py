"""`strata models optimize REF`: an ONNX Runtime version of an encoder or classifier."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json
from strata.cli.state import state


def optimize(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An encoder or classifier, e.g. l0/minilm-l6.")],
    min_cosine: Annotated[
        float, typer.Option(min=0, max=1, help="Encoders: least cosine of any text for int8.")
    ] = 0.97,
    min_mean_cosine: Annotated[
        float, typer.Option(min=0, max=1, help="Encoders: least mean cosine for int8.")
    ] = 0.99,
    min_agreement: Annotated[
        float, typer.Option(min=0, max=1, help="Classifiers: least top-1 agreement for int8.")
    ] = 0.99,
    max_score_diff: Annotated[
        float,
        typer.Option(min=0, max=1, help="Classifiers: most any probability may move for int8."),
    ] = 0.05,
    fp32: Annotated[
        bool, typer.Option("--fp32", help="Keep full precision (skip int8) whatever it agrees.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Export to ONNX (int8 where it agrees with torch) and register it as the next version."""
    from strata.models.optimize import OptimizeSpec
    from strata.models.optimize import optimize as run

    app_state = state(ctx)
    spec = OptimizeSpec(
        ref,
        min_cosine=min_cosine,
        min_mean_cosine=min_mean_cosine,
        min_agreement=min_agreement,
        max_score_diff=max_score_diff,
        allow_int8=not fp32,
    )
    record = run(app_state.runtime, spec, app_state.settings.home / "models")
    if as_json:
        print_json(record.to_dict())
        return
    details = record.details
    typer.echo(
        f"{record.ref}: ONNX {details['precision']} from {details['optimized_from']}, "
        f"agreement {details['agreement']}"
    )
