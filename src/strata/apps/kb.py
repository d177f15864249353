"""Knowledge bases over a documents/chunks dataset: build (incremental), list and search.

`build` embeds only the chunks it has not embedded before with the same model, so a dataset
that gains a version is re-indexed incrementally; the new index replaces the old one atomically.
The manifest keeps the encoder as named (`encoder`, pinned to a version) and the version that
actually embedded the chunks (`embedded_with`): the encoder's ONNX export when
`models.use_optimized` is on and one exists. Queries are embedded with that same version.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from strata.apps.errors import KnowledgeBaseNotFound
from strata.apps.kb_index import Fusion, Hit, KbIndex, Mode, Reranker, write_index
from strata.apps.kb_rerank import cross_encoder
from strata.core.errors import InvalidInput
from strata.models.layers import ModelKind

if TYPE_CHECKING:
    from strata.lake.lake import Lake
    from strata.models.backends.base import Encoder
    from strata.models.records import ModelRecord
    from strata.models.runtime import ModelRuntime

CHUNK_COLUMNS = ["chunk_id", "doc_id", "path", "page", "chunk", "text"]


@dataclass(frozen=True)
class BuildResult:
    """What one build did."""

    name: str
    dataset: str
    version: int
    encoder: str
    chunks: int
    embedded: int
    reused: int
    unchanged: bool
    embedded_with: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)


class KnowledgeBases:
    """Every knowledge base under one root folder (`STRATA_HOME/kb` by default)."""

    def __init__(
        self,
        root: Path,
        runtime: ModelRuntime,
        lake: Lake | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self.root = root
        self.runtime = runtime
        self.lake = lake
        self.fusion = fusion or Fusion()
        self._open: dict[str, tuple[str, KbIndex]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Every built knowledge base."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "manifest.json").is_file())

    def manifest(self, name: str) -> dict[str, Any]:
        """A knowledge base's manifest (dataset, version, encoder, embedded_with, counts)."""
        path = self.root / name / "manifest.json"
        if not path.is_file():
            raise KnowledgeBaseNotFound(
                f'Knowledge base "{name}" not found; known: {", ".join(self.names()) or "none"}.',
                hint=f"Build it: strata kb build {name} --from DATASET",
            )
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def open(self, name: str) -> KbIndex:
        """The loaded index, reloaded when a build replaced it."""
        build_id = self.manifest(name)["build_id"]
        with self._lock:
            cached = self._open.get(name)
            if cached is None or cached[0] != build_id:
                cached = (build_id, KbIndex(self.root / name))
                self._open[name] = cached
        return cached[1]

    def search(
        self,
        name: str,
        query: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        rerank: Reranker | str | None = None,
    ) -> list[Hit]:
        """The best chunks for a query, with citations.

        `rerank` re-orders the best `3 * k` fused candidates: a function `(query, hits) -> hits`,
        or the reference of a cross-encoder model (`strata.apps.kb_rerank`).
        """
        if isinstance(rerank, str):
            rerank = cross_encoder(self.runtime, rerank)
        index = self.open(name)
        vector = None
        if mode != "bm25" and index.chunks:
            _, encoder = self.runtime.encoder(embedded_with(index.manifest))
            vector = encoder.embed([query])[0]
        hits = index.search(query, vector, k=k * 3 if rerank else k, mode=mode, fusion=self.fusion)
        return rerank(query, hits)[:k] if rerank else hits

    def query_encoder(self, name: str) -> tuple[ModelRecord, Encoder]:
        """The model that embedded `name`'s chunks, which embeds its queries too."""
        return self.runtime.encoder(embedded_with(self.open(name).manifest))

    def build(self, name: str, dataset: str, encoder: str | None = None) -> BuildResult:
        """Index `dataset` (its `-chunks` table for a documents dataset) into `name`.

        Chunks are embedded with what runs in the encoder's place (`ModelRuntime.serving`: its
        ONNX export when there is one); a change of that model re-embeds every chunk.
        """
        lake = self._need_lake()
        source, version, table = _chunks(lake, dataset)
        old = self.manifest(name) if (self.root / name / "manifest.json").is_file() else None
        ref = encoder or (old["encoder"] if old else self.runtime.settings.default_encoder)
        pinned = self.runtime.store.resolve(ref).ref
        record, model = self.runtime.serving(pinned, ModelKind.ENCODER)
        key = (pinned, record.ref, source)
        same = old and (old["encoder"], embedded_with(old), old["dataset"]) == key
        if same and old and old["version"] == version:
            chunks = old["chunks"]
            return BuildResult(name, source, version, pinned, chunks, 0, 0, True, record.ref)
        table = _with_titles(lake, dataset, table)
        vectors, reused = self._vectors(name, old, record.ref, table, model)
        manifest = {
            "name": name, "dataset": source, "version": version, "encoder": pinned,
            "embedded_with": record.ref, "dimension": int(model.dimension),
            "chunks": table.num_rows, "built_at": datetime.now(UTC).isoformat(),
            "build_id": uuid.uuid4().hex,
        }  # fmt: skip
        self._replace(name, table, vectors, manifest)
        embedded = table.num_rows - reused
        return BuildResult(
            name, source, version, pinned, table.num_rows, embedded, reused, False, record.ref
        )

    def _vectors(
        self, name: str, old: dict[str, Any] | None, embedder: str, table: pa.Table, model: Any
    ) -> tuple[NDArray[np.float32], int]:
        ids = table.column("chunk_id").to_pylist()
        known: dict[str, NDArray[np.float32]] = {}
        if old and embedded_with(old) == embedder and old["chunks"]:
            index = KbIndex(self.root / name)
            saved = np.load(self.root / name / "vectors.npy")
            known = {c["chunk_id"]: saved[i] for i, c in enumerate(index.chunks)}
        todo = [i for i, cid in enumerate(ids) if cid not in known]
        texts = table.column("text").to_pylist()
        fresh = model.embed([texts[i] or "" for i in todo], batch_size=64) if todo else None
        out = np.zeros((len(ids), int(model.dimension)), dtype=np.float32)
        for row, cid in enumerate(ids):
            if cid in known:
                out[row] = known[cid]
        if fresh is not None:
            out[todo] = fresh
        return out, len(ids) - len(todo)

    def _replace(
        self, name: str, table: pa.Table, vectors: NDArray[np.float32], manifest: dict[str, Any]
    ) -> None:
        staging = self.root / f".{name}.{manifest['build_id']}"
        write_index(staging, table, vectors, manifest)
        target, retired = self.root / name, self.root / f".{name}.old-{manifest['build_id']}"
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)

    def _need_lake(self) -> Lake:
        if self.lake is None:
            raise InvalidInput(
                "Building a knowledge base needs the lake, and none was given.",
                hint="Build from the CLI: strata kb build NAME --from DATASET",
            )
        return self.lake


