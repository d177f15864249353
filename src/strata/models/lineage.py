"""Lineage: the chain from data through L0 and L1 to an L2 model, with data versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strata.models.records import ModelRecord
from strata.models.store import ModelStore


@dataclass(frozen=True)
class Step:
    """One link of the chain: a dataset version or a model version."""

    stage: str
    ref: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready view."""
        return {"stage": self.stage, "ref": self.ref, "detail": self.detail}


def ancestry(store: ModelStore, record: ModelRecord) -> list[ModelRecord]:
    """The model and its parents, root (an L0) first."""
    chain = [record]
    seen = {record.id}
    while chain[0].parent_id is not None and chain[0].parent_id not in seen:
        parent = store.get(chain[0].parent_id)
        seen.add(parent.id)
        chain.insert(0, parent)
    return chain


def _data_steps(record: ModelRecord) -> list[Step]:
    steps = []
    for item in record.details.get("data", []):
        columns = ", ".join(item.get("columns", []))
        steps.append(
            Step(
                "data",
                f"{item['dataset']}@{item['version']}",
                f"{item.get('role', 'data')} ({columns}) -> {record.ref}",
            )
        )
    return steps


def _metric_text(metrics: dict[str, Any]) -> str:
    keys = [k for k in ("accuracy", "macro_f1", "f1", "far", "ba") if k in metrics]
    return ", ".join(f"{k} {metrics[k]:.4f}" for k in keys)


def lineage(store: ModelStore, record: ModelRecord) -> list[Step]:
    """Data -> L0 -> L1 -> L2: each model preceded by the dataset versions it was trained on."""
    steps: list[Step] = []
    for model in ancestry(store, record):
        steps.extend(_data_steps(model))
        parts = [model.kind.value, model.source.value]
        if metrics := _metric_text(model.metrics):
            parts.append(metrics)
        if model.aliases:
            parts.append("aliases: " + ", ".join(model.aliases))
        steps.append(Step(model.layer.value, model.ref, "; ".join(parts)))
    return steps
