"""The anomaly backend loads a trained folder through its entry point and scores rows of groups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strata.core.errors import InvalidInput
from strata.core.settings import ModelSettings
from strata.models.backends.base import BACKENDS, AnomalyDetector
from strata.models.errors import InvalidModelFolder
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import ModelRecord
from strata.train.anomaly import AnomalyOptions, train_anomaly

FEATURES = ["current", "pressure"]


def pump(n: int, seed: int, level: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ts": np.arange(n),
            "current": 5.0 + level + 0.1 * rng.standard_normal(n),
            "pressure": 2.0 + 0.05 * rng.standard_normal(n),
        }
    )


def record(folder: Path) -> ModelRecord:
    return ModelRecord(
        id=1,
        layer=Layer.L2_TASK,
        name="pumps",
        version=1,
        kind=ModelKind.ANOMALY,
        backend="strata-anomaly",
        source=Source.TRAINED,
        uri=str(folder),
        created_at=datetime.now(UTC),
    )


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    frame = pd.concat([pump(300, 0).assign(site="north"), pump(300, 1, 3.0).assign(site="south")])
    train_anomaly(frame, FEATURES, tmp_path / "model", AnomalyOptions(), "ts", "site")
    return tmp_path / "model"


def test_round_trip_through_the_entry_point(trained: Path) -> None:
    detector = BACKENDS.get("strata-anomaly")(record(trained), ModelSettings())
    assert isinstance(detector, AnomalyDetector)
    assert detector.features == FEATURES
    south = pump(200, 2, 3.0).assign(site="south")
    south.loc[100:, "current"] += 2.0
    north = pump(200, 3).assign(site="north")
    rows = pd.concat([north, south], ignore_index=True)  # two groups in one call
    flags = detector.detect(rows)
    scores = detector.score(rows)
    assert flags.dtype == np.bool_ and scores.dtype == np.float64 and len(flags) == 400
    assert flags[:200].mean() < 0.05 and flags[200:300].mean() < 0.05
    assert flags[310:].all()
    assert np.array_equal(flags, scores > 1.0)


def test_interleaved_groups_score_as_their_own_series(trained: Path) -> None:
    detector = BACKENDS.get("strata-anomaly")(record(trained), ModelSettings())
    north, south = pump(100, 4).assign(site="north"), pump(100, 5, 3.0).assign(site="south")
    mixed = pd.concat([north, south]).sort_values("ts", kind="stable")  # rows alternate
    scores = detector.score(mixed)
    assert np.allclose(scores[(mixed["site"] == "north").to_numpy()], detector.score(north))
    assert np.allclose(scores[(mixed["site"] == "south").to_numpy()], detector.score(south))


def test_artifact_has_no_pickle(trained: Path) -> None:
    assert sorted(p.name for p in trained.iterdir()) == ["model.json", "weights.safetensors"]
    assert not any(
        p.suffix in {".pkl", ".pickle", ".bin", ".pt", ".joblib"} for p in trained.iterdir()
    )


def test_unseen_group_raises_with_known_groups(trained: Path) -> None:
    detector = BACKENDS.get("strata-anomaly")(record(trained), ModelSettings())
    with pytest.raises(InvalidInput, match=r"\['east'\].*known groups: \['north', 'south'\]"):
        detector.detect(pump(50, 6).assign(site="east"))


def test_missing_feature_or_group_column_is_named(trained: Path) -> None:
    detector = BACKENDS.get("strata-anomaly")(record(trained), ModelSettings())
    with pytest.raises(InvalidInput, match=r"\['pressure', 'site'\]"):
        detector.score(pump(50, 7).drop(columns="pressure"))


def test_folder_without_the_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFolder, match=r"model\.json"):
        BACKENDS.get("strata-anomaly")(record(tmp_path), ModelSettings())


def test_other_format_version_is_refused(trained: Path) -> None:
    meta = json.loads((trained / "model.json").read_text())
    (trained / "model.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(InvalidModelFolder, match="version 99"):
        BACKENDS.get("strata-anomaly")(record(trained), ModelSettings())
