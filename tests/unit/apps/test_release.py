"""Must show: classify -> route -> retrieve -> template runs with a trace; publish, gate,
rollback, and pinned versions."""

from __future__ import annotations

import asyncio

import pytest

from strata.apps import AppNotFound, Apps, GateFailed
from strata.models.runtime import ModelRuntime

from .conftest import label_of, support_app

QUESTION = {"text": "my card has not arrived"}


@pytest.fixture
def faq_label(runtime: ModelRuntime, models: dict[str, str]) -> str:
    return label_of(runtime, models["classifier"], QUESTION["text"])


def test_pipeline_runs_with_a_stored_trace(
    apps: Apps, help_kb: str, models: dict[str, str], faq_label: str
) -> None:
    published = asyncio.run(apps.publish(support_app(models["classifier"], faq_label)))
    assert published.app.version == 1 and published.app.evaluation["gate_passed"]  # type: ignore[index]
    result = asyncio.run(apps.run("support", QUESTION))
    assert result.status == "succeeded", result.error
    assert result.output is not None and result.output["branch"] == "faq"
    assert "cards.md p.1" in result.output["answer"]
    assert "card arrives within five working days" in result.output["answer"]
    trace = apps.trace(result.run_id)
    assert [s["step"] for s in trace["steps"]] == ["intent", "branch", "docs", "answer"]
    intent = trace["steps"][0]
    assert intent["models"] == [models["classifier"]]
    assert intent["inputs"] == {"model": models["classifier"], "text": QUESTION["text"]}
    assert intent["outputs"]["label"] == faq_label and intent["latency_ms"] >= 0
    assert trace["steps"][2]["models"] == [models["encoder"]]
    assert [r.id for r in apps.runs("support")] == [result.run_id]


def test_other_branch_skips_retrieval(
    apps: Apps, help_kb: str, models: dict[str, str], faq_label: str
) -> None:
    other = "negative" if faq_label == "positive" else "positive"
    spec = support_app(models["classifier"], other, expect="other")
    asyncio.run(apps.publish(spec))
    result = asyncio.run(apps.run("support", QUESTION))
    statuses = {s.step: s.status for s in result.steps}
    assert statuses == {
        "intent": "succeeded",
        "branch": "succeeded",
        "docs": "skipped",
        "answer": "succeeded",
    }
    assert result.output == {"branch": "other", "answer": "", "intent": faq_label}


def test_publish_rollback_and_pinned_versions(
    apps: Apps, help_kb: str, models: dict[str, str], faq_label: str
) -> None:
    v1 = asyncio.run(apps.publish(support_app(models["classifier"], faq_label)))
    again = asyncio.run(apps.publish(support_app(models["classifier"], faq_label)))
    assert (again.app.version, again.created) == (1, False)  # immutable, content-addressed
    v2_spec = support_app(models["classifier"], faq_label, version="two")
    v2 = asyncio.run(apps.publish(v2_spec))
    assert (v1.app.version, v2.app.version) == (1, 2)
    assert apps.store.aliases("support") == {"production": 2}
    assert asyncio.run(apps.run("support", QUESTION)).version == 2

    assert apps.rollback("support") == (2, 1)
    assert asyncio.run(apps.run("support", QUESTION)).version == 1
    pinned = asyncio.run(apps.run("support@2", QUESTION))
    assert pinned.version == 2 and pinned.output is not None
    assert pinned.output["version"] == "two"
    with pytest.raises(AppNotFound, match="no earlier version"):
        apps.rollback("support")


def test_failing_eval_cannot_take_production(
    apps: Apps, help_kb: str, models: dict[str, str], faq_label: str
) -> None:
    asyncio.run(apps.publish(support_app(models["classifier"], faq_label)))
    bad = support_app(models["classifier"], faq_label, expect="other")
    with pytest.raises(GateFailed, match=r"support@2 passed 0/1 eval cases .* production"):
        asyncio.run(apps.publish(bad))
    assert [v.version for v in apps.store.versions("support")] == [1, 2]
    assert apps.store.aliases("support") == {"production": 1}
    with pytest.raises(GateFailed):
        apps.promote("support@2", "canary")
    assert asyncio.run(apps.run("support", QUESTION)).version == 1
