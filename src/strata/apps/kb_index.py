"""A knowledge-base index on disk: chunks (Parquet), vectors (usearch HNSW), BM25 (bm25s).

Hybrid search fuses BM25 and dense scores (see `Fusion`); every hit carries its
citation (document, path, title, page, chunk). The folder is plain files, so it can be copied to
and from object storage as a unit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import bm25s
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from usearch.index import Index

Mode = Literal["hybrid", "bm25", "dense"]
FusionMethod = Literal["convex", "rrf"]
RRF_K = 60
DEFAULT_BM25_WEIGHT = 0.3
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "my",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "do",
        "does",
        "did",
        "can",
        "not",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without English stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


@dataclass(frozen=True)
class Hit:
    """One search result with its citation and the ranks that produced it."""

    chunk_id: str
    doc_id: str
    path: str
    title: str
    page: int
    chunk: int
    text: str
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    rerank_score: float | None = None  # set when a cross-encoder re-ordered the hits

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)

    @property
    def citation(self) -> str:
        """`path p.PAGE #CHUNK`, for people."""
        return f"{self.path} p.{self.page} #{self.chunk}"


Reranker = Callable[[str, list[Hit]], list[Hit]]


@dataclass(frozen=True)
class Fusion:
    """How hybrid search merges BM25 and dense results (settings `apps.kb_fusion*`).

    `convex` scores every candidate of either list with both retrievers, scales each score by the
    query's best (from the theoretical minimum: 0 for BM25, -1 for cosine) and ranks by
    `bm25_weight * bm25 + (1 - bm25_weight) * dense`, so a retriever that is sure of one chunk
    (an identifier only one chunk contains) keeps it on top. `rrf` sums `1 / (60 + rank)`.
    """

    method: FusionMethod = "convex"
    bm25_weight: float = DEFAULT_BM25_WEIGHT


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings a row appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return fused


def convex(
    bm25: Mapping[int, float], dense: Mapping[int, float], bm25_weight: float
) -> dict[int, float]:
    """Convex combination of theoretical-min-max normalised scores (Bruch et al., 2023).

    Args:
        bm25: BM25 score of each candidate row (0 when no query word occurs in it).
        dense: cosine similarity of each candidate row to the query, for the same rows.
        bm25_weight: the weight of BM25, in [0, 1]; dense gets the rest.
    """
    best_bm25 = max(bm25.values(), default=0.0)
    best_dense = max(dense.values(), default=-1.0)
    b = bm25_weight / best_bm25 if best_bm25 > 0 else 0.0
    d = (1.0 - bm25_weight) / (1.0 + best_dense) if best_dense > -1.0 else 0.0
    rows = bm25.keys() | dense.keys()
    return {r: b * bm25.get(r, 0.0) + d * (1.0 + dense.get(r, -1.0)) for r in rows}


class KbIndex:
    """A loaded index: chunk table, BM25 retriever, HNSW graph and the vectors it was built from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
        self.chunks = pq.read_table(folder / "chunks.parquet").to_pylist()
        self.bm25 = bm25s.BM25.load(str(folder / "bm25")) if self.chunks else None
        self.dense = (
            Index.restore(str(folder / "dense.usearch"), view=True) if self.chunks else None
        )
        # memory-mapped: exact cosines for the few fused candidates, without loading every vector
        self.vectors: NDArray[np.float32] | None = (
            np.load(folder / "vectors.npy", mmap_mode="r") if self.chunks else None
        )

    def bm25_scores(self, query: str) -> NDArray[np.float32] | None:
        """The BM25 score of every row, or None when no query word is in the index."""
        if self.bm25 is None:
            return None
        tokens = [t for t in tokenize(query) if t in self.bm25.vocab_dict]
        if not tokens:
            return None
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def bm25_rank(self, query: str, n: int) -> list[int]:
        """Row numbers by BM25 score (rows with no matching term are left out)."""
        return _top(self.bm25_scores(query), n)

    def dense_rank(self, vector: NDArray[np.float32], n: int) -> list[int]:
        """Row numbers by cosine similarity to the query vector (HNSW, approximate)."""
        if self.dense is None:
            return []
        matches = self.dense.search(vector.astype(np.float32), min(n, len(self.chunks)))
        return [int(k) for k in matches.keys]

    def cosine(self, vector: NDArray[np.float32], rows: Sequence[int]) -> dict[int, float]:
        """Exact cosine similarity of the given rows to the query vector."""
        if self.vectors is None or not rows:
            return {}
        stored = np.asarray(self.vectors[list(rows)], dtype=np.float32)
        norms = np.linalg.norm(stored, axis=1) * float(np.linalg.norm(vector))
        sims = stored @ vector.astype(np.float32) / np.where(norms > 0, norms, 1.0)
        return dict(zip(rows, sims.tolist(), strict=True))

    def hits(self, ranked: list[tuple[int, float]], bm25: list[int], dense: list[int]) -> list[Hit]:
        """Hits for (row, score) pairs, with each row's rank in either list."""
        b = {row: i for i, row in enumerate(bm25, start=1)}
        d = {row: i for i, row in enumerate(dense, start=1)}
        out = []
        for row, score in ranked:
            c = self.chunks[row]
            out.append(
                Hit(
                    c["chunk_id"], c["doc_id"], c["path"], c.get("title") or "", int(c["page"]),
                    int(c["chunk"]), c["text"], float(score), b.get(row), d.get(row),
                )
            )  # fmt: skip
        return out

    def search(
        self,
        query: str,
        vector: NDArray[np.float32] | None,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        candidates: int = 50,
        fusion: Fusion | None = None,
    ) -> list[Hit]:
        """The best `k` chunks by BM25, dense similarity, or both fused (see `Fusion`).

        A hit's `score` is its BM25 score (mode `bm25`), its cosine similarity (`dense`) or its
        fused score (`hybrid`).
        """
        n = max(candidates, k)
        lexical = self.bm25_scores(query) if mode != "dense" else None
        bm25 = _top(lexical, n)
        dense = self.dense_rank(vector, n) if mode != "bm25" and vector is not None else []
        if mode == "bm25" or vector is None:
            scores = {r: float(lexical[r]) for r in bm25} if lexical is not None else {}
        elif mode == "dense":
            scores = self.cosine(vector, dense)
        else:
            scores = self._fuse(fusion or Fusion(), lexical, vector, bm25, dense)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return self.hits(ranked, bm25, dense)

    def _fuse(
        self,
        fusion: Fusion,
        lexical: NDArray[np.float32] | None,
        vector: NDArray[np.float32],
        bm25: list[int],
        dense: list[int],
    ) -> dict[int, float]:
        if fusion.method == "rrf":
            return rrf([r for r in (bm25, dense) if r])
        rows = list(dict.fromkeys([*bm25, *dense]))
        exact = {r: float(lexical[r]) for r in rows} if lexical is not None else {}
        return convex(exact, self.cosine(vector, rows), fusion.bm25_weight)


