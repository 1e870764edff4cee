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
    from edgerep.exporters.pipeline.calibration import _read_image
    from PIL import Image

    (tmp_path / "c.png").write_bytes(EPS)
    with pytest.raises(ValueError, match="c.png.*EPS"):
        _read_image(tmp_path / "c.png", Image)
    assert not fake_ghostscript.exists()


def test_eps_inside_a_bin_never_reaches_ghostscript(fake_ghostscript):
    from edgerep.facecore.images import decode_image

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
    from edgerep.exporters.pipeline.calibration import _read_image
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


# ---- the one reader: FIFOs, devices and folders named as input files ------------------------------


def _within(seconds: int, fn, *args):  # noqa: ANN001, ANN202
    """``fn(*args)``, failing the test (instead of hanging it) if it blocks for ``seconds``."""
    import signal

    def alarm(signum, frame):  # noqa: ANN001
        raise TimeoutError(f"blocked for {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _inputs(tmp_path: Path) -> dict[str, Path]:
    png = tmp_path / "p.png"
    png.write_bytes(_png(64, 64))
    fifo = tmp_path / "fifo.onnx"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.onnx"
    folder.mkdir()
    return {"png": png, "fifo": fifo, "folder": folder, "zero": Path("/dev/zero")}


_CASES = {
    "detect": lambda f: ["face", "detect", f["bad"]],
    "align --landmarks-json": lambda f: ["face", "align", f["png"], "--landmarks-json", f["bad"], "-o",
                                         f["out"] / "a.png"],
    "identify --gallery": lambda f: ["face", "identify", f["png"], "--gallery", f["bad"]],
    "verify --artifact": lambda f: ["face", "verify", f["png"], f["png"], "--artifact", f["bad"]],
    "export --checkpoint": lambda f: ["export", "_export_tiny", "-t", "onnx", "--checkpoint", f["bad"], "-o",
                                      f["out"] / "m.onnx"],
    "eval --bin": lambda f: ["face", "eval", "--bin", f["bad"], "--model", "_export_tiny_face"],
    "bench ingest": lambda f: ["bench", "ingest", f["bad"]],
}
_WORDS = {"fifo": "FIFO", "zero": "a device", "folder": "a directory"}


@pytest.mark.parametrize("kind", ["fifo", "zero", "folder"])
@pytest.mark.parametrize("case", list(_CASES))
def test_a_fifo_device_or_folder_as_input_gets_one_line_naming_it(tmp_path, capsys, tiny_models, case, kind):
    files = _inputs(tmp_path)
    files["bad"] = files[kind]
    files["out"] = tmp_path / "out"
    files["out"].mkdir()
    code, out, err = _within(20, run_cli, capsys, *_CASES[case](files))
    line = one_line_error(code, err)
    assert str(files[kind]) in line and _WORDS[kind] in line, line
    assert files_in(files["out"]) == []


def test_dev_zero_is_never_hashed(tmp_path):
    from edgerep._io import file_sha256

    with pytest.raises(ValueError, match="a device"):
        _within(10, file_sha256, "/dev/zero")


# ---- the state-dict check: only string keys and dense, real, floating tensors ---------------------


def _tiny_state() -> dict:
    from tests.export_helpers import TinyNet

    return {k: v.clone() for k, v in TinyNet().state_dict().items()}


def _edit(key: str, value):  # noqa: ANN001, ANN202
    def edit(sd: dict) -> dict:
        sd = dict(sd)
        sd[key] = value(sd[key]) if callable(value) else value
        return sd
    return edit


_BAD_STATES = {
    "complex": (_edit("head.weight", lambda t: t.to(torch.complex64)), "complex64"),
    "complex NaN imaginary": (_edit("head.weight", lambda t: torch.complex(t, torch.full_like(t, float("nan")))),
                              "complex64"),
    "bool": (_edit("head.weight", lambda t: t > 0), "torch.bool"),
    "uint16": (_edit("head.weight", lambda t: t.to(torch.uint16)), "uint16"),
    "int32": (_edit("head.weight", lambda t: t.to(torch.int32)), "int32"),
    "float8": (_edit("head.weight", lambda t: t.to(torch.float8_e4m3fn)), "float8_e4m3fn"),
    "sparse": (_edit("head.weight", lambda t: t.to_sparse()), "sparse"),
    "int key": (lambda sd: {**sd, 7: torch.zeros(1)}, "key 7"),
    "tuple key": (lambda sd: {**sd, ("a", 1): torch.zeros(1)}, "key ('a', 1)"),
    "quantized": (_edit("head.weight", lambda t: torch.quantize_per_tensor(t, 0.1, 0, torch.qint8)), "quantized"),
    "stride-0 view of 4 TB": (_edit("head.weight", lambda t: torch.zeros(1).as_strided((1 << 20, 1 << 20), (0, 0))),
                              "larger than"),
}


@pytest.mark.parametrize("case", list(_BAD_STATES))
def test_a_state_dict_with_wrong_keys_or_tensors_is_refused_in_one_line(tmp_path, case):
    from edgerep.checkpoints import CheckpointError, read_state_dict

    edit, expected = _BAD_STATES[case]
    path = tmp_path / "w.pt"
    torch.save(edit(_tiny_state()), path)
    with pytest.raises(CheckpointError) as info:
        read_state_dict(path)
    msg = str(info.value)
    assert "\n" not in msg and "w.pt" in msg and expected in msg, msg


def test_meta_and_nested_tensors_are_refused():
    from edgerep.checkpoints import CheckpointError, read_state_dict

    for value, expected in ((torch.empty(3, device="meta"), "meta"),
                            (torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)]), "nested")):
        with pytest.raises(CheckpointError, match=expected):
            read_state_dict({**_tiny_state(), "head.weight": value})


