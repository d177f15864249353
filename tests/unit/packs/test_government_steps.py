"""The `city_route` step: department from the routing table, triage when unsure, priority from
hazard words, base priority and night; bad parameters name the field. Also the app spec."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from strata.apps import InvalidAppSpec, Services, StepContext
from strata.apps.spec import load_app
from strata.packs.government import ROOT
from strata.packs.government.steps import route
from strata.packs.government.taxonomy import TAXONOMY_FILE

DAY = "2026-05-04T10:00:00+00:00"
NIGHT = "2026-05-04T23:30:00+00:00"


def _run(params: dict[str, Any]) -> dict[str, Any]:
    ctx = StepContext(run_id="r", step_id="route", services=Services())
    result: dict[str, Any] = asyncio.run(route(params, ctx))
    return result


def _labels(first: str, score: float) -> list[dict[str, Any]]:
    rest = [("road_damage", 0.1), ("waterlogging", 0.05), ("noise", 0.01)]
    return [{"label": first, "score": score}] + [{"label": a, "score": b} for a, b in rest]


def test_a_confident_type_routes_to_its_department() -> None:
    text = "A tree has come down across the road in the storm."
    out = _run({"labels": _labels("fallen_tree", 0.9), "text": text, "reported_at": DAY})
    assert out["event_type"] == "fallen_tree" and out["department"] == "landscaping"
    assert out["triage"] is False and out["score"] == 0.9
    assert [t["department"] for t in out["top"]] == ["landscaping", "roads", "sanitation"]
    assert out["priority"] == "P2" and out["priority_reasons"] == ["base P2 for fallen_tree"]
    assert out["sla_hours"] == 8.0  # the type's 12 hours, capped by P2's 8
    assert out["webhook"] == ""


def test_an_unsure_type_goes_to_triage_never_to_a_guessed_department() -> None:
    out = _run({"labels": _labels("street_vending", 0.3), "text": "hmm", "reported_at": DAY})
    assert out["triage"] is True and out["department"] == "triage"
    assert out["event_type"] == "street_vending"
    assert out["sla_hours"] == 2.0 and "triage: score 0.30 below 0.5" in out["priority_reasons"]
    raised = _run({"labels": _labels("street_vending", 0.3), "text": "x", "threshold": 0.2})
    assert raised["triage"] is False and raised["department"] == "urban_administration"


def test_a_type_missing_from_the_table_goes_to_triage() -> None:
    out = _run({"labels": _labels("volcano", 0.99), "text": "lava", "reported_at": DAY})
    assert out["triage"] is True and out["department"] == "triage"
    assert out["top"][0]["department"] is None


def test_hazard_words_raise_priority() -> None:
    calm = _run({"labels": _labels("road_damage", 0.9), "text": "a pothole", "reported_at": DAY})
    child = "a pothole by the school, a child nearly fell"
    some = _run({"labels": _labels("road_damage", 0.9), "text": child, "reported_at": DAY})
    hurt = "deep pothole, a cyclist was INJURED and the road is blocked"
    worst = _run({"labels": _labels("road_damage", 0.9), "text": hurt, "reported_at": DAY})
    assert (calm["priority"], some["priority"], worst["priority"]) == ("P3", "P2", "P1")
    assert "hazard word 'injured' (+2)" in worst["priority_reasons"]
    assert worst["sla_hours"] == 2.0


def test_night_raises_night_sensitive_types_only() -> None:
    labels = _labels("streetlight_outage", 0.9)
    lamp = _run({"labels": labels, "text": "lamp out", "reported_at": NIGHT})
    assert lamp["priority"] == "P2" and "night 23:30 (+1)" in lamp["priority_reasons"]
    bins = _run({"labels": _labels("exposed_garbage", 0.9), "text": "bins", "reported_at": NIGHT})
    assert bins["priority"] == "P3"
    offset = "2026-05-05T00:30:00+02:00"  # 22:30 UTC, which is city time
    late = _run({"labels": _labels("noise", 0.9), "text": "music", "reported_at": offset})
    assert late["priority"] == "P2"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"text": "x"}, "with.labels"),
        ({"labels": [], "text": "x"}, "with.labels"),
        ({"labels": ["noise"], "text": "x"}, "with.labels"),
        ({"labels": [{"label": "noise", "score": 7}], "text": "x"}, "with.labels"),
        ({"labels": [{"label": "noise", "score": True}], "text": "x"}, "with.labels"),
        ({"labels": _labels("noise", 0.9)}, "with.text"),
        ({"labels": _labels("noise", 0.9), "text": "x", "reported_at": "late"}, "with.reported_at"),
        ({"labels": _labels("noise", 0.9), "text": "x", "threshold": "high"}, "with.threshold"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidAppSpec, match=rf'field "{field}"'):
        _run(params)


def test_an_edited_table_can_be_passed_by_path(tmp_path: Path) -> None:
    data = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    data["departments"]["environment"]["webhook"] = "https://example.org/hooks/noise"
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    params = {"labels": _labels("noise", 0.9), "text": "music", "taxonomy": str(path)}
    assert _run(params)["webhook"] == "https://example.org/hooks/noise"


def test_the_app_spec_chains_redact_classify_route_and_ticket() -> None:
    known = {"redact", "classify", "city_route", "ticket"}
    spec = load_app(ROOT / "app.yaml", known_steps=known)
    assert spec.name == "event-dispatch"
    assert [s.id for s in spec.steps] == ["redact", "classify", "route", "ticket"]
    assert spec.step("classify").params["model"] == "l2/city-events"
    assert {"ticket_id", "status", "merged", "event_type", "department", "priority", "top",
            "request"} <= set(spec.outputs)  # fmt: skip
    assert all(not spec.input[f].required for f in spec.input if f != "text")
    assert spec.eval is not None and len(spec.eval.cases) == 5
