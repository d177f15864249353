"""What training jobs work with: registry, runtime, lake, an engine and an artifact root."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strata.compute.base import ComputeEngine
from strata.lake.lake import Lake
from strata.models.card import CARD_FILE, render_card
from strata.models.records import ModelRecord
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

Progress = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """A progress callback that shows nothing."""


@dataclass
class Workspace:
    """Shared handles for training and evaluation jobs."""

    store: ModelStore
    runtime: ModelRuntime
    lake: Lake
    root: Path
    engine: ComputeEngine

    def scratch(self) -> Path:
        """A fresh folder to build an artifact in, on the same disk as its final place."""
        path = self.root / ".building" / uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_card(self, record: ModelRecord) -> Path:
        """Render the model card into the artifact folder (not part of the hashed files)."""
        parent = self.store.get(record.parent_id) if record.parent_id else None
        path = Path(record.uri) / CARD_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(render_card(record, parent), encoding="utf-8")
        tmp.replace(path)
        return path


@dataclass(frozen=True)
class TrainResult:
    """A trained (or found, on a re-run) model and its evaluation."""

    record: ModelRecord
    created: bool
    report: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "model": self.record.ref,
            "created": self.created,
            "metrics": self.record.metrics,
            "training": self.record.details.get("training", {}),
        }
