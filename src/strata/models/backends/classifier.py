"""Local classifier backend: a Hugging Face sequence-classification folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from strata.core.settings import ModelSettings
from strata.models.backends.quiet import quiet_transformers
from strata.models.records import ModelRecord


class SequenceClassifier:
    """Softmax scores over the labels of the model's config (id2label)."""

    def __init__(self, folder: Path) -> None:
        quiet_transformers()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model: Any = AutoModelForSequenceClassification.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True
        )
        self.model.train(False)
        id2label = self.model.config.id2label
        self.labels = [str(id2label[i]) for i in range(len(id2label))]

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text, every label with its probability, best first."""
        batch = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            probs = torch.softmax(self.model(**batch).logits, dim=-1).tolist()
        return [
            sorted(zip(self.labels, row, strict=True), key=lambda p: p[1], reverse=True)
            for row in probs
        ]


def load(record: ModelRecord, settings: ModelSettings) -> SequenceClassifier:
    """Entry point of `strata.models.backends: transformers-classifier`."""
    return SequenceClassifier(Path(record.uri))
