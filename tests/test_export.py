"""edgerep export: API and CLI behaviour shared by all targets (errors, atomicity, folding, table)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import edgerep
from edgerep.exporters import ExportError, export
from edgerep.exporters.pipeline.prepare import Prepared, build_graph, fold_input_std, graph_input, normalize
from edgerep.exporters.pipeline.targets import get_target, resolve_targets
from edgerep.registry import IMAGENET_MEAN, IMAGENET_STD

from .export_helpers import TINY, TINY_FACE, TinyNet
from .helpers import one_line_error, randomize, rel_err, run_cli, smallest_per_family


pytestmark = pytest.mark.usefixtures("tiny_models")


# ------------------------------------------------------------------------------ light imports


def test_import_and_cli_registration_stay_light():
    code = (
        "import sys, edgerep, edgerep.exporters, edgerep.exporters.pipeline.command as c;"
        "from edgerep.cli import build_parser; build_parser().parse_args(['export', 'm', '-t', 'onnx']);"
        "heavy = [m for m in ('coremltools', 'onnxruntime', 'litert_torch', 'onnx') if m in sys.modules];"
        "assert not heavy, heavy; assert 'torch' not in sys.modules, 'torch imported at registration'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- target registry


@pytest.mark.parametrize("alias, name", [("mlpackage", "coreml"), ("iOS", "coreml"), ("ort", "onnx"),
                                         ("litert", "tflite"), ("android", "tflite"), ("ONNX", "onnx")])
def test_aliases(alias, name):
    assert get_target(alias).name == name


def test_all_targets_in_order():
    assert [t.name for t in resolve_targets("all")] == ["onnx", "coreml", "tflite"]


def test_unknown_target_suggests():
    with pytest.raises(ValueError, match=r"unknown target 'onxx'; did you mean 'onnx'"):
        get_target("onxx")


# ------------------------------------------------------------------------- bad input -> exit 2


def test_cli_unknown_model_did_you_mean(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", "mobilone_s0", "--target", "onnx", "-o", str(tmp_path))
    line = one_line_error(code, err)
    assert "unknown model 'mobilone_s0'" in line and "did you mean" in line
    assert not list(tmp_path.iterdir())


def test_cli_unknown_target(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", TINY, "--target", "tflight", "-o", str(tmp_path))
    line = one_line_error(code, err)
    assert "unknown target 'tflight'" in line and "tflite" in line


@pytest.mark.parametrize("argv, names", [
    (["--target", "onnx", "--deployment-target", "iOS17"], ["--deployment-target", "'onnx'", "coreml"]),
    (["--target", "coreml", "--opset", "19"], ["--opset", "'coreml'", "onnx"]),
    (["--target", "onnx", "--nchw"], ["--nchw", "'onnx'", "tflite"]),
    (["--target", "coreml", "--nchw"], ["--nchw", "'coreml'", "tflite"]),
])
def test_cli_option_not_supported_by_target(capsys, tmp_path, argv, names):
    code, _, err = run_cli(capsys, "export", TINY, *argv, "-o", str(tmp_path))
    line = one_line_error(code, err)
    assert all(n in line for n in names), line


@pytest.mark.parametrize("kwargs, match", [
    ({"target": "onnx", "opset": 17}, r"opset 17 is not supported.*18\.\.23"),
    ({"target": "coreml", "deployment_target": "iOS14"}, r"deployment target 'iOS14'.*iOS15"),
    ({"target": "coreml", "precision": "int8", "deployment_target": "iOS15"}, r"int8 weights need"),
    ({"target": "onnx", "precision": "int4"}, r"precision 'int4'.*fp32, fp16, int8"),
    ({"target": "onnx", "batch": 0}, r"batch must be a positive integer"),
    ({"target": "onnx", "calibration": "imgs"}, r"calibration applies only to precision 'int8'"),
    ({"target": "onnx", "l2_normalize": True}, r"l2_normalize applies to face-embedding.*classification"),
    ({"target": "onnx", "input_size": (32,)}, r"input_size must be two positive integers"),
    ({"target": "onnx", "output": "x.mlpackage"}, r"suffix \.mlpackage.*onnx target writes \.onnx"),
])
def test_api_bad_options_raise_before_any_work(kwargs, match):
    target = kwargs.pop("target")
    with pytest.raises(ValueError, match=match):
        export(TINY, target, **kwargs)


def test_fixed_input_size_model_rejects_other_sizes(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", TINY_FACE, "-t", "onnx", "--input-size", "64", "64",
                        "-o", str(tmp_path))
    line = one_line_error(code, err)
    assert "runs only at 32x32" in line and "--input-size 32 32" in line


def test_missing_extra_names_it(capsys, tmp_path, monkeypatch):
    from edgerep import _optional

    real = _optional.require

    def fake(module: str):
        if module == "coremltools":
            raise ImportError("coremltools is needed for this and is not installed: "
                              "pip install 'edgerep[coreml]'")
        return real(module)

    monkeypatch.setattr(_optional, "require", fake)
    code, _, err = run_cli(capsys, "export", TINY, "--target", "coreml", "-o", str(tmp_path))
    line = one_line_error(code, err)
    assert "pip install 'edgerep[coreml]'" in line
    assert not list(tmp_path.iterdir())


def test_unwritable_output_leaves_nothing(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-o", str(blocker / "sub" / "m.onnx"))
    line = one_line_error(code, err)
    assert "not writable" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("error", [RuntimeError("converter exploded"), KeyboardInterrupt()])
def test_failed_conversion_leaves_nothing(tmp_path, monkeypatch, error):
    from edgerep.exporters.onnx import target as onnx_target

    def convert(model, example, path, options):
        path.write_bytes(b"half-written")  # the temp artifact exists when the failure happens
        raise error

    monkeypatch.setattr(onnx_target, "convert", convert)
    expected = ExportError if isinstance(error, Exception) else KeyboardInterrupt
    with pytest.raises(expected):
        export(TINY, "onnx", output=tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_bad_checkpoint_is_one_line(capsys, tmp_path):
    ckpt = tmp_path / "other.pt"
    torch.save({"foo.weight": torch.zeros(3)}, ckpt)
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-c", str(ckpt), "-o", str(tmp_path / "o"))
    one_line_error(code, err)
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------- image input: exact folding


def _prepared(model: nn.Module, size=(32, 32)) -> Prepared:
    from edgerep.reparam import reparameterize

    return Prepared(name="t", fused=reparameterize(model), unfused=model, task="classification",
                    input_size=size, mean=IMAGENET_MEAN, std=IMAGENET_STD)


@pytest.mark.parametrize("centered", [False, True])
def test_image_input_folding_is_exact(centered):
    torch.manual_seed(1)
    prep = _prepared(randomize(TinyNet()).eval())
    graph = build_graph(prep, image_input=True, l2_normalize=False, centered=centered)
    assert graph.input_kind == ("centered" if centered else "raw")
    assert any("folded into stem.reparam_conv" in n for n in graph.notes)
    raw = torch.randint(0, 256, (4, 3, 32, 32)).float()
    # Border pixels at the extremes, where zero padding would expose a wrongly folded mean.
    raw[:, :, 0, :] = 255.0
    raw[:, :, :, -1] = 0.0
    with torch.no_grad():
        expected = prep.fused(normalize(prep, raw))  # the normalized-input path
        got = graph.module(graph_input(prep, graph, raw))
    assert rel_err(got, expected) <= 1e-6


def test_folding_scales_only_the_first_conv_input_channels():
    torch.manual_seed(2)
    prep = _prepared(randomize(TinyNet()).eval())
    folded, name, _ = fold_input_std(prep.fused, IMAGENET_STD, (32, 32))
    assert name == "stem.reparam_conv"
    before, after = prep.fused.get_submodule(name), folded.get_submodule(name)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(after.weight * std, before.weight)
    torch.testing.assert_close(after.bias, before.bias)
    assert prep.fused.get_submodule(name) is before  # the fused model itself is untouched


def test_image_input_falls_back_to_ops_when_the_input_is_shared():
    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return self.a(x) + self.b(x)

    prep = _prepared(Shared().eval())
    graph = build_graph(prep, image_input=True, l2_normalize=False, centered=False)
    assert graph.input_kind == "raw" and "kept as a multiply" in graph.notes[0]
    raw = torch.randint(0, 256, (2, 3, 32, 32)).float()
    with torch.no_grad():
        assert rel_err(graph.module(raw), prep.fused(normalize(prep, raw))) <= 1e-6
    with pytest.raises(ValueError, match="cannot fold 1/std"):
        build_graph(prep, image_input=True, l2_normalize=False, centered=True)


# -------------------------------------------------------------------------- API with a module


def test_module_is_fused_on_a_copy(tmp_path):
    model = randomize(TinyNet()).eval()
    keys = set(model.state_dict())
    result = export(model, "onnx", output=tmp_path, input_size=(32, 32))
    assert set(model.state_dict()) == keys and not model.stem.fused  # the caller's module unchanged
    assert result.verification.passed and result.model == "TinyNet"
    assert result.path == tmp_path / "TinyNet.onnx"
    assert result.nodes_unfused > result.audit.torch_ops_fused


def test_module_needs_input_size():
    with pytest.raises(ValueError, match="input_size is required"):
        export(TinyNet(), "onnx")


# ----------------------------------------------------------------------------- CLI happy path


def test_cli_table_and_next_steps(capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", TINY, "--target", "onnx", "-o", str(tmp_path))
    assert code == 0, err
    for step in ("fuse ", "convert ", "audit ", "verify ", "saved "):
        assert f"  {step}" in out
    header = next(line for line in out.splitlines() if line.startswith("target"))
    assert header.split() == ["target", "file", "MB", "seconds", "parity", "(rel", "err)", "nodes"]
    row = next(line for line in out.splitlines() if line.startswith("onnx "))
    assert str(tmp_path / f"{TINY}.onnx") in row
    assert "edgerep bench _export_tiny --runtime onnxruntime" in out
    side = json.loads((tmp_path / f"{TINY}.onnx.json").read_text())
    assert side["verification"]["passed"] is True


def test_metadata_carries_what_a_device_record_needs(tmp_path):
    """Family, baseline flag and per-image fused counts, counted by hand for TinyNet at 32x32:
    stem 3->16 3x3 stride 2 (16x16 out), depthwise 3x3 16, pointwise 16->32, linear 32->10."""
    meta = export(TINY, "onnx", output=tmp_path, verify=False).metadata
    macs = 16 * 16 * (16 * 3 * 9 + 16 * 9 + 32 * 16) + 32 * 10
    params = (16 * 3 * 9 + 16) + (16 * 9 + 16) + (32 * 16 + 32) + (32 * 10 + 10)
    assert (meta["family"], meta["baseline"], meta["macs"], meta["params"]) == (
        "_export_test", False, macs, params)


def test_cli_fails_with_status_1_when_verification_fails(capsys, tmp_path, monkeypatch):
    from edgerep.exporters.onnx.target import OnnxTarget

    real_run = OnnxTarget.run
    monkeypatch.setattr(OnnxTarget, "run", lambda self, path, x: real_run(self, path, x) * 1.01)
    code, out, err = run_cli(capsys, "export", TINY, "--target", "onnx", "-o", str(tmp_path))
    assert code == 1
    assert "FAILED" in out and "verification FAILED for onnx" in err
    # The artifact is complete and kept beside the path asked for, with the failure recorded for inspection.
    assert not (tmp_path / f"{TINY}.onnx").exists()
    side = json.loads((tmp_path / f"{TINY}.FAILED.onnx.json").read_text())
    assert side["verification"]["passed"] is False and side["verification"]["rel_error"] > 5e-3


def test_default_output_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = export(TINY, "onnx", precision="fp16", verify=False)
    assert result.path == Path("exports") / f"{TINY}_fp16.onnx"
    assert result.path.is_file() and result.sidecar == Path("exports") / f"{TINY}_fp16.onnx.json"
    assert result.verification.runtime == "skipped"


def test_edgerep_export_is_the_function():
    assert edgerep.export is export


def test_image_input_falls_back_when_the_first_op_is_not_a_conv():
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            return self.conv(x * 2.0)

    prep = _prepared(Scaled().eval())
    graph = build_graph(prep, image_input=True, l2_normalize=False, centered=False)
    assert graph.input_kind == "raw" and "mul" in graph.notes[0]


@pytest.mark.parametrize("name", smallest_per_family())
def test_image_input_folds_exactly_on_registered_models(name):
    from edgerep.registry import get_spec

    spec = get_spec(name)
    size = tuple((spec.test_input_size or spec.input_size)[1:])
    torch.manual_seed(0)
    model = randomize(edgerep.create_model(name)).eval()
    prep = _prepared(model, size)
    prep.mean, prep.std = spec.mean, spec.std
    graph = build_graph(prep, image_input=True, l2_normalize=False, centered=True)
    assert graph.input_kind == "centered", graph.notes  # folded into the first conv
    raw = torch.randint(0, 256, (2, 3, *size)).float()
    with torch.no_grad():
        expected = prep.fused(normalize(prep, raw))
        got = graph.module(graph_input(prep, graph, raw))
    assert rel_err(got, expected) <= 1e-5
