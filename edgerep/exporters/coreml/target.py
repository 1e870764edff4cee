"""Core ML target: an ML Program converted through ``torch.export`` by coremltools.

fp16 compute by default (Apple's advice: convert in fp16, compare on real inputs, fall back to fp32
if the error is too large); int8 is 8-bit linear weight quantization (coremltools.optimize) over
fp16 compute. Inputs are float32 tensors, or with ``image_input`` an ImageType that takes raw RGB
pixels and applies ``x / 255 - mean`` itself (its scale is one scalar, so ``1 / std`` is folded
into the first convolution by prepare.py). Outputs are float32.

Constant subgraphs (values computed from weights and the fixed input shape alone) are folded in
the ``torch.export`` program before conversion (:mod:`.torch_fold`): coremltools folds only ops it
can evaluate itself, not a conv or matmul over constants.

Prediction needs macOS: elsewhere ``run`` returns None and verification checks the structure of the
saved package (spec loads without the model, names, shapes, types, no batch_norm).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from edgerep._optional import require

from ..._io import quiet
from ..pipeline.int8_torch import quantized_layers
from ..pipeline.options import ExportOptions
from ..pipeline.precision import Precision
from ..pipeline.targets import Target
from ..pipeline.torch_fold import fold_constants

# coremltools and PIL (optional extras) are imported where used: edgerep runs without them.

DEFAULT_DEPLOYMENT_TARGET = "iOS16"
# int8: weights of at least this many elements are stored in 8 bits (coremltools' default threshold,
# passed explicitly: the torch rounding must pick the same weights).
INT8_MIN_ELEMENTS = 2048
# ML Programs need iOS15 / macOS12 or newer; int8 weights (constexpr ops) iOS16 / macOS13.
DEPLOYMENT_TARGETS = ("iOS15", "iOS16", "iOS17", "iOS18", "iOS26", "macOS12", "macOS13", "macOS14",
                      "macOS15", "macOS26")
_SPEC_PATH = "Data/com.apple.CoreML/model.mlmodel"


def _coremltools() -> Any:
    with quiet():  # coremltools prints "Failed to load ..." lines on Linux at import
        return require("coremltools")


def deployment_target(options: ExportOptions) -> str:
    """Canonical spelling of the requested target (``ios17`` -> ``iOS17``); ValueError when unknown."""
    requested = options.deployment_target or DEFAULT_DEPLOYMENT_TARGET
    canonical = {t.lower(): t for t in DEPLOYMENT_TARGETS}.get(str(requested).lower())
    if canonical is None:
        raise ValueError(
            f"deployment target {requested!r} is not supported for ML Programs; allowed: "
            f"{', '.join(DEPLOYMENT_TARGETS)} (default {DEFAULT_DEPLOYMENT_TARGET})"
        )
    if options.precision.is_integer and canonical in ("iOS15", "macOS12"):
        raise ValueError(
            f"int8 weights need deployment target iOS16/macOS13 or newer, got {requested!r}; "
            "pass --deployment-target iOS16"
        )
    return canonical


def convert(model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
    """Convert ``model`` (fused, eval, wrapped) to an .mlpackage at ``path``."""

    ct = _coremltools()
    target_name = deployment_target(options)
    target = getattr(ct.target, target_name)
    shape = tuple(example.shape)
    if options.image_input:
        inputs = [ct.ImageType(
            name=options.input_name, shape=shape, scale=1.0 / 255.0,
            bias=[-m for m in options.mean], color_layout=ct.colorlayout.RGB,
        )]
    else:
        inputs = [ct.TensorType(name=options.input_name, shape=shape, dtype=np.float32)]
    precision = ct.precision.FLOAT32 if options.precision is Precision.FP32 else ct.precision.FLOAT16
    with quiet(), torch.no_grad():
        program = torch.export.export(model, (example,)).run_decompositions({})
        program, folded = fold_constants(program, example)
        mlmodel = ct.convert(
            program, inputs=inputs,
            outputs=[ct.TensorType(name=options.output_name, dtype=np.float32)],
            convert_to="mlprogram", minimum_deployment_target=target, compute_precision=precision,
        )
        if options.precision.is_integer:
            from coremltools.optimize.coreml import (
                OpLinearQuantizerConfig, OptimizationConfig, linear_quantize_weights,
            )

            config = OptimizationConfig(global_config=OpLinearQuantizerConfig(
                mode="linear_symmetric", weight_threshold=INT8_MIN_ELEMENTS))
            mlmodel = linear_quantize_weights(mlmodel, config=config)
        mlmodel.save(str(path))
    info = {
        "format": "ML Program (.mlpackage)",
        "deployment_target": target_name,
        "compute_precision": "float32" if options.precision is Precision.FP32 else "float16",
        "input_type": "ImageType RGB, scale 1/255, bias -mean" if options.image_input else "TensorType float32",
        "folded_nodes": folded,
    }
    if options.precision.is_integer:
        info["int8"] = ("8-bit linear symmetric weight quantization (coremltools.optimize), per output "
                        f"channel, of weights rounded with GPTQ; fp16 compute; tensors under "
                        f"{INT8_MIN_ELEMENTS} elements stay fp16")
    return info


class CoreMLSession:
    """A loaded Core ML model (macOS only; see :class:`edgerep.exporters.pipeline.targets.Session`)."""

    def __init__(self, path: Path, compute_units: str = "ALL") -> None:
        ct = _coremltools()
        self._model = ct.models.MLModel(str(path), compute_units=ct.ComputeUnit[compute_units])
        spec = self._model.get_spec()
        inp = spec.description.input[0]
        self.input_name = inp.name
        self._output = spec.description.output[0].name
        self._image = inp.type.WhichOneof("Type") == "imageType"
        if self._image:
            self.input_shape = (1, 3, inp.type.imageType.height, inp.type.imageType.width)
        else:
            self.input_shape = tuple(int(d) for d in inp.type.multiArrayType.shape)
        self.input_dtype = np.dtype(np.float32)

    def run(self, x: np.ndarray) -> np.ndarray:
        if self._image:  # an ImageType takes one RGB image per prediction
            from PIL import Image

            outs = []
            for sample in x:
                img = Image.fromarray(np.clip(sample, 0, 255).astype(np.uint8).transpose(1, 2, 0), "RGB")
                outs.append(np.asarray(self._model.predict({self.input_name: img})[self._output]))
            return np.concatenate(outs)
        return np.asarray(self._model.predict({self.input_name: x.astype(np.float32)})[self._output])


def _spec_file(path: Path) -> Path:
    manifest = path / "Manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        root = data.get("rootModelIdentifier")
        entry = data.get("itemInfoEntries", {}).get(root, {})
        if entry.get("path"):
            return path / "Data" / entry["path"]
    return path / _SPEC_PATH


def load_spec(path: Path) -> Any:
    """The package's protobuf spec, read directly (no compilation, works on Linux)."""
    _coremltools()
    from coremltools.proto import Model_pb2

    spec = Model_pb2.Model()
    spec.ParseFromString(_spec_file(path).read_bytes())
    return spec


