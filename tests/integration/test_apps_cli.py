"""The apps, kb and mcp commands end to end through the `strata` CLI, against a home in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from strata.cli.main import build_app
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.models.layers import ModelKind
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

DOCS = {
    "cards.md": "# Card delivery\n\nA new card arrives within five working days.",
    "pumps.md": "# Pump manual\n\nCheck the valve pressure every morning.",
}


def test_cli_kb_publish_run_trace_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_encoder: Path, tiny_classifier: Path
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("STRATA_HOME", str(home))
    settings = load_settings(home=home)
    catalog = Catalog(settings.catalog_url)
    store = ModelStore(catalog)
    encoder, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    classifier, _ = store.add_folder(tiny_classifier, kind=ModelKind.CLASSIFIER)
    _, model = ModelRuntime(store, settings.models).classifier(classifier.ref)
    label = model.classify(["my card has not arrived"])[0][0][0]
    catalog.dispose()
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text)
    runner, app = CliRunner(), build_app()

    def ok(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    ok("lake", "ingest", str(docs), "--dataset", "help-docs", "--connector", "documents")
    ok("kb", "build", "help", "--from", "help-docs", "--encoder", encoder.ref)
    hits = json.loads(ok("kb", "search", "help", "valve pressure", "--json"))
    assert hits[0]["path"] == "pumps.md" and hits[0]["page"] == 1
    reranked = json.loads(
        ok("kb", "search", "help", "valve pressure", "--rerank", classifier.ref, "--json")
    )
    scores = [hit["rerank_score"] for hit in reranked]
    assert None not in scores and scores == sorted(scores, reverse=True)

    spec = {
        "name": "support",
        "input": {"text": {"type": "string"}},
        "steps": [
            {
                "id": "intent",
                "uses": "classify",
                "with": {"model": classifier.ref, "text": "${input.text}"},
            },
            {
                "id": "branch",
                "uses": "route",
                "with": {"value": "${steps.intent.label}", "routes": {label: "faq"}},
            },
            {
                "id": "docs",
                "uses": "retrieve",
                "when": "steps.branch.route == 'faq'",
                "with": {"kb": "help", "query": "${input.text}", "k": 1},
            },
            {
                "id": "answer",
                "uses": "template",
                "with": {"template": "{{ c }}", "c": "${steps.docs.citations}"},
            },
        ],
        "outputs": {"branch": "${steps.branch.route}", "answer": "${steps.answer.text}"},
        "eval": {
            "cases": [{"input": {"text": "my card has not arrived"}, "expect": {"branch": "faq"}}]
        },
    }
    file = tmp_path / "support.yaml"
    file.write_text(yaml.safe_dump(spec))
    assert "support@1 published, eval 1/1, production -> 1" in ok("apps", "publish", str(file))
    spec["description"] = "v2"
    file.write_text(yaml.safe_dump(spec))
    ok("apps", "publish", str(file))
    run = json.loads(
        ok("apps", "run", "support", "--input", '{"text": "my card has not arrived"}', "--json")
    )
    assert run["version"] == 2 and run["output"]["branch"] == "faq"
    assert "cards.md p.1" in run["output"]["answer"]
    trace = json.loads(ok("apps", "trace", run["run_id"], "--json"))
    assert [s["step"] for s in trace["steps"]] == ["intent", "branch", "docs", "answer"]
    assert [r["run_id"] for r in json.loads(ok("apps", "runs", "support", "--json"))] == [
        run["run_id"]
    ]
    assert "rolled back from 2 to 1" in ok("apps", "rollback", "support")
    assert (
        json.loads(ok("apps", "run", "support", "--input", '{"text": "card"}', "--json"))["version"]
        == 1
    )
    assert (
        json.loads(ok("apps", "run", "support@2", "--input", '{"text": "card"}', "--json"))[
            "version"
        ]
        == 2
    )

    spec["eval"]["cases"][0]["expect"] = {"branch": "other"}  # type: ignore[index]
    file.write_text(yaml.safe_dump(spec))
    refused = runner.invoke(app, ["apps", "publish", str(file)])
    assert refused.exit_code == 1 and "cannot take 'production'" in refused.stderr
    bad = runner.invoke(app, ["apps", "run", "support", "--input", "{nope"])
    assert bad.exit_code == 1 and "--input is not valid JSON" in bad.stderr