def test_num_batches_tracked_stays_readable():
    from edgerep.checkpoints import read_state_dict

    sd = read_state_dict(_tiny_state())
    assert any(k.endswith("num_batches_tracked") and v.dtype == torch.int64 for k, v in sd.items())


@pytest.mark.parametrize("content", [os.urandom(4096), b"just some text\n" * 50, b""])
def test_random_bytes_or_text_as_a_checkpoint(tmp_path, capsys, tiny_models, content):
    path = tmp_path / "w.pt"
    path.write_bytes(content)
    code, out, err = run_cli(capsys, "export", "_export_tiny", "-t", "onnx", "--checkpoint", path,
                             "-o", tmp_path / "m.onnx")
    assert "w.pt" in one_line_error(code, err)


def _torchscript_archive(path: Path, depth: int, self_loop: bool = False) -> None:
    """A hand-made TorchScript-style archive (pickle opcodes, no code needed to write it): modules
    nested ``depth`` deep, each holding the next as ``child``, or one module holding itself."""
    import zipfile

    module = b"c__torch__\nM\n)\x81"  # GLOBAL __torch__.M, EMPTY_TUPLE, NEWOBJ
    child = b"X\x05\x00\x00\x00child"
    if self_loop:  # m = M(); m.__setstate__({"child": m})
        data = b"\x80\x02" + module + b"q\x00}" + child + b"h\x00sb."
    else:
        data = b"\x80\x02" + (module + b"}" + child) * depth + module + b"}b" + b"sb" * depth + b"."
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("m/data.pkl", data)
        z.writestr("m/code/__torch__.py", "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n")


@pytest.mark.parametrize("depth, self_loop", [(5000, False), (0, True)])
def test_torchscript_that_recurses_is_refused_in_one_line(tmp_path, depth, self_loop):
    from edgerep.checkpoints import CheckpointError, read_state_dict

    path = tmp_path / "m.pt"
    _torchscript_archive(path, depth, self_loop)
    with pytest.raises(CheckpointError) as info:
        read_state_dict(path)
    assert "m.pt" in str(info.value) and "\n" not in str(info.value)
    assert "nest" in str(info.value) or "itself" in str(info.value)


