"""Knowledge bases embed with the encoder's ONNX export when there is one (`models.use_optimized`),
record it as `embedded_with`, and re-embed on rebuild only when that model changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from strata.apps import Apps, KnowledgeBases
from strata.core.settings import Settings
from strata.lake import Lake
from strata.models.optimize import OptimizeSpec, optimize
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

from .conftest import write_docs

TEXTS = ("my card has not arrived", "i was charged twice", "hello world", "the coffee is the same")

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
]


def _kbs(apps: Apps) -> KnowledgeBases:
    assert apps.services.kbs is not None
    return apps.services.kbs


def _export(runtime: ModelRuntime, settings: Settings, ref: str) -> str:
    return optimize(runtime, OptimizeSpec(ref, texts=TEXTS), settings.home / "models").ref


def test_build_after_an_export_embeds_with_it(
    apps: Apps,
    lake: Lake,
    models: dict[str, str],
    runtime: ModelRuntime,
    settings: Settings,
    tmp_path: Path,
) -> None:
    export = _export(runtime, settings, models["encoder"])
    lake.ingest(str(write_docs(tmp_path / "docs")), "help-docs", connector="documents")
    kbs = _kbs(apps)
    result = kbs.build("help", "help-docs", models["encoder"])
    assert (result.encoder, result.embedded_with) == (models["encoder"], export)
    manifest = kbs.manifest("help")
    assert (manifest["encoder"], manifest["embedded_with"]) == (models["encoder"], export)

    folder = settings.home / "kb" / "help"
    texts = pq.read_table(folder / "chunks.parquet").column("text").to_pylist()
    _, onnx = runtime.encoder(export)
    assert np.allclose(np.load(folder / "vectors.npy"), onnx.embed(texts), atol=1e-5)
    assert kbs.query_encoder("help")[0].ref == export
    assert kbs.search("help", "valve pressure seal", k=1)[0].path == "pumps.md"


def test_rebuild_re_embeds_only_when_the_embedding_model_changed(
    apps: Apps,
    help_kb: str,
    lake: Lake,
    models: dict[str, str],
    runtime: ModelRuntime,
    settings: Settings,
    store: ModelStore,
    tmp_path: Path,
) -> None:
    kbs = _kbs(apps)
    chunks = kbs.manifest(help_kb)["chunks"]
    assert kbs.manifest(help_kb)["embedded_with"] == models["encoder"]

    export = _export(runtime, settings, models["encoder"])
    switched = kbs.build(help_kb, "help-docs")  # same dataset version, new embedding model
    assert not switched.unchanged and (switched.embedded, switched.reused) == (chunks, 0)
    assert (switched.encoder, switched.embedded_with) == (models["encoder"], export)
    assert kbs.build(help_kb, "help-docs").unchanged

    write_docs(tmp_path / "docs", {"boilers.md": "# Boiler care\n\nDescale the boiler monthly."})
    lake.ingest(str(tmp_path / "docs"), "help-docs", connector="documents")
    grown = kbs.build(help_kb, "help-docs")
    assert (grown.embedded, grown.reused, grown.embedded_with) == (1, chunks, export)

    off = ModelRuntime(store, settings.models.model_copy(update={"use_optimized": False}))
    plain = KnowledgeBases(kbs.root, off, lake)
    back = plain.build(help_kb, "help-docs")
    assert (back.embedded, back.reused, back.embedded_with) == (chunks + 1, 0, models["encoder"])
    assert kbs.query_encoder(help_kb)[0].ref == models["encoder"]
