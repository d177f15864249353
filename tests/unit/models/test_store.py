from pathlib import Path

import pytest

from strata.core.errors import InvalidInput
from strata.models.errors import InvalidModelFolder, ModelNotFound, UnsafeWeights
from strata.models.layers import Layer, ModelKind, Source
from strata.models.store import ModelStore


def test_register_folder_records_every_file_sha256(store: ModelStore, tiny_encoder: Path) -> None:
    record, created = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    assert created
    assert record.ref == "l0/tiny-encoder@1"
    assert record.source == Source.FOLDER
    paths = {f.path for f in record.files}
    assert {"model.safetensors", "config.json"} <= paths
    assert all(len(f.sha256) == 64 and f.size > 0 for f in record.files)


def test_re_adding_the_same_folder_changes_nothing(store: ModelStore, tiny_encoder: Path) -> None:
    first, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    again, created = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    assert not created and again.ref == first.ref
    assert len(store.list()) == 1


def test_changed_weights_make_a_new_version(store: ModelStore, tiny_encoder: Path) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    (tiny_encoder / "config.json").write_text(
        (tiny_encoder / "config.json").read_text().replace("}", ', "strata_note": 1}', 1)
    )
    record, created = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    assert created and record.version == 2
    assert store.resolve("l0/tiny-encoder").version == 2
    assert store.resolve("l0/tiny-encoder@1").version == 1


def test_pickle_weights_are_refused(store: ModelStore, tiny_encoder: Path) -> None:
    (tiny_encoder / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(UnsafeWeights, match=r"pytorch_model\.bin") as info:
        store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    assert "safe_serialization" in (info.value.hint or "")
    assert store.list() == []


def test_folder_without_safetensors_is_refused(store: ModelStore, tiny_encoder: Path) -> None:
    (tiny_encoder / "model.safetensors").unlink()
    with pytest.raises(InvalidModelFolder, match=r"no \*\.safetensors"):
        store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)


def test_missing_folder_names_the_path(store: ModelStore, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(InvalidModelFolder, match="nope"):
        store.add_folder(missing, kind=ModelKind.ENCODER)


def test_kind_must_match_architecture(store: ModelStore, tiny_encoder: Path) -> None:
    with pytest.raises(InvalidModelFolder, match="not a generator"):
        store.add_folder(tiny_encoder, kind=ModelKind.GENERATOR)


def test_endpoint_stores_the_variable_name_only(store: ModelStore) -> None:
    record, created = store.add_endpoint(
        "http://127.0.0.1:9/v1/", model="llama3.1:8b", api_key_env="MY_KEY"
    )
    assert created and record.ref == "l0/llama3.1-8b@1"
    assert record.uri == "http://127.0.0.1:9/v1"
    assert record.api_key_env == "MY_KEY" and record.files == ()


@pytest.mark.parametrize(
    ("url", "key_env"),
    [("ftp://host/v1", None), ("not a url", None), ("http://h/v1", "sk-123 abc")],
)
def test_endpoint_input_is_validated(store: ModelStore, url: str, key_env: str | None) -> None:
    with pytest.raises(InvalidInput):
        store.add_endpoint(url, model="m", api_key_env=key_env)


def test_not_found_lists_known_versions(store: ModelStore, tiny_encoder: Path) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, layer=Layer.L1_INDUSTRY, name="fin")
    with pytest.raises(ModelNotFound, match="known version 1") as info:
        store.resolve("l1/fin@7")
    assert info.value.hint == "Try: strata models ls l1/fin"
    with pytest.raises(ModelNotFound, match="no model named l2/ghost"):
        store.resolve("l2/ghost")


def test_an_export_counts_as_the_version_it_was_made_from(store: ModelStore) -> None:
    from strata.models.store import NewModel

    def version(backend: str, details: dict[str, object], parent: int | None) -> NewModel:
        return NewModel(
            layer=Layer.L2_TASK,
            name="detector",
            kind=ModelKind.CLASSIFIER,
            backend=backend,
            source=Source.TRAINED,
            uri=f"/models/{backend}",
            parent_id=parent,
            details=details,
        )

    trained, _ = store.add(version("strata-head", {"job_key": "k1"}, None))
    export, _ = store.add(version("onnx", {"optimized_from": trained.ref}, trained.id))
    assert export.version == 2
    found = store.find_job(Layer.L2_TASK, "detector", "k1")
    assert found is not None and found.ref == trained.ref
    assert store.find_job(Layer.L2_TASK, "detector", "k2") is None
