"""Face alignment: the similarity fit, the template, the warp and its rounding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgerep.face import ARCFACE_112, align, estimate_norm, similarity_transform, template, warp_affine
from edgerep.facecore.alignment import invert_affine, sample_points, to_uint8

from .face_reference import umeyama_svd, warp_by_hand


def _similarity(scale: float, degrees: float, tx: float, ty: float) -> np.ndarray:
    t = math.radians(degrees)
    return np.array([[scale * math.cos(t), -scale * math.sin(t), tx], [scale * math.sin(t), scale * math.cos(t), ty]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def test_template_is_arcface_and_128_shifts_x_by_8() -> None:
    assert ARCFACE_112.shape == (5, 2) and ARCFACE_112.dtype == np.float64
    assert ARCFACE_112[0].tolist() == [38.2946, 51.6963] and ARCFACE_112[4].tolist() == [70.7299, 92.2041]
    assert np.array_equal(template(112), ARCFACE_112)
    assert np.array_equal(template(128)[:, 0], ARCFACE_112[:, 0] + 8) and np.array_equal(template(128)[:, 1], ARCFACE_112[:, 1])


@pytest.mark.parametrize("size", [100, 224, 256, 0, True, 112.0, "112"])
def test_other_sizes_are_refused(size: object) -> None:
    with pytest.raises(ValueError, match="112 or 128"):
        template(size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="112 or 128"):
        align(np.zeros((50, 50, 3), np.uint8), ARCFACE_112, size=size)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(6))
def test_fit_recovers_a_planted_similarity(seed: int) -> None:
    rng = np.random.default_rng(seed)
    planted = _similarity(rng.uniform(0.05, 8), rng.uniform(-180, 180), *rng.uniform(-500, 500, 2))
    src = rng.uniform(-300, 300, (5, 2))
    fitted = similarity_transform(src, _apply(planted, src))
    assert np.abs(fitted - planted).max() <= 1e-9 * max(1.0, np.abs(planted).max())


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mirror", [False, True])
def test_fit_equals_umeyama_with_reflection_correction(seed: int, mirror: bool) -> None:
    """Noisy and mirrored landmarks (det(cov) < 0): the closed form is Umeyama's SVD solution."""
    rng = np.random.default_rng(100 + seed)
    src = rng.uniform(0, 400, (5, 2))
    dst = _apply(_similarity(rng.uniform(0.2, 3), rng.uniform(-180, 180), 10, -20), src) + rng.normal(0, 4, (5, 2))
    if mirror:
        dst[:, 0] = -dst[:, 0]
    expected = umeyama_svd(src, dst)
    assert np.allclose(similarity_transform(src, dst), expected, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("size", [112, 128])
def test_aligned_landmarks_land_on_the_template(size: int) -> None:
    planted = _similarity(2.7, 33.0, 400.0, 250.0)
    landmarks = _apply(invert_affine(planted), template(size))  # where a face with this pose has them
    m = estimate_norm(landmarks, size)
    assert np.abs(_apply(m, landmarks) - template(size)).max() < 1e-9


def test_degenerate_landmarks_are_refused() -> None:
    with pytest.raises(ValueError, match="coincide"):
        similarity_transform([[3.0, 4.0]] * 5, ARCFACE_112)
    with pytest.raises(ValueError, match="5x2"):
        estimate_norm(ARCFACE_112[:4])
    with pytest.raises(ValueError, match="non-finite"):
        estimate_norm([[np.nan, 1.0]] + ARCFACE_112[1:].tolist())
    with pytest.raises(ValueError, match="singular"):
        invert_affine([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]])


@pytest.mark.parametrize("seed", range(3))
def test_warp_equals_the_per_pixel_rule_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    m = _similarity(rng.uniform(0.5, 4), rng.uniform(-180, 180), *rng.uniform(-60, 60, 2))
    by_hand = warp_by_hand(image, m, 112)
    assert np.array_equal(warp_affine(image, m, 112), by_hand)  # same double operations, same order