def embedded_with(manifest: dict[str, Any]) -> str:
    """The model version that embedded a knowledge base's chunks (its encoder, for manifests
    written before `embedded_with` was recorded)."""
    return str(manifest.get("embedded_with") or manifest["encoder"])


def _chunks(lake: Lake, dataset: str) -> tuple[str, int, pa.Table]:
    """(dataset name, version, chunk rows): the dataset itself or its `-chunks` companion."""
    from strata.lake.connectors.documents import CHUNKS_SUFFIX

    name, _, pinned = dataset.partition("@")
    for candidate in (name, name + CHUNKS_SUFFIX):
        info = next((d for d in lake.datasets() if d.name == candidate), None)
        if info is None or not info.versions:
            continue
        if set(CHUNK_COLUMNS) <= set(info.spec.columns):
            version = info.version(int(pinned) if pinned else None).version
            return candidate, version, lake.read(f"{candidate}@{version}", CHUNK_COLUMNS)
    raise InvalidInput(
        f"Dataset {dataset!r} has no chunks table (columns {', '.join(CHUNK_COLUMNS)}).",
        hint="Ingest documents first: strata lake ingest FOLDER --dataset NAME "
        "--connector documents; then build from NAME.",
    )


def _with_titles(lake: Lake, dataset: str, table: pa.Table) -> pa.Table:
    """Add each chunk's document title from the documents table, when there is one."""
    name = dataset.partition("@")[0]
    titles: dict[str, str] = {}
    docs = next((d for d in lake.datasets() if d.name == name and d.versions), None)
    if docs is not None and "title" in docs.spec.columns:
        rows = lake.read(name, ["doc_id", "title"]).to_pylist()
        titles = {r["doc_id"]: r["title"] or "" for r in rows}
    column = [titles.get(d, "") for d in table.column("doc_id").to_pylist()]
    return table.append_column("title", pa.array(column, pa.string()))
