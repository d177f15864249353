"""Model cards: a markdown page per model version (base, data, spec, metrics, use, limits)."""

from __future__ import annotations

import json
from typing import Any

from strata.models.layers import Layer, ModelKind
from strata.models.records import ModelRecord

CARD_FILE = "README.md"
_USE = {
    ModelKind.CLASSIFIER: "Assigning one of its labels to short texts like its training data.",
    ModelKind.ANOMALY: "Flagging telemetry rows that depart from the normal behaviour it learnt.",
    ModelKind.ENCODER: "Embedding its industry's texts for search and as a body for L2 models.",
    ModelKind.GENERATOR: "Generating text from prompts.",
}
_LIMITS = {
    ModelKind.CLASSIFIER: "Knows only its labels: out-of-scope requests still get one; check "
    "the score "
    "and ask for clarification below a threshold. Accuracy was measured on a validation split of "
    "the training dataset, not on production traffic.",
    ModelKind.ANOMALY: "Trained on data assumed normal: anomalies present in that data lower its "
    "sensitivity. Thresholds were calibrated per machine on the training period.",
    ModelKind.ENCODER: "Inherits the biases and the English focus of its base model.",
    ModelKind.GENERATOR: "May produce wrong or ungrounded text; ground it and filter it.",
}


def _metrics_table(metrics: dict[str, Any]) -> list[str]:
    scalars = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    if not scalars:
        return ["Not evaluated yet (`strata train eval REF --data DATASET`)."]
    rows = ["| metric | value |", "|---|---|"]
    rows += [
        f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |"
        for k, v in sorted(scalars.items())
    ]
    return rows


def render_card(record: ModelRecord, parent: ModelRecord | None) -> str:
    """The markdown card of a model version."""
    details = record.details
    data = details.get("data", [])
    lines = [
        f"# {record.ref}",
        "",
        f"- **Layer**: {Layer(record.layer).name} (`{record.layer.value}`)",
        f"- **Kind**: {record.kind.value}",
        f"- **Base**: {parent.ref if parent else 'none'}",
        f"- **Created**: {record.created_at.isoformat()}",
        "",
        "## Data",
        *(
            [
                f"- `{d['dataset']}@{d['version']}` ({d.get('role', 'data')}: "
                f"{', '.join(d.get('columns', []))})"
                for d in data
            ]
            or ["- none recorded"]
        ),
        "",
        "## Training spec",
        "```json",
        json.dumps(details.get("spec", {}), indent=2, sort_keys=True, default=str),
        "```",
        "",
        "## Metrics",
        *_metrics_table(record.metrics),
        "",
        "## Gates",
        *([f"- `{g}`" for g in details.get("gates", [])] or ["- none declared"]),
        "",
        "## Intended use",
        details.get("intended_use") or _USE[record.kind],
        "",
        "## Limits",
        _LIMITS[record.kind],
        "",
    ]
    return "\n".join(lines)
