"""The injection detector, built end to end by the model factory.

`build_detector` pools the jailbreak CSV with Strata's authored prompts, splits them 80/20 per
label with a fixed seed, ingests both parts into the lake, adds templated prompts to the training
part only, tunes an L2 classifier, picks the threshold for a false-positive budget on validation,
and stores it with the test and hold-out metrics on the model. A re-run changes nothing (same
ingests, same job key) and returns the stored report without scoring anything again, unless
the hold-out files changed since it was made: then the calibration and the metrics are redone.
`strata security train-injection` and packs call it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from strata.core.files import read_csv_columns
from strata.security.injection import (
    NEGATIVE,
    POSITIVE,
    THRESHOLD_METRIC,
    InjectionDetector,
    authored_data,
    binary_metrics,
    pick_threshold,
)
from strata.security.templates import templated_examples
from strata.train.data import read_columns
from strata.train.spec import TuneSpec, parse_columns
from strata.train.split import stratified_split
from strata.train.tune import tune
from strata.train.workspace import Progress, Workspace, no_progress

TRAIN_DATASET = "injection-train"
TEST_DATASET = "injection-test"
# Authored prompts never trained on: `injection_holdout.csv` (2026-11-28),
# `injection_holdout2.csv`, `injection_holdout3.csv` and `injection_holdout4.csv` (2026-11-29,
# each written before the training changes that followed it).
HOLDOUTS = ("holdout", "holdout2", "holdout3", "holdout4")


@dataclass(frozen=True)
class DetectorOptions:
    """How to build the detector; the defaults are those of `strata security train-injection`.

    Args:
        name: the L2 model's name.
        base: the encoder tuned on.
        mode: `body` tunes the encoder (best, about 20 minutes on 2 CPU cores); `fast` fits a head
            on the frozen encoder (about a minute).
        epochs: body tuning's passes over the data.
        max_length: tokens kept per prompt.
        max_fpr: the false-positive budget the threshold is picked for, on validation.
        seed: seed of the splits and of training.
        templated: templated training prompts per label (0: none).
    """

    name: str = "injection-detector"
    base: str = "l0/minilm-l6"
    mode: Literal["body", "fast"] = "body"
    epochs: int = 10
    max_length: int = 256
    max_fpr: float = 0.02
    seed: int = 0
    templated: int = 600


def labelled(path: Path, text_col: str, label_col: str, positive: str) -> pd.DataFrame:
    """A CSV as `text,label` with labels `injection`/`benign`."""
    frame = read_csv_columns(
        path, (text_col, label_col), "--data", "a CSV of labelled prompts (e.g. the jailbreak set)"
    )
    labels = [POSITIVE if v == positive else NEGATIVE for v in frame[label_col]]
    return pd.DataFrame({"text": frame[text_col].astype(str), "label": labels})


def _splits(jailbreak: Path, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pooled corpus split 80/20 per label with a fixed seed: (train+validation, test)."""
    pool = pd.concat(
        [
            labelled(jailbreak, "prompt", "type", "jailbreak"),
            labelled(authored_data(), "text", "label", POSITIVE),
        ],
        ignore_index=True,
    )
    pool = pool[pool["text"].str.strip() != ""].drop_duplicates("text").reset_index(drop=True)
    train, test = stratified_split(pool["label"].tolist(), 0.2, seed)
    return pool.iloc[train].reset_index(drop=True), pool.iloc[test].reset_index(drop=True)


def _with_templates(pool: pd.DataFrame, templated: list[tuple[str, str]]) -> pd.DataFrame:
    """The training rows plus templated injections and look-alikes (training only: the test
    split and the hold-outs never hold them)."""
    extra = pd.DataFrame(templated, columns=["text", "label"])
    rows = pd.concat([pool, extra], ignore_index=True)
    return rows.drop_duplicates("text").reset_index(drop=True)


