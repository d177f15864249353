"""Run the `strata` command in process through Typer's runner, against a home in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from strata.cli.main import build_app

Invoke = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """`cli("models", "ls", "--json")` runs strata with STRATA_HOME in tmp_path."""
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))
    app = build_app()
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env)

    return invoke


def json_out(result: Result) -> Any:
    """The JSON a command printed on stdout."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
