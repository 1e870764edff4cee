"""Loading never executes code: crafted checkpoints and calibration files of every kind are read by
paths that cannot run code, through the CLI and the API. Each payload is first shown to work when
loaded the unsafe way (so the test would catch a reader that runs it); edgerep must then refuse or
read the file without the payload's marker file appearing."""

from __future__ import annotations

import builtins
import functools
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError, read_state_dict

from .export_helpers import TINY
from .helpers import files_in, one_line_error, run_cli


pytestmark = pytest.mark.usefixtures("tiny_models")


class _WritesMarker:
    """Unpickling this calls ``open(marker, "w")``: a stand-in for any code a pickle can run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204
        return builtins.open, (self.marker, "w")


def _torch_file_with_payload(path: Path, marker: Path) -> Path:
    torch.save({"weight": torch.zeros(2), "cfg": _WritesMarker(marker)}, path)
    torch.load(path, weights_only=False)  # the unsafe way runs it
    assert marker.exists()
    marker.unlink()
    return path


def _raw_pickle_with_payload(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"weight": torch.zeros(2), "cfg": _WritesMarker(marker)}))
    pickle.loads(path.read_bytes())
    assert marker.exists()
    marker.unlink()
    return path


class _Evil(nn.Module):
    """A TorchScript module whose ``__setstate__`` (run by torch.jit.load) creates a file."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(3))
        self.marker = marker

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.w.sum()

    @torch.jit.export
    def __getstate__(self) -> tuple[torch.Tensor, str, bool]:
        return (self.w, self.marker, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[torch.Tensor, str, bool]) -> None:
        self.marker = state[1]
        self.training = state[2]
        # The result is used so the call is not optimized away.
        self.w = state[0] + torch.from_file(self.marker, True, 2).sum() * 0


@functools.lru_cache(maxsize=1)
def _scripted_evil() -> torch.jit.ScriptModule:
    return torch.jit.script(_Evil(""))  # a class is scripted once per process


def _torchscript_with_payload(path: Path, marker: Path) -> Path:
    module = _scripted_evil()
    module.marker = str(marker)
    torch.jit.save(module, str(path))
    torch.jit.load(str(path))
    assert marker.exists()
    marker.unlink()
    return path


PAYLOADS = {
    "torch zip with a reduce payload": _torch_file_with_payload,
    "raw pickle with a reduce payload": _raw_pickle_with_payload,
    "TorchScript archive with a __setstate__ payload": _torchscript_with_payload,
}


@pytest.mark.parametrize("kind", PAYLOADS)
def test_crafted_checkpoint_runs_nothing_via_the_cli(kind, capsys, tmp_path):
    marker = tmp_path / "marker"
    ckpt = PAYLOADS[kind](tmp_path / "evil.pt", marker)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-c", ckpt, "-o", out / "m.onnx")
    line = one_line_error(code, err)
    assert "evil.pt" in line and ("__setstate__" in line or "Python objects" in line)
    assert not marker.exists()
    assert files_in(out) == []


@pytest.mark.parametrize("kind", PAYLOADS)
def test_crafted_checkpoint_runs_nothing_via_the_api_and_bench(kind, capsys, tmp_path):
    marker = tmp_path / "marker"
    ckpt = PAYLOADS[kind](tmp_path / "evil.pth", marker)
    with pytest.raises(CheckpointError):
        edgerep.load_checkpoint(edgerep.create_model("mobileone_s0"), ckpt)
    code, _, err = run_cli(capsys, "bench", "mobileone_s0", "--runtime", "torch", "--quick",
                           "--checkpoint", ckpt, "--no-progress")
    one_line_error(code, err)
    assert not marker.exists()


def test_torchscript_payload_is_refused_with_the_safe_conversion(tmp_path):
    ckpt = _torchscript_with_payload(tmp_path / "fused.pt", tmp_path / "marker")
    with pytest.raises(CheckpointError, match="__setstate__.*safetensors.torch.save_file"):
        read_state_dict(ckpt)
    assert not (tmp_path / "marker").exists()


def test_torchscript_archive_naming_other_code_is_refused(tmp_path):
    """A data.pkl that names a real Python callable (not a TorchScript class) is refused."""
    path = tmp_path / "fused.pt"
    torch.jit.save(torch.jit.trace(nn.Linear(2, 2), torch.zeros(1, 2)), str(path))
    payload = pickle.dumps(_WritesMarker(tmp_path / "marker"), protocol=2)
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    items[next(n for n in items if n.endswith("/data.pkl"))] = payload
    with zipfile.ZipFile(path, "w") as z:
        for n, data in items.items():
            z.writestr(n, data)
    with pytest.raises(CheckpointError, match="refuses the Python object (builtins|io).open"):
        read_state_dict(path)
    assert not (tmp_path / "marker").exists()


def test_calibration_pt_with_payload_runs_nothing(capsys, tmp_path):
    marker = tmp_path / "marker"
    calib = _torch_file_with_payload(tmp_path / "calib.pt", marker)
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--precision", "int8",
                           "--calibration", calib, "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert "calib.pt" in line and "Python objects" in line
    assert not marker.exists() and files_in(tmp_path / "out") == []


def test_calibration_npy_with_objects_runs_nothing(capsys, tmp_path):
    marker = tmp_path / "marker"
    calib = tmp_path / "calib.npy"
    np.save(calib, np.array([_WritesMarker(marker)], dtype=object), allow_pickle=True)
    np.load(calib, allow_pickle=True)
    assert marker.exists()
    marker.unlink()
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--precision", "int8",
                           "--calibration", calib, "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert "calib.npy" in line and "Python objects" in line
    assert not marker.exists() and files_in(tmp_path / "out") == []


def test_safetensors_named_pt_is_read_as_safetensors(tmp_path):
    model = edgerep.create_model("mobileone_s0")
    path = edgerep.save_checkpoint(model, tmp_path / "weights.safetensors").rename(tmp_path / "weights.pt")
    state = read_state_dict(path)
    assert state.keys() == model.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_file_named_safetensors_that_is_not_says_so(tmp_path):
    path = tmp_path / "weights.safetensors"
    torch.save({"w": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        read_state_dict(path)


def test_raw_pickle_error_is_one_line_without_torch_warnings(capsys, tmp_path):
    path = tmp_path / "legacy.pth"
    path.write_bytes(pickle.dumps({"cfg": {"lr": 0.1}, "w": [1, 2, 3]}))
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-c", path, "-o", tmp_path / "o" / "m.onnx")
    line = one_line_error(code, err)  # exactly one line on stderr: no warning from torch.load
    assert "legacy.pth" in line
