"""The government pack: city event dispatch for Harbourview (a fictional city).

Hotline, citizen app, inspector and sensor reports become event types, routed by an editable
table (`taxonomy.yaml`) to the responsible department with a priority and SLA, or to triage when
the model is unsure; answers about the city's rules are grounded in its regulations.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from strata.packs.base import FolderPack
from strata.packs.government.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parent


class GovernmentPack(FolderPack):
    """The pack object the `strata.packs` entry point `government` returns."""

    def __init__(self, root: Path = ROOT) -> None:
        super().__init__(root)

    def taxonomy(self) -> Taxonomy:
        """The routing table (`taxonomy.yaml`), validated."""
        return load_taxonomy(self.root / "taxonomy.yaml")

    def evaluate(self, context: Any) -> dict[str, Any]:
        """Held-out event-type and department accuracy, and the citation hit rate."""
        from strata.packs.government.evaluate import evaluate

        return evaluate(self, context)


@cache
def load() -> GovernmentPack:
    """The government pack (entry point `strata.packs:government`)."""
    return GovernmentPack()


__all__ = ["ROOT", "GovernmentPack", "Taxonomy", "load", "load_taxonomy"]
