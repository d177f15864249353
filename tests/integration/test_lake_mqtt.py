"""MQTT telemetry against a real Mosquitto on 127.0.0.1:1883: 10,000 records in 100 messages
arrive exactly once."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.lake import ColumnSpec, ColumnType, DataSpec, Lake
from strata.lake.connectors.mqtt import SubscribeOptions, SubscribeReport, subscribe_mqtt

HOST, PORT = "127.0.0.1", 1883


def _reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


def _start_broker() -> str | None:
    """Start Mosquitto if needed; returns why it could not, or None when it runs."""
    if _reachable():
        return None
    if shutil.which("mosquitto") is None:
        subprocess.run(["apt-get", "install", "-y", "mosquitto"], capture_output=True, check=False)
    if shutil.which("mosquitto") is None:
        return "mosquitto is not installed and `apt-get install -y mosquitto` failed"
    subprocess.run(["mosquitto", "-d", "-p", str(PORT)], capture_output=True, check=False)
    for _ in range(50):
        if _reachable():
            return None
        time.sleep(0.1)
    return f"mosquitto did not start listening on {HOST}:{PORT}"


@pytest.fixture(scope="module")
def broker() -> str:
    reason = _start_broker()
    if reason:
        pytest.skip(reason)
    return f"{HOST}:{PORT}"


def _publish(topic: str, messages: list[bytes]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(HOST, PORT)
    client.loop_start()
    for payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def test_10000_records_in_100_messages_arrive_exactly_once(broker: str, tmp_path: Path) -> None:
    settings = load_settings(Path("/nonexistent.yaml"), home=tmp_path)
    lake = Lake(Catalog(settings.catalog_url), settings.lake, settings.home)
    topic = f"strata-test/{tmp_path.name}/pumps"
    spec = DataSpec(
        columns={
            "machine_id": ColumnSpec(required=True),
            "seq": ColumnSpec(type=ColumnType.INTEGER, required=True),
            "pressure": ColumnSpec(type=ColumnType.FLOAT, unit="bar"),
        },
        primary_key=["machine_id", "seq"],
    )
    messages = [
        "\n".join(
            json.dumps({"machine_id": f"m{m}", "seq": s, "pressure": 1.0 + s / 1000})
            for s in range(m * 100, m * 100 + 100)
        ).encode()
        for m in range(100)
    ]
    ready = threading.Event()
    reports: list[SubscribeReport] = []
    # Batches close on their record count only (flush_s beyond the test's length): on a busy
    # machine 25 messages may take longer than a short flush interval, and the count of
    # versions would then depend on timing.
    options = SubscribeOptions(
        batch_records=2_500, flush_s=600.0, max_messages=100, timeout_s=60, spec=spec
    )

    def consume() -> None:
        reports.append(
            subscribe_mqtt(lake, f"mqtt://{broker}/{topic}", "pumps", options, on_ready=ready.set)
        )

    thread = threading.Thread(target=consume)
    thread.start()
    assert ready.wait(15)
    _publish(topic, messages)
    thread.join(90)
    assert reports, "the subscriber did not stop"
    report = reports[0]
    assert (report.messages, report.records, report.accepted) == (100, 10_000, 10_000)
    assert len(report.versions) == 4
    counts = lake.sql("SELECT count(*) AS n, count(DISTINCT (machine_id, seq)) AS d FROM pumps")
    assert counts.to_pylist() == [{"n": 10_000, "d": 10_000}]
