"""Evaluating registered models on data: classifiers on texts, detectors on telemetry rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from strata.models.layers import ModelKind
from strata.train.data import read_columns, texts_and_labels
from strata.train.errors import InvalidTrainingData
from strata.train.evaluate import Ranked, classification_report, multilabel_report
from strata.train.spec import parse_columns
from strata.train.workspace import Progress, Workspace, no_progress

BATCH = 256


def sort_rows(frame: pd.DataFrame, time_col: str | None, group_col: str | None) -> pd.DataFrame:
    """Rows in time order within each group (a stable sort keeps ingest order otherwise)."""
    keys = [c for c in (group_col, time_col) if c]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


def rank(ws: Workspace, ref: str, texts: Sequence[str], progress: Progress = no_progress) -> Ranked:
    """Each text's labels ranked by score, computed in batches."""
    _, classifier = ws.runtime.classifier(ref)
    ranked: Ranked = []
    for start in range(0, len(texts), BATCH):
        ranked.extend(classifier.classify(list(texts[start : start + BATCH])))
        progress("evaluate", min(1.0, (start + BATCH) / max(1, len(texts))))
    return ranked


def evaluate_classifier(
    ws: Workspace,
    ref: str,
    texts: Sequence[str],
    labels: Sequence[Any],
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """A multi-class or multi-label report of the model on these examples."""
    ranked = rank(ws, ref, texts, progress)
    if labels and not isinstance(labels[0], str):
        return multilabel_report(labels, ranked)
    return classification_report([str(x) for x in labels], ranked)


def evaluate_detector(
    ws: Workspace, ref: str, rows: pd.DataFrame, label_col: str | None
) -> dict[str, Any]:
    """Point-wise F1, false- and missed-alarm rates against a 0/1 label column (or the
    false-alarm rate alone on data assumed normal)."""
    from strata.train.anomaly import anomaly_metrics

    _, detector = ws.runtime.detector(ref)
    flags = np.asarray(detector.detect(rows), dtype=bool)
    if label_col is None:
        return {"metrics": {"normal_flag_rate": float(flags.mean()), "rows": len(rows)}}
    truth = rows[label_col].fillna(0).astype(int).to_numpy()
    return {"metrics": anomaly_metrics(truth, flags)}


def evaluate(
    ws: Workspace,
    ref: str,
    data: str,
    label_col: str | None = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """`strata train eval`: evaluate a model on a dataset version and store the result on it."""
    record = ws.store.resolve(ref)
    spec = record.details.get("spec", {})
    if record.kind == ModelKind.CLASSIFIER:
        columns = parse_columns(data, None, "--data")
        if not columns.columns:
            trained = parse_columns(spec.get("data", ""), None, "--data").columns
            columns = parse_columns(f"{data}:{','.join(trained)}", 2, "--data")
        frame, version = read_columns(ws.lake, columns, "evaluation")
        texts, labels = texts_and_labels(frame, *columns.columns[:2])
        report = evaluate_classifier(ws, record.ref, texts, labels, progress)
    elif record.kind == ModelKind.ANOMALY:
        label = label_col or "anomaly"
        frame, version = read_columns(ws.lake, parse_columns(data, None, "--data"), "evaluation")
        if label not in frame:
            raise InvalidTrainingData(
                f"Dataset {data} has no label column {label!r}.",
                hint="Pass --label-col with the 0/1 anomaly column.",
            )
        rows = sort_rows(frame, spec.get("time_col"), spec.get("group_col"))
        report = evaluate_detector(ws, record.ref, rows, label)
    else:
        raise InvalidTrainingData(
            f"Model {record.ref} is a {record.kind.value}; eval takes "
            "classifiers and anomaly detectors.",
            hint="strata models ls",
        )
    report["data"] = version.to_dict()
    updated = ws.store.set_metrics(record.ref, report["metrics"], report)
    ws.write_card(updated)
    return report
