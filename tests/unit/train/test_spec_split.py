import hashlib
import json
from collections import Counter

import numpy as np
import pytest

from strata.train.errors import InvalidJobSpec, InvalidTrainingData
from strata.train.spec import AdaptSpec, TuneSpec, parse_columns
from strata.train.split import few_shots, stratified_split


def test_parse_columns() -> None:
    ref = parse_columns("banking-requests@3:text,category", 2, "--data")
    assert (ref.dataset, ref.version, ref.columns) == ("banking-requests", 3, ("text", "category"))
    assert str(ref) == "banking-requests@3:text,category"
    with pytest.raises(InvalidJobSpec, match="DATASET"):
        parse_columns("banking-requests:text", 2, "--data")


def test_tune_spec_validation() -> None:
    spec = TuneSpec(
        base="l0/minilm-l6", name="intents", data="req:text,intent", gates=("accuracy >= 0.9",)
    )
    assert spec.gates == ("accuracy>=0.9",)
    with pytest.raises(InvalidJobSpec, match="too few"):
        TuneSpec(base="l0/minilm-l6", name="x", data="req:text,intent", shots=1)
    with pytest.raises(InvalidJobSpec, match="--features"):
        TuneSpec(name="pump", task="anomaly", data="skab")
    with pytest.raises(InvalidJobSpec, match="--base"):
        TuneSpec(name="x", data="req:text,intent")


def test_same_spec_same_key() -> None:
    a = AdaptSpec(base="l0/minilm-l6", name="finance", corpus="req:text")
    b = AdaptSpec(base="l0/minilm-l6", name="finance", corpus="req:text")
    assert a.key(data=[1]) == b.key(data=[1]) != a.key(data=[2])
    with pytest.raises(InvalidJobSpec, match="needs data"):
        AdaptSpec(base="l0/minilm-l6", name="finance")


def test_split_is_stratified_and_reproducible() -> None:
    labels = ["a"] * 50 + ["b"] * 10 + ["c"] * 2
    train, val = stratified_split(labels, 0.2, seed=0)
    again_train, again_val = stratified_split(labels, 0.2, seed=0)
    assert np.array_equal(val, again_val) and np.array_equal(train, again_train)
    assert set(train).isdisjoint(val) and len(train) + len(val) == len(labels)
    assert Counter(labels[i] for i in val) == {"a": 10, "b": 2, "c": 1}
    assert not np.array_equal(val, stratified_split(labels, 0.2, seed=1)[1])


def test_single_example_label_is_refused() -> None:
    with pytest.raises(InvalidTrainingData, match="'lonely' has a single example"):
        stratified_split(["a", "a", "lonely"], 0.2, seed=0)


def test_few_shots_take_k_per_label_from_train_only() -> None:
    labels = ["a"] * 20 + ["b"] * 20
    train, _ = stratified_split(labels, 0.2, seed=0)
    shots = few_shots(train, labels, 4, seed=0)
    assert Counter(labels[i] for i in shots) == {"a": 4, "b": 4}
    assert set(shots) <= set(train)


def test_lexical_and_margin_are_keyed_only_when_set() -> None:
    plain = TuneSpec(base="l0/minilm-l6", name="x", data="req:text,intent")
    # Unset, the fields stay out of the key: models built before they existed are still found.
    late = ("lexical", "threshold_margin")
    without = {k: v for k, v in plain.model_dump().items() if k not in late}
    legacy = json.dumps({"spec": without, "base": "b"}, sort_keys=True, default=str)
    assert plain.key(base="b") == hashlib.sha256(legacy.encode()).hexdigest()
    keys = {TuneSpec(**{**plain.model_dump(), "lexical": v}).key(base="b") for v in ("on", "off")}
    assert len(keys) == 2 and plain.key(base="b") not in keys
    with pytest.raises(ValueError, match="lexical"):
        TuneSpec(base="l0/minilm-l6", name="x", data="req:text,intent", lexical="maybe")
    anomaly = TuneSpec(name="x", task="anomaly", data="telemetry", features=("a",))
    margin = TuneSpec(**{**anomaly.model_dump(), "threshold_margin": 1.5}).key()
    assert margin != anomaly.key()
    with pytest.raises(ValueError, match="threshold_margin"):
        TuneSpec(name="x", task="anomaly", data="telemetry", features=("a",), threshold_margin=0)
    with pytest.raises(InvalidJobSpec, match="applies to anomaly detectors"):
        TuneSpec(base="l0/minilm-l6", name="x", data="req:text,intent", threshold_margin=1.5)
