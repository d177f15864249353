"""`strata packs install finance` end to end on a reduced pack: real lake, catalog, tiny encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.cli import (
    invoke_cli,
    one_thread,  # noqa: F401 (autouse: one torch thread for this module)
    run_cli,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
QUICK = ["--profile", "quick", "--encoder", "l0/tiny-encoder", "--rows-per-label", "4"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, _tiny_models: dict[str, Path]) -> Path:
    """A home with the reduced finance pack installed once, shared by this module's tests."""
    if not (DATA / "banking77" / "train.csv").is_file():
        pytest.skip(f"banking77 not found under {DATA}")
    home = tmp_path_factory.mktemp("packs") / "home"
    run_cli(home, "models", "add", str(_tiny_models["encoder"]), "--kind", "encoder")
    first = run_cli(home, "packs", "install", "finance", *QUICK, "--json")
    assert first["changed"]
    (home / "first.json").write_text(json.dumps(first))
    return home


def test_install_builds_every_part(installed: Path) -> None:
    report = json.loads((installed / "first.json").read_text())
    built = {(s["step"], s["target"].split("@")[0]) for s in report["steps"]}
    assert {
        ("ingest", "banking77"),
        ("ingest", "banking77-train"),
        ("ingest", "finance-workflows"),
        ("ingest", "finance-policies"),
        ("adapt", "l1/finance"),
        ("tune", "l2/banking-intents"),
        ("kb", "finance-policies"),
        ("app", "counter-assistant"),
    } <= built
    ingest = {s["target"].split("@")[0]: s for s in report["steps"] if s["step"] == "ingest"}
    assert ingest["banking77"]["rows"] == 77 * 4 and ingest["finance-workflows"]["rows"] == 77
    evaluation = report["evaluation"]
    assert 0.0 <= evaluation["intent"]["accuracy"] <= 1.0
    assert evaluation["intent"]["split"]["seed"] == 0
    assert evaluation["slots"]["accuracy"] >= 0.95
    assert 0.0 <= evaluation["citations"]["hit_rate"] <= 1.0
    assert Path(report["eval_report"]).is_file()


def test_a_second_install_changes_nothing(installed: Path) -> None:
    eval_file = installed / "packs" / "finance" / "eval.json"
    before = eval_file.stat().st_mtime_ns
    again = run_cli(installed, "packs", "install", "finance", *QUICK, "--json")
    assert not again["changed"], [s for s in again["steps"] if s["created"]]
    assert eval_file.stat().st_mtime_ns == before


def test_validation_rows_never_train_the_l1(installed: Path) -> None:
    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.lake import Lake

    settings = load_settings(home=installed)
    lake = Lake(Catalog(settings.catalog_url), settings.lake, settings.home)
    full = lake.read("banking77").to_pandas()
    train = lake.read("banking77-train").to_pandas()
    assert len(train) == len(full) - 77  # 4 rows per intent: one of each validates
    from strata.train.split import stratified_split

    _, val = stratified_split(list(full["category"]), 0.2, 0)
    held_out = set(zip(full.iloc[val]["text"], full.iloc[val]["category"], strict=True))
    assert not held_out & set(zip(train["text"], train["category"], strict=True))


def test_packs_ls_and_eval(installed: Path) -> None:
    listed = run_cli(installed, "packs", "ls", "--json")
    assert [p["name"] for p in listed] == ["finance", "government"]
    report = run_cli(installed, "packs", "eval", "finance", "--json")
    assert set(report) >= {"intent", "slots", "citations"}
    text = run_cli(installed, "packs", "eval", "finance")
    assert "slot accuracy" in text and "citation hit rate" in text


def test_missing_data_names_the_folder(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    result = invoke_cli(tmp_path / "home", "packs", "install", "finance", "--data-dir", missing)
    assert result.exit_code == 1
    assert "needs banking77/train.csv" in result.output and "--data-dir" in result.output


def test_eval_before_install_says_how_to_install(tmp_path: Path) -> None:
    result = invoke_cli(tmp_path / "h", "packs", "eval", "finance")
    assert result.exit_code == 1 and "strata packs install finance" in result.output


def test_unknown_pack_lists_the_known_ones(tmp_path: Path) -> None:
    result = invoke_cli(tmp_path / "h", "packs", "install", "mining")
    assert result.exit_code == 1 and "finance" in result.output


def test_the_guard_is_built_on_request_and_measured_on_held_out_requests(installed: Path) -> None:
    if not (DATA / "jailbreak" / "train.csv").is_file():
        pytest.skip(f"jailbreak not found under {DATA}")
    report = run_cli(installed, "packs", "install", "finance", *QUICK, "--guard", "--json")
    guard = [s for s in report["steps"] if s["step"] == "guard"]
    assert [s["target"] for s in guard] == ["l2/injection-detector@1"] and guard[0]["created"]
    assert 0.0 < guard[0]["threshold"] <= 1.0
    assert {s["step"] for s in report["steps"] if s["created"]} == {"guard"}
    measured = report["evaluation"]["guard"]
    assert measured["heldout_requests"] == 77
    assert measured["flagged"] == round(measured["false_flag_rate"] * 77)
    assert measured["model"] == "l2/injection-detector@1"
    assert {"test_tpr", "holdout4_tpr"} <= set(measured)  # the detector's figures, as stored
    assert (installed / "packs" / "finance" / "guard.json").is_file()  # kept for re-runs
    again = run_cli(installed, "packs", "install", "finance", *QUICK, "--guard", "--json")
    assert not again["changed"] and again["evaluation"]["guard"] == measured


def test_a_missing_jailbreak_file_says_how_to_install_without_the_guard(
    installed: Path, tmp_path: Path
) -> None:
    only_banking = tmp_path / "data"
    (only_banking / "banking77").mkdir(parents=True)
    (only_banking / "banking77" / "train.csv").symlink_to(DATA / "banking77" / "train.csv")
    args = ["packs", "install", "finance", *QUICK, "--guard", "--data-dir", str(only_banking)]
    result = invoke_cli(installed, *args)
    assert result.exit_code == 1
    assert "needs jailbreak/train.csv" in result.output and "--no-guard" in result.output