def test_torchscript_stride0_view_is_refused_before_allocating(tmp_path):
    import zipfile

    from edgerep.checkpoints import CheckpointError, read_state_dict

    # data.pkl: M() with state {"w": _rebuild_tensor_v2(storage(4 bytes), 0, (2**20, 2**20), (0, 0), False, {})}
    data = (b"\x80\x02c__torch__\nM\n)\x81}X\x01\x00\x00\x00w"
            b"ctorch._utils\n_rebuild_tensor_v2\n("
            b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQ"
            b"K\x00J\x00\x00\x10\x00J\x00\x00\x10\x00\x86K\x00K\x00\x86\x89}tRsb.")
    path = tmp_path / "m.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("m/data.pkl", data)
        z.writestr("m/data/0", b"\0\0\0\0")
        z.writestr("m/code/__torch__.py", "class M(Module):\n  __parameters__ = [\"w\", ]\n")
    with pytest.raises(CheckpointError, match="m.pt.*larger than"):
        _within(20, read_state_dict, path)


# ---- --threads, outputs that are devices, where the cache goes ------------------------------------


@pytest.mark.parametrize("threads", [(os.cpu_count() or 1) + 1, 100_000])
def test_threads_beyond_the_machines_cores_are_refused(capsys, tiny_models, threads):
    code, out, err = run_cli(capsys, "bench", "_export_tiny", "--runtime", "torch", "--quick",
                             "--threads", str(threads))
    line = one_line_error(code, err)
    assert "--threads" in line and f"{os.cpu_count()} cores" in line


def test_export_to_dev_null_is_refused_and_writes_nothing_into_dev(capsys, tiny_models):
    assert not os.path.exists("/dev/null.onnx")
    code, out, err = run_cli(capsys, "export", "_export_tiny", "-t", "onnx", "-o", "/dev/null")
    line = one_line_error(code, err)
    assert "/dev/null" in line and "device" in line
    assert not os.path.exists("/dev/null.onnx") and not os.path.exists("/dev/null.onnx.json")


def test_an_empty_home_is_not_a_cache_location(monkeypatch):
    from edgerep.exporters.pipeline.cache import ExportCache

    monkeypatch.delenv("EDGEREP_CACHE", raising=False)
    monkeypatch.setenv("HOME", "")
    with pytest.raises(ValueError, match="HOME.*EDGEREP_CACHE"):
        ExportCache()


def test_edgerep_cache_naming_a_file_is_refused(monkeypatch, tmp_path):
    from edgerep.exporters.pipeline.cache import ExportCache

    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("EDGEREP_CACHE", str(tmp_path / "f"))
    with pytest.raises(ValueError, match="EDGEREP_CACHE.*is a file"):
        ExportCache()


# ---- galleries: what made the embeddings is checked; names are real and printed safely ------------


class _Stub:
    def __init__(self, spec):  # noqa: ANN001
        self.spec = spec


@pytest.mark.parametrize("field, value", [
    ("artifact_sha256", "b" * 64), ("precision", "int8"), ("mean", (0.485, 0.456, 0.406)),
    ("std", (0.229, 0.224, 0.225)),
])
def test_a_gallery_refuses_embeddings_made_otherwise_naming_both(field, value):
    import dataclasses

    from edgerep.face.embed import check_compatible
    from edgerep.face.gallery import EmbeddingSpec

    enrolled = EmbeddingSpec("edgeface_xxs", 512, runtime="onnxruntime", artifact_sha256="a" * 64)
    probe = dataclasses.replace(enrolled, **{field: value})
    with pytest.raises(ValueError) as info:
        check_compatible(enrolled, _Stub(probe), "gallery g.json")
    msg = str(info.value)
    assert field in msg and repr(getattr(enrolled, field)) in msg and repr(value) in msg


def test_a_torch_gallery_refuses_an_artifact():
    import dataclasses

    from edgerep.face.embed import check_compatible
    from edgerep.face.gallery import EmbeddingSpec

    enrolled = EmbeddingSpec("edgeface_xxs", 512)
    probe = dataclasses.replace(enrolled, runtime="litert", artifact_sha256="c" * 64)
    with pytest.raises(ValueError, match="artifact_sha256 None vs 'c"):
        check_compatible(enrolled, _Stub(probe), "gallery g.json")


