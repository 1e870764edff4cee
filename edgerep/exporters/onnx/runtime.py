"""Running ``.onnx`` files on onnxruntime (CPU execution provider)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._optional import require
from ..._ort import session_options

# onnxruntime (the onnx extra) is loaded through require() when a session opens: edgerep runs without it.

_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8,
          "tensor(int8)": np.int8}


class OnnxSession:
    """An onnxruntime CPU session on one artifact (see :class:`edgerep.exporters.pipeline.targets.Session`)."""

    def __init__(self, path: Path, threads: int | None = 1) -> None:
        ort = require("onnxruntime")
        self._session = ort.InferenceSession(str(path), session_options(ort, threads),
                                             providers=["CPUExecutionProvider"])
        inp = self._session.get_inputs()[0]
        self.input_name = inp.name
        self.input_shape = tuple(d if isinstance(d, int) else 1 for d in inp.shape)
        self.input_dtype = np.dtype(_TYPES.get(inp.type, np.float32))

    def run(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self.input_name: np.asarray(x, dtype=self.input_dtype)})[0]
