"""Evaluation reports: accuracy, macro-F1, per-class figures, confused pairs, calibration (ECE)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

Ranked = list[list[tuple[str, float]]]


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(ece)


def _per_class(truth: Sequence[str], predicted: Sequence[str], labels: list[str]) -> dict[str, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def _confused(
    truth: Sequence[str], predicted: Sequence[str], top: int = 10
) -> list[dict[str, Any]]:
    pairs = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return [{"true": t, "predicted": p, "count": n} for (t, p), n in pairs.most_common(top)]


def classification_report(truth: Sequence[str], ranked: Ranked) -> dict[str, Any]:
    """Multi-class report from each text's labels ranked by score."""
    predicted = [r[0][0] for r in ranked]
    confidence = np.array([r[0][1] for r in ranked], dtype=np.float64)
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)], dtype=np.float64)
    labels = sorted(set(truth) | set(predicted))
    top3 = np.mean([t in {label for label, _ in r[:3]} for t, r in zip(truth, ranked, strict=True)])
    return {
        "metrics": {
            "accuracy": float(correct.mean()),
            "macro_f1": float(
                f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
            ),
            "top3_accuracy": float(top3),
            "ece": expected_calibration_error(confidence, correct),
            "examples": len(truth),
        },
        "per_class": _per_class(truth, predicted, labels),
        "confused_pairs": _confused(truth, predicted),
    }


def multilabel_report(
    truth: Sequence[Sequence[str]], ranked: Ranked, threshold: float = 0.5
) -> dict[str, Any]:
    """Multi-label report: a label is predicted when its probability reaches the threshold."""
    labels = sorted({label for r in ranked for label, _ in r})
    index = {label: i for i, label in enumerate(labels)}
    y_true = np.zeros((len(truth), len(labels)), dtype=np.int64)
    y_pred = np.zeros_like(y_true)
    for row, (gold, scores) in enumerate(zip(truth, ranked, strict=True)):
        for label in gold:
            if label in index:
                y_true[row, index[label]] = 1
        for label, score in scores:
            y_pred[row, index[label]] = int(score >= threshold)
    return {
        "metrics": {
            "subset_accuracy": float((y_true == y_pred).all(axis=1).mean()),
            "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "examples": len(truth),
        },
    }
