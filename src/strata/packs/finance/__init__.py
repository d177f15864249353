"""The finance pack: Northwind Mutual Bank's counter assistant (a fictional bank).

Banking requests (banking77) become intents, each intent a service workflow with its slots filled
from the request, grounded in the bank's policy documents with citations.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from strata.packs.base import FolderPack

ROOT = Path(__file__).resolve().parent


class FinancePack(FolderPack):
    """The pack object the `strata.packs` entry point `finance` returns."""

    def __init__(self, root: Path = ROOT) -> None:
        super().__init__(root)

    def evaluate(self, context: Any) -> dict[str, Any]:
        """Slot-filling accuracy and the citation hit rate of policy answers."""
        from strata.packs.finance.evaluate import evaluate

        return evaluate(self, context)


@cache
def load() -> FinancePack:
    """The finance pack (entry point `strata.packs:finance`)."""
    return FinancePack()


__all__ = ["ROOT", "FinancePack", "load"]
