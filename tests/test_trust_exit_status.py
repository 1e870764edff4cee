"""Exit status tells the truth, and every bad input is one line with exit 2: bench failures caused by
the user's input, the export cache's damaged entries, face models at another size, absurd sizes,
calibration files that are not images or arrays, and report files that are not reports."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import edgerep
from edgerep.bench import runners
from edgerep.registry import get_spec, list_models

from .export_helpers import TINY
from .helpers import files_in, one_line_error, run_cli

QUICK = ("--quick", "--no-progress")


pytestmark = pytest.mark.usefixtures("tiny_models")


# ------------------------------------------------------------------------------------ bench status


def test_bench_checkpoint_that_does_not_fit_is_exit_2_before_measuring(capsys, tmp_path):
    ckpt = tmp_path / "other.safetensors"
    edgerep.save_checkpoint(edgerep.create_model(TINY), ckpt)
    code, _, err = run_cli(capsys, "bench", "mobileone_s0", "--runtime", "torch", *QUICK,
                           "--checkpoint", ckpt, "--json", tmp_path / "r.json")
    assert "does not fit mobileone_s0" in one_line_error(code, err)
    assert files_in(tmp_path) == ["other.safetensors"]


def test_bench_runtime_requested_without_its_extra_is_exit_2(capsys, monkeypatch):
    monkeypatch.setattr(runners, "available", lambda module: module != "onnxruntime")
    code, _, err = run_cli(capsys, "bench", TINY, "--runtime", "onnxruntime", *QUICK)
    assert "pip install 'edgerep[onnx]'" in one_line_error(code, err)


def test_bench_default_runtimes_with_a_missing_extra_exit_1(capsys, monkeypatch, tmp_path):
    from edgerep.exporters.coreml.target import CoreMLTarget

    monkeypatch.setattr(runners, "available", lambda module: module not in ("onnxruntime", "ai_edge_litert"))
    monkeypatch.setattr(CoreMLTarget, "runtime_unavailable", lambda self: "Core ML prediction needs macOS")  # also on a Mac
    code, out, err = run_cli(capsys, "bench", TINY, "--runtime", "torch,coreml", *QUICK,
                             "--cache-dir", tmp_path)
    assert code == 0, err  # coreml off macOS is a documented platform reason: not a failure
    code, out, err = run_cli(capsys, "bench", TINY, *QUICK, "--cache-dir", tmp_path)
    assert code == 1
    assert "not measured for a reason you can fix" in err.strip().splitlines()[-1]
    assert "litert: not available (ai-edge-litert is not installed" in out


def test_bench_failed_record_is_exit_1_with_the_table_written(capsys, monkeypatch, tmp_path):
    def broken_loader(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        raise RuntimeError("the runtime crashed")

    monkeypatch.setattr(runners.ArtifactRunner, "loader", broken_loader)
    code, out, err = run_cli(capsys, "bench", TINY, "--runtime", "torch,onnxruntime", *QUICK,
                             "--cache-dir", tmp_path / "c", "--json", tmp_path / "r.json")
    assert code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert [r["status"] for r in report["records"]] == ["ok", "ok", "failed"]
    assert "the runtime crashed" in out


def test_corrupt_cache_entry_is_rebuilt(capsys, tmp_path):
    cache = tmp_path / "cache"
    argv = ("bench", TINY, "--runtime", "onnxruntime", *QUICK, "--cache-dir", cache)
    assert run_cli(capsys, *argv)[0] == 0
    artifact = next(cache.rglob("*.onnx"))
    artifact.write_bytes(artifact.read_bytes()[:100])  # a truncated file from a crash or a full disk
    code, out, err = run_cli(capsys, *argv, "--json", tmp_path / "r.json")
    assert code == 0, out + err
    assert json.loads((tmp_path / "r.json").read_text())["records"][0]["status"] == "ok"
    assert artifact.stat().st_size > 100


# ------------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("name", [n for n in list_models() if get_spec(n).task == "face-embedding"])
def test_face_models_export_at_their_built_size_only(name):
    h, w = get_spec(name).input_size[1:]
    with pytest.raises(ValueError, match=f"runs only at {h}x{w}"):
        edgerep.export(name, "onnx", input_size=(224, 224), verify=False)


def test_absurd_input_size_is_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--input-size", "100000", "100000",
                           "-o", tmp_path / "o" / "m.onnx")
    assert "larger than edgerep exports" in one_line_error(code, err)
    assert files_in(tmp_path) == []


def _export_int8(capsys, tmp_path, calibration) -> str:
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--precision", "int8", "--calibration",
                           calibration, "-o", tmp_path / "out" / "m.onnx")
    line = one_line_error(code, err)
    assert files_in(tmp_path / "out") == []
    return line


def _png_header(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG claiming ``width`` x ``height`` pixels (a decompression bomb's
    header: the pixel data would decode to gigabytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("content, expected", [
    (b"this is text, not an image", "cannot be decoded as an image"),
    (_png_header(100_000, 100_000), "pixels"),
])
def test_calibration_images_that_are_not_images(capsys, tmp_path, content, expected):
    folder = tmp_path / "calib"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(content)
    line = _export_int8(capsys, tmp_path, folder)
    assert "photo.jpg" in line and expected in line


@pytest.mark.parametrize("array, expected", [
    (np.zeros((0, 3, 32, 32), np.float32), "holds no image"),
    (np.full((2, 3, 32, 32), np.nan, np.float32), "non-finite"),
    (np.zeros((2, 3, 16, 16), np.float32), "has shape (2, 3, 16, 16)"),
])
def test_calibration_arrays_that_cannot_calibrate(capsys, tmp_path, array, expected):
    np.save(tmp_path / "calib.npy", array)
    line = _export_int8(capsys, tmp_path, tmp_path / "calib.npy")
    assert "calib.npy" in line and expected in line


def test_calibration_npy_that_is_not_an_array(capsys, tmp_path):
    (tmp_path / "calib.npy").write_bytes(b"\x93NUMPY garbage")
    assert "not a valid .npy array" in _export_int8(capsys, tmp_path, tmp_path / "calib.npy")


def test_calibration_pt_holding_no_tensor(capsys, tmp_path):
    torch.save({"images": [1, 2]}, tmp_path / "calib.pt")
    assert "holds a dict, not a tensor" in _export_int8(capsys, tmp_path, tmp_path / "calib.pt")


@pytest.mark.parametrize("text, expected", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"schema": "edgerep.bench/1", "created": ' + "9" * 5000 + "}", "not a valid report number"),
])
def test_ingest_of_hostile_json_is_one_line(capsys, tmp_path, text, expected):
    path = tmp_path / "r.json"
    path.write_text(text)
    line = one_line_error(*run_cli(capsys, "bench", "ingest", path)[::2])
    assert str(path) in line and expected in line


def test_ingest_of_a_file_that_is_not_utf8(capsys, tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b'{"schema": "\xff\xfe"}')
    line = one_line_error(*run_cli(capsys, "bench", "ingest", path)[::2])
    assert str(path) in line and "not UTF-8" in line


def test_markdown_and_csv_keep_hostile_names_in_their_cell(tmp_path):
    from edgerep.bench.records import Record, Report
    from edgerep.bench.report import render_csv, render_markdown

    name = "=HYPERLINK(1)|evil\nrow"
    report = Report(machine={"kind": "device", "name": "p", "os": "Android"},
                    protocol={"name": "default", "rounds": 1, "iterations": 2, "warmup": 1, "trim": 0},
                    records=[Record(model=name, form="fused", runtime="litert", precision="fp32",
                                    median_ms=1.0, mean_ms=1.0, iterations=2)])
    rows = [line for line in render_markdown([report]).splitlines() if "HYPERLINK" in line]
    assert len(rows) == 1 and "\\|evil row" in rows[0]
    assert rows[0].count(" | ") == len(rows[0].split(" | ")) - 1  # no extra cell from the name
    import csv
    import io

    cells = list(csv.DictReader(io.StringIO(render_csv([report]))))
    assert cells[0]["model"] == "'" + name  # quoted: a spreadsheet shows it, does not run it
