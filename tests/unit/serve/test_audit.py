"""Audit: exactly one record per authenticated request, no secrets, chain verified; an edited row
fails `strata audit verify`."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from strata.cli import audit as audit_cli
from strata.core.catalog import Catalog
from strata.serve.app import create_app
from strata.serve.audit import AuditLog
from strata.serve.records import AuditRow

from .conftest import MakeKey, bearer, make_settings


def _verify_cli(home: Path) -> tuple[int, str]:
    app = typer.Typer()
    app.callback()(lambda: None)
    audit_cli.register(app)
    result = CliRunner().invoke(app, ["audit", "verify", "--json"], env={"STRATA_HOME": str(home)})
    return result.exit_code, result.stdout


def test_one_record_per_authenticated_request_and_verify(
    client: TestClient, make_key: MakeKey, gw_catalog: Catalog, tmp_path: Path
) -> None:
    key = make_key()
    client.get("/health")  # open route: no record
    client.get("/v1/models")  # no key: no record
    client.get("/v1/models", headers=bearer(key))
    client.post("/v1/embeddings", headers=bearer(key), json={"model": "l0/nope", "input": "secret"})
    client.get("/metrics", headers=bearer(key))  # 403: authenticated, so recorded
    client.portal.call(client.app.state.services.flush)
    records = AuditLog(gw_catalog).recent()
    assert [(r["path"], r["status"]) for r in reversed(records)] == [
        ("/v1/models", 200),
        ("/v1/embeddings", 404),
        ("/metrics", 403),
    ]
    assert all(r["tenant"] == "acme" and r["key_id"] in key for r in records)
    assert all(key not in str(r) and "secret" not in str(r) for r in records)
    assert records[1]["model"] == "l0/nope"

    code, out = _verify_cli(tmp_path / "home")
    assert code == 0 and '"ok": true' in out

    with gw_catalog.session() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == 2).values(status=200))
    code, out = _verify_cli(tmp_path / "home")
    assert code == 1
    assert '"bad_seq": 2' in out


def test_deleting_the_last_record_is_detected(
    client: TestClient, make_key: MakeKey, gw_catalog: Catalog
) -> None:
    key = make_key()
    for _ in range(3):
        client.get("/v1/models", headers=bearer(key))
    client.portal.call(client.app.state.services.flush)
    assert AuditLog(gw_catalog).verify().ok
    with gw_catalog.session() as session:
        session.query(AuditRow).filter(AuditRow.seq == 3).delete()
    result = AuditLog(gw_catalog).verify()
    assert not result.ok and "removed" in result.reason


def test_prompts_only_for_tenants_that_opt_in(
    tmp_path: Path, make_key: MakeKey, gw_catalog: Catalog, tiny_encoder: Path
) -> None:
    from strata.models.layers import ModelKind
    from strata.models.store import ModelStore
    from strata.serve.app import create_app

    from .conftest import make_settings

    ModelStore(gw_catalog).add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    settings = make_settings(tmp_path, log_prompts=["open"])
    with TestClient(create_app(settings, catalog=gw_catalog)) as client:
        for tenant in ("open", "closed"):
            body = {"model": "l0/enc", "input": f"hello from {tenant}"}
            assert (
                client.post(
                    "/v1/embeddings", headers=bearer(make_key(tenant)), json=body
                ).status_code
                == 200
            )
        client.portal.call(client.app.state.services.flush)
    prompts = {r["tenant"]: r["prompt"] for r in AuditLog(gw_catalog).recent()}
    assert prompts["open"] is not None and "hello from open" in prompts["open"]
    assert prompts["closed"] is None


def test_a_clean_shutdown_writes_every_queued_record(
    tmp_path: Path, gw_catalog: Catalog, make_key: MakeKey
) -> None:
    key = make_key()
    settings = make_settings(tmp_path, flush_interval_s=3600.0)  # no flush while serving
    with TestClient(create_app(settings, catalog=gw_catalog)) as client:
        for _ in range(30):
            assert client.get("/v1/models", headers=bearer(key)).status_code == 200
        assert AuditLog(gw_catalog).verify().records == 0  # queued, off the request path
    result = AuditLog(gw_catalog).verify()
    assert result.ok
    assert result.records == 30