def _top(scores: NDArray[np.float32] | None, n: int) -> list[int]:
    """The rows of the `n` highest positive scores, best first (ties by row number)."""
    if scores is None or n <= 0:
        return []
    rows = np.argpartition(-scores, n - 1)[:n] if len(scores) > n else np.arange(len(scores))
    rows = rows[scores[rows] > 0]
    return [int(r) for r in rows[np.lexsort((rows, -scores[rows]))]]


def write_index(
    folder: Path, chunks: pa.Table, vectors: NDArray[np.float32], manifest: dict[str, Any]
) -> None:
    """Write a complete index into an empty folder."""
    folder.mkdir(parents=True)
    pq.write_table(chunks, folder / "chunks.parquet")
    np.save(folder / "vectors.npy", vectors)
    if chunks.num_rows:
        retriever = bm25s.BM25()
        texts = chunks.column("text").to_pylist()
        titles = chunks.column("title").to_pylist()
        corpus = [
            tokenize(f"{title or ''} {text}") or [""]
            for title, text in zip(titles, texts, strict=True)
        ]
        retriever.index(corpus, show_progress=False)
        retriever.save(str(folder / "bm25"))
        dense = Index(ndim=vectors.shape[1], metric="cos", dtype="f32")
        dense.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=2)
        dense.save(str(folder / "dense.usearch"))
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
