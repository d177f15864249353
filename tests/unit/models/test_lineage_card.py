from pathlib import Path

from strata.models.card import render_card
from strata.models.layers import Layer, ModelKind, Source
from strata.models.lineage import lineage
from strata.models.store import ModelStore, NewModel


def _child(store: ModelStore, tmp_path: Path, parent_id: int, layer: Layer, name: str) -> int:
    built = tmp_path / f"built-{name}"
    built.mkdir()
    (built / "weights.safetensors").write_bytes(b"x" * 8)
    data = [{"dataset": "requests", "version": 2, "columns": ["text", "intent"], "role": "labels"}]
    new = NewModel(
        layer=layer,
        name=name,
        kind=ModelKind.ENCODER,
        backend="sentence-transformers",
        source=Source.TRAINED,
        uri="",
        parent_id=parent_id,
        details={"data": data, "spec": {"epochs": 1}},
        metrics={"accuracy": 0.91},
    )
    return store.add_trained(new, built, tmp_path / "models").id


def test_lineage_runs_from_data_to_l2(
    store: ModelStore, tmp_path: Path, tiny_encoder: Path
) -> None:
    root, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    l1 = _child(store, tmp_path, root.id, Layer.L1_INDUSTRY, "finance")
    _child(store, tmp_path, l1, Layer.L2_TASK, "intents")
    steps = lineage(store, store.resolve("l2/intents"))
    assert [(s.stage, s.ref) for s in steps] == [
        ("l0", "l0/tiny-encoder@1"),
        ("data", "requests@2"),
        ("l1", "l1/finance@1"),
        ("data", "requests@2"),
        ("l2", "l2/intents@1"),
    ]
    assert "accuracy 0.9100" in steps[-1].detail


def test_card_names_base_data_spec_metrics(
    store: ModelStore, tmp_path: Path, tiny_encoder: Path
) -> None:
    root, _ = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    record = store.get(_child(store, tmp_path, root.id, Layer.L1_INDUSTRY, "finance"))
    card = render_card(record, root)
    for needle in (
        "# l1/finance@1",
        "**Base**: l0/tiny-encoder@1",
        "`requests@2`",
        '"epochs": 1',
        "| accuracy | 0.9100 |",
        "## Intended use",
        "## Limits",
    ):
        assert needle in card
