from pathlib import Path

import numpy as np
import pytest

from strata.models.backends.base import ChatMessage
from strata.models.errors import WeightsTampered, WrongModelKind
from strata.models.layers import ModelKind
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore


def test_tiny_encoder_embeds_unit_vectors(
    store: ModelStore, runtime: ModelRuntime, tiny_encoder: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    record, encoder = runtime.encoder("l0/tiny-encoder")
    vectors = encoder.embed(["my card has not arrived", "hello world"])
    assert vectors.shape == (2, encoder.dimension) == (2, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    assert record.ref == "l0/tiny-encoder@1"


def test_tampered_weights_refuse_to_load(
    store: ModelStore, runtime: ModelRuntime, tiny_encoder: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    weights = tiny_encoder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(WeightsTampered, match=r"model\.safetensors has sha256") as info:
        runtime.encoder("l0/tiny-encoder")
    assert info.value.context["actual"] != info.value.context["expected"]


def test_missing_weight_file_refuses_to_load(
    store: ModelStore, runtime: ModelRuntime, tiny_encoder: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    (tiny_encoder / "model.safetensors").unlink()
    with pytest.raises(WeightsTampered, match="missing"):
        runtime.encoder("l0/tiny-encoder")


def test_tiny_causal_lm_generates_greedily(
    store: ModelStore, runtime: ModelRuntime, tiny_generator: Path
) -> None:
    store.add_folder(tiny_generator, kind=ModelKind.GENERATOR)
    _, generator = runtime.generator("l0/tiny-lm")
    messages = [ChatMessage("user", "hello world")]
    first = generator.generate(messages, max_new_tokens=6)
    second = generator.generate(messages, max_new_tokens=6)
    assert first == second
    assert first.text.strip()
    assert first.completion_tokens == 6 and first.finish_reason == "length"
    assert first.prompt_tokens > 0


def test_tiny_classifier_scores_sum_to_one(
    store: ModelStore, runtime: ModelRuntime, tiny_classifier: Path
) -> None:
    store.add_folder(tiny_classifier, kind=ModelKind.CLASSIFIER)
    _, classifier = runtime.classifier("l0/tiny-classifier")
    [scores] = classifier.classify(["i was charged twice"])
    assert {label for label, _ in scores} == {"negative", "positive"}
    assert sum(score for _, score in scores) == pytest.approx(1.0)
    assert scores[0][1] >= scores[1][1]


def test_wrong_kind_is_refused(
    store: ModelStore, runtime: ModelRuntime, tiny_encoder: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    with pytest.raises(WrongModelKind, match="is a encoder, not a generator"):
        runtime.generator("l0/tiny-encoder")
