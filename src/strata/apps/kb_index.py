"""A knowledge-base index on disk: chunks (Parquet), vectors (usearch HNSW), BM25 (bm25s).

Search fuses the BM25 and dense rankings with reciprocal rank fusion; every hit carries its
citation (document, path, title, page, chunk). The folder is plain files, so it can be copied to
and from object storage as a unit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
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
RRF_K = 60
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)

    @property
    def citation(self) -> str:
        """`path p.PAGE #CHUNK`, for people."""
        return f"{self.path} p.{self.page} #{self.chunk}"


Reranker = Callable[[str, list[Hit]], list[Hit]]


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings a row appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return fused


class KbIndex:
    """A loaded index: chunk table, BM25 retriever and HNSW vectors."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
        self.chunks = pq.read_table(folder / "chunks.parquet").to_pylist()
        self.bm25 = bm25s.BM25.load(str(folder / "bm25")) if self.chunks else None
        self.dense = (
            Index.restore(str(folder / "dense.usearch"), view=True) if self.chunks else None
        )

    def bm25_rank(self, query: str, n: int) -> list[int]:
        """Row numbers by BM25 score (rows with no matching term are left out)."""
        if self.bm25 is None:
            return []
        tokens = [t for t in tokenize(query) if t in self.bm25.vocab_dict]
        if not tokens:
            return []
        rows, scores = self.bm25.retrieve(
            [tokens], k=min(n, len(self.chunks)), show_progress=False, n_threads=1
        )
        return [int(r) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]

    def dense_rank(self, vector: NDArray[np.float32], n: int) -> list[int]:
        """Row numbers by cosine similarity to the query vector."""
        if self.dense is None:
            return []
        matches = self.dense.search(vector.astype(np.float32), min(n, len(self.chunks)))
        return [int(k) for k in matches.keys]

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
    ) -> list[Hit]:
        """The best `k` chunks for a query by BM25, dense similarity, or both fused (RRF)."""
        n = max(candidates, k)
        bm25 = self.bm25_rank(query, n) if mode in ("hybrid", "bm25") else []
        dense = self.dense_rank(vector, n) if mode != "bm25" and vector is not None else []
        fused = rrf([r for r in (bm25, dense) if r])
        ranked = sorted(fused.items(), key=lambda item: -item[1])[:k]
        return self.hits(ranked, bm25, dense)


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
