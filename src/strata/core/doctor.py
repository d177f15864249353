"""Health checks behind `strata doctor`: each check is a plugin in `strata.core.checks`."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from strata.core.catalog import Catalog
from strata.core.errors import StrataError
from strata.core.registry import Registry
from strata.core.settings import Settings


class Level(StrEnum):
    """How bad a finding is."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CheckResult:
    """What one check found and, when something is wrong, how to fix it."""

    name: str
    level: Level
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {**asdict(self), "level": self.level.value}


Check = Callable[[Settings], CheckResult]
CHECKS: Registry[Check] = Registry("strata.core.checks")


def check_python(settings: Settings) -> CheckResult:
    """The interpreter in use (the package itself requires Python 3.11 or newer)."""
    version = ".".join(map(str, sys.version_info[:3]))
    return CheckResult("python", Level.OK, f"Python {version} ({sys.executable})")


def check_catalog(settings: Settings) -> CheckResult:
    """The catalog opens and its migrations are at head."""
    try:
        catalog = Catalog(settings.catalog_url, upgrade=False)
        current, head = catalog.current_revision(), catalog.head_revision()
        catalog.dispose()
    except StrataError as exc:
        return CheckResult("catalog", Level.FAIL, exc.message, exc.hint or "")
    where = settings.catalog_url.split("@")[-1]
    if current == head:
        return CheckResult("catalog", Level.OK, f"{where} at migration {head}")
    return CheckResult(
        "catalog",
        Level.WARN,
        f"{where} at migration {current or 'none'}, newest is {head}",
        "Run `strata db upgrade` (commands also upgrade on first use).",
    )


def check_disk(settings: Settings) -> CheckResult:
    """Free space where STRATA_HOME lives."""
    probe = settings.home
    while not probe.exists():
        probe = probe.parent
    free_gb = shutil.disk_usage(probe).free / 1e9
    detail = f"{free_gb:.1f} GB free under {probe}"
    if free_gb >= settings.doctor.min_free_disk_gb:
        return CheckResult("disk", Level.OK, detail)
    return CheckResult(
        "disk",
        Level.WARN,
        detail,
        f"Free space (doctor wants {settings.doctor.min_free_disk_gb} GB) or move STRATA_HOME.",
    )


def run_checks(settings: Settings) -> list[CheckResult]:
    """Run every registered check; a check that raises is reported as a failure, not hidden."""
    results = []
    for name, check in CHECKS.items():
        try:
            results.append(check(settings))
        except StrataError as exc:
            results.append(CheckResult(name, Level.FAIL, exc.message, exc.hint or ""))
    return results
