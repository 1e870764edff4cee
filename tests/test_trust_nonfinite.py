"""Non-finite is failure: NaN/Inf weights, invalid BatchNorm statistics and fp16 overflow are refused
before conversion (exit 2, naming the tensor); a NaN or Inf on either side of verification fails it
(exit 1, artifact kept with the failure in its sidecar); no comparison drops NaN."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import edgerep
from edgerep.exporters.pipeline.verify import compare, verify_numeric

from .export_helpers import TINY
from .helpers import files_in, one_line_error, run_cli


pytestmark = pytest.mark.usefixtures("tiny_models")


def _checkpoint(tmp_path, edit) -> str:
    model = edgerep.create_model(TINY)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    edit(state)
    path = tmp_path / "weights.safetensors"
    from safetensors.torch import save_file

    save_file(state, str(path))
    return str(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_naming_the_tensor(value, capsys, tmp_path):
    ckpt = _checkpoint(tmp_path, lambda sd: sd["head.weight"].view(-1).__setitem__(3, value))
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-c", ckpt, "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert "'head.weight'" in line and "1 non-finite value(s)" in line
    assert files_in(tmp_path / "out") == []


def test_negative_running_variance_is_refused_naming_the_batchnorm(capsys, tmp_path):
    key = next(k for k in edgerep.create_model(TINY).state_dict() if k.endswith("running_var"))
    ckpt = _checkpoint(tmp_path, lambda sd: sd[key].__setitem__(0, -0.5))
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-c", ckpt, "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert f"BatchNorm {key.rsplit('.', 1)[0]!r}" in line and "negative running variance" in line
    assert files_in(tmp_path / "out") == []


def test_weights_beyond_float16_are_refused_for_fp16(capsys, tmp_path):
    ckpt = _checkpoint(tmp_path, lambda sd: sd["head.bias"].__setitem__(0, 1e6))
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--precision", "fp16", "-c", ckpt,
                           "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert "'model.head.bias'" in line or "'head.bias'" in line
    assert "beyond float16" in line and "--precision fp32" in line
    assert files_in(tmp_path / "out") == []


def test_nan_artifact_output_fails_verification_and_keeps_the_artifact(capsys, tmp_path, monkeypatch):
    from edgerep.exporters.onnx.target import OnnxTarget

    real_run = OnnxTarget.run

    def half_nan(self, path, x):  # noqa: ANN001
        y = real_run(self, path, x)
        y[..., ::2] = np.nan
        return y

    monkeypatch.setattr(OnnxTarget, "run", half_nan)
    code, out, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-o", tmp_path / "m.onnx")
    assert code == 1
    fail = [line for line in err.splitlines() if line.strip()]
    assert len(fail) == 1 and "the onnxruntime artifact's output 'logits' went non-finite" in fail[0]
    assert "15 of 30 values" in fail[0] and "first at sample 0, element 0" in fail[0]
    side = json.loads((tmp_path / "m.FAILED.onnx.json").read_text())
    assert side["verification"]["passed"] is False
    assert side["verification"]["non_finite"]["side"] == "the onnxruntime artifact"
    assert (tmp_path / "m.FAILED.onnx").is_file() and not (tmp_path / "m.onnx").exists()
    assert "rel_error" not in side["verification"]  # no NaN written into the JSON


class _Overflows(nn.Module):
    """Finite weights, but the activations overflow float32 to Inf."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.conv(x) * 1e30 * 1e30).mean((2, 3))


def test_non_finite_torch_reference_fails_verification(tmp_path):
    result = edgerep.export(_Overflows(), "onnx", input_size=(8, 8), output=tmp_path / "m.onnx")
    assert not result.passed
    v = result.verification
    assert v.non_finite["side"] == "the torch reference"
    assert "the torch reference's output 'logits' went non-finite: 12 of 12 values" in v.reason


def test_a_nan_in_a_later_batch_does_not_vanish():
    ref = [np.ones((2, 4), np.float32), np.ones((2, 4), np.float32)]
    out = [np.ones((2, 4), np.float32), np.array([[1, 1, 1, 1], [1, np.nan, 1, 1]], np.float32)]
    with pytest.raises(ValueError, match="finite"):
        compare(out, ref)
    outs = iter(out)
    result = verify_numeric(lambda a: next(outs), lambda x: torch.ones(2, 4), [torch.zeros(2), torch.zeros(2)],
                            lambda x: x.numpy(), "fp32", "fake")
    assert result.passed is False
    assert result.non_finite == {"side": "the fake artifact", "count": 1, "size": 16,
                                    "first_sample": 3, "first_element": 1}


def test_ingest_rejects_nan_naming_the_field(capsys, tmp_path):
    from edgerep.bench.report import render_json
    from edgerep.bench.records import Record, Report

    report = Report(machine={"kind": "device", "name": "phone", "os": "Android"},
                    protocol={"name": "default", "rounds": 1, "iterations": 2, "warmup": 1, "trim": 0},
                    records=[Record(model="m", form="fused", runtime="litert", precision="fp32",
                                    median_ms=1.0, mean_ms=1.0, iterations=2)])
    path = tmp_path / "r.json"
    path.write_text(render_json([report]).replace('"median_ms": 1.0', '"median_ms": NaN'))
    code, _, err = run_cli(capsys, "bench", "ingest", path)
    line = one_line_error(code, err)
    assert "r.json" in line and "records[0].median_ms" in line
