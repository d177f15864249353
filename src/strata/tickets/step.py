"""The `ticket` app step: a routed, redacted report becomes a new ticket or merges into one.

`with: {text, event_type, department, score, top, triage, priority, sla_hours, webhook, district,
street, lat, lon, reported_at, channel, report_id?}` ->
`{ticket_id, status, merged, duplicates, department, sla_due}`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from strata.apps.errors import InvalidAppSpec
from strata.apps.steps.base import StepContext
from strata.core.settings import TicketsSettings
from strata.tickets.report import PRIORITY_NAMES, Report, priority_rank, report_key
from strata.tickets.service import Tickets
from strata.tickets.status import OPEN, TRIAGE
from strata.tickets.store import Opened
from strata.tickets.ticket import Actor


def _bad(ctx: StepContext, name: str, expected: str, value: Any, hint: str) -> InvalidAppSpec:
    return InvalidAppSpec(
        f'Step "{ctx.step_id}", field "with.{name}": expected {expected}, got {value!r}.',
        hint=hint,
    )


def _text(params: dict[str, Any], name: str, ctx: StepContext, size: int) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > size:
        raise _bad(ctx, name, f"text of at most {size} characters", value, f"Set `{name}:`.")
    return str(value).strip() or None


def _required(params: dict[str, Any], name: str, ctx: StepContext, size: int) -> str:
    value = _text(params, name, ctx, size)
    if value is None:
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.{name}": a value is required, '
            f"got {params.get(name)!r}.",
            hint=f"Set `{name}:` under the step's `with:` (a reference resolving to None or '' "
            "counts as missing).",
        )
    return value


def _number(
    params: dict[str, Any], name: str, ctx: StepContext, low: float, high: float
) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise _bad(ctx, name, f"a number from {low:g} to {high:g}", value, f"Fix `{name}:`.")
    return number


def _moment(params: dict[str, Any], ctx: StepContext) -> datetime | None:
    value = params.get("reported_at")
    if value is None or value == "" or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad(
            ctx, "reported_at", "an ISO 8601 time", value, "For example 2026-12-05T08:30:00Z."
        ) from None


def _priority(params: dict[str, Any], ctx: StepContext, default: str) -> str:
    value = params.get("priority")
    text = default if value is None or value == "" else str(value)
    if isinstance(value, bool) or priority_rank(text) is None:
        raise _bad(
            ctx, "priority", f"one of {', '.join(PRIORITY_NAMES)}", value,
            "Pass the routing step's priority.",
        )  # fmt: skip
    return text


def _top(params: dict[str, Any], ctx: StepContext) -> Any:
    value = params.get("top")
    if value is not None and not isinstance(value, list | dict):
        raise _bad(ctx, "top", "a list of labels with scores", value, "Pass the classifier's top.")
    return value


def _department(params: dict[str, Any], ctx: StepContext) -> tuple[str, str | None]:
    """(department, suggested): a triage report keeps the department routing suggested."""
    department = _text(params, "department", ctx, 100)
    triage = params.get("triage")
    if triage is not None and not isinstance(triage, bool):
        raise _bad(ctx, "triage", "true or false", triage, "Pass the routing step's triage flag.")
    if triage or department == TRIAGE:
        return TRIAGE, department if department != TRIAGE else None
    return _required(params, "department", ctx, 100), None


def _key(
    params: dict[str, Any],
    ctx: StepContext,
    text: str,
    place: dict[str, Any],
    reported_at: datetime | None,
) -> str:
    report_id = _text(params, "report_id", ctx, 200)
    if report_id is not None:
        return hashlib.sha256(f"id:{report_id}".encode()).hexdigest()
    if reported_at is not None:
        return report_key(text, tuple(place.values()), reported_at)
    # No id and no time: only a retry of this very step counts as the same report.
    return hashlib.sha256(f"run:{ctx.run_id}:{ctx.step_id}".encode()).hexdigest()


def parse_report(params: dict[str, Any], ctx: StepContext, settings: TicketsSettings) -> Report:
    """The step's `with:` values as a Report; raises InvalidAppSpec naming the field."""
    text = _required(params, "text", ctx, 100_000)
    event_type = _required(params, "event_type", ctx, 100)
    department, suggested = _department(params, ctx)
    reported_at = _moment(params, ctx)
    place: dict[str, Any] = {
        "district": _text(params, "district", ctx, 200),
        "street": _text(params, "street", ctx, 200),
        "lat": _number(params, "lat", ctx, -90, 90),
        "lon": _number(params, "lon", ctx, -180, 180),
    }
    return Report(
        text=text, event_type=event_type, department=department, suggested=suggested,
        priority=_priority(params, ctx, settings.default_priority),
        sla_hours=_number(params, "sla_hours", ctx, 1e-3, 1e6) or settings.default_sla_hours,
        reported_at=reported_at or datetime.now(UTC), **place,
        channel=_text(params, "channel", ctx, 50) or "", score=_number(params, "score", ctx, 0, 1),
        top=_top(params, ctx), run_id=ctx.run_id[:32],
        key=_key(params, ctx, text, place, reported_at),
    )  # fmt: skip


def _output(opened: Opened) -> dict[str, Any]:
    ticket = opened.ticket
    return {
        "ticket_id": ticket.ticket_id, "status": ticket.status, "merged": opened.merged,
        "duplicates": ticket.duplicates, "department": ticket.department,
        "sla_due": ticket.sla_due.isoformat(),
    }  # fmt: skip


async def ticket(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Open a ticket for the report or merge it into the open one it duplicates.

    A new ticket is POSTed to `webhook` (else `tickets.webhooks[department]`) through the egress
    guard: `dispatched` when it answers 2xx, else `open` with a `notify_failed` event. In eval
    runs (`dry_run`) nothing is written and `ticket_id` is None.
    """
    settings = ctx.services.tickets
    report = parse_report(params, ctx, settings)
    webhook = _text(params, "webhook", ctx, 2000)
    if ctx.services.dry_run:
        return {
            "ticket_id": None, "status": OPEN, "merged": False, "duplicates": 0,
            "department": report.department, "sla_due": report.sla_due.isoformat(),
        }  # fmt: skip
    tickets = Tickets(ctx.need_catalog(), settings, ctx.services.security)
    actor = Actor(tenant=ctx.tenant, key_id="app", request_id=ctx.run_id)
    opened = await ctx.in_thread(tickets.submit, report, actor, webhook)
    return _output(opened)
