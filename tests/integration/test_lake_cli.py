"""`strata lake ...` end to end through the real CLI: ingest, ls, show, history, sql, spec infer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from strata.cli.main import build_app

BANKING = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.csv"


@pytest.fixture
def strata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STRATA_CONFIG", str(tmp_path / "none.yaml"))
    return CliRunner()


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ingest_show_history_sql(strata: CliRunner, tmp_path: Path) -> None:
    if not BANKING.is_file():
        pytest.skip(f"banking77 not found at {BANKING}")
    spec = yaml.safe_load(_run(strata, "lake", "spec", "infer", str(BANKING), "--enum-max", "0"))
    spec["columns"]["category"]["enum"] = json.loads(
        (BANKING.parent / "categories.json").read_text()
    )
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    args = (
        "lake",
        "ingest",
        str(BANKING),
        "--dataset",
        "banking-requests",
        "--spec",
        str(spec_file),
    )
    first = json.loads(_run(strata, *args, "--json"))
    assert (first["version"], first["accepted"]) == (1, 10003)
    assert "No change" in _run(strata, *args)
    listing = json.loads(_run(strata, "lake", "ls", "--json"))
    assert listing[0]["name"] == "banking-requests" and listing[0]["version"] == 1
    show = json.loads(_run(strata, "lake", "show", "banking-requests", "--json"))
    assert show["rows"] == 10003 and show["quality"]["null_rates"]["text"] == 0.0
    history = json.loads(_run(strata, "lake", "history", "banking-requests", "--json"))
    assert [v["version"] for v in history] == [1]
    rows = json.loads(
        _run(strata, "lake", "sql", 'SELECT count(*) AS n FROM "banking-requests"', "--json")
    )
    assert rows == [{"n": 10003}]
    csv_out = _run(strata, "lake", "sql", "SELECT 1 AS a, 'x' AS b", "--csv")
    assert csv_out == "a,b\n1,x\n"


def test_errors_print_error_and_hint(strata: CliRunner) -> None:
    result = strata.invoke(build_app(), ["lake", "show", "missing"])
    assert result.exit_code == 1
    assert 'error: Dataset "missing" not found' in result.stderr
    assert "hint:" in result.stderr
    bad = strata.invoke(build_app(), ["lake", "sql", "SELECT * FROM nope"])
    assert bad.exit_code == 1 and "hint: Tables:" in bad.stderr
