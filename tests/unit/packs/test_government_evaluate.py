"""The government pack's evaluation: held-out accuracy through the model runtime, and the
citation hit rate through the knowledge bases, both reached through the install context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from strata.packs.government import load
from strata.packs.government.evaluate import TARGETS, read_heldout, score_predictions
from strata.packs.government.taxonomy import load_taxonomy


class _Oracle:
    """A classifier that knows the held-out answers, except that it calls noise road damage."""

    def __init__(self) -> None:
        self.answers = {r["text"]: r["event_type"] for r in read_heldout()}

    def classify(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        found = [self.answers[t] for t in texts]
        return [[("road_damage" if f == "noise" else f, 0.9), ("noise", 0.05)] for f in found]


class _Runtime:
    def classifier(self, ref: str) -> tuple[Any, _Oracle]:
        return SimpleNamespace(ref=f"{ref}@1"), _Oracle()


@dataclass
class _Hit:
    path: str


class _Kbs:
    def search(self, name: str, query: str, *, k: int = 5) -> list[_Hit]:
        assert name == "city-rules"
        return [_Hit("noise-ordinance.md" if "noise" in query.lower() else "other.md")] * k


def test_score_predictions_counts_types_departments_and_triage() -> None:
    rows = [
        {"text": "a", "event_type": "noise", "department": "environment", "style": "email"},
        {"text": "b", "event_type": "fallen_tree", "department": "landscaping", "style": "email"},
        {"text": "c", "event_type": "waterlogging", "department": "sanitation", "style": "radio"},
    ]
    ranked = [[("noise", 0.9)], [("damaged_greenery", 0.8)], [("waterlogging", 0.2)]]
    out = score_predictions(rows, ranked, load_taxonomy())
    assert out["event_type_accuracy"] == 2 / 3 and out["department_accuracy"] == 1.0
    assert out["triage_rate"] == pytest.approx(1 / 3) and out["routed_department_accuracy"] == 1.0
    assert out["per_style"]["radio"] == {
        "cases": 1,
        "event_type_accuracy": 1.0,
        "department_accuracy": 1.0,
    }
    assert out["confusions"] == [{"expected": "fallen_tree", "got": "damaged_greenery", "count": 1}]
    assert out["passed"] is False and out["targets"] == TARGETS


def test_evaluate_reaches_the_model_and_the_kb_through_the_context() -> None:
    context = SimpleNamespace(ws=SimpleNamespace(runtime=_Runtime()), kbs=_Kbs())
    report = load().evaluate(context)
    heldout = report["heldout"]
    assert heldout["model"] == "l2/city-events@1"
    assert heldout["event_type_accuracy"] == 1 - 20 / heldout["cases"]
    assert heldout["confusions"][0] == {"expected": "noise", "got": "road_damage", "count": 20}
    citations = report["citations"]
    assert 0 < citations["hit_rate"] < 1 and citations["k"] == 3
