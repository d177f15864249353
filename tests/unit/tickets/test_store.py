"""TicketStore: create, merge by distance, time and street, the status machine, events and audit
records in one transaction, and re-sent reports changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

import strata.tickets.store as store_module
from strata.core.catalog import Catalog
from strata.serve.audit import AuditLog
from strata.tickets import (
    Actor,
    InvalidTicketInput,
    InvalidTransition,
    MergeRule,
    TicketNotFound,
    TicketStore,
    haversine_m,
    parse_ticket_ref,
    priority_rank,
)

from .conftest import MAIN_ST, MakeReport, north

ROADS = Actor("roads", "k-roads")


def test_haversine_and_ids() -> None:
    assert haversine_m(*MAIN_ST, *north(250)) == pytest.approx(250, abs=1)
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)
    assert parse_ticket_ref("T-000123") == parse_ticket_ref("t123") == parse_ticket_ref("123")
    with pytest.raises(InvalidTicketInput, match="T-000123"):
        parse_ticket_ref("ticket-x")
    assert priority_rank("P1") == priority_rank("critical") > priority_rank("high")
    assert priority_rank("whenever") is None


def test_a_report_opens_a_ticket_with_its_sla(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    opened = ticket_store.open(make_report(sla_hours=24.0), ROADS)
    assert opened.created and not opened.merged
    ticket = opened.ticket
    assert ticket.ticket_id == "T-000001" and ticket.status == "open"
    assert ticket.sla_due == ticket.reported_at + timedelta(hours=24)
    assert (ticket.department, ticket.duplicates, ticket.channel) == ("roads", 0, "app")


def test_a_duplicate_inside_distance_and_window_merges_and_raises_priority(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    first = ticket_store.open(make_report(), ROADS).ticket
    merged = ticket_store.open(make_report(minutes=90, metres=200, priority="urgent"), ROADS)
    assert merged.merged and merged.ticket.ticket_id == first.ticket_id
    assert merged.ticket.duplicates == 1 and merged.ticket.priority == "urgent"
    lower = ticket_store.open(make_report(minutes=100, metres=10, priority="low"), ROADS)
    assert lower.merged and lower.ticket.priority == "urgent" and lower.ticket.duplicates == 2
    kinds = [e.kind for e in ticket_store.get(first.ticket_id).events]
    assert kinds == ["created", "merged", "merged"]


def test_a_stricter_sla_of_a_duplicate_wins(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    first = ticket_store.open(make_report(sla_hours=48.0), ROADS).ticket
    merged = ticket_store.open(make_report(minutes=60, sla_hours=4.0), ROADS).ticket
    assert merged.sla_due == first.reported_at + timedelta(hours=5)
    assert merged.sla_due == merged.reported_at + timedelta(hours=merged.sla_hours)


@pytest.mark.parametrize(
    ("minutes", "metres", "fields"),
    [
        (30, 300, {}),  # too far
        (121, 0, {}),  # too late
        (-121, 0, {}),  # too early (reports may arrive out of order)
        (30, 0, {"event_type": "streetlight_out"}),  # another event
        (30, 0, {"department": "parks"}),  # another department
    ],
)
def test_no_merge_outside_the_rule(
    ticket_store: TicketStore,
    make_report: MakeReport,
    minutes: float,
    metres: float,
    fields: dict[str, str],
) -> None:
    first = ticket_store.open(make_report(), ROADS).ticket
    other = ticket_store.open(make_report(minutes=minutes, metres=metres, **fields), ROADS)
    assert other.created and other.ticket.ticket_id != first.ticket_id


def test_the_window_counts_from_the_latest_report(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    ticket_store.open(make_report(), ROADS)
    assert ticket_store.open(make_report(minutes=100), ROADS).merged
    assert ticket_store.open(make_report(minutes=210), ROADS).merged  # 110 min after the last


def test_without_coordinates_only_the_same_street_and_district_merge(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    ticket_store.open(make_report(), ROADS)
    same = ticket_store.open(make_report(minutes=5, metres=None, street=" main street "), ROADS)
    assert same.merged
    elsewhere = ticket_store.open(make_report(minutes=5, metres=None, street="Dock Road"), ROADS)
    assert elsewhere.created
    nowhere = make_report(minutes=5, metres=None, street=None, district=None)
    assert ticket_store.open(nowhere, ROADS).created


def test_closed_and_triage_tickets_take_no_duplicates(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    first = ticket_store.open(make_report(), ROADS).ticket
    ticket_store.update(first.ticket_id, ROADS, status="rejected", note="not a pothole")
    assert ticket_store.open(make_report(minutes=5), ROADS).created
    unclear = {"department": "triage", "event_type": "other", "text": "Something odd here"}
    triage = ticket_store.open(make_report(minutes=10, **unclear), ROADS)
    again = ticket_store.open(make_report(minutes=11, **unclear), ROADS)
    assert triage.created and again.created
    assert again.ticket.ticket_id != triage.ticket.ticket_id


def test_a_resent_report_changes_nothing(
    ticket_store: TicketStore, make_report: MakeReport, catalog: Catalog
) -> None:
    report = make_report()
    first = ticket_store.open(report, ROADS)
    duplicate = ticket_store.open(make_report(minutes=10, key="report-2"), ROADS)
    records = AuditLog(catalog).verify().records
    again = ticket_store.open(make_report(), ROADS)  # same text, place and time
    by_id = ticket_store.open(make_report(minutes=11, key="report-2"), ROADS)  # same report id
    assert again.replayed and not again.created and again.ticket.ticket_id == "T-000001"
    assert by_id.replayed and by_id.merged and duplicate.merged
    assert ticket_store.get(first.ticket.ticket_id).duplicates == 1
    assert len(ticket_store.get("T-000001").events) == 2
    assert AuditLog(catalog).verify().records == records


def test_the_status_machine(ticket_store: TicketStore, make_report: MakeReport) -> None:
    ref = ticket_store.open(make_report(), ROADS).ticket.ticket_id
    with pytest.raises(InvalidTransition) as refused:
        ticket_store.update(ref, ROADS, status="resolved")
    message = refused.value.message
    assert "is open" in message and "resolved" in message and "dispatched, rejected" in message
    for status in ("dispatched", "in_progress", "resolved"):
        assert ticket_store.update(ref, ROADS, status=status).status == status
    with pytest.raises(InvalidTransition, match=r"none \(it is closed\)"):
        ticket_store.update(ref, ROADS, status="rejected")
    with pytest.raises(InvalidTicketInput, match="statuses: open, dispatched"):
        ticket_store.update(ref, ROADS, status="done")
    with pytest.raises(InvalidTicketInput, match="Nothing to change"):
        ticket_store.update(ref, ROADS)
    events = ticket_store.get(ref).events
    assert [(e.from_status, e.to_status) for e in events[1:]] == [
        ("open", "dispatched"),
        ("dispatched", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert {e.actor for e in events[1:]} == {"roads/k-roads"}


def test_triage_tickets_are_reassigned(ticket_store: TicketStore, make_report: MakeReport) -> None:
    triage = make_report(department="triage", suggested="parks", event_type="other")
    ref = ticket_store.open(triage, ROADS).ticket.ticket_id
    assert "suggested: parks" in (ticket_store.get(ref).events[0].note or "")
    clerk = Actor("triage", "k-clerk")
    moved = ticket_store.update(ref, clerk, department="roads", status="dispatched", note="call")
    assert (moved.department, moved.status) == ("roads", "dispatched")
    assigned, status = ticket_store.get(ref).events[1:]
    assert (assigned.kind, assigned.note) == ("assigned", "triage -> roads")
    assert (status.kind, status.note) == ("status", "call")
    with pytest.raises(InvalidTransition, match="only open or dispatched triage tickets"):
        ticket_store.update(ref, clerk, department="parks")
    with pytest.raises(InvalidTicketInput, match="triage"):
        ticket_store.update(ref, clerk, department="triage")


def test_other_departments_do_not_see_a_ticket(
    ticket_store: TicketStore, make_report: MakeReport
) -> None:
    ref = ticket_store.open(make_report(), ROADS).ticket.ticket_id
    assert ticket_store.get(ref, visible_to="roads").ticket_id == ref
    with pytest.raises(TicketNotFound):
        ticket_store.get(ref, visible_to="parks")
    with pytest.raises(TicketNotFound):
        ticket_store.update(ref, Actor("parks", "k"), status="rejected", visible_to="parks")
    with pytest.raises(TicketNotFound):
        ticket_store.get("T-000099")
    assert [t.ticket_id for t in ticket_store.find(department="roads", status="open")] == [ref]
    assert ticket_store.find(department="parks") == []
    assert ticket_store.count(status="open") == 1


def test_every_change_is_in_the_audit_chain(
    ticket_store: TicketStore, make_report: MakeReport, catalog: Catalog
) -> None:
    ref = ticket_store.open(make_report(), ROADS).ticket.ticket_id
    ticket_store.open(make_report(minutes=1), ROADS)
    ticket_store.update(ref, ROADS, status="dispatched")
    ticket_store.note_event(ref, "notify_failed", ROADS, "connection refused")
    log = AuditLog(catalog)
    assert log.verify().ok and log.verify().records == 4
    records = list(reversed(log.recent()))
    assert [r["path"] for r in records] == [
        f"/tickets/{ref}/created",
        f"/tickets/{ref}/merged",
        f"/tickets/{ref}/status",
        f"/tickets/{ref}/notify_failed",
    ]
    assert {(r["tenant"], r["key_id"], r["method"]) for r in records} == {
        ("roads", "k-roads", "TICKET")
    }
    assert records[2]["verdicts"][0]["to"] == "dispatched"
    assert records[3]["error_code"] == "notify_failed"


def test_a_failed_audit_write_leaves_no_ticket(
    ticket_store: TicketStore, make_report: MakeReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "append_entries", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ticket_store.open(make_report(), ROADS)
    assert ticket_store.count() == 0


def test_the_rule_comes_from_settings(catalog: Catalog, make_report: MakeReport) -> None:
    strict = TicketStore(catalog, MergeRule(50.0, timedelta(minutes=10)))
    strict.open(make_report(), ROADS)
    assert strict.open(make_report(minutes=5, metres=100), ROADS).created
    assert strict.open(make_report(minutes=5, metres=40), ROADS).merged
