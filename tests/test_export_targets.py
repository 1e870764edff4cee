"""A new target is one module plus one registry row: a fake target (tests/fake_target.py) exports
through the whole pipeline, is verified, described, benchmarked and checked like the real ones."""

from __future__ import annotations

import json

import pytest

from edgerep.exporters.pipeline import targets
from edgerep.exporters.pipeline.metadata import unflatten
from edgerep.exporters.pipeline.targets import TARGETS, TargetInfo

from .export_helpers import TINY, registered
from .helpers import one_line_error, run_cli


@pytest.fixture(autouse=True)
def fake_target(monkeypatch):
    row = TargetInfo("fake", ("fk",), ".fake", "tests.fake_target", "FakeTarget", "dev", ())
    monkeypatch.setitem(TARGETS, "fake", row)
    monkeypatch.delitem(targets._LOADED, "fake", raising=False)
    with registered():
        yield row


def test_the_pipeline_exports_and_verifies_a_new_target(capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", TINY, "--target", "fk", "-o", tmp_path)
    assert code == 0, err
    assert f"convert   [fake] fake artifact" in out
    assert "verify    [fake] passed: rel error 0.0e+00" in out
    assert f"edgerep bench {TINY} --runtime fakert" in out  # the default next step names its runtime
    side = json.loads((tmp_path / f"{TINY}.fake.json").read_text())
    assert side["target"] == "fake" and side["verification"]["runtime"] == "fakert"
    in_file = unflatten(targets.get_target("fake").read_metadata(tmp_path / f"{TINY}.fake"))
    assert in_file["model"] == TINY and in_file["op_histogram"] == {"FakeOp": 1}


def test_options_and_precisions_are_checked_by_the_new_target(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", TINY, "-t", "fake", "--nchw", "-o", tmp_path)
    assert "--nchw" in one_line_error(code, err) and "'fake'" in err
    code, _, err = run_cli(capsys, "export", TINY, "-t", "onnx", "--opset", "30", "-o", tmp_path)
    assert "opset 30 is not supported" in one_line_error(code, err)  # a real target's own check
    assert "fake" in run_cli(capsys, "export", TINY, "-t", "all", "--precision", "int8",
                             "--no-verify", "-o", tmp_path / "all")[2]  # fp32 only: named in the error


def test_the_bench_measures_the_new_target_runtime(tmp_path):
    from edgerep.bench import benchmark

    report = benchmark([TINY], runtimes="fakert", cache_dir=tmp_path, quick=True)
    [record] = report.records
    assert (record.runtime, record.backend, record.status) == ("fakert", "in-memory", "ok")
    assert record.median_ms > 0 and record.artifact_bytes > 0