def _describe(spec: Any, metadata: dict[str, str]) -> None:
    try:
        inp = json.loads(metadata.get("edgerep.input", "{}"))
        pre = json.loads(metadata.get("edgerep.preprocessing", "{}"))
    except ValueError:
        return
    if spec.description.input:
        if inp.get("kind") == "image":
            text = "RGB image, raw pixels; normalization is inside the model"
        else:
            text = (f"float32 {inp.get('layout', 'NCHW')} {inp.get('shape')}: RGB, (x/255 - mean) / std, "
                    f"mean {pre.get('mean')}, std {pre.get('std')}")
        spec.description.input[0].shortDescription = text
    if spec.description.output and metadata.get("edgerep.output_meaning"):
        spec.description.output[0].shortDescription = metadata["edgerep.output_meaning"]


def _operations(block: Any) -> list:
    ops = []
    for op in block.operations:
        ops.append(op)
        for inner in op.blocks:
            ops.extend(_operations(inner))
    return ops


def _is_weight(op: Any) -> bool:
    """A const op holding a floating-point tensor with more than one element (not a shape or option)."""
    from coremltools.proto import MIL_pb2

    for value in op.attributes.values():
        t = value.type.tensorType
        if value.type.WhichOneof("type") == "tensorType" and t.rank >= 1:
            dims = [d.constant.size for d in t.dimensions]
            return int(np.prod(dims)) > 1 and t.dataType in (MIL_pb2.FLOAT16, MIL_pb2.FLOAT32)
    return False


