"""The government pack end to end on a reduced install (quick profile, tiny encoder): the install,
personal details masked in tickets, duplicates merged, triage, department-scoped HTTP access, the
status machine and the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from fixtures.cli import (
    invoke_cli,
    one_thread,  # noqa: F401 (autouse: one torch thread for this module)
    run_cli,
)
from strata.core.audit import AuditRow
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.packs.government import ROOT
from strata.serve.app import create_app
from strata.serve.auth import KeyStore, Limits

QUICK = ["--profile", "quick", "--encoder", "l0/tiny-encoder"]
# The tiny encoder's scores are all far below the routing table's threshold, so the pack's own app
# sends every report to triage (which never merges). Two copies of its spec pin the routing instead:
# `confident` routes every report to its best department, `strict` (an edited routing table with
# the triage threshold at 1.0) sends every report to triage.
CONFIDENT, STRICT = "city-dispatch-confident", "city-dispatch-strict"
PHONE, EMAIL, NAME = "07700 900123", "amara.okafor@example.com", "Amara Okafor"
PII_REPORT = {
    "text": f"Caller {NAME} ({PHONE}, {EMAIL}) reports a large oak has come down across "
    "Ferry Street, cars cannot get past.",
    "street": "Ferry Street", "district": "Old Quay", "lat": 47.2512, "lon": -8.5231,
    "reported_at": "2026-06-02T10:00:00+00:00", "channel": "hotline",
}  # fmt: skip
SAME_TEXT = "Pothole on Harbour Lane, a deep hole in the carriageway by the bus stop."


def _dispatch(home: Path, app: str, report: dict[str, Any]) -> dict[str, Any]:
    """`strata apps run APP --input REPORT --json`: the app's output."""
    run = run_cli(home, "apps", "run", app, "--input", json.dumps(report), "--json")
    assert run["status"] == "succeeded", run["error"]
    output: dict[str, Any] = run["output"]
    return output