def _gallery_doc(name: object) -> dict:
    from edgerep.face.gallery import EmbeddingSpec, Gallery

    g = Gallery(EmbeddingSpec("edgeface_xxs", 4))
    g.enroll("x", np.ones(4))
    doc = g.to_dict()
    doc["identities"][0]["name"] = name
    return doc


@pytest.mark.parametrize("name", [" ", "\t\n", "\u200b"])
def test_a_blank_identity_name_is_refused(tmp_path, name):
    from edgerep.face.gallery import Gallery, GalleryError

    path = tmp_path / "g.json"
    path.write_text(json.dumps(_gallery_doc(name)))
    with pytest.raises(GalleryError, match=r"identities\[0\]\.name"):
        Gallery.load(path)
    with pytest.raises(ValueError, match="identity name"):
        Gallery(_spec4()).enroll(name, np.ones(4))


def _spec4():  # noqa: ANN202
    from edgerep.face.gallery import EmbeddingSpec

    return EmbeddingSpec("edgeface_xxs", 4)


@pytest.mark.parametrize("name, shown", [
    ("eve\u202egnp.exe", "eve\\u202egnp.exe"), ("a\nb", "a\\nb"), ("nul\x00", "nul\\x00"), ("ada", "ada"),
])
def test_identity_names_are_printed_with_control_characters_escaped(name, shown):
    from edgerep._text import printable

    assert printable(name) == shown


# ---- .bin pair files ------------------------------------------------------------------------------


def _bin(issame: list, protocol: int = 4) -> bytes:
    import pickle

    return pickle.dumps(([_png(8, 8)] * (2 * len(issame)), issame), protocol=protocol)


@pytest.mark.parametrize("issame", [[5], [-1], [True, 2], [0.5], [None]])
def test_bin_issame_values_must_be_booleans(tmp_path, issame):
    from edgerep.face.verification import load_bin

    (tmp_path / "x.bin").write_bytes(_bin(issame))
    with pytest.raises(ValueError, match="x.bin.*boolean"):
        load_bin(tmp_path / "x.bin")


def test_a_protocol_2_bin_written_by_python3_is_read():
    from edgerep.face.verification import load_bin
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p2.bin"
        path.write_bytes(_bin([True, False, 1, 0], protocol=2))
        images, issame = load_bin(path)
    assert images == [_png(8, 8)] * 8 and issame.tolist() == [True, False, True, False]


def test_protocol_2_byte_reconstruction_cannot_call_anything_else(tmp_path):
    from edgerep.face.verification import load_bin

    # _codecs.encode with an encoding other than latin1 (here a codec that could be any callable's name)
    evil = (b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R]\x86.")
    (tmp_path / "e.bin").write_bytes(evil)
    with pytest.raises(ValueError, match="e.bin"):
        load_bin(tmp_path / "e.bin")
    evil2 = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R."
    (tmp_path / "f.bin").write_bytes(evil2)
    with pytest.raises(ValueError, match="f.bin.*os.system"):
        load_bin(tmp_path / "f.bin")


# ---- reports and benchmark logs -------------------------------------------------------------------


FIXTURES = Path(__file__).parent / "fixtures"


def _report_with(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    from edgerep.bench.records import Record, Report
    from edgerep.bench.report import render_json

    report = Report(machine={"kind": "device", "name": "phone", "os": "Android"},
                    protocol={"name": "default", "rounds": 1, "iterations": 2, "warmup": 1, "trim": 0},
                    records=[Record(model="m", form="fused", runtime="litert", precision="fp32",
                                    median_ms=1.0, mean_ms=1.0, iterations=2)])
    doc = json.loads(render_json([report]))
    edit(doc)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))  # json.dumps writes NaN / Infinity as given
    return path


