"""edgerep eval's parts: labels from a folder's layout, the model's preprocessing, the figures and
the verdict. (On trained weights and the 1,000 ImageNet photos: tests/test_real_data.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgerep.classify.evaluate import Row, score, topk
from edgerep.classify.photos import imagenet_wnids, preprocess, scan
from edgerep.cli import main
from edgerep.face.parity import ParityRow


def _png(path: Path, colour=(10, 20, 30), size=(8, 8)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def test_imagenet_order_is_the_sorted_wnids() -> None:
    wnids = imagenet_wnids()
    assert len(wnids) == len(set(wnids)) == 1000
    assert list(wnids) == sorted(wnids)
    assert wnids[0] == "n01440764" and wnids[-1] == "n15075141"  # tench, toilet tissue


def test_wnid_file_names_give_imagenet_indices(tmp_path: Path) -> None:
    for name in ("n15075141_toilet_tissue.JPEG", "n01440764_tench.JPEG", "n01443537_goldfish.jpg"):
        _png(tmp_path / name)
    photos = scan(tmp_path, 1000)
    assert [f.name for f in photos.files] == ["n01440764_tench.JPEG", "n01443537_goldfish.jpg",
                                              "n15075141_toilet_tissue.JPEG"]
    assert photos.labels == (0, 1, 999)
    assert photos.label_source == "wnid file names"


def test_class_folders_number_like_imagefolder(tmp_path: Path) -> None:
    for cls in ("zebra", "ant", "moth"):
        _png(tmp_path / cls / "a.png")
        _png(tmp_path / cls / "b.png")
    photos = scan(tmp_path, 3)
    assert photos.labels == (0, 0, 1, 1, 2, 2)  # ant, moth, zebra
    with pytest.raises(ValueError, match="3 classes .* 10 outputs.*--no-labels"):
        scan(tmp_path, 10)
    assert scan(tmp_path, 10, labels=False).labels is None


def test_plain_folder_has_no_labels_and_mixed_layouts_are_refused(tmp_path: Path) -> None:
    _png(tmp_path / "holiday.png")
    assert scan(tmp_path, 1000).labels is None
    _png(tmp_path / "cats" / "c.png")
    with pytest.raises(ValueError, match="both at its top and in class folders"):
        scan(tmp_path, 1000)
    with pytest.raises(ValueError, match="no such folder"):
        scan(tmp_path / "missing", 1000)


def test_preprocess_resizes_the_shorter_side_then_crops_the_centre() -> None:
    image = np.zeros((300, 600, 3), np.uint8)
    image[:, 225:375] = 255  # a white band: the middle quarter of the width
    out = preprocess(image, (224, 224), 0.875, "bilinear")
    # shorter side 300 -> 256 (224 / 0.875), width 600 -> 512; the 224 centre crop spans x 144..368
    # of the resized image, where the band covers 192..320: columns 48..176 of the crop
    assert out.shape == (224, 224, 3)
    assert out[:, 60:160].min() == 255 and out[:, :40].max() == 0 and out[:, 190:].max() == 0


def test_topk_and_agreement_on_known_logits() -> None:
    logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.3], [0.2, 0.3, 0.5]])
    assert topk(logits, [1, 2, 2], 1) == pytest.approx(2 / 3)
    assert topk(logits, [1, 2, 2], 2) == pytest.approx(1.0)
    reference = logits.copy()
    reference[2] = [0.6, 0.3, 0.5]  # torch's top class differs on the last photo
    row = score(Row("onnx", "int8", "onnxruntime", "ok"), logits, reference, None, 0.95, 0.5)
    assert row.agreement == pytest.approx(2 / 3) and row.status == "failed" and "agreement 66.7 %" in row.reason
    row = score(Row("onnx", "int8", "onnxruntime", "ok"), logits, reference, None, 0.5, 0.5)
    assert row.status == "ok" and row.top1 is None


def test_non_finite_logits_fail_the_row() -> None:
    logits = np.ones((2, 3))
    logits[1, 1] = np.nan
    row = score(Row("tflite", "int8", "litert", "ok"), logits, np.ones((2, 3)), None, 0.0, 0.0)
    assert row.status == "failed" and "non-finite" in row.reason


def test_parity_row_judged_against_its_bounds() -> None:
    good = ParityRow("m", "onnx", "fp16", "onnxruntime", "ok", cosine_min=0.999, cosine_mean=0.9995, flips=0, pairs=496)
    good.judge(0.99, 0.01)
    assert good.status == "ok"
    bad = ParityRow("m", "onnx", "int8", "onnxruntime", "ok", cosine_min=0.13, cosine_mean=0.31, flips=46, pairs=496)
    bad.judge(0.99, 0.01)
    assert bad.status == "failed" and "mean cosine 0.3100 < 0.99" in bad.reason and "46/496 flips" in bad.reason
    nan = ParityRow("m", "onnx", "int8", "onnxruntime", "ok", cosine_min=np.nan, cosine_mean=np.nan, flips=0, pairs=4)
    nan.judge(0.99, 0.01)
    assert nan.status == "failed"


@pytest.mark.parametrize("argv, message", [
    (["eval", "edgeface_xxs", "--images", "."], "face-embedding model"),
    (["eval", "mobileone_s0", "--images", "/nonexistent-photos"], "no such folder"),
    (["eval", "mobileone_s0", "--images", ".", "--precision", "int4"], "--precision takes"),
    (["eval", "mobileone_s0", "--images", ".", "--limit", "0"], "--limit must be a positive"),
])
def test_eval_command_bad_input_is_one_line_exit_2(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("edgerep: error:") and message in err and "\n" not in err