def _report(day: int, minutes: int = 0, north_m: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A report on its own June day (so tests never merge into each other's tickets)."""
    hour, minute = divmod(9 * 60 + minutes, 60)
    return {
        "text": SAME_TEXT, "street": "Harbour Lane", "district": "Old Quay",
        "lat": 47.2500 + north_m / 111_195, "lon": -8.5200,
        "reported_at": f"2026-06-{day:02d}T{hour:02d}:{minute:02d}:00+00:00", "channel": "app",
        **fields,
    }  # fmt: skip


def _variant(home: Path, name: str, route: dict[str, Any]) -> None:
    """Publish a copy of the pack's app whose routing step takes extra `with:` values."""
    spec = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    spec["name"] = name
    spec.pop("eval")  # published without an alias: no gate to pass
    next(s for s in spec["steps"] if s["id"] == "route")["with"].update(route)
    path = home.parent / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    run_cli(home, "apps", "publish", str(path), "--alias", "")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, _tiny_models: dict[str, Path]) -> Path:
    """A home with the reduced government pack installed once, plus the two routing variants."""
    home = tmp_path_factory.mktemp("government") / "home"
    run_cli(home, "models", "add", str(_tiny_models["encoder"]), "--kind", "encoder")
    first = run_cli(home, "packs", "install", "government", *QUICK, "--json")
    assert first["changed"]
    (home / "first.json").write_text(json.dumps(first))
    table = yaml.safe_load((ROOT / "taxonomy.yaml").read_text(encoding="utf-8"))
    table["triage"]["threshold"] = 1.0
    strict_table = home.parent / "taxonomy-strict.yaml"
    strict_table.write_text(yaml.safe_dump(table), encoding="utf-8")
    _variant(home, CONFIDENT, {"threshold": 0.0})
    _variant(home, STRICT, {"taxonomy": str(strict_table)})
    return home


@contextmanager
def _gateway(home: Path, keys: dict[str, str], **settings: Any) -> Iterator[tuple[TestClient, Any]]:
    """The real gateway app over the installed home, with a key per tenant (`admin` scope for
    the tenant `ops`); yields the client and each tenant's headers."""
    config = load_settings(home=home, serve={"flush_interval_s": 0.05}, **settings)
    catalog = Catalog(config.catalog_url)
    store = KeyStore(catalog)
    headers = {
        tenant: {"Authorization": f"Bearer {store.create(tenant, (scope,), Limits())[0]}"}
        for tenant, scope in keys.items()
    }
    try:
        with TestClient(create_app(config, catalog=catalog)) as client:
            yield client, headers
    finally:
        catalog.dispose()


def test_install_builds_every_part(installed: Path) -> None:
    report = json.loads((installed / "first.json").read_text())
    built = {(s["step"], s["target"].split("@")[0]) for s in report["steps"]}
    assert {
        ("ingest", "city-reports"),
        ("ingest", "city-reports-train"),
        ("ingest", "city-rules"),
        ("adapt", "l1/government"),
        ("tune", "l2/city-events"),
        ("kb", "city-rules"),
        ("app", "event-dispatch"),
    } <= built
    ingest = {s["target"].split("@")[0]: s for s in report["steps"] if s["step"] == "ingest"}
    assert ingest["city-reports"]["rows"] == 12 * 10  # quick: 10 reports of each event type
    assert ingest["city-reports-train"]["rows"] == 12 * 8  # 20% of each type held out
    assert ingest["city-rules"]["rows"] == 13
    evaluation = report["evaluation"]
    assert evaluation["intent"]["split"] == {
        "train": 96, "validation": 24, "seed": 0, "val_fraction": 0.2, "shots": None
    }  # fmt: skip
    heldout = evaluation["heldout"]
    assert heldout["cases"] == 240 and 0.0 <= heldout["department_accuracy"] <= 1.0
    assert 0.0 <= heldout["triage_rate"] <= 1.0
    assert evaluation["citations"]["cases"] == 22
    assert Path(report["eval_report"]).is_file()


def test_a_second_install_changes_nothing(installed: Path) -> None:
    eval_file = installed / "packs" / "government" / "eval.json"
    before = eval_file.stat().st_mtime_ns
    again = run_cli(installed, "packs", "install", "government", *QUICK, "--json")
    assert not again["changed"], [s for s in again["steps"] if s["created"]]
    assert eval_file.stat().st_mtime_ns == before


def _assert_masked(ticket: dict[str, Any]) -> None:
    """Neither the ticket nor any event of it holds the phone number, e-mail or name."""
    stored = json.dumps(ticket)
    assert "[PHONE]" in ticket["text"] and "[EMAIL]" in ticket["text"]
    for secret in (PHONE, PHONE.replace(" ", ""), "900123", EMAIL, "Okafor"):
        assert secret not in stored


def test_the_published_app_masks_personal_details_in_the_ticket(installed: Path) -> None:
    output = _dispatch(installed, "event-dispatch", PII_REPORT)
    assert output["ticket_id"] and "900123" not in output["request"]
    shown = run_cli(installed, "tickets", "show", output["ticket_id"], "--json")
    assert [e["kind"] for e in shown["events"]] == ["created"]
    _assert_masked(shown)


def test_a_report_over_http_is_masked_too(installed: Path) -> None:
    report = {**PII_REPORT, "reported_at": "2026-06-03T10:00:00+00:00"}
    with _gateway(installed, {"hotline": "inference", "ops": "admin"}) as (client, keys):
        answer = client.post("/v1/tickets", json=report, headers=keys["hotline"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["app"] == "event-dispatch"
        ticket_id = answer.json()["ticket_id"]
        shown = client.get(f"/v1/tickets/{ticket_id}", headers=keys["ops"])
    assert shown.status_code == 200, shown.text
    _assert_masked(shown.json())


def test_duplicates_merge_and_a_far_report_opens_another(installed: Path) -> None:
    first = _dispatch(installed, CONFIDENT, _report(10))
    assert (first["triage"], first["merged"], first["duplicates"]) == (False, False, 0)
    # Same event: 60 m away, 30 minutes later (the same words, so the tiny model's label agrees).
    again = _dispatch(installed, CONFIDENT, _report(10, minutes=30, north_m=60))
    assert (again["ticket_id"], again["merged"], again["duplicates"]) == (
        first["ticket_id"], True, 1
    )  # fmt: skip
    far = _dispatch(installed, CONFIDENT, _report(10, minutes=10, north_m=2_000))
    assert far["ticket_id"] != first["ticket_id"] and not far["merged"]
    shown = run_cli(installed, "tickets", "show", first["ticket_id"], "--json")
    assert shown["duplicates"] == 1
    assert [e["kind"] for e in shown["events"]] == ["created", "merged"]


def test_an_unsure_report_goes_to_triage(installed: Path) -> None:
    output = _dispatch(installed, STRICT, _report(12, text="zxqv blorp wibble fnord"))
    assert (output["triage"], output["department"]) == (True, "triage")
    assert any(r.startswith("triage: score") for r in output["priority_reasons"])
    assert output["sla_hours"] <= 2.0  # the triage queue's SLA
    shown = run_cli(installed, "tickets", "show", output["ticket_id"], "--json")
    assert shown["department"] == "triage" and shown["status"] == "open"
    # Triage reports never merge, even with an identical neighbour.
    twin = _dispatch(installed, STRICT, _report(12, minutes=5, text="zxqv blorp wibble fnord"))
    assert twin["ticket_id"] != output["ticket_id"] and not twin["merged"]


def test_a_department_sees_only_its_tickets(installed: Path) -> None:
    routed = _dispatch(installed, CONFIDENT, _report(14))
    triaged = _dispatch(installed, STRICT, _report(14, north_m=5_000))
    mine, other = routed["ticket_id"], triaged["ticket_id"]
    department = routed["department"]
    keys = {department: "inference", "triage": "inference", "ops": "admin"}
    with _gateway(installed, keys) as (client, headers):
        listed = client.get("/v1/tickets", headers=headers[department]).json()
        assert mine in [t["ticket_id"] for t in listed["data"]]
        assert {t["department"] for t in listed["data"]} == {department}
        assert listed["total"] == len(listed["data"])
        hidden = client.get(f"/v1/tickets/{other}", headers=headers[department])
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "ticket_not_found"
        move = {"status": "dispatched"}
        moved = client.post(f"/v1/tickets/{other}/status", json=move, headers=headers[department])
        assert moved.status_code == 404
        assert client.get(f"/v1/tickets/{mine}", headers=headers["triage"]).status_code == 404
        assert client.get(f"/v1/tickets/{other}", headers=headers["triage"]).status_code == 200
        everything = client.get("/v1/tickets?limit=500", headers=headers["ops"]).json()
    assert {mine, other} <= {t["ticket_id"] for t in everything["data"]}


def _audited(home: Path, ticket_id: str) -> list[tuple[str, str | None, str | None]]:
    """(event, from, to) of each audit record of one ticket, in chain order."""
    catalog = Catalog(load_settings(home=home).catalog_url)
    try:
        with catalog.session() as session:
            rows = session.scalars(
                select(AuditRow)
                .where(AuditRow.path.like(f"/tickets/{ticket_id}/%"))
                .order_by(AuditRow.seq)
            ).all()
            details = [row.verdicts[0] for row in rows]
    finally:
        catalog.dispose()
    return [(d["event"], d["from"], d["to"]) for d in details]


def test_status_changes_are_checked_and_audited(installed: Path) -> None:
    ticket_id = _dispatch(installed, CONFIDENT, _report(16))["ticket_id"]
    for before, after in (("open", "dispatched"), ("dispatched", "in_progress"),
                          ("in_progress", "resolved")):  # fmt: skip
        moved = run_cli(installed, "tickets", "update", ticket_id, "--status", after)
        assert moved.strip() == f"{ticket_id}: {before} -> {after}"
    refused = invoke_cli(installed, "tickets", "update", ticket_id, "--status", "in_progress")
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.startswith(f"error: Ticket {ticket_id} is resolved; it cannot move to")
    assert "Allowed from resolved: none (it is closed)." in refused.stderr
    assert f"hint: See its history: strata tickets show {ticket_id}" in refused.stderr
    shown = run_cli(installed, "tickets", "show", ticket_id, "--json")
    assert shown["status"] == "resolved"
    assert [(e["kind"], e["from"], e["to"]) for e in shown["events"]] == [
        ("created", None, "open"),
        ("status", "open", "dispatched"),
        ("status", "dispatched", "in_progress"),
        ("status", "in_progress", "resolved"),
    ]
    assert _audited(installed, ticket_id) == [
        (e["kind"], e["from"], e["to"]) for e in shown["events"]
    ]
    verified = run_cli(installed, "audit", "verify", "--json")
    assert verified["ok"] and verified["records"] >= 4
