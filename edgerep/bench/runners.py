"""One runner per runtime: how to load a model on it and run one prediction.

A runner answers four questions: is the runtime usable here (and if not, why), which artifact does
it load (exported on the fly through ``edgerep.export`` into the cache), how is the model
instantiated (the timed "load"), and what is the machine ceiling on it (ceiling.py). The timing loop
itself is the same for every runtime (measure.py).
"""

from __future__ import annotations

import contextlib
import platform
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, ContextManager

import numpy as np

from .._optional import available, require
from .._io import quiet
from . import ceiling
from .cache import CachedArtifact, ExportCache
from .workload import Workload

Predict = Callable[[], Any]
Loader = Callable[[], Predict]


class Unavailable(Exception):
    """This runtime cannot run this record here; the message says why."""


class Runner(ABC):
    """A runtime the harness can measure on."""

    runtime: str = ""
    forms: tuple[str, ...] = ("fused",)
    target: str | None = None  # edgerep.export target whose artifact it loads
    precisions: tuple[str, ...] = ("fp32",)  # the first is the default
    uses_threads = True

    def platform_reason(self) -> str | None:
        """A documented platform reason the runtime cannot run here (Core ML off macOS), or None."""
        return None

    def missing_extra(self) -> str | None:
        """The install line when the runtime's packages are missing (a fixable failure), or None."""
        return None

    def unavailable_reason(self) -> str | None:
        """Why the runtime cannot run on this machine, or None when it can."""
        return self.platform_reason() or self.missing_extra()

    def session(self, threads: int | None) -> ContextManager[Any]:
        """Process-wide settings held while a record is measured (e.g. torch's thread count)."""
        return contextlib.nullcontext()

    @abstractmethod
    def version(self) -> str | None: ...

    @abstractmethod
    def backend(self) -> str: ...

    def check_precision(self, precision: str) -> None:
        if precision not in self.precisions:
            raise Unavailable(f"{self.runtime} runs {', '.join(self.precisions)} here, not {precision}")

    def artifact(self, work: Workload, form: str, precision: str, cache: ExportCache) -> CachedArtifact | None:
        """The exported file this runtime loads (None for in-framework runners)."""
        if self.target is None:
            return None
        return export_cached(work, self.target, precision, cache)

    @abstractmethod
    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        """A function that instantiates the model (timed as load) and returns one-prediction closure."""

    @abstractmethod
    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        """GMAC/s of the reference GEMM on this runtime at ``threads``."""


def export_cached(work: Workload, target: str, precision: str, cache: ExportCache) -> CachedArtifact:
    """The ``target`` artifact of ``work`` at ``precision``, exported once into ``cache``."""
    identity = {**work.identity, "target": target, "precision": precision,
                "input_size": list(work.input_size), "batch": 1}

    def build(directory: Path) -> Path:
        from ..exporters import export

        # verify=False: ``edgerep export`` verifies numerics; here only speed matters.
        result = export(work.reference("unfused"), target, output=f"{directory}/", precision=precision,
                        input_size=tuple(work.input_size[1:]), verify=False)
        return Path(result.path)

    return cache.get(f"{work.name}-{target}-{precision}", identity, build)


class TorchRunner(Runner):
    """PyTorch eager on CPU, in both forms: the speedup of fusion without any exporter."""

    runtime = "torch"
    forms = ("unfused", "fused")

    def version(self) -> str | None:
        import torch

        return torch.__version__.split("+")[0]

    def backend(self) -> str:
        return "cpu"

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        import torch

        x = work.example()

        def load() -> Predict:
            model = work.instantiate(form)

            def predict() -> Any:
                with torch.inference_mode():
                    return model(x)

            return predict

        return load

    def session(self, threads: int | None) -> ContextManager[Any]:
        return ceiling.torch_threads(threads)

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        return ceiling.torch_gemm(threads)


def _random_input(shape: list[int] | tuple[int, ...], dtype: Any) -> np.ndarray:
    rng = np.random.default_rng(0)
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=tuple(shape), endpoint=True).astype(dtype)
    return rng.standard_normal(tuple(shape)).astype(dtype)


