"""The apps facade: publish, promote, roll back, run, and read traces, over one catalog."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strata.apps.kb import KnowledgeBases
from strata.apps.kb_index import Fusion
from strata.apps.records import AppRunRow
from strata.apps.release import check_gate, evaluate
from strata.apps.runner import EventSink, Runner, no_events
from strata.apps.spec import AppSpec, load_app, parse_app
from strata.apps.steps.base import STEPS, Services
from strata.apps.store import DEFAULT_ALIAS, AppStore, AppVersion
from strata.apps.trace import RunResult
from strata.core.catalog import Catalog
from strata.core.settings import Settings

if TYPE_CHECKING:
    from strata.lake.lake import Lake
    from strata.models.runtime import ModelRuntime


@dataclass(frozen=True)
class Published:
    """What `publish` did: the version, whether it is new, its eval, and the alias it took."""

    app: AppVersion
    created: bool
    alias: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "app": self.app.name,
            "version": self.app.version,
            "created": self.created,
            "alias": self.alias,
            "evaluation": self.app.evaluation,
        }


class Apps:
    """Everything the CLI, the HTTP router and the MCP server do with apps."""

    def __init__(self, catalog: Catalog, services: Services) -> None:
        self.services = services
        self.store = AppStore(catalog)
        self.runner = Runner(services, self.store)
        self._eval_runner = Runner(replace(services, dry_run=True))  # eval opens no tickets

    def load(self, source: Path | str | dict[str, Any]) -> AppSpec:
        """Validate a spec from a YAML file or a mapping (step plugins must be installed)."""
        known = set(STEPS.names())
        if isinstance(source, dict):
            return parse_app(source, known_steps=known)
        return load_app(source, known_steps=known)

    async def publish(
        self, source: Path | str | dict[str, Any], *, alias: str | None = DEFAULT_ALIAS
    ) -> Published:
        """An immutable version (eval set run first); then `alias` moves to it if the gate passes.

        Raises GateFailed after storing the version when the gate refuses the alias.
        """
        spec = self.load(source)
        evaluation = await evaluate(self._eval_runner, spec)
        app, created = self.store.publish(spec, evaluation)
        if alias is not None:
            self.promote(app, alias)
        return Published(app, created, alias)

    def promote(self, app: AppVersion | str, alias: str) -> int | None:
        """Point `alias` at a version that passed its gate; returns the previous version."""
        found = self.store.resolve(app) if isinstance(app, str) else app
        current = self.store.aliases(found.name).get(alias)
        check_gate(found, alias, current)
        if current == found.version:
            return current
        return self.store.set_alias(found.name, alias, found.version)

    def rollback(self, name: str, alias: str = DEFAULT_ALIAS) -> tuple[int, int]:
        """Move `alias` back to where it pointed before; returns (from, to)."""
        current, target = self.store.rollback_target(name, alias)
        self.store.set_alias(name, alias, target, action="rollback")
        return current, target

    async def run(
        self,
        ref: str,
        data: dict[str, Any],
        *,
        tenant: str = "default",
        source: str = "api",
        on_event: EventSink = no_events,
    ) -> RunResult:
        """Run `NAME` (production, else latest), `NAME@N` or `NAME:ALIAS` on one input."""
        app = await asyncio.to_thread(self.store.resolve, ref)
        return await self.runner.run(app, data, tenant=tenant, source=source, on_event=on_event)

    def runs(self, name: str, limit: int = 20) -> list[AppRunRow]:
        """The latest runs of an app."""
        return self.store.runs(name, limit)

    def trace(self, run_id: str) -> dict[str, Any]:
        """One stored run with its step traces."""
        row = self.store.run(run_id)
        return run_dict(row)

    def listing(self) -> list[dict[str, Any]]:
        """Each app with its latest version and aliases."""
        latest: dict[str, AppVersion] = {}
        for app in self.store.versions():
            latest[app.name] = app
        return [
            {"app": name, "latest": app.version, "aliases": self.store.aliases(name),
             "description": app.spec.description, "spec_input": list(app.spec.input)}
            for name, app in sorted(latest.items())
        ]  # fmt: skip


def run_dict(row: AppRunRow, *, steps: bool = True) -> dict[str, Any]:
    """A stored run as JSON."""
    data = {
        "run_id": row.id, "app": row.name, "version": row.version, "status": row.status,
        "source": row.source, "started_at": row.started_at.isoformat(),
        "latency_ms": round(row.latency_ms, 3), "input": row.input, "output": row.output,
        "error": row.error,
    }  # fmt: skip
    return {**data, "steps": row.steps} if steps else data


def kb_root(settings: Settings) -> Path:
    """Where knowledge bases live: `apps.kb_root`, else STRATA_HOME/kb."""
    return Path(settings.apps.kb_root) if settings.apps.kb_root else settings.home / "kb"


def open_apps(
    settings: Settings, catalog: Catalog, runtime: ModelRuntime, lake: Lake | None = None
) -> Apps:
    """Apps with knowledge bases, the model runtime and the security settings wired in."""
    fusion = Fusion(settings.apps.kb_fusion, settings.apps.kb_bm25_weight)
    kbs = KnowledgeBases(kb_root(settings), runtime, lake, fusion)
    services = Services(
        settings.apps, settings.security, runtime, kbs, catalog=catalog, tickets=settings.tickets
    )
    return Apps(catalog, services)
