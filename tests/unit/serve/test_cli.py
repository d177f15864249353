"""`strata keys create|ls|revoke` (the key printed once, stored hashed)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from strata.cli import keys as keys_cli
from strata.cli import serve as serve_cli


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    keys_cli.register(app)
    serve_cli.register(app)
    return app


def test_keys_create_ls_revoke(tmp_path: Path) -> None:
    env = {"STRATA_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    created = runner.invoke(
        _app(), ["keys", "create", "--tenant", "acme", "--rpm", "5", "--json"], env=env
    )
    assert created.exit_code == 0, created.output
    info = json.loads(created.stdout)
    assert info["key"].startswith("sk-strata-") and info["rpm"] == 5
    listed = runner.invoke(_app(), ["keys", "ls", "--json"], env=env)
    assert info["key"] not in listed.stdout
    assert [k["id"] for k in json.loads(listed.stdout)] == [info["id"]]
    revoked = runner.invoke(_app(), ["keys", "revoke", info["id"], "--json"], env=env)
    assert json.loads(revoked.stdout)["revoked"] is True
    missing = runner.invoke(_app(), ["keys", "revoke", "nope"], env=env)
    assert missing.exit_code != 0
    bad = runner.invoke(_app(), ["keys", "create", "--tenant", "a", "--scopes", "root"], env=env)
    assert bad.exit_code != 0


def test_serve_help_shows_the_loopback_default() -> None:
    result = CliRunner().invoke(_app(), ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.stdout
