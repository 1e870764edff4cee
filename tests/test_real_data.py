"""The real-data tier: claims held on trained weights and real photos (../shared/testdata).

Figures the assertions hold come from the data's own README (MobileOne-S0 top-1 81.7 % on the 1,000
photos; EdgeFace-XXS same-person cosines 0.46-0.78, different people near 0) or from what an export
must do by definition (fp32: every decision of torch's), with the margins the issue sets (top-1 within
0.5 points; fp16 agreement >= 99.5 %; no face decision flips in fp32 / fp16).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from edgerep import create_model
from edgerep.checkpoints import load_checkpoint
from edgerep.registry import built_from

pytestmark = pytest.mark.realdata

MOBILEONE = "weights/mobileone_s0_apple_fused.safetensors"
IMAGENET = "images/imagenet-sample"
EDGEFACE = {"edgeface_xxs_q": ("edgeface_xxs", "weights/edgeface_xxs_q.pt"),
            "edgeface_xs_q": ("edgeface_xs", "weights/edgeface_xs_q.pt")}
PUBLISHED_TOP1 = 0.817  # the data README's MobileOne-S0 fp32 figure on these 1,000 photos


@pytest.fixture(scope="module")
def export_cache(tmp_path_factory: pytest.TempPathFactory):
    """One export cache for the module's exports (they are made once, then reused)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EDGEREP_CACHE", str(tmp_path_factory.mktemp("real-data-cache")))
        yield


# ---- the authors' EdgeFace checkpoints load as published ----------------------------------------

@pytest.mark.parametrize("alias", sorted(EDGEFACE))
def test_authors_quantized_checkpoint_loads_dequantized(testdata: Path, alias: str) -> None:
    name, file = EDGEFACE[alias]
    model = create_model(alias)
    assert built_from(model).name == name
    loaded = load_checkpoint(model, testdata / file)
    raw = torch.load(testdata / file, map_location="cpu", weights_only=True)
    packed = {k[: -len("._packed_params._packed_params")]: v for k, v in raw.items()
              if k.endswith("._packed_params._packed_params")}
    assert loaded.dequantized == len(packed) > 0
    assert any("dequantized" in n for n in loaded.notes)
    state = model.state_dict()
    for prefix, (qweight, bias) in packed.items():
        key = prefix.removeprefix("model.")
        # int8 x scale, computed from the raw integers (not through torch's dequantize())
        expected = (qweight.int_repr().double() - qweight.q_zero_point()) * qweight.q_scale()
        assert torch.equal(state[key + ".weight"].double(), expected.float().double()), key
        assert torch.equal(state[key + ".bias"], bias.detach())
    for key, value in raw.items():  # every float tensor arrives unchanged
        if isinstance(value, torch.Tensor) and value.is_floating_point() and key.startswith("model.") \
                and not key.endswith((".scale",)):
            assert torch.equal(state[key.removeprefix("model.")], value), key


# Who is in each portrait, labelled by eye (the file names do not say: their number is no person id).
SAME_PERSON = {
    "depp": ("002_331d0423", "024_bfac5f5b"),
    "portman": ("002_3a2ef5df", "011_7b37bf1f", "013_46b35530", "025_c55c4e11"),
    "pitt": ("005_02ab3a1b", "006_87166f38"),
    "downey": ("005_8af3cada", "011_da108a07"),
    "fox": ("005_9574c208", "012_d461a2b5"),
    "jolie": ("006_9135205d", "018_fcafe1a8", "028_6a0ff8de", "030_66bddeb6"),
    "hanks": ("009_474a6b2e", "Tom Hanks"),
    "johansson": ("009_fc574624", "011_32193038"),
}


def _person(stem: str) -> str:
    return next((who for who, stems in SAME_PERSON.items() if stem in stems), stem)


@pytest.fixture(scope="module")
def portrait_faces(portrait_crops) -> tuple[np.ndarray, list[str]]:
    """The portraits detected and aligned by edgerep (112 x 112; conftest.py), and each one's person."""
    crops, stems = portrait_crops
    people = [_person(stem) for stem in stems]
    assert len(crops) == 32 and len(set(people)) == 20
    return crops, people


def test_trained_edgeface_recognizes_the_same_person(testdata: Path, portrait_faces) -> None:
    """The data README's figures: same-person cosines 0.46-0.78, different people mostly near 0."""
    from edgerep.face.embed import TorchEmbedder

    crops, people = portrait_faces
    emb = TorchEmbedder("edgeface_xxs_q", testdata / EDGEFACE["edgeface_xxs_q"][1])(crops)
    same, different = [], []
    for i, j in itertools.combinations(range(len(people)), 2):
        (same if people[i] == people[j] else different).append(float(emb[i] @ emb[j]))
    assert len(same) == 18 and len(different) == 478
    assert min(same) > 0.4, min(same)
    assert abs(float(np.median(different))) < 0.15, np.median(different)
    assert np.mean(np.asarray(different) < min(same)) > 0.95


