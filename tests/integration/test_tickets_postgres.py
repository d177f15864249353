"""Tickets on a real PostgreSQL catalog: merging, transitions and the audit chain; reports of one
event arriving at once make one ticket."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from fixtures.services import postgres_database
from strata.core.catalog import Catalog
from strata.serve.audit import AuditLog
from strata.tickets import Actor, InvalidTransition, Report, TicketStore

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def pg_catalog() -> Iterator[Catalog]:
    with postgres_database("strata_tickets") as url:
        catalog = Catalog(url)
        yield catalog
        catalog.dispose()


def _report(number: int) -> Report:
    return Report(
        text=f"Water leak in the street, report {number}", event_type="water_leak",
        department="water", priority="high" if number == 3 else "normal", sla_hours=12,
        reported_at=T0 + timedelta(minutes=number), district="North", street="Elm Street",
        lat=60.2 + number * 1e-5, lon=24.9,
    )  # fmt: skip


def test_tickets_on_postgres(pg_catalog: Catalog) -> None:
    store = TicketStore(pg_catalog)
    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(lambda n: store.open(_report(n), Actor("water", "k1")), range(8)))
    assert sum(o.created for o in opened) == 1 and sum(o.merged for o in opened) == 7
    ticket = store.get("T-000001")
    assert ticket.duplicates == 7 and ticket.priority == "high"
    assert ticket.sla_due == T0 + timedelta(hours=12)
    assert store.open(_report(5), Actor()).replayed
    store.update("T-000001", Actor("water", "k1"), status="dispatched", note="crew 2")
    with pytest.raises(InvalidTransition, match="is dispatched"):
        store.update("T-000001", Actor("water", "k1"), status="open")
    assert [e.kind for e in store.get("T-000001").events].count("merged") == 7
    result = AuditLog(pg_catalog).verify()
    assert result.ok and result.records == 9
