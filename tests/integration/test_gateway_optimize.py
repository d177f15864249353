"""`strata models optimize`: ONNX export of a tiny encoder and classifier, agreement recorded on the
new version, and the gateway serving it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from starlette.testclient import TestClient

from fixtures.tiny_models import INTENT_TEXTS
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.models.backends.onnx import OnnxClassifier
from strata.models.backends.runners import OpenVinoRunner
from strata.models.layers import Layer, ModelKind, Source
from strata.models.optimize import OptimizeSpec, optimize
from strata.models.records import ModelRecord
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore, NewModel
from strata.serve.app import create_app
from strata.serve.auth import KeyStore, Limits
from strata.train.classify import ClassifyOptions, train_classifier

TEXTS = ("my card has not arrived", "i was charged twice", "hello world", "the coffee is the same")


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_optimize_then_serve(tmp_path: Path, tiny_encoder: Path, tiny_classifier: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    catalog = Catalog(settings.catalog_url)
    store = ModelStore(catalog)
    runtime = ModelRuntime(store, settings.models)
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    store.add_folder(tiny_classifier, kind=ModelKind.CLASSIFIER, layer=Layer.L2_TASK, name="cls")
    root = settings.home / "models"

    encoder = optimize(runtime, OptimizeSpec("l0/enc", texts=TEXTS), root)
    assert encoder.ref == "l0/enc@2" and encoder.backend == "onnx"
    assert encoder.details["optimized_from"] == "l0/enc@1"
    assert encoder.details["precision"] in {"bf16", "int8", "fp32"}
    assert encoder.details["agreement"]["mean_cosine"] > 0.99
    assert encoder.parent_id == store.resolve("l0/enc@1").id

    classifier = optimize(runtime, OptimizeSpec("l2/cls", texts=TEXTS), root)
    assert classifier.metrics["onnx_agreement"]["top1_agreement"] >= 0.99
    full = optimize(runtime, OptimizeSpec("l0/enc@1", texts=TEXTS, precision="fp32"), root)
    assert full.ref == "l0/enc@3" and full.details["precision"] == "fp32"
    assert list(full.details["tried"]) == ["fp32"]
    assert full.details["agreement"]["min_cosine"] > 0.999

    key, _ = KeyStore(catalog).create("acme", ("inference",), Limits())
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, catalog=catalog)) as client:
        served = client.post(
            "/v1/embeddings", headers=headers, json={"model": "l0/enc@2", "input": list(TEXTS)}
        ).json()
        labels = client.post(
            "/v1/classifications", headers=headers, json={"model": "l2/cls@2", "input": list(TEXTS)}
        ).json()
    _, torch_encoder = runtime.encoder("l0/enc@1")
    got = np.array([d["embedding"] for d in served["data"]])
    cosines = np.sum(got * torch_encoder.embed(list(TEXTS)), axis=1)
    assert cosines.min() > 0.97
    _, torch_classifier = runtime.classifier("l2/cls@1")
    expected = [r[0][0] for r in torch_classifier.classify(list(TEXTS))]
    assert [d["label"] for d in labels["data"]] == expected
    catalog.dispose()


def _head_model(
    store: ModelStore, tiny_encoder: Path, root: Path, labels: list[Any], name: str
) -> ModelRecord:
    built = root / f".build-{name}"
    options = ClassifyOptions(mode="fast", lexical="on")
    train_classifier(tiny_encoder, INTENT_TEXTS, labels, built, options)
    new = NewModel(
        layer=Layer.L2_TASK,
        name=name,
        kind=ModelKind.CLASSIFIER,
        backend="strata-head",
        source=Source.TRAINED,
        uri="",
        metrics={"injection_threshold": 0.7},
    )
    return store.add_trained(new, built, root)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.parametrize("multi_label", [False, True])
def test_optimize_head_classifier(
    tmp_path: Path, tiny_encoder: Path, store: ModelStore, runtime: ModelRuntime, multi_label: bool
) -> None:
    root = tmp_path / "models-root"
    root.mkdir()
    labels: list[Any] = ["card"] * 3 + ["charge"] * 3
    if multi_label:
        labels = [["card"], ["card"], ["card", "charge"], ["charge"], ["charge"], ["charge"]]
    _head_model(store, tiny_encoder, root, labels, "intents")

    made = optimize(runtime, OptimizeSpec("l2/intents", texts=TEXTS), root)

    assert made.ref == "l2/intents@2" and made.backend == "onnx"
    assert made.metrics["injection_threshold"] == 0.7  # calibrations carry over
    report = made.details["agreement"]
    assert report["top1_agreement"] >= 0.99 and report["max_score_diff"] <= 0.05
    _, torch_model = runtime.classifier("l2/intents@1")
    before = torch.get_num_threads()
    runtime.use_threads(1)  # as the gateway does (serve.model_threads)
    _, onnx_model = runtime.classifier("l2/intents@2")
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)
    runner = onnx_model.model.runner
    if isinstance(runner, OpenVinoRunner):
        assert runner.compiled.get_property("INFERENCE_NUM_THREADS") == 1
    else:
        assert runner.session.get_session_options().intra_op_num_threads == 1
    assert onnx_model.labels == torch_model.labels
    probe = [*INTENT_TEXTS, "something else entirely"]
    for want, got in zip(torch_model.classify(probe), onnx_model.classify(probe), strict=True):
        assert got[0][0] == want[0][0]
        assert dict(got) == pytest.approx(dict(want), abs=0.05)
    assert isinstance(onnx_model, OnnxClassifier)
    assert onnx_model.lexical is not None  # the head's TF-IDF block is served beside the graph
    assert onnx_model.predict(probe[:2]) == torch_model.predict(probe[:2])  # type: ignore[attr-defined]
