"""The gateway as `strata serve` runs it: uvicorn on loopback over a PostgreSQL catalog, real HTTP
clients; the burst limit, the restart, the audit chain."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
import uvicorn
from sqlalchemy import update

from fixtures.openai_server import free_port
from fixtures.services import postgres_database
from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.models.layers import ModelKind
from strata.models.store import ModelStore
from strata.serve.app import create_app
from strata.serve.audit import AuditLog
from strata.serve.auth import KeyStore, Limits
from strata.serve.records import AuditRow

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database("strata_gw") as url:
        yield url


@contextmanager
def running(settings: Settings, catalog: Catalog, minute: float) -> Iterator[str]:
    """The gateway on uvicorn in a thread, as `strata serve` starts it (quota clock pinned)."""
    port = free_port()
    app = create_app(settings, catalog=catalog)
    app.state.services.quotas.clock = lambda: minute
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


async def _burst(base: str, key: str, count: int) -> list[int]:
    body = {"model": "l0/enc", "input": "hello world"}
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(base_url=base, timeout=60) as http:
        replies = await asyncio.gather(
            *(http.post("/v1/embeddings", json=body, headers=headers) for _ in range(count))
        )
    return [r.status_code for r in replies]


def test_gateway_on_postgres_end_to_end(pg_url: str, tmp_path: Path, tiny_encoder: Path) -> None:
    settings = load_settings(home=tmp_path / "home", catalog_url=pg_url)
    catalog = Catalog(pg_url)
    ModelStore(catalog).add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    key, _ = KeyStore(catalog).create("acme", ("inference",), Limits(rpm=50))
    minute = 60.0 * int(time.time() // 60) + 1.0  # one window for both runs, however slow
    with running(settings, catalog, minute) as base:
        assert httpx2.get(f"{base}/health").status_code == 200
        assert httpx2.get(f"{base}/v1/models").status_code == 401
        statuses = asyncio.run(_burst(base, key, 200))
        assert statuses.count(200) == 50 and statuses.count(429) == 150
    with running(settings, catalog, minute) as base:  # restarted: still limited
        assert asyncio.run(_burst(base, key, 1)) == [429]

    assert AuditLog(catalog).verify().ok
    assert AuditLog(catalog).verify().records == 201
    with catalog.session() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == 7).values(tenant="mallory"))
    assert not AuditLog(catalog).verify().ok
    catalog.dispose()
