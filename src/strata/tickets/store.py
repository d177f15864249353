"""Tickets in the catalog: open or merge a report, move a ticket through its statuses.

Every change is one transaction that also appends to the audit chain (`core/audit.py`), so a
ticket, its event and its audit record commit together or not at all. The audit chain head is
locked first: it serialises ticket writes, so two reports of one event arriving together cannot
both open a ticket.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strata.core.audit import AuditEntry, append_entries, lock_head
from strata.core.catalog import Catalog
from strata.core.settings import TicketsSettings
from strata.tickets.errors import InvalidTicketInput, InvalidTransition, TicketNotFound
from strata.tickets.merge import MergeRule
from strata.tickets.records import TicketEventRow, TicketRow
from strata.tickets.report import Report, priority_rank, utc
from strata.tickets.status import (
    ACTIVE,
    DISPATCHED,
    OPEN,
    TRIAGE,
    check_status,
    check_transition,
)
from strata.tickets.ticket import Actor, Ticket, TicketEvent, parse_ticket_ref, ticket_ref

REASSIGNABLE = frozenset({OPEN, DISPATCHED})


@dataclass(frozen=True)
class Opened:
    """What `open` did with a report: a new ticket, a merge, or nothing (a re-sent report)."""

    ticket: Ticket
    merged: bool
    replayed: bool = False

    @property
    def created(self) -> bool:
        """Whether this report opened a new ticket just now."""
        return not self.merged and not self.replayed


@dataclass
class _Change:
    """One event of one ticket, written to the ticket's history and to the audit chain."""

    kind: str
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    report: Report | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def rule_from(settings: TicketsSettings) -> MergeRule:
    """The duplicate rule of the `tickets` settings."""
    return MergeRule(settings.merge_distance_m, timedelta(minutes=settings.merge_window_minutes))


