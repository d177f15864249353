"""`strata security train-injection | eval injection | eval pii`: the AI-security layer's commands.

The detector is built by the model factory (`strata.train.detector`); this module parses, calls
and prints.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from strata.cli.output import console, print_json, print_table
from strata.cli.progress import progress_bar
from strata.cli.state import state

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DEFAULT_JAILBREAK = Path("../shared/data/jailbreak/train.csv")


def train_injection(
    ctx: typer.Context,
    data: Annotated[
        Path, typer.Option(help="The jailbreak CSV (columns prompt,type).")
    ] = DEFAULT_JAILBREAK,
    name: Annotated[str, typer.Option(help="Name of the L2 detector.")] = "injection-detector",
    base: Annotated[str, typer.Option(help="Encoder to tune on.")] = "l0/minilm-l6",
    mode: Annotated[
        str, typer.Option(help="body (tune the encoder, the default) or fast (head only).")
    ] = "body",
    epochs: Annotated[int, typer.Option(help="Body tuning: passes over the data.")] = 10,
    max_length: Annotated[int, typer.Option(help="Tokens kept per prompt.")] = 256,
    max_fpr: Annotated[float, typer.Option(help="False-positive budget on validation.")] = 0.02,
    seed: Annotated[int, typer.Option(help="Seed for the splits and training.")] = 0,
    templated: Annotated[
        int, typer.Option(help="Templated training prompts per label (0: none).", min=0)
    ] = 600,
    as_json: JsonOption = False,
) -> None:
    """Build the injection detector end to end (idempotent: a re-run changes nothing)."""
    from strata.core.errors import InvalidInput
    from strata.train.detector import HOLDOUTS, DetectorOptions, build_detector

    if mode not in ("body", "fast"):
        raise InvalidInput(f"--mode {mode!r} is not valid.", hint="Use --mode body or --mode fast.")
    options = DetectorOptions(
        name=name,
        base=base,
        mode="fast" if mode == "fast" else "body",
        epochs=epochs,
        max_length=max_length,
        max_fpr=max_fpr,
        seed=seed,
        templated=templated,
    )
    with progress_bar(not as_json) as update:
        report = build_detector(state(ctx).workspace, data, options, update)
    if as_json:
        print_json(report)
        return
    out = console()
    out.print(f"{'Trained' if report['created'] else 'Unchanged:'} {report['model']}")
    out.print(f"  threshold {report['threshold']:.4f} (FPR <= {max_fpr:.0%} on validation)")
    if not report["fpr_budget_met"]:
        out.print(
            f"  [yellow]No threshold keeps validation FPR within {max_fpr:.0%}: too many benign "
            "prompts score 1.0. Add benign look-alikes to the training data and rebuild.[/]"
        )
    for part in ("validation", "test", *HOLDOUTS):
        m = report[part]
        out.print(f"  {part:<10} TPR {m['tpr']:.3f}  FPR {m['fpr']:.3f}  F1 {m['f1']:.3f}")


def _latencies(detect: Any, texts: list[str]) -> tuple[list[float], list[float]]:
    scores, millis = [], []
    for text in texts:
        started = time.perf_counter()
        scores.append(detect(text))
        millis.append((time.perf_counter() - started) * 1000)
    return scores, millis


def eval_injection(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="CSV of labelled prompts.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")],
    label_col: Annotated[str, typer.Option(help="Column holding the label.")],
    positive: Annotated[str, typer.Option(help="Label value meaning injection/jailbreak.")],
    model: Annotated[str, typer.Option(help="The detector.")] = "l2/injection-detector",
    threshold: Annotated[float | None, typer.Option(help="Override the calibrated one.")] = None,
    as_json: JsonOption = False,
) -> None:
    """TPR, FPR, F1 and p50/p95 latency of the injection filter on a labelled CSV."""
    import numpy as np

    from strata.security.injection import binary_metrics
    from strata.serve.guards import InjectionFilter
    from strata.train.detector import labelled

    frame = labelled(data, text_col, label_col, positive)
    opts = {"model": model} if threshold is None else {"model": model, "threshold": threshold}
    flt = InjectionFilter(opts, state(ctx).runtime)
    detector = flt.detector()
    flt.check("warm up", None)  # type: ignore[arg-type]
    scores, millis = _latencies(lambda t: flt.check(t, None).score or 0.0, frame["text"].tolist())  # type: ignore[arg-type]
    report = {
        "model": model,
        "threshold": detector.threshold,
        "rows": len(frame),
        **binary_metrics(scores, [x == "injection" for x in frame["label"]], detector.threshold),
        "latency_ms_p50": round(float(np.percentile(millis, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(millis, 95)), 2),
    }
    if as_json:
        print_json(report)
        return
    print_table("injection", ["metric", "value"], [[k, v] for k, v in report.items()])


def eval_pii(
    data: Annotated[
        Path | None, typer.Option(help="Labelled set (default: the shipped one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Precision and recall per entity on the generated labelled PII set."""
    from strata.security.pii_eval import evaluate, load_cases

    report = evaluate(load_cases(data))
    if as_json:
        print_json(report)
        return
    rows = [
        [kind, m["support"], f"{m['precision']:.3f}", f"{m['recall']:.3f}"]
        for kind, m in report["entities"].items()
    ]
    print_table("PII recognisers", ["entity", "support", "precision", "recall"], rows)


def register(app: typer.Typer) -> None:
    """Add `strata security`."""
    group = typer.Typer(
        help="AI security: PII, injection detection, evaluation.", no_args_is_help=True
    )
    group.command("train-injection")(train_injection)
    evaluate = typer.Typer(help="Evaluate the security filters.", no_args_is_help=True)
    evaluate.command("injection")(eval_injection)
    evaluate.command("pii")(eval_pii)
    group.add_typer(evaluate, name="eval")
    app.add_typer(group, name="security")
