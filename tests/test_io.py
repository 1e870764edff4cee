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