class TicketStore:
    """Open, merge, list, show and update tickets on one catalog."""

    def __init__(self, catalog: Catalog, rule: MergeRule | None = None) -> None:
        self.catalog = catalog
        self.rule = rule or rule_from(TicketsSettings())

    def open(self, report: Report, actor: Actor) -> Opened:
        """A new ticket for `report`, or a merge into the open ticket it duplicates.

        A report whose key was seen before changes nothing and returns its ticket again.
        """
        with self.catalog.session() as session:
            lock_head(session)
            seen = session.scalars(
                select(TicketEventRow).where(TicketEventRow.report_key == report.key)
            ).first()
            if seen is not None:
                row = session.get_one(TicketRow, seen.ticket_id)
                return Opened(Ticket.from_row(row), seen.kind == "merged", replayed=True)
            target = self._duplicate_of(session, report)
            if target is None:
                row, change = self._create(session, report)
            else:
                row, change = target, self._merge(target, report)
            self._write(session, row, [change], actor)
            return Opened(Ticket.from_row(row), merged=target is not None)

    def get(self, ticket_id: str, *, visible_to: str | None = None) -> Ticket:
        """One ticket with its events; `visible_to` limits it to one department."""
        with self.catalog.session() as session:
            row = self._row(session, ticket_id, visible_to)
            events = session.scalars(
                select(TicketEventRow)
                .where(TicketEventRow.ticket_id == row.id)
                .order_by(TicketEventRow.id)
            )
            return Ticket.from_row(row, tuple(TicketEvent.from_row(e) for e in events))

    def find(
        self,
        *,
        department: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Ticket]:
        """Tickets, newest first, filtered by department and status."""
        if limit < 1 or offset < 0:
            raise InvalidTicketInput(
                f"limit must be 1 or more and offset 0 or more, got {limit} and {offset}.",
                hint="For example --limit 50.",
            )
        query = _filtered(select(TicketRow), department, status)
        query = query.order_by(TicketRow.id.desc()).limit(limit).offset(offset)
        with self.catalog.session() as session:
            return [Ticket.from_row(row) for row in session.scalars(query)]

    def count(self, *, department: str | None = None, status: str | None = None) -> int:
        """How many tickets match the filters."""
        query = _filtered(select(func.count(TicketRow.id)), department, status)
        with self.catalog.session() as session:
            return int(session.scalar(query) or 0)

    def update(
        self,
        ticket_id: str,
        actor: Actor,
        *,
        status: str | None = None,
        department: str | None = None,
        note: str | None = None,
        visible_to: str | None = None,
    ) -> Ticket:
        """Reassign a triage ticket to `department` and/or move it to `status`, atomically.

        Raises:
            TicketNotFound: no such ticket, or not in the `visible_to` department.
            InvalidTransition: the status machine or the reassignment rule refuses it.
        """
        if status is None and department is None:
            raise InvalidTicketInput(
                f"Nothing to change on ticket {ticket_id}: give a status, a department or both.",
                hint="For example: strata tickets update T-000001 --status dispatched",
            )
        with self.catalog.session() as session:
            lock_head(session)
            row = self._row(session, ticket_id, visible_to)
            changes = []
            if department is not None:
                changes.append(_reassign(row, department))
            if status is not None:
                ref = ticket_ref(row.id)
                check_transition(ref, row.status, status)
                changes.append(_Change("status", row.status, status))
                row.status = status
            if note:
                changes[-1].note = "; ".join(filter(None, (changes[-1].note, note)))
            row.updated_at = _now()
            self._write(session, row, changes, actor)
            return Ticket.from_row(row)

    def note_event(self, ticket_id: str, kind: str, actor: Actor, note: str) -> Ticket:
        """Record an event that changes no field (e.g. `notify_failed` with its reason)."""
        with self.catalog.session() as session:
            lock_head(session)
            row = self._row(session, ticket_id, None)
            self._write(session, row, [_Change(kind, row.status, row.status, note)], actor)
            return Ticket.from_row(row)

    def _row(self, session: Session, ticket_id: str, visible_to: str | None) -> TicketRow:
        row = session.get(TicketRow, parse_ticket_ref(ticket_id))
        if row is None or (visible_to is not None and row.department != visible_to):
            raise TicketNotFound(
                f"Ticket {ticket_id} not found.",
                hint="List the tickets you can see: GET /v1/tickets or strata tickets ls",
            )
        return row

    def _duplicate_of(self, session: Session, report: Report) -> TicketRow | None:
        if not self.rule.mergeable(report):
            return None
        window = self.rule.window
        candidates = session.scalars(
            select(TicketRow).where(
                TicketRow.event_type == report.event_type,
                TicketRow.department == report.department,
                TicketRow.status.in_(sorted(ACTIVE)),
                TicketRow.last_report_at >= report.reported_at - window,
                TicketRow.last_report_at <= report.reported_at + window,
            )
        )
        scored = []
        for row in candidates:
            distance = self.rule.distance(row, report)
            if distance is not None:
                scored.append((distance, -utc(row.last_report_at).timestamp(), row.id, row))
        return min(scored, key=lambda item: item[:3])[3] if scored else None

    def _create(self, session: Session, report: Report) -> tuple[TicketRow, _Change]:
        now = _now()
        row = TicketRow(
            event_type=report.event_type, department=report.department, status=OPEN,
            priority=report.priority, sla_hours=report.sla_hours, sla_due=report.sla_due,
            text=report.text, district=report.district, street=report.street, lat=report.lat,
            lon=report.lon, reported_at=report.reported_at, last_report_at=report.reported_at,
            channel=report.channel, score=report.score, top=report.top, duplicates=0,
            run_id=report.run_id, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        note = f"routed to triage (suggested: {report.suggested})" if report.suggested else None
        return row, _Change("created", None, OPEN, note, report)

    def _merge(self, row: TicketRow, report: Report) -> _Change:
        notes = [f"duplicate {row.duplicates + 1}"]
        row.duplicates += 1
        row.last_report_at = max(utc(row.last_report_at), report.reported_at)
        if report.rank > (priority_rank(row.priority) or 0):
            notes.append(f"priority {row.priority} -> {report.priority}")
            row.priority = report.priority
        if report.sla_due < utc(row.sla_due):
            notes.append(f"SLA due {utc(row.sla_due).isoformat()} -> {report.sla_due.isoformat()}")
            row.sla_due = report.sla_due
            row.sla_hours = (report.sla_due - utc(row.reported_at)).total_seconds() / 3600
        row.updated_at = _now()
        return _Change("merged", row.status, row.status, "; ".join(notes), report)

    def _write(
        self, session: Session, row: TicketRow, changes: list[_Change], actor: Actor
    ) -> None:
        now, ref = _now(), ticket_ref(row.id)
        entries = []
        for change in changes:
            report = change.report.to_dict() if change.report is not None else None
            session.add(
                TicketEventRow(
                    ticket_id=row.id, kind=change.kind, from_status=change.from_status,
                    to_status=change.to_status, actor=actor.label[:140], note=change.note,
                    report_key=change.report.key if change.report is not None else None,
                    report=report, at=now,
                )
            )  # fmt: skip
            entries.append(_audit_entry(ref, row.department, change, actor, now))
        append_entries(session, entries)


def _filtered(query: Any, department: str | None, status: str | None) -> Any:
    if department is not None:
        query = query.where(TicketRow.department == department)
    if status is not None:
        query = query.where(TicketRow.status == check_status(status))
    return query


def _reassign(row: TicketRow, department: str) -> _Change:
    ref = ticket_ref(row.id)
    target = department.strip()
    if not target or target == TRIAGE or len(target) > 100:
        raise InvalidTicketInput(
            f"Department {department!r} is not a department a ticket can be assigned to.",
            hint="Name the department that takes the ticket, e.g. --department roads.",
        )
    if row.department != TRIAGE or row.status not in REASSIGNABLE:
        raise InvalidTransition(
            f"Ticket {ref} is {row.status} in {row.department}; only open or dispatched triage "
            "tickets can be reassigned.",
            hint=f"Change its status instead: strata tickets update {ref} --status STATUS",
        )
    change = _Change("assigned", row.status, OPEN, f"{row.department} -> {target}")
    row.department, row.status = target, OPEN
    return change


def _audit_entry(
    ref: str, department: str, change: _Change, actor: Actor, now: datetime
) -> AuditEntry:
    details = {
        "ticket": ref, "event": change.kind, "department": department,
        "from": change.from_status, "to": change.to_status, "actor": actor.label,
        "note": change.note,
    }  # fmt: skip
    return AuditEntry(
        request_id=(actor.request_id or secrets.token_hex(8))[:32],
        tenant=actor.tenant[:100],
        key_id=actor.key_id[:32],
        method="TICKET",
        path=f"/tickets/{ref}/{change.kind}",
        created_at=now,
        error_code=change.kind if change.kind == "notify_failed" else None,
        verdicts=[details],
    )
