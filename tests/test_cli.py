"""The edgerep command: listing, info, and user errors as one line with exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

import edgerep
from edgerep.cli import main

HEAVY = ("torch", "coremltools", "litert_torch", "onnxruntime", "matplotlib", "onnx", "ai_edge_litert")


def _imported_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(','.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1].split(",")
    return [m for m in HEAVY if m in out]


def test_help_does_not_import_torch() -> None:
    assert _imported_after("from edgerep.cli import build_parser; build_parser().format_help()") == []


def test_api_does_not_import_optional_packages() -> None:
    loaded = _imported_after("import edgerep; edgerep.reparameterize(edgerep.create_model('mobileone_s0'))")
    assert loaded == ["torch"]


def test_console_script_unknown_model_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "edgerep.cli", "info", "mobileone_s9"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown model 'mobileone_s9'" in lines[0] and "did you mean" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_model_in_api_names_closest() -> None:
    with pytest.raises(ValueError, match="did you mean mobileone_s0"):
        edgerep.create_model("mobileone_so")


def test_list_filters_and_shows_columns(capsys) -> None:
    assert main(["list", "mobileone_*"]) == 0
    out = capsys.readouterr().out
    assert "params (fused)" in out and "MACs (fused)" in out
    rows = [line for line in out.splitlines()[2:] if line.strip()]
    assert len(rows) == len(edgerep.list_models("mobileone_*"))
    assert all("(baseline)" in r for r in rows)


def test_list_no_match_is_a_user_error(capsys) -> None:
    assert main(["list", "nothing_*"]) == 2
    assert "no model matches" in capsys.readouterr().err


def test_info_shows_counts_and_published(capsys) -> None:
    assert main(["info", "mobileone_s0"]) == 0
    out = capsys.readouterr().out
    assert "3x224x224" in out and "published" in out and "source" in out


def test_debug_shows_traceback() -> None:
    with pytest.raises(ValueError):
        main(["--debug", "info", "nope"])


def test_list_models_pattern() -> None:
    names = edgerep.list_models()
    assert names == sorted(names) and len(set(names)) == len(names)
    assert set(edgerep.list_models("mobileone_*")) <= set(names)


def test_info_explains_a_fused_count_below_the_published_one(capsys) -> None:
    """FastViT's published fused count is the reference's form, which keeps BNs edgerep folds."""
    assert main(["info", "fastvit_t8"]) == 0
    assert "folds the BatchNorms and layer scales" in capsys.readouterr().out
    assert main(["info", "mobileone_s0"]) == 0  # the reference already fuses MobileOne completely
    assert "folds the BatchNorms" not in capsys.readouterr().out
