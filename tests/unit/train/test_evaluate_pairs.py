import numpy as np
import pytest

from strata.train.evaluate import (
    classification_report,
    expected_calibration_error,
    multilabel_report,
)
from strata.train.pairs import Pair, batches, label_pairs


def test_classification_report() -> None:
    truth = ["a", "a", "b", "b"]
    ranked = [
        [("a", 0.9), ("b", 0.1)],
        [("b", 0.6), ("a", 0.4)],
        [("b", 0.8), ("a", 0.2)],
        [("b", 0.7), ("a", 0.3)],
    ]
    report = classification_report(truth, ranked)
    assert report["metrics"]["accuracy"] == 0.75
    assert report["metrics"]["top3_accuracy"] == 1.0
    assert report["per_class"]["a"]["recall"] == 0.5
    assert report["confused_pairs"] == [{"true": "a", "predicted": "b", "count": 1}]
    assert 0 <= report["metrics"]["ece"] <= 1


def test_ece_is_zero_when_confidence_matches_accuracy() -> None:
    confidence = np.array([1.0, 1.0, 0.5, 0.5])
    correct = np.array([1.0, 1.0, 1.0, 0.0])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)


def test_multilabel_report() -> None:
    report = multilabel_report(
        [["x", "y"], ["y"]], [[("x", 0.9), ("y", 0.8)], [("y", 0.7), ("x", 0.6)]]
    )
    assert report["metrics"]["subset_accuracy"] == 0.5
    assert 0 < report["metrics"]["micro_f1"] < 1


def test_batches_never_mix_a_group() -> None:
    rng = np.random.default_rng(0)
    texts = [f"t{i}" for i in range(40)]
    labels = [f"l{i % 5}" for i in range(40)]
    pairs = label_pairs(texts, labels, 1000, rng)
    assert all(p.anchor != p.positive for p in pairs)
    seen = 0
    for batch in batches(pairs, 8, rng):
        groups = [p.group for p in batch]
        assert len(groups) == len(set(groups))
        seen += len(batch)
    assert seen == len(pairs)
    assert list(batches([Pair("a", "a", "g")], 4, rng)) == []
