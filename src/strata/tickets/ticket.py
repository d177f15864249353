"""Plain views of tickets and their events, ids like `T-000123`, and who acted on them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from strata.tickets.errors import InvalidTicketInput
from strata.tickets.records import TicketEventRow, TicketRow
from strata.tickets.report import utc

_REF = re.compile(r"(?:t-?)?0*(\d{1,12})", re.IGNORECASE)


def ticket_ref(number: int) -> str:
    """The public id of ticket number `number`: `T-000123`."""
    return f"T-{number:06d}"


def parse_ticket_ref(ref: str) -> int:
    """The number inside `T-000123` (or `123`); raises InvalidTicketInput otherwise."""
    match = _REF.fullmatch(ref.strip())
    if match is None or int(match.group(1)) == 0:
        raise InvalidTicketInput(
            f"Ticket id {ref!r} is not valid; expected an id like T-000123.",
            hint="List tickets: strata tickets ls",
        )
    return int(match.group(1))


@dataclass(frozen=True)
class Actor:
    """Who changed a ticket: a tenant and a key id (or `cli`, `app`), and the request or run
    that did it, so the audit record can be matched with the request's own."""

    tenant: str = "default"
    key_id: str = "app"
    request_id: str = ""

    @property
    def label(self) -> str:
        """`tenant/key_id`, as ticket events store it."""
        return f"{self.tenant}/{self.key_id}"


@dataclass(frozen=True)
class TicketEvent:
    """One event of a ticket: created, merged, status, assigned or notify_failed."""

    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    note: str | None
    at: datetime
    report: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: TicketEventRow) -> TicketEvent:
        """The view of a stored event."""
        return cls(
            row.kind, row.from_status, row.to_status, row.actor, row.note, utc(row.at), row.report
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "kind": self.kind, "from": self.from_status, "to": self.to_status,
            "actor": self.actor, "note": self.note, "at": self.at.isoformat(),
            "report": self.report,
        }  # fmt: skip


@dataclass(frozen=True)
class Ticket:
    """One ticket as callers see it (its events only when asked for)."""

    ticket_id: str
    event_type: str
    department: str
    status: str
    priority: str
    sla_hours: float
    sla_due: datetime
    text: str
    district: str | None
    street: str | None
    lat: float | None
    lon: float | None
    reported_at: datetime
    last_report_at: datetime
    channel: str
    score: float | None
    top: Any
    duplicates: int
    run_id: str | None
    created_at: datetime
    updated_at: datetime
    events: tuple[TicketEvent, ...] = field(default=())

    @classmethod
    def from_row(cls, row: TicketRow, events: tuple[TicketEvent, ...] = ()) -> Ticket:
        """The view of a stored ticket."""
        return cls(
            ticket_id=ticket_ref(row.id), event_type=row.event_type, department=row.department,
            status=row.status, priority=row.priority, sla_hours=row.sla_hours,
            sla_due=utc(row.sla_due), text=row.text, district=row.district, street=row.street,
            lat=row.lat, lon=row.lon, reported_at=utc(row.reported_at),
            last_report_at=utc(row.last_report_at), channel=row.channel, score=row.score,
            top=row.top, duplicates=row.duplicates, run_id=row.run_id,
            created_at=utc(row.created_at), updated_at=utc(row.updated_at), events=events,
        )  # fmt: skip

    def to_dict(self, *, events: bool = False) -> dict[str, Any]:
        """JSON-ready view; `events` adds the history, oldest first."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name != "events":
                data[item.name] = value.isoformat() if isinstance(value, datetime) else value
        if events:
            data["events"] = [e.to_dict() for e in self.events]
        return data
