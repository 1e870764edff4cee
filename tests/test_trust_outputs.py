"""Nothing the user did not name is replaced and nothing half-written is left: outputs that are not
regular files are refused before any work, an artifact and its sidecar are committed together,
SIGTERM/SIGHUP clean up like Ctrl-C, a failed export removes the folders it created."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgerep._io import staged, temp_path_for

from .export_helpers import TINY
from .helpers import files_in, one_line_error, run_cli


pytestmark = pytest.mark.usefixtures("tiny_models")


@pytest.fixture
def no_conversion(monkeypatch):
    """Fail the test if a conversion starts: the refusals below must come before any work."""
    from edgerep.exporters.onnx import target as onnx_target

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("conversion started")

    monkeypatch.setattr(onnx_target, "convert", boom)


def _refused(capsys, *argv) -> str:
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", *argv)
    return one_line_error(code, err)


def test_symlink_output_is_refused_and_its_target_untouched(capsys, tmp_path, no_conversion):
    target = tmp_path / "precious.onnx"
    target.write_text("keep me")
    (tmp_path / "m.onnx").symlink_to(target)
    for force in ((), ):
        line = _refused(capsys, "-o", tmp_path / "m.onnx", *force)
        assert "symbolic link" in line
    assert target.read_text() == "keep me"


def test_fifo_output_is_refused(capsys, tmp_path, no_conversion):
    os.mkfifo(tmp_path / "m.onnx")
    assert "not a regular file" in _refused(capsys, "-o", tmp_path / "m.onnx")


def test_folder_named_like_the_artifact_is_refused_before_conversion(capsys, tmp_path, no_conversion):
    (tmp_path / "m.onnx").mkdir()
    assert "existing folder" in _refused(capsys, "-o", tmp_path / "m.onnx")
    (tmp_path / "n.onnx.json").mkdir()  # the sidecar's name
    assert "n.onnx.json" in _refused(capsys, "-o", tmp_path / "n.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "n.onnx.json"]


def test_failed_export_removes_the_folders_it_created(capsys, tmp_path, no_conversion):
    out = tmp_path / "new" / "deeper" / "m.onnx"
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-o", out)
    assert code == 1 and "conversion started" in err
    assert files_in(tmp_path) == []


def test_long_legal_file_name_is_accepted(capsys, tmp_path):
    name = "a" * (250 - len(".onnx")) + ".onnx"  # 250 bytes; the sidecar adds ".json": 255
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-o", tmp_path / name)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, name + ".json"])
    assert len(temp_path_for(tmp_path / (name + ".json")).name) <= 255


def _failing_rename(monkeypatch, victim: Path) -> None:
    """The first rename onto ``victim`` fails (putting an old file back is allowed)."""
    real = os.replace
    failed = []

    def rename(src, dst):  # noqa: ANN001, ANN202
        if Path(dst) == victim and not failed:
            failed.append(dst)
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", rename)


def test_artifact_and_sidecar_are_replaced_together_or_not_at_all(tmp_path, monkeypatch):
    artifact, sidecar = tmp_path / "m.onnx", tmp_path / "m.onnx.json"
    artifact.write_text("old artifact")
    sidecar.write_text("old sidecar")
    _failing_rename(monkeypatch, sidecar)
    with pytest.raises(OSError, match="No space left"):
        with staged(artifact, sidecar) as (a, s):
            a.write_text("new artifact")
            s.write_text("new sidecar")
    assert (artifact.read_text(), sidecar.read_text()) == ("old artifact", "old sidecar")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.json"]


def test_new_artifact_is_not_left_without_its_sidecar(capsys, tmp_path, monkeypatch):
    _failing_rename(monkeypatch, tmp_path / "m.onnx.json")
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "-o", tmp_path / "m.onnx")
    assert "No space left" in one_line_error(code, err)
    assert files_in(tmp_path) == []


def test_two_bench_outputs_with_one_path_are_refused(capsys, tmp_path, monkeypatch):
    import edgerep.bench as bench

    monkeypatch.setattr(bench, "benchmark", lambda *a, **k: pytest.fail("measured"))
    code, _, err = run_cli(capsys, "bench", "mobileone_s0", "--json", tmp_path / "r.json",
                           "--csv", tmp_path / "r.json")
    assert "two outputs name the same file" in one_line_error(code, err)


def test_unwritable_bench_output_is_refused_before_measuring(capsys, monkeypatch):
    import edgerep.bench as bench

    monkeypatch.setattr(bench, "benchmark", lambda *a, **k: pytest.fail("measured"))
    code, _, err = run_cli(capsys, "bench", "mobileone_s0", "--markdown", "/proc/edgerep-report.md")
    assert "not writable" in one_line_error(code, err)


# ------------------------------------------------------------------------------------- signals


def _edgerep(*argv: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.Popen([sys.executable, "-m", "edgerep.cli", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _signal_when(proc: subprocess.Popen, ready, sig: int, timeout: float = 240.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never reached the point to interrupt"
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def _hidden(directory: Path) -> bool:
    """A temporary file of the conversion or the cache exists (not only the writability probe)."""
    return directory.exists() and any(p.name.startswith(".") and not p.name.startswith(".edgerep-probe")
                                      for p in directory.iterdir())


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signals_during_an_export_leave_nothing(sig, status, tmp_path):
    out = tmp_path / "out"
    proc = _edgerep("export", "mobileone_s0", "-t", "onnx", "-o", f"{out}/", cwd=tmp_path)
    code, err = _signal_when(proc, lambda: _hidden(out), sig)  # the conversion's temporary files
    assert code == status, err
    assert err.strip().splitlines() == [f"edgerep: terminated by signal {int(sig)}"]
    assert files_in(tmp_path) == []  # no temporary file, and the folder it created is gone


def test_sigterm_during_a_benchmark_export_leaves_the_cache_clean(tmp_path):
    cache = tmp_path / "cache"
    proc = _edgerep("bench", "mobileone_s0", "--runtime", "onnxruntime", "--quick", "--no-progress",
                    "--cache-dir", str(cache), cwd=tmp_path)
    code, err = _signal_when(proc, lambda: _hidden(cache), signal.SIGTERM)
    assert code == 143, err
    assert [p for p in files_in(cache) if p.startswith(".")] == []