@pytest.mark.parametrize("where", ["records.0.extra.x", "machine.extra.y", "extra.z"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_ingest_refuses_non_finite_numbers_anywhere_naming_the_field(tmp_path, capsys, where, value):
    def edit(doc):  # noqa: ANN001, ANN202
        *parents, last = where.split(".")
        node = doc
        for p in parents:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        node[last] = value

    path = _report_with(tmp_path, edit)
    out_json = tmp_path / "merged.json"
    code, out, err = run_cli(capsys, "bench", "ingest", path, "--json", out_json)
    line = one_line_error(code, err)
    field = where.replace(".0.", "[0].")
    assert "r.json" in line and field in line, line
    assert not out_json.exists()


def _log_with(tmp_path: Path, old: str, new: str, junk: int = 0) -> Path:
    text = (FIXTURES / "benchmark_model_fastvit_t8.txt").read_text()
    assert old in text
    path = tmp_path / "bm.txt"
    path.write_text(text.replace(old, new) + "junk line that is no benchmark output\n" * junk)
    return path


@pytest.mark.parametrize("old, new, field", [
    ("size (MB): 16.0549", "size (MB): 1e400", "file size"),
    ("overall=39.8164", "overall=1e400", "memory"),
    ("size (MB): 16.0549", "size (MB): " + "9" * 400, "file size"),
    ("Init: 48113", "Init: 1e400", "Init"),
])
def test_benchmark_model_numbers_beyond_float_are_refused_naming_the_field(tmp_path, capsys, old, new, field):
    code, out, err = run_cli(capsys, "bench", "ingest", _log_with(tmp_path, old, new), "--model", "m")
    line = one_line_error(code, err)
    assert "bm.txt" in line and field in line, line


def test_benchmark_model_log_parsing_is_linear(tmp_path):
    import time

    from edgerep.bench.formats import read_reports

    path = _log_with(tmp_path, "Init: 48113", "Init: 48113", junk=60_000)
    start = time.perf_counter()
    (report,) = read_reports(path)
    assert report["records"][0]["iterations"] == 84
    assert time.perf_counter() - start < 10  # 60,000 lines: quadratic took over 120 s


# ---- landmarks outside the image ------------------------------------------------------------------


def test_landmarks_far_outside_the_image_are_refused(tmp_path, capsys):
    photo = tmp_path / "p.png"
    photo.write_bytes(_png(64, 64))
    far = "5038,5051,5073,5051,5056,5071,5041,5092,5070,5092"  # a face's shape, 5000 pixels away
    code, out, err = run_cli(capsys, "face", "align", photo, "--landmarks", far, "-o", tmp_path / "a.png")
    line = one_line_error(code, err)
    assert "p.png" in line and "outside" in line and not (tmp_path / "a.png").exists()


# ---- calibration files ----------------------------------------------------------------------------


def _prep():  # noqa: ANN202
    from types import SimpleNamespace

    return SimpleNamespace(input_size=(8, 8), spec=None, task="classification")


_BAD_CALIBRATION = {
    "meta": (lambda: torch.empty(2, 3, 8, 8, device="meta"), "meta"),
    "sparse": (lambda: torch.zeros(2, 3, 8, 8).to_sparse(), "sparse"),
    "stride-0 view": (lambda: torch.zeros(1).as_strided((1 << 16, 3, 1 << 10, 1 << 10), (0, 0, 0, 0)), "larger than"),
    "3e38": (lambda: torch.full((2, 3, 8, 8), 3e38), "3e+38"),
}


@pytest.mark.parametrize("case", list(_BAD_CALIBRATION))
def test_calibration_tensors_that_are_not_images_are_refused_in_one_line(tmp_path, case):
    from edgerep.exporters.pipeline.calibration import load

    make, expected = _BAD_CALIBRATION[case]
    path = tmp_path / "c.pt"
    torch.save(make(), path)
    with pytest.raises(ValueError) as info:
        _within(20, load, path, _prep())
    assert "c.pt" in str(info.value) and expected in str(info.value), str(info.value)


@pytest.mark.parametrize("header", [
    b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 3, 8, 8), }",
    b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortr",
    b"\x93NUMPY\x01\x00",
])
def test_truncated_or_lying_npy_headers_are_refused(tmp_path, header):
    from edgerep.exporters.pipeline.calibration import load

    (tmp_path / "c.npy").write_bytes(header.ljust(128, b" ") if len(header) > 20 else header)
    with pytest.raises(ValueError, match="c.npy"):
        _within(20, load, tmp_path / "c.npy", _prep())


