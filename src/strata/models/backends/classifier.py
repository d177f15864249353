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

    def score_pairs(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> list[float]:
        """Relevance of each (query, passage) pair, as a cross-encoder scores it: the sigmoid of a
        one-logit model, else the probability of the last label (`relevant`)."""
        limit = min(
            int(self.tokenizer.model_max_length),
            int(getattr(self.model.config, "max_position_embeddings", 512)),
        )
        scores: list[float] = []
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start : start + batch_size]
            batch = self.tokenizer(
                [q for q, _ in chunk],
                [p for _, p in chunk],
                padding=True,
                truncation="only_second",
                max_length=limit,
                return_tensors="pt",
            )
            with torch.inference_mode():
                logits = self.model(**batch).logits
            if logits.shape[-1] == 1:
                scores.extend(torch.sigmoid(logits[:, 0]).tolist())
            else:
                scores.extend(torch.softmax(logits, dim=-1)[:, -1].tolist())
        return scores


def load(record: ModelRecord, settings: ModelSettings) -> SequenceClassifier:
    """Entry point of `strata.models.backends: transformers-classifier`."""
    return SequenceClassifier(Path(record.uri))