class CoreMLTarget(Target):
    """Core ML ML Program packages; predicted with Core ML on macOS only."""

    default_precision = Precision.FP16  # Apple's advice: fp16 compute, compared with the source
    precisions = (Precision.FP16, Precision.FP32, Precision.INT8)
    # calibration: images to round the 8-bit weights with (GPTQ); Core ML's int8 is weights only.
    options = frozenset({"deployment_target", "calibration"})
    int8_needs_calibration = False
    is_directory = True
    float16_precisions = (Precision.FP16, Precision.INT8)  # int8 weights over fp16 compute
    runtime = "coreml"
    backend = "ALL"  # compute units
    takes_threads = False
    runtime_title = "Core ML"
    tools = ("torch", "coremltools", "numpy")

    def int8_weight_layers(self, model: nn.Module, recipe: str) -> list[str]:
        """Every conv and Linear weight coremltools stores in 8 bits: ``linear_symmetric`` quantizes each
        weight of at least :data:`INT8_MIN_ELEMENTS` elements per output channel on the grid GPTQ
        rounds to (``max|w| / 127``), so it keeps the rounded weights exactly; whatever the network
        (LayerNorm ones included: Core ML's int8 leaves activations float)."""
        mods = dict(model.named_modules())
        return [n for n in quantized_layers(model, "conv") if mods[n].weight.numel() >= INT8_MIN_ELEMENTS]

    def validate(self, options: ExportOptions) -> None:
        deployment_target(options)

    def input_layout(self, options: ExportOptions) -> str:
        return "image" if options.image_input else "NCHW"

    def convert(self, model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
        return convert(model, example, path, options)

    def describe(self, options: ExportOptions, info: dict) -> str:
        return (f"ML Program, {info.get('deployment_target')}, {info.get('compute_precision')} compute"
                + (", int8 weights" if options.precision.is_integer else "")
                + (", ImageType input" if options.image_input else ""))

    def recorded_options(self, options: ExportOptions, info: dict) -> dict:
        return {"deployment_target": info.get("deployment_target")}

    def next_step(self, model: str, path: Path) -> str:
        return f"on a Mac: edgerep bench {model} --runtime coreml   (or open {path} in Xcode > Performance)"

    def runtime_version(self) -> str | None:
        return _coremltools().__version__

    def open(self, path: Path, threads: int | None = None) -> CoreMLSession:
        return CoreMLSession(path, compute_units=self.backend)

    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        """Write ``metadata`` into user_defined_metadata, plus model/input/output descriptions."""
        spec = load_spec(path)
        meta = spec.description.metadata
        for key, value in metadata.items():
            meta.userDefined[key] = value
        meta.author = "edgerep"
        meta.versionString = metadata.get("edgerep.edgerep_version", "")
        model = metadata.get("edgerep.model", "model")
        meta.shortDescription = f"{model} (fused, exported by edgerep)"
        _describe(spec, metadata)
        spec_file = _spec_file(path)
        tmp = spec_file.with_name(spec_file.name + ".tmp")
        tmp.write_bytes(spec.SerializeToString())
        os.replace(tmp, spec_file)

    def read_metadata(self, path: Path) -> dict[str, str]:
        return dict(load_spec(path).description.metadata.userDefined)

    def op_histogram(self, path: Path) -> dict[str, int]:
        spec = load_spec(path)
        counts: Counter[str] = Counter()
        for function in spec.mlProgram.functions.values():
            for block in function.block_specializations.values():
                counts.update(op.type for op in _operations(block) if op.type != "const")
        return dict(counts.most_common())

    def constant_ops(self, path: Path) -> int:
        """Operations that compute only from constants (``const`` ops, inline values and other such
        operations); weight decompression (``constexpr_*``, int8 weights) is constant on purpose."""
        spec = load_spec(path)
        count = 0
        for function in spec.mlProgram.functions.values():
            for block in function.block_specializations.values():
                constant: set[str] = set()
                for op in _operations(block):
                    args = [a for inp in op.inputs.values() for a in inp.arguments]
                    if op.type == "const" or op.type.startswith("constexpr_"):
                        constant.update(o.name for o in op.outputs)
                    elif args and all(a.WhichOneof("binding") == "value" or a.name in constant for a in args):
                        constant.update(o.name for o in op.outputs)
                        count += 1
        return count

    def check_structure(self, path: Path, expected: dict) -> list[str]:
        """Check the saved package without running it: the model loads (spec only), names, shapes, types.

        ``expected``: input_name, input_shape, input_kind ("image" | "tensor"), output_name, output_shape.
        Returns the problems found (none: an empty list).
        """
        ct = _coremltools()
        problems: list[str] = []
        with quiet():
            ct.models.MLModel(str(path), skip_model_load=True)  # raises if the package is malformed
        spec = load_spec(path)
        if spec.WhichOneof("Type") != "mlProgram":
            problems.append(f"model type is {spec.WhichOneof('Type')}, not mlProgram")
        ins, outs = spec.description.input, spec.description.output
        if [i.name for i in ins] != [expected["input_name"]]:
            problems.append(f"inputs {[i.name for i in ins]} != [{expected['input_name']!r}]")
        elif expected["input_kind"] == "image":
            img = ins[0].type.imageType
            if ins[0].type.WhichOneof("Type") != "imageType" or (img.height, img.width) != tuple(
                    expected["input_shape"][-2:]):
                problems.append("input is not an RGB image of the expected size")
        else:
            arr = ins[0].type.multiArrayType
            if list(arr.shape) != list(expected["input_shape"]) or arr.dataType != arr.FLOAT32:
                problems.append(f"input shape/dtype {list(arr.shape)} != {list(expected['input_shape'])} float32")
        if [o.name for o in outs] != [expected["output_name"]]:
            problems.append(f"outputs {[o.name for o in outs]} != [{expected['output_name']!r}]")
        else:
            arr = outs[0].type.multiArrayType
            if arr.shape and list(arr.shape) != list(expected["output_shape"]):
                problems.append(f"output shape {list(arr.shape)} != {list(expected['output_shape'])}")
            if arr.dataType != arr.FLOAT32:
                problems.append("output is not float32")
        return problems

    def int8_facts(self, path: Path) -> dict[str, Any]:
        """What of an int8 (8-bit weight) package is int8: the weight tensors stored in 8 bits (constexpr
        dequantize ops) against those left fp16 (tensors under 2048 elements); compute is fp16 throughout.
        Returns ``{"int8_weights", "float_weights", "int8_share", "compute"}``."""
        spec = load_spec(path)
        int8 = floats = 0
        for function in spec.mlProgram.functions.values():
            for block in function.block_specializations.values():
                for op in _operations(block):
                    if op.type.startswith("constexpr_"):
                        int8 += 1
                    elif op.type == "const" and _is_weight(op):
                        floats += 1
        total = int8 + floats
        return {"int8_weights": int8, "float_weights": floats,
                "int8_share": round(int8 / total, 3) if total else 0.0, "compute": "fp16"}

    def runtime_unavailable(self) -> str | None:
        """Why Core ML cannot predict here: it needs macOS."""
        if sys.platform != "darwin":
            return "Core ML prediction needs macOS"
        return None

    def run(self, path: Path, inputs: np.ndarray) -> np.ndarray | None:
        """Predict with Core ML on the CPU (macOS only, reproducible for verification); None elsewhere."""
        if self.runtime_unavailable() is not None:
            return None
        return CoreMLSession(path, compute_units="CPU_ONLY").run(inputs)