def test_a_fifo_as_calibration_is_refused(tmp_path):
    from edgerep.exporters.pipeline.calibration import load

    os.mkfifo(tmp_path / "c.npy")
    with pytest.raises(ValueError, match="c.npy.*FIFO"):
        _within(10, load, tmp_path / "c.npy", _prep())


def test_a_zip_bomb_checkpoint_is_refused_before_decompressing(tmp_path):
    import zipfile

    from edgerep.checkpoints import CheckpointError, read_state_dict

    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/data/0", b"\0" * (256 << 20))  # 256 MB of zeros in a few hundred KB
    assert path.stat().st_size < 2 << 20
    with pytest.raises(CheckpointError, match="bomb.pt.*zip bomb"):
        read_state_dict(path)


# ---- signals: the first decides, the cleanup finishes ---------------------------------------------


def _interrupting_convert(monkeypatch, first: int, then: list[int], wrap: bool = False) -> None:  # noqa: ANN001
    """The onnx conversion receives signal ``first``; each later removal of a temporary file receives
    the next of ``then`` (signals arriving during the cleanup). With ``wrap``, the converter wraps
    the signal's exception in its own error, as torch.export does."""
    from edgerep import _io
    from edgerep.exporters.onnx import target as onnx_target

    def convert(self, model, example, path, options):  # noqa: ANN001, ANN202
        Path(path).write_bytes(b"half an artifact")  # what the cleanup must remove
        try:
            os.kill(os.getpid(), first)  # the handler runs before the next line
        except BaseException as exc:
            if wrap:
                raise RuntimeError("torch.export failed while tracing") from exc
            raise
        raise AssertionError("the signal did not arrive")

    real_remove = _io.remove
    pending = list(then)

    def remove(path):  # noqa: ANN001, ANN202
        while pending:  # every later signal arrives as the cleanup starts
            os.kill(os.getpid(), pending.pop(0))
        real_remove(path)

    monkeypatch.setattr(onnx_target.OnnxTarget, "convert", convert)
    monkeypatch.setattr(_io, "remove", remove)


@pytest.fixture
def _own_handlers():
    """The CLI keeps recording-only signal handlers after a signal (its process is exiting): give
    this test process its own handlers back afterwards."""
    yield
    from edgerep._io import restore_signal_handlers

    restore_signal_handlers()


@pytest.mark.parametrize("first, then, status, word", [
    (2, [2], 130, "interrupted"),            # two Ctrl-C
    (2, [2] * 9, 130, "interrupted"),        # ten in a row
    (2, [15], 130, "interrupted"),           # Ctrl-C, then SIGTERM during the cleanup
    (15, [2, 15], 143, "terminated by signal 15"),
])
def test_more_signals_during_the_cleanup_do_not_change_the_status_or_stop_the_cleanup(
        tmp_path, capsys, monkeypatch, tiny_models, _own_handlers, first, then, status, word):
    _interrupting_convert(monkeypatch, first, then)
    code, out, err = run_cli(capsys, "export", "_export_tiny", "-t", "onnx", "-o", tmp_path / "out" / "m.onnx")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == status and lines == [f"edgerep: {word}"], err
    assert files_in(tmp_path) == []


def test_sigterm_wrapped_by_the_converter_is_not_reported_as_a_failed_conversion(
        tmp_path, capsys, monkeypatch, tiny_models, _own_handlers):
    _interrupting_convert(monkeypatch, 15, [], wrap=True)
    code, out, err = run_cli(capsys, "export", "_export_tiny", "-t", "onnx", "-o", tmp_path / "m.onnx")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 143 and lines == ["edgerep: terminated by signal 15"], err
    assert "conversion" not in out + err


# ---- new user 4: what an int8 export says at the end ----------------------------------------------


