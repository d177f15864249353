"""The backend of encoders and classifiers exported by `strata models optimize`.

A folder holds `model.onnx` (fp32 or int8 weights), the tokenizer files and `onnx.json` (task,
labels, max length, precision). ONNX Runtime runs fp32 and int8 exports; OpenVINO runs bf16 ones
(`runners.py`). Texts are sorted by length before batching, so padding stays small. A classifier
exported from a strata-head with lexical features also holds `lexical.json` and
`lexical.safetensors`: TF-IDF logits computed beside the graph and added to its output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from transformers import AutoTokenizer

from strata.core.settings import ModelSettings
from strata.models.backends.quiet import quiet_transformers
from strata.models.backends.runners import open_runner
from strata.models.errors import InvalidModelFolder
from strata.models.lexical import LexicalFeatures, lexical_logits
from strata.models.records import ModelRecord

MANIFEST = "onnx.json"
MODEL_FILE = "model.onnx"
LEXICAL_WEIGHTS = "lexical.safetensors"


class OnnxModel:
    """A runner and its tokenizer; runs texts in length-sorted batches."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        quiet_transformers()
        manifest = folder / MANIFEST
        if not manifest.is_file():
            raise InvalidModelFolder(
                f"{folder} has no {MANIFEST}; it is not an optimised model folder.",
                hint="Create one with: strata models optimize REF",
            )
        self.manifest: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        self.max_length = int(self.manifest.get("max_length", 256))
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.precision = str(self.manifest.get("precision", "fp32"))
        self.runtime = str(self.manifest.get("runtime", ""))
        self.runner = open_runner(folder / MODEL_FILE, self.precision, threads, self.runtime)

    def run(self, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
        """One output row per text, in the order given."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: list[NDArray[np.float32]] = [np.empty(0, np.float32)] * len(texts)
        for start in range(0, len(order), max(1, batch_size)):
            index = order[start : start + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in index],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {k: v.astype(np.int64) for k, v in batch.items() if k in self.runner.inputs}
            output = self.runner.run(feed)
            for row, i in zip(output, index, strict=True):
                rows[i] = np.asarray(row, dtype=np.float32)
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)


class OnnxEncoder:
    """Unit-length sentence embeddings (pooling and normalisation are inside the graph)."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        self.model = OnnxModel(folder, threads)
        self.dimension = int(self.model.manifest["dimension"])

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return self.model.run(texts, batch_size)


class OnnxClassifier:
    """Softmax scores over the labels recorded at export (sigmoids for multi-label heads)."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        self.model = OnnxModel(folder, threads)
        self.labels = [str(label) for label in self.model.manifest["labels"]]
        self.multi_label = bool(self.model.manifest.get("multi_label", False))
        self.threshold = float(self.model.manifest.get("threshold", 0.5))
        self.lexical: LexicalFeatures | None = None
        self.lexical_weight: NDArray[np.float32] | None = None
        if self.model.manifest.get("lexical"):
            self.lexical = LexicalFeatures.load(folder)
            self.lexical_weight = load_file(str(folder / LEXICAL_WEIGHTS))["lexical_weight"]

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """(n_texts, n_labels) probabilities, in the order of `labels`."""
        logits = self.model.run(texts, 64).astype(np.float64)
        if self.lexical is not None and self.lexical_weight is not None:
            logits += lexical_logits(self.lexical, self.lexical_weight, texts)
        if self.multi_label:
            return np.asarray(1.0 / (1.0 + np.exp(-logits)))
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return np.asarray(probs / probs.sum(axis=1, keepdims=True))

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text, every label with its probability, best first."""
        if not texts:
            return []
        return [
            sorted(zip(self.labels, map(float, row), strict=True), key=lambda p: p[1], reverse=True)
            for row in self.probabilities(texts)
        ]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """Multi-label: the labels at or above the threshold; else the best label."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        if not self.multi_label:
            return [[self.labels[int(row.argmax())]] for row in probs]
        return [[self.labels[i] for i in np.flatnonzero(row >= self.threshold)] for row in probs]


def load(record: ModelRecord, settings: ModelSettings) -> OnnxEncoder | OnnxClassifier:
    """Entry point of `strata.models.backends: onnx`."""
    folder = Path(record.uri)
    if record.kind.value == "classifier":
        return OnnxClassifier(folder, settings.threads)
    return OnnxEncoder(folder, settings.threads)
