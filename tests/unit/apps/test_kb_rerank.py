"""Re-ranking knowledge-base hits with a cross-encoder (a registered sequence classifier that
scores query-passage pairs), from the Python API and from a `retrieve` step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from strata.apps import Apps, InvalidAppInput, KnowledgeBases, Runner, parse_app
from strata.apps.store import AppVersion
from strata.core.settings import Settings
from strata.models.optimize import OptimizeSpec, optimize
from strata.models.runtime import ModelRuntime


def _kbs(apps: Apps) -> KnowledgeBases:
    assert apps.services.kbs is not None
    return apps.services.kbs


def test_rerank_orders_the_fused_candidates_by_pair_score(
    apps: Apps, help_kb: str, models: dict[str, str], runtime: ModelRuntime
) -> None:
    kbs = _kbs(apps)
    query = "valve pressure"
    candidates = kbs.search(help_kb, query, k=6)
    _, model = runtime.classifier(models["classifier"])
    scores = model.score_pairs([(query, hit.text) for hit in candidates])  # type: ignore[attr-defined]
    expected = [
        hit.chunk_id for _, hit in sorted(zip(scores, candidates, strict=True), key=lambda p: -p[0])
    ]

    hits = kbs.search(help_kb, query, k=2, rerank=models["classifier"])

    assert [hit.chunk_id for hit in hits] == expected[:2]
    assert [hit.rerank_score for hit in hits] == sorted(
        (round(s, 6) for s in scores), reverse=True
    )[:2]
    assert all(hit.citation for hit in hits)
    assert kbs.search(help_kb, query, k=2)[0].rerank_score is None


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_a_model_that_cannot_score_pairs_is_refused(
    apps: Apps, help_kb: str, models: dict[str, str], runtime: ModelRuntime, settings: Settings
) -> None:
    export = optimize(
        runtime, OptimizeSpec(models["classifier"], texts=("a", "b")), settings.home / "models"
    )
    with pytest.raises(InvalidAppInput, match=r"cannot score \(query, passage\) pairs") as info:
        _kbs(apps).search(help_kb, "valve", rerank=export.ref)
    assert "strata models add" in (info.value.hint or "")


def test_retrieve_step_reranks_and_traces_the_model(
    apps: Apps, help_kb: str, models: dict[str, str]
) -> None:
    spec = parse_app(
        {
            "name": "t",
            "input": {"q": {}},
            "steps": [
                {
                    "id": "docs",
                    "uses": "retrieve",
                    "with": {
                        "kb": help_kb,
                        "query": "${input.q}",
                        "k": 2,
                        "rerank": models["classifier"],
                    },
                }
            ],
            "outputs": {"results": "${steps.docs.results}"},
        }
    )
    app = AppVersion("t", 1, spec, "0" * 64, None, datetime.now(UTC))

    run = asyncio.run(Runner(apps.services).run(app, {"q": "valve pressure"}))

    assert run.status == "succeeded", run.error
    assert all(r["rerank_score"] is not None for r in run.output["results"])
    assert models["classifier"] in run.steps[0].models
