"""Constant folding of an exported ONNX graph: every node whose inputs are all constants becomes one.

torch's dynamo exporter already runs onnxscript's optimizer, but that folds a node only when each of
its constant inputs has at most 8192 elements. A node with a larger constant input stays in the graph
and recomputes the same value on every run: EdgeFace's Fourier positional encoding is one (a 1x1
Conv over a 64x14x14 table of sines and cosines, which depends only on the input size), and OpenCV
DNN 4.x and 5.x refuse to load a Conv whose data input is a constant. Any model whose forward builds
a tensor from its input's shape alone has the same kind of subgraph.

:func:`fold_constants` runs onnxscript's constant folder again on the exported graph without the
input limit: each such node is evaluated once, with ``onnx.reference``, and replaced by an
initializer. One limit stays: a folded value of more than :data:`OUTPUT_LIMIT` elements is kept
only when it is no larger than the constants it replaces, so a broadcast (an Expand or Tile of a
small constant) cannot blow up the file. Quantization nodes (Quantize/DequantizeLinear) and
ConstantOfShape are never folded (onnxscript's own exclusions: they keep the file small and the
quantization visible). :func:`constant_nodes` finds what is left, for the export audit.
"""

from __future__ import annotations

from typing import Any

from edgerep._optional import require

# onnxscript (the onnx extra) is imported where used: edgerep runs without it.

# Elements above which a folded value must not be larger than the constants it replaces (16 MB of
# float32): folding then never costs more file size than that per node.
OUTPUT_LIMIT = 1 << 22
_NO_INPUT_LIMIT = 1 << 62


def fold_constants(model: Any) -> int:
    """Fold every constant subgraph of ``model`` (an ``onnx_ir.Model``) in place; returns the number
    of nodes removed."""
    require("onnxscript")
    from onnxscript import ir
    from onnxscript.ir.passes import common
    from onnxscript.optimizer import fold_constants as fold

    before = len(model.graph)
    fold(model, input_size_limit=_NO_INPUT_LIMIT, output_size_limit=OUTPUT_LIMIT)
    ir.passes.Sequential(
        common.RemoveUnusedNodesPass(),  # also drops the initializers only the folded nodes read
        common.LiftConstantsToInitializersPass(lift_all_constants=True, size_limit=0),
    )(model)
    return before - len(model.graph)


def constant_nodes(graph: Any) -> list[Any]:
    """Nodes of an ``onnx.GraphProto`` that compute only from constants (initializers, Constant
    nodes and other such nodes), excluding the kinds :func:`fold_constants` keeps on purpose."""
    constant = {init.name for init in graph.initializer} | {""}  # "" is an omitted optional input
    found = []
    for node in graph.node:  # the graph is topologically sorted
        if node.op_type == "Constant":
            constant.update(node.output)
        elif all(name in constant for name in node.input) and node.op_type not in _KEPT:
            constant.update(node.output)
            found.append(node)
    return found


_KEPT = frozenset({"ConstantOfShape", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})
