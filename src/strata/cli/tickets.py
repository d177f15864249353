"""`strata tickets ls|show|update|listen`: read and move city event tickets; feed them over MQTT."""

from __future__ import annotations

import asyncio
import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from strata.cli.output import print_json, print_table
from strata.cli.state import state
from strata.tickets import Actor, Ticket, Tickets

if TYPE_CHECKING:
    from strata.tickets.listen import Outcome

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _tickets(ctx: typer.Context) -> Tickets:
    st = state(ctx)
    return Tickets(st.catalog, st.settings.tickets, st.settings.security)


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        user = "unknown"
    return Actor(tenant="cli", key_id=user[:32])


def _place(ticket: Ticket) -> str:
    return ", ".join(p for p in (ticket.street, ticket.district) if p)


def ls(
    ctx: typer.Context,
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Tickets, newest first."""
    found = _tickets(ctx).store.find(department=department, status=status, limit=limit)
    if as_json:
        print_json([t.to_dict() for t in found])
        return
    print_table(
        "tickets",
        ["ticket", "status", "department", "event", "priority", "dups", "SLA due", "place"],
        [[t.ticket_id, t.status, t.department, t.event_type, t.priority, t.duplicates,
          t.sla_due.strftime("%Y-%m-%d %H:%M"), _place(t)] for t in found],
    )  # fmt: skip


def _print_ticket(ticket: Ticket) -> None:
    typer.echo(
        f"{ticket.ticket_id}  {ticket.status}  {ticket.department}  {ticket.event_type}  "
        f"priority {ticket.priority}, SLA due {ticket.sla_due.isoformat(timespec='minutes')}"
    )
    typer.echo(f"  {ticket.text}")
    place = _place(ticket)
    point = f" ({ticket.lat}, {ticket.lon})" if ticket.lat is not None else ""
    typer.echo(f"  at {place or 'no street given'}{point}; {ticket.duplicates} duplicate(s)")


def show(
    ctx: typer.Context,
    ticket_id: Annotated[str, typer.Argument(help="Ticket id, e.g. T-000123.")],
    as_json: JsonOption = False,
) -> None:
    """One ticket with its events."""
    ticket = _tickets(ctx).store.get(ticket_id)
    if as_json:
        print_json(ticket.to_dict(events=True))
        return
    _print_ticket(ticket)
    print_table(
        "events",
        ["at", "event", "from", "to", "by", "note"],
        [[e.at.isoformat(timespec="seconds"), e.kind, e.from_status, e.to_status, e.actor,
          e.note] for e in ticket.events],
    )  # fmt: skip


def update(
    ctx: typer.Context,
    ticket_id: Annotated[str, typer.Argument(help="Ticket id, e.g. T-000123.")],
    status: Annotated[str | None, typer.Option(help="The new status.")] = None,
    department: Annotated[
        str | None, typer.Option(help="Reassign a triage ticket to this department.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why; kept on the event.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a ticket to a new status and/or reassign a triage ticket to a department."""
    tickets = _tickets(ctx)
    before = tickets.store.get(ticket_id)
    after = tickets.update(ticket_id, _actor(), status=status, department=department, note=note)
    if as_json:
        print_json(tickets.store.get(after.ticket_id).to_dict(events=True))
        return
    typer.echo(
        f"{after.ticket_id}: {before.status} -> {after.status}"
        + (f", {before.department} -> {after.department}" if department else "")
    )


def _progress(outcome: Outcome) -> None:
    ticket = outcome.ticket
    if ticket is None:
        typer.echo(f"message {outcome.number}: rejected: {outcome.reason}", err=True)
        return
    verb = "merged into" if ticket.get("merged") else "opened"
    typer.echo(
        f"message {outcome.number}: {verb} {ticket.get('ticket_id')} "
        f"({ticket.get('department')}, {ticket.get('status')})",
        err=True,
    )


def listen(
    ctx: typer.Context,
    mqtt_url: Annotated[
        str, typer.Option("--mqtt", help="mqtt://HOST:PORT/TOPIC carrying JSON reports.")
    ],
    app: Annotated[
        str | None, typer.Option(help="App run on each report (default: tickets.app).")
    ] = None,
    max_messages: Annotated[int | None, typer.Option(help="Stop after N messages.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop after S seconds.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run every JSON report arriving over MQTT through the dispatch app, until stopped."""
    from strata.tickets.listen import ListenOptions, ListenReport
    from strata.tickets.listen import listen as run_listener

    st = state(ctx)
    name = app or st.settings.tickets.app
    options = ListenOptions(max_messages=max_messages, timeout_s=timeout)
    report = ListenReport()
    ready = (
        (lambda: typer.echo(f"listening on {mqtt_url} ({name})", err=True)) if not as_json else None
    )
    try:
        asyncio.run(
            run_listener(
                st.apps, mqtt_url, name, options, None if as_json else _progress, ready, report
            )
        )
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(
        f"{report.messages} message(s): {report.opened} opened, {report.merged} merged, "
        f"{report.rejected} rejected; tickets: {', '.join(report.tickets) or 'none'}"
    )


def register(app: typer.Typer) -> None:
    """Add `strata tickets`."""
    group = typer.Typer(
        help="City event tickets: list, show, update, listen.", no_args_is_help=True
    )
    for name, command in (("ls", ls), ("show", show), ("update", update), ("listen", listen)):
        group.command(name)(command)
    app.add_typer(group, name="tickets")
