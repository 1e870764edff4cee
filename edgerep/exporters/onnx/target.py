"""ONNX target: torch's dynamo exporter, one self-contained file, checked, run with onnxruntime.

Every constant subgraph the exporter leaves (a value computed from weights and the fixed input shape
alone, e.g. EdgeFace's positional encoding) is folded into an initializer (:mod:`.fold`), so
that runtimes which cannot take a constant where they expect an activation (OpenCV DNN) load it.

fp16 exports a float16 copy of the model behind float32 inputs/outputs; int8 is static QDQ
quantization (per-channel int8 weights, uint8 activations) calibrated on the batch it is given, after
the float-graph rewrites of :mod:`edgerep.exporters.onnx.int8` that let onnxruntime run it in int8.
"""

from __future__ import annotations

import copy
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from edgerep._optional import require

from ..._io import quiet
from ..pipeline.int8_torch import per_layer_drift, quantized_layers
from ..pipeline.options import ExportOptions
from ..pipeline.targets import Target
from . import int8 as onnx_int8
from .fold import constant_nodes, fold_constants
from .int8 import int8_facts
from .runtime import OnnxSession

MIN_OPSET = 18  # the dynamo exporter's minimum
DEFAULT_OPSET = 20  # torch 2.13's default; the first with a single Gelu op (18 spells it in 5 ops)
MAX_OPSET = 23  # torch 2.13's newest


def convert(model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
    """Export ``model`` (fused, eval, wrapped) to ``path``; returns notes for the sidecar."""
    onnx = require("onnx")
    require("onnxscript")
    opset = options.opset or DEFAULT_OPSET
    info: dict = {"opset": opset, "exporter": "torch.onnx.export(dynamo=True)"}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".edgerep-onnx-") as tmp:
        exported = Path(tmp) / "model.onnx"
        if options.precision.is_float16:
            # Exported from a half-precision copy: onnxruntime's float16 graph converter leaves the
            # graph unsorted with float32 I/O (onnx.checker rejects it).
            model = _Float16(model)
        with quiet(), torch.no_grad():
            program = torch.onnx.export(
                model, (example,), dynamo=True, opset_version=opset,
                input_names=[options.input_name], output_names=[options.output_name],
                verbose=False, optimize=True,
            )
            info["folded_nodes"] = fold_constants(program.model)
            program.save(str(exported), external_data=False)
        if not options.precision.is_integer:
            exported.replace(path)
            if options.precision.is_float16:
                info["fp16"] = "float16 weights and arithmetic, float32 input/output"
        else:
            float_layers = _float_layers(model, options) if options.int8_recipe == "linear" else []
            info["int8"], info["int8_rewrites"] = _quantize_int8(exported, path, options.calibration, Path(tmp),
                                                                 options.int8_recipe, float_layers)
    onnx.checker.check_model(str(path), full_check=True)
    return info


