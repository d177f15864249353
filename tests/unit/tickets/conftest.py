"""Tickets fixtures: a store on a SQLite catalog in tmp_path, reports, a loopback webhook, and a
tiny dispatch app (built-in `route` step plus `ticket`, no model)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from strata.core.catalog import Catalog
from strata.core.settings import SecuritySettings
from strata.tickets import Report, TicketStore

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
MAIN_ST = (60.1699, 24.9384)  # a point in the city centre
LOOPBACK = SecuritySettings(egress_allow_cidrs=["127.0.0.1/32"])

MakeReport = Callable[..., Report]


def north(metres: float) -> tuple[float, float]:
    """A point `metres` north of MAIN_ST (one degree of latitude is about 111,195 m)."""
    return MAIN_ST[0] + metres / 111_195, MAIN_ST[1]


@pytest.fixture
def ticket_store(catalog: Catalog) -> TicketStore:
    """A ticket store with the default rule: 250 m, 120 minutes."""
    return TicketStore(catalog)


@pytest.fixture
def make_report() -> MakeReport:
    """`make_report(minutes=30, metres=100, priority="high")`: a pothole report near Main St."""

    def make(*, minutes: float = 0, metres: float | None = 0, **fields: Any) -> Report:
        lat, lon = north(metres) if metres is not None else (None, None)
        data: dict[str, Any] = {
            "text": f"Pothole on Main Street ({minutes} min, {metres} m)",
            "event_type": "pothole", "department": "roads", "priority": "normal",
            "sla_hours": 48.0, "reported_at": T0 + timedelta(minutes=minutes),
            "district": "Centre", "street": "Main Street", "lat": lat, "lon": lon,
            "channel": "app",
        }  # fmt: skip
        return Report(**{**data, **fields})

    return make


@dataclass
class Hook:
    """A webhook on a real loopback HTTP server: what it received, what it answers."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    hook: Hook

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        self.hook.received.append({"path": self.path, "json": json.loads(self.rfile.read(length))})
        self.send_response(self.hook.status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *_args: Any) -> None:  # keep the test output quiet
        return None


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A webhook at http://127.0.0.1:PORT/roads (allow-list it with LOOPBACK)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    found = Hook(url=f"http://127.0.0.1:{server.server_address[1]}/roads")
    _Handler.hook = found
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def dispatch_app(name: str = "event-dispatch") -> dict[str, Any]:
    """A dispatch app without models: the event type routes to a department, then `ticket`."""
    optional = {"type": "string", "required": False}
    number = {"type": "number", "required": False}
    return {
        "name": name,
        "input": {
            "text": {"type": "string"},
            "event_type": {**optional, "default": "pothole"},
            "district": optional,
            "street": optional,
            "lat": number,
            "lon": number,
            "reported_at": optional,
            "channel": {**optional, "default": "api"},
            "report_id": optional,
        },
        "steps": [
            {
                "id": "route",
                "uses": "route",
                "with": {
                    "value": "${input.event_type}",
                    "routes": {"pothole": "roads", "graffiti": "parks"},
                    "default": "triage",
                },
            },
            {
                "id": "ticket",
                "uses": "ticket",
                "with": {
                    "text": "${input.text}",
                    "event_type": "${input.event_type}",
                    "department": "${steps.route.route}",
                    "priority": "high",
                    "sla_hours": 24,
                    "district": "${input.district}",
                    "street": "${input.street}",
                    "lat": "${input.lat}",
                    "lon": "${input.lon}",
                    "reported_at": "${input.reported_at}",
                    "channel": "${input.channel}",
                    "report_id": "${input.report_id}",
                },
            },
        ],
        "outputs": {
            "ticket_id": "${steps.ticket.ticket_id}",
            "merged": "${steps.ticket.merged}",
            "department": "${steps.ticket.department}",
        },
    }
