"""TFLite target: the export-time rewrites (on the flatbuffer), conversion parity on LiteRT, metadata, op
histogram, fp16/int8 files, and user errors."""

from __future__ import annotations

import collections
import copy
import itertools

import numpy as np
import pytest
import torch
from torch import nn

from edgerep.exporters.tflite_rewrites import (
    MAX_FAST_DEPTHWISE_TAPS, kernel_pieces, rewrite_for_litert, unpack_model,
)

from .helpers import randomize, rel_err

litert_torch = pytest.importorskip("litert_torch")
pytest.importorskip("ai_edge_litert")

from edgerep.exporters import tflite  # noqa: E402


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _nhwc(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 1).contiguous().numpy()


# ------------------------------------------------------------------------- rewrites (flatbuffer)


@pytest.mark.parametrize("kh,kw", [(7, 7), (9, 9), (11, 11), (3, 11), (11, 3), (7, 5), (6, 6), (13, 13)])
def test_kernel_pieces_cover_each_tap_once_symmetrically(kh, kw):
    pieces = kernel_pieces(kh, kw)
    seen = collections.Counter(itertools.chain.from_iterable(itertools.product(p.rows, p.cols) for p in pieces))
    assert seen == collections.Counter(itertools.product(range(kh), range(kw)))
    for p in pieces:
        assert p.taps <= MAX_FAST_DEPTHWISE_TAPS
        # symmetric about the centre: first + last index = size - 1 (same output size, symmetric pad)
        assert p.rows[0] + p.rows[-1] == kh - 1 and p.cols[0] + p.cols[-1] == kw - 1
        for idx in (p.rows, p.cols):  # an arithmetic progression, i.e. one dilated kernel
            assert len({b - a for a, b in zip(idx, idx[1:])}) <= 1


class DepthwiseThenReLU(nn.Module):
    def __init__(self, conv: nn.Conv2d, relu: bool) -> None:
        super().__init__()
        self.conv, self.relu = conv, relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return torch.relu(y) if self.relu else y


def _litert_bytes(module: nn.Module, shape: tuple[int, ...]) -> bytes:
    """litert-torch's own conversion (NHWC input, no edgerep rewrite) of ``module``."""
    import tempfile
    from pathlib import Path

    graph = litert_torch.to_channel_last_io(module.eval(), args=[0]).eval()
    sample = torch.randn(shape).permute(0, 2, 3, 1).contiguous()
    with tempfile.TemporaryDirectory() as d, torch.no_grad():
        litert_torch.convert(graph, (sample,)).export(str(Path(d) / "m.tflite"))
        return (Path(d) / "m.tflite").read_bytes()


def _run_bytes(data: bytes, x: torch.Tensor) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    return tflite._invoke(Interpreter(model_content=data, num_threads=1), _nhwc(x))


