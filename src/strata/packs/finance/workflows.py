"""The service-workflow catalogue: one workflow per intent, filled with the request's slots."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from strata.packs.errors import InvalidPack
from strata.packs.finance.slots import Slots

CATALOGUE = Path(__file__).resolve().parent / "workflows.yaml"
SLOT_NAMES = ("amount", "currency", "date", "card", "merchant")


class Workflow(BaseModel):
    """What the counter employee does for one intent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    family: str
    policies: list[str] = Field(min_length=1)
    query: str = Field(description="What to search the policies for, to ground the guide.")
    fields: list[str] = Field(default_factory=list, description="Slots the workflow needs.")
    documents: list[str] = Field(default_factory=list)
    steps: list[str] = Field(min_length=1)
    checks: list[str] = Field(default_factory=list)
    sla_hours: int = Field(ge=0)
    escalation: str


def load_catalogue(path: Path = CATALOGUE) -> dict[str, Workflow]:
    """Every workflow by intent; raises InvalidPack naming the intent and field that fail."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    workflows: dict[str, Workflow] = {}
    for intent, raw in (data.get("workflows") or {}).items():
        try:
            workflows[str(intent)] = Workflow.model_validate(raw)
        except ValidationError as exc:
            raise InvalidPack(
                f"Workflow {intent!r} in {path} is invalid: {exc.errors()[0]['msg']} "
                f"at {'.'.join(map(str, exc.errors()[0]['loc']))}.",
                hint="Fix the workflow catalogue (docs/finance-pack.md shows the format).",
            ) from exc
        unknown = sorted(set(workflows[str(intent)].fields) - set(SLOT_NAMES))
        if unknown:
            raise InvalidPack(
                f"Workflow {intent!r} in {path} names unknown fields {unknown}.",
                hint=f"Fields are slots: {', '.join(SLOT_NAMES)}.",
            )
    return workflows


@cache
def catalogue() -> dict[str, Workflow]:
    """The pack's catalogue, read once per process."""
    return load_catalogue()


def records(workflows: dict[str, Workflow]) -> list[dict[str, Any]]:
    """One flat row per workflow, for the `finance-workflows` lake table."""
    return [
        {
            "intent": intent,
            "title": w.title,
            "family": w.family,
            "sla_hours": w.sla_hours,
            "policies": ",".join(w.policies),
            "steps": "\n".join(w.steps),
            "escalation": w.escalation,
        }
        for intent, w in sorted(workflows.items())
    ]


def fill(intent: str, slots: Slots) -> dict[str, Any]:
    """The workflow of an intent with its fields filled from the slots (None: ask the customer)."""
    workflow = catalogue().get(intent)
    if workflow is None:
        known = len(catalogue())
        raise InvalidPack(
            f"No service workflow for intent {intent!r} ({known} workflows in the catalogue).",
            hint="Add it to packs/finance/workflows.yaml.",
        )
    values = slots.to_dict()
    filled = {name: values.get(name) for name in workflow.fields}
    return {
        "intent": intent,
        **workflow.model_dump(mode="json"),
        "slots": filled,
        "missing": [name for name, value in filled.items() if value is None],
    }
