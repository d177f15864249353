"""Reports over MQTT: each JSON message runs through the dispatch app, one ticket or merge each.

A message that is not a JSON object, fails the app's input, or fails a step is counted and
reported with its reason; the listener keeps consuming (nobody can be answered over MQTT).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strata.apps.service import Apps
from strata.core.errors import StrataError, UpstreamError
from strata.lake.connectors.mqtt import parse_url, subscribe_client

log = logging.getLogger(__name__)


@dataclass
class ListenOptions:
    """When to stop, and the MQTT quality of service."""

    max_messages: int | None = None
    timeout_s: float | None = None
    qos: int = 1


@dataclass(frozen=True)
class Outcome:
    """What became of one message: the ticket step's output, or why it was rejected."""

    number: int
    ticket: dict[str, Any] | None = None
    reason: str | None = None
    run_id: str | None = None


@dataclass
class ListenReport:
    """What a listener did before it stopped."""

    messages: int = 0
    opened: int = 0
    merged: int = 0
    rejected: int = 0
    tickets: list[str] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Count one message."""
        self.messages += 1
        if outcome.ticket is None:
            self.rejected += 1
            self.rejections.append({"message": outcome.number, "reason": outcome.reason})
            return
        self.merged += bool(outcome.ticket.get("merged"))
        self.opened += not outcome.ticket.get("merged")
        ticket_id = outcome.ticket.get("ticket_id")
        if ticket_id and ticket_id not in self.tickets:
            self.tickets.append(ticket_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return dict(vars(self))


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


async def handle(apps: Apps, app: str, payload: bytes, number: int) -> Outcome:
    """Run one message through the app; never raises."""
    try:
        result = await apps.run(app, _parse(payload), source="mqtt")
    except ValueError as exc:
        return Outcome(number, reason=str(exc))
    except StrataError as exc:  # the input fails the app's schema
        return Outcome(number, reason=exc.message)
    except Exception as exc:  # keep listening; the reason is reported and logged
        log.exception("message %d: the app run failed unexpectedly", number)
        return Outcome(number, reason=f"unexpected {type(exc).__name__}: {exc}")
    if result.status != "succeeded":
        return Outcome(number, reason=(result.error or {}).get("message"), run_id=result.run_id)
    done = [s.outputs for s in result.steps if s.uses == "ticket" and s.status == "succeeded"]
    if not done or done[-1] is None:
        reason = "the app ran, but no ticket step ran"
        return Outcome(number, reason=reason, run_id=result.run_id)
    return Outcome(number, ticket=done[-1], run_id=result.run_id)


def _done(report: ListenReport, options: ListenOptions, started: float) -> bool:
    if options.max_messages is not None and report.messages >= options.max_messages:
        return True
    return options.timeout_s is not None and time.monotonic() - started >= options.timeout_s


def _next(inbox: queue.Queue[bytes]) -> bytes | None:
    try:
        return inbox.get(timeout=0.1)
    except queue.Empty:
        return None


async def listen(
    apps: Apps,
    url: str,
    app: str,
    options: ListenOptions,
    on_message: Callable[[Outcome], None] | None = None,
    on_ready: Callable[[], None] | None = None,
    report: ListenReport | None = None,
) -> ListenReport:
    """Consume `mqtt://HOST:PORT/TOPIC` until `max_messages` or `timeout_s`.

    Args:
        report: counts to add to (the caller keeps them if Ctrl-C stops the loop).
    """
    host, port, topic = parse_url(url)
    await asyncio.to_thread(apps.store.resolve, app)  # an unknown app fails before subscribing
    inbox: queue.Queue[bytes] = queue.Queue()
    client = await asyncio.to_thread(
        subscribe_client,
        host,
        port,
        topic,
        options.qos,
        inbox,
        name="strata-tickets",
        error=UpstreamError,
    )
    report = report if report is not None else ListenReport()
    started = time.monotonic()
    if on_ready is not None:
        on_ready()
    try:
        while not _done(report, options, started):
            payload = await asyncio.to_thread(_next, inbox)
            if payload is None:
                continue
            outcome = await handle(apps, app, payload, report.messages + 1)
            report.add(outcome)
            if on_message is not None:
                on_message(outcome)
    finally:
        client.disconnect()
        client.loop_stop()
    return report
