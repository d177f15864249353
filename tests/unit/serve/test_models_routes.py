"""/v1/models, /v1/embeddings (equal to `strata embed`) and /v1/classifications, tenant scoping."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from starlette.testclient import TestClient
from typer.testing import CliRunner

from strata.cli import models as models_cli
from strata.core.catalog import Catalog
from strata.models.layers import Layer, ModelKind
from strata.models.records import ModelRow
from strata.models.store import ModelStore

from .conftest import MakeKey, bearer


@pytest.fixture
def registered(gw_catalog: Catalog, tiny_encoder: Path, tiny_classifier: Path) -> ModelStore:
    store = ModelStore(gw_catalog)
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="tiny-enc")
    record, _ = store.add_folder(
        tiny_classifier, kind=ModelKind.CLASSIFIER, layer=Layer.L2_TASK, name="intents"
    )
    store.promote(record.ref, "production")
    return store


def _strata_embed(home: Path, ref: str, texts: list[str]) -> list[list[float]]:
    app = typer.Typer()
    app.callback()(lambda: None)
    models_cli.register(app)
    result = CliRunner().invoke(
        app, ["embed", ref, *texts, "--json"], env={"STRATA_HOME": str(home)}
    )
    assert result.exit_code == 0, result.output
    return [row["embedding"] for row in json.loads(result.stdout)["data"]]


def test_embeddings_match_strata_embed(
    client: TestClient, make_key: MakeKey, registered: ModelStore, tmp_path: Path
) -> None:
    texts = ["my card has not arrived", "hello world", "i was charged twice"]
    body = {"model": "l0/tiny-enc", "input": texts}
    response = client.post("/v1/embeddings", headers=bearer(make_key()), json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["object"] == "list" and data["model"] == "l0/tiny-enc@1"
    assert [d["index"] for d in data["data"]] == [0, 1, 2]
    assert data["usage"]["prompt_tokens"] > 0
    got = np.array([d["embedding"] for d in data["data"]])
    expected = np.array(_strata_embed(tmp_path / "home", "l0/tiny-enc", texts))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_embeddings_base64_and_single_string(
    client: TestClient, make_key: MakeKey, registered: ModelStore
) -> None:
    body = {"model": "l0/tiny-enc", "input": "hello", "encoding_format": "base64"}
    data = client.post("/v1/embeddings", headers=bearer(make_key()), json=body).json()
    vector = np.frombuffer(base64.b64decode(data["data"][0]["embedding"]), dtype="<f4")
    assert vector.shape == (16,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_classifications_return_labels_and_scores(
    client: TestClient, make_key: MakeKey, registered: ModelStore
) -> None:
    body = {"model": "l2/intents:production", "input": ["my card has not arrived", "hello"]}
    response = client.post("/v1/classifications", headers=bearer(make_key()), json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == 2
    for item in data:
        assert item["label"] in {"negative", "positive"}
        assert sum(label["score"] for label in item["labels"]) == pytest.approx(1.0, abs=1e-5)
        assert item["label"] == item["labels"][0]["label"]
    wrong = client.post(
        "/v1/classifications",
        headers=bearer(make_key()),
        json={"model": "l0/tiny-enc", "input": "x"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "wrong_model_kind"


def test_concurrent_embeddings_share_batches(
    client: TestClient, make_key: MakeKey, registered: ModelStore
) -> None:
    import concurrent.futures

    key = make_key()
    texts = [f"hello world {i}" for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda t: client.post(
                    "/v1/embeddings", headers=bearer(key), json={"model": "l0/tiny-enc", "input": t}
                ).json()["data"][0]["embedding"],
                texts,
            )
        )
    expected = _direct(registered, texts)
    np.testing.assert_allclose(np.array(results), expected, atol=1e-5)


def _direct(store: ModelStore, texts: list[str]) -> np.ndarray:
    from strata.core.settings import ModelSettings
    from strata.models.runtime import ModelRuntime

    _, encoder = ModelRuntime(store, ModelSettings()).encoder("l0/tiny-enc")
    return encoder.embed(texts)


def test_models_list_layer_parent_aliases_and_tenant_scope(
    client: TestClient, make_key: MakeKey, registered: ModelStore, gw_catalog: Catalog
) -> None:
    intents = registered.resolve("l2/intents")
    with gw_catalog.session() as session:
        row = session.get(ModelRow, intents.id)
        assert row is not None
        row.parent_id = registered.resolve("l0/tiny-enc").id
        private = ModelRow(
            **{
                c: getattr(row, c)
                for c in ("layer", "kind", "backend", "source", "uri", "details", "metrics")
            },
            name="globex-only",
            version=1,
            tenant="globex",
        )
        session.add(private)
    client.app.state.services._resolved.clear()
    acme = client.get("/v1/models", headers=bearer(make_key("acme"))).json()["data"]
    ids = {m["id"]: m for m in acme}
    assert "l2/intents@1" in ids and "l2/globex-only@1" not in ids
    assert ids["l2/intents@1"]["layer"] == "l2"
    assert ids["l2/intents@1"]["parent"] == "l0/tiny-enc@1"
    assert ids["l2/intents@1"]["aliases"] == ["l2/intents:production"]
    globex = client.get("/v1/models", headers=bearer(make_key("globex"))).json()["data"]
    assert "l2/globex-only@1" in {m["id"] for m in globex}
    hidden = client.post(
        "/v1/classifications",
        headers=bearer(make_key("acme")),
        json={"model": "l2/globex-only@1", "input": "x"},
    )
    assert hidden.status_code == 404
