"""Telemetry over MQTT: subscribe to a topic, commit JSON-lines payloads by batch size or time."""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from strata.core.errors import InvalidInput, StrataError
from strata.lake.connectors.records import records_source
from strata.lake.connectors.telemetry import parse_lines
from strata.lake.errors import ConnectorError
from strata.lake.ingest import IngestResult
from strata.lake.spec import DataSpec

if TYPE_CHECKING:
    from strata.lake.lake import Lake

log = logging.getLogger(__name__)


@dataclass
class SubscribeOptions:
    """When to commit and when to stop."""

    batch_records: int = 10_000
    flush_s: float = 5.0
    max_messages: int | None = None
    timeout_s: float | None = None
    spec: DataSpec | None = None
    qos: int = 1


@dataclass
class SubscribeReport:
    """What a subscription did before it stopped."""

    messages: int = 0
    records: int = 0
    rejected_messages: int = 0
    versions: list[int] = field(default_factory=list)
    accepted: int = 0
    quarantined: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return dict(vars(self))


def parse_url(url: str) -> tuple[str, int, str]:
    """(host, port, topic) from mqtt://HOST:PORT/TOPIC.

    The topic is everything after the first `/`, so the `#` and `+` wildcards stay in it (a plain
    URL parser would take `#` for the start of a fragment).
    """
    parts = urlsplit(url)
    topic = url.partition("://")[2].partition("/")[2]
    if parts.scheme != "mqtt" or not parts.hostname or not topic:
        raise InvalidInput(
            f"MQTT URL {url!r} is not mqtt://HOST:PORT/TOPIC.",
            hint="For example: mqtt://127.0.0.1:1883/plant/pumps/# (`#` and `+` are wildcards).",
        )
    return parts.hostname, parts.port or 1883, topic


class _Batcher:
    """Buffers records and commits them to the lake as one version per batch."""

    def __init__(
        self,
        lake: Lake,
        dataset: str,
        label: str,
        options: SubscribeOptions,
        report: SubscribeReport,
        on_commit: Callable[[IngestResult], None] | None,
    ):
        self.lake, self.dataset, self.label, self.options = lake, dataset, label, options
        self.report, self.on_commit = report, on_commit
        self.buffer: list[dict[str, Any]] = []
        self.since = time.monotonic()

    def add(self, records: list[dict[str, Any]]) -> None:
        if not self.buffer:
            self.since = time.monotonic()
        self.buffer.extend(records)
        if len(self.buffer) >= self.options.batch_records:
            self.flush()

    def due(self) -> bool:
        return bool(self.buffer) and time.monotonic() - self.since >= self.options.flush_s

    def flush(self) -> None:
        if not self.buffer:
            return
        records, self.buffer = self.buffer, []
        result = self.lake.ingest(
            records_source(self.label, records), self.dataset, spec=self.options.spec
        )
        self.options.spec = None  # recorded on the dataset by the first commit
        self.report.accepted += result.counts.accepted
        self.report.quarantined += result.counts.quarantined
        if result.created and result.version is not None:
            self.report.versions.append(result.version)
        if self.on_commit is not None:
            self.on_commit(result)


def subscribe_client(
    host: str,
    port: int,
    topic: str,
    qos: int,
    inbox: queue.Queue[bytes],
    *,
    name: str = "strata",
    error: type[StrataError] = ConnectorError,
) -> mqtt.Client:
    """A started MQTT client subscribed to `topic`, putting each message's payload in `inbox`.

    Args:
        name: prefix of the client id the broker sees.
        error: the error raised when the broker cannot be reached or does not confirm.
    """
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex}")
    subscribed = queue.Queue[bool]()
    client.on_message = lambda _c, _u, message: inbox.put(bytes(message.payload))
    client.on_subscribe = lambda *_args: subscribed.put(True)
    client.on_connect = lambda c, _u, _f, _rc, _p: c.subscribe(topic, qos=qos)
    try:
        client.connect(host, port)
    except OSError as exc:
        raise error(
            f"Cannot reach the MQTT broker at {host}:{port}: {exc}",
            hint="Check the host and port, and that the broker runs.",
        ) from exc
    client.loop_start()
    try:
        subscribed.get(timeout=10)
    except queue.Empty as exc:
        client.loop_stop()
        raise error(
            f"The MQTT broker at {host}:{port} did not confirm the subscription to {topic!r}.",
            hint="Check the broker's ACLs.",
        ) from exc
    return client


def subscribe_mqtt(
    lake: Lake,
    url: str,
    dataset: str,
    options: SubscribeOptions,
    on_commit: Callable[[IngestResult], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> SubscribeReport:
    """Consume until `max_messages` or `timeout_s` (or Ctrl-C), committing as it goes."""
    host, port, topic = parse_url(url)
    inbox: queue.Queue[bytes] = queue.Queue()
    report = SubscribeReport()
    batcher = _Batcher(lake, dataset, url, options, report, on_commit)
    client = subscribe_client(host, port, topic, options.qos, inbox)
    if on_ready is not None:
        on_ready()
    started = time.monotonic()
    try:
        while not _done(report, options, started):
            try:
                payload = inbox.get(timeout=0.1)
            except queue.Empty:
                if batcher.due():
                    batcher.flush()
                continue
            _receive(payload, url, report, batcher)
    except KeyboardInterrupt:
        log.info("subscription to %s interrupted; committing what is buffered", url)
    finally:
        client.disconnect()
        client.loop_stop()
    batcher.flush()
    return report


def _done(report: SubscribeReport, options: SubscribeOptions, started: float) -> bool:
    if options.max_messages is not None and report.messages >= options.max_messages:
        return True
    return options.timeout_s is not None and time.monotonic() - started >= options.timeout_s


def _receive(payload: bytes, url: str, report: SubscribeReport, batcher: _Batcher) -> None:
    report.messages += 1
    try:
        records = parse_lines(payload, f"MQTT message {report.messages} on {url}")
    except StrataError as exc:
        # Nobody can be answered over MQTT: count and log the message, keep consuming.
        report.rejected_messages += 1
        log.warning("rejected: %s", exc)
        return
    report.records += len(records)
    batcher.add(records)
