"""Golden vectors: the harnesses' committed copies are what edgerep.vectors writes, and --check
catches a copy that drifted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgerep import vectors
from edgerep.bench.stats import summarize

ROOT = Path(__file__).resolve().parents[1]


def test_check_reports_a_drifted_or_missing_file(tmp_path: Path) -> None:
    vectors.write(tmp_path)
    assert vectors.main(["--check", str(tmp_path)]) == 0
    stats = tmp_path / "stats.json"
    doc = json.loads(stats.read_text())
    doc["cases"][0]["expected"]["low_ms"] += 1e-9
    stats.write_text(json.dumps(doc, indent=1) + "\n")
    (tmp_path / "protocol.json").unlink()
    assert sorted(p.split(": ")[1] for p in vectors.differences(tmp_path)) == [
        "differs from what edgerep.vectors writes", "missing"]
    assert vectors.main(["--check", str(tmp_path)]) == 1


def test_stats_vectors_hold_modelbench_figures() -> None:
    """The written cases carry ModelBench's definitions, checked here by hand on one case."""
    doc = json.loads(vectors.render()["stats.json"])
    case = next(c for c in doc["cases"] if c["name"] == "two_rounds_by_hand")
    # Round 1 keeps 2, 3, 4; round 2 keeps 7, 8, 9: low/high are the kept extremes, mean of means.
    assert (case["expected"]["low_ms"], case["expected"]["high_ms"], case["expected"]["mean_ms"]) == (2.0, 9.0, 5.5)
    assert case["expected"]["gmacs_per_s"] == pytest.approx(1e9 / 5.5e-3 / 1e9)
    errors = [c for c in doc["cases"] if "error" in c]
    for c in errors:
        with pytest.raises(ValueError):
            summarize(c["samples_ms"], c["trim"])


@pytest.mark.parametrize("copy", vectors.HARNESS_COPIES)
def test_harness_copies_are_what_edgerep_writes(copy: str) -> None:
    """A harness's committed vectors drift when a rule changes here: regenerate them with
    ``python -m edgerep.vectors <copy>`` (and make the harness's tests pass again)."""
    assert vectors.differences(ROOT / copy) == []
