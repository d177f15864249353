"""The finance app steps: workflow (or a clarifying question) and the one-screen guide."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from strata.apps import InvalidAppSpec, Services, StepContext
from strata.packs.finance.steps import guide, workflow

TEXT = "I was charged twice for the same coffee yesterday, card ending 4242"
PASSAGE = {
    "path": "disputes-and-chargebacks.html",
    "page": 1,
    "chunk": 0,
    "text": "When a customer is charged twice for the same purchase, the employee first checks.",
}
OTHER = {**PASSAGE, "path": "fees-and-charges.md", "text": "Card payments are free."}


def _ctx() -> StepContext:
    return StepContext(run_id="r", step_id="s", services=Services())


def _run(step: Any, params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = asyncio.run(step(params, _ctx()))
    return result


def _labels(first: float) -> list[dict[str, Any]]:
    return [
        {"label": "transaction_charged_twice", "score": first},
        {"label": "card_payment_not_recognised", "score": 0.1},
        {"label": "request_refund", "score": 0.05},
        {"label": "pending_card_payment", "score": 0.01},
    ]


def test_a_confident_intent_fills_its_workflow() -> None:
    out = _run(workflow, {"text": TEXT, "labels": _labels(0.9), "date": "2026-11-28"})
    assert out["status"] == "ready" and out["intent"] == "transaction_charged_twice"
    assert len(out["top"]) == 3
    assert out["workflow"]["slots"]["card"] == "****4242"
    assert out["query"] == out["workflow"]["query"]
    page = _run(guide, {"workflow": out["workflow"], "passages": [OTHER, PASSAGE], "text": TEXT})
    assert page["citations"][0] == "disputes-and-chargebacks.html p.1 #0"
    assert page["written_by"] == "template"
    assert "card ****4242" in page["guide"] and "ask for: amount" in page["guide"]
    assert len(page["guide"].splitlines()) <= 20


def test_an_unsure_intent_asks_a_question() -> None:
    out = _run(workflow, {"text": "hmm", "labels": _labels(0.2), "threshold": 0.35})
    assert out["status"] == "clarify" and out["workflow"] is None
    assert "charged twice for the same purchase" in out["question"]
    page = _run(guide, {"workflow": None, "question": out["question"], "top": out["top"]})
    assert page["guide"].startswith("Ask the customer:") and page["citations"] == []


def test_a_bad_date_names_the_field() -> None:
    with pytest.raises(InvalidAppSpec, match=r"with\.date"):
        _run(workflow, {"text": TEXT, "labels": _labels(0.9), "date": "yesterday"})


def test_a_generator_needs_a_runtime() -> None:
    out = _run(workflow, {"text": TEXT, "labels": _labels(0.9), "date": "2026-11-28"})
    with pytest.raises(InvalidAppSpec, match="needs models"):
        _run(guide, {"workflow": out["workflow"], "passages": [PASSAGE], "generator": "l0/x"})


def test_a_flagged_request_gets_the_template_and_a_warning_never_the_generator() -> None:
    out = _run(workflow, {"text": TEXT, "labels": _labels(0.9), "date": "2026-11-28"})
    reasons = ["prompt injection suspected (score 0.97 >= 0.85)"]
    params = {"workflow": out["workflow"], "passages": [PASSAGE], "text": TEXT}
    # A generator that does not exist: calling it would raise, so the template proves it was kept
    # away from the flagged text.
    page = _run(guide, {**params, "generator": "l0/no-such-llm", "flagged": reasons})
    assert page["written_by"] == "template" and page["flagged"] == reasons
    assert page["guide"].startswith("CHECK BEFORE ACTING") and reasons[0] in page["guide"]
    assert page["citations"][0] == "disputes-and-chargebacks.html p.1 #0"
    clarify = _run(guide, {"workflow": None, "question": "Which card?", "flagged": reasons})
    assert clarify["guide"].startswith("CHECK BEFORE ACTING")
    assert clarify["guide"].splitlines()[1].startswith("Ask the customer:")
    plain = _run(guide, {**params, "flagged": []})
    assert plain["flagged"] == [] and not plain["guide"].startswith("CHECK")
