"""Embeddings on torch and on exported artifacts, and their parity on real aligned faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import edgerep
from edgerep.face.embed import ArtifactEmbedder, TorchEmbedder, cached_artifact, check_compatible, load_embedder
from edgerep.face.parity import default_faces, pair_cosines, parity
from edgerep.registry import list_models

pytest.importorskip("skimage.data", reason="scikit-image is in edgerep[face]")

FACE_MODELS = [m for m in list_models("*") if edgerep.model_info(m)["task"] == "face-embedding"]
SMALLEST = {"edgeface_xxs", "facelivt_s", "facelivtv2_xs"}  # one per family (tests/test_export_families.py)


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    crops, labels = default_faces(112, variations=5)
    keep = [i for i, label in enumerate(labels) if not label.startswith("lfw") or int(label.split("_")[-1]) < 10]
    return crops[keep]  # the astronaut, 5 variations, 10 LFW faces


def test_face_models_are_registered() -> None:
    assert SMALLEST <= set(FACE_MODELS) and len(FACE_MODELS) >= 10


def test_torch_embedding_is_the_normalized_model_output_with_flip_sum(faces: np.ndarray) -> None:
    emb = TorchEmbedder("edgeface_xxs")
    x = torch.from_numpy(faces[:3].astype(np.float32).transpose(0, 3, 1, 2)) / 255.0
    x = (x - 0.5) / 0.5  # the models' normalization (EdgeFace README)
    with torch.no_grad():
        model = emb.work.reference("fused")
        raw = model(x).double().numpy()
        flipped = model(torch.flip(x, dims=[3])).double().numpy()
    plain = emb(faces[:3])
    assert np.allclose(plain, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)
    assert np.allclose(np.linalg.norm(plain, axis=1), 1.0, atol=1e-12)
    both = raw + flipped
    summed = TorchEmbedder("edgeface_xxs", flip_sum=True)(faces[:3])
    assert np.allclose(summed, both / np.linalg.norm(both, axis=1, keepdims=True), atol=1e-6)
    # Seeded weights: a second build embeds identically (enroll and identify in separate runs agree).
    assert np.array_equal(TorchEmbedder("edgeface_xxs")(faces[:3]), plain)


def test_embedder_refuses_what_is_not_an_aligned_face(faces: np.ndarray) -> None:
    emb = TorchEmbedder("edgeface_xxs")
    with pytest.raises(ValueError, match="112 x 112 x 3 uint8"):
        emb(faces[:, :100])
    with pytest.raises(ValueError, match="not a face-embedding"):
        TorchEmbedder("mobileone_s0")
    with pytest.raises(ValueError, match="fp32"):
        load_embedder("edgeface_xxs", precision="int8")


def _export(torch_emb: TorchEmbedder, target: str, tmp_path: Path, **kw: object) -> Path:
    """The export of the torch embedder's own (seeded) weights."""
    model = torch_emb.spec.model
    suffix = {"onnx": ".onnx", "tflite": ".tflite"}[target]
    return edgerep.export(torch_emb.work.reference("unfused"), target, output=tmp_path / f"{model}{suffix}",
                          verify=False, **kw).path


def test_artifact_layouts_embed_like_torch(faces: np.ndarray, tmp_path: Path) -> None:
    """Raw-pixel input, a fixed batch of 2 (3 faces: one padded chunk), L2 inside the graph."""
    torch_emb = TorchEmbedder("edgeface_xxs")
    art = ArtifactEmbedder(_export(torch_emb, "onnx", tmp_path, image_input=True, batch=2, l2_normalize=True))
    assert art.kind == "raw" and art.batch == 2
    cos = np.sum(art(faces[:3]) * torch_emb(faces[:3]), axis=1)
    assert cos.min() >= 0.9999
    # Close numerically, but a gallery records which file made its embeddings (issue 24): a torch
    # gallery is not compared with an artifact's embeddings, nor the other way round.
    with pytest.raises(ValueError, match="artifact_sha256 None vs"):
        check_compatible(torch_emb.spec, art)
    check_compatible(art.spec, art)
    with pytest.raises(ValueError, match="model 'edgeface_xs_gamma_06' vs 'edgeface_xxs'"):
        check_compatible(TorchEmbedder("edgeface_xs_gamma_06").spec, art)


def test_artifact_metadata_is_required(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an exported model"):
        ArtifactEmbedder(Path(__file__))
    with pytest.raises(FileNotFoundError):
        ArtifactEmbedder(tmp_path / "missing.onnx")


def _params() -> list:
    out = []
    for model in FACE_MODELS:
        for target in ("onnx", "tflite"):
            marks = () if model in SMALLEST else (pytest.mark.slow,)
            out.append(pytest.param(model, target, marks=marks, id=f"{model}-{target}"))
    return out


@pytest.mark.parametrize("model, target", _params())
def test_fp32_export_embeds_real_faces_like_torch(model: str, target: str, faces: np.ndarray,
                                                  shared_export_cache: Path) -> None:
    """Parity (issue 11): every face model's fp32 export (as the face commands make it, cached) gives
    cosine >= 0.9999 to torch on aligned real faces, and no same/different decision between them
    flips."""
    torch_emb = TorchEmbedder(model)
    art = ArtifactEmbedder(cached_artifact(model, target, "fp32"))
    ref = torch_emb(faces)
    got = art(faces)
    assert np.sum(got * ref, axis=1).min() >= 0.9999
    ref_pairs, got_pairs = pair_cosines(ref), pair_cosines(got)
    threshold = float(np.median(ref_pairs))
    margin = np.abs(ref_pairs - threshold) > 1e-4  # pairs not on the threshold itself
    assert np.array_equal((got_pairs > threshold)[margin], (ref_pairs > threshold)[margin])


def test_parity_reports_cosines_flips_and_failures(faces: np.ndarray, shared_export_cache: Path) -> None:
    # 28 pairs of random-weight faces at their median cosine: one fp16 flip is 3.6 %; the bound is
    # judged in test_classify.py's parity-row test, this one is about the figures
    result = parity("edgeface_xxs", targets=["onnx", "coreml"], precisions=["fp32", "fp16"], crops=faces[:8],
                    max_flip_rate=1.0)
    by = {(r.target, r.precision): r for r in result.rows}
    assert result.pairs == 28 and result.threshold == pytest.approx(np.median(pair_cosines(TorchEmbedder("edgeface_xxs")(faces[:8]))))
    for precision in ("fp32", "fp16"):
        row = by[("onnx", precision)]
        assert row.status == "ok" and row.pairs == 28 and row.cosine_min >= 0.999 and row.flips is not None
    import sys

    if sys.platform != "darwin":
        assert by[("coreml", "fp32")].status == "unavailable" and "macOS" in by[("coreml", "fp32")].reason
    cached = [p.name for p in shared_export_cache.iterdir() if p.name.startswith("edgeface_xxs-onnx-fp")]
    assert len(cached) == 2  # fp32 and fp16 ONNX exports, kept for the next run
    again = parity("edgeface_xxs", targets=["onnx"], precisions=["fp32"], crops=faces[:8], threshold=0.2)
    assert again.threshold == 0.2 and again.rows[0].cosine_min == by[("onnx", "fp32")].cosine_min
