"""Routing one classified city report: department (or the triage queue), priority with its
reasons, SLA and webhook, from the classifier's ranked labels and the routing table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from strata.packs.government.taxonomy import PRIORITIES, Priority, Taxonomy, hazard_pattern


@dataclass(frozen=True)
class Ranked:
    """One candidate event type and the classifier's score for it."""

    label: str
    score: float


@dataclass(frozen=True)
class Routing:
    """Where a report goes, how urgent it is, and why."""

    event_type: str
    department: str
    score: float
    top: list[dict[str, Any]]
    triage: bool
    priority: Priority
    priority_reasons: list[str] = field(default_factory=list)
    sla_hours: float = 0.0
    webhook: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The step's output mapping."""
        return asdict(self)


def city_time(moment: datetime, table: Taxonomy) -> datetime:
    """A timestamp on the city's clock: offsets are converted, a naive time is taken as local."""
    if moment.tzinfo is None:
        return moment
    city = timezone(timedelta(hours=table.utc_offset_hours))
    return moment.astimezone(city).replace(tzinfo=None)


def hazards_in(text: str, table: Taxonomy) -> list[tuple[str, int]]:
    """The hazard words found in a text, with their levels, strongest first."""
    found = [(w, lvl) for w, lvl in table.hazards.items() if hazard_pattern(w).search(text)]
    return sorted(found, key=lambda item: -item[1])


def priority_of(
    event_type: str, text: str, moment: datetime | None, table: Taxonomy
) -> tuple[Priority, list[str]]:
    """The priority of a report and the reasons, from base priority, hazard words and night."""
    entry = table.event_types.get(event_type)
    base = entry.priority if entry else "P3"
    reasons = [f"base {base} for {event_type}" if entry else f"default {base} (unknown type)"]
    hazards = hazards_in(text, table)
    raise_by = hazards[0][1] if hazards else 0
    reasons += [f"hazard word {word!r} (+{level})" for word, level in hazards]
    if moment is not None and entry is not None and entry.night_sensitive:
        local = city_time(moment, table)
        if table.night.covers(local.hour * 60 + local.minute) and table.night.raise_by:
            raise_by += table.night.raise_by
            reasons.append(f"night {local:%H:%M} (+{table.night.raise_by})")
    level = max(0, PRIORITIES.index(base) - raise_by)
    return PRIORITIES[level], reasons


def sla_for(event_type: str, priority: Priority, table: Taxonomy) -> float:
    """The type's SLA, shortened to what its (possibly raised) priority allows."""
    entry = table.event_types.get(event_type)
    hours = entry.sla_hours if entry else table.triage.sla_hours
    cap = table.priority_sla_hours.get(priority)
    return float(min(hours, cap) if cap is not None else hours)


def route_event(
    ranked: list[Ranked],
    text: str,
    moment: datetime | None,
    table: Taxonomy,
    threshold: float | None = None,
) -> Routing:
    """Route one report; below the threshold (or for a type the table lacks) it goes to triage.

    Args:
        ranked: the classifier's candidates, best first (at least one).
        text: the report (already redacted); hazard words are looked for in it.
        moment: when it was reported (None: the night rule does not apply).
        table: the routing table.
        threshold: the confidence below which a person triages (None: the table's).
    """
    best = ranked[0]
    limit = table.triage.threshold if threshold is None else threshold
    top = [
        {"label": r.label, "score": r.score, "department": table.department_of(r.label)}
        for r in ranked[:3]
    ]
    priority, reasons = priority_of(best.label, text, moment, table)
    department = table.department_of(best.label)
    if department is None or best.score < limit:
        why = "not in the routing table" if department is None else f"below {limit:g}"
        return Routing(
            best.label, table.triage.queue, best.score, top, True, priority,
            [*reasons, f"triage: score {best.score:.2f} {why}"],
            min(table.triage.sla_hours, sla_for(best.label, priority, table)),
            table.triage.webhook,
        )  # fmt: skip
    return Routing(
        best.label, department, best.score, top, False, priority, reasons,
        sla_for(best.label, priority, table), table.departments[department].webhook,
    )  # fmt: skip


__all__ = ["Ranked", "Routing", "city_time", "hazards_in", "priority_of", "route_event", "sla_for"]