def _ingest(ws: Workspace, frame: pd.DataFrame, dataset: str, folder: Path) -> None:
    """Write a split as Parquet and ingest it (a no-op when the same data is already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset}.parquet"
    frame.to_parquet(path, index=False)
    ws.lake.ingest(str(path), dataset)


def prompt_scores(ws: Workspace, ref: str, texts: list[str]) -> list[float]:
    """Each text's score as the gateway's `injection` filter computes it (over its windows), so
    the threshold is calibrated on what will be served."""
    _, classifier = ws.runtime.classifier(ref)
    return InjectionDetector(classifier, 0.5).prompt_scores(texts)


def _read(ws: Workspace, dataset: str) -> tuple[list[str], list[bool]]:
    frame, _ = read_columns(ws.lake, parse_columns(f"{dataset}:text,label", 2, "--data"), "eval")
    return frame["text"].astype(str).tolist(), [x == POSITIVE for x in frame["label"]]


def holdout_digests() -> dict[str, str]:
    """The sha256 of each hold-out file, so a stored report is reused only for the same files."""
    return {
        part: hashlib.sha256(authored_data(f"injection_{part}.csv").read_bytes()).hexdigest()
        for part in HOLDOUTS
    }


def _holdout(ws: Workspace, ref: str, name: str, threshold: float) -> dict[str, Any]:
    frame = labelled(authored_data(f"injection_{name}.csv"), "text", "label", POSITIVE)
    truth = [x == POSITIVE for x in frame["label"]]
    return binary_metrics(prompt_scores(ws, ref, frame["text"].tolist()), truth, threshold)


def _calibrate(
    ws: Workspace, ref: str, made: set[str], spec: TuneSpec, max_fpr: float
) -> tuple[float, dict[str, Any]]:
    """The threshold for `max_fpr` on the tune's validation split, and the metrics there.

    Real prompts only: templated ones are easy to tell apart, and counting them would let the
    FPR budget go to the hard benign prompts.
    """
    texts, truth = _read(ws, TRAIN_DATASET)
    _, held = stratified_split(["i" if t else "b" for t in truth], spec.val_fraction, spec.seed)
    val = [int(i) for i in held if texts[i] not in made]
    scores = prompt_scores(ws, ref, [texts[i] for i in val])
    threshold = pick_threshold(scores, [truth[i] for i in val], max_fpr)
    return threshold, binary_metrics(scores, [truth[i] for i in val], threshold)


def build_detector(
    ws: Workspace,
    jailbreak: Path,
    options: DetectorOptions = DetectorOptions(),
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Ingest, tune, calibrate the threshold on validation, and report held-out metrics."""
    pool, test = _splits(jailbreak, options.seed)
    templated = templated_examples(options.seed, options.templated)
    pool = _with_templates(pool, templated)
    folder = ws.root.parent / "security"
    _ingest(ws, pool, TRAIN_DATASET, folder)
    _ingest(ws, test, TEST_DATASET, folder)
    spec = TuneSpec(
        base=options.base,
        name=options.name,
        data=f"{TRAIN_DATASET}:text,label",
        mode=options.mode,
        epochs=options.epochs,
        max_length=options.max_length,
        seed=options.seed,
        val_fraction=0.2,
        label_names=False,
    )
    result = tune(ws, spec, progress)
    ref = result.record.ref
    kept = result.record.details.get("evaluation", {}).get("injection") or {}
    digests = holdout_digests()
    same = kept.get("options") == asdict(options) and kept.get("holdout_files") == digests
    if not result.created and same:
        return {**kept, "created": False}  # same model, calibration and hold-outs: nothing to redo
    threshold, validation = _calibrate(ws, ref, {t for t, _ in templated}, spec, options.max_fpr)
    test_texts, test_truth = _read(ws, TEST_DATASET)
    report = {
        "model": ref,
        "created": result.created,
        "options": asdict(options),
        "threshold": threshold,
        "max_fpr": options.max_fpr,
        "validation": validation,
        "fpr_budget_met": validation["fpr"] <= options.max_fpr,
        "test": binary_metrics(prompt_scores(ws, ref, test_texts), test_truth, threshold),
        **{part: _holdout(ws, ref, part, threshold) for part in HOLDOUTS},
        "holdout_files": digests,
    }
    metrics = {
        THRESHOLD_METRIC: threshold,
        **{f"{part}_{k}": report[part][k] for part in ("test", *HOLDOUTS) for k in ("tpr", "fpr")},
    }
    evaluation = {**result.record.details.get("evaluation", {}), "injection": report}
    ws.store.set_metrics(ref, metrics, evaluation)
    return report
