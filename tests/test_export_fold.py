"""Constant subgraphs are folded in every export: a value computed from weights and the input's
(fixed) shape alone is stored, not recomputed by the runtime on every call.

The module below builds a table of sines from its input's size and projects it with a 1x1 conv, the
shape of EdgeFace's Fourier positional encoding: 16x32x32 = 16384 elements, above the 8192-element
input limit of the constant folder torch's exporter runs, so without edgerep's fold the ONNX graph
keeps a Conv whose inputs are all constants (which OpenCV DNN refuses to load).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import edgerep

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402

from edgerep.exporters.onnx.fold import constant_nodes  # noqa: E402

SIZE = (32, 32)


class ShapeTable(nn.Module):
    """A conv on the image plus a 1x1 projection of a sine table that depends only on H and W."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.proj = nn.Conv2d(16, 8, 1)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        grid = torch.arange(h * w, dtype=torch.float32).reshape(1, 1, h, w) / (h * w)
        table = torch.cat([torch.sin(grid * k) for k in range(1, 17)], dim=1)  # (1, 16, H, W)
        y = self.conv(x) + self.proj(table)
        return self.head(y.mean((2, 3)))


def _exporter_default(tmp_path) -> onnx.ModelProto:
    """What torch's exporter alone writes (its own optimizer on): the subgraph this test is about."""
    path = tmp_path / "plain.onnx"
    with torch.no_grad():
        torch.onnx.export(ShapeTable().eval(), (torch.randn(1, 3, *SIZE),), str(path), dynamo=True,
                          external_data=False, verbose=False)
    return onnx.load(str(path))


def test_onnx_export_folds_a_shape_only_subgraph(tmp_path):
    plain = _exporter_default(tmp_path)
    left = [n.op_type for n in constant_nodes(plain.graph)]
    assert "Conv" in left  # the premise: the exporter's own folder leaves the projection

    result = edgerep.export(ShapeTable(), "onnx", input_size=SIZE, output=tmp_path / "folded.onnx")
    assert result.passed and result.verification.rel_error <= 1e-4
    graph = onnx.load(str(result.path)).graph
    assert constant_nodes(graph) == [] and result.audit.constant_ops == 0
    assert result.metadata["conversion"]["folded_nodes"] >= len(left)
    assert result.nodes == len(plain.graph.node) - len(left)
    assert "Sin" not in result.op_histogram and result.op_histogram["Conv"] == 1


def test_constant_nodes_follows_chains_and_keeps_quantization():
    from onnx import TensorProto, helper

    w = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    nodes = [
        helper.make_node("Constant", [], ["c"], value=helper.make_tensor("v", TensorProto.FLOAT, [2], [3, 4])),
        helper.make_node("Add", ["w", "c"], ["s"]),  # constant
        helper.make_node("Neg", ["s"], ["n"]),  # constant through the chain
        helper.make_node("DequantizeLinear", ["w", "w"], ["d"]),  # kept on purpose
        helper.make_node("Mul", ["x", "n"], ["y"]),  # reads the input
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], [w])
    assert [n.op_type for n in constant_nodes(graph)] == ["Add", "Neg"]


def test_fold_keeps_a_broadcast_that_would_grow_the_file():
    """Folding stops where the folded value would exceed OUTPUT_LIMIT elements and be larger than
    the constants it replaces (an Expand of a scalar to a large map)."""
    from onnx import TensorProto, helper
    from onnxscript import ir

    from edgerep.exporters.onnx.fold import OUTPUT_LIMIT, fold_constants

    big = OUTPUT_LIMIT * 2
    inits = [helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
             helper.make_tensor("shape", TensorProto.INT64, [1], [big]),
             helper.make_tensor("w", TensorProto.FLOAT, [4], [1, 2, 3, 4]),
             helper.make_tensor("axes", TensorProto.INT64, [1], [0])]
    nodes = [helper.make_node("Expand", ["one", "shape"], ["e"]),
             helper.make_node("ReduceSum", ["e", "axes"], ["r"], keepdims=1),
             helper.make_node("Neg", ["w"], ["nw"]),
             helper.make_node("Mul", ["x", "r"], ["xr"]),
             helper.make_node("Add", ["xr", "nw"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], inits)
    model = ir.serde.deserialize_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]))
    removed = fold_constants(model)
    ops = [n.op_type for n in model.graph]
    assert "Neg" not in ops and removed >= 1  # small constant work folds
    assert "Expand" in ops  # a 8M-element broadcast of a scalar stays a node
    x = np.arange(4, dtype=np.float32)
    from onnx.reference import ReferenceEvaluator

    out = ReferenceEvaluator(ir.serde.serialize_model(model)).run(None, {"x": x})[0]
    np.testing.assert_allclose(out, x * big - np.array([1, 2, 3, 4]), rtol=1e-6)


