"""edgerep._io: atomic writes, hashing, and reuse of loaded artifacts."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from edgerep._io import file_sha256, reuse_last_load, staged, write_atomic


def test_write_atomic_replaces_and_leaves_no_temporaries(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_staged_failure_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_text("previous export")
    with pytest.raises(KeyboardInterrupt):
        with staged(path) as (tmp,):
            tmp.write_text("half-written")
            raise KeyboardInterrupt
    assert path.read_text() == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_staged_replaces_a_directory_artifact(tmp_path: Path) -> None:
    dest = tmp_path / "m.mlpackage"
    (dest / "old").mkdir(parents=True)
    with staged(dest) as (tmp,):
        (tmp / "new").mkdir(parents=True)
    assert [p.name for p in dest.iterdir()] == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mlpackage"]


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    data = os.urandom(3 << 20)  # several read chunks
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_reuse_last_load_until_the_file_changes(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []

    @reuse_last_load
    def load(path: Path, threads: int = 1) -> str:
        calls.append((path.name, threads))
        return path.read_text()

    a = tmp_path / "a.tflite"
    a.write_text("v1")
    assert load(a) == load(a) == "v1"
    assert calls == [("a.tflite", 1)]
    assert load(a, 2) == "v1" and len(calls) == 2  # other threads: a new load
    a.write_text("version 2")  # rewritten (size and mtime change): loaded again
    assert load(a, 2) == "version 2" and len(calls) == 3


def test_heavy_optional_imports_print_nothing() -> None:
    """coremltools (off macOS), LiteRT and litert-torch print banners and "Failed to load" lines
    when imported; every edgerep command imports them through _optional, which keeps them quiet."""
    import subprocess
    import sys

    code = ("from edgerep._optional import available, require\n"
            "for m in ('coremltools', 'ai_edge_litert', 'litert_torch', 'onnxruntime'):\n"
            "    available(m) and require(m)\n")
    env = {k: v for k, v in os.environ.items() if k != "EDGEREP_VERBOSE"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == "", done.stderr[:500]
