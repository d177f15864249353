"""`strata tickets ls|show|update` through Typer's runner, with --json and error output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from strata.cli.main import build_app
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.tickets import Actor, TicketStore

from .conftest import MakeReport


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_report: MakeReport) -> Any:
    """`run("tickets", "ls")` against a home holding a roads ticket and a triage ticket."""
    home = tmp_path / "home"
    monkeypatch.setenv("STRATA_HOME", str(home))
    catalog = Catalog(load_settings(home=home).catalog_url)
    store = TicketStore(catalog)
    store.open(make_report(), Actor())
    store.open(make_report(text="Odd noise", department="triage", event_type="noise"), Actor())
    catalog.dispose()
    app, runner = build_app(), CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "200"})

    return invoke


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_ls_and_show(run: Any) -> None:
    listed = _json(run("tickets", "ls", "--json"))
    assert [(t["ticket_id"], t["department"]) for t in listed] == [
        ("T-000002", "triage"), ("T-000001", "roads")
    ]  # fmt: skip
    roads = _json(run("tickets", "ls", "--department", "roads", "--status", "open", "--json"))
    assert [t["ticket_id"] for t in roads] == ["T-000001"]
    table = run("tickets", "ls")
    assert table.exit_code == 0 and "T-000001" in table.stdout and "Main Street" in table.stdout
    shown = _json(run("tickets", "show", "T-000001", "--json"))
    assert shown["events"][0]["kind"] == "created" and shown["status"] == "open"
    human = run("tickets", "show", "1")
    assert human.exit_code == 0 and "T-000001  open  roads  pothole" in human.stdout
    assert "created" in human.stdout


def test_update_moves_and_reassigns(run: Any) -> None:
    moved = _json(
        run("tickets", "update", "T-000001", "--status", "dispatched", "--note", "crew", "--json")
    )
    assert moved["status"] == "dispatched"
    last = moved["events"][-1]
    assert (last["to"], last["note"]) == ("dispatched", "crew") and last["actor"].startswith("cli/")
    reassigned = run("tickets", "update", "T-000002", "--department", "parks")
    assert reassigned.exit_code == 0
    assert reassigned.stdout.strip() == "T-000002: open -> open, triage -> parks"


def test_update_errors(run: Any) -> None:
    _error(
        run("tickets", "update", "T-000001", "--status", "resolved"),
        "T-000001 is open", "resolved", "dispatched, rejected",
    )  # fmt: skip
    _error(run("tickets", "update", "T-000009", "--status", "rejected"), "T-000009 not found")
    _error(run("tickets", "update", "T-000001", "--department", "parks"), "triage tickets")
    _error(run("tickets", "update", "T-000001"), "Nothing to change")
    _error(run("tickets", "ls", "--status", "closed"), "'closed' is not a ticket status")
    _error(run("tickets", "show", "X-1"), "'X-1' is not valid")
