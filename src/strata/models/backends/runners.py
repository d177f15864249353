"""What runs an exported graph: ONNX Runtime (fp32, int8) or OpenVINO (bf16, fp32).

Both take the same `model.onnx` and a feed of int64 token arrays and return the first output.
bf16 keeps the fp32 weights on disk; OpenVINO computes in bf16 on CPUs that have native bf16
instructions (AVX-512 BF16 or AMX), where it can be both faster than int8 and far closer to
fp32. Which runtime is faster at fp32 depends on the CPU; `strata models optimize` times both.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Feed = dict[str, NDArray[np.int64]]


class Runner(Protocol):
    """Runs the graph on one batch."""

    inputs: set[str]

    def run(self, feed: Feed) -> NDArray[np.float32]:
        """The graph's first output for `feed`."""
        ...


class OrtRunner:
    """An ONNX Runtime session on the CPU."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def run(self, feed: Feed) -> NDArray[np.float32]:
        """The graph's first output for `feed`."""
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


@cache
def _core() -> Any:
    import openvino as ov

    return ov.Core()


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (OpenVINO reports the BF16 capability)."""
    try:
        return "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except (ImportError, RuntimeError):
        return False


class OpenVinoRunner:
    """An OpenVINO compiled model on the CPU, inferring in bf16 or, with `fp32`, in f32 (asked
    for explicitly: on a CPU with bf16, OpenVINO would otherwise pick bf16 itself).

    An infer request is not safe to share between threads, so each thread gets its own.
    """

    def __init__(self, path: Path, threads: int, precision: str = "bf16") -> None:
        hint = "f32" if precision == "fp32" else "bf16"
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        model = _core().read_model(str(path))
        self.inputs = {name for port in model.inputs for name in port.get_names()}
        self.compiled = _core().compile_model(model, "CPU", config)
        self._local = threading.local()

    def run(self, feed: Feed) -> NDArray[np.float32]:
        """The graph's first output for `feed`."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        # A copy: the request reuses its output buffer on the next call.
        return np.array(request.infer(feed)[0], dtype=np.float32, copy=True)


def open_runner(path: Path, precision: str, threads: int, runtime: str = "") -> Runner:
    """The runner for an export of `precision` (bf16: OpenVINO; int8: ONNX Runtime; fp32: the
    `runtime` named, ONNX Runtime by default)."""
    if precision == "bf16" or (precision == "fp32" and runtime == "openvino"):
        return OpenVinoRunner(path, threads, precision)
    return OrtRunner(path, threads)
