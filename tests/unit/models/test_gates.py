from pathlib import Path

import pytest

from strata.core.errors import InvalidInput
from strata.models.errors import GateFailed, InvalidModelRef
from strata.models.gates import Gate, failing, parse_gate
from strata.models.layers import Layer, ModelKind, Source
from strata.models.store import ModelStore, NewModel


def test_parse_and_check() -> None:
    gate = parse_gate("accuracy >= 0.93")
    assert gate == Gate("accuracy", ">=", 0.93) and str(gate) == "accuracy>=0.93"
    assert gate.passes({"accuracy": 0.95}) and not gate.passes({"accuracy": 0.9})
    assert not gate.passes({})
    assert failing([gate, parse_gate("far<=0.12")], {"accuracy": 0.9, "far": 0.1}) == [
        "accuracy>=0.93 (measured 0.9)"
    ]


@pytest.mark.parametrize("text", ["accuracy", "accuracy=>0.9", ">=0.9", "acc>=high"])
def test_bad_gates(text: str) -> None:
    with pytest.raises(InvalidInput, match="METRIC>=VALUE"):
        parse_gate(text)


def _trained(store: ModelStore, tmp_path: Path, tiny_encoder: Path, gates: list[str]) -> str:
    built = tmp_path / "built"
    built.mkdir()
    (built / "model.safetensors").write_bytes((tiny_encoder / "model.safetensors").read_bytes())
    new = NewModel(
        layer=Layer.L2_TASK,
        name="intents",
        kind=ModelKind.CLASSIFIER,
        backend="strata-head",
        source=Source.TRAINED,
        uri="",
        details={"gates": gates},
    )
    record = store.add_trained(new, built, tmp_path / "models")
    assert Path(record.uri) == tmp_path / "models" / "l2" / "intents" / "1"
    assert not built.exists() and (Path(record.uri) / "model.safetensors").is_file()
    return record.ref


def test_promote_refuses_below_gate_and_accepts_above(
    store: ModelStore, tmp_path: Path, tiny_encoder: Path
) -> None:
    ref = _trained(store, tmp_path, tiny_encoder, ["accuracy>=0.9"])
    store.set_metrics(ref, {"accuracy": 0.8}, {"metrics": {"accuracy": 0.8}})
    with pytest.raises(GateFailed, match=r"accuracy>=0.9 \(measured 0.8\)"):
        store.promote(ref, "production")
    assert store.resolve(ref).aliases == ()
    store.set_metrics(ref, {"accuracy": 0.95}, {"metrics": {"accuracy": 0.95}})
    promoted = store.promote(ref, "production")
    assert promoted.aliases == ("production",)
    assert store.resolve("l2/intents:production").ref == ref
    with pytest.raises(InvalidModelRef):
        store.promote(ref, "Prod Uction")
