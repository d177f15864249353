"""The service-workflow catalogue covers every banking77 intent and is grounded in pack policies."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from strata.packs.errors import InvalidPack
from strata.packs.finance import ROOT
from strata.packs.finance.slots import extract
from strata.packs.finance.workflows import SLOT_NAMES, catalogue, fill, load_catalogue

CATEGORIES = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "banking77" / "categories.json"
)


def test_every_banking77_intent_has_a_workflow() -> None:
    if not CATEGORIES.is_file():
        pytest.skip(f"banking77 not found at {CATEGORIES}")
    intents = json.loads(CATEGORIES.read_text())
    assert len(intents) == 77
    missing = sorted(set(intents) - set(catalogue()))
    assert not missing, f"add workflows for: {missing}"
    assert not set(catalogue()) - set(intents)


def test_workflows_are_complete_and_grounded() -> None:
    policies = {p.name for p in (ROOT / "policies").iterdir()}
    for intent, workflow in catalogue().items():
        assert workflow.steps and workflow.escalation and workflow.checks, intent
        assert set(workflow.policies) <= policies, intent
        assert set(workflow.fields) <= set(SLOT_NAMES), intent
    assert {p.rsplit(".", 1)[1] for p in policies} == {"md", "html", "pdf"}
    cited = {p for w in catalogue().values() for p in w.policies}
    assert policies - cited <= {"complaints-and-escalation.pdf"}


def test_fill_marks_what_to_ask() -> None:
    text = "I was charged twice for the same coffee yesterday, card ending 4242"
    filled = fill("transaction_charged_twice", extract(text, date(2026, 11, 28)))
    assert filled["slots"]["card"] == "****4242"
    assert filled["slots"]["date"] == "2026-11-27"
    assert filled["missing"] == ["amount", "currency", "merchant"]
    with pytest.raises(InvalidPack, match="No service workflow for intent 'nope'"):
        fill("nope", extract(text, date(2026, 11, 28)))


def test_a_broken_catalogue_names_the_intent(tmp_path: Path) -> None:
    bad = tmp_path / "workflows.yaml"
    bad.write_text("workflows:\n  card_arrival: {title: x}\n")
    with pytest.raises(InvalidPack, match="Workflow 'card_arrival'"):
        load_catalogue(bad)
    bad.write_text(
        "workflows:\n  card_arrival: {title: x, family: cards, policies: [a.md], query: q,"
        " fields: [iban], steps: [s], sla_hours: 1, escalation: e}\n"
    )
    with pytest.raises(InvalidPack, match="unknown fields"):
        load_catalogue(bad)
