"""The ticket routes in the real gateway app: reports run the dispatch app, a department's key
sees only its tickets (404 for others'), an admin key sees all, no key gets 401."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from strata.apps import open_apps
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.models.runtime import ModelRuntime, open_store
from strata.serve.app import create_app
from strata.serve.audit import AuditLog
from strata.serve.auth import KeyStore, Limits

from .conftest import dispatch_app

POTHOLE = {"text": "Pothole outside number 12", "street": "Main Street", "district": "Centre",
           "lat": 60.1699, "lon": 24.9384, "reported_at": "2026-12-05T08:00:00Z"}  # fmt: skip


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[TestClient, Catalog, dict[str, dict[str, str]]]]:
    """The gateway over a catalog with the dispatch app published and four keys."""
    settings = load_settings(home=tmp_path / "home", serve={"flush_interval_s": 0.05})
    catalog = Catalog(settings.catalog_url)
    apps = open_apps(settings, catalog, ModelRuntime(open_store(catalog), settings.models))
    asyncio.run(apps.publish(dispatch_app(), alias=None))
    keys = KeyStore(catalog)
    headers = {
        name: {"Authorization": f"Bearer {keys.create(name, scopes, Limits())[0]}"}
        for name, scopes in (
            ("roads", ("inference",)), ("parks", ("inference",)), ("triage", ("inference",)),
            ("ops", ("admin",)),
        )
    }  # fmt: skip
    with TestClient(create_app(settings, catalog=catalog)) as client:
        yield client, catalog, headers
    catalog.dispose()


def _submit(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/tickets", json={**POTHOLE, **fields}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_no_key_is_401(gateway: tuple[TestClient, Catalog, dict[str, dict[str, str]]]) -> None:
    client, _, _ = gateway
    for method, path in (("GET", "/v1/tickets"), ("GET", "/v1/tickets/T-000001"),
                         ("POST", "/v1/tickets")):  # fmt: skip
        response = client.request(method, path, json=POTHOLE)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"


def test_reports_become_tickets_and_departments_see_only_theirs(
    gateway: tuple[TestClient, Catalog, dict[str, dict[str, str]]],
) -> None:
    client, _, keys = gateway
    first = _submit(client, keys["parks"])  # anyone may report; the app routes it
    assert (first["ticket_id"], first["department"], first["merged"]) == (
        "T-000001",
        "roads",
        False,
    )
    again = _submit(client, keys["parks"], text="Huge pothole", reported_at="2026-12-05T08:20:00Z")
    assert (again["ticket_id"], again["merged"], again["duplicates"]) == ("T-000001", True, 1)
    graffiti = _submit(client, keys["roads"], text="Graffiti on the bench", event_type="graffiti")
    assert (graffiti["ticket_id"], graffiti["department"]) == ("T-000002", "parks")

    roads = client.get("/v1/tickets", headers=keys["roads"]).json()
    assert [t["ticket_id"] for t in roads["data"]] == ["T-000001"] and roads["total"] == 1
    assert client.get("/v1/tickets?department=parks", headers=keys["roads"]).json()["data"] == []
    hidden = client.get("/v1/tickets/T-000002", headers=keys["roads"])
    missing = client.get("/v1/tickets/T-000099", headers=keys["roads"])
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == "ticket_not_found"
    move = client.post(
        "/v1/tickets/T-000002/status", json={"status": "dispatched"}, headers=keys["roads"]
    )
    assert move.status_code == 404

    everything = client.get("/v1/tickets", headers=keys["ops"]).json()
    assert [t["ticket_id"] for t in everything["data"]] == ["T-000002", "T-000001"]
    page = client.get("/v1/tickets?limit=1&offset=1", headers=keys["ops"]).json()
    assert [t["ticket_id"] for t in page["data"]] == ["T-000001"] and page["total"] == 2
    parks = client.get("/v1/tickets?department=parks", headers=keys["ops"]).json()
    assert [t["ticket_id"] for t in parks["data"]] == ["T-000002"]
    detail = client.get("/v1/tickets/T-000001", headers=keys["ops"]).json()
    assert [e["kind"] for e in detail["events"]] == ["created", "merged"]
    assert detail["duplicates"] == 1 and detail["sla_due"].startswith("2026-12-06T08:00:00")


def test_status_changes_and_their_errors(
    gateway: tuple[TestClient, Catalog, dict[str, dict[str, str]]],
) -> None:
    client, catalog, keys = gateway
    _submit(client, keys["roads"])
    url = "/v1/tickets/T-000001/status"
    moved = client.post(url, json={"status": "dispatched", "note": "crew 4"}, headers=keys["roads"])
    assert moved.status_code == 200, moved.text
    last = moved.json()["events"][-1]
    assert (last["from"], last["to"], last["note"], last["actor"].split("/")[0]) == (
        "open", "dispatched", "crew 4", "roads"
    )  # fmt: skip
    refused = client.post(url, json={"status": "resolved"}, headers=keys["roads"])
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "is dispatched" in message and "in_progress, rejected" in message
    unknown = client.post(url, json={"status": "done"}, headers=keys["roads"])
    assert unknown.status_code == 400 and "statuses:" in unknown.json()["error"]["message"]
    assert client.get("/v1/tickets?status=done", headers=keys["ops"]).status_code == 400
    assert client.get("/v1/tickets?limit=0", headers=keys["ops"]).status_code == 400

    client.portal.call(client.app.state.services.flush)
    records = AuditLog(catalog).recent()
    ticket_record = next(r for r in records if r["path"] == "/tickets/T-000001/status")
    request_record = next(r for r in records if r["path"] == url and r["status"] == 200)
    assert ticket_record["request_id"] == request_record["request_id"]
    assert AuditLog(catalog).verify().ok


def test_triage_reassigns_to_a_department(
    gateway: tuple[TestClient, Catalog, dict[str, dict[str, str]]],
) -> None:
    client, _, keys = gateway
    odd = _submit(client, keys["roads"], text="Strange smell", event_type="smell")
    assert odd["department"] == "triage"
    assert client.get(f"/v1/tickets/{odd['ticket_id']}", headers=keys["roads"]).status_code == 404
    url = f"/v1/tickets/{odd['ticket_id']}/status"
    moved = client.post(url, json={"department": "roads"}, headers=keys["triage"])
    assert moved.status_code == 200 and moved.json()["department"] == "roads"
    assert client.get(f"/v1/tickets/{odd['ticket_id']}", headers=keys["roads"]).status_code == 200


def test_bad_reports_are_400_and_the_routes_are_documented(
    gateway: tuple[TestClient, Catalog, dict[str, dict[str, str]]],
) -> None:
    client, _, keys = gateway
    assert client.post("/v1/tickets", json={"text": ""}, headers=keys["roads"]).status_code == 400
    bad_time = client.post(
        "/v1/tickets", json={**POTHOLE, "reported_at": "soon"}, headers=keys["roads"]
    )
    assert bad_time.status_code == 400 and "with.reported_at" in bad_time.json()["error"]["message"]
    schema = client.get("/openapi.json", headers=keys["roads"]).json()
    assert {"/v1/tickets", "/v1/tickets/{ticket_id}", "/v1/tickets/{ticket_id}/status"} <= set(
        schema["paths"]
    )
    assert {"TicketDetail", "TicketList", "ReportOut", "StatusChange"} <= set(
        schema["components"]["schemas"]
    )
