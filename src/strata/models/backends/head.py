"""L2 classifier backend: an encoder body plus a linear head, as `strata train tune` writes it.

The folder holds `body/` (an encoder folder), `head.safetensors` (`weight`, `bias`, and
`lexical_weight` in format 2) and `head.json` (`format`, `labels`, `multi_label`, `temperature`,
`threshold`, `max_length`, `lexical`); format 2 adds `lexical.json` (TF-IDF terms and idf).
Probabilities are softmax(logits / temperature) for multi-class and independent sigmoids for
multi-label, where logits = unit-embedding @ weight.T (+ tfidf @ lexical_weight.T) + bias.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from sentence_transformers import SentenceTransformer

from strata.core.errors import InvalidInput
from strata.core.settings import ModelSettings
from strata.models.backends.quiet import quiet_transformers
from strata.models.lexical import LexicalFeatures, lexical_logits
from strata.models.records import ModelRecord

SUPPORTED_FORMATS = (1, 2)


class HeadClassifier:
    """Labels with probabilities from a frozen or tuned encoder and a linear head."""

    def __init__(self, folder: Path) -> None:
        meta = read_meta(folder)
        tensors = load_file(str(folder / "head.safetensors"))
        self.labels: list[str] = [str(label) for label in meta["labels"]]
        self.multi_label = bool(meta["multi_label"])
        self.temperature = float(meta.get("temperature", 1.0))
        self.threshold = float(meta.get("threshold", 0.5))
        self.weight = tensors["weight"].astype(np.float32)
        self.bias = tensors["bias"].astype(np.float32)
        self.lexical: LexicalFeatures | None = None
        self.lexical_weight: NDArray[np.float32] | None = None
        if meta.get("lexical"):
            self.lexical = LexicalFeatures.load(folder)
            self.lexical_weight = tensors["lexical_weight"].astype(np.float32)
        quiet_transformers()
        self.body = SentenceTransformer(str(folder / "body"), device="cpu", local_files_only=True)
        max_length = int(meta.get("max_length", 128))
        self.body.max_seq_length = min(max_length, self.body.max_seq_length or max_length)

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(n_texts, n_labels) probabilities, in the order of `labels`."""
        vectors = self.body.encode(
            list(texts),
            batch_size=64,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        logits = np.asarray(vectors, dtype=np.float32) @ self.weight.T + self.bias
        if self.lexical is not None and self.lexical_weight is not None:
            logits += lexical_logits(self.lexical, self.lexical_weight, texts)
        if self.multi_label:
            return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)
        scaled = logits / self.temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        exp = np.exp(scaled)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text, every label with its probability, best first."""
        if len(texts) == 0:
            return []
        return [
            sorted(zip(self.labels, map(float, row), strict=True), key=lambda p: -p[1])
            for row in self.probabilities(texts)
        ]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """Multi-label: the labels at or above the calibrated threshold; else the best label."""
        probs = self.probabilities(texts) if len(texts) else np.zeros((0, len(self.labels)))
        if not self.multi_label:
            return [[self.labels[int(row.argmax())]] for row in probs]
        return [[self.labels[i] for i in np.flatnonzero(row >= self.threshold)] for row in probs]


def read_meta(folder: Path) -> dict[str, Any]:
    """`head.json` of an artifact folder, checked for a supported format."""
    path = folder / "head.json"
    if not path.is_file():
        raise InvalidInput(
            f"{folder} is not an L2 classifier folder: head.json is missing.",
            hint="Point the model at the folder `strata train tune` wrote (body/, head.*).",
        )
    meta: dict[str, Any] = json.loads(path.read_text())
    if meta.get("format") not in SUPPORTED_FORMATS:
        raise InvalidInput(
            f"head.json in {folder} has format {meta.get('format')!r}; this Strata reads "
            f"{list(SUPPORTED_FORMATS)}.",
            hint="Upgrade Strata, or retrain the model with this version.",
        )
    return meta


def load(record: ModelRecord, settings: ModelSettings) -> HeadClassifier:
    """Entry point of `strata.models.backends: strata-head`."""
    return HeadClassifier(Path(record.uri))
