"""Each runner on a small model, the export cache, failures, and the bench command end to end."""

from __future__ import annotations

import importlib.util
import json
import platform

import pytest
import torch
from torch import nn

import edgerep
from edgerep.bench import benchmark, load_reports
from edgerep.bench import ceiling
from edgerep.exporters.pipeline.cache import ExportCache
from edgerep.bench.memory import PeakMemory
from edgerep.bench.workload import Workload
from edgerep.cli import main
from edgerep.layers.mobileone import MobileOneBlock

from .helpers import rel_err

QUICK = dict(quick=True, rounds=1, iterations=4, trim=1)


class TinyNet(nn.Module):
    """Two re-parameterizable blocks and a classifier: fusion changes its graph, not its function."""

    def __init__(self, inference_mode: bool = False):
        super().__init__()
        self.stem = MobileOneBlock(3, 16, 3, stride=2, inference_mode=inference_mode)
        self.mixer = MobileOneBlock(16, 16, 3, groups=16, num_conv_branches=2, inference_mode=inference_mode)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.mixer(self.stem(x)).mean((2, 3)))


def tiny(name: str = "tinynet") -> Workload:
    return Workload(name=name, build=lambda inference_mode: TinyNet(inference_mode), input_size=(3, 32, 32),
                    family="tiny", task="classification", identity={"model": name, "test": 1})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-cache")


def _check_measured(rec, iterations=4, kept=2):
    assert rec.status == "ok", rec.reason
    assert rec.iterations == iterations and rec.kept == kept
    assert 0 < rec.min_ms <= rec.median_ms <= rec.p90_ms <= rec.max_ms
    assert rec.low_ms <= rec.mean_ms <= rec.high_ms and rec.std_ms >= 0
    assert rec.load_ms > 0 and rec.first_ms > 0
    assert rec.gmacs_per_s == pytest.approx(rec.macs / rec.median_ms / 1e6)
    if rec.ceiling_gmacs_per_s is not None:
        assert rec.efficiency == pytest.approx(rec.gmacs_per_s / rec.ceiling_gmacs_per_s)


def test_workload_forms_compute_the_same_function():
    work = tiny()
    x = work.example()
    with torch.no_grad():
        ref = work.instantiate("unfused")(x)
        fused = work.instantiate("fused")(x)
    assert rel_err(fused, ref) < 1e-5
    (p_unfused, m_unfused), (p_fused, m_fused) = work.counts("unfused"), work.counts("fused")
    assert p_unfused > p_fused and m_unfused > m_fused
    # Fused: 3x3 conv 3->16 on 16x16 outputs, depthwise 3x3 on 16 channels, Linear 16->10.
    assert m_fused == 16 * 16 * 16 * 3 * 9 + 16 * 16 * 16 * 9 + 16 * 10


def test_torch_runner_both_forms(cache_dir):
    calls = []
    report = benchmark([tiny()], runtimes="torch", cache_dir=cache_dir, keep_samples=True,
                       progress=lambda done, total, label: calls.append((done, total)), **QUICK)
    unfused, fused = report.records
    assert (unfused.form, fused.form) == ("unfused", "fused")
    for rec in report:
        _check_measured(rec)
        assert rec.runtime_version == torch.__version__.split("+")[0] and rec.threads == 1
        assert rec.ceiling_gmacs_per_s > 0 and rec.artifact_bytes is None
        assert [len(r) for r in rec.samples_ms] == [4]
    assert unfused.params > fused.params
    assert calls == [(0, 2), (1, 2), (2, 2)]
    assert report.protocol == {"name": "custom", "rounds": 1, "iterations": 4, "warmup": 1, "trim": 1, "reload": True}
    assert report.runtimes["torch"] and report.machine["kind"] == "host"
    edgerep.bench.validate(json.loads(report.to_json()))


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime not installed")
def test_onnxruntime_runner_exports_once(cache_dir, monkeypatch):
    [rec] = benchmark([tiny()], runtimes="onnxruntime", cache_dir=cache_dir, **QUICK).records
    _check_measured(rec)
    assert rec.backend == "CPUExecutionProvider" and rec.artifact_bytes > 0
    assert rec.params == tiny().counts("fused")[0]

    from edgerep.exporters.pipeline import cache as export_cache

    def no_export(*args, **kwargs):
        raise AssertionError("exported again although the artifact is cached")

    monkeypatch.setattr(export_cache, "export", no_export)
    [again] = benchmark([tiny()], runtimes="ort", cache_dir=cache_dir, **QUICK).records
    assert again.status == "ok" and again.artifact_bytes == rec.artifact_bytes
    # Another precision is another cache entry: it exports, here into the failing stub.
    [other] = benchmark([tiny()], runtimes="onnxruntime", precision="fp16", cache_dir=cache_dir, **QUICK).records
    assert other.status == "failed" and "export failed: AssertionError: exported again" in other.reason


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("edgerep.exporters.tflite.target") is None
                    or importlib.util.find_spec("ai_edge_litert") is None, reason="TFLite export not available")
def test_litert_runner(cache_dir):
    [rec] = benchmark([tiny()], runtimes="litert", cache_dir=cache_dir, **QUICK).records
    _check_measured(rec)
    assert rec.backend == "XNNPACK" and rec.artifact_bytes > 0 and rec.ceiling_gmacs_per_s > 0


def test_coreml_runner_reports_why_it_cannot_run(cache_dir):
    if platform.system() == "Darwin":
        pytest.skip("Core ML runs on macOS")
    [rec] = benchmark([tiny()], runtimes="coreml", cache_dir=cache_dir, **QUICK).records
    assert rec.status == "unavailable" and "needs macOS" in rec.reason and rec.median_ms is None
    assert rec.precision == "fp16" and rec.threads is None  # Core ML's defaults: fp16, its own threads


