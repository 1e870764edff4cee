"""int8 for onnxruntime: the float-graph rewrites and the quantization recipe behind ``--precision int8``.

The recipe was chosen from onnxruntime's per-node profiles (``SessionOptions.enable_profiling``) of
fp32 against int8 artifacts, 1 thread, x86-64 with AVX-512 VNNI (benchmarks/int8_profile.py; figures
in benchmarks/RESULTS.md, "Issue 15"). onnxruntime fuses each DequantizeLinear -> op ->
QuantizeLinear group it has an integer kernel for into one QLinear* node; every other op runs in
float between a dequantize and a quantize, so it costs its float time plus both conversions.

1. Grouped convs with a channel multiplier (``group == C_in``, ``C_out = m * C_in``, ``m > 1``:
   FastViT's stride-2 7x7 downsampling and its final 3x3 expansion) have no depthwise int8 kernel:
   QLinearConv runs them as ``C_in`` tiny GEMMs, 20x slower than the float conv (fastvit_t8: 57 of
   99 ms). They are rewritten as a depthwise conv (multiplier 1) over the input with each channel
   repeated ``m`` times (Unsqueeze, Concat, Reshape: int8 copies): the same products, the same
   weights, and onnxruntime's int8 depthwise kernel.
2. GELU has no int8 kernel; left in float it costs as much as in the fp32 model plus a dequantize and a
   quantize of every GELU input and output. It is computed as ``x * sigmoid(1.702 x)`` (Hendrycks &
   Gimpel 2016, eq. 3), whose ops onnxruntime runs in int8 (QLinearMul, and QLinearSigmoid, a lookup
   table). Its deviation from the exact GELU is at most 0.021 in absolute value (at ``|x|`` near 2),
   below one int8 step of any GELU input wider than [-2.7, 2.7]; the drift it adds is measured with
   the rest (RESULTS.md).
3. Weights per output channel where the kernel allows (Conv, Gemm; onnxruntime refuses per-channel
   scales on the 3-D stacked weights of FaceLiVT's batched token MatMul: "shared mode is not
   supported for weight"); those MatMuls get one scale per tensor. The weights arrive already on
   this grid, rounded in torch with GPTQ and bias-corrected (:mod:`edgerep.exporters.pipeline.int8_torch`).
4. uint8 activations (U8S8, what MLAS's x86 kernels take), asymmetric, no ``reduce_range`` (VNNI
   has no u8s8 overflow); ranges from the 99.99th percentile of the calibration activations, not
   their min/max (min/max for item 5's recipe, whose inputs lose nothing to it) (trained MobileOne-S0: top-1 agreement with fp32 77 % with min/max, 96 % with the
   percentile and GPTQ weights; benchmarks/RESULTS.md, "Issue 21").
5. Networks with LayerNorm (EdgeFace; recipe ``"linear"``, :func:`edgerep.exporters.pipeline.int8_torch.recipe`): only the
   Linear layers (MatMul/Gemm with a weight) in int8, their outputs float. Their residual stream
   carries a few channels far wider than the rest, which one per-tensor scale cannot hold: the
   default recipe, quantizing every op on it, turned the authors' EdgeFace-XXS embeddings to cosine
   0.33 of fp32; with the Linear inputs only (LayerNorm and GELU outputs), 0.98 ("Issue 21"). The
   :data:`FLOAT_LINEAR_LAYERS` Linear layers whose int8 alone costs the most on the calibration
   images (a per-layer sweep in torch; EdgeFace: MLP output layers fed by wide GELU outputs) stay
   float.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgerep._optional import require

from ..._io import quiet
from ..pipeline.int8 import facts

# onnx and onnxruntime (the onnx extra) are imported where used: edgerep runs without them.

GELU_SIGMOID_ALPHA = 1.702  # x * sigmoid(1.702 x), Hendrycks & Gimpel (2016), eq. 3
PER_CHANNEL_OPS = ("Conv", "Gemm")
THIN_CONV_CHANNELS = 4

# Op types that compute in int8 once onnxruntime fuses their QDQ group (QLinear*/QGemm kernels), and
# data-movement ops that pass int8 through unchanged. Everything else between a DequantizeLinear and a
# QuantizeLinear runs in float (see :func:`int8_facts`).
INT8_OPS = frozenset({"Conv", "Gemm", "MatMul", "Add", "Mul", "Sigmoid", "Concat", "AveragePool",
                      "GlobalAveragePool", "ReduceMean", "Softmax", "LeakyRelu", "Relu", "Clip",
                      "MaxPool", "Where"})
MOVE_OPS = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Split",
                      "Gather", "Pad", "Resize", "Identity"})
QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
# What the quantizer is asked to quantize: the int8 kernels and the ops that move int8 data. Norms
# (InstanceNormalization: FaceLiVT's GroupNorm; LayerNormalization: EdgeFace) have no int8 kernel and
# stay out, which also avoids the quantizer's "shared mode is not supported for weight" failure on
# GroupNorm's reshape.
QUANTIZED_OPS = (INT8_OPS | MOVE_OPS) - {"Identity"}
# The "linear" recipe (networks with LayerNorm, :func:`edgerep.exporters.pipeline.int8_torch.recipe`): only these.
LINEAR_OPS = frozenset({"MatMul", "Gemm"})
# Activation ranges: the 99.99th percentile of each tensor's calibration values (item 4).
CALIB_PERCENTILE = 99.99
# The "linear" recipe keeps this many Linear layers float: those whose int8 alone costs the most (item 5).
FLOAT_LINEAR_LAYERS = 2
SWEEP_IMAGES = 32


@dataclass
class Rewrites:
    """What :func:`rewrite_for_int8` changed in the float graph."""

    depthwise: list[str] = field(default_factory=list)  # conv nodes given a channel-repeated input
    gelu: list[str] = field(default_factory=list)  # Gelu nodes now x * sigmoid(1.702 x)

    def notes(self) -> list[str]:
        out = []
        if self.depthwise:
            out.append(f"{len(self.depthwise)} grouped conv(s) with a channel multiplier run as depthwise "
                       "convs on a channel-repeated input (onnxruntime has no int8 kernel for them)")
        if self.gelu:
            out.append(f"{len(self.gelu)} GELU(s) computed as x*sigmoid(1.702x) in int8 (|difference| "
                       "<= 0.021; onnxruntime has no int8 GELU)")
        return out


def rewrite_for_int8(model: Any, *, sigmoid_gelu: bool = True) -> Rewrites:
    """Rewrite the float ``onnx.ModelProto`` in place for int8 (items 1 and 2 of the module doc)."""
    onnx = require("onnx")
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]}
    weights = {t.name: t for t in model.graph.initializer}
    done = Rewrites()
    nodes = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            repeated = _depthwise_input(onnx, node, weights, shapes, nodes)
            if repeated:
                done.depthwise.append(node.name)
        if sigmoid_gelu and node.op_type == "Gelu" and _attr(node, "approximate", b"none") in (b"none", "none"):
            nodes += _sigmoid_gelu(onnx, node, model)
            done.gelu.append(node.name)
            continue
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return done


def _attr(node: Any, name: str, default: Any) -> Any:
    for a in node.attribute:
        if a.name == name:
            from onnx import helper

            return helper.get_attribute_value(a)
    return default


def _depthwise_input(onnx: Any, node: Any, weights: dict, shapes: dict, nodes: list) -> bool:
    """Turn a multiplier conv (group == C_in, C_out = m * C_in) into a depthwise conv on the input
    with each channel repeated ``m`` times, appending the repeat to ``nodes``; False if not one.

    Output channel ``o`` of a grouped conv with one input channel per group reads input channel
    ``o // m``, which is channel ``o`` of the repeated input: the weights stay as they are.
    """
    group = _attr(node, "group", 1)
    w = weights.get(node.input[1])
    x_shape = shapes.get(node.input[0])
    if group <= 1 or w is None or len(w.dims) != 4 or w.dims[1] != 1 or not x_shape or len(x_shape) != 4:
        return False
    n, c, h, wd = x_shape
    out_channels = w.dims[0]
    if c != group or out_channels == c or out_channels % c or 0 in (n, c, h, wd):
        return False
    m = out_channels // c
    helper = onnx.helper
    base = node.name or node.output[0]
    axes = helper.make_tensor(f"{base}/repeat_axes", onnx.TensorProto.INT64, [1], [2])
    shape = helper.make_tensor(f"{base}/repeat_shape", onnx.TensorProto.INT64, [4], [n, c * m, h, wd])
    nodes.append(helper.make_node("Constant", [], [axes.name], value=axes, name=f"{base}/repeat_axes"))
    nodes.append(helper.make_node("Constant", [], [shape.name], value=shape, name=f"{base}/repeat_shape"))
    nodes.append(helper.make_node("Unsqueeze", [node.input[0], axes.name], [f"{base}/x5"],
                                  name=f"{base}/repeat_unsqueeze"))
    nodes.append(helper.make_node("Concat", [f"{base}/x5"] * m, [f"{base}/xm"], axis=2,
                                  name=f"{base}/repeat_concat"))
    nodes.append(helper.make_node("Reshape", [f"{base}/xm", shape.name], [f"{base}/repeated"],
                                  name=f"{base}/repeat_reshape"))
    node.input[0] = f"{base}/repeated"
    for a in node.attribute:
        if a.name == "group":
            a.i = out_channels
    return True


def _sigmoid_gelu(onnx: Any, node: Any, model: Any) -> list:
    helper = onnx.helper
    base = node.name or node.output[0]
    alpha = f"{base}/alpha"
    model.graph.initializer.append(
        helper.make_tensor(alpha, onnx.TensorProto.FLOAT, [], [GELU_SIGMOID_ALPHA]))
    x = node.input[0]
    return [
        helper.make_node("Mul", [x, alpha], [f"{base}/ax"], name=f"{base}/scale"),
        helper.make_node("Sigmoid", [f"{base}/ax"], [f"{base}/gate"], name=f"{base}/sigmoid"),
        helper.make_node("Mul", [x, f"{base}/gate"], list(node.output), name=f"{base}/gelu"),
    ]


def per_channel_axes() -> dict[str, int]:
    """``QDQOpTypePerChannelSupportToAxis``: the ops whose weights get per-channel scales."""
    return {op: 0 for op in PER_CHANNEL_OPS}


def _reader(batches: list[dict[str, np.ndarray]]) -> Any:
    """The calibration batches as onnxruntime's data reader, read in strides (``CalibStridedMinMax``):
    the histogram calibrators keep every activation of what they are fed in memory at once."""
    from onnxruntime.quantization import CalibrationDataReader

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.start, self.end = 0, len(batches)

        def __len__(self) -> int:
            return len(batches)

        def set_range(self, start_index: int, end_index: int) -> None:
            self.start, self.end = start_index, min(end_index, len(batches))

        def get_next(self) -> dict | None:
            if self.start >= self.end:
                return None
            self.start += 1
            return batches[self.start - 1]

    return Batches()


def _stride(n: int, most: int = 16) -> int:
    return max(d for d in range(1, min(n, most) + 1) if n % d == 0)


def quantize(src: Path, dst: Path, batches: list[dict[str, np.ndarray]], workdir: Path, *,
             recipe: str = "conv", sigmoid_gelu: bool = True, float_thin_convs: bool = True,
             float_layers: list[str] | None = None) -> list[str]:
    """Rewrite, pre-process and quantize the float model ``src`` into ``dst`` with the ``recipe``
    (module doc, items 4 and 5); returns one note per rewrite or choice that changed the graph."""
    onnx = require("onnx")
    require("onnxruntime")
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    linear = recipe == "linear"
    model = onnx.load(str(src))
    kept = nodes_of_modules(model, float_layers or [])
    rewrites = rewrite_for_int8(model, sigmoid_gelu=sigmoid_gelu) if not linear else Rewrites()
    excluded = thin_convs(model) if float_thin_convs and not linear else []
    rewritten = workdir / "rewritten.onnx"
    onnx.save(model, str(rewritten))
    pre = workdir / "pre.onnx"
    with quiet():
        quant_pre_process(str(rewritten), str(pre), skip_symbolic_shape=True)
    processed = onnx.load(str(pre))
    transposed = gemm_weights_rows_out(processed)
    if linear:
        excluded += activation_matmuls(processed)
    if kept:  # pre-processing renames what it fuses: "<node>/MatMulAddFusion"
        excluded += [n.name for n in processed.graph.node if n.name.split("/")[0] in kept]
    onnx.save(processed, str(pre))
    per_tensor = _per_tensor_matmuls(processed)
    options = {"QDQOpTypePerChannelSupportToAxis": per_channel_axes(), "TensorQuantOverrides": per_tensor,
               "CalibPercentile": CALIB_PERCENTILE, "CalibStridedMinMax": _stride(len(batches))}
    if linear:
        options["OpTypesToExcludeOutputQuantization"] = ["MatMul", "Gemm"]
    # The linear recipe's inputs (LayerNorm and GELU outputs) lose nothing to min/max (EdgeFace-XXS:
    # the same cosines), and onnxruntime's histogram refuses tensors of a near-zero range ("Too many
    # bins", EdgeFace-XS's all-zero query channels).
    method = CalibrationMethod.MinMax if linear else CalibrationMethod.Percentile
    notes = rewrites.notes()

    def run(method: Any) -> None:
        with quiet():
            quantize_static(
                str(pre), str(dst), _reader(batches), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=method,
                op_types_to_quantize=sorted(LINEAR_OPS if linear else QUANTIZED_OPS),
                nodes_to_exclude=excluded, extra_options=options,
            )

    try:
        run(method)
    except ValueError as exc:
        if "bins" not in str(exc) or method == CalibrationMethod.MinMax:
            raise
        run(CalibrationMethod.MinMax)
        notes.append("activation ranges from min/max: onnxruntime's percentile histogram refused a tensor of "
                     "near-zero range")
    if excluded and not linear:
        notes.append(f"{len(excluded)} conv(s) with <= {THIN_CONV_CHANNELS} input channels (the stem) kept "
                     "in float (onnxruntime's int8 kernel runs them 20x slower)")
    if linear:
        notes.append("LayerNorm network: only the Linear layers in int8 (float outputs); the residual stream, "
                     "depthwise convs and the activation-by-activation MatMuls stay float")
    if float_layers:
        notes.append(f"kept float, where int8 alone cost the most (per-layer sweep on the calibration images): "
                     f"{', '.join(float_layers)}")
    if transposed:
        notes.append(f"{transposed} Gemm weight(s) stored output-channels first so that their int8 scales are "
                     "per output channel")
    return notes


def gemm_weights_rows_out(model: Any) -> int:
    """Store every ``transB=0`` Gemm weight transposed (``transB=1``), in place; returns how many.

    onnxruntime's pre-processing fuses MatMul + Add into Gemm with the weight as (in, out), and the
    per-channel axis is per op type (0 for Gemm): those weights got one scale per *input* channel,
    which no int8 GEMM kernel takes, so they ran as float Gemms behind a dequantize."""
    from onnx import helper, numpy_helper

    weights = {t.name: t for t in model.graph.initializer}
    uses: Counter[str] = Counter(i for n in model.graph.node for i in n.input)
    changed: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "Gemm" or len(node.input) < 2 or node.input[1] not in weights \
                or uses[node.input[1]] != 1 or _attr(node, "transB", 0) or _attr(node, "transA", 0):
            continue
        w = weights[node.input[1]]
        if len(w.dims) != 2:
            continue
        w.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(numpy_helper.to_array(w).T), w.name))
        kept = [a for a in node.attribute if a.name != "transB"]
        del node.attribute[:]
        node.attribute.extend([*kept, helper.make_attribute("transB", 1)])
        changed.add(w.name)
    for field_ in (model.graph.value_info, model.graph.input):  # stale shapes of the old layout
        stale = [v for v in field_ if v.name in changed]
        for v in stale:
            field_.remove(v)
    return len(changed)


def nodes_of_modules(model: Any, modules: list[str]) -> set[str]:
    """Names of the nodes the dynamo exporter made for the torch ``modules`` (its ``name_scopes``
    metadata: the module path of each node)."""

    wanted, out = set(modules), set()
    for node in model.graph.node:
        for prop in node.metadata_props:
            if prop.key == "pkg.torch.onnx.name_scopes":
                try:
                    scopes = ast.literal_eval(prop.value)
                except (ValueError, SyntaxError):
                    continue
                if wanted & set(scopes):
                    out.add(node.name)
    return out


def activation_matmuls(model: Any) -> list[str]:
    """MatMul nodes whose two inputs are both activations (attention): no weight to quantize, and
    their int8 inputs would be L2-normalized queries and keys on a per-tensor scale."""
    weights = {t.name for t in model.graph.initializer}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and not any(i in weights for i in n.input)]


def thin_convs(model: Any) -> list[str]:
    """Non-grouped convs with at most THIN_CONV_CHANNELS input channels (an RGB stem)."""
    weights = {t.name: t for t in model.graph.initializer}
    out = []
    for node in model.graph.node:
        w = weights.get(node.input[1]) if node.op_type == "Conv" and len(node.input) > 1 else None
        if w is not None and len(w.dims) == 4 and w.dims[1] <= THIN_CONV_CHANNELS \
                and _attr(node, "group", 1) == 1:
            out.append(node.name)
    return out


def _per_tensor_matmuls(model: Any) -> dict[str, list[dict]]:
    """MatMul weights that must be quantized per tensor (3-D stacked weights), as overrides."""
    weights = {t.name: t for t in model.graph.initializer}
    out = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights and len(weights[node.input[1]].dims) != 2:
            out[node.input[1]] = [{"symmetric": True}]
    return out


def int8_facts(path: Path) -> dict[str, Any]:
    """What of a quantized ONNX file computes in int8, from its graph alone.

    A compute op is "int8" when every float input comes straight from a DequantizeLinear and its output
    goes straight into a QuantizeLinear (the group onnxruntime fuses into a QLinear kernel) and its type
    has such a kernel; otherwise it runs in float. Data-movement ops (reshape, transpose, ...) count in
    neither. Returns ``{"int8_ops", "float_ops", "int8_share", "float_by_type"}``.
    """
    onnx = require("onnx")
    graph = onnx.load(str(path), load_external_data=False).graph
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    weights = {t.name for t in graph.initializer}
    int8, floats = 0, Counter()
    for node in graph.node:
        op = node.op_type
        if op in QDQ_OPS or op in MOVE_OPS or op == "Constant":
            continue
        ins = [i for i in node.input if i and i not in weights
               and (producer.get(i) is None or producer[i].op_type != "Constant")]
        quant_in = all(producer.get(i) is not None and producer[i].op_type == "DequantizeLinear" for i in ins)
        quant_out = all(c.op_type == "QuantizeLinear" for o in node.output for c in consumers.get(o, [])) \
            and all(consumers.get(o) for o in node.output)
        if op in INT8_OPS and quant_in and (quant_out or op in ("Gemm", "MatMul")) and ins:
            int8 += 1
        else:
            floats[op] += 1
    return facts(int8, floats)
