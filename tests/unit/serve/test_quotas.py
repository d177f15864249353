"""Quotas: a burst of 200 against 50/min admits exactly 50; limits survive a restart; tokens and
budgets; reservations reconcile."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.core.settings import Settings
from strata.models.layers import ModelKind
from strata.models.store import ModelStore
from strata.serve.app import create_app
from strata.serve.auth import KeyStore, Limits, Principal
from strata.serve.errors import BudgetExceeded, RateLimited
from strata.serve.quotas import Quotas

from .conftest import MakeKey, bearer


@pytest.fixture
def encoder(gw_catalog: Catalog, tiny_encoder: Path) -> str:
    record, _ = ModelStore(gw_catalog).add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    return record.ref


async def _burst(app: object, key: str, model: str, count: int) -> list[int]:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://gw") as http:
        body = {"model": model, "input": "hello world"}
        responses = await asyncio.gather(
            *(http.post("/v1/embeddings", headers=bearer(key), json=body) for _ in range(count))
        )
    return [r.status_code for r in responses]


def test_burst_of_200_admits_exactly_50_and_restart_keeps_the_limit(
    gw_settings: Settings, gw_catalog: Catalog, make_key: MakeKey, encoder: str
) -> None:
    key = make_key(rpm=50)
    app = create_app(gw_settings, catalog=gw_catalog)
    # One fixed minute for both apps, so a slow machine cannot cross a window boundary mid-test.
    minute = 60.0 * int(time.time() // 60) + 1.0
    app.state.services.quotas.clock = lambda: minute
    with TestClient(app) as client:
        statuses = client.portal.call(_burst, app, key, encoder, 200)
        assert statuses.count(200) == 50
        assert statuses.count(429) == 150
        limited = client.post(
            "/v1/embeddings", headers=bearer(key), json={"model": encoder, "input": "x"}
        )
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    # A new app over the same catalog: the counters come back from the catalog.
    restarted = create_app(gw_settings, catalog=gw_catalog)
    restarted.state.services.quotas.clock = lambda: minute
    with TestClient(restarted) as client:
        again = client.post(
            "/v1/embeddings", headers=bearer(key), json={"model": encoder, "input": "x"}
        )
        assert again.status_code == 429
        other = make_key(rpm=50)
        fine = client.post(
            "/v1/embeddings", headers=bearer(other), json={"model": encoder, "input": "x"}
        )
        assert fine.status_code == 200


def test_tenant_limit_spans_its_keys(
    gw_settings: Settings, gw_catalog: Catalog, make_key: MakeKey, encoder: str
) -> None:
    KeyStore(gw_catalog).set_tenant_limits("acme", Limits(rpm=3))
    keys = [make_key("acme"), make_key("acme")]
    with TestClient(create_app(gw_settings, catalog=gw_catalog)) as client:
        codes = [
            client.post(
                "/v1/embeddings", headers=bearer(keys[i % 2]), json={"model": encoder, "input": "x"}
            ).status_code
            for i in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]


def _who(**limits: float) -> Principal:
    return Principal("k1", "acme", frozenset({"inference"}), Limits(**limits), Limits())  # type: ignore[arg-type]


def test_tokens_per_minute_and_reconcile(gw_catalog: Catalog) -> None:
    now = [1_000_040.0]  # 20 s into a minute
    quotas = Quotas(gw_catalog, clock=lambda: now[0])
    who = _who(tpm=100)
    first = quotas.reserve(who, 80, 0.0)
    with pytest.raises(RateLimited) as raised:
        quotas.reserve(who, 30, 0.0)
    assert raised.value.retry_after == 40
    quotas.reconcile(first, 20, 0.0)  # the call used fewer tokens than reserved
    quotas.reserve(who, 30, 0.0)
    assert quotas.usage("key:k1")[:2] == (2, 50)
    now[0] += 60  # next minute: the window is fresh
    quotas.reserve(who, 100, 0.0)


def test_budget_is_reserved_and_persisted(gw_catalog: Catalog) -> None:
    quotas = Quotas(gw_catalog)
    who = _who(budget=1.0)
    reservation = quotas.reserve(who, 10, 0.6)
    with pytest.raises(BudgetExceeded):
        quotas.reserve(who, 10, 0.6)
    quotas.reconcile(reservation, 10, 0.5)
    quotas.flush()
    restarted = Quotas(gw_catalog)
    assert restarted.usage("key:k1")[2] == pytest.approx(0.5)
    restarted.reserve(who, 10, 0.4)
    with pytest.raises(BudgetExceeded):
        restarted.reserve(who, 10, 0.2)