def _int8_result(target: str = "tflite"):  # noqa: ANN202
    from types import SimpleNamespace

    from edgerep.exporters.pipeline.checks import Verification
    from edgerep.exporters.pipeline.precision import Precision

    return SimpleNamespace(target=target, model="mobileone_s0", path=Path("exports/mobileone_s0_int8.tflite"),
                           precision=Precision.INT8, sidecar=Path("exports/mobileone_s0_int8.tflite.json"),
                           verification=Verification(passed=True, rel_error=0.44, cosine=0.9907, runtime="litert"))


def test_int8_parity_reads_as_a_cosine_not_a_large_error():
    from edgerep.exporters.pipeline.console import _parity

    cell = _parity(_int8_result())
    assert cell.startswith("cos 0.9907") and "judged by cosine" in cell


@pytest.mark.parametrize("target", ["tflite", "onnx"])
def test_the_next_step_benchmarks_the_precision_just_exported(target):
    from edgerep.exporters.pipeline.console import next_steps

    first = next_steps([_int8_result(target)])[0]
    assert "edgerep bench mobileone_s0" in first and "--precision int8" in first


# ---- new user 6: ingest and bench share one exit rule ---------------------------------------------


def test_ingest_of_a_report_with_a_failed_record_exits_1_after_the_table(tmp_path, capsys):
    def fail(doc):  # noqa: ANN001, ANN202
        doc["records"].append({**doc["records"][0], "model": "m2", "status": "failed",
                               "reason": "the delegate crashed", "median_ms": None, "mean_ms": None})

    path = _report_with(tmp_path, fail)
    code, out, err = run_cli(capsys, "bench", "ingest", path, "--json", tmp_path / "merged.json")
    assert code == 1, err
    assert "m2 on litert" in out and "the delegate crashed" in err.strip().splitlines()[-1]
    assert (tmp_path / "merged.json").is_file()


def test_bench_notes_core_ml_off_macos_with_its_reason():
    from edgerep.bench.records import Record, Report
    from edgerep.bench.report import render_text

    rep = Report(machine={"kind": "host", "name": "ci", "os": "Linux"},
                 protocol={"name": "quick", "rounds": 1, "iterations": 2, "warmup": 1, "trim": 0},
                 records=[Record(model="m", form="fused", runtime="coreml", precision="fp16",
                                 status="unavailable", reason="Core ML runs on macOS only")])
    assert "coreml: not available (Core ML runs on macOS only)" in render_text([rep])


# ---- new user 7: the first ./dev run and --check say what they are doing --------------------------


