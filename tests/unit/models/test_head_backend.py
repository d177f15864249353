"""The strata-head backend: load what train_classifier wrote, classify, registered as a plugin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixtures.tiny_models import INTENT_TEXTS
from strata.core.errors import InvalidInput
from strata.core.settings import ModelSettings
from strata.models.backends.base import BACKENDS, Classifier
from strata.models.backends.head import load
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import ModelRecord
from strata.train.classify import ClassifyOptions, train_classifier

TEXTS = INTENT_TEXTS
LABELS = ["card_arrival"] * 3 + ["double_charge"] * 3


def _record(folder: Path) -> ModelRecord:
    return ModelRecord(
        id=1,
        layer=Layer.L2_TASK,
        name="intents",
        version=1,
        kind=ModelKind.CLASSIFIER,
        backend="strata-head",
        source=Source.TRAINED,
        uri=str(folder),
        created_at=datetime.now(UTC),
    )


def test_round_trip_multi_class(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    train_classifier(tiny_encoder, TEXTS, LABELS, out, ClassifyOptions(mode="fast"))
    model = load(_record(out), ModelSettings())
    assert isinstance(model, Classifier)
    assert model.labels == ["card_arrival", "double_charge"]
    results = model.classify(["my card has not arrived", "charged twice"])
    assert len(results) == 2
    for row in results:
        assert {label for label, _ in row} == set(model.labels)
        scores = [score for _, score in row]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) == pytest.approx(1.0, abs=1e-5)
    assert model.classify([]) == []


def test_round_trip_multi_label(tiny_encoder: Path, tmp_path: Path) -> None:
    labels = [["card"], ["card"], ["card", "charge"], ["charge"], ["charge"], ["charge"]]
    out = tmp_path / "model"
    train_classifier(tiny_encoder, TEXTS, labels, out, ClassifyOptions(mode="fast"))
    model = load(_record(out), ModelSettings())
    row = model.classify(["my card was charged twice"])[0]
    assert all(0.0 <= score <= 1.0 for _, score in row)
    assert len(model.predict(["hello"])) == 1


def test_registered_as_plugin() -> None:
    assert BACKENDS.get("strata-head") is load


def test_missing_head_json_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"head\.json is missing") as info:
        load(_record(tmp_path), ModelSettings())
    assert info.value.hint


def test_unknown_format_is_refused(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    train_classifier(tiny_encoder, TEXTS, LABELS, out, ClassifyOptions(mode="fast"))
    meta = json.loads((out / "head.json").read_text())
    (out / "head.json").write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(InvalidInput, match="format 99"):
        load(_record(out), ModelSettings())
