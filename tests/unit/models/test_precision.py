"""Which precision `strata models optimize` tries, and the bf16 export run by OpenVINO."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from strata.core.errors import InvalidInput
from strata.models import optimize as optimize_module
from strata.models.backends.onnx import OnnxEncoder
from strata.models.backends.runners import OpenVinoRunner, native_bf16
from strata.models.layers import ModelKind
from strata.models.optimize import OptimizeSpec, candidates, fastest, optimize
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

TEXTS = tuple(
    f"request number {i} about card {i % 7} and a transfer" * (1 + i % 3) for i in range(40)
)


@pytest.mark.parametrize("bf16", [True, False])
def test_candidates_put_bf16_first_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch, bf16: bool
) -> None:
    monkeypatch.setattr(optimize_module, "native_bf16", lambda: bf16)
    expected = ["int8", "fp32-openvino", "fp32"]
    expected = ["bf16", *expected] if bf16 else expected
    assert candidates("auto") == expected
    assert candidates("int8") == ["int8", "fp32"]
    assert candidates("fp32") == ["fp32"]


def test_fastest_keeps_the_quickest_candidate_that_agreed() -> None:
    tried = {
        "bf16": {"ms_per_text": 9.0},
        "int8": {"ms_per_text": None},  # did not agree: never timed, never kept
        "fp32": {"ms_per_text": 6.5},
    }
    assert fastest(tried) == "fp32"
    assert fastest({**tried, "bf16": {"ms_per_text": 2.0}}) == "bf16"
    assert fastest({"int8": {"ms_per_text": 3.0}, "fp32": {"ms_per_text": 3.0}}) == "int8"


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_auto_times_every_candidate_that_agrees_and_keeps_the_fastest(
    tiny_encoder: Path, store: ModelStore, runtime: ModelRuntime, tmp_path: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    made = optimize(runtime, OptimizeSpec("l0/enc", texts=TEXTS[:8]), tmp_path)

    tried = made.details["tried"]
    assert list(tried) == candidates("auto")
    assert tried["fp32"]["ms_per_text"] > 0  # fp32 always agrees, so it is always timed
    assert made.details["precision"] == fastest(tried)
    manifest = json.loads((Path(made.uri) / "onnx.json").read_text())
    assert manifest["precision"] == made.details["precision"]  # the kept graph is staged


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_an_fp32_export_can_run_on_openvino_in_f32(
    tiny_encoder: Path, store: ModelStore, runtime: ModelRuntime, tmp_path: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    made = optimize(runtime, OptimizeSpec("l0/enc", texts=TEXTS, precision="fp32"), tmp_path)
    folder = Path(made.uri)
    assert made.details["runtime"] == "onnxruntime"
    manifest = json.loads((folder / "onnx.json").read_text())
    (folder / "onnx.json").write_text(json.dumps({**manifest, "runtime": "openvino"}))

    encoder = OnnxEncoder(folder)
    assert isinstance(encoder.model.runner, OpenVinoRunner)
    hint = encoder.model.runner.compiled.get_property("INFERENCE_PRECISION_HINT")
    assert str(hint).lower() in {"f32", "<type: 'float32'>"}
    _, torch_encoder = runtime.encoder("l0/enc@1")
    want = torch_encoder.embed(list(TEXTS))
    assert np.sum(want * encoder.embed(list(TEXTS)), axis=1).min() > 0.9999


def test_bf16_is_refused_on_a_cpu_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optimize_module, "native_bf16", lambda: False)
    with pytest.raises(InvalidInput, match="no native bf16"):
        candidates("bf16")


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'fp8'") as caught:
        candidates("fp8")
    assert "auto, bf16, int8, fp32" in (caught.value.hint or "")


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16 (AVX-512 BF16 or AMX)")
def test_bf16_export_runs_on_openvino_close_to_torch(
    tiny_encoder: Path, store: ModelStore, runtime: ModelRuntime, tmp_path: Path
) -> None:
    store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="enc")
    made = optimize(runtime, OptimizeSpec("l0/enc", texts=TEXTS, precision="bf16"), tmp_path)

    assert made.details["precision"] == "bf16" and list(made.details["tried"]) == ["bf16"]
    encoder = OnnxEncoder(Path(made.uri))
    assert isinstance(encoder.model.runner, OpenVinoRunner)
    _, torch_encoder = runtime.encoder("l0/enc@1")
    want = torch_encoder.embed(list(TEXTS))
    got = encoder.embed(list(TEXTS), batch_size=4)  # ten batches through one infer request
    assert np.sum(want * got, axis=1).min() > 0.99

    # Each thread gets its own infer request: concurrent calls give the same rows.
    results: dict[int, np.ndarray] = {}

    def work(slot: int) -> None:
        results[slot] = encoder.embed(list(TEXTS), batch_size=4)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for rows in results.values():
        np.testing.assert_allclose(rows, got, atol=1e-6)
