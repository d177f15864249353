"""`strata tickets listen` against a real Mosquitto on 127.0.0.1:1883: each JSON report runs
through the dispatch app (one ticket or merge each); bad messages are reported, not fatal."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from strata.apps import Apps, open_apps
from strata.cli.main import build_app
from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.models.runtime import ModelRuntime, open_store
from strata.tickets import TicketStore
from strata.tickets.listen import ListenOptions, ListenReport, listen

HOST, PORT = "127.0.0.1", 1883
REPORT = {"text": "Pothole by the harbour gate", "street": "Harbour Road", "district": "Docks",
          "lat": 60.1601, "lon": 24.9555, "reported_at": "2026-12-05T07:00:00Z"}  # fmt: skip


def _reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def broker() -> str:
    """Mosquitto on 127.0.0.1:1883, started if installed; else the test is skipped."""
    if not _reachable() and shutil.which("mosquitto"):
        subprocess.run(["mosquitto", "-d", "-p", str(PORT)], capture_output=True, check=False)
        for _ in range(50):
            if _reachable():
                break
            time.sleep(0.1)
    if not _reachable():
        pytest.skip(f"no MQTT broker on {HOST}:{PORT} and mosquitto could not be started")
    return f"{HOST}:{PORT}"


def _publish(messages: list[tuple[str, bytes]], *, retain: bool = False) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(HOST, PORT)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def _dispatch_app() -> dict[str, Any]:
    optional = {"type": "string", "required": False}
    return {
        "name": "event-dispatch",
        "input": {"text": {"type": "string"}, "street": optional, "district": optional,
                  "lat": {"type": "number", "required": False},
                  "lon": {"type": "number", "required": False}, "reported_at": optional},
        "steps": [{"id": "ticket", "uses": "ticket", "with": {
            "text": "${input.text}", "event_type": "pothole", "department": "roads",
            "priority": "high", "sla_hours": 24, "street": "${input.street}",
            "district": "${input.district}", "lat": "${input.lat}", "lon": "${input.lon}",
            "reported_at": "${input.reported_at}", "channel": "mqtt"}}],
        "outputs": {"ticket_id": "${steps.ticket.ticket_id}"},
    }  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Settings, Catalog, Apps]]:
    """A home with the dispatch app published."""
    settings = load_settings(Path("/nonexistent.yaml"), home=tmp_path / "home")
    catalog = Catalog(settings.catalog_url)
    apps = open_apps(settings, catalog, ModelRuntime(open_store(catalog), settings.models))
    asyncio.run(apps.publish(_dispatch_app(), alias=None))
    yield settings, catalog, apps
    catalog.dispose()


def test_listen_opens_merges_and_reports_bad_messages(
    broker: str, home: tuple[Settings, Catalog, Apps], tmp_path: Path
) -> None:
    _, catalog, apps = home
    topic = f"strata-test/{tmp_path.name}/reports"
    ready, report = threading.Event(), ListenReport()
    options = ListenOptions(max_messages=4, timeout_s=60)

    def consume() -> None:
        url = f"mqtt://{broker}/{topic}"
        asyncio.run(listen(apps, url, "event-dispatch", options, None, ready.set, report))

    thread = threading.Thread(target=consume)
    thread.start()
    assert ready.wait(timeout=30)
    duplicate = {**REPORT, "text": "Another hole by the gate", "lat": 60.1603}
    _publish([
        (topic, json.dumps(REPORT).encode()),
        (topic, json.dumps(duplicate).encode()),
        (topic, b"{not json"),
        (topic, json.dumps({**REPORT, "colour": "red"}).encode()),
    ])  # fmt: skip
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert (report.messages, report.opened, report.merged, report.rejected) == (4, 1, 1, 2)
    reasons = " | ".join(r["reason"] for r in report.rejections)
    assert "not JSON" in reasons and "unknown field(s): colour" in reasons
    assert report.tickets == ["T-000001"]
    ticket = TicketStore(catalog).get("T-000001")
    assert ticket.duplicates == 1 and ticket.channel == "mqtt"


def test_the_cli_listens_and_prints_a_summary(
    broker: str,
    home: tuple[Settings, Catalog, Apps],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, catalog, _ = home
    monkeypatch.setenv("STRATA_HOME", str(settings.home))
    base = f"strata-test/{tmp_path.name}/cli"
    retained = [(f"{base}/a", json.dumps(REPORT).encode()), (f"{base}/b", b"[1, 2]")]
    _publish(retained, retain=True)  # delivered on subscribe, so no race with the listener
    try:
        result = CliRunner().invoke(
            build_app(),
            ["tickets", "listen", "--mqtt", f"mqtt://{broker}/{base}/#", "--app",
             "event-dispatch", "--max-messages", "2", "--timeout", "60", "--json"],
        )  # fmt: skip
    finally:
        _publish([(topic, b"") for topic, _ in retained], retain=True)  # clear them
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["messages"], summary["opened"], summary["rejected"]) == (2, 1, 1)
    assert "expected a JSON object, got list" in summary["rejections"][0]["reason"]
    assert TicketStore(catalog).count() == 1


def test_an_unknown_app_fails_before_subscribing(
    home: tuple[Settings, Catalog, Apps], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _, _ = home
    monkeypatch.setenv("STRATA_HOME", str(settings.home))
    result = CliRunner().invoke(
        build_app(), ["tickets", "listen", "--mqtt", "mqtt://127.0.0.1:1/x", "--app", "nope"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith('error: App "nope" not found') and "hint:" in result.stderr
