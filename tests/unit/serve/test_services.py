"""Services: the background writer keeps what a failed write held; startup objects are frozen out
of garbage collection, and the GIL switch interval is short, while the gateway serves."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.serve.app import create_app
from strata.serve.audit import AuditLog
from strata.serve.auth import KeyStore
from strata.serve.quotas import Quotas
from strata.serve.services import SWITCH_INTERVAL_S

from .conftest import MakeKey, bearer, make_settings


def test_a_failed_write_keeps_records_and_counters_for_the_next(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key()
    who = KeyStore(gw_catalog).principal(key)
    assert who is not None
    # No periodic flush during the test: only the flushes it calls write (a timed one could
    # land between the requests and the failing flush on a slow machine).
    settings = make_settings(tmp_path, flush_interval_s=3600.0)
    app = create_app(settings, catalog=gw_catalog)
    services = app.state.services
    minute = 60.0 * int(time.time() // 60) + 1.0  # one fixed minute: no window boundary mid-test
    services.quotas.clock = lambda: minute
    with TestClient(app) as client:
        client.portal.call(services.flush)
        for _ in range(3):
            client.get("/v1/models", headers=bearer(key))
            services.quotas.reserve(who, 10, 0.0)

        def broken(*_args: object) -> None:
            raise RuntimeError("disk full")

        with monkeypatch.context() as patch:
            patch.setattr(services.quotas, "apply", broken)
            with pytest.raises(RuntimeError, match="disk full"):
                client.portal.call(services.flush)
        # Audit records and counters share one transaction: neither was written, both are kept.
        assert AuditLog(gw_catalog).verify().records == 0
        client.portal.call(services.flush)
    assert AuditLog(gw_catalog).verify().records == 3
    assert Quotas(gw_catalog, clock=lambda: minute).usage(f"key:{who.key_id}")[:2] == (3, 30)


def test_startup_objects_are_frozen_while_serving(
    gw_settings: Settings, gw_catalog: Catalog
) -> None:
    with TestClient(create_app(gw_settings, catalog=gw_catalog)):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_the_gil_switch_interval_is_short_while_serving_and_restored_after(
    gw_settings: Settings, gw_catalog: Catalog
) -> None:
    before = sys.getswitchinterval()
    assert before != SWITCH_INTERVAL_S
    with TestClient(create_app(gw_settings, catalog=gw_catalog)):
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before


def test_a_flush_and_shutdown_wait_for_a_write_in_progress(
    gw_settings: Settings, gw_catalog: Catalog, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_key()
    app = create_app(gw_settings, catalog=gw_catalog)
    services = app.state.services
    write = services._write

    def slow_write(*args: Any) -> None:
        time.sleep(0.5)  # the background writer is mid-transaction when the flush is asked for
        write(*args)

    monkeypatch.setattr(services, "_write", slow_write)
    with TestClient(app) as client:
        for _ in range(5):
            client.get("/v1/models", headers=bearer(key))
        time.sleep(0.2)  # the writer (every 0.05 s) has taken the records
        client.portal.call(services.flush)
        assert AuditLog(gw_catalog).verify().records == 5
        for _ in range(3):
            client.get("/v1/models", headers=bearer(key))
        time.sleep(0.2)
    assert AuditLog(gw_catalog).verify().records == 8
