"""Hybrid fusion on a hand-made index: an identifier BM25 is sure of stays first, dense breaks
BM25's ties and answers paraphrases, and the fusion comes from the settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from numpy.typing import NDArray

from strata.apps import Apps, open_apps
from strata.apps.kb_index import Fusion, KbIndex, convex, write_index
from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.lake import Lake
from strata.models.runtime import ModelRuntime

TEXTS = [
    "Ticket TK-4711: the pump leaks oil at the north gate during the first shift.",
    "Ticket TK-5120: the pump vibrates at the north gate during the first shift.",
    "Ticket TK-6034: the conveyor jams in the basement during the second shift.",
    "Ticket TK-7208: the crusher overheats at the quarry during the second shift.",
    "Ticket TK-8891: the boiler smokes in the basement during the second shift.",
]
# One axis per ticket: a query vector names the ticket(s) dense search finds closest.
VECTORS = np.eye(len(TEXTS), dtype=np.float32)


def _vector(weights: list[float]) -> NDArray[np.float32]:
    v = np.asarray(weights, dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def index(tmp_path: Path) -> KbIndex:
    n = len(TEXTS)
    table = pa.table(
        {
            "chunk_id": [f"c{i}" for i in range(n)], "doc_id": [f"d{i}" for i in range(n)],
            "path": [f"t{i}.txt" for i in range(n)], "page": [1] * n, "chunk": [0] * n,
            "text": TEXTS, "title": [""] * n,
        }
    )  # fmt: skip
    write_index(tmp_path / "kb", table, VECTORS, {"encoder": "test"})
    return KbIndex(tmp_path / "kb")


def _top(index: KbIndex, query: str, vector: NDArray[np.float32], fusion: Fusion) -> str:
    return index.search(query, vector, k=3, fusion=fusion)[0].text


def test_identifier_bm25_is_sure_of_stays_first(index: KbIndex) -> None:
    # only ticket 0 contains the code; dense prefers ticket 2 (cosine 0.55 to 0.42), which BM25
    # ranks second ("ticket", "tk" and a short text)
    query, vector = "ticket TK-4711 status", _vector([0.42, 0.4, 0.55, 0.38, 0.45])
    hits = index.search(query, vector, k=3)
    assert hits[0].text == TEXTS[0] and hits[0].bm25_rank == 1 and hits[0].dense_rank == 3
    # plain RRF lets dense's favourite overtake the exact match
    assert _top(index, query, vector, Fusion("rrf")) == TEXTS[2]
    assert _top(index, query, vector, Fusion("convex", 0.0)) == TEXTS[2]  # dense alone


def test_dense_breaks_bm25_ties(index: KbIndex) -> None:
    # "basement ... second shift" matches tickets 2 and 4 equally; the rest is said differently
    query, vector = (
        "steam heater emits fumes in the basement, second shift",
        _vector([0.0, 0.0, 0.6, 0.1, 1.0]),
    )
    assert index.bm25_rank(query, 5)[:2] == [2, 4]  # a tie, broken by row number
    assert _top(index, query, vector, Fusion()) == TEXTS[4]


def test_paraphrase_without_shared_words_follows_dense(index: KbIndex) -> None:
    vector = _vector([0.1, 0.1, 0.2, 1.0, 0.1])
    assert index.bm25_rank("rock breaker runs too hot", 5) == []
    hits = index.search("rock breaker runs too hot", vector, k=2)
    assert hits[0].text == TEXTS[3] and hits[0].bm25_rank is None and hits[0].dense_rank == 1


def test_single_modes_keep_their_own_scores(index: KbIndex) -> None:
    vector = _vector([0.0, 0.0, 0.0, 1.0, 0.0])
    dense = index.search("crusher", vector, k=2, mode="dense")
    assert dense[0].text == TEXTS[3] and dense[0].score == pytest.approx(1.0)
    bm25 = index.search("crusher", vector, k=5, mode="bm25")
    assert [h.text for h in bm25] == [TEXTS[3]] and bm25[0].score > 0


def test_convex_weights_and_missing_scores() -> None:
    bm25 = {1: 10.0, 2: 5.0, 3: 0.0}
    dense = {1: 0.0, 2: 0.2, 3: 0.8}
    assert max(convex(bm25, dense, 1.0).items(), key=lambda kv: kv[1])[0] == 1
    assert max(convex(bm25, dense, 0.0).items(), key=lambda kv: kv[1])[0] == 3
    fused = convex(bm25, dense, 0.5)
    assert fused[1] == pytest.approx(0.5 + 0.5 * 1.0 / 1.8)  # best BM25 scales to 1
    assert fused[3] == pytest.approx(0.5)  # best cosine scales to 1, no BM25 score
    assert convex({}, {4: 0.5}, 0.5) == {4: pytest.approx(0.5)}  # no lexical match at all


def test_fusion_comes_from_the_settings(
    settings: Settings, catalog: Catalog, runtime: ModelRuntime, lake: Lake
) -> None:
    kbs = open_apps(settings, catalog, runtime, lake).services.kbs
    assert kbs is not None and kbs.fusion == Fusion()  # the setting defaults are Fusion's
    tuned = settings.model_copy(
        update={"apps": settings.apps.model_copy(update={"kb_fusion": "rrf"})}
    )
    apps: Apps = open_apps(tuned, catalog, runtime, lake)
    assert apps.services.kbs is not None and apps.services.kbs.fusion.method == "rrf"
