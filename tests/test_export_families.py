"""The smallest variant of every model family exports to every target with verification passing.

benchmarks/export_matrix.py covers every variant; this keeps one per family in CI. ONNX and TFLite
are compared numerically with torch (relative error <= 1e-4 for fp32); Core ML is checked
structurally on Linux (its prediction needs macOS) and numerically where it can run.
"""

from __future__ import annotations

import pytest

import edgerep

SMALLEST = ["repnext_m0", "facelivt_s", "facelivtv2_xs", "edgeface_xxs", "mobileone_s0", "fastvit_t8"]
TARGETS = ["onnx", "tflite", "coreml"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", SMALLEST)
def test_smallest_variant_exports_verified(name: str, target: str, tmp_path) -> None:
    result = edgerep.export(name, target, output=tmp_path / f"{name}{'.mlpackage' if target == 'coreml' else '.' + target}")
    assert result.passed, result.verification
    assert result.audit["passed"], result.audit
    # No op left that computes only from constants: the exporters fold them (EdgeFace's positional
    # encoding was 4 such ONNX nodes, 21 TFLite operators and 3 Core ML operations before).
    assert result.audit["constant_ops"] == 0, result.audit
    assert not any("batch" in op.lower() and "norm" in op.lower() for op in result.op_histogram)
    v = result.verification
    if v.get("rel_error") is not None:
        bound = 1e-4 if result.precision == "fp32" else 1e-2
        assert v["rel_error"] <= bound
    else:
        assert target == "coreml" and v["runtime"] == "structure-only"
    assert result.path.exists() and result.sidecar.exists()
    info = edgerep.model_info(name)
    out = 512 if info["task"] == "face-embedding" else info["num_classes"]
    assert tuple(result.output_shape)[-1] == out
