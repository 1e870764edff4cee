"""Running ``.tflite`` files on LiteRT (ai-edge-litert's interpreter, XNNPACK CPU delegate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..._io import quiet, reuse_last_load
from ..._optional import require

# ai_edge_litert (the tflite extra) is imported where used: edgerep runs without it.


class TFLiteSession:
    """A LiteRT interpreter (XNNPACK CPU delegate) on one artifact (see
    :class:`edgerep.exporters.pipeline.targets.Session`)."""

    def __init__(self, path: Path, threads: int | None = 1) -> None:
        with quiet():  # the runtime logs "Created TensorFlow Lite XNNPACK delegate" at each load
            require("ai_edge_litert")
            from ai_edge_litert.interpreter import Interpreter

            self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self.interpreter.allocate_tensors()
        detail = self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self.input_name = detail["name"]
        self.input_shape = tuple(int(d) for d in detail["shape"])
        self.input_dtype = np.dtype(np.float32)  # quantized inputs are quantized by run()
        self._path = Path(path)

    def run(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if tuple(x.shape) != self.input_shape:
            raise ValueError(f"inputs have shape {tuple(x.shape)} but {self._path.name} takes "
                             f"{self.input_shape}; transpose to the model's layout "
                             "(NHWC unless exported with channels_last=False)")
        self.interpreter.set_tensor(self._input["index"], np.ascontiguousarray(quantize_input(x, self._input)))
        self.interpreter.invoke()
        return dequantize_output(self.interpreter.get_tensor(self._output["index"]), self._output)


@reuse_last_load
def session(path: Path, threads: int) -> TFLiteSession:
    return TFLiteSession(path, threads)


def run(path: Path, inputs: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """Run ``inputs`` (already in the model's layout) through the LiteRT interpreter (XNNPACK),
    reusing the last loaded interpreter while the file is unchanged."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    return session(path, threads).run(inputs)


def invoke(interpreter: Any, x: np.ndarray) -> np.ndarray:
    """One run of a loaded interpreter on float32 ``x`` (quantized at the input if it must be)."""
    detail = interpreter.get_input_details()[0]
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], np.ascontiguousarray(quantize_input(x, detail)))
    interpreter.invoke()
    out = interpreter.get_output_details()[0]
    return dequantize_output(interpreter.get_tensor(out["index"]), out)


def quantize_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """float32 -> the input's type (integer inputs of files quantized elsewhere use their scale)."""
    dtype = np.dtype(detail["dtype"])
    if dtype.kind == "f":
        return x.astype(dtype, copy=False)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)


def dequantize_output(y: np.ndarray, detail: dict) -> np.ndarray:
    if np.dtype(detail["dtype"]).kind == "f":
        return y.astype(np.float32, copy=True)
    scale, zero = detail["quantization"]
    return ((y.astype(np.float32) - zero) * scale).astype(np.float32)


def io_signature(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Input and output tensors (name, shape, dtype) as the interpreter reports them."""
    interpreter = session(path, 1).interpreter

    def desc(d: dict) -> dict[str, Any]:
        return {"name": d["name"], "shape": [int(s) for s in d["shape"]], "dtype": np.dtype(d["dtype"]).name}

    return {"inputs": [desc(d) for d in interpreter.get_input_details()],
            "outputs": [desc(d) for d in interpreter.get_output_details()]}
