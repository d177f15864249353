"""The anomaly detector trains on normal rows, flags level shifts, and refuses bad input clearly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strata.core.errors import InvalidInput
from strata.models.backends.anomaly import AnomalyModel, WindowSpec, read_model
from strata.train.anomaly import (
    AnomalyOptions,
    anomaly_metrics,
    crossfit_scores,
    fit_group,
    train_anomaly,
)
from strata.train.errors import InvalidJobSpec, InvalidTrainingData

SKAB = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "skab"


def machine(n: int, seed: int, level: float = 0.0, noise: float = 0.1) -> pd.DataFrame:
    """A sine + noise sensor, a noisy second sensor, and a slowly drifting temperature."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame(
        {
            "time": pd.date_range("2026-01-01", periods=n, freq="s"),
            "vibration": np.sin(t / 1.6) + noise * rng.standard_normal(n) + level,
            "flow": 10.0 + 0.2 * rng.standard_normal(n),
            "temperature": 60.0 + np.cumsum(0.05 * rng.standard_normal(n)),
        }
    )


FEATURES = ["vibration", "flow", "temperature"]


def test_level_shift_is_flagged_and_normal_rows_mostly_are_not(tmp_path: Path) -> None:
    facts = train_anomaly(machine(400, 0), FEATURES, tmp_path, AnomalyOptions(), time_col="time")
    detector = read_model(tmp_path)
    normal = machine(300, 1)
    shifted = machine(300, 1)
    shifted.loc[150:, "vibration"] += 1.0
    assert detector.detect(normal).mean() < 0.05
    flags = detector.detect(shifted)
    assert flags[:150].mean() < 0.05 and flags[160:].mean() > 0.95
    assert facts["rows"] == 400 and facts["groups"] == 1
    assert json.loads(json.dumps(facts)) == facts


def test_drifting_feature_is_scored_on_its_spread_not_its_level(tmp_path: Path) -> None:
    facts = train_anomaly(machine(400, 0), FEATURES, tmp_path, AnomalyOptions())
    assert facts["slow_features"] == ["temperature"]
    later = machine(300, 2)
    later["temperature"] += 15.0  # far outside training, yet normal wander for a temperature
    assert read_model(tmp_path).detect(later).mean() < 0.05


def test_each_group_gets_its_own_centre_and_threshold(tmp_path: Path) -> None:
    quiet = machine(400, 3, noise=0.05).assign(pump="a")
    noisy = machine(400, 4, level=5.0, noise=0.5).assign(pump="b")
    frame = pd.concat([quiet, noisy], ignore_index=True)
    facts = train_anomaly(frame, FEATURES, tmp_path, AnomalyOptions(), "time", "pump")
    assert set(facts["thresholds"]) == {"a", "b"}
    model = read_model(tmp_path)
    assert model.groups["a"].center[0] < 1.0 < 4.0 < model.groups["b"].center[0]
    # b's normal level is a fault on a: the same rows are flagged only under a's model.
    rows = machine(200, 5, level=5.0, noise=0.5)
    assert model.detect(rows.assign(pump="b")).mean() < 0.05
    assert model.detect(rows.assign(pump="a")).mean() > 0.95


def test_rows_are_ordered_by_time_within_each_group(tmp_path: Path) -> None:
    frame = machine(400, 6)
    shuffled = frame.sample(frac=1.0, random_state=0)
    train_anomaly(frame, FEATURES, tmp_path / "a", AnomalyOptions(), "time")
    train_anomaly(shuffled, FEATURES, tmp_path / "b", AnomalyOptions(), "time")
    a, b = read_model(tmp_path / "a"), read_model(tmp_path / "b")
    assert a.thresholds == b.thresholds
    test = machine(200, 7)
    assert np.allclose(a.score(test), b.score(test.sample(frac=1.0, random_state=1).sort_index()))


