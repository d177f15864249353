"""Re-ranking knowledge-base hits with a cross-encoder.

A cross-encoder is a registered classifier (a transformers sequence-classification folder, such
as an MS MARCO MiniLM cross-encoder) that reads the query and a passage together and scores their
relevance; it is slower than the bi-encoder but more exact, so it re-orders only the fused
candidates. Register one with `strata models add FOLDER --kind classifier`, then pass its
reference as `rerank` (`strata kb search --rerank REF`, or `with: {rerank: REF}` in a `retrieve`
step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from strata.apps.errors import InvalidAppInput
from strata.apps.kb_index import Hit, Reranker


@runtime_checkable
class PairScorer(Protocol):
    """What a cross-encoder backend offers: relevance scores for (query, passage) pairs."""

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32
    ) -> list[float]: ...


def cross_encoder(runtime: Any, ref: str) -> Reranker:
    """A re-ranker over the classifier `ref`; raises when its backend cannot score pairs."""
    record, model = runtime.classifier(ref)
    if not isinstance(model, PairScorer):
        raise InvalidAppInput(
            f"Model {record.ref} (backend {record.backend}) cannot score (query, passage) pairs, "
            "so it cannot re-rank.",
            hint="Pass a cross-encoder registered with `strata models add FOLDER --kind "
            "classifier` (a transformers sequence-classification folder).",
        )

    def rerank(query: str, hits: list[Hit]) -> list[Hit]:
        scores = model.score_pairs([(query, hit.text) for hit in hits]) if hits else []
        ranked = sorted(zip(hits, scores, strict=True), key=lambda pair: -pair[1])
        return [replace(hit, rerank_score=round(float(score), 6)) for hit, score in ranked]

    return rerank
