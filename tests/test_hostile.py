"""Issue 24: what a new user and an attacker found. Each test failed before its fix.

Grouped by cause: the image opener, what a failed export leaves, the one reader for user files,
the state-dict check, the --threads bound, outputs and the cache location, galleries, .bin files,
reports and logs, signals.
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tests.helpers import files_in, one_line_error, run_cli

EPS = b"""%!PS-Adobe-3.0 EPSF-3.0
%%BoundingBox: 0 0 64 64
%%EndComments
newpath 0 0 moveto 64 64 lineto stroke
showpage
%%EOF
"""


@pytest.fixture
def fake_ghostscript(tmp_path, monkeypatch):
    """A stand-in ``gs`` on PATH that records being run (a real one would interpret the file)."""
    PIL = pytest.importorskip("PIL")
    from PIL import EpsImagePlugin

    bindir = tmp_path / "bin"
    bindir.mkdir()
    marker = tmp_path / "gs-was-run"
    gs = bindir / "gs"
    gs.write_text(f"#!/bin/sh\ntouch {marker}\necho 10.02.1\n")
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)  # look for gs again, on our PATH
    assert PIL
    return marker


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(buf, format="PNG")
    return buf.getvalue()


# ---- attacker 1: the image opener ----------------------------------------------------------------


def test_an_eps_named_jpg_never_reaches_ghostscript(tmp_path, fake_ghostscript, capsys):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(EPS)
    code, out, err = run_cli(capsys, "face", "detect", str(photo))
    line = one_line_error(code, err)
    assert not fake_ghostscript.exists(), "Pillow ran Ghostscript on a user's file"
    assert "photo.jpg" in line and "EPS" in line and "JPEG" in line


def test_eps_in_a_calibration_folder_never_reaches_ghostscript(tmp_path, fake_ghostscript):
    from edgerep.exporters.calibration import _read_image
    from PIL import Image

    (tmp_path / "c.png").write_bytes(EPS)
    with pytest.raises(ValueError, match="c.png.*EPS"):
        _read_image(tmp_path / "c.png", Image)
    assert not fake_ghostscript.exists()


def test_eps_inside_a_bin_never_reaches_ghostscript(fake_ghostscript):
    from edgerep.face.images import decode_image

    with pytest.raises(ValueError, match="lfw.bin image 3.*EPS"):
        decode_image(EPS, "lfw.bin image 3")
    assert not fake_ghostscript.exists()


@pytest.mark.parametrize("size", [(60000, 1), (1, 60000), (3000, 50)])
def test_a_sliver_image_is_refused_before_any_resize(tmp_path, capsys, size):
    """A 60000x1 PNG is 60 thousand pixels but asks MTCNN / calibration for a 47 GB resize."""
    photo = tmp_path / "sliver.png"
    photo.write_bytes(_png(*size))
    code, out, err = run_cli(capsys, "face", "detect", str(photo))
    line = one_line_error(code, err)
    assert "sliver.png" in line and f"{size[0]}x{size[1]}" in line


def test_a_sliver_calibration_image_is_refused(tmp_path):
    from edgerep.exporters.calibration import _read_image
    from PIL import Image

    (tmp_path / "s.png").write_bytes(_png(60000, 1))
    with pytest.raises(ValueError, match="s.png.*60000x1"):
        _read_image(tmp_path / "s.png", Image)


# ---- attacker 2: a failed export never takes a good one's place -----------------------------------


class _Scaled(nn.Module):
    """A conv whose output is multiplied by ``scale``: 1 verifies, 1e30 * 1e30 overflows float32."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if self.scale != 1:
            y = y * self.scale * self.scale
        return y.mean((2, 3))


def test_a_failed_verification_leaves_the_good_artifact_in_place(tmp_path):
    import edgerep

    dest = tmp_path / "m.onnx"
    good = edgerep.export(_Scaled(1), "onnx", input_size=(8, 8), output=dest)
    assert good.passed
    before = {p: (tmp_path / p).read_bytes() for p in ("m.onnx", "m.onnx.json")}
    bad = edgerep.export(_Scaled(1e30), "onnx", input_size=(8, 8), output=dest)
    assert not bad.passed
    assert {p: (tmp_path / p).read_bytes() for p in before} == before
    assert bad.path == tmp_path / "m.FAILED.onnx" and bad.sidecar == tmp_path / "m.FAILED.onnx.json"
    side = json.loads(bad.sidecar.read_text())
    assert side["verification"]["passed"] is False and side["file"] == "m.FAILED.onnx"
    assert files_in(tmp_path) == ["m.FAILED.onnx", "m.FAILED.onnx.json", "m.onnx", "m.onnx.json"]
