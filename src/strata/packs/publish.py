"""The app-framework side of an install: build knowledge bases, publish the pack's app.

Both are protocols so the installer stays testable; `apps_side` builds the real ones from the
app framework's public names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class KbBuilder(Protocol):
    """Builds (incrementally) a knowledge base from a documents dataset."""

    def build(self, name: str, dataset: str, encoder: str | None = None) -> Any:
        """A result with `chunks`, `encoder`, `embedded` and `unchanged`."""
        ...


class AppPublisher(Protocol):
    """Publishes an app spec file, runs its eval set, and moves the alias when the gate passes."""

    def publish(self, path: Path, alias: str) -> dict[str, Any]:
        """Facts: `ref`, `created`, and `evaluation` / `alias` / `refused` when known."""
        ...