def test_tflite_export_folds_a_shape_only_subgraph(tmp_path):
    pytest.importorskip("litert_torch")
    from edgerep.exporters.pipeline.targets import get_target
    from edgerep.exporters.tflite.flatbuffer import unpack_model
    from edgerep.exporters.tflite.rewrites import constant_ops

    result = edgerep.export(ShapeTable(), "tflite", input_size=SIZE, output=tmp_path / "folded.tflite")
    assert result.passed and result.verification.rel_error <= 1e-4
    assert result.audit.constant_ops == 0 == len(constant_ops(unpack_model(result.path.read_bytes())))
    assert result.op_histogram["CONV_2D"] == 1
    assert any("computed only from constants" in n for n in result.metadata["conversion"]["rewrites"])
    # The folded operators leave no tensor behind that nothing reads or writes: ai-edge-quantizer's
    # int8 calibrator reads every tensor and fails on one without data.
    graph = unpack_model(result.path.read_bytes()).subgraphs[0]
    touched = {int(i) for op in graph.operators for i in [*op.inputs, *op.outputs]}
    assert touched | {int(i) for i in [*graph.inputs, *graph.outputs]} == set(range(len(graph.tensors)))

    # The premise: litert-torch alone converts the table and its projection into operators.
    plain = tmp_path / "plain.tflite"
    import litert_torch

    with torch.no_grad():
        wrapped = litert_torch.to_channel_last_io(ShapeTable().eval(), args=[0]).eval()
        litert_torch.convert(wrapped, (torch.randn(1, *SIZE, 3),)).export(str(plain))
    left = constant_ops(unpack_model(plain.read_bytes()))
    hist = get_target("tflite").op_histogram(plain)
    assert hist["CONV_2D"] == 2 and len(left) >= 1, (hist, left)
    assert result.nodes == sum(hist.values()) - len(left)
    assert result.size_mb * 1e6 < plain.stat().st_size + 64 * 1024  # the folded 8x32x32 table, no more


def test_coreml_export_folds_a_shape_only_subgraph(tmp_path):
    pytest.importorskip("coremltools")
    from edgerep.exporters.pipeline.torch_fold import constant_nodes, fold_constants

    x = torch.randn(1, 3, *SIZE)
    with torch.no_grad():
        program = torch.export.export(ShapeTable().eval(), (x,)).run_decompositions({})
    left = constant_nodes(program.module())
    assert any("conv2d" in str(n.target) for n in left)  # the premise: the table and its conv
    folded, removed = fold_constants(program, x)
    assert removed == len(left) and constant_nodes(folded.module()) == []
    with torch.no_grad():
        torch.testing.assert_close(folded.module()(x), ShapeTable().eval()(x), rtol=1e-5, atol=1e-6)

    result = edgerep.export(ShapeTable(), "coreml", input_size=SIZE, output=tmp_path / "folded.mlpackage")
    assert result.passed and result.audit.constant_ops == 0
    assert result.metadata["conversion"]["folded_nodes"] == len(left)
    assert result.op_histogram["conv"] == 1  # the projection of the table is gone


def test_fold_refuses_a_changed_output(monkeypatch):
    from edgerep.exporters.pipeline import torch_fold

    x = torch.randn(1, 3, *SIZE)
    with torch.no_grad():
        program = torch.export.export(ShapeTable().eval(), (x,)).run_decompositions({})
    real = torch_fold._attr
    monkeypatch.setattr(torch_fold, "_attr", lambda gm, target: real(gm, target) * 1.01)
    with pytest.raises(RuntimeError, match="constant folding changed the model's output"):
        torch_fold.fold_constants(program, x)
