"""A whole export target in one module, for tests/test_export_targets.py: its artifact is a JSON file
(metadata and a key); the model it names is kept in memory and run by its "runtime"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edgerep.exporters.pipeline.targets import Target

_MODELS: dict[str, torch.nn.Module] = {}


class FakeSession:
    def __init__(self, path: Path) -> None:
        doc = json.loads(Path(path).read_text())
        self._model = _MODELS[doc["key"]]
        self.input_name, self.input_shape = "image", tuple(doc["input_shape"])
        self.input_dtype = np.dtype(np.float32)

    def run(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._model(torch.from_numpy(np.asarray(x, np.float32))).numpy()


class FakeTarget(Target):
    default_precision = "fp32"
    precisions = ("fp32",)
    options = frozenset({"opset"})  # borrows ONNX's option to show per-target option checks
    runtime = "fakert"
    backend = "in-memory"

    def convert(self, model: torch.nn.Module, example: torch.Tensor, path: Path, options: Any) -> dict:
        key = str(len(_MODELS))
        _MODELS[key] = model
        path.write_text(json.dumps({"key": key, "input_shape": list(example.shape), "metadata": {}}))
        return {"key": key}

    def describe(self, options: Any, info: dict) -> str:
        return f"fake artifact {info['key']}"

    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        doc = json.loads(path.read_text())
        doc["metadata"].update(metadata)
        path.write_text(json.dumps(doc))

    def read_metadata(self, path: Path) -> dict[str, str]:
        return json.loads(Path(path).read_text())["metadata"]

    def op_histogram(self, path: Path) -> dict[str, int]:
        return {"FakeOp": 1}

    def check_structure(self, path: Path, expected: dict) -> list[str]:
        return []

    def open(self, path: Path, threads: int | None = 1) -> FakeSession:
        return FakeSession(path)
