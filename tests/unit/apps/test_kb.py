"""Knowledge bases: a real usearch + bm25s index in tmp_path, hybrid search with citations,
incremental rebuilds when the dataset gains a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from strata.apps import Apps, KnowledgeBaseNotFound, KnowledgeBases
from strata.apps.kb_index import rrf, tokenize
from strata.core.errors import InvalidInput
from strata.lake import Lake

from .conftest import DOCS, write_docs


def _kbs(apps: Apps) -> KnowledgeBases:
    assert apps.services.kbs is not None
    return apps.services.kbs


def test_search_carries_citations_in_every_mode(apps: Apps, help_kb: str) -> None:
    kbs = _kbs(apps)
    for mode in ("hybrid", "bm25", "dense"):
        hits = kbs.search(help_kb, "valve pressure", k=3, mode=mode)  # type: ignore[arg-type]
        assert hits and all(h.path in DOCS for h in hits)
    best = kbs.search(help_kb, "valve pressure seal", k=3)[0]
    assert (best.path, best.page, best.title) == ("pumps.md", 1, "Pump manual")
    assert best.citation == f"pumps.md p.1 #{best.chunk}" and best.bm25_rank == 1
    assert kbs.names() == ["help"]
    assert kbs.search(help_kb, "zzzz qqqq", mode="bm25") == []


def test_rebuild_is_incremental(apps: Apps, help_kb: str, lake: Lake, tmp_path: Path) -> None:
    kbs = _kbs(apps)
    first = kbs.manifest(help_kb)
    again = kbs.build(help_kb, "help-docs")
    assert again.unchanged and again.embedded == 0
    write_docs(tmp_path / "docs", {"boilers.md": "# Boiler care\n\nDescale the boiler monthly."})
    lake.ingest(str(tmp_path / "docs"), "help-docs", connector="documents")
    result = kbs.build(help_kb, "help-docs")
    assert not result.unchanged and result.version == first["version"] + 1
    assert result.embedded == 1 and result.reused == first["chunks"]
    assert kbs.search(help_kb, "descale boiler", k=1)[0].path == "boilers.md"


def test_errors_name_the_kb_and_dataset(apps: Apps, models: dict[str, str]) -> None:
    kbs = _kbs(apps)
    with pytest.raises(KnowledgeBaseNotFound, match='"nope" not found'):
        kbs.search("nope", "x")
    with pytest.raises(InvalidInput, match="'missing' has no chunks table"):
        kbs.build("x", "missing", models["encoder"])


def test_fusion_and_tokens() -> None:
    assert tokenize("The Valve-2 is LEAKING") == ["valve", "2", "leaking"]
    fused = rrf([[1, 2, 3], [3, 1]])
    assert max(fused, key=fused.__getitem__) == 1 and fused[3] > fused[2]