def _depthwise_kernels(data: bytes) -> list[tuple[int, int, tuple[int, int]]]:
    """(kh, kw, dilation) of every DEPTHWISE_CONV_2D in a flatbuffer, in execution order."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    graph = model.subgraphs[0]
    out = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.DEPTHWISE_CONV_2D:
            _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
            opt = op.builtinOptions
            out.append((int(kh), int(kw), (opt.dilationHFactor, opt.dilationWFactor)))
    return out


def _depthwise_outputs(data: bytes) -> list[int]:
    from ai_edge_litert import schema_py_generated as schema

    model = unpack_model(data)
    return [int(op.outputs[0]) for op in model.subgraphs[0].operators
            if max(model.operatorCodes[op.opcodeIndex].builtinCode,
                   model.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)
            == schema.BuiltinOperator.DEPTHWISE_CONV_2D]


@pytest.mark.parametrize("kernel,mult,bias,relu", [
    ((7, 7), 1, True, False), ((7, 7), 2, False, True), ((9, 9), 1, True, False),
    ((11, 11), 1, False, False), ((3, 11), 1, True, True), ((7, 5), 3, True, False),
])
def test_flatbuffer_split_computes_the_same_function(kernel, mult, bias, relu, tmp_path):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8 * mult, kernel, padding=(kernel[0] // 2, kernel[1] // 2), groups=8, bias=bias)
    if bias:
        nn.init.uniform_(conv.bias, 0.5, 1.5)  # a bias added more than once would show
    model = DepthwiseThenReLU(conv, relu).eval()
    converted = _litert_bytes(model, (1, 8, 13, 17))
    assert _depthwise_kernels(converted) == [(*kernel, (1, 1))]
    rewritten, notes, preserved = rewrite_for_litert(converted)
    assert len(notes) == 1 and notes[0].startswith("1 ")
    assert preserved == [(0, _depthwise_outputs(converted)[0])]
    pieces = kernel_pieces(*kernel)
    assert _depthwise_kernels(rewritten) == [(len(p.rows), len(p.cols), p.dilation) for p in pieces]
    (tmp_path / "split.tflite").write_bytes(rewritten)
    hist = tflite.op_histogram(tmp_path / "split.tflite")
    assert hist.get("ADD", 0) == len(pieces) - 1 and "RELU" not in hist  # the fused ReLU moved to the last ADD
    for seed in range(2):
        x = torch.randn(1, 8, 13, 17, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = model(x).numpy()  # the output keeps the model's NCHW layout
        before, after = _run_bytes(converted, x), _run_bytes(rewritten, x)
        assert rel_err(after, before) < 1e-5 and rel_err(after, ref) < 1e-5
        if relu:
            assert (after >= 0).all() and (after == 0).any()  # the ReLU still applies
    # Idempotent: nothing left to split.
    assert rewrite_for_litert(rewritten) == (rewritten, [], [])
    # No orphan: every tensor is read or written by an op (the int8 calibrator reads them all), and
    # the original kernel's buffer was reused rather than left behind.
    model_after = unpack_model(rewritten)
    graph = model_after.subgraphs[0]
    touched = {int(i) for op in graph.operators for i in [*op.inputs, *op.outputs]}
    assert touched == set(range(len(graph.tensors)))
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model_after.operatorCodes]
    assert len(codes) == len(set(codes))  # ADD added once, DEPTHWISE_CONV_2D reused (version >= 2)

    def constant_bytes(m) -> int:
        return sum(len(b.data) for b in m.buffers if b.data is not None)

    # The pieces hold the kernel's taps once; the only new constant is one zero bias.
    assert constant_bytes(model_after) - constant_bytes(unpack_model(converted)) == 4 * conv.out_channels


@pytest.mark.parametrize("conv", [
    nn.Conv2d(8, 8, 5, padding=2, groups=8),  # 25 taps: fast already
    nn.Conv2d(8, 8, 7, stride=2, padding=3, groups=8),  # stride 2 runs fast
    nn.Conv2d(8, 8, 7, padding=3),  # dense
    nn.Conv2d(8, 8, 7, padding=3, groups=4),  # grouped, not depthwise
    nn.Conv2d(8, 8, 7, padding=0, groups=8),  # VALID: pieces would need their own crops
    nn.Conv2d(8, 8, 7, padding=3, groups=8, dilation=2),
    nn.Conv2d(8, 8, (1, 11), padding=(0, 5), groups=8),  # 11 taps
], ids=["5x5", "stride2", "dense", "grouped", "valid", "dilated", "1x11"])
def test_flatbuffer_split_leaves_other_convs_alone(conv):
    converted = _litert_bytes(DepthwiseThenReLU(conv, False), (1, 8, 16, 16))
    assert rewrite_for_litert(converted) == (converted, [], [])


class ScaledBranch(nn.Module):
    """``x + 1e-5 * dw7x7(x)``: like a freshly initialized FastViT ConvFFN, the branch barely moves
    the output."""

    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1e-5 * self.dw(x)


def test_convert_checks_each_split_conv_not_just_the_output(monkeypatch, tmp_path):
    from edgerep.exporters import tflite_rewrites

    model, example = ScaledBranch().eval(), torch.randn(1, 8, 16, 16)
    info = tflite.convert(model, example, tmp_path / "ok.tflite", precision="fp32")
    assert info["rewrites"] and 0 < info["rewrite_rel_error"] < 1e-6
    # A split that loses taps changes the logits by ~1e-6 relative here (under the 1e-5 bound), but
    # the conv's own output by far more: the check must catch it and leave no file behind.
    real = tflite_rewrites.kernel_pieces
    monkeypatch.setattr(tflite_rewrites, "kernel_pieces", lambda kh, kw: real(kh, kw)[:-1])
    with pytest.raises(RuntimeError, match="rewrites changed the model's output"):
        tflite.convert(model, example, tmp_path / "broken.tflite", precision="fp32")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.tflite"]


def test_split_check_fails_on_a_non_finite_error(monkeypatch, tmp_path):
    """A NaN error is a failure: ``max`` would have kept the finite errors before it."""
    model, example = ScaledBranch().eval(), torch.randn(1, 8, 16, 16)
    monkeypatch.setattr(tflite, "_depthwise_same", lambda x, *args: np.full(x.shape, np.nan))
    with pytest.raises(RuntimeError, match=r"relative error nan at a rewritten op"):
        tflite.convert(model, example, tmp_path / "nan.tflite", precision="fp32")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kh,kw,multiplier,act", [(7, 7, 1, "NONE"), (3, 11, 1, "RELU"), (7, 5, 2, "RELU6")])
def test_split_check_reference_is_the_depthwise_conv(kh, kw, multiplier, act):
    """The split check's float64 reference is torch's SAME, stride-1 depthwise conv (TFLite's
    [1, kh, kw, C * m] kernel layout, bias, fused activation)."""
    from types import SimpleNamespace

    from edgerep.exporters.tflite_rewrites import schema

    g = torch.Generator().manual_seed(kh * kw + multiplier)
    x = torch.randn(1, 3, 9, 12, generator=g, dtype=torch.float64)
    weight = torch.randn(3 * multiplier, 1, kh, kw, generator=g, dtype=torch.float64)
    bias = torch.randn(3 * multiplier, generator=g, dtype=torch.float64)
    ref = nn.functional.conv2d(x, weight, bias, padding="same", groups=3)
    ref = {"NONE": ref, "RELU": ref.clamp(min=0), "RELU6": ref.clamp(0, 6)}[act].permute(0, 2, 3, 1).numpy()
    options = SimpleNamespace(depthMultiplier=multiplier,
                              fusedActivationFunction=getattr(schema().ActivationFunctionType, act))
    kernel = weight.permute(1, 2, 3, 0).numpy()  # [1, kh, kw, C * m]
    out = tflite._depthwise_same(x.permute(0, 2, 3, 1).numpy(), kernel, bias.numpy(), options)
    assert out.shape == ref.shape and rel_err(out, ref) < 1e-12


# --------------------------------------------------------------------------- conversion on LiteRT


class TinyFFN(nn.Module):
    """The op mix that matters on LiteRT: strided stem (PAD), a 7x7 depthwise conv (split), GELU,
    squeeze-excite (mean keepdim, sigmoid), a residual, global mean and a Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(16, 16, 7, padding=3, groups=16)
        self.expand = nn.Conv2d(16, 48, 1)
        self.act = nn.GELU()
        self.project = nn.Conv2d(48, 16, 1)
        self.se = nn.Conv2d(16, 16, 1)
        self.head = nn.Linear(16, 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = x + self.project(self.act(self.expand(self.dw(x))))
        x = x * torch.sigmoid(self.se(x.mean((2, 3), keepdim=True)))
        return self.head(x.mean((2, 3)))


@pytest.fixture(scope="module")
def tiny() -> nn.Module:
    torch.manual_seed(0)
    return TinyFFN().eval()


@pytest.fixture(scope="module")
def tiny_files(tiny, tmp_path_factory):
    """The tiny model converted once per layout."""
    directory = tmp_path_factory.mktemp("tflite")
    example = torch.randn(1, 3, 32, 32)
    files = {}
    for channels_last in (True, False):
        path = directory / f"tiny_{'nhwc' if channels_last else 'nchw'}.tflite"
        info = tflite.convert(tiny, example, path, precision="fp32", channels_last=channels_last)
        files[channels_last] = (path, info)
    return files


@pytest.mark.parametrize("channels_last", [True, False], ids=["nhwc", "nchw"])
def test_tiny_model_matches_torch(tiny, tiny_files, channels_last):
    path, info = tiny_files[channels_last]
    assert info["input_layout"] == ("NHWC" if channels_last else "NCHW")
    assert info["rewrites"] and info["rewrite_rel_error"] < 1e-6
    for seed in range(2):
        x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = tiny(x).numpy()
        out = tflite.run(path, _nhwc(x) if channels_last else x.numpy())
        assert out.shape == ref.shape
        assert rel_err(out, ref) <= 1e-4


def test_op_histogram_matches_the_interpreter(tiny_files):
    from ai_edge_litert.interpreter import Interpreter

    for channels_last, (path, _) in tiny_files.items():
        hist = tflite.op_histogram(path)
        interp = Interpreter(model_path=str(path))
        assert hist == dict(collections.Counter(op["op_name"] for op in interp._get_ops_details()))
        assert hist["DEPTHWISE_CONV_2D"] == len(kernel_pieces(7, 7))  # the 7x7 conv, split
        assert hist["FULLY_CONNECTED"] == 1 and hist["GELU"] == 1
        assert not any("BATCH_NORM" in op for op in hist)
    # NHWC input: the layout pass removes the transpose in front of the convolutions (exactly that one).
    nhwc, nchw = (tflite.op_histogram(tiny_files[layout][0]) for layout in (True, False))
    assert nhwc["TRANSPOSE"] == nchw["TRANSPOSE"] - 1


def test_metadata_round_trip_keeps_the_model_running(tiny_files, tmp_path):
    src, _ = tiny_files[True]
    path = tmp_path / "meta.tflite"
    path.write_bytes(src.read_bytes())
    x = _nhwc(torch.randn(1, 3, 32, 32))
    before = tflite.run(path, x)
    meta = {"edgerep.model": "tiny", "edgerep.input": '{"layout": "NHWC", "shape": [1, 32, 32, 3]}',
            "edgerep.note": "ünïcode ok"}
    tflite.embed_metadata(path, meta)
    read = tflite.read_metadata(path)
    assert {k: read[k] for k in meta} == meta
    assert read["min_runtime_version"]  # the converter's own entries are kept
    np.testing.assert_array_equal(tflite.run(path, x), before)
    tflite.embed_metadata(path, {"edgerep.model": "renamed"})  # same name: replaced, not duplicated
    read = tflite.read_metadata(path)
    assert read["edgerep.model"] == "renamed" and read["edgerep.note"] == meta["edgerep.note"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.tflite"]  # no temp file left


def test_fp16_and_int8_files_work_and_report_their_error(tiny, tmp_path, record_property):
    example = torch.randn(1, 3, 32, 32)
    calibration = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = tiny(x).numpy()
    sizes = {}
    # int8 takes its calibration batch from the caller (edgerep.export supplies random images when
    # the user gives none: one default, in one place).
    with pytest.raises(ValueError, match="int8' needs a calibration batch"):
        tflite.convert(tiny, example, tmp_path / "no_calibration.tflite", precision="int8")
    for precision, calib in [("fp32", None), ("fp16", None), ("int8", calibration)]:
        path = tmp_path / f"tiny_{precision}_{calib is None}.tflite"
        info = tflite.convert(tiny, example, path, precision=precision, channels_last=True, calibration=calib)
        sizes[precision] = path.stat().st_size
        out = np.concatenate([tflite.run(path, _nhwc(x[i:i + 1])) for i in range(len(x))])
        rel, cos = rel_err(out, ref), _cosine(out, ref)
        record_property(f"{precision}_{'random' if calib is None else 'given'}_calibration",
                        {"rel_error": rel, "cosine": cos})
        print(f"tiny {precision} (calibration {'random' if calib is None else 'given'}): "
              f"rel error {rel:.2e}, cosine {cos:.5f}")
        assert np.isfinite(out).all() and out.shape == ref.shape
        assert cos > 0.5  # a working file, not a tight accuracy bound
        if precision != "fp32":
            assert info["quantization"]
        if precision == "int8":
            assert "QUANTIZE" in tflite.op_histogram(path)
            assert tflite.io_signature(path)["inputs"][0]["dtype"] == "float32"
            assert info["calibration"] == "the given batch (16 images)"
    record_property("file_bytes", sizes)  # the tiny file is mostly header and quantization params
    assert sizes["fp16"] < sizes["fp32"]


def _fused_fastvit(name: str = "fastvit_t8") -> nn.Module:
    import edgerep

    torch.manual_seed(0)
    # Random layer scales (init 1e-5) so every token mixer and ConvFFN changes the output.
    return edgerep.reparameterize(randomize(edgerep.create_model(name)))


@pytest.mark.slow
@pytest.mark.parametrize("channels_last", [True, False], ids=["nhwc", "nchw"])
def test_fastvit_t8_matches_torch(channels_last, tmp_path):
    from edgerep.registry import get_spec

    fused = _fused_fastvit()
    size = get_spec("fastvit_t8").test_input_size[1:]
    x = torch.randn(2, 3, *size)
    path = tmp_path / "fastvit_t8.tflite"
    info = tflite.convert(fused, x[:1], path, precision="fp32", channels_last=channels_last)
    assert info["rewrites"][0].startswith("10 ")  # one 7x7 depthwise conv per ConvFFN: 2+2+4+2 blocks
    large = [k for k in _depthwise_kernels(path.read_bytes()) if k[0] * k[1] > MAX_FAST_DEPTHWISE_TAPS]
    strided = [m for m in fused.modules() if isinstance(m, nn.Conv2d) and m.groups == m.in_channels > 1
               and m.kernel_size[0] * m.kernel_size[1] > MAX_FAST_DEPTHWISE_TAPS and m.stride != (1, 1)]
    assert len(large) == len(strided) > 0  # only the downsampling convs, which run fast
    assert rewrite_for_litert(path.read_bytes()).notes == []  # nothing slow left (strided 7x7s are fine)
    hist = tflite.op_histogram(path)
    assert hist["DEPTHWISE_CONV_2D"] > 10 and not any("BATCH_NORM" in op for op in hist)
    with torch.no_grad():
        ref = fused(x).numpy()
    for i in range(2):
        xi = x[i:i + 1]
        out = tflite.run(path, _nhwc(xi) if channels_last else xi.numpy())
        assert rel_err(out, ref[i:i + 1]) <= 1e-4


@pytest.mark.slow
def test_export_pipeline_writes_verified_tflite_with_metadata(tmp_path):
    """edgerep.export wires this module in: verification, audit and in-file metadata."""
    import edgerep
    from edgerep.exporters.metadata import unflatten
    from edgerep.registry import get_spec

    name = "mobileone_s0"
    size = get_spec(name).test_input_size[1:]
    result = edgerep.export(name, "tflite", output=tmp_path / "m.tflite", input_size=size)
    assert result.verification["passed"] and result.verification["rel_error"] <= 1e-4
    assert result.input_shape == (1, *size, 3)
    meta = unflatten(tflite.read_metadata(result.path))
    assert meta["model"] == name and meta["input"]["layout"] == "NHWC"
    assert meta["op_histogram"] == tflite.op_histogram(result.path)


# ------------------------------------------------------------------------------------ user errors


@pytest.mark.parametrize("kwargs,error,match", [
    ({"precision": "int4"}, ValueError, "precision 'int4' is not supported by tflite; allowed: fp32, fp16, int8"),
    ({"precision": "fp32", "calibration": torch.randn(2, 3, 8, 8)}, ValueError,
     "calibration applies only to precision 'int8'"),
    ({"precision": "int8", "calibration": torch.randn(2, 3, 9, 9)}, ValueError,
     r"calibration must be NCHW images shaped \(N, 3, 8, 8\)"),
    ({"precision": "fp32", "channels_last": "yes"}, TypeError, "channels_last must be True"),
])
def test_convert_rejects_bad_options(kwargs, error, match, tmp_path):
    model = nn.Conv2d(3, 4, 3).eval()
    kwargs = {"channels_last": True, "calibration": None, **kwargs}
    with pytest.raises(error, match=match):
        tflite.convert(model, torch.randn(1, 3, 8, 8), tmp_path / "x.tflite", **kwargs)
    with pytest.raises(ValueError, match=r"example must be an NCHW tensor"):
        tflite.convert(model, torch.randn(3, 8, 8), tmp_path / "x.tflite", precision="fp32")
    assert list(tmp_path.iterdir()) == []


def test_failed_conversion_leaves_nothing(tmp_path):
    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.linalg.eigvals(x[0, 0]).real  # no TFLite lowering

    with pytest.raises(Exception):
        tflite.convert(Broken().eval(), torch.randn(1, 3, 8, 8), tmp_path / "x.tflite", precision="fp32")
    assert list(tmp_path.iterdir()) == []


def test_run_and_readers_reject_wrong_inputs(tiny_files, tmp_path):
    path, _ = tiny_files[True]
    with pytest.raises(ValueError, match=r"inputs have shape \(1, 3, 32, 32\) but .* takes \(1, 32, 32, 3\)"):
        tflite.run(path, np.zeros((1, 3, 32, 32), np.float32))
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        tflite.run(path, np.zeros((1, 32, 32, 3), np.float32), threads=0)
    bogus = tmp_path / "not.tflite"
    bogus.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not a TFLite flatbuffer"):
        tflite.op_histogram(bogus)
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        tflite.embed_metadata(path, {"edgerep.x": 1})


def test_convert_does_not_modify_the_model(tiny, tmp_path):
    before = copy.deepcopy(tiny.state_dict())
    tflite.convert(tiny, torch.randn(1, 3, 16, 16), tmp_path / "t.tflite", precision="fp32")
    after = tiny.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert isinstance(tiny.dw, nn.Conv2d)