def test_artifact_holds_json_and_safetensors_only(tmp_path: Path) -> None:
    train_anomaly(machine(400, 0), FEATURES, tmp_path, AnomalyOptions(window=5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "weights.safetensors"]
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["format_version"] == 1 and meta["features"] == FEATURES
    assert meta["options"]["window"] == 5 and meta["groups"][0]["threshold"] > 0
    assert b"pickle" not in (tmp_path / "weights.safetensors").read_bytes()[:200]


def test_missing_columns_are_named_with_the_columns_present(tmp_path: Path) -> None:
    with pytest.raises(InvalidTrainingData, match=r"\['pressure', 'site'\].*columns present"):
        train_anomaly(
            machine(400, 0), ["flow", "pressure"], tmp_path, AnomalyOptions(), None, "site"
        )


def test_non_numeric_feature_is_refused(tmp_path: Path) -> None:
    frame = machine(400, 0).assign(flow="high")
    with pytest.raises(InvalidTrainingData, match="numeric") as info:
        train_anomaly(frame, FEATURES, tmp_path, AnomalyOptions())
    assert info.value.hint


def test_too_few_rows_per_group_is_refused(tmp_path: Path) -> None:
    frame = pd.concat([machine(400, 0).assign(g=1), machine(50, 1).assign(g=2)])
    with pytest.raises(InvalidTrainingData, match=r"group g='2' has 50 rows"):
        train_anomaly(frame, FEATURES, tmp_path, AnomalyOptions(), "time", "g")


def test_nans_are_filled_up_to_a_limit(tmp_path: Path) -> None:
    frame = machine(400, 0)
    frame.loc[10:13, "flow"] = np.nan
    train_anomaly(frame, FEATURES, tmp_path, AnomalyOptions())
    frame.loc[:100, "flow"] = np.nan
    with pytest.raises(InvalidTrainingData, match=r"'flow'.*missing in 25%"):
        train_anomaly(frame, FEATURES, tmp_path, AnomalyOptions())


@pytest.mark.parametrize(
    "bad",
    [
        {"window": 1},
        {"calibration": "kfold"},
        {"calibration_fraction": 0.9},
        {"threshold_quantile": 1.5},
        {"aggregate": "mean"},
        {"slow_cutoff": 0.0},
    ],
)
def test_bad_options_raise_invalid_job_spec(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidJobSpec, match=f"{next(iter(bad))}="):
        AnomalyOptions(**bad)  # type: ignore[arg-type]


def test_crossfit_scores_each_block_with_a_fit_that_excludes_it() -> None:
    rng = np.random.default_rng(0)
    stats = rng.standard_normal((300, 1))
    stats[:100] += 10.0  # the first block sits far from the other two
    spec = WindowSpec(("x",), (True,), False, 2, "max")
    counts = np.full(300, 2.0)
    scores = crossfit_scores(stats, counts, spec, folds=3)
    # Fitted on rows 100-299 only, block 0 is ~10 sigma out; an in-sample fit would give ~1-2.
    assert scores.shape == (300,) and np.median(scores[:100]) > 8.0
    assert np.median(scores[100:]) < 6.0


def test_crossfit_threshold_covers_drift_over_the_whole_training_span() -> None:
    rng = np.random.default_rng(0)
    flow = 10.0 + 0.2 * rng.standard_normal((400, 1))
    flow[:130] += 0.5  # the early rows run higher: a normal state, seen in training
    spec = WindowSpec(("flow",), (True,), False, 10, "max")
    crossfit = fit_group(flow, spec, AnomalyOptions())
    holdout = fit_group(flow, spec, AnomalyOptions(calibration="holdout"))
    # Holdout scores only the calm tail; cross-fitting also scores the early block out of sample.
    assert crossfit.threshold > 4 * holdout.threshold
    early = pd.DataFrame({"flow": 10.5 + 0.2 * rng.standard_normal(200)})
    assert AnomalyModel(spec, {"all": crossfit}).detect(early).mean() == 0.0
    assert AnomalyModel(spec, {"all": holdout}).detect(early).mean() > 0.05


def test_calibration_rows_are_every_row_under_crossfit(tmp_path: Path) -> None:
    crossfit = train_anomaly(machine(400, 0), FEATURES, tmp_path / "c", AnomalyOptions())
    options = AnomalyOptions(calibration="holdout")
    holdout = train_anomaly(machine(400, 0), FEATURES, tmp_path / "h", options)
    assert crossfit["calibration_rows"] == 400 and holdout["calibration_rows"] == 120


def test_metrics_follow_skab_definitions() -> None:
    m = anomaly_metrics([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0])
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 3)
    assert m["far"] == 0.25 and m["mar"] == 0.25 and m["ba"] == 0.75 and m["f1"] == 0.75
    with pytest.raises(InvalidInput, match="truth has 2 points"):
        anomaly_metrics([1, 0], [1])


def test_two_real_skab_files(tmp_path: Path) -> None:
    if not (SKAB / "valve1").is_dir():
        pytest.skip(f"SKAB data not found under {SKAB}")
    frames = [pd.read_csv(SKAB / "valve1" / f"{k}.csv", sep=";").assign(file=k) for k in (3, 13)]
    train = pd.concat([f.iloc[:400] for f in frames], ignore_index=True)
    features = [
        c for c in frames[0].columns if c not in ("datetime", "anomaly", "changepoint", "file")
    ]
    facts = train_anomaly(train, features, tmp_path, AnomalyOptions(), "datetime", "file")
    assert facts["slow_features"] == ["Temperature", "Thermocouple"]
    model = read_model(tmp_path)
    test = pd.concat([f.iloc[400:] for f in frames], ignore_index=True)
    m = anomaly_metrics(test["anomaly"].to_numpy() > 0, model.detect(test))
    assert m["f1"] > 0.8 and m["far"] < 0.15
