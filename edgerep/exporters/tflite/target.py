"""TFLite target: litert-torch conversion, LiteRT (ai-edge-litert) runtime, in-file metadata.

litert-torch converts the fused model; the export-time rewrites of
:mod:`edgerep.exporters.tflite.rewrites` then edit the converted float32 file (same function, a graph
XNNPACK runs well) and are checked against it on the interpreter, before any quantization. NHWC
input (``channels_last``, the default) is a transpose in front of the model that litert-torch's
layout pass folds away: the graph runs NHWC throughout with no TRANSPOSE op.

Precisions:
  fp32  float32 weights and arithmetic.
  fp16  float16 weights (half the file), dequantized to float32 when the interpreter loads them
        (TFLite's "float16 quantization"; GPU delegates and ARMv8.2 XNNPACK may compute in fp16).
  int8  static post-training quantization with ai-edge-quantizer: int8 per-channel symmetric
        weights, int8 per-tensor activations from min/max calibration; float32 input and output;
        the float-file rewrites and the ops kept in float32 are in :mod:`.int8`.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from edgerep._optional import require

from ..._io import quiet, staged, write_atomic
from ..pipeline.metadata import dist_version
from ..pipeline.options import ExportOptions
from ..pipeline.precision import Precision
from ..pipeline.targets import Target
from ..pipeline.verify import rel_error
from . import int8 as tflite_int8, rewrites
from .flatbuffer import builtin_code, builtin_names, metadata_entries, read_model, schema, unpack_model, with_metadata
from .int8 import int8_facts
from .rewrites import Rewritten, _Subgraph, drop_orphan_tensors, rewrite_for_litert, slow_depthwise_kernel
from .runtime import TFLiteSession, invoke, io_signature, session

# ai_edge_litert's interpreter (the tflite extra) is imported where used, inside quiet(): it logs at import.

REWRITE_TOLERANCE = 1e-5  # relative L2 error of each rewritten op's output (see _check_rewrite)
REWRITE_OUTPUT_TOLERANCE = 1e-4  # and of the model's outputs, the fp32 verification bound


# ------------------------------------------------------------------------------------- convert


def convert(model: nn.Module, example: torch.Tensor, path: Path, *, precision: Precision | str = "fp32",
            channels_last: bool = True, calibration: torch.Tensor | None = None,
            int8_recipe: str = "conv") -> dict[str, Any]:
    """Convert a fused, eval-mode ``model`` to a ``.tflite`` file at ``path`` (written atomically).

    Args:
        model: fused and in eval mode; not modified (the rewrites apply to a copy).
        example: an NCHW input of the exported shape (batch included).
        path: the file to write.
        precision: ``"fp32"``, ``"fp16"`` or ``"int8"`` (see the module docstring).
        channels_last: NHWC input (True, the mobile convention) or NCHW (False). The output keeps
            the model's own layout (logits or embeddings are 2-D either way).
        calibration: int8 only (required): NCHW images in the same form as ``example``.
        int8_recipe: int8 only: ``"conv"`` (static int8 throughout) or ``"linear"`` (networks with
            LayerNorm: dynamic-range int8 Linear layers, the rest float32); see :mod:`.int8`.

    Returns:
        What the sidecar records: converter and runtime versions, layout, rewrites, precision scheme.
    """
    precision, example = _check_args(model, example, precision, channels_last, calibration)
    path = Path(path)
    with quiet():
        litert_torch = require("litert_torch")
    info: dict[str, Any] = {
        "converter": f"litert-torch {dist_version('litert-torch')}",
        "runtime": f"ai-edge-litert {dist_version('ai-edge-litert')} (XNNPACK CPU delegate)",
        "input_layout": "NHWC" if channels_last else "NCHW",
    }

    graph = copy.deepcopy(model).eval()  # wrappers built for export may still say train()
    sample = example
    if channels_last:
        graph = litert_torch.to_channel_last_io(graph, args=[0]).eval()
        sample = example.permute(0, 2, 3, 1).contiguous()

    with staged(path) as (tmp,):
        with quiet(), torch.no_grad():
            litert_torch.convert(graph, (sample,)).export(str(tmp))
        converted = tmp.read_bytes()
        rewritten = rewrite_for_litert(converted)
        info["rewrites"] = rewritten.notes
        if rewritten.notes:
            info["rewrite_rel_error"] = _check_rewrite(converted, rewritten, sample)
            tmp.write_bytes(drop_orphan_tensors(rewritten.data))
        data = None
        if precision.is_integer:
            data = _calibration_inputs(calibration, example, channels_last)
            info["calibration"] = f"the given batch ({sum(len(b) for b in data)} images)"
        if precision is not Precision.FP32:
            info["quantization"] = _quantize(tmp, precision, data, int8_recipe)
    info["precision"] = precision
    return info


def _check_args(model: nn.Module, example: torch.Tensor, precision: Precision | str, channels_last: bool,
                calibration: torch.Tensor | None) -> tuple[Precision, torch.Tensor]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(example, torch.Tensor) or example.ndim != 4:
        shape = tuple(example.shape) if isinstance(example, torch.Tensor) else type(example).__name__
        raise ValueError(f"example must be an NCHW tensor (N, C, H, W), got {shape}; pass e.g. "
                         "torch.randn(1, 3, 224, 224)")
    precision = Precision.parse(precision, who="tflite")  # this function's own API: its edge
    if not isinstance(channels_last, bool):
        raise TypeError(f"channels_last must be True (NHWC input) or False (NCHW), got {channels_last!r}")
    if precision.is_integer and calibration is None:
        raise ValueError("precision 'int8' needs a calibration batch (NCHW images like the example); "
                         "edgerep.export() supplies one (random images unless you give --calibration)")
    if calibration is not None:
        if not precision.is_integer:
            raise ValueError(f"calibration applies only to precision 'int8' (got {precision!r}); "
                             "drop the calibration batch or pass precision='int8'")
        if not isinstance(calibration, torch.Tensor) or calibration.ndim != 4 \
                or tuple(calibration.shape[1:]) != tuple(example.shape[1:]):
            got = tuple(calibration.shape) if isinstance(calibration, torch.Tensor) else type(calibration).__name__
            raise ValueError(f"calibration must be NCHW images shaped (N, {', '.join(map(str, example.shape[1:]))})"
                             f" like the example, got {got}")
    return precision, example.detach().float()


def _check_rewrite(converted: bytes, rewritten: Rewritten, sample: torch.Tensor) -> float:
    """The largest relative error of what the rewrites changed, checked op by op on one random input;
    raises beyond float32 rounding.

    - Each split conv's output in the rewritten file against the original conv (its kernel, bias and
      fused activation from the converted file) applied in float64 to the same input tensor of the
      rewritten file: a local check, so that neither the depth of the network nor its weights scale
      the bound. Float32 differences from the summation order compound through a deep, randomly
      weighted network (fastvit_sa24: 1e-7 at the first split conv, 3.5e-5 at the last attention
      stage when the two files run side by side), while one lost tap moves its own conv's output by
      far more than 1e-5 even where a freshly initialized FastViT's 1e-5 layer scales hide it from
      the logits.
    - Each folded constant against the value the converted file computes.
    - The model's outputs against the converted file's, within the fp32 verification bound: only a
      gross error (a misplaced op) shows there once every local check has passed.

    Intermediate tensors are only readable with TFLite's builtin kernels (XNNPACK keeps its own), so
    the check runs without the delegate; verification then runs on XNNPACK.
    """

    x = torch.randn(sample.shape, generator=torch.Generator().manual_seed(0)).numpy()
    model = unpack_model(converted)
    split = {}  # (subgraph, output tensor) -> the converted file's conv, for the local check
    for g, graph in enumerate(model.subgraphs):
        sub = _Subgraph(model, graph)
        for op in graph.operators:
            kernel = slow_depthwise_kernel(sub, op)
            if kernel is not None:
                bias = sub.const(int(op.inputs[2])) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
                split[(g, int(op.outputs[0]))] = (int(op.inputs[0]), kernel, bias, op.builtinOptions)
    with quiet():
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        runs = []
        for data in (converted, rewritten.data):
            interpreter = Interpreter(
                model_content=data, num_threads=1, experimental_preserve_all_tensors=True,
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            outputs = [(0, d["index"]) for d in interpreter.get_output_details()]
            invoke(interpreter, x)
            runs.append((interpreter, outputs))
    (before, outputs), (after, _) = runs

    def value(interpreter: Any, g: int, t: int) -> np.ndarray:
        return interpreter.get_tensor(t, g).astype(np.float64)

    local_errors = []
    for g, t in rewritten.preserved:
        if (g, t) in split:
            source, kernel, bias, options = split[(g, t)]
            ref = _depthwise_same(value(after, g, source), kernel, bias, options)
        else:
            ref = value(before, g, t)
        local_errors.append(rel_error(value(after, g, t), ref))
    output_errors = [rel_error(value(after, g, t), value(before, g, t)) for g, t in outputs]
    local, output = _worst(local_errors), _worst(output_errors)
    # all(e <= bound): a NaN error fails, where max() would have dropped it.
    if not (all(e <= REWRITE_TOLERANCE for e in local_errors)
            and all(e <= REWRITE_OUTPUT_TOLERANCE for e in output_errors)):
        raise RuntimeError(f"the TFLite export rewrites changed the model's output (relative error "
                           f"{local:.2e} at a rewritten op, bound {REWRITE_TOLERANCE:g}; {output:.2e} at "
                           f"the outputs, bound {REWRITE_OUTPUT_TOLERANCE:g}): please report this as an "
                           "edgerep bug")
    return float(f"{local:.3g}")


def _worst(errors: list[float]) -> float:
    """The largest error, NaN if any is NaN (``max`` keeps whichever comes first)."""
    return float("nan") if any(np.isnan(errors)) else max(errors, default=0.0)


def _depthwise_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, options: Any) -> np.ndarray:
    """A stride-1, SAME-padded depthwise conv of NHWC ``x`` with a ``[1, kh, kw, C * m]`` kernel, its
    bias and fused activation, in float64 (what :func:`slow_depthwise_kernel` selects)."""
    kinds = schema().ActivationFunctionType
    _, kh, kw, _ = kernel.shape
    x = np.repeat(x, int(options.depthMultiplier or 1), axis=3)
    height, width = x.shape[1:3]
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(x, ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
    k = kernel.astype(np.float64)
    out = sum(padded[:, i:i + height, j:j + width, :] * k[0, i, j] for i in range(kh) for j in range(kw))
    if bias is not None:
        out = out + bias.astype(np.float64)
    act = options.fusedActivationFunction
    if act == kinds.RELU:
        return np.maximum(out, 0.0)
    if act == kinds.RELU6:
        return np.clip(out, 0.0, 6.0)
    if act == kinds.RELU_N1_TO_1:
        return np.clip(out, -1.0, 1.0)
    if act != kinds.NONE:
        raise RuntimeError(f"the depthwise split met a fused activation it cannot check ({act}): please "
                           "report this as an edgerep bug")
    return out


def _calibration_inputs(calibration: torch.Tensor, example: torch.Tensor,
                        channels_last: bool) -> list[np.ndarray]:
    """One array per exported batch, in the graph's input layout."""
    data = calibration.detach().float()
    if channels_last:
        data = data.permute(0, 2, 3, 1)
    batch = example.shape[0]
    if len(data) < batch:
        data = data.repeat((batch + len(data) - 1) // len(data), 1, 1, 1)
    usable = len(data) // batch * batch
    return [data[i:i + batch].contiguous().numpy() for i in range(0, usable, batch)]


def _quantize(path: Path, precision: Precision, calibration: list[np.ndarray] | None, recipe: str = "conv") -> str:
    """Quantize the float model at ``path`` in place with ai-edge-quantizer; returns the scheme."""
    with quiet():
        aeq = require("ai_edge_quantizer")
    qt = aeq.qtyping
    op = qt.TFLOperationName.ALL_SUPPORTED
    notes: list[str] = []
    if precision.is_integer and recipe != "linear":

        data, notes = tflite_int8.mark_float_ops(path.read_bytes())
        path.write_bytes(data)
    quantizer = aeq.quantizer.Quantizer(path.read_bytes())
    if precision.is_float16:
        quantizer.add_weight_only_config(
            regex=".*", operation_name=op, num_bits=16,
            algorithm_key=aeq.algorithm_manager.AlgorithmName.FLOAT_CASTING,
        )
        scheme = "float16 weights, dequantized to float32 at load; float32 activations and I/O"
    else:

        scheme = tflite_int8.configure(quantizer, aeq, recipe)
    with quiet():
        calib = None
        if quantizer.need_calibration:
            signature, name = _signature_input(path)
            calib = quantizer.calibrate({signature: [{name: x} for x in calibration]}, num_threads=1)
        result = quantizer.quantize(calib, enable_progress_report=False)
    path.write_bytes(bytes(result.quantized_model))
    return "; ".join([scheme, *notes])


def _signature_input(path: Path) -> tuple[str, str]:
    interpreter = session(path, 1).interpreter
    signatures = interpreter.get_signature_list()
    key = next(iter(signatures))
    return key, signatures[key]["inputs"][0]


class TFLiteTarget(Target):
    """TFLite files from litert-torch, rewritten for XNNPACK, run with ai-edge-litert."""

    options = frozenset({"channels_last", "calibration"})
    runtime = "litert"
    runtime_title = "LiteRT"
    int8_goal = 0.6  # issue 15: int8 median at most this fraction of fp32's
    backend = "XNNPACK"
    tools = ("torch", "litert-torch", "ai-edge-litert", "numpy")

    def input_layout(self, options: ExportOptions) -> str:
        return "NCHW" if options.channels_last is False else "NHWC"

    def convert(self, model: nn.Module, example: torch.Tensor, path: Path, options: ExportOptions) -> dict:
        return convert(model, example, path, precision=options.precision,
                       channels_last=self.input_layout(options) == "NHWC",
                       calibration=options.calibration, int8_recipe=options.int8_recipe) or {}

    def describe(self, options: ExportOptions, info: dict) -> str:
        notes = " ".join(info.get("rewrites") or [])
        done = [label for key, label in (("constants", "constant ops folded"),
                                         ("depthwise", "large depthwise convs split for XNNPACK")) if key in notes]
        rewritten = (f"; {', '.join(done)} (same function: rel err {info['rewrite_rel_error']:.1e})"
                     if done else "")
        return f"{self.input_layout(options)} input, {options.precision}{rewritten}"

    def recorded_options(self, options: ExportOptions, info: dict) -> dict:
        return {"channels_last": self.input_layout(options) == "NHWC"}

    def next_step(self, model: str, path: Path) -> str:
        return (f"edgerep bench {model} --runtime litert   "
                f"(Android: benchmark_model --graph={path.name} --num_threads=4)")

    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        """Store ``metadata`` as flatbuffer metadata entries (name -> UTF-8 buffer), atomically.

        Entries with the same names are replaced; others (``min_runtime_version``, TFLite's own
        ``TFLITE_METADATA``) are kept. Readers: :meth:`read_metadata`, or any flatbuffer reader.
        """
        path = Path(path)
        write_atomic(path, with_metadata(path.read_bytes(), metadata))

    def read_metadata(self, path: Path) -> dict[str, str]:
        """Every flatbuffer metadata entry whose bytes are UTF-8 text, by name."""
        return metadata_entries(Path(path).read_bytes(), str(path))

    def op_histogram(self, path: Path) -> dict[str, int]:
        """Operator counts over every subgraph, by builtin name (custom ops as ``CUSTOM:<name>``)."""
        names = builtin_names()
        model = read_model(path)
        counts: Counter[str] = Counter()
        for g in range(model.SubgraphsLength()):
            sub = model.Subgraphs(g)
            for i in range(sub.OperatorsLength()):
                code = model.OperatorCodes(sub.Operators(i).OpcodeIndex())
                builtin = builtin_code(code)
                name = names.get(builtin, f"BUILTIN_{builtin}")
                if name == "CUSTOM":
                    name = f"CUSTOM:{(code.CustomCode() or b'').decode()}"
                counts[name] += 1
        return dict(counts.most_common())

    def constant_ops(self, path: Path) -> int:
        """Operators of the main subgraph that compute only from constants (0 after :func:`convert`'s
        rewrites fold them)."""
        return len(rewrites.constant_ops(unpack_model(Path(path).read_bytes())))

    def int8_facts(self, path: Path) -> dict[str, Any] | None:
        return int8_facts(path)

    def check_structure(self, path: Path, expected: dict[str, Any]) -> list[str]:
        """The interpreter's input/output shapes against ``expected`` (see Target.check_structure);
        TFLite renames tensors, so names are not compared."""
        sig = io_signature(path)
        problems = []
        if len(sig["inputs"]) != 1 or sig["inputs"][0]["shape"] != list(expected["input_shape"]):
            problems.append(f"inputs {[i['shape'] for i in sig['inputs']]} != [{list(expected['input_shape'])}]")
        if len(sig["outputs"]) != 1 or sig["outputs"][0]["shape"] != list(expected["output_shape"]):
            problems.append(f"outputs {[o['shape'] for o in sig['outputs']]} != [{list(expected['output_shape'])}]")
        return problems

    def runtime_version(self) -> str | None:
        found = dist_version("ai-edge-litert")
        return None if found == "not installed" else found

    def open(self, path: Path, threads: int | None = 1) -> TFLiteSession:
        return TFLiteSession(path, threads)
