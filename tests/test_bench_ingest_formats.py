"""``edgerep bench ingest`` on other tools' outputs: LiteRT benchmark_model logs (both output shapes)
and a Qualcomm AI Hub profile, converted to edgerep.bench/1 and validated; the format comes from
the content. Expected figures are read off the fixture text by hand, or computed with the standard
library from the fixture's raw samples."""

from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgerep.bench.formats import read_reports
from edgerep.bench.ingest import ingest
from edgerep.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def _only_record(path: Path, **options):
    (report,) = ingest([path], **options)
    (record,) = report.records
    return report, record


def test_benchmark_model_output_without_percentiles():
    report, r = _only_record(FIXTURES / "benchmark_model_fastvit_t8.txt", device="Pixel 8")
    assert (r.model, r.runtime, r.backend, r.threads, r.status) == ("fastvit_t8", "litert", "XNNPACK", 4, "ok")
    assert (r.load_ms, r.first_ms) == pytest.approx((48.113, 21.904))
    assert (r.mean_ms, r.std_ms, r.min_ms, r.max_ms) == pytest.approx((11.8962, 0.402, 11.54, 14.102))
    assert (r.low_ms, r.high_ms) == (r.min_ms, r.max_ms)  # one untrimmed round
    assert r.median_ms == r.mean_ms and r.p90_ms is None
    assert any(note.startswith("median_ms") for note in r.extra["not_measured"])
    assert "not ModelBench's" in r.extra["mean_ms"]
    assert (r.iterations, r.kept) == (84, 84)
    assert r.peak_memory_bytes == round(39.8164 * MIB)
    assert r.artifact_bytes == round(16.0549 * MIB)
    assert r.extra["warmup_avg_ms"] == pytest.approx(12.2114)
    assert report.protocol == {"name": "benchmark_model", "rounds": 1, "iterations": 84, "warmup": 41,
                               "trim": 0, "reload": False}
    assert report.machine["name"] == "Pixel 8" and report.machine["kind"] == "device"


def test_benchmark_model_logcat_with_percentiles_holds_two_runs():
    reports = ingest([FIXTURES / "benchmark_model_logcat_percentiles.txt"])
    records = [r for rep in reports for r in rep.records]
    assert [(r.model, r.backend) for r in records] == [("fastvit_t8", "GPU"), ("mobileone_s0", "GPU")]
    t8, s0 = records
    assert (t8.median_ms, t8.mean_ms, t8.min_ms, t8.max_ms) == pytest.approx((6.152, 6.1984, 5.968, 7.791))
    assert (t8.extra["p5_ms"], t8.extra["p95_ms"]) == pytest.approx((6.003, 6.573))
    assert not any(n.startswith("median_ms") for n in t8.extra["not_measured"])
    assert (t8.load_ms, t8.first_ms, t8.iterations) == (pytest.approx(1398.62), pytest.approx(30.417), 162)
    # Each run keeps its own memory line (the one after its timings line).
    assert (t8.peak_memory_bytes, s0.peak_memory_bytes) == (round(131.902 * MIB), round(79.1875 * MIB))
    assert (s0.median_ms, s0.iterations, s0.artifact_bytes) == (pytest.approx(2.371), 417, round(7.93811 * MIB))
    assert [rep.protocol["warmup"] for rep in reports] == [78, 201]


def test_aihub_profile_statistics_come_from_every_inference_time():
    raw = json.loads((FIXTURES / "aihub_profile_mobileone_s0.json").read_text())
    summary = raw["execution_summary"]
    samples = [t / 1000 for t in summary["all_inference_times"]]
    report, r = _only_record(FIXTURES / "aihub_profile_mobileone_s0.json", model="mobileone_s0",
                             device="Galaxy S24 (AI Hub)")
    assert (r.model, r.runtime, r.status) == ("mobileone_s0", "qai-hub", "ok")
    assert r.median_ms == pytest.approx(statistics.median(samples), rel=1e-12)
    assert r.mean_ms == pytest.approx(statistics.fmean(samples), rel=1e-12)
    assert r.std_ms == pytest.approx(statistics.pstdev(samples), rel=1e-9)
    assert r.p90_ms == pytest.approx(float(np.percentile(samples, 90)), rel=1e-12)
    assert (r.min_ms, r.max_ms, r.iterations) == (min(samples), max(samples), len(samples))
    assert r.load_ms == summary["first_load_time"] / 1000 and r.first_ms is None
    assert r.peak_memory_bytes == summary["estimated_inference_peak_memory"]
    units = {}
    for op in raw["execution_detail"]:
        units[op["compute_unit"]] = units.get(op["compute_unit"], 0) + 1
    assert r.extra["ops_per_compute_unit"] == units and r.backend == "NPU+CPU"
    assert r.extra["estimated_inference_ms"] == summary["estimated_inference_time"] / 1000
    assert r.extra["warm_load_ms"] == summary["warm_load_time"] / 1000
    assert any(n.startswith("first_ms") for n in r.extra["not_measured"])
    assert report.machine["name"] == "Galaxy S24 (AI Hub)"


def test_aihub_profile_without_samples_keeps_the_estimate_and_says_so(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"execution_summary": {"estimated_inference_time": 2500}, "execution_detail": []}))
    _, r = _only_record(path)
    assert (r.model, r.median_ms, r.mean_ms, r.iterations) == ("profile", 2.5, 2.5, 1)
    assert any("no all_inference_times" in n for n in r.extra["not_measured"])


