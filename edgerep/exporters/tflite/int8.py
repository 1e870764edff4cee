"""int8 for LiteRT: the float-file rewrites and the ai-edge-quantizer recipe behind ``--precision int8``.

Chosen from per-op timings on LiteRT's XNNPACK delegate (benchmarks/int8_profile.py: every operator
of the fp32 and the int8 file cut out into a one-op model and timed; the Python interpreter has no op
profiler), 1 thread, x86-64; figures in benchmarks/RESULTS.md, "Issue 15".

1. XNNPACK's int8 depthwise conv is slow for kernels above 25 taps and for channel multipliers
   above 1: fastvit_t8's stride-2 7x7 downsampling convs (48 -> 96 channels) took 9.4 / 8.8 / 2.4 ms
   in int8 against 1.7 / 0.8 / 0.4 ms in float32 (26 of the int8 model's 42 ms), its final 3x3
   expansion (multiplier 2) 1.2 against 0.35 ms. Rewriting them as multiplier-1 convs on a
   channel-repeated input did not help: the int8 7x7 stride-2 conv alone then took 150 ms on
   XNNPACK (1.3 ms on TFLite's own kernel) and the channel-interleaving CONCATENATION 12 ms. These
   convs stay float32 (:func:`mark_float_ops`); the stride-1 7x7s are already split into pieces of at
   most 25 taps by :mod:`.rewrites` and run in int8.
2. Ops with no int8 XNNPACK kernel, which TFLite's own int8 kernels run 10-30x slower than XNNPACK
   runs them in float32, stay float32 (a dequantize in front, a quantize behind): BATCH_MATMUL
   (FaceLiVT's token-axis Linear maps: 9.8 of facelivt_s's 12.5 ms in int8 against 0.5 ms in
   float32; EdgeFace's attention: 0.55 against 0.06 ms) and the variance of EdgeFace's LayerNorms,
   SQUARED_DIFFERENCE (2.3 against 0.07 ms) and RSQRT (0.49 against 0.03 ms). With them in int8,
   edgeface_xxs ran at 1.97x its fp32 latency.
3. DIV and MAXIMUM stay float32: EdgeFace's cross-covariance attention L2-normalizes, dividing by
   ``max(norm, eps)``. TFLite's int8 DIV stops the interpreter when a divisor quantizes to its zero
   point ("div.cc: data[i] != zero_point"), which small norms do; and an int8 MAXIMUM cannot hold
   eps, so a float DIV behind it divided by zero (non-finite outputs, failed verification).
4. Everything else is static int8: per-channel symmetric int8 weights (already on that grid: rounded
   in torch with GPTQ and bias-corrected, :mod:`edgerep.exporters.pipeline.int8_torch`), per-tensor int8 activations from
   min/max calibration (ai-edge-quantizer's moving average of each sample's min and max), float32
   input and output. GELU in int8 is TFLite's lookup table (not XNNPACK, which has no int8 GELU; as
   fast as the float32 GELU on XNNPACK).
5. Networks with LayerNorm (EdgeFace; recipe ``"linear"``, :func:`edgerep.exporters.pipeline.int8_torch.recipe`): only the
   FULLY_CONNECTED layers in int8, as dynamic-range ops (int8 weights, the float input quantized per
   run by the kernel), everything else float32: the residual stream's outlier channels defeat
   per-tensor static scales (benchmarks/RESULTS.md, "Issue 21").

"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..pipeline.int8 import facts
from .flatbuffer import builtin_code, builtin_names, pack_model, read_model, schema, unpack_model
from .rewrites import MAX_FAST_DEPTHWISE_TAPS, _Subgraph

# Ops that only move or reshape int8 data; counted neither as int8 nor as float compute.
MOVE_OPS = frozenset({"RESHAPE", "TRANSPOSE", "CONCATENATION", "PAD", "SQUEEZE", "STRIDED_SLICE",
                      "SLICE", "SPLIT", "GATHER", "BROADCAST_TO", "PACK", "UNPACK", "EXPAND_DIMS"})
CONVERT_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
# Ops XNNPACK runs as dynamic-range int8 (float input, int8 weights): the "linear" recipe's.
DYNAMIC_OPS = frozenset({"FULLY_CONNECTED", "CONV_2D"})


# Op types kept in float32 wherever they occur (items 2 and 3).
FLOAT_OP_TYPES = ("BATCH_MATMUL", "SQUARED_DIFFERENCE", "RSQRT", "DIV", "MAXIMUM")
# Op types ai-edge-quantizer has no int8 recipe for: it leaves them in float32 between a DEQUANTIZE and a
# QUANTIZE (EdgeFace's L2 normalization in cross-covariance attention lowers to ABS).
QUANTIZER_FLOAT_OP_TYPES = ("ABS",)
FLOAT_MARK = "edgerep:float32;"  # output-tensor name prefix of the ops the recipe keeps in float32


def slow_int8_depthwise(sub: _Subgraph, op: Any) -> str | None:
    """Why ``op`` is a depthwise conv XNNPACK runs slowly in int8 (item 1), or None."""
    schema = sub.schema
    if sub.builtin(op) != schema.BuiltinOperator.DEPTHWISE_CONV_2D:
        return None
    x, kernel = (sub.graph.tensors[int(i)] for i in op.inputs[:2])
    if len(x.shape) != 4 or len(kernel.shape) != 4:
        return None
    if int(kernel.shape[3]) != int(x.shape[3]):
        return "a channel multiplier"
    if int(kernel.shape[1]) * int(kernel.shape[2]) > MAX_FAST_DEPTHWISE_TAPS:
        return f"a {int(kernel.shape[1])}x{int(kernel.shape[2])} kernel"
    return None


def mark_float_ops(data: bytes) -> tuple[bytes, list[str]]:
    """``data`` (a float32 ``.tflite``, after :mod:`.rewrites`) with the output tensors of the
    depthwise convs of item 1 renamed ``FLOAT_MARK + name``, which :func:`configure` keeps in float32;
    and one note saying what was kept."""
    model = unpack_model(data)
    reasons: Counter[str] = Counter()
    for graph in model.subgraphs:
        sub = _Subgraph(model, graph)
        for op in graph.operators:
            why = slow_int8_depthwise(sub, op)
            if why is None:
                continue
            why = f"DEPTHWISE_CONV_2D with {why}"
            out = graph.tensors[int(op.outputs[0])]
            name = out.name.decode() if isinstance(out.name, bytes) else (out.name or "")
            if not name.startswith(FLOAT_MARK):
                out.name = FLOAT_MARK + name
            reasons[why] += 1
    if not reasons:
        return data, []
    kinds = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
    return pack_model(model, len(data)), [
        f"kept in float32, where XNNPACK's int8 kernels are 3-20x slower than its float32 ones: {kinds}"]


def configure(quantizer: Any, aeq: Any, recipe: str = "conv") -> str:
    """Set the int8 recipe (items 2 to 5) on an ``ai_edge_quantizer.Quantizer``; returns the scheme."""
    qt = aeq.qtyping
    no_quantize = aeq.algorithm_manager.AlgorithmName.NO_QUANTIZE
    if recipe == "linear":
        quantizer.add_dynamic_config(regex=".*", operation_name=qt.TFLOperationName.FULLY_CONNECTED, num_bits=8)
        return ("LayerNorm network: dynamic-range int8 FULLY_CONNECTED (per-channel int8 weights, inputs "
                "quantized at run time), everything else float32")
    quantizer.add_static_config(regex=".*", operation_name=qt.TFLOperationName.ALL_SUPPORTED,
                                activation_num_bits=8, weight_num_bits=8)
    # Keep float32 I/O (a QUANTIZE/DEQUANTIZE pair at the ends): the app code stays the same for every
    # precision.
    for name in ("INPUT", "OUTPUT", *FLOAT_OP_TYPES):
        quantizer.update_quantization_recipe(regex=".*", operation_name=getattr(qt.TFLOperationName, name),
                                             algorithm_key=no_quantize)
    quantizer.update_quantization_recipe(regex=f"^{FLOAT_MARK}", operation_name=qt.TFLOperationName.ALL_SUPPORTED,
                                         algorithm_key=no_quantize)
    return ("static int8: per-channel symmetric int8 weights, per-tensor int8 activations (min/max "
            f"calibration), float32 input/output; {', '.join(FLOAT_OP_TYPES)} in float32")


def int8_facts(path: Any) -> dict[str, Any]:
    """What of a quantized ``.tflite`` computes in int8, from its tensors' types alone.

    A compute op is int8 when its first input is an int8/int16 tensor, or (dynamic range) when it is a
    FULLY_CONNECTED/CONV_2D with int8 weights; data-movement ops (reshape,
    transpose, ...) and the QUANTIZE/DEQUANTIZE conversions count in neither. Returns
    ``{"int8_ops", "float_ops", "int8_share", "float_by_type"}``.
    """
    types = schema().TensorType
    names = builtin_names()
    model = read_model(path)
    int_types = {types.INT8, types.INT16, types.UINT8}
    int8, floats = 0, Counter()
    for g in range(model.SubgraphsLength()):
        sub = model.Subgraphs(g)
        for i in range(sub.OperatorsLength()):
            op = sub.Operators(i)
            code = model.OperatorCodes(op.OpcodeIndex())
            name = names.get(builtin_code(code), "CUSTOM")
            if name in MOVE_OPS or name in CONVERT_OPS:
                continue
            first = op.Inputs(0) if op.InputsLength() else -1
            weight = op.Inputs(1) if op.InputsLength() > 1 else -1
            if first >= 0 and sub.Tensors(first).Type() in int_types:
                int8 += 1
            elif name in DYNAMIC_OPS and weight >= 0 and sub.Tensors(weight).Type() == types.INT8:
                int8 += 1  # dynamic range: int8 weights, the float input quantized by the kernel per run
            else:
                floats[name] += 1
    return facts(int8, floats)
