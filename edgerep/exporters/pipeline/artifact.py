"""An exported file, opened for running: its target, its metadata, and how to feed it images.

Every command that runs exports on images (``face``'s embedders, ``edgerep eval``) feeds them the
same way: RGB uint8 crops at the artifact's size, normalized ``(x/255 - mean) / std`` with the mean
and std its metadata records (raw pixels for an artifact exported with raw-pixel input), in the
artifact's layout (NCHW, or NHWC for TFLite), in chunks of its batch (a short last chunk padded with
zeros and cut again). The target's own runner (``Target.run``) runs each chunk: the code that
verifies exports and that the benchmarks load, not a copy of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..._files import check_regular, load_json
from ..._io import quiet
from ..._optional import require
from . import metadata as md
from .targets import TARGETS, TargetInfo


def target_for(path: Path) -> TargetInfo:
    """The target whose files end like ``path``; ValueError naming the suffixes otherwise."""
    for info in TARGETS.values():
        if path.name.endswith(info.suffix):
            return info
    raise ValueError(f"artifact {path} is not an exported model: expected a file ending in "
                     f"{', '.join(t.suffix for t in TARGETS.values())} (from 'edgerep export')")


def read_metadata(path: Path) -> dict[str, Any]:
    """The metadata edgerep embedded in an artifact, or its JSON sidecar when the file has none."""
    target = target_for(path).load()
    try:
        meta = md.unflatten(target.read_metadata(path))
    except ImportError:
        raise
    except Exception:  # noqa: BLE001 - an unreadable embedded block: fall back to the sidecar
        meta = {}
    if not meta.get("model"):
        sidecar = md.sidecar_path(path)
        if sidecar.exists():
            meta = load_json(sidecar, "artifact sidecar")  # regular file, size, depth, finite numbers
            if not isinstance(meta, dict):
                raise ValueError(f"artifact sidecar {sidecar} holds a {type(meta).__name__}, not the JSON object "
                                 "'edgerep export' writes")
    if not meta.get("model"):
        raise ValueError(f"artifact {path} carries no edgerep metadata (and has no {md.sidecar_path(path).name}); "
                         "export it with 'edgerep export MODEL --target ...'")
    return meta


def _described_io(meta: dict[str, Any], path: Path) -> tuple[dict, dict, dict]:
    """The artifact's input, output and preprocessing records, checked (ValueError naming the field)."""
    def shape_of(field: str, rank: int) -> dict:
        rec = meta.get(field)
        shape = rec.get("shape") if isinstance(rec, dict) else None
        if not (isinstance(shape, list) and len(shape) == rank
                and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1 << 16 for v in shape)):
            raise ValueError(f"artifact {path}: its metadata's {field}.shape must be {rank} positive integers, "
                             f"got {shape!r:.80}; re-export it with 'edgerep export'")
        return rec

    prep = meta.get("preprocessing") or {}
    if not isinstance(prep, dict):
        raise ValueError(f"artifact {path}: its metadata's preprocessing is not an object")
    for key in ("mean", "std"):
        v = prep.get(key)
        if v is not None and not (isinstance(v, list) and len(v) == 3 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) < 1e6 for x in v)):
            raise ValueError(f"artifact {path}: its metadata's preprocessing.{key} must be 3 numbers, got {v!r:.80}")
    out = meta.get("output")
    if not (isinstance(out, dict) and isinstance(out.get("shape"), list) and out["shape"]
            and isinstance(out["shape"][-1], int) and not isinstance(out["shape"][-1], bool) and out["shape"][-1] > 0):
        raise ValueError(f"artifact {path}: its metadata's output.shape is missing or not a list of positive "
                         "integers; re-export it with 'edgerep export'")
    return shape_of("input", 4), out, prep


class Artifact:
    """An exported model file, ready to run on images."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"artifact {self.path} does not exist")
        if not (self.path.is_dir() and self.path.suffix == ".mlpackage"):  # folders only for .mlpackage
            check_regular(self.path, "artifact")  # never a FIFO or device: the runtimes would block on it
        info = target_for(self.path)
        for module in info.requires:
            if module in ("onnxruntime", "ai_edge_litert", "coremltools"):
                require(module)
        self.target = info.load()
        self.metadata = meta = read_metadata(self.path)
        inp, self.output, prep = _described_io(meta, self.path)
        shape = list(inp["shape"])
        self.layout = inp.get("layout", "NCHW")
        self.kind = "raw" if inp.get("kind") in ("raw", "image") or self.layout == "image" else "tensor"
        if self.layout == "image":
            self.layout = "NCHW"  # Core ML's run() takes raw pixels NCHW and builds the images
        self.batch = int(shape[0])
        self.height, self.width = (int(shape[2]), int(shape[3])) if self.layout == "NCHW" else \
            (int(shape[1]), int(shape[2]))
        self.mean = tuple(prep.get("mean") or (0.0, 0.0, 0.0))
        self.std = tuple(prep.get("std") or (1.0, 1.0, 1.0))

    @property
    def model(self) -> str:
        return str(self.metadata["model"])

    @property
    def task(self) -> str | None:
        return self.metadata.get("task")

    @property
    def precision(self) -> str:
        return str(self.metadata.get("precision", "fp32"))

    def inputs(self, crops: np.ndarray) -> np.ndarray:
        """What the artifact is fed for ``crops`` (N x H x W x 3 uint8 RGB), float32 in its layout."""
        x = crops.astype(np.float32)
        if self.kind == "tensor":
            x = (x / np.float32(255.0) - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if self.layout == "NCHW" else x)

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """The artifact's outputs (N, D) float64 for N x H x W x 3 uint8 crops at its size."""
        arr = np.asarray(crops)
        if arr.ndim != 4 or arr.shape[1:] != (self.height, self.width, 3) or arr.dtype != np.uint8:
            raise ValueError(f"{self.path.name} takes N x {self.height} x {self.width} x 3 uint8 images, "
                             f"got shape {arr.shape} dtype {arr.dtype}")
        x = self.inputs(arr)
        outs = []
        for i in range(0, len(x), self.batch):
            chunk = x[i:i + self.batch]
            n = len(chunk)
            if n < self.batch:
                chunk = np.concatenate([chunk, np.zeros((self.batch - n, *chunk.shape[1:]), chunk.dtype)])
            outs.append(np.asarray(self.run(chunk), dtype=np.float64).reshape(len(chunk), -1)[:n])
        return np.concatenate(outs) if outs else np.zeros((0, 0))

    def run(self, x: np.ndarray) -> np.ndarray:
        """The raw outputs for one batch ``x`` already in the artifact's layout and batch size."""
        try:
            with quiet():  # runtimes log from C++ (e.g. "Created TensorFlow Lite XNNPACK delegate")
                out = self.target.run(self.path, x)
        except (ValueError, ImportError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt model, external data outside its folder, ...
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:240]
            raise ValueError(f"artifact {self.path} cannot be loaded or run by {self.target.runtime} "
                             f"({type(exc).__name__}: {first}); re-export it with 'edgerep export'") from None
        if out is None:
            raise ValueError(f"{self.target.name} artifacts cannot run on this machine ({self.path.name}): "
                             f"{self.target.runtime_unavailable()}; use an .onnx or .tflite export here")
        return out
