"""`strata security train-injection | eval injection | eval pii`: the AI-security layer's commands.

The detector is built by the model factory (lake datasets, `tune`, the registry); this module
wires those steps together, since `strata.security` itself may only import `strata.core`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from strata.cli.output import console, print_json, print_table
from strata.cli.progress import progress_bar
from strata.cli.state import state

if TYPE_CHECKING:
    import pandas as pd

    from strata.train.workspace import Progress, Workspace

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DEFAULT_JAILBREAK = Path("../shared/data/jailbreak/train.csv")
TRAIN_DATASET = "injection-train"
TEST_DATASET = "injection-test"
BASE = "l0/minilm-l6"
# Authored prompts never trained on: `injection_holdout.csv` (2026-11-28),
# `injection_holdout2.csv` and `injection_holdout3.csv` (2026-11-29, each written before the
# training additions that followed it).
HOLDOUTS = ("holdout", "holdout2", "holdout3")


def _labelled(path: Path, text_col: str, label_col: str, positive: str) -> pd.DataFrame:
    """A CSV as `text,label` with labels `injection`/`benign`."""
    import pandas as pd

    from strata.cli.files import read_csv_columns
    from strata.security.injection import NEGATIVE, POSITIVE

    frame = read_csv_columns(
        path, (text_col, label_col), "--data", "a CSV of labelled prompts (e.g. the jailbreak set)"
    )
    labels = [POSITIVE if v == positive else NEGATIVE for v in frame[label_col]]
    return pd.DataFrame({"text": frame[text_col].astype(str), "label": labels})


def _splits(jailbreak: Path, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pooled corpus split 80/20 per label with a fixed seed: (train+validation, test)."""
    import pandas as pd

    from strata.security.injection import authored_data
    from strata.train.split import stratified_split

    pool = pd.concat(
        [
            _labelled(jailbreak, "prompt", "type", "jailbreak"),
            _labelled(authored_data(), "text", "label", "injection"),
        ],
        ignore_index=True,
    )
    pool = pool[pool["text"].str.strip() != ""].drop_duplicates("text").reset_index(drop=True)
    train, test = stratified_split(pool["label"].tolist(), 0.2, seed)
    return pool.iloc[train].reset_index(drop=True), pool.iloc[test].reset_index(drop=True)


def _with_templates(pool: pd.DataFrame, templated: list[tuple[str, str]]) -> pd.DataFrame:
    """The training rows plus templated injections and look-alikes (training only: the test
    split and the hold-outs never hold them)."""
    import pandas as pd

    extra = pd.DataFrame(templated, columns=["text", "label"])
    rows = pd.concat([pool, extra], ignore_index=True)
    return rows.drop_duplicates("text").reset_index(drop=True)


