"""A citizen report as the `ticket` step hands it over: redacted text, routing, place and time."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_PRIORITY_WORDS = {"low": 1, "normal": 2, "medium": 2, "high": 3, "urgent": 4, "critical": 5}
_P_LEVEL = re.compile(r"p?([1-5])")
PRIORITY_NAMES = (*_PRIORITY_WORDS, "P1-P5", "1-5")


def priority_rank(value: str) -> int | None:
    """How urgent a priority is (higher is more urgent), or None when it is not one.

    Words rank low < normal = medium < high < urgent < critical; levels P1 (or 1) are the most
    urgent and P5 (or 5) the least, so P1 ranks with critical and P4 with normal.
    """
    text = value.strip().lower()
    if text in _PRIORITY_WORDS:
        return _PRIORITY_WORDS[text]
    level = _P_LEVEL.fullmatch(text)
    return 6 - int(level.group(1)) if level else None


def utc(moment: datetime) -> datetime:
    """A timezone-aware UTC time; a naive one is taken as UTC (SQLite hands back naive ones)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def report_key(text: str, place: tuple[Any, ...], reported_at: datetime | None) -> str:
    """The idempotency key of a report without an id: its text, place and time."""
    stamp = utc(reported_at).isoformat() if reported_at is not None else None
    data = json.dumps([text.strip(), list(place), stamp], default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Report:
    """One report, already redacted and routed; `key` makes a re-sent report a no-op.

    Args:
        text: the report's text with personal details masked.
        event_type: what happened (pothole, streetlight_out ...).
        department: who handles it, or "triage" when routing was not confident.
        priority: a priority `priority_rank` knows.
        sla_hours: hours to resolve it, counted from `reported_at`.
        reported_at: when the citizen reported it (UTC).
        key: the idempotency key; empty means one is derived from text, place and time.
    """

    text: str
    event_type: str
    department: str
    priority: str
    sla_hours: float
    reported_at: datetime
    district: str | None = None
    street: str | None = None
    lat: float | None = None
    lon: float | None = None
    channel: str = ""
    score: float | None = None
    top: Any = None
    suggested: str | None = None
    run_id: str | None = None
    key: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "reported_at", utc(self.reported_at))
        if not self.key:
            object.__setattr__(self, "key", report_key(self.text, self.place, self.reported_at))

    @property
    def place(self) -> tuple[Any, ...]:
        """(district, street, lat, lon)."""
        return (self.district, self.street, self.lat, self.lon)

    @property
    def sla_due(self) -> datetime:
        """When the SLA runs out: reported_at + sla_hours."""
        return self.reported_at + timedelta(hours=self.sla_hours)

    @property
    def rank(self) -> int:
        """The priority's rank (unknown priorities rank lowest)."""
        return priority_rank(self.priority) or 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, as a ticket event stores it."""
        data = asdict(self)
        data["reported_at"] = self.reported_at.isoformat()
        return data
