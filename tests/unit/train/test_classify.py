"""train_classifier on tiny data: artifact layout, modes, multi-label, errors, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from strata.train.classify import ClassifyOptions, train_classifier
from strata.train.classify_data import augment, calibration_rows, label_text, prepare_examples
from strata.train.errors import InvalidJobSpec, InvalidTrainingData

TEXTS = [
    "my card has not arrived",
    "the card is not here to me",
    "has my card arrived",
    "i was charged twice for the coffee",
    "charged twice for the same coffee",
    "i was charged for coffee twice",
    "hello world",
    "hello to the world",
    "a hello world",
]
LABELS = ["card_arrival"] * 3 + ["double_charge"] * 3 + ["greeting"] * 3
FAST = ClassifyOptions(mode="fast", c_grid=(1.0, 10.0), lexical="on")


def test_fast_artifact_has_body_head_and_no_pickle(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    facts = train_classifier(tiny_encoder, TEXTS, LABELS, out, FAST)
    meta = json.loads((out / "head.json").read_text())
    head = load_file(str(out / "head.safetensors"))
    assert meta["format"] == 2 and meta["lexical"] is True
    assert meta["labels"] == ["card_arrival", "double_charge", "greeting"]
    assert meta["multi_label"] is False
    assert head["weight"].shape[0] == 3 and head["bias"].shape == (3,)
    assert head["lexical_weight"].shape == (3, facts["lexical_terms"])
    assert (out / "lexical.json").is_file()
    assert (out / "body" / "model.safetensors").is_file()
    assert not [p for p in out.rglob("*") if p.suffix in {".pkl", ".pickle", ".bin", ".pt"}]
    assert facts["examples"] == 9 and facts["labels"] == 3 and facts["mode"] == "fast"
    json.dumps(facts)


def test_without_lexical_features_the_artifact_is_format_1(
    tiny_encoder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    facts = train_classifier(
        tiny_encoder, TEXTS, LABELS, out, ClassifyOptions(c_grid=(1.0,), lexical="off")
    )
    meta = json.loads((out / "head.json").read_text())
    assert meta["format"] == 1 and meta["lexical"] is False
    assert set(load_file(str(out / "head.safetensors"))) == {"weight", "bias"}
    assert not (out / "lexical.json").exists() and facts["lexical_terms"] == 0


def test_lexical_weights_carry_the_deciding_words(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    train_classifier(tiny_encoder, TEXTS, LABELS, out, FAST)
    terms = json.loads((out / "lexical.json").read_text())["terms"]
    weight = load_file(str(out / "head.safetensors"))["lexical_weight"]
    charge = ["card_arrival", "double_charge", "greeting"].index("double_charge")
    # "twice" appears only in the double-charge examples: it pulls towards that label.
    assert int(weight[:, terms.index("twice")].argmax()) == charge


def test_fast_mode_hard_links_the_parent_body(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    train_classifier(tiny_encoder, TEXTS, LABELS, out, FAST)
    source = tiny_encoder / "model.safetensors"
    assert (out / "body" / "model.safetensors").stat().st_ino == source.stat().st_ino


def test_body_mode_writes_tuned_safetensors(tiny_encoder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    options = ClassifyOptions(mode="body", epochs=1, c_grid=(1.0,))
    facts = train_classifier(tiny_encoder, TEXTS, LABELS, out, options)
    assert facts["body_steps"] >= 1
    assert (out / "body" / "modules.json").is_file()
    assert list((out / "body").rglob("*.safetensors"))
    source = tiny_encoder / "model.safetensors"
    tuned = next((out / "body").rglob("model.safetensors"))
    assert tuned.stat().st_ino != source.stat().st_ino


def test_same_seed_same_head(tiny_encoder: Path, tmp_path: Path) -> None:
    options = ClassifyOptions(mode="body", epochs=1, c_grid=(1.0, 10.0), seed=3)
    train_classifier(tiny_encoder, TEXTS, LABELS, tmp_path / "a", options)
    train_classifier(tiny_encoder, TEXTS, LABELS, tmp_path / "b", options)
    a = load_file(str(tmp_path / "a" / "head.safetensors"))
    b = load_file(str(tmp_path / "b" / "head.safetensors"))
    np.testing.assert_allclose(a["weight"], b["weight"], atol=1e-5)


def test_multi_label(tiny_encoder: Path, tmp_path: Path) -> None:
    labels = [["card"], ["card"], ["card", "charge"], ["charge"], ["charge"], ["charge"]]
    out = tmp_path / "model"
    facts = train_classifier(tiny_encoder, TEXTS[:6], labels, out, FAST)
    meta = json.loads((out / "head.json").read_text())
    assert meta["multi_label"] is True and meta["labels"] == ["card", "charge"]
    assert 0.0 < meta["threshold"] < 1.0
    assert facts["task"] == "multi_label"


def test_progress_reports_stages(tiny_encoder: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    train_classifier(
        tiny_encoder, TEXTS, LABELS, tmp_path / "m", FAST, lambda s, f: seen.append((s, f))
    )
    stages = [stage for stage, _ in seen]
    assert "embed" in stages and stages[-1] == "write"
    assert all(0.0 <= fraction <= 1.0 for _, fraction in seen)


@pytest.mark.parametrize(
    ("texts", "labels", "needle"),
    [
        ([], [], "empty"),
        (["a b c", "d e f"], ["x"], "2 texts but 1 labels"),
        (["a b c", "d e f"], ["x", "x"], "at least 2 labels"),
        (["a b c", "  "], ["x", "y"], "empty"),
        (["a b c", "d e f"], [["x"], []], "empty list"),
    ],
)
def test_bad_data_raises(
    tiny_encoder: Path, tmp_path: Path, texts: list[str], labels: list[str], needle: str
) -> None:
    with pytest.raises(InvalidTrainingData, match=needle) as info:
        train_classifier(tiny_encoder, texts, labels, tmp_path / "m", FAST)
    assert info.value.hint


@pytest.mark.parametrize(
    "bad",
    [
        {"mode": "slow"},
        {"epochs": 0},
        {"learning_rate": 0.0},
        {"label_smoothing": 1.0},
        {"c_grid": ()},
        {"augment_weight": 0.0},
    ],
)
def test_bad_options_raise(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidJobSpec) as info:
        ClassifyOptions(**bad)  # type: ignore[arg-type]
    assert info.value.hint


def test_label_names_become_examples() -> None:
    examples = prepare_examples(TEXTS, LABELS, label_names=True)
    assert examples.texts[-3:] == ["card arrival", "double charge", "greeting"]
    assert list(examples.targets[-3:]) == [0, 1, 2]
    assert label_text("card_payment-fee") == "card payment fee"


def test_augment_keeps_sources_and_weights() -> None:
    examples = prepare_examples(TEXTS, LABELS, label_names=False)
    augmented = augment(examples, variants=2, below=30, weight=0.5, seed=0)
    copies = len(augmented.texts) - len(examples.texts)
    assert copies == 2 * sum(len(t.split()) >= 3 for t in TEXTS)
    assert all(augmented.targets[i] == examples.targets[augmented.groups[i]] for i in range(copies))
    assert set(augmented.weights[len(examples.texts) :]) == {0.5}
    none = augment(examples, variants=2, below=2, weight=0.5, seed=0)
    assert len(none.texts) == len(examples.texts)


def test_body_mode_multi_label(tiny_encoder: Path, tmp_path: Path) -> None:
    labels = [["card"], ["card"], ["card", "charge"], ["charge"], ["charge"], ["charge"]]
    options = ClassifyOptions(mode="body", epochs=1, c_grid=(1.0,))
    facts = train_classifier(tiny_encoder, TEXTS[:6], labels, tmp_path / "m", options)
    assert facts["task"] == "multi_label" and facts["body_steps"] >= 1


def test_calibration_rows_hold_out_a_share_of_each_label() -> None:
    labels = ["a"] * 200 + ["b"] * 100 + ["c"] * 4
    texts = [f"text {i}" for i in range(len(labels))]
    examples = prepare_examples(texts, labels, label_names=True)
    held = calibration_rows(examples, 0.1, seed=0)
    counts = np.bincount(examples.targets[held], minlength=3)
    assert list(counts) == [20, 10, 0]  # a label with 4 examples keeps them all for tuning
    assert held.max() < examples.n_given  # label names always train
    assert list(held) == list(calibration_rows(examples, 0.1, seed=0))
    assert calibration_rows(examples, 0.05, seed=0).size == 0  # 15 rows: too few to fit on
    assert calibration_rows(examples, 0.0, seed=0).size == 0
    many = prepare_examples([f"t {i}" for i in range(4000)], ["a", "b"] * 2000, label_names=False)
    assert calibration_rows(many, 0.1, seed=0).size == 300  # capped: 400 would be held out


def test_body_mode_calibrates_on_examples_the_body_never_saw(
    tiny_encoder: Path, tmp_path: Path
) -> None:
    texts = [f"{t} {n}" for n in ("now", "today", "please", "again", "soon") for t in TEXTS]
    labels = LABELS * 5
    options = ClassifyOptions(mode="body", epochs=1, c_grid=(1.0,), calibration_fraction=0.5)
    facts = train_classifier(tiny_encoder, texts, labels, tmp_path / "m", options)
    assert facts["calibration"] == "24 held-out examples"  # round(7.5) = 8 of each label
    meta = json.loads((tmp_path / "m" / "head.json").read_text())
    assert 0.05 <= meta["temperature"] <= 20.0
    small = train_classifier(tiny_encoder, TEXTS, LABELS, tmp_path / "s", options)
    assert small["calibration"] == "out of fold"
