"""The `ticket` step on a real catalog: a new ticket is POSTed to a loopback webhook (allow-listed)
and dispatched; merges are not notified; a failing webhook keeps the ticket open; bad params
name the step and the field; eval runs open nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from strata.apps import InvalidAppSpec, open_apps
from strata.apps.steps.base import Services, StepContext
from strata.core.catalog import Catalog
from strata.core.settings import SecuritySettings, Settings, TicketsSettings
from strata.models.runtime import ModelRuntime
from strata.tickets import TicketStore
from strata.tickets.step import ticket

from .conftest import LOOPBACK, Hook, dispatch_app, north

REPORT: dict[str, Any] = {
    "text": "Deep pothole on Main Street near the school",
    "event_type": "pothole", "department": "roads", "score": 0.91,
    "top": [{"label": "pothole", "score": 0.91}], "triage": False, "priority": "high",
    "sla_hours": 24, "district": "Centre", "street": "Main Street", "lat": north(0)[0],
    "lon": north(0)[1], "reported_at": "2026-12-05T08:00:00Z", "channel": "app",
}  # fmt: skip


def _ctx(
    catalog: Catalog | None,
    security: SecuritySettings = LOOPBACK,
    *,
    dry_run: bool = False,
    **tickets: Any,
) -> StepContext:
    services = Services(
        security=security, catalog=catalog, tickets=TicketsSettings(**tickets), dry_run=dry_run
    )
    return StepContext("run0123456789abcdef", "ticket", services, tenant="city")


def _run(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    return asyncio.run(ticket(params, ctx))


def test_a_new_ticket_is_posted_to_the_webhook_and_dispatched(catalog: Catalog, hook: Hook) -> None:
    out = _run({**REPORT, "webhook": hook.url}, _ctx(catalog))
    assert out == {
        "ticket_id": "T-000001", "status": "dispatched", "merged": False, "duplicates": 0,
        "department": "roads", "sla_due": "2026-12-06T08:00:00+00:00",
    }  # fmt: skip
    [posted] = hook.received
    assert posted["path"] == "/roads" and posted["json"]["event"] == "ticket.created"
    body = posted["json"]["ticket"]
    assert (body["ticket_id"], body["status"], body["text"]) == ("T-000001", "open", REPORT["text"])
    assert body["top"] == REPORT["top"] and body["run_id"] == "run0123456789abcdef"
    events = TicketStore(catalog).get("T-000001").events
    assert [e.kind for e in events] == ["created", "status"]
    assert "answered HTTP 200" in (events[1].note or "")

    merged = _run(
        {**REPORT, "text": "Same hole", "reported_at": "2026-12-05T09:00:00Z"}, _ctx(catalog)
    )
    assert (merged["merged"], merged["duplicates"], merged["status"]) == (True, 1, "dispatched")
    assert len(hook.received) == 1  # merges are not notified


def test_the_departments_webhook_comes_from_settings(catalog: Catalog, hook: Hook) -> None:
    out = _run(REPORT, _ctx(catalog, webhooks={"roads": hook.url}))
    assert out["status"] == "dispatched" and len(hook.received) == 1
    bench = {**REPORT, "text": "Broken bench", "department": "parks"}
    parks = _run(bench, _ctx(catalog, webhooks={"roads": hook.url}))
    assert (parks["ticket_id"], parks["status"]) == ("T-000002", "open")
    assert len(hook.received) == 1


def test_a_failing_webhook_keeps_the_ticket_open(catalog: Catalog, hook: Hook) -> None:
    hook.status = 503
    out = _run({**REPORT, "webhook": hook.url}, _ctx(catalog))
    assert (out["ticket_id"], out["status"]) == ("T-000001", "open")
    failed = TicketStore(catalog).get("T-000001").events[-1]
    assert failed.kind == "notify_failed" and "HTTP 503" in (failed.note or "")


def test_a_webhook_the_egress_guard_refuses_keeps_the_ticket(catalog: Catalog, hook: Hook) -> None:
    out = _run({**REPORT, "webhook": hook.url}, _ctx(catalog, SecuritySettings()))
    assert out["status"] == "open" and hook.received == []
    failed = TicketStore(catalog).get(out["ticket_id"]).events[-1]
    assert failed.kind == "notify_failed" and "refused" in (failed.note or "")


def test_triage_reports_go_to_triage(catalog: Catalog) -> None:
    out = _run({**REPORT, "triage": True, "department": "parks"}, _ctx(catalog))
    assert (out["department"], out["status"]) == ("triage", "open")
    created = TicketStore(catalog).get(out["ticket_id"]).events[0]
    assert "suggested: parks" in (created.note or "")


def test_defaults_and_missing_coordinates(catalog: Catalog) -> None:
    params = {"text": "Broken bench", "event_type": "bench", "department": "parks", "lat": None}
    out = _run(params, _ctx(catalog, default_sla_hours=10))
    ticket_view = TicketStore(catalog).get(out["ticket_id"])
    assert ticket_view.priority == "normal" and ticket_view.sla_hours == 10
    assert ticket_view.lat is None and ticket_view.street is None
    assert _run(params, _ctx(catalog))["ticket_id"] == out["ticket_id"]  # same run: a retry


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": None}, "with.text"),
        ({"text": "  "}, "with.text"),
        ({"event_type": ""}, "with.event_type"),
        ({"department": None}, "with.department"),
        ({"lat": 123.0}, "with.lat"),
        ({"lon": "east"}, "with.lon"),
        ({"priority": "whenever"}, "with.priority"),
        ({"sla_hours": -1}, "with.sla_hours"),
        ({"reported_at": "yesterday"}, "with.reported_at"),
        ({"triage": "maybe"}, "with.triage"),
        ({"top": "pothole"}, "with.top"),
        ({"score": 2}, "with.score"),
    ],
)
def test_bad_params_name_the_step_and_field(
    catalog: Catalog, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidAppSpec, match=f'Step "ticket", field "{field}"'):
        _run({**REPORT, **change}, _ctx(catalog))
    assert TicketStore(catalog).count() == 0


def test_no_catalog_and_dry_runs(catalog: Catalog) -> None:
    with pytest.raises(InvalidAppSpec, match="needs the catalog"):
        _run(REPORT, _ctx(None))
    out = _run(REPORT, _ctx(catalog, dry_run=True))
    assert out["ticket_id"] is None and out["department"] == "roads"
    assert TicketStore(catalog).count() == 0


def test_through_the_app_runner(
    settings: Settings, catalog: Catalog, runtime: ModelRuntime
) -> None:
    spec = dispatch_app()
    spec["eval"] = {"cases": [{"input": {"text": "hole"}, "expect": {"department": "roads"}}]}
    apps = open_apps(settings, catalog, runtime)
    published = asyncio.run(apps.publish(spec))
    assert published.app.evaluation is not None and published.app.evaluation["passed"] == 1
    assert TicketStore(catalog).count() == 0  # the eval case opened no ticket
    report = {"text": "Hole in the road", "street": "Main Street", "district": "Centre",
              "report_id": "r-1"}  # fmt: skip
    first = asyncio.run(apps.run("event-dispatch", report))
    again = asyncio.run(apps.run("event-dispatch", report))
    graffiti = {**report, "event_type": "graffiti", "report_id": "r-2"}
    graffiti_run = asyncio.run(apps.run("event-dispatch", graffiti))
    assert (
        first.output
        == again.output
        == {"ticket_id": "T-000001", "merged": False, "department": "roads"}
    )
    assert graffiti_run.output == {"ticket_id": "T-000002", "merged": False, "department": "parks"}
    assert TicketStore(catalog).get("T-000001").run_id == first.run_id


def test_a_reassigned_triage_ticket_is_notified(catalog: Catalog, hook: Hook) -> None:
    from strata.tickets import Actor, Tickets

    tickets = Tickets(catalog, TicketsSettings(webhooks={"roads": hook.url}), LOOPBACK)
    out = _run({**REPORT, "triage": True}, _ctx(catalog, webhooks={"roads": hook.url}))
    assert out["status"] == "open" and hook.received == []  # no webhook for triage
    moved = tickets.update(out["ticket_id"], Actor("triage", "k"), department="roads")
    assert (moved.department, moved.status) == ("roads", "dispatched")
    assert hook.received[0]["json"]["ticket"]["department"] == "roads"
