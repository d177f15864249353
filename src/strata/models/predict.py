"""Predictions as tables: the Python API the CLI and the gateway call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from strata.core.errors import InvalidInput
from strata.models.backends.base import AnomalyDetector, Classifier

BATCH = 256


def classify_texts(
    classifier: Classifier, texts: Sequence[str], top_k: int = 3
) -> list[dict[str, Any]]:
    """For each text: the best label, its score and the top-k labels with scores."""
    if top_k < 1:
        raise InvalidInput(f"--top-k must be at least 1; got {top_k}.", hint="Pass --top-k 3.")
    results: list[dict[str, Any]] = []
    for start in range(0, len(texts), BATCH):
        for ranked in classifier.classify(list(texts[start : start + BATCH])):
            results.append(
                {
                    "label": ranked[0][0],
                    "score": float(ranked[0][1]),
                    "top_k": [
                        {"label": label, "score": float(score)} for label, score in ranked[:top_k]
                    ],
                }
            )
    return results


def classify_frame(
    classifier: Classifier, frame: pd.DataFrame, text_col: str, top_k: int
) -> pd.DataFrame:
    """The frame with `label`, `score` and `top_k` (JSON) columns added."""
    if text_col not in frame:
        raise InvalidInput(
            f"Input has no column {text_col!r}; its columns are "
            f"{', '.join(map(str, frame.columns))}.",
            hint="Pass --text-col with the column holding the texts.",
        )
    results = classify_texts(classifier, [str(t) for t in frame[text_col].fillna("")], top_k)
    out = frame.copy()
    out["label"] = [r["label"] for r in results]
    out["score"] = [round(r["score"], 6) for r in results]
    out["top_k"] = [json.dumps(r["top_k"]) for r in results]
    return out


def detect_frame(detector: AnomalyDetector, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `anomaly_score` and `anomaly` (0/1) columns added."""
    missing = [c for c in detector.features if c not in frame]
    if missing:
        raise InvalidInput(
            f"Input lacks feature column(s) {', '.join(missing)} the detector was trained on.",
            hint=f"Provide the columns {', '.join(detector.features)}.",
        )
    out = frame.copy()
    out["anomaly_score"] = detector.score(frame)
    out["anomaly"] = detector.detect(frame).astype(int)
    return out
