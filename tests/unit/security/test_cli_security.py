"""`strata security ...` commands: registration, `eval pii`, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from strata.cli.main import build_app
from strata.security.pii_eval import generate_cases, write_cases


def test_eval_pii_prints_precision_and_recall(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    write_cases(generate_cases(24), path)
    result = CliRunner().invoke(
        build_app(), ["security", "eval", "pii", "--data", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"recall"' in result.output and '"email"' in result.output


def test_eval_injection_names_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        build_app(),
        [
            "security",
            "eval",
            "injection",
            "--data",
            str(tmp_path / "none.csv"),
            "--text-col",
            "prompt",
            "--label-col",
            "type",
            "--positive",
            "jailbreak",
        ],
    )
    assert result.exit_code == 1
    assert "none.csv does not exist" in result.output
