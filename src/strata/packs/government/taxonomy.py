"""The routing table of the government pack: event types -> departments, priorities, SLAs, hazard
words, night hours and the triage queue, read from the editable `taxonomy.yaml` and validated."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from strata.packs.errors import InvalidPack

TAXONOMY_FILE = Path(__file__).resolve().parent / "taxonomy.yaml"
Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
Hours = Annotated[float, Field(gt=0, le=8760)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _webhook(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("a webhook is empty or an http(s) URL")
    return value


class Department(_Strict):
    """A department that receives tickets."""

    title: str = Field(min_length=1)
    webhook: str = Field("", description="Where new tickets are posted; empty: none.")

    _check_webhook = field_validator("webhook")(_webhook)


class EventType(_Strict):
    """One event type: the department it routes to, its base priority and SLA."""

    title: str = Field(min_length=1)
    department: str
    priority: Priority
    sla_hours: Hours
    night_sensitive: bool = Field(False, description="Rises at night (see `night`).")


class Triage(_Strict):
    """Where unsure reports go, and how unsure is too unsure."""

    queue: str = "triage"
    threshold: float = Field(0.5, ge=0, le=1)
    sla_hours: Hours = 2
    webhook: str = ""

    _check_webhook = field_validator("webhook")(_webhook)


class Night(_Strict):
    """Night hours in city time; they may wrap past midnight (22:00 to 06:00)."""

    start: str = "22:00"
    end: str = "06:00"
    raise_by: int = Field(1, ge=0, le=3, alias="raise")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("write a time of day as HH:MM, e.g. 22:00")
        return value

    def minutes(self, value: str) -> int:
        """`HH:MM` as minutes after midnight."""
        hours, minutes = value.split(":")
        return int(hours) * 60 + int(minutes)

    def covers(self, minute_of_day: int) -> bool:
        """Whether a time of day (minutes after midnight) falls in the night hours."""
        start, end = self.minutes(self.start), self.minutes(self.end)
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end


class Taxonomy(_Strict):
    """The whole routing table."""

    version: int = 1
    city: str = ""
    triage: Triage = Field(default_factory=Triage)
    utc_offset_hours: float = Field(0, ge=-14, le=14)
    night: Night = Field(default_factory=Night)
    hazards: dict[str, Annotated[int, Field(ge=1, le=3)]] = Field(default_factory=dict)
    priority_sla_hours: dict[Priority, Hours] = Field(default_factory=dict)
    departments: dict[str, Department] = Field(min_length=1)
    event_types: dict[str, EventType] = Field(min_length=1)

    def department_of(self, event_type: str) -> str | None:
        """The department an event type routes to, or None for a type the table lacks."""
        found = self.event_types.get(event_type)
        return found.department if found else None


def _fail(path: Path, where: str, problem: str, value: Any) -> InvalidPack:
    return InvalidPack(
        f'Taxonomy {str(path)!r}, field "{where}": {problem} (got {value!r}).',
        hint="Fix the routing table; docs/government-pack.md describes each field.",
        path=str(path),
        field=where,
    )


def _check_names(path: Path, table: Taxonomy) -> None:
    for section in ("departments", "event_types"):
        for name in getattr(table, section):
            if not _NAME.match(name):
                raise _fail(path, f"{section}.{name}", "use lower-case letters, digits, '_'", name)
    known = ", ".join(table.departments)
    for name, entry in table.event_types.items():
        if entry.department not in table.departments:
            where = f"event_types.{name}.department"
            raise _fail(path, where, f"not a department; known: {known}", entry.department)
    if table.triage.queue in table.departments:
        raise _fail(path, "triage.queue", "must differ from every department", table.triage.queue)
    missing = [p for p in PRIORITIES if p not in table.priority_sla_hours]
    if table.priority_sla_hours and missing:
        raise _fail(path, "priority_sla_hours", f"needs all of {', '.join(PRIORITIES)}", missing)


def parse_taxonomy(data: Any, path: Path = TAXONOMY_FILE) -> Taxonomy:
    """A validated Taxonomy from plain data; InvalidPack names the field and the value."""
    if not isinstance(data, dict):
        raise _fail(path, "(top level)", "the routing table must be a mapping", type(data).__name__)
    try:
        table = Taxonomy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise _fail(path, where, first["msg"], first.get("input")) from exc
    _check_names(path, table)
    return table


@lru_cache(maxsize=8)
def _cached(path: str, stamp: tuple[int, int]) -> Taxonomy:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidPack(
            f"Taxonomy {path!r} is not valid YAML: {exc}",
            hint="Fix the YAML syntax (indentation, quotes).",
            path=path,
        ) from exc
    return parse_taxonomy(data, file)


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """The routing table at `path` (default: the pack's `taxonomy.yaml`), re-read when it changes.

    Raises:
        InvalidPack: the file is missing, is not YAML, or a field is wrong (named in the message).
    """
    file = Path(path) if path is not None else TAXONOMY_FILE
    try:
        stat = file.stat()
    except OSError as exc:
        raise InvalidPack(
            f"Cannot read taxonomy {str(file)!r}: {exc.strerror}.",
            hint="Point to an existing routing table, or leave it unset for the pack's own.",
            path=str(file),
        ) from exc
    return _cached(str(file.resolve()), (stat.st_mtime_ns, stat.st_size))


@cache
def hazard_pattern(word: str) -> re.Pattern[str]:
    """A word or phrase as a case-insensitive pattern that accepts plurals and simple endings."""
    return re.compile(rf"\b{re.escape(word)}(?:s|es|ed|ing|ren)?\b", re.IGNORECASE)


__all__ = [
    "PRIORITIES",
    "TAXONOMY_FILE",
    "Department",
    "EventType",
    "Night",
    "Priority",
    "Taxonomy",
    "Triage",
    "hazard_pattern",
    "load_taxonomy",
    "parse_taxonomy",
]
