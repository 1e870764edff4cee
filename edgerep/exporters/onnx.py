"""ONNX target: torch's dynamo exporter, one self-contained file, checked, run with onnxruntime.

fp16 exports a float16 copy of the model behind float32 inputs/outputs; int8 is static QDQ
quantization (per-channel int8 weights, uint8 activations) calibrated on the batch it is given, after
the float-graph rewrites of :mod:`edgerep.exporters.onnx_int8` that let onnxruntime run it in int8.
"""

from __future__ import annotations

import copy
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn

from edgerep._optional import require

from .._io import quiet, reuse_last_load
from .targets import ExportOptions

MIN_OPSET = 18  # the dynamo exporter's minimum
DEFAULT_OPSET = 20  # torch 2.13's default; the first with a single Gelu op (18 spells it in 5 ops)
MAX_OPSET = 23  # torch 2.13's newest


def validate(options: ExportOptions) -> None:
    opset = options.opset
    if opset is not None and (isinstance(opset, bool) or not isinstance(opset, int)
                              or not MIN_OPSET <= opset <= MAX_OPSET):
        raise ValueError(
            f"opset {opset!r} is not supported: the dynamo exporter writes opsets "
            f"{MIN_OPSET}..{MAX_OPSET}; pass --opset between them (default {DEFAULT_OPSET})"
        )


def convert(model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
    """Export ``model`` (fused, eval, wrapped) to ``path``; returns notes for the sidecar."""
    onnx = require("onnx")
    require("onnxscript")
    opset = options.opset or DEFAULT_OPSET
    info: dict = {"opset": opset, "exporter": "torch.onnx.export(dynamo=True)"}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".edgerep-onnx-") as tmp:
        exported = Path(tmp) / "model.onnx"
        if options.precision == "fp16":
            # Exported from a half-precision copy: onnxruntime's float16 graph converter leaves the
            # graph unsorted with float32 I/O (onnx.checker rejects it).
            model = _Float16(model)
        with quiet(), torch.no_grad():
            torch.onnx.export(
                model, (example,), str(exported), dynamo=True, external_data=False, opset_version=opset,
                input_names=[options.input_name], output_names=[options.output_name],
                verbose=False, optimize=True,
            )
        if options.precision != "int8":
            exported.replace(path)
            if options.precision == "fp16":
                info["fp16"] = "float16 weights and arithmetic, float32 input/output"
        else:
            info["int8"], info["int8_rewrites"] = _quantize_int8(exported, path, options.calibration, Path(tmp))
    onnx.checker.check_model(str(path), full_check=True)
    return info


class _Float16(nn.Module):
    """float32 in, float16 weights and arithmetic, float32 out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = copy.deepcopy(model).half()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.half()).float()


def _quantize_int8(src: Path, dst: Path, calibration: torch.Tensor | None,
                   workdir: Path) -> tuple[str, list[str]]:
    """Static QDQ int8 of the float file ``src`` into ``dst`` (recipe and its measurements:
    :mod:`.onnx_int8`); returns the scheme and the notes of the float-graph rewrites."""
    from . import onnx_int8

    if calibration is None:
        raise ValueError("int8 export needs a calibration batch")
    batches = _calibration_batches(src, calibration)
    rewrites = onnx_int8.quantize(src, dst, batches, workdir)
    n = sum(next(iter(b.values())).shape[0] for b in batches)
    return (f"static QDQ (per-channel int8 weights, uint8 activations, MinMax), calibrated on {n} "
            "images", rewrites)


def _calibration_batches(model_path: Path, calibration: torch.Tensor) -> list[dict[str, np.ndarray]]:
    """Split the calibration tensor into batches of the exported (fixed) batch size."""
    onnx = require("onnx")
    dim = onnx.load(str(model_path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    batch = dim[0].dim_value or 1
    data = calibration.detach().float().numpy()
    usable = (len(data) // batch) * batch or batch
    if len(data) < batch:
        data = np.concatenate([data] * (batch // len(data) + 1))
    name = onnx.load(str(model_path), load_external_data=False).graph.input[0].name
    return [{name: data[i:i + batch]} for i in range(0, usable, batch)]


@reuse_last_load
def session(path: Path, threads: int = 1):  # noqa: ANN201 - onnxruntime.InferenceSession
    ort = require("onnxruntime")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run(path: Path, inputs: np.ndarray) -> np.ndarray:
    sess = session(path)
    return sess.run(None, {sess.get_inputs()[0].name: inputs.astype(np.float32)})[0]


def embed_metadata(path: Path, metadata: dict[str, str]) -> None:
    """Replace the edgerep entries of ``metadata_props`` (the file is rewritten in place; the caller
    writes to a temporary path)."""
    onnx = require("onnx")
    model = onnx.load(str(path))
    keep = [p for p in model.metadata_props if p.key not in metadata]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name = "edgerep"
    if "edgerep.model" in metadata:
        model.doc_string = f"{metadata['edgerep.model']} exported by edgerep"
    onnx.save(model, str(path))


def read_metadata(path: Path) -> dict[str, str]:
    onnx = require("onnx")
    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def op_histogram(path: Path) -> dict[str, int]:
    onnx = require("onnx")
    graph = onnx.load(str(path), load_external_data=False).graph
    counts: Counter[str] = Counter()
    stack = [graph]
    while stack:  # include subgraphs (If/Loop bodies)
        g = stack.pop()
        for node in g.node:
            counts[node.op_type] += 1
            stack.extend(a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH)
    return dict(counts.most_common())


def io_signature(path: Path) -> dict:
    onnx = require("onnx")
    graph = onnx.load(str(path), load_external_data=False).graph

    def desc(v) -> dict:  # noqa: ANN001
        t = v.type.tensor_type
        return {"name": v.name, "shape": [d.dim_value or d.dim_param for d in t.shape.dim],
                "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name}

    return {"inputs": [desc(v) for v in graph.input], "outputs": [desc(v) for v in graph.output]}