def test_vectors_check_says_ok_on_success(tmp_path, capsys):
    from tools.conformance import vectors

    vectors.write(tmp_path)
    capsys.readouterr()
    assert vectors.main(["--check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and str(tmp_path) in out


def test_first_dev_run_shows_progress(tmp_path):
    """./dev with a stale environment: a stand-in pip that, like pip, prints nothing under -q."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    pip = venv / "bin" / "pip"
    pip.write_text('#!/bin/sh\ncase " $* " in *" -q "*) exit 0;; esac\n'
                   'echo "Collecting $3"\necho "Successfully installed $3"\n')
    pip.chmod(0o755)
    run = subprocess.run([str(root / "dev"), "true"], env={**os.environ, "EDGEREP_VENV": str(venv)},
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "[1/2]" in run.stderr and "[2/2]" in run.stderr and "Collecting" in run.stderr, run.stderr


# ---- new user 3: the face walk-through (docs/face.md) runs on files that ship with a dependency ---


def test_the_face_walk_through_makes_every_input_it_names(tmp_path):
    """Step 0 of docs/face.md's walk-through (run here) creates every photo and folder the later steps
    read; only the .bin files of step 6 are the user's (and the walk-through says so)."""
    import re
    import shlex
    import subprocess

    pytest.importorskip("skimage")
    readme = (Path(__file__).resolve().parents[1] / "docs" / "face.md").read_text()
    start = readme.index("## A walk-through")
    block = readme[readme.index("```bash", start) + 8: readme.index("```\n", readme.index("```bash", start) + 8)]
    script = re.search(r"python - <<'PY'\n(.*?)\nPY\n", block, re.S).group(1)
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, timeout=120)
    made = {"exports/", "exports/edgeface_xs_gamma_06.onnx", "gallery.json", "gallery_onnx.json"}
    for line in block.splitlines():
        if not line.startswith("edgerep face"):
            continue
        words = shlex.split(line)
        inputs = [w for i, w in enumerate(words) if i > 2 and not w.startswith("-")
                  and words[i - 1] not in ("-o", "--output", "--json", "--model", "--precision", "--targets")
                  and "/" in w or w.endswith((".png", ".jpg", ".json", ".bin"))]
        for w in inputs:
            if w in made or (w.endswith(".bin") and "you have" in block) or words[words.index(w) - 1] in ("-o", "--json"):
                continue
            assert (tmp_path / w).exists(), f"the walk-through's {line!r} reads {w}, which step 0 did not make"


# ---- artifacts that cannot be run -----------------------------------------------------------------


def test_an_onnx_whose_external_data_points_outside_is_one_line(tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.zeros((3, 4), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "../" * 12 + "etc/hostname"), ("offset", "0"), ("length", "48")):
        entry = w.external_data.add()
        entry.key, entry.value = k, v
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["image"], ["m"], axes=[2, 3], keepdims=0),
         helper.make_node("MatMul", ["m", "w"], ["embedding"])], "g",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 4])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "m.onnx")
    (tmp_path / "m.onnx.json").write_text(json.dumps({
        "model": "edgeface_xxs", "task": "face-embedding", "input": {"shape": [1, 3, 112, 112], "layout": "NCHW"},
        "output": {"shape": [1, 4]}}))
    data = pytest.importorskip("skimage.data")
    from PIL import Image

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)  # a face, so the model is run
    code, out, err = run_cli(capsys, "face", "verify", photo, photo, "--artifact", tmp_path / "m.onnx")
    line = one_line_error(code, err)
    assert "m.onnx" in line and "escapes" in line


def test_an_artifact_sidecar_without_input_is_one_line(tmp_path, capsys):
    (tmp_path / "m.onnx").write_bytes(os.urandom(64))
    (tmp_path / "m.onnx.json").write_text(json.dumps({"model": "edgeface_xxs", "task": "face-embedding"}))
    photo = tmp_path / "p.png"
    photo.write_bytes(_png(64, 64))
    code, out, err = run_cli(capsys, "face", "verify", photo, photo, "--artifact", tmp_path / "m.onnx")
    assert "input.shape" in one_line_error(code, err) or "output.shape" in err


def test_a_calibration_fifo_is_refused_before_any_work(tmp_path, capsys, tiny_models):
    os.mkfifo(tmp_path / "c.npy")
    code, out, err = _within(20, run_cli, capsys, "export", "_export_tiny", "-t", "onnx", "--precision", "int8",
                             "--calibration", tmp_path / "c.npy", "-o", tmp_path / "m.onnx")
    assert "FIFO" in one_line_error(code, err) and "fuse" not in out


@pytest.mark.parametrize("argv", [
    ["face", "verify", "a.png", "b.png", "--threshold", "-inf"], ["export", "m", "--bogus"], ["bench", "--threads", "x"],
])
def test_argument_errors_are_one_line_with_status_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        run_cli(capsys, *argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("edgerep: error: "), err


def test_empty_landmarks_are_an_error_not_a_detection(tmp_path, capsys):
    photo = tmp_path / "p.png"
    photo.write_bytes(_png(64, 64))
    code, out, err = run_cli(capsys, "face", "align", photo, "--landmarks", "", "-o", tmp_path / "a.png")
    assert "expected 10 numbers" in one_line_error(code, err) and not (tmp_path / "a.png").exists()


def test_a_signal_just_after_the_status_line_cannot_kill_the_exiting_process(
        tmp_path, capsys, monkeypatch, tiny_models, _own_handlers):
    import signal

    _interrupting_convert(monkeypatch, signal.SIGINT, [])
    code, out, err = run_cli(capsys, "export", "_export_tiny", "-t", "onnx", "-o", tmp_path / "m.onnx")
    assert code == 130
    # Ignored (not a Python handler, which the interpreter's shutdown resets to the default action).
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
