"""Golden vectors: the harnesses' committed copies are what tools.conformance writes, and --check
catches a copy that drifted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.conformance import vectors
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
        "differs from what tools.conformance writes", "missing"]
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
    """A harness's committed vectors drifted from edgerep: regenerate with
    ``python -m tools.conformance --harnesses`` and rerun that harness's tests."""
    assert vectors.differences(ROOT / copy) == []


def test_tflite_metadata_vectors_are_real_tflite_files_with_edgerep_entries() -> None:
    """The cases' bytes are models LiteRT loads, and their entries say what the exporter stored."""
    import base64

    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    doc = json.loads(vectors.render()["tflite_metadata.json"])
    cases = {c["name"]: c for c in doc["cases"]}
    classifier = cases["classifier_nhwc_tensor"]
    interpreter = Interpreter(model_content=base64.b64decode(classifier["tflite_base64"]))
    interpreter.allocate_tensors()
    assert list(interpreter.get_input_details()[0]["shape"]) == [1, 256, 256, 3]
    artifact = classifier["expected"]["artifact"]
    assert (artifact["model"], artifact["macs"], artifact["baseline"]) == ("fastvit_t8", 685160448, False)
    assert artifact["input"] == {"name": "image", "shape": [1, 256, 256, 3], "layout": "NHWC", "kind": "tensor",
                                 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    entries = classifier["expected"]["entries"]
    assert entries["min_runtime_version"] == "2.9.0"  # trailing NULs dropped
    assert "TFLITE_METADATA" not in entries  # binary entries are skipped
    assert "naïve" in entries["edgerep.output_meaning"]  # UTF-8 text kept as text
    face = cases["face_baseline_nchw_raw"]["expected"]["artifact"]
    assert (face["baseline"], face["input"]["layout"], face["input"]["kind"], face["input"]["mean"]) == (
        True, "NCHW", "raw", None)
    assert cases["foreign_model"]["expected"]["artifact"] is None
    assert {c["error"] for c in doc["cases"] if "error" in c} == {"identifier", "truncated"}
    np.testing.assert_array_equal(  # the truncated case really is cut from a valid file
        np.frombuffer(base64.b64decode(cases["truncated"]["tflite_base64"]), np.uint8),
        np.frombuffer(base64.b64decode(classifier["tflite_base64"])[:48], np.uint8))


def test_tflite_metadata_matches_a_real_export_reader(tmp_path: Path) -> None:
    """with_metadata is what embed_metadata writes: the same entries come back from a file."""
    import base64

    from edgerep.exporters.pipeline.targets import get_target
    from edgerep.exporters.tflite.flatbuffer import metadata_entries

    tflite = get_target("tflite")

    doc = json.loads(vectors.render()["tflite_metadata.json"])
    data = base64.b64decode(doc["cases"][2]["tflite_base64"])  # foreign: no edgerep entries yet
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    tflite.embed_metadata(path, {"edgerep.model": "m", "edgerep.macs": "12"})
    assert tflite.read_metadata(path) == {**metadata_entries(data), "edgerep.model": "m", "edgerep.macs": "12"}
