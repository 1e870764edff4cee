"""No command shows third-party console noise: coremltools' "Failed to load _MLModelProxy" lines,
torchao's missing kernels (_C_mxfp8), absl/oneDNN banners, converters' warnings. The one place that
silences them is edgerep/_optional.py (imports) with edgerep/_io.py's quiet() (runs);
EDGEREP_VERBOSE=1 shows them again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What the dependencies print when imported or run (seen on stderr before they were silenced).
NOISE = re.compile("|".join([
    r"Failed to load",                      # coremltools' proxies off macOS, torchao's kernels
    r"_MLModelProxy", r"_C_mxfp8",
    r"has not been tested with coremltools",
    r"absl::InitializeLog", r"oneDNN",       # TensorFlow/jax C++ logging
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d",         # glog-style lines (absl, torch's C++ logger)
    r"XNNPACK delegate",
    r"Warning:", r"WARNING:",               # Python warnings and logging from dependencies
]), re.M)

# Packages that print at import time; edgerep imports them only when a command uses them.
NOISY = ("coremltools", "litert_torch", "torchao", "ai_edge_quantizer", "jax", "tensorflow")


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "EDGEREP_VERBOSE"}
    environ.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_optional_imports_silence_what_a_package_prints_and_verbose_shows_it(tmp_path):
    """The mechanism, on a package that prints the way coremltools and litert-torch do: from C
    (straight to file descriptor 2), with print() and with warnings, on stdout and stderr."""
    (tmp_path / "chatty.py").write_text(textwrap.dedent("""
        import os, sys, warnings
        os.write(2, b"Failed to load _MLModelProxy: from C\\n")
        os.write(1, b"I0000 00:00:1.0 port.cc:153] oneDNN custom operations are on\\n")
        print("WARNING: All log messages before absl::InitializeLog()", file=sys.stderr)
        warnings.warn("Torch version 2.13.0 has not been tested with coremltools")
        VALUE = 42
    """))
    code = """
        import sys
        sys.path.insert(0, ".")
        from edgerep._optional import require
        assert require("chatty").VALUE == 42
        print("edgerep's own line")
    """
    quiet = _run(code, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and quiet.stdout == "edgerep's own line\n", (quiet.stdout, quiet.stderr)
    loud = _run(code, tmp_path, EDGEREP_VERBOSE="1")
    assert loud.returncode == 0, loud.stderr
    assert len(NOISE.findall(loud.stderr + loud.stdout)) >= 4, (loud.stdout, loud.stderr)


def test_a_command_that_loads_coremltools_prints_no_noise(tmp_path):
    """Every edgerep module imports without loading a noisy package, and `edgerep bench` on Core ML
    (unavailable off macOS, but it loads coremltools for its version) leaves stderr clean."""
    pytest.importorskip("coremltools")
    code = """
        import importlib, pkgutil, sys
        import edgerep
        for m in pkgutil.walk_packages(edgerep.__path__, "edgerep."):
            if not m.name.endswith("__main__"):
                importlib.import_module(m.name)
        loaded = sorted(p for p in %r if p in sys.modules)
        assert not loaded, f"importing edgerep loaded {loaded}: import them through edgerep._optional"
        from edgerep.cli import main
        code = main(["bench", "mobileone_s0", "--runtime", "coreml", "--quick", "--no-progress",
                     "--cache-dir", "cache"])
        assert "coremltools" in sys.modules, "the command no longer loads coremltools: pick another"
        sys.exit(code)
    """ % (NOISY,)
    run = _run(code, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "mobileone_s0" in run.stdout or "no measured record" in run.stdout, run.stdout
    assert NOISE.search(run.stderr) is None, run.stderr
    assert NOISE.search(run.stdout) is None, run.stdout
