"""`models.use_optimized`: a model pinned by version runs as its newest ONNX export
(`strata models optimize`, real export of the tiny encoder) when the setting is on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from strata.core.settings import Settings
from strata.models.errors import WrongModelKind
from strata.models.layers import ModelKind
from strata.models.optimize import OptimizeSpec, optimize
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

TEXTS = ("my card has not arrived", "i was charged twice", "hello world", "the coffee is the same")

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
]


def _export(runtime: ModelRuntime, settings: Settings, ref: str) -> str:
    return optimize(runtime, OptimizeSpec(ref, texts=TEXTS), settings.home / "models").ref


def test_optimized_is_the_newest_onnx_export(
    store: ModelStore, runtime: ModelRuntime, settings: Settings, tiny_encoder: Path
) -> None:
    torch_record, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    assert store.optimized(torch_record) is None
    first = _export(runtime, settings, torch_record.ref)
    found = store.optimized(torch_record)
    assert found is not None and (found.ref, found.backend) == (first, "onnx") == (
        "l0/tiny-encoder@2",
        "onnx",
    )
    assert found.parent_id == torch_record.id
    assert store.optimized(found) is None  # an export has no export of its own
    second = _export(runtime, settings, torch_record.ref)
    newest = store.optimized(torch_record)
    assert newest is not None and newest.ref == second == "l0/tiny-encoder@3"


def test_serving_runs_the_export_only_when_the_setting_is_on(
    store: ModelStore, runtime: ModelRuntime, settings: Settings, tiny_encoder: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    record, _ = runtime.serving("l0/tiny-encoder@1", ModelKind.ENCODER)
    assert record.ref == "l0/tiny-encoder@1"  # no export yet: the model itself
    export = _export(runtime, settings, "l0/tiny-encoder@1")

    record, model = runtime.serving("l0/tiny-encoder@1", ModelKind.ENCODER)
    assert (record.ref, record.backend) == (export, "onnx")
    torch_record, torch_model = runtime.encoder("l0/tiny-encoder@1")  # `load` is unchanged
    assert torch_record.backend == "sentence-transformers"
    cosines = np.sum(model.embed(list(TEXTS)) * torch_model.embed(list(TEXTS)), axis=1)
    assert cosines.min() > 0.97
    assert runtime.serving(export, ModelKind.ENCODER)[0].ref == export

    off = settings.models.model_copy(update={"use_optimized": False})
    plain = ModelRuntime(store, off)
    assert plain.serving("l0/tiny-encoder@1", ModelKind.ENCODER)[0].ref == "l0/tiny-encoder@1"
    with pytest.raises(WrongModelKind, match="not a classifier"):
        runtime.serving("l0/tiny-encoder@1", ModelKind.CLASSIFIER)
