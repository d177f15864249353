"""Keys and the gate: 401 before anything else on every route but /health; scopes; revocation."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.serve.auth import Authenticator, KeyStore, Limits, Principal, hash_key
from strata.serve.records import KeyRow

from .conftest import MakeKey, bearer

ROUTES = [
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/v1/models"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/classifications"),
    ("POST", "/v1/lake/telemetry/records"),
    ("GET", "/v1/admin/keys"),
    ("GET", "/v1/admin/audit/verify"),
    ("GET", "/openapi.json"),
    ("GET", "/no/such/route"),
]


def test_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_other_route_answers_401_without_a_key(
    client: TestClient, method: str, path: str
) -> None:
    # A malformed body must not matter: the key is checked before the body is read.
    response = client.request(method, path, content=b"{not json")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "invalid_api_key"
    assert set(error) == {"message", "type", "param", "code"}


def test_wrong_and_revoked_keys_are_refused(client: TestClient, gw_catalog: Catalog) -> None:
    keys = KeyStore(gw_catalog)
    key, info = keys.create("acme", ("inference",), Limits())
    assert client.get("/v1/models", headers=bearer(key)).status_code == 200
    assert client.get("/v1/models", headers=bearer(key + "x")).status_code == 401
    assert client.get("/v1/models", headers=bearer("sk-other")).status_code == 401
    keys.revoke(info.id)
    client.app.state.services.auth._cache.clear()  # revocation applies within key_cache_s
    assert client.get("/v1/models", headers=bearer(key)).status_code == 401


def test_keys_are_stored_hashed(make_key: MakeKey, gw_catalog: Catalog) -> None:
    key = make_key()
    with gw_catalog.session() as session:
        rows = session.query(KeyRow).all()
    assert len(rows) == 1
    assert rows[0].secret_hash == hash_key(key)
    assert key not in rows[0].secret_hash


def test_admin_routes_need_the_admin_scope(client: TestClient, make_key: MakeKey) -> None:
    user = make_key()
    admin = make_key(scopes=("admin",))
    denied = client.get("/metrics", headers=bearer(user))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "insufficient_scope"
    metrics = client.get("/metrics", headers=bearer(admin))
    assert metrics.status_code == 200
    assert "strata_gateway_requests_total" in metrics.text
    listed = client.get("/v1/admin/keys", headers=bearer(admin)).json()["data"]
    assert {k["tenant"] for k in listed} == {"acme"}
    assert all("secret" not in str(k) for k in listed)


class _CountingKeys(KeyStore):
    """A key store that counts its catalog reads."""

    reads = 0

    def principal(self, key: str) -> Principal | None:
        self.reads += 1
        return super().principal(key)


def test_a_burst_reads_a_key_once_and_a_revocation_applies_after_the_ttl(
    gw_catalog: Catalog,
) -> None:
    keys = _CountingKeys(gw_catalog)
    key, info = keys.create("acme", ("inference",), Limits())
    auth = Authenticator(keys, ttl_s=2.0)

    async def scenario() -> None:
        burst = await asyncio.gather(*(auth.lookup(key) for _ in range(50)))
        assert {p.key_id if p else None for p in burst} == {info.id}
        assert keys.reads == 1  # one catalog read (in a worker thread) for the whole burst
        keys.revoke(info.id)
        assert await auth.lookup(key) is not None  # cached: valid until the TTL runs out
        await asyncio.sleep(2.05)
        assert await auth.lookup(key) is None

    asyncio.run(scenario())


def test_a_key_in_use_is_read_again_before_it_expires(gw_catalog: Catalog) -> None:
    keys = _CountingKeys(gw_catalog)
    key, info = keys.create("acme", ("inference",), Limits())
    auth = Authenticator(keys, ttl_s=2.0)

    async def scenario() -> None:
        await auth.lookup(key)
        first = time.monotonic()
        await asyncio.sleep(1.05)  # past half the TTL
        who = await auth.lookup(key)  # answered from the cache, and a read starts behind it
        assert who is not None and who.key_id == info.id
        assert keys.reads == 1
        while keys.reads < 2 and time.monotonic() - first < 1.8:
            await asyncio.sleep(0.01)
        assert keys.reads == 2
        await asyncio.sleep(2.1 - (time.monotonic() - first))  # the first read has expired
        assert await auth.lookup(key) is not None  # the second read answers, nobody waits
        assert keys.reads == 2

    asyncio.run(scenario())
