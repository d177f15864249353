"""Prompt-injection and jailbreak detection on top of an L2 text classifier.

The detector is an ordinary L2 model trained by the model factory (`strata security
train-injection`); this module only turns its scores into decisions: a threshold chosen for a
false-positive budget, metrics, and scans of retrieved chunks and tool outputs (indirect injection).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from strata.security.errors import SecurityError

POSITIVE = "injection"
NEGATIVE = "benign"
DEFAULT_MODEL = "l2/injection-detector"
THRESHOLD_METRIC = "injection_threshold"
WINDOW_CHARS = 1000  # about the 256 tokens the detector reads
MAX_WINDOWS = 8


class TextClassifier(Protocol):
    """What the detector needs from a loaded classifier (`strata.models` Classifier)."""

    labels: list[str]

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]: ...


def authored_data(name: str = "injection_authored.csv") -> Path:
    """Path of a CSV shipped with Strata: `injection_authored.csv` (training), or
    `injection_holdout.csv` to `injection_holdout4.csv` (new phrasings, never trained on)."""
    return Path(str(resources.files("strata.security") / "data" / name))


@dataclass(frozen=True)
class ChunkVerdict:
    """The detector's view of one retrieved chunk or tool output."""

    index: int
    score: float
    injection: bool
    source: str


class InjectionDetector:
    """Scores texts for injection and applies the calibrated threshold."""

    def __init__(self, classifier: TextClassifier, threshold: float, positive: str = POSITIVE):
        if positive not in classifier.labels:
            raise SecurityError(
                f"The injection classifier has no label {positive!r}; its labels are "
                f"{classifier.labels}.",
                hint="Train it with `strata security train-injection`, or pass its positive label.",
            )
        self.classifier = classifier
        self.threshold = threshold
        self.positive = positive

    def scores(self, texts: Sequence[str]) -> list[float]:
        """The probability of injection for each text."""
        if not texts:
            return []
        ranked = self.classifier.classify(list(texts))
        return [next((s for label, s in row if label == self.positive), 0.0) for row in ranked]

    def prompt_scores(self, texts: Sequence[str], batch: int = 64) -> list[float]:
        """Each text's score over its windows (the highest), so a long prompt cannot hide a
        payload past what the model reads; all windows go through the model in batches."""
        slices = [windows(text) for text in texts]
        flat = [piece for pieces in slices for piece in pieces]
        scored = [s for i in range(0, len(flat), batch) for s in self.scores(flat[i : i + batch])]
        out, at = [], 0
        for pieces in slices:
            out.append(max(scored[at : at + len(pieces)]))
            at += len(pieces)
        return out

    def is_injection(self, text: str) -> tuple[bool, float]:
        """Whether one text crosses the threshold, and its score."""
        score = self.scores([text])[0]
        return score >= self.threshold, score

    def scan(self, chunks: Sequence[str], source: str = "retrieved") -> list[ChunkVerdict]:
        """Check retrieved chunks or tool outputs before they reach a model (indirect injection).

        Args:
            chunks: texts from a knowledge base, a web page, a tool or an MCP server.
            source: where they came from, kept on each verdict for the audit log.
        """
        return [
            ChunkVerdict(i, score, score >= self.threshold, source)
            for i, score in enumerate(self.scores(chunks))
        ]

    def clean(self, chunks: Sequence[str], source: str = "retrieved") -> list[str]:
        """Only the chunks the detector lets through, in order."""
        verdicts = self.scan(chunks, source)
        return [chunk for chunk, v in zip(chunks, verdicts, strict=True) if not v.injection]


def pick_threshold(
    scores: Sequence[float], truth: Sequence[bool], max_fpr: float, floor: float = 0.5
) -> float:
    """The lowest threshold whose false-positive rate on `truth == False` is at most `max_fpr`,
    and never below `floor`.

    The floor is the model's own decision boundary: when few validation prompts score between
    0 and 1 (a detector that separates its validation split well), the FPR budget alone can put
    the threshold near 0, where any benign prompt unlike the validation ones is flagged. Below
    0.5 the calibrated model itself says "more likely benign".

    It never goes above 1 either: when too many benign prompts score 1.0, no threshold meets the
    budget, and one above every possible score would silently let every prompt through. The
    threshold is then 1.0 and the caller reports the budget as missed.
    """
    negatives = np.sort(np.asarray([s for s, t in zip(scores, truth, strict=True) if not t]))
    if negatives.size == 0:
        return floor
    allowed = int(np.floor(max_fpr * negatives.size))  # negatives that may score above it
    if allowed >= negatives.size:
        return max(floor, float(negatives[0]))
    cut = float(negatives[negatives.size - allowed - 1])
    return min(1.0, max(floor, float(np.nextafter(cut, np.inf))))


def binary_metrics(
    scores: Sequence[float], truth: Sequence[bool], threshold: float
) -> dict[str, Any]:
    """TPR, FPR, precision and F1 of `score >= threshold` against `truth`."""
    predicted = np.asarray(scores) >= threshold
    actual = np.asarray(truth, dtype=bool)
    tp = int(np.sum(predicted & actual))
    fp = int(np.sum(predicted & ~actual))
    fn = int(np.sum(~predicted & actual))
    tn = int(np.sum(~predicted & ~actual))
    tpr = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * tpr / (precision + tpr) if precision + tpr else 0.0
    return {
        "tpr": round(tpr, 4),
        "fpr": round(fp / (fp + tn) if fp + tn else 0.0, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
        "positives": tp + fn,
        "negatives": fp + tn,
    }


def windows(text: str, size: int = WINDOW_CHARS, limit: int = MAX_WINDOWS) -> list[str]:
    """Overlapping slices of a long text (first, last and evenly between), at most `limit`."""
    if len(text) <= size:
        return [text]
    step = size * 3 // 4
    starts = [*range(0, len(text) - size + 1, step), len(text) - size]
    if len(starts) > limit:
        picked = [starts[round(i * (len(starts) - 1) / (limit - 1))] for i in range(limit)]
        starts = picked
    return [text[s : s + size] for s in sorted(set(starts))]
