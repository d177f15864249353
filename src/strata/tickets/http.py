"""HTTP routes for tickets, mounted by the gateway behind its keys (scope `inference`).

A key whose tenant names a department sees and updates only that department's tickets; another
department's ticket answers 404, not 403, so ticket ids do not leak. A key with the `admin` scope
sees and updates every ticket. Errors are raised as `StrataError`s for the gateway's edge handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from strata.apps.service import Apps
from strata.apps.trace import RunResult
from strata.tickets.service import Tickets
from strata.tickets.ticket import Actor, Ticket


@dataclass(frozen=True)
class Caller:
    """Who calls a ticket route: the key's tenant and id, and whether it holds `admin`."""

    tenant: str
    key_id: str
    admin: bool = False
    request_id: str = ""

    @property
    def department(self) -> str | None:
        """The one department this caller may see, or None for all (admin)."""
        return None if self.admin else self.tenant

    def actor(self) -> Actor:
        """The caller as ticket events and audit records name it."""
        return Actor(self.tenant, self.key_id, self.request_id)


CallerOf = Callable[[Request], Caller]


class EventOut(BaseModel):
    """One event of a ticket."""

    model_config = ConfigDict(populate_by_name=True)

    kind: str = Field(description="created, merged, status, assigned, notify_failed, notified.")
    from_status: str | None = Field(None, alias="from", description="Status before.")
    to_status: str | None = Field(None, alias="to", description="Status after.")
    actor: str = Field(description="tenant/key id (or app, cli) that caused it.")
    note: str | None = Field(None, description="Why, or what the webhook answered.")
    at: datetime
    report: dict[str, Any] | None = Field(None, description="The report, for created/merged.")


class TicketOut(BaseModel):
    """A ticket."""

    ticket_id: str = Field(description="Public id, e.g. T-000123.")
    event_type: str
    department: str = Field(description="Who handles it; `triage` until a person assigns it.")
    status: str = Field(description="open, dispatched, in_progress, resolved or rejected.")
    priority: str
    sla_hours: float
    sla_due: datetime
    text: str = Field(description="The first report's text, personal details masked.")
    district: str | None
    street: str | None
    lat: float | None
    lon: float | None
    reported_at: datetime
    last_report_at: datetime
    channel: str
    score: float | None
    top: Any
    duplicates: int = Field(description="Reports merged into this ticket after the first.")
    run_id: str | None = Field(description="The app run that opened it.")
    created_at: datetime
    updated_at: datetime


class TicketDetail(TicketOut):
    """A ticket with its events, oldest first."""

    events: list[EventOut]


class TicketList(BaseModel):
    """One page of tickets, newest first."""

    object: Literal["list"] = "list"
    data: list[TicketOut]
    total: int = Field(description="Tickets matching the filters, over all pages.")
    limit: int
    offset: int


class StatusChange(BaseModel):
    """A status transition and/or the reassignment of a triage ticket."""

    status: str | None = Field(None, description="The new status.", max_length=16)
    department: str | None = Field(
        None, description="Reassign a triage ticket to this department.", max_length=100
    )
    note: str | None = Field(None, description="Why, kept on the event.", max_length=2000)


class ReportIn(BaseModel):
    """A citizen report; every field is passed to the dispatch app as its input."""

    model_config = ConfigDict(extra="allow")

    text: str = Field(description="What the citizen wrote or said.", min_length=1)
    district: str | None = None
    street: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    reported_at: str | None = Field(None, description="ISO 8601 time; default now.")
    channel: str | None = Field(None, description="web, phone, app, mqtt ...")


class ReportOut(BaseModel):
    """What the dispatch app did with a report; ticket fields are None when no ticket step ran."""

    run_id: str
    app: str
    version: int
    ticket_id: str | None = None
    status: str | None = None
    merged: bool = False
    duplicates: int = 0
    department: str | None = None
    sla_due: datetime | None = None


def _detail(ticket: Ticket) -> TicketDetail:
    return TicketDetail.model_validate(ticket.to_dict(events=True))


def _report_out(result: RunResult) -> ReportOut:
    done = [s for s in result.steps if s.uses == "ticket" and s.status == "succeeded"]
    ticket = (done[-1].outputs or {}) if done else {}
    return ReportOut(run_id=result.run_id, app=result.app, version=result.version, **ticket)


def create_router(tickets: Tickets, apps: Apps, *, caller_of: CallerOf) -> APIRouter:
    """The tickets router; `caller_of` reads the key the gateway authenticated."""
    router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
    store = tickets.store

    @router.get("", response_model=TicketList)
    async def list_tickets(
        request: Request,
        status: Annotated[str | None, Query(description="Only tickets in this status.")] = None,
        department: Annotated[
            str | None, Query(description="Only this department's tickets.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> TicketList:
        """Tickets the caller may see, newest first."""
        mine = caller_of(request).department
        if mine is not None and department not in (None, mine):
            return TicketList(data=[], total=0, limit=limit, offset=offset)
        where = {"department": mine or department, "status": status}
        found = await asyncio.to_thread(store.find, **where, limit=limit, offset=offset)
        total = await asyncio.to_thread(store.count, **where)
        data = [TicketOut.model_validate(t.to_dict()) for t in found]
        return TicketList(data=data, total=total, limit=limit, offset=offset)

    @router.get("/{ticket_id}", response_model=TicketDetail)
    async def get_ticket(ticket_id: str, request: Request) -> TicketDetail:
        """One ticket with its events (404 when the caller may not see it)."""
        mine = caller_of(request).department
        return _detail(await asyncio.to_thread(store.get, ticket_id, visible_to=mine))

    @router.post("/{ticket_id}/status", response_model=TicketDetail)
    async def change_status(ticket_id: str, body: StatusChange, request: Request) -> TicketDetail:
        """Move a ticket to a new status and/or reassign a triage ticket."""
        caller = caller_of(request)
        ticket = await asyncio.to_thread(
            tickets.update, ticket_id, caller.actor(), status=body.status,
            department=body.department, note=body.note, visible_to=caller.department,
        )  # fmt: skip
        return _detail(await asyncio.to_thread(store.get, ticket.ticket_id))

    @router.post("", response_model=ReportOut)
    async def submit_report(body: ReportIn, request: Request) -> ReportOut:
        """Run the dispatch app (`tickets.app`) on a report: a new ticket or a merge."""
        caller = caller_of(request)
        data = body.model_dump(exclude_none=True)
        result = await apps.run(tickets.settings.app, data, tenant=caller.tenant, source="http")
        return _report_out(result.raise_for_status())

    return router