def test_warp_identity_shift_and_border() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(1, 256, (20, 20, 3), dtype=np.uint8)
    ident = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert np.array_equal(warp_affine(image, ident, 20), image.astype(np.float64))
    shifted = warp_affine(image, np.array([[1.0, 0, 3], [0, 1.0, -2]]), 20)  # dst = src + (3, -2)
    assert np.array_equal(shifted[:18, 3:], image[2:, :17].astype(np.float64))
    assert not shifted[:, :3].any() and not shifted[18:].any()  # outside the source: 0
    half = warp_affine(image, np.array([[1.0, 0, -0.5], [0, 1.0, 0]]), 20)  # samples x + 0.5
    assert np.allclose(half[:, :19], (image[:, :19].astype(float) + image[:, 1:]) / 2, rtol=0, atol=1e-12)
    assert np.allclose(half[:, 19], image[:, 19] / 2, rtol=0, atol=1e-12)  # the right neighbour is border 0


def test_rounding_is_half_up_and_clamped() -> None:
    assert to_uint8(np.array([0.49999999, 0.5, 1.5, 2.5, 254.5, 255.4, 300.0, -3.0])).tolist() == [0, 1, 2, 3, 255, 255, 255, 0]


@pytest.mark.parametrize("size", [112, 128])
def test_marked_points_land_within_a_pixel_of_the_template(size: int) -> None:
    """A synthetic photo with 5 coloured marks at a turned, scaled face's landmarks: after alignment
    each mark's centre is within 1 px of its template point."""
    h, w = 360, 420
    pose = _similarity(0.45, -38.0, 150.0, 120.0)  # template -> photo; a smaller, turned face
    photo_points = _apply(pose, template(size))
    image = np.full((h, w, 3), 40, np.uint8)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]
    yy, xx = np.mgrid[0:h, 0:w]
    for (px, py), colour in zip(photo_points, colours):
        image[(xx - px) ** 2 + (yy - py) ** 2 <= 2.0 ** 2] = colour
    crop = align(image, photo_points, size).astype(int)
    for (tx, ty), colour in zip(template(size), colours):
        weight = np.clip(255 - np.abs(crop - np.array(colour)).sum(-1), 0, None).astype(float)
        weight[weight < 200] = 0  # the mark only
        cy, cx = (np.mgrid[0:size, 0:size] * weight).reshape(2, -1).sum(1) / weight.sum()
        assert math.hypot(cx - tx, cy - ty) < 1.0, (colour, cx, cy, tx, ty)


def test_align_validates_the_image() -> None:
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        align(np.zeros((40, 40), np.uint8), ARCFACE_112)
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        align(np.zeros((40, 40, 3), np.float32), ARCFACE_112)
    with pytest.raises(TypeError, match="numpy array"):
        align([[0]], ARCFACE_112)


def test_close_to_cv2_warp_affine_when_opencv_is_installed() -> None:
    """cv2 quantizes coordinates to 1/32 pixel and weights to 15 bits: within 1 grey level of ours on a
    smooth image, away from the border (where a step from the image to 0 magnifies the quantization)."""
    cv2 = pytest.importorskip("cv2")
    yy, xx = np.mgrid[0:160, 0:200]
    image = np.stack([100 + 60 * np.sin(xx / 13.0), 120 + 50 * np.cos(yy / 11.0), (xx + yy) * 0.6],
                     -1).round().astype(np.uint8)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        pose = _similarity(rng.uniform(0.7, 1.3), rng.uniform(-180, 180), 0.0, 0.0)
        pose[:, 2] = np.array([100.0, 80.0]) - pose[:, :2] @ np.array([56.0, 72.0])  # face centre at (100, 80)
        landmarks = _apply(pose, ARCFACE_112)
        ours = align(image, landmarks).astype(int)
        m = estimate_norm(landmarks)
        theirs = cv2.warpAffine(image, m, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=0).astype(int)
        sx, sy = sample_points(m, 112)
        inside = (sx >= 1) & (sy >= 1) & (sx <= image.shape[1] - 2) & (sy <= image.shape[0] - 2)
        assert inside.sum() > 5000
        assert np.abs(ours - theirs)[inside].max() <= 1
