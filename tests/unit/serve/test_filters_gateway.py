"""Security filters in the gateway: a tenant's pre filter redacts, a post filter blocks, and the
blocked request lands in the audit log with the filter's verdict."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.serve.app import create_app
from strata.serve.records import AuditRow

from .conftest import MakeKey, bearer, make_settings
from .upstream import upstreams

FILTERS = {"acme": {"pii": {"mode": "mask"}, "deny-list": {"terms": ["project falcon"]}}}


def _chat(client: TestClient, key: str, text: str) -> tuple[int, dict[str, object]]:
    body = {"model": "chat", "messages": [{"role": "user", "content": text}]}
    response = client.post("/v1/chat/completions", headers=bearer(key), json=body)
    return response.status_code, response.json()


def test_pii_is_redacted_and_a_deny_listed_answer_is_blocked_and_audited(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    key = make_key("acme")
    with upstreams("a") as (a,):
        settings = make_settings(
            tmp_path, pools={"chat": [{"url": a.url, "model": "up"}]}, tenant_filters=FILTERS
        )
        with TestClient(create_app(settings, catalog=gw_catalog)) as client:
            status, body = _chat(client, key, "write to jane.doe@example.com about my card")
            assert status == 200, body
            answer = body["choices"][0]["message"]["content"]  # type: ignore[index]
            assert "jane.doe@example.com" not in answer and "about my card" in answer
            status, body = _chat(client, key, "what is the status of project falcon")
    assert status == 400
    assert "deny-list" in str(body["error"])
    with gw_catalog.session() as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
        blocked = rows[-1]
        assert blocked.status == 400
        assert any(v["filter"] == "deny-list" and not v["allowed"] for v in blocked.verdicts)


def test_the_security_policy_file_configures_tenant_filters(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('tenants:\n  acme:\n    filters:\n      deny-list: {terms: ["falcon"]}\n')
    key = make_key("acme")
    with upstreams("a") as (a,):
        settings = make_settings(tmp_path, pools={"chat": [{"url": a.url, "model": "up"}]})
        settings.security.policy_file = str(policy)
        with TestClient(create_app(settings, catalog=gw_catalog)) as client:
            assert _chat(client, key, "hello there")[0] == 200
            status, body = _chat(client, key, "falcon status")
    assert status == 400 and "deny-list" in str(body["error"])
