"""Tables and plots of benchmark reports: derived columns, formats, and the PNG file."""

from __future__ import annotations

import csv
import io

import pytest

from edgerep.bench.plot import render_png, write_plot
from edgerep.bench.records import Record, Report
from edgerep.bench.report import render_csv, render_markdown, render_text, rows_of

PROTOCOL = {"name": "quick", "rounds": 2, "iterations": 5, "warmup": 1, "trim": 1, "reload": True}


def _rec(model, form="fused", runtime="torch", median=1.0, macs=None, baseline=False, task="classification",
         family=None, **kw):
    return Record(model=model, form=form, runtime=runtime, precision="fp32", threads=1, median_ms=median,
                  mean_ms=median, macs=macs, baseline=baseline, task=task, iterations=10,
                  family=family or model.split("_")[0], **kw)


def _report(records, name="host"):
    return Report(machine={"kind": "host", "name": name, "os": "Linux"}, protocol=PROTOCOL, records=records,
                  runtimes={"torch": "2.13.0"})


def test_speedup_and_ratio_to_the_nearest_baseline():
    records = [
        _rec("mobileone_s0", "unfused", median=30.0, macs=1_050_000_000, baseline=True),
        _rec("mobileone_s0", median=10.0, macs=275_000_000, baseline=True),
        _rec("mobileone_s4", median=40.0, macs=2_979_000_000, baseline=True),
        _rec("fastvit_t8", "unfused", median=12.0, macs=900_000_000),
        _rec("fastvit_t8", median=4.0, macs=685_000_000),
        _rec("fastvit_t8", runtime="onnxruntime", median=3.0, macs=685_000_000),
        _rec("fastvit_sa24", median=60.0, macs=3_745_000_000),
    ]
    rows = {(r.record.model, r.record.runtime, r.record.form): r for r in rows_of([_report(records)])}
    assert rows["mobileone_s0", "torch", "fused"].speedup == pytest.approx(3.0)
    assert rows["fastvit_t8", "torch", "fused"].speedup == pytest.approx(3.0)
    assert rows["fastvit_t8", "torch", "unfused"].speedup is None
    # fastvit_t8 (0.685 G fused) is nearest to mobileone_s0 (0.275 G) in log-MACs, sa24 to s4.
    t8 = rows["fastvit_t8", "torch", "fused"]
    assert (t8.baseline_model, t8.baseline_ratio) == ("mobileone_s0", pytest.approx(0.4))
    # The unfused row is matched on the fused MACs too, and compared with the unfused baseline.
    t8u = rows["fastvit_t8", "torch", "unfused"]
    assert (t8u.baseline_model, t8u.baseline_ratio) == ("mobileone_s0", pytest.approx(0.4))
    sa24 = rows["fastvit_sa24", "torch", "fused"]
    assert (sa24.baseline_model, sa24.baseline_ratio) == ("mobileone_s4", pytest.approx(1.5))
    # No baseline ran on onnxruntime: no ratio rather than one across runtimes.
    assert rows["fastvit_t8", "onnxruntime", "fused"].baseline_model is None


def test_face_models_are_compared_with_face_baselines_only():
    records = [
        _rec("mobileone_s0", median=10.0, macs=275_000_000, baseline=True),
        _rec("edgeface_xs_gamma_06", median=8.0, macs=76_000_000, baseline=True, task="face-embedding"),
        _rec("facelivt_m", median=2.0, macs=380_000_000, task="face-embedding"),
    ]
    [row] = [r for r in rows_of([_report(records)]) if r.record.model == "facelivt_m"]
    assert (row.baseline_model, row.baseline_ratio) == ("edgeface_xs_gamma_06", pytest.approx(0.25))


def test_text_markdown_and_csv():
    records = [
        _rec("mobileone_s0", median=10.0, macs=275_000_000, baseline=True, load_ms=5.0, peak_memory_bytes=2 * 2**20),
        _rec("fastvit_t8", median=4.0, macs=685_000_000, gmacs_per_s=171.25, efficiency=0.5),
        Record(model="fastvit_t8", form="fused", runtime="coreml", precision="fp32", status="unavailable",
               reason="Core ML prediction needs macOS"),
        Record(model="fastvit_t8", form="fused", runtime="litert", precision="fp32", status="failed",
               reason="export failed: RuntimeError: boom"),
    ]
    report = _report(records)
    text = render_text([report])
    assert "mobileone_s0 *" in text and "0.40x mobileone_s0" in text and "171.2" in text and "50" in text
    assert "coreml: not available (Core ML prediction needs macOS)" in text
    assert "fastvit_t8 on litert (fused, fp32): export failed: RuntimeError: boom" in text
    assert "host (host): Linux" in text and "torch 2.13.0" in text
    md = render_markdown([report])
    assert "| mobileone_s0 * | torch | fused | fp32 | 1 | 5.00 |" in md and "| 2.0 |" in md
    rows = list(csv.DictReader(io.StringIO(render_csv([report]))))
    assert len(rows) == 4 and rows[1]["baseline_ratio"] == "0.4" and rows[1]["baseline_model"] == "mobileone_s0"
    assert rows[2]["status"] == "unavailable" and rows[2]["median_ms"] == ""


def test_several_machines_get_a_machine_column():
    a = _report([_rec("mobileone_s0", median=10.0, macs=1, baseline=True)], name="laptop")
    b = _report([_rec("mobileone_s0", median=1.0, macs=1, baseline=True)], name="iPhone 15 Pro")
    text = render_text([a, b])
    assert text.count("mobileone_s0 *") == 2 and "iPhone 15 Pro  mobileone_s0" in text


def test_plot_is_a_readable_png(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    records = [
        _rec("mobileone_s0", median=10.0, macs=275_000_000, baseline=True),
        _rec("mobileone_s1", median=20.0, macs=825_000_000, baseline=True),
        _rec("fastvit_t8", median=15.0, macs=685_000_000),
        _rec("fastvit_t8", "unfused", median=30.0, macs=900_000_000),
        _rec("edgeface_xxs", median=5.0, macs=47_000_000, baseline=True, task="face-embedding"),
        _rec("mynet", median=5.0, macs=47_000_000, task=None),
    ]
    path = tmp_path / "latency.png"
    write_plot([_report(records), _report(records[:3], name="phone")], path)
    pixels = image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.01  # not a blank canvas
    with pytest.raises(ValueError, match="use a .png file name"):
        write_plot([_report(records)], tmp_path / "latency.jpg")
    with pytest.raises(ValueError, match="nothing to plot"):
        render_png([_report([])])


def test_plot_uses_published_accuracy_when_known():
    seen = []

    def accuracy(model, task):
        seen.append(model)
        return ("top-1", {"mobileone_s0": 71.4, "fastvit_t8": 76.2}[model]) if model != "other" else None

    records = [_rec("mobileone_s0", median=10.0, macs=275_000_000, baseline=True),
               _rec("fastvit_t8", median=15.0, macs=685_000_000), _rec("other_x", median=1.0, macs=1)]
    with_acc = render_png([_report(records[:2])], accuracy=accuracy)
    without = render_png([_report(records[:2])], accuracy=lambda m, t: None)
    assert with_acc[:8] == b"\x89PNG\r\n\x1a\n" and len(with_acc) != len(without)
    assert set(seen) == {"mobileone_s0", "fastvit_t8"}
