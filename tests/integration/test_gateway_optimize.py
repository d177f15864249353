"""`strata models optimize`: ONNX export of a tiny encoder and classifier, agreement recorded on the
new version, and the gateway serving it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.models.layers import Layer, ModelKind
from strata.models.optimize import OptimizeSpec, optimize
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore
from strata.serve.app import create_app
from strata.serve.auth import KeyStore, Limits

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
    assert encoder.details["precision"] in {"int8", "fp32"}
    assert encoder.details["agreement"]["mean_cosine"] > 0.99
    assert encoder.parent_id == store.resolve("l0/enc@1").id

    classifier = optimize(runtime, OptimizeSpec("l2/cls", texts=TEXTS), root)
    assert classifier.metrics["onnx_agreement"]["top1_agreement"] >= 0.99

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