class OnnxRuntimeRunner(Runner):
    """onnxruntime's CPU execution provider on the artifact of ``edgerep export --target onnx``."""

    runtime = "onnxruntime"
    target = "onnx"
    precisions = ("fp32", "fp16", "int8")

    def missing_extra(self) -> str | None:
        if not available("onnxruntime"):
            return "onnxruntime is not installed: pip install 'edgerep[onnx]'"
        return None

    def version(self) -> str | None:
        return require("onnxruntime").__version__

    def backend(self) -> str:
        return "CPUExecutionProvider"

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        ort = require("onnxruntime")
        assert artifact is not None
        path = str(artifact.path)
        types = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                 "tensor(uint8)": np.uint8, "tensor(int8)": np.int8}

        def load() -> Predict:
            session = ort.InferenceSession(path, ceiling.onnxruntime_session_options(ort, threads),
                                           providers=["CPUExecutionProvider"])
            inp = session.get_inputs()[0]
            shape = [d if isinstance(d, int) else 1 for d in inp.shape]
            feed = {inp.name: _random_input(shape, types.get(inp.type, np.float32))}
            return lambda: session.run(None, feed)

        return load

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        return ceiling.onnxruntime_gemm(threads)


class LiteRTRunner(Runner):
    """The LiteRT (TFLite) interpreter with its default XNNPACK CPU delegate."""

    runtime = "litert"
    target = "tflite"
    precisions = ("fp32", "fp16", "int8")

    def missing_extra(self) -> str | None:
        if not available("ai_edge_litert"):
            return "ai-edge-litert is not installed: pip install 'edgerep[tflite]'"
        return None

    def version(self) -> str | None:
        from edgerep.exporters.metadata import dist_version

        found = dist_version("ai-edge-litert")
        return None if found == "not installed" else found

    def backend(self) -> str:
        return "XNNPACK"

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        interpreter = ceiling._litert_interpreter()
        assert artifact is not None
        path = str(artifact.path)

        def load() -> Predict:
            with quiet():  # the runtime logs "Created TensorFlow Lite XNNPACK delegate" at each load
                interp = interpreter.Interpreter(model_path=path, num_threads=threads)
                interp.allocate_tensors()
            detail = interp.get_input_details()[0]
            index = detail["index"]
            data = _random_input(detail["shape"], detail["dtype"])

            def predict() -> None:
                interp.set_tensor(index, data)
                interp.invoke()

            return predict

        return load

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        return ceiling.litert_gemm(threads, cache)


class CoreMLRunner(Runner):
    """Core ML (macOS only: coremltools converts anywhere but predicts only on macOS)."""

    runtime = "coreml"
    target = "coreml"
    precisions = ("fp16", "fp32", "int8")
    uses_threads = False

    def __init__(self, compute_units: str = "ALL"):
        self.compute_units = compute_units

    def platform_reason(self) -> str | None:
        if platform.system() != "Darwin":
            return f"Core ML prediction needs macOS; this machine runs {platform.system() or 'another OS'}"
        return None

    def missing_extra(self) -> str | None:
        if not available("coremltools"):
            return "coremltools is not installed: pip install 'edgerep[coreml]'"
        return None

    def version(self) -> str | None:
        return require("coremltools").__version__

    def backend(self) -> str:
        return self.compute_units

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        ct = require("coremltools")
        assert artifact is not None
        path = str(artifact.path)
        units = ct.ComputeUnit[self.compute_units]

        def load() -> Predict:
            model = ct.models.MLModel(path, compute_units=units)
            name = model.get_spec().description.input[0].name
            feed = {name: _random_input((1, *work.input_size), np.float32)}
            return lambda: model.predict(feed)

        return load

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        return ceiling.coreml_gemm(self.compute_units, cache)


RUNNERS: dict[str, type[Runner]] = {
    "torch": TorchRunner,
    "onnxruntime": OnnxRuntimeRunner,
    "litert": LiteRTRunner,
    "coreml": CoreMLRunner,
}
ALIASES = {"ort": "onnxruntime", "onnx": "onnxruntime", "tflite": "litert", "pytorch": "torch",
           "eager": "torch", "mlpackage": "coreml"}