@pytest.mark.slow
@pytest.mark.parametrize("alias", sorted(EDGEFACE))
def test_authors_checkpoint_exports_verified_on_every_target(testdata: Path, tmp_path: Path, alias: str) -> None:
    from edgerep.exporters import export

    for target in ("onnx", "tflite", "coreml"):
        result = export(alias, target, checkpoint=testdata / EDGEFACE[alias][1], output=f"{tmp_path}/")
        assert result.passed, (target, result.verification)
        assert result.metadata["checkpoint"]["dequantized_weights"] > 0


# ---- face parity of exports on real faces -------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("alias", sorted(EDGEFACE))
def test_face_parity_fp32_fp16_no_flips_on_portraits(testdata: Path, portrait_faces, export_cache, alias) -> None:
    from edgerep.face.parity import parity

    crops, _ = portrait_faces
    result = parity(alias, checkpoint=testdata / EDGEFACE[alias][1], targets=("onnx", "tflite"),
                    precisions=("fp32", "fp16"), crops=crops)
    assert len(result.rows) == 4
    for row in result.rows:
        assert row.status == "ok", (row.target, row.precision, row.reason)
        assert row.flips == 0, (row.target, row.precision, row.flips)
        assert row.cosine_min > (0.99999 if row.precision == "fp32" else 0.999), (row.target, row.precision)


# ---- MobileOne-S0 (Apple's weights) on 1,000 ImageNet photos ------------------------------------

@pytest.fixture(scope="module")
def mobileone_eval(testdata: Path, export_cache):
    from edgerep.classify import evaluate, scan

    photos = scan(testdata / IMAGENET, 1000)
    return evaluate("mobileone_s0", photos, checkpoint=testdata / MOBILEONE, targets=("onnx", "tflite"),
                    precisions=("fp32", "fp16"))


def test_mobileone_torch_top1_matches_the_data_readme(mobileone_eval) -> None:
    torch_row = mobileone_eval.rows[0]
    assert (torch_row.target, torch_row.images) == ("torch", 1000)
    assert abs(torch_row.top1 - PUBLISHED_TOP1) <= 0.005, torch_row.top1


@pytest.mark.slow
def test_mobileone_exports_keep_torchs_decisions(mobileone_eval) -> None:
    rows = {(r.target, r.precision): r for r in mobileone_eval.rows[1:]}
    assert set(rows) == {("onnx", "fp32"), ("onnx", "fp16"), ("tflite", "fp32"), ("tflite", "fp16")}
    for (target, precision), row in rows.items():
        assert row.status == "ok", (target, precision, row.reason)
        assert row.images == 1000
        if precision == "fp32":
            assert row.agreement == 1.0, (target, row.agreement)
            assert row.cosine_min > 0.99999, (target, row.cosine_min)
        else:
            assert row.agreement >= 0.995, (target, row.agreement)


def test_eval_command_fails_a_row_that_misses_its_bound(testdata: Path, export_cache, capsys) -> None:
    """The command's verdict: an fp16 export cannot reach a cosine of exactly 1, so a bound of 1.0
    fails its row and the command exits 1; the torch row is the reference and always passes."""
    from edgerep.cli import main

    status = main(["eval", "mobileone_s0", "-c", str(testdata / MOBILEONE), "--images", str(testdata / IMAGENET),
                   "--limit", "40", "--targets", "onnx", "--precision", "fp16", "--min-cosine", "1.0",
                   "--no-progress"])
    out = capsys.readouterr().out
    assert status == 1
    assert "failed: median cosine" in out and "torch" in out



def test_eval_of_a_given_artifact_matches_the_exported_row(testdata: Path, mobileone_eval) -> None:
    from edgerep.classify import evaluate, scan

    made = next(r for r in mobileone_eval.rows if (r.target, r.precision) == ("tflite", "fp16"))
    photos = scan(testdata / IMAGENET, 1000).subset(0, 60)
    again = evaluate("mobileone_s0", photos, checkpoint=testdata / MOBILEONE, artifacts=[made.artifact])
    row = again.rows[1]
    assert (row.target, row.precision, row.runtime, row.images) == ("tflite", "fp16", "litert", 60)
    assert row.status == "ok" and row.agreement >= 0.95