def test_failures_and_unsupported_precisions_do_not_stop_the_run(cache_dir, monkeypatch):
    from edgerep.exporters.pipeline import cache as export_cache

    def broken(*args, **kwargs):
        raise RuntimeError("converter crashed")

    monkeypatch.setattr(export_cache, "export", broken)
    work = tiny("tinynet_broken")
    records = benchmark([work], runtimes="onnxruntime,torch", precision="fp32,fp16",
                        cache_dir=cache_dir, **QUICK).records
    status = {(r.runtime, r.form, r.precision): (r.status, r.reason) for r in records}
    assert status["onnxruntime", "fused", "fp32"] == ("failed", "export failed: RuntimeError: converter crashed")
    assert status["torch", "fused", "fp16"][0] == "unavailable" and "fp32" in status["torch", "fused", "fp16"][1]
    assert status["torch", "unfused", "fp32"][0] == "ok"


def test_user_errors_name_the_argument():
    with pytest.raises(ValueError, match="unknown runtime 'tensorrt'; choose from torch, onnxruntime, litert, coreml"):
        benchmark([tiny()], runtimes="torch,tensorrt")
    with pytest.raises(ValueError, match="precision 'fp8' is not supported"):
        benchmark([tiny()], precision="fp8")
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        benchmark([tiny()], threads=0)
    with pytest.raises(ValueError, match="conflicts with protocol 'modelbench'"):
        benchmark([tiny()], quick=True, protocol="modelbench")
    with pytest.raises(ValueError, match="unknown model 'fastvit_t9'"):
        benchmark("fastvit_t9")
    with pytest.raises(ValueError, match="suite must be one of imagenet, face"):
        benchmark(suite="coco")
    with pytest.raises(ValueError, match="no model to benchmark"):
        benchmark()
    with pytest.raises(ValueError, match="checkpoint applies to one model"):
        benchmark(["mobileone_s0", "fastvit_t8"], checkpoint="w.pt")


def test_suites_hold_the_families_and_their_baselines():
    from edgerep.bench import suite_models
    from edgerep.registry import get_spec

    imagenet = suite_models("imagenet")
    assert set(imagenet) == set(edgerep.list_models("fastvit_*") + edgerep.list_models("repnext_*")
                                + edgerep.list_models("mobileone_*"))
    assert {n for n in imagenet if get_spec(n).baseline} == set(edgerep.list_models("mobileone_*"))
    face = suite_models("face")
    assert set(face) == set(edgerep.list_models("facelivt*") + edgerep.list_models("edgeface_*"))
    assert {n for n in face if get_spec(n).baseline} == set(edgerep.list_models("edgeface_*"))
    # Cheapest first within a family.
    fastvit = [n for n in imagenet if n.startswith("fastvit_")]
    assert fastvit[0] == "fastvit_t8" and fastvit[-1] == "fastvit_ma36"


def test_peak_memory_sees_an_allocation():
    with PeakMemory() as mem:
        block = bytearray(64 * 2**20)
        block[:: 4096] = b"x" * len(block[:: 4096])  # touch every page
    del block
    if mem.bytes is None:
        pytest.skip("peak RSS is not observable on this OS")
    assert 60 * 2**20 <= mem.bytes < 200 * 2**20


def test_gemm_ceilings():
    assert ceiling.torch_gemm(1, reps=2) > 0.1
    if importlib.util.find_spec("onnxruntime") is not None:
        assert ceiling.onnxruntime_gemm(1, reps=2) > 0.1


def test_export_cache_is_atomic_and_keyed(tmp_path):
    cache = ExportCache(tmp_path)
    built = []

    def build(directory):
        built.append(directory)
        (directory / "m.onnx").write_bytes(b"x" * 10)
        (directory / "m.onnx.data").write_bytes(b"y" * 5)
        (directory / "m.onnx.json").write_text("{}")
        return directory / "m.onnx"

    first = cache.get("m-onnx", {"model": "m", "precision": "fp32"}, build)
    second = cache.get("m-onnx", {"model": "m", "precision": "fp32"}, build)
    assert first.created and not second.created and len(built) == 1
    assert first.bytes == second.bytes == 15 and first.path == second.path
    cache.get("m-onnx", {"model": "m", "precision": "fp16"}, build)
    assert len(built) == 2

    def crash(directory):
        (directory / "half.onnx").write_bytes(b"partial")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.get("m-onnx", {"model": "m", "precision": "int8"}, crash)
    assert sorted(p.name.startswith(".tmp") for p in tmp_path.iterdir()) == [False, False]


def test_bench_command_end_to_end(tmp_path, capsys, cache_dir):
    out = tmp_path / "r.json"
    plot = tmp_path / "r.png"
    argv = ["bench", "mobileone_s0", "--runtime", "torch,coreml", "--quick", "--rounds", "1",
            "--iterations", "2", "--trim", "0", "--cache-dir", str(cache_dir), "--no-progress",
            "--json", str(out), "--plot", str(plot)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "mobileone_s0 *" in text and "fused speedup" in text
    [doc] = load_reports(out)
    assert [r["form"] for r in doc["records"] if r["runtime"] == "torch"] == ["unfused", "fused"]
    assert plot.stat().st_size > 1000
    # The run refuses to start rather than overwrite the report.
    assert main(argv) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["bench"]) == 2
    assert "--suite imagenet|face" in capsys.readouterr().err