def test_the_format_comes_from_the_content_not_the_file_name(tmp_path):
    log = tmp_path / "run.json"
    shutil.copy(FIXTURES / "benchmark_model_fastvit_t8.txt", log)
    profile = tmp_path / "profile.txt"
    shutil.copy(FIXTURES / "aihub_profile_mobileone_s0.json", profile)
    assert [r.records[0].runtime for r in ingest([log, profile])] == ["litert", "qai-hub"]


def test_the_converted_reports_round_trip_through_the_merged_json(tmp_path, capsys):
    merged = tmp_path / "merged.json"
    files = [str(FIXTURES / n) for n in ("benchmark_model_fastvit_t8.txt", "aihub_profile_mobileone_s0.json")]
    assert main(["bench", "ingest", *files, "--device", "Pixel 8", "--json", str(merged)]) == 0
    assert "fastvit_t8" in capsys.readouterr().out
    times = json.loads((FIXTURES / "aihub_profile_mobileone_s0.json").read_text())["execution_summary"]["all_inference_times"]
    expected = [11.8962, round(statistics.median(times) / 1000, 4)]  # the JSON keeps 4 decimals of ms
    assert [r.records[0].median_ms for r in ingest([merged])] == expected


@pytest.mark.parametrize("content, message", [
    ("hello\nthis is no benchmark\n", "is not an edgerep.bench/1 report, a Qualcomm AI Hub profile JSON or a "
                                      "LiteRT benchmark_model output"),
    ('{"execution_detail": []}', "is not an edgerep.bench/1 report"),
    ('{"schema": "edgerep.bench/1", ', "not valid JSON"),
    ('{"execution_summary": {"all_inference_times": [1, -2]}}', "all_inference_times[1] is -2"),
    ('{"execution_summary": {}}', "neither all_inference_times nor estimated_inference_time"),
    ("Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 3, Inference (avg): 4\n",
     "no 'count=... avg=...' line"),
])
def test_a_file_of_no_known_format_is_one_line_naming_it(tmp_path, capsys, content, message):
    path = tmp_path / "device.out"
    path.write_text(content)
    assert main(["bench", "ingest", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and message in err, err


def test_model_and_device_options_apply_only_where_they_name_something(tmp_path, capsys):
    report = FIXTURES / "kotlin_core_report.json"
    with pytest.raises(ValueError, match="only apply to benchmark_model logs and AI Hub profiles"):
        read_reports(report, device="Pixel 8")
    with pytest.raises(ValueError, match="holds 2 benchmark_model runs"):
        ingest([FIXTURES / "benchmark_model_logcat_percentiles.txt"], model="fastvit_t8")
    assert main(["bench", "fastvit_t8", "--model", "x"]) == 2
    assert "--model only apply to 'edgerep bench ingest'" in capsys.readouterr().err


def test_ingest_of_foreign_outputs_imports_nothing_heavy():
    code = ("import sys; from edgerep.bench.ingest import ingest; "
            f"ingest([{str(FIXTURES / 'benchmark_model_fastvit_t8.txt')!r}, "
            f"{str(FIXTURES / 'aihub_profile_mobileone_s0.json')!r}]); "
            "heavy = [m for m in ('torch', 'numpy', 'onnxruntime', 'matplotlib') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_a_report_written_by_the_kotlin_core_ingests_with_edgerep_statistics():
    """tests/fixtures/kotlin_core_report.json was written by android_harness/core (BenchmarkRunTest,
    `core/test.sh --update-fixture`) with every sample kept: edgerep's own statistics of those samples,
    stored as edgerep stores them, are the figures the Kotlin writer stored."""
    from edgerep.bench.records import Record
    from edgerep.bench.stats import summarize

    (report,) = ingest([FIXTURES / "kotlin_core_report.json"])
    assert report.tool["name"] == "edgerep-android" and report.machine["kind"] == "device"
    ok = [r for r in report.records if r.ok]
    assert len(ok) == 3 and {r.status for r in report.records} == {"ok", "unavailable", "failed"}
    for written in ok:
        again = Record(model=written.model, form=written.form, runtime=written.runtime,
                       precision=written.precision, macs=written.macs)
        again.set_summary(summarize(written.samples_ms, report.protocol["trim"]))
        expected = again.to_dict()
        for key in ("median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "p95_ms", "p99_ms", "std_ms", "min_ms",
                    "max_ms", "iterations", "kept", "gmacs_per_s"):
            assert getattr(written, key) == expected[key], (written.model, key)
    # edgerep.bench/2: the phone's state around each measured record (a scripted phone in the test).
    first = report.records[0].conditions
    assert first["before"]["thermal_state"] == "none" and first["after"]["thermal_state"] == "light"
    assert report.records[2].conditions["cooldown_s"] == 5.0 and report.records[2].conditions["cooled"] is True
    assert math.isclose(ok[0].gmacs_per_s, ok[0].macs / (ok[0].median_ms * 1e-3) / 1e9, rel_tol=1e-3)


def test_benchmark_model_backend_and_model_name_options(tmp_path):
    text = (FIXTURES / "benchmark_model_fastvit_t8.txt").read_text()
    plain_cpu = tmp_path / "cpu.txt"
    plain_cpu.write_text(text.replace("Use xnnpack: [1]", "Use xnnpack: [0]"))
    _, r = _only_record(plain_cpu, model="fastvit_t8_reference_kernels")
    assert (r.model, r.backend) == ("fastvit_t8_reference_kernels", "CPU")
    unstated = tmp_path / "unstated.txt"
    unstated.write_text(text.replace("Use xnnpack: [1]\n", ""))
    _, r = _only_record(unstated)
    assert r.backend is None and "not stated" in r.extra["backend"]