class _Float16(nn.Module):
    """float32 in, float16 weights and arithmetic, float32 out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = copy.deepcopy(model).half()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.half()).float()


def _float_layers(model: nn.Module, options: ExportOptions) -> list[str]:
    """The Linear layers the "linear" recipe keeps float on onnxruntime: the
    :data:`~.int8.FLOAT_LINEAR_LAYERS` whose int8 alone costs the most on the calibration images
    (:func:`edgerep.exporters.pipeline.int8_torch.per_layer_drift`)."""

    x = options.calibration[:onnx_int8.SWEEP_IMAGES].float()
    with torch.no_grad():
        ref = model(x).reshape(len(x), -1).double()

    def score(out: torch.Tensor) -> float:
        return float(torch.nn.functional.cosine_similarity(out.reshape(len(x), -1).double(), ref, dim=1).mean())

    inner = _unwrap(model)
    prefix = next((n + "." for n, m in model.named_modules() if m is inner and n), "")
    ranked = per_layer_drift(model, x, [prefix + n for n in quantized_layers(inner, "linear")], score)
    return [name for name, _ in ranked[:onnx_int8.FLOAT_LINEAR_LAYERS]]  # as the exported graph names them


def _unwrap(model: nn.Module) -> nn.Module:
    """The registered model inside the export wrappers (their ``model`` attribute)."""
    while hasattr(model, "model") and isinstance(model.model, nn.Module):
        model = model.model
    return model


def _quantize_int8(src: Path, dst: Path, calibration: torch.Tensor | None,
                   workdir: Path, recipe: str = "conv", float_layers: list[str] | None = None) -> tuple[str, list[str]]:
    """Static QDQ int8 of the float file ``src`` into ``dst`` (recipe and its measurements:
    :mod:`.int8`); returns the scheme and the notes of the float-graph rewrites."""

    if calibration is None:
        raise ValueError("int8 export needs a calibration batch")
    batches = _calibration_batches(src, calibration)
    rewrites = onnx_int8.quantize(src, dst, batches, workdir, recipe=recipe, float_layers=float_layers)
    n = sum(next(iter(b.values())).shape[0] for b in batches)
    what = "the Linear layers' inputs, min/max" if recipe == "linear" else "activations, 99.99th-percentile"
    return (f"static QDQ (per-channel int8 weights, uint8 {what} ranges), calibrated on {n} images", rewrites)


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


class OnnxTarget(Target):
    """ONNX through torch's dynamo exporter, one self-contained file, run with onnxruntime (CPU)."""

    options = frozenset({"opset", "calibration"})
    runtime = "onnxruntime"
    runtime_title = "onnxruntime"
    int8_goal = 0.7  # issue 15: int8 median at most this fraction of fp32's
    backend = "CPUExecutionProvider"
    tools = ("torch", "onnx", "onnxscript", "onnxruntime", "numpy")

    def validate(self, options: ExportOptions) -> None:
        opset = options.opset
        if opset is not None and (isinstance(opset, bool) or not isinstance(opset, int)
                                  or not MIN_OPSET <= opset <= MAX_OPSET):
            raise ValueError(
                f"opset {opset!r} is not supported: the dynamo exporter writes opsets "
                f"{MIN_OPSET}..{MAX_OPSET}; pass --opset between them (default {DEFAULT_OPSET})"
            )

    def convert(self, model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
        return convert(model, example, path, options)

    def describe(self, options: ExportOptions, info: dict) -> str:
        return f"opset {info.get('opset')}, {options.precision}"

    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
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

    def read_metadata(self, path: Path) -> dict[str, str]:
        onnx = require("onnx")
        model = onnx.load(str(path), load_external_data=False)
        return {p.key: p.value for p in model.metadata_props}

    def op_histogram(self, path: Path) -> dict[str, int]:
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

    def constant_ops(self, path: Path) -> int:
        """Nodes left in the graph that compute only from constants (0 after :func:`convert`'s fold)."""
        onnx = require("onnx")
        return len(constant_nodes(onnx.load(str(path), load_external_data=False).graph))

    def int8_facts(self, path: Path) -> dict[str, Any] | None:
        return int8_facts(path)

    def check_structure(self, path: Path, expected: dict) -> list[str]:
        """Input/output names and shapes of the graph against ``expected`` (see Target.check_structure)."""
        sig = self.io_signature(path)
        problems = []
        if [i["name"] for i in sig["inputs"]] != [expected["input_name"]]:
            problems.append(f"inputs {[i['name'] for i in sig['inputs']]} != [{expected['input_name']!r}]")
        elif sig["inputs"][0]["shape"] != list(expected["input_shape"]):
            problems.append(f"input shape {sig['inputs'][0]['shape']} != {list(expected['input_shape'])}")
        if [o["name"] for o in sig["outputs"]] != [expected["output_name"]]:
            problems.append(f"outputs {[o['name'] for o in sig['outputs']]} != [{expected['output_name']!r}]")
        return problems

    def io_signature(self, path: Path) -> dict:
        onnx = require("onnx")
        graph = onnx.load(str(path), load_external_data=False).graph

        def desc(v) -> dict:  # noqa: ANN001
            t = v.type.tensor_type
            return {"name": v.name, "shape": [d.dim_value or d.dim_param for d in t.shape.dim],
                    "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name}

        return {"inputs": [desc(v) for v in graph.input], "outputs": [desc(v) for v in graph.output]}

    def runtime_version(self) -> str | None:
        return require("onnxruntime").__version__

    def open(self, path: Path, threads: int | None = 1) -> OnnxSession:
        return OnnxSession(path, threads)
