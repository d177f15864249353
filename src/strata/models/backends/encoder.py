"""Encoder backend: a sentence-transformers (or plain Hugging Face) folder, run on the CPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sentence_transformers import SentenceTransformer

from strata.core.settings import ModelSettings
from strata.models.backends.quiet import quiet_transformers
from strata.models.records import ModelRecord


class SentenceEncoder:
    """Mean-pooled (or the folder's own pooling), L2-normalised sentence embeddings."""

    def __init__(self, folder: Path) -> None:
        quiet_transformers()
        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.dimension = int(self.model.get_embedding_dimension() or 0)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load(record: ModelRecord, settings: ModelSettings) -> SentenceEncoder:
    """Entry point of `strata.models.backends: sentence-transformers`."""
    return SentenceEncoder(Path(record.uri))