def _ingest(ws: Workspace, frame: pd.DataFrame, dataset: str, folder: Path) -> None:
    """Write a split as Parquet and ingest it (a no-op when the same data is already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset}.parquet"
    frame.to_parquet(path, index=False)
    ws.lake.ingest(str(path), dataset)


def _scores(ws: Workspace, ref: str, texts: list[str]) -> list[float]:
    """Each text's score as the gateway's `injection` filter computes it (over its windows), so
    the threshold is calibrated on what will be served."""
    from strata.security.injection import InjectionDetector

    _, classifier = ws.runtime.classifier(ref)
    return InjectionDetector(classifier, 0.5).prompt_scores(texts)


def _read(ws: Workspace, dataset: str) -> tuple[list[str], list[bool]]:
    from strata.security.injection import POSITIVE
    from strata.train.data import read_columns
    from strata.train.spec import parse_columns

    frame, _ = read_columns(ws.lake, parse_columns(f"{dataset}:text,label", 2, "--data"), "eval")
    return frame["text"].astype(str).tolist(), [x == POSITIVE for x in frame["label"]]


def build_detector(
    ws: Workspace, jailbreak: Path, options: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """Ingest, tune, calibrate the threshold on validation, and report held-out metrics."""
    from strata.security.injection import THRESHOLD_METRIC, authored_data, pick_threshold
    from strata.security.templates import templated_examples
    from strata.train.spec import TuneSpec
    from strata.train.split import stratified_split
    from strata.train.tune import tune

    seed = int(options["seed"])
    pool, test = _splits(jailbreak, seed)
    templated = templated_examples(seed, int(options.get("templated", 0)))
    pool = _with_templates(pool, templated)
    folder = ws.root.parent / "security"
    _ingest(ws, pool, TRAIN_DATASET, folder)
    _ingest(ws, test, TEST_DATASET, folder)
    spec = TuneSpec(
        base=options["base"],
        name=options["name"],
        data=f"{TRAIN_DATASET}:text,label",
        mode=options["mode"],
        epochs=options.get("epochs"),
        max_length=options.get("max_length"),
        seed=seed,
        val_fraction=0.2,
        label_names=False,
    )
    result = tune(ws, spec, progress)
    ref = result.record.ref
    texts, truth = _read(ws, TRAIN_DATASET)
    _, held = stratified_split(["i" if t else "b" for t in truth], spec.val_fraction, seed)
    # The threshold is calibrated on real prompts only: templated ones are easy to tell apart,
    # and counting them would let the FPR budget go to the hard benign prompts.
    made = {text for text, _ in templated}
    val = [int(i) for i in held if texts[i] not in made]
    val_scores = _scores(ws, ref, [texts[i] for i in val])
    threshold = pick_threshold(val_scores, [truth[i] for i in val], options["max_fpr"])
    validation = _metrics(val_scores, [truth[i] for i in val], threshold)
    report = {
        "model": ref,
        "created": result.created,
        "threshold": threshold,
        "max_fpr": options["max_fpr"],
        "validation": validation,
        "fpr_budget_met": validation["fpr"] <= options["max_fpr"],
        "test": _metrics(
            _scores(ws, ref, _read(ws, TEST_DATASET)[0]), _read(ws, TEST_DATASET)[1], threshold
        ),
        **{
            part: _holdout(ws, ref, authored_data(f"injection_{part}.csv"), threshold)
            for part in HOLDOUTS
        },
    }
    metrics = {
        THRESHOLD_METRIC: threshold,
        **{f"{part}_{k}": report[part][k] for part in ("test", *HOLDOUTS) for k in ("tpr", "fpr")},
    }
    evaluation = {**result.record.details.get("evaluation", {}), "injection": report}
    ws.store.set_metrics(ref, metrics, evaluation)
    return report


def _metrics(scores: list[float], truth: list[bool], threshold: float) -> dict[str, Any]:
    from strata.security.injection import binary_metrics

    return binary_metrics(scores, truth, threshold)


def _holdout(ws: Workspace, ref: str, path: Path, threshold: float) -> dict[str, Any]:
    frame = _labelled(path, "text", "label", "injection")
    texts = frame["text"].tolist()
    return _metrics(_scores(ws, ref, texts), [x == "injection" for x in frame["label"]], threshold)


def train_injection(
    ctx: typer.Context,
    data: Annotated[
        Path, typer.Option(help="The jailbreak CSV (columns prompt,type).")
    ] = DEFAULT_JAILBREAK,
    name: Annotated[str, typer.Option(help="Name of the L2 detector.")] = "injection-detector",
    base: Annotated[str, typer.Option(help="Encoder to tune on.")] = BASE,
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
    options = {
        "name": name,
        "base": base,
        "mode": mode,
        "epochs": epochs,
        "max_length": max_length,
        "max_fpr": max_fpr,
        "seed": seed,
        "templated": templated,
    }
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

    from strata.serve.guards import InjectionFilter

    frame = _labelled(data, text_col, label_col, positive)
    opts = {"model": model} if threshold is None else {"model": model, "threshold": threshold}
    flt = InjectionFilter(opts, state(ctx).runtime)
    detector = flt.detector()
    flt.check("warm up", None)  # type: ignore[arg-type]
    scores, millis = _latencies(lambda t: flt.check(t, None).score or 0.0, frame["text"].tolist())  # type: ignore[arg-type]
    report = {
        "model": model,
        "threshold": detector.threshold,
        "rows": len(frame),
        **_metrics(scores, [x == "injection" for x in frame["label"]], detector.threshold),
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
