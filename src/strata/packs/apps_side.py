"""The app framework side of an install: knowledge bases and app publishing, through `Apps`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from strata.apps import Apps, AppVersion, GateFailed
from strata.apps.store import spec_sha256


class AppsPublisher:
    """Publishes a pack's app (its eval set runs first) and moves the alias when the gate passes."""

    def __init__(self, apps: Apps) -> None:
        self.apps = apps

    def publish(self, path: Path, alias: str) -> dict[str, Any]:
        """Facts for the install report: version, eval, and the alias or why it was refused.

        A spec already published (same content) is not evaluated again, so re-runs take seconds.
        """
        spec = self.apps.load(path)
        versions = self.apps.store.versions(spec.name)
        same = next((v for v in versions if v.sha256 == spec_sha256(spec)), None)
        if same is not None and self._settled(same, alias):
            return self._facts(same, False, alias)
        before = self.apps.store.aliases(spec.name).get(alias)
        try:
            published = asyncio.run(self.apps.publish(path, alias=alias))
            app, created = published.app, published.created
        except GateFailed:
            app = self.apps.store.versions(spec.name)[-1]
            created = len(self.apps.store.versions(spec.name)) > len(versions)
        moved = self.apps.store.aliases(spec.name).get(alias) != before
        return self._facts(app, created or moved, alias)

    def _settled(self, app: AppVersion, alias: str) -> bool:
        """Whether nothing is left to do: the alias points here, or the gate already refused it."""
        at = self.apps.store.aliases(app.name).get(alias)
        evaluation = app.evaluation or {}
        return at == app.version or evaluation.get("gate_passed") is False

    def _facts(self, app: AppVersion, created: bool, alias: str) -> dict[str, Any]:
        evaluation = app.evaluation or {}
        facts: dict[str, Any] = {"ref": app.ref, "created": created}
        if "pass_rate" in evaluation:
            facts["pass_rate"] = evaluation["pass_rate"]
        if self.apps.store.aliases(app.name).get(alias) == app.version:
            facts["alias"] = alias
        elif evaluation:
            facts["refused"] = (
                f"eval pass rate {evaluation.get('pass_rate', 0):.0%} below the gate of "
                f"{evaluation.get('min_pass_rate', 1):.0%}; {alias} not moved"
            )
        return facts
