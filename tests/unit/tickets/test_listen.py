"""The MQTT listener's parts without a broker: URLs with wildcards, one message at a time."""

from __future__ import annotations

import asyncio
import json

import pytest

from strata.apps import open_apps
from strata.core.catalog import Catalog
from strata.core.errors import InvalidInput
from strata.core.settings import Settings
from strata.models.runtime import ModelRuntime
from strata.tickets.listen import ListenReport, handle, parse_url

from .conftest import dispatch_app


def test_parse_url_keeps_wildcards() -> None:
    assert parse_url("mqtt://127.0.0.1:1883/city/reports") == ("127.0.0.1", 1883, "city/reports")
    assert parse_url("mqtt://broker/city/#") == ("broker", 1883, "city/#")
    assert parse_url("mqtt://broker:1884/city/+/reports")[2] == "city/+/reports"
    for bad in ("http://broker/x", "mqtt://broker", "mqtt://broker/"):
        with pytest.raises(InvalidInput, match="mqtt://HOST:PORT/TOPIC"):
            parse_url(bad)


def test_each_message_is_one_ticket_or_a_reason(
    settings: Settings, catalog: Catalog, runtime: ModelRuntime
) -> None:
    apps = open_apps(settings, catalog, runtime)
    asyncio.run(apps.publish(dispatch_app(), alias=None))
    report = ListenReport()
    messages = [
        json.dumps({"text": "Hole", "street": "Main Street", "district": "Centre"}).encode(),
        json.dumps({"text": "Hole again", "street": "Main Street", "district": "Centre"}).encode(),
        b"\xff\xfe",
        b"42",
        json.dumps({"street": "Main Street"}).encode(),
        json.dumps({"text": "Hole", "lat": 99.0}).encode(),
    ]
    for number, payload in enumerate(messages, start=1):
        report.add(asyncio.run(handle(apps, "event-dispatch", payload, number)))
    assert (report.messages, report.opened, report.merged, report.rejected) == (6, 1, 1, 4)
    reasons = [r["reason"] for r in report.rejections]
    assert reasons[0].startswith("not JSON") and "got int" in reasons[1]
    assert 'field "text" is required' in reasons[2]
    assert 'Step "ticket", field "with.lat"' in reasons[3]
    assert report.to_dict()["tickets"] == ["T-000001"]
