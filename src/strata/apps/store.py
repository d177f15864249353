"""App versions, aliases and run traces in the catalog.

Versions are immutable (the same spec published again is the same version); an alias moves only
through `set_alias` and `rollback`, and every move is recorded so a rollback knows where to go.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strata.apps.errors import AppNotFound, InvalidAppInput, RunNotFound
from strata.apps.records import AppAliasEventRow, AppAliasRow, AppRunRow, AppVersionRow
from strata.apps.spec import AppSpec, parse_app
from strata.core.catalog import Catalog

_REF = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9._-]{0,99})(?:@(?P<v>\d+)|:(?P<alias>[a-z][a-z0-9_-]*))?$"
)
DEFAULT_ALIAS = "production"


@dataclass(frozen=True)
class AppVersion:
    """One published version."""

    name: str
    version: int
    spec: AppSpec
    sha256: str
    evaluation: dict[str, Any] | None
    created_at: datetime

    @property
    def ref(self) -> str:
        """`name@version`."""
        return f"{self.name}@{self.version}"


def spec_sha256(spec: AppSpec) -> str:
    """A content hash of the validated spec (key order and YAML layout do not matter)."""
    dumped = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(dumped.encode()).hexdigest()


def parse_app_ref(ref: str) -> tuple[str, int | None, str | None]:
    """`name`, `name@3` or `name:canary` -> (name, version, alias)."""
    match = _REF.match(ref.strip())
    if not match:
        raise InvalidAppInput(
            f"App reference {ref!r} is not valid; expected NAME, NAME@VERSION or NAME:ALIAS.",
            hint="For example support-desk, support-desk@2 or support-desk:canary.",
        )
    version = match.group("v")
    return match.group("name"), int(version) if version else None, match.group("alias")


def _version(row: AppVersionRow) -> AppVersion:
    spec = parse_app(row.spec)
    return AppVersion(row.name, row.version, spec, row.sha256, row.evaluation, row.created_at)


class AppStore:
    """Versions, aliases and runs of apps, on one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def publish(self, spec: AppSpec, evaluation: dict[str, Any] | None) -> tuple[AppVersion, bool]:
        """A new immutable version (or the existing one with the same content) and `created`."""
        sha = spec_sha256(spec)
        with self.catalog.session() as session:
            same = session.scalars(
                select(AppVersionRow).where(
                    AppVersionRow.name == spec.name, AppVersionRow.sha256 == sha
                )
            ).first()
            if same is not None:
                return _version(same), False
            latest = session.scalar(
                select(func.max(AppVersionRow.version)).where(AppVersionRow.name == spec.name)
            )
            row = AppVersionRow(
                name=spec.name, version=(latest or 0) + 1, sha256=sha, evaluation=evaluation,
                spec=spec.model_dump(mode="json", by_alias=True, exclude_none=True),
                created_at=datetime.now(UTC),
            )  # fmt: skip
            session.add(row)
            session.flush()
            return _version(row), True

    def versions(self, name: str | None = None) -> list[AppVersion]:
        """Every version (of one app, or of all), oldest first."""
        query = select(AppVersionRow).order_by(AppVersionRow.name, AppVersionRow.version)
        if name is not None:
            query = query.where(AppVersionRow.name == name)
        with self.catalog.session() as session:
            return [_version(r) for r in session.scalars(query)]

    def aliases(self, name: str) -> dict[str, int]:
        """Alias -> version for one app."""
        with self.catalog.session() as session:
            rows = session.scalars(select(AppAliasRow).where(AppAliasRow.name == name))
            return {r.alias: r.version for r in rows}

    def resolve(self, ref: str) -> AppVersion:
        """`name@N` that version; `name:alias` the alias; `name` production, else the latest."""
        name, version, alias = parse_app_ref(ref)
        versions = self.versions(name)
        if not versions:
            known = sorted({v.name for v in self.versions()})
            raise AppNotFound(
                f'App "{name}" not found; published apps: {", ".join(known) or "none"}.',
                hint="Publish it: strata apps publish FILE.yaml",
            )
        if version is None:
            aliases = self.aliases(name)
            if alias is not None and alias not in aliases:
                raise AppNotFound(
                    f'App "{name}" has no alias "{alias}"; '
                    f"aliases: {', '.join(aliases) or 'none'}.",
                    hint=f"Promote a version: strata apps promote {name}@N --alias {alias}",
                )
            version = aliases.get(alias or DEFAULT_ALIAS, versions[-1].version)
        for found in versions:
            if found.version == version:
                return found
        raise AppNotFound(
            f'App "{name}" has no version {version}; versions 1-{versions[-1].version}.',
            hint=f"List them: strata apps versions {name}",
        )

    def set_alias(self, name: str, alias: str, version: int, action: str = "set") -> int | None:
        """Point `alias` at `version`; returns the version it pointed at before."""
        now = datetime.now(UTC)
        with self.catalog.session() as session:
            row = session.scalars(
                select(AppAliasRow).where(AppAliasRow.name == name, AppAliasRow.alias == alias)
            ).first()
            previous = row.version if row is not None else None
            if row is None:
                session.add(AppAliasRow(name=name, alias=alias, version=version, updated_at=now))
            else:
                row.version, row.updated_at = version, now
            session.add(
                AppAliasEventRow(
                    name=name,
                    alias=alias,
                    version=version,
                    previous=previous,
                    action=action,
                    at=now,
                )
            )
            return previous

    def rollback_target(self, name: str, alias: str) -> tuple[int, int]:
        """(current, target): the version `alias` pointed at before the move to the current one."""
        current = self.aliases(name).get(alias)
        with self.catalog.session() as session:
            event = _last_set(session, name, alias, current)
        if current is None or event is None or event.previous is None:
            raise AppNotFound(
                f'App "{name}" alias "{alias}" has no earlier version to roll back to '
                f"(now: {current if current is not None else 'unset'}).",
                hint=f"See the versions: strata apps versions {name}",
            )
        return current, event.previous

    def record_run(self, row: AppRunRow) -> None:
        """Store one run's trace."""
        with self.catalog.session() as session:
            session.add(row)

    def runs(self, name: str, limit: int = 20) -> list[AppRunRow]:
        """The latest runs of an app, newest first."""
        query = (
            select(AppRunRow)
            .where(AppRunRow.name == name)
            .order_by(AppRunRow.started_at.desc())
            .limit(limit)
        )
        with self.catalog.session() as session:
            return list(session.scalars(query))

    def run(self, run_id: str) -> AppRunRow:
        """One run with its trace."""
        with self.catalog.session() as session:
            row = session.get(AppRunRow, run_id)
        if row is None:
            raise RunNotFound(
                f'Run "{run_id}" not found.', hint="List runs: strata apps runs APP_NAME"
            )
        return row


def _last_set(
    session: Session, name: str, alias: str, version: int | None
) -> AppAliasEventRow | None:
    query = (
        select(AppAliasEventRow)
        .where(
            AppAliasEventRow.name == name,
            AppAliasEventRow.alias == alias,
            AppAliasEventRow.version == version,
            AppAliasEventRow.action == "set",
        )
        .order_by(AppAliasEventRow.id.desc())
    )
    return session.scalars(query).first()
