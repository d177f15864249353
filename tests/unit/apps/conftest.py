"""Fixtures for apps tests: a real catalog, lake and model registry in tmp_path, tiny models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strata.apps import Apps, open_apps
from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.lake import Lake
from strata.models.layers import ModelKind
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

DOCS = {
    "cards.md": "# Card delivery\n\nA new card arrives within five working days of the order.\n\n"
    "If your card has not arrived after two weeks, contact support to block it.",
    "pumps.md": "# Pump manual\n\nCheck the valve pressure every morning.\n\n"
    "Replace the seal when the pressure drops below two bar.",
    "safety.txt": "Safety rules\n\nWear a helmet underground at all times.",
}


def write_docs(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    """A folder of small documents."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def lake(catalog: Catalog, settings: Settings) -> Lake:
    """A lake on the test catalog."""
    return Lake(catalog, settings.lake, settings.home)


@pytest.fixture
def models(store: ModelStore, tiny_encoder: Path, tiny_classifier: Path) -> dict[str, str]:
    """The tiny encoder and classifier, registered."""
    encoder, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    classifier, _ = store.add_folder(tiny_classifier, kind=ModelKind.CLASSIFIER)
    return {"encoder": encoder.ref, "classifier": classifier.ref}


@pytest.fixture
def apps(settings: Settings, catalog: Catalog, runtime: ModelRuntime, lake: Lake) -> Apps:
    """Apps with knowledge bases under the test home."""
    return open_apps(settings, catalog, runtime, lake)


@pytest.fixture
def help_kb(apps: Apps, lake: Lake, models: dict[str, str], tmp_path: Path) -> str:
    """A knowledge base `help` built from the documents above with the tiny encoder."""
    lake.ingest(str(write_docs(tmp_path / "docs")), "help-docs", connector="documents")
    assert apps.services.kbs is not None
    apps.services.kbs.build("help", "help-docs", models["encoder"])
    return "help"


def label_of(runtime: ModelRuntime, ref: str, text: str) -> str:
    """What the tiny classifier says about `text` (its weights are random but fixed)."""
    _, model = runtime.classifier(ref)
    return model.classify([text])[0][0][0]


def support_app(
    classifier: str, faq_label: str, *, expect: str = "faq", **extra: Any
) -> dict[str, Any]:
    """classify -> route -> retrieve -> template, with an eval set expecting `expect`."""
    return {
        "name": "support",
        "description": "Answer card questions from the help knowledge base.",
        "input": {"text": {"type": "string"}},
        "steps": [
            {
                "id": "intent",
                "uses": "classify",
                "with": {"model": classifier, "text": "${input.text}"},
            },
            {
                "id": "branch",
                "uses": "route",
                "with": {
                    "value": "${steps.intent.label}",
                    "routes": {faq_label: "faq"},
                    "default": "other",
                },
            },
            {
                "id": "docs",
                "uses": "retrieve",
                "when": "steps.branch.route == 'faq'",
                "with": {"kb": "help", "query": "${input.text}", "k": 2},
            },
            {
                "id": "answer",
                "uses": "template",
                "with": {
                    "template": "{% for c in cites or [] %}[{{ c }}] {% endfor %}{{ text or '' }}",
                    "cites": "${steps.docs.citations}",
                    "text": "${steps.docs.context}",
                },
            },
        ],
        "outputs": {
            "branch": "${steps.branch.route}",
            "answer": "${steps.answer.text}",
            "intent": "${steps.intent.label}",
            **extra,
        },
        "eval": {
            "cases": [{"input": {"text": "my card has not arrived"}, "expect": {"branch": expect}}],
            "gate": {"min_pass_rate": 1.0},
        },
    }
