"""The smallest variant of every model family exports to every target with verification passing.

benchmarks/export_matrix.py covers every variant; this keeps one per family (and generation) in CI,
taken from the registry so that a new family is exported by being registered. ONNX and TFLite are
compared numerically with torch (relative error <= 1e-4 for fp32); Core ML is checked structurally
on Linux (its prediction needs macOS) and numerically where it can run.
"""

from __future__ import annotations

import sys

import pytest

import edgerep

from .helpers import smallest_per_family

TARGETS = ["onnx", "tflite", "coreml"]
LINUX = sys.platform != "darwin"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", smallest_per_family())
def test_smallest_variant_exports_verified(name: str, target: str, tmp_path) -> None:
    result = edgerep.export(name, target, output=tmp_path / f"{name}{'.mlpackage' if target == 'coreml' else '.' + target}")
    assert result.passed, result.verification
    assert result.audit.passed, result.audit
    # No op left that computes only from constants: the exporters fold them (EdgeFace's positional
    # encoding was 4 such ONNX nodes, 21 TFLite operators and 3 Core ML operations before).
    assert result.audit.constant_ops == 0, result.audit
    assert not any("batch" in op.lower() and "norm" in op.lower() for op in result.op_histogram)
    v = result.verification
    if target == "coreml" and LINUX:
        assert v.runtime == "structure-only" and v.rel_error is None
    else:
        bound = 1e-4 if result.precision == "fp32" else 1e-2
        assert v.rel_error <= bound
    assert result.path.exists() and result.sidecar.exists()
    info = edgerep.model_info(name)
    out = 512 if info["task"] == "face-embedding" else info["num_classes"]
    assert tuple(result.output_shape)[-1] == out
