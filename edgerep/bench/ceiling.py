"""The machine ceiling: GMAC/s of a large fp32 GEMM on a runtime at a thread count.

A model's efficiency is its achieved GMAC/s (MACs / median latency) over this ceiling: how much of
what the runtime can do on this machine the network's layers reach (depthwise convolutions, small
feature maps, memory-bound ops and framework overhead keep it below 1).
The GEMM is (1024 x 1024) @ (1024 x 1024) with constant weights, 2^30 MACs; the ceiling is the
fastest of ``reps`` timed runs after a warm-up: the peak, the least disturbed by other load.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .._optional import require
from .._io import quiet
from ..exporters.pipeline.cache import ExportCache

N = 1024
MACS = N ** 3


def _peak_gmacs(step: Callable[[], Any], reps: int) -> float:
    step()  # warm-up: first-call allocation and packing
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return MACS / best / 1e9


def _operands() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, N), dtype=np.float32),
            rng.standard_normal((N, N), dtype=np.float32) / np.float32(N ** 0.5))


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Set torch's intra-op thread count inside the block, restoring it afterwards."""
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def torch_gemm(threads: int | None, reps: int = 10) -> float:
    import torch

    a, b = (torch.from_numpy(x) for x in _operands())
    with torch_threads(threads), torch.inference_mode():
        return _peak_gmacs(lambda: torch.mm(a, b), reps)


def onnxruntime_gemm(threads: int | None, reps: int = 10) -> float:
    require("onnx")  # a missing package names the extra to install
    ort = require("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    a, b = _operands()
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [N, N])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [N, N])],
        initializer=[numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 9)
    from .._ort import session_options

    session = ort.InferenceSession(model.SerializeToString(), session_options(ort, threads),
                                   providers=["CPUExecutionProvider"])
    return _peak_gmacs(lambda: session.run(None, {"a": a}), reps)


class _Gemm:
    """Built lazily as a torch module: ``x @ w`` with a constant ``w``."""

    @staticmethod
    def module() -> Any:
        import torch

        class Gemm(torch.nn.Module):
            def __init__(self, w: np.ndarray):
                super().__init__()
                self.register_buffer("w", torch.from_numpy(w))

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x @ self.w

        return Gemm(_operands()[1]).eval()


def litert_gemm(threads: int | None, cache: ExportCache, reps: int = 10) -> float:
    from edgerep.exporters.tflite.runtime import TFLiteSession

    def build(directory: Path) -> Path:
        import torch

        litert_torch = require("litert_torch")
        path = directory / "gemm1024.tflite"
        with quiet():
            litert_torch.convert(_Gemm.module(), (torch.zeros(N, N),)).export(str(path))
        return path

    artifact = cache.get("ceiling-gemm1024-tflite", {"ceiling": "gemm", "n": N, "target": "tflite"}, build)
    session = TFLiteSession(artifact.path, threads)
    a = _operands()[0]
    return _peak_gmacs(lambda: session.run(a), reps)


def coreml_gemm(threads: int | None, cache: ExportCache, reps: int = 10, compute_units: str = "ALL") -> float:
    ct = require("coremltools")

    def build(directory: Path) -> Path:
        import torch

        path = directory / "gemm1024.mlpackage"
        exported = torch.export.export(_Gemm.module(), (torch.zeros(N, N),)).run_decompositions({})
        with quiet():
            mlmodel = ct.convert(exported, inputs=[ct.TensorType(name="a", shape=(N, N), dtype=np.float32)],
                                 compute_precision=ct.precision.FLOAT32, convert_to="mlprogram")
        mlmodel.save(str(path))
        return path

    artifact = cache.get("ceiling-gemm1024-coreml", {"ceiling": "gemm", "n": N, "target": "coreml"}, build)
    model = ct.models.MLModel(str(artifact.path), compute_units=ct.ComputeUnit[compute_units])
    a = {"a": _operands()[0]}
    return _peak_gmacs(lambda: model.predict(a), reps)


# Runtime -> its GEMM ceiling (threads, cache) -> GMAC/s. A runtime without one reports no efficiency.
CEILINGS: dict[str, Callable[[int | None, ExportCache], float]] = {
    "onnxruntime": lambda threads, cache: onnxruntime_gemm(threads),
    "litert": litert_gemm,
    "coreml": coreml_gemm,
}
