"""Phone frames: YUV_420_888 to RGB with strides, and points between a frame and its upright view."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from edgerep.face import (align, frame_to_view, frame_to_view_image, landmarks_to_frame, landmarks_to_view,
                          template, view_to_frame, yuv420_to_rgb)
from edgerep.facecore.frames import ROTATIONS, view_size

from .face_reference import yuv_by_hand


def _frame(rng: np.random.Generator, w: int, h: int, y_pad: int, ps: int, uv_pad: int):
    cw, ch = (w + 1) // 2, (h + 1) // 2
    ys = w + y_pad
    y = rng.integers(0, 256, (h - 1) * ys + w, dtype=np.uint8).tobytes()  # last row not padded
    if ps == 1:
        uvs = cw + uv_pad
        n = (ch - 1) * uvs + cw
        u, v = rng.integers(0, 256, n, dtype=np.uint8).tobytes(), rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    else:  # NV21: V and U interleaved in one buffer, the planes one byte apart
        uvs = 2 * cw + uv_pad
        n = (ch - 1) * uvs + (cw - 1) * 2 + 1
        vu = rng.integers(0, 256, n + 1, dtype=np.uint8)
        v, u = vu[:n], vu[1:]  # numpy views, as a ByteBuffer slice would be
    return y, u, v, ys, uvs


@pytest.mark.parametrize("w, h, y_pad, ps, uv_pad", [(6, 4, 0, 1, 0), (7, 5, 3, 1, 2), (8, 6, 0, 2, 0),
                                                      (9, 3, 7, 2, 4), (1, 1, 0, 1, 0), (33, 17, 15, 2, 6)])
def test_yuv_with_strides_equals_the_per_pixel_rule(w: int, h: int, y_pad: int, ps: int, uv_pad: int) -> None:
    rng = np.random.default_rng(w * 100 + h)
    y, u, v, ys, uvs = _frame(rng, w, h, y_pad, ps, uv_pad)
    rgb = yuv420_to_rgb(y, u, v, w, h, ys, uvs, ps)
    assert rgb.shape == (h, w, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb, yuv_by_hand(bytes(y), bytes(u), bytes(v), w, h, ys, uvs, ps))


def test_yuv_fixed_point_is_within_one_level_of_the_real_formula() -> None:
    """Every (U, V) pair, with random Y: the 16-bit fixed point rounds like the JFIF formula in reals,
    off by one level at most (and rarely)."""
    uu, vv = (a.ravel() for a in np.meshgrid(np.arange(256), np.arange(256)))
    m = uu.size
    yy = np.random.default_rng(0).integers(0, 256, 2 * m)
    # One row, 2m pixels wide: pixel x reads chroma sample x // 2.
    rgb = yuv420_to_rgb(yy.astype(np.uint8), uu.astype(np.uint8), vv.astype(np.uint8), 2 * m, 1, 2 * m, m, 1)
    d, e = np.repeat(uu, 2) - 128.0, np.repeat(vv, 2) - 128.0
    real = np.stack([yy + 1.402 * e, yy - 0.344136 * d - 0.714136 * e, yy + 1.772 * d], -1)
    want = np.clip(np.floor(real + 0.5), 0, 255)
    diff = np.abs(rgb[0].astype(int) - want)
    assert diff.max() <= 1 and (diff == 0).mean() > 0.999


def test_neutral_chroma_gives_grey_and_extremes_clamp() -> None:
    y = np.arange(256, dtype=np.uint8)
    grey = yuv420_to_rgb(y, np.full(128, 128, np.uint8), np.full(128, 128, np.uint8), 256, 1, 256, 128, 1)
    assert np.array_equal(grey[0], np.repeat(y[:, None], 3, 1))
    # G: 255 - 127 * (0.344136 + 0.714136) = 120.60 and 0 + 128 * (0.344136 + 0.714136) = 135.46
    hot = yuv420_to_rgb(bytes([255]), bytes([255]), bytes([255]), 1, 1, 1, 1, 1)
    cold = yuv420_to_rgb(bytes([0]), bytes([0]), bytes([0]), 1, 1, 1, 1, 1)
    assert hot[0, 0].tolist() == [255, 121, 255] and cold[0, 0].tolist() == [0, 135, 0]


def test_yuv_refuses_short_planes_and_bad_strides() -> None:
    with pytest.raises(ValueError, match="Y plane holds 9 bytes"):
        yuv420_to_rgb(bytes(9), bytes(2), bytes(2), 4, 2, 6, 2, 1)
    with pytest.raises(ValueError, match="smaller than the width"):
        yuv420_to_rgb(bytes(8), bytes(2), bytes(2), 4, 2, 3, 2, 1)
    with pytest.raises(ValueError, match="uv_pixel_stride"):
        yuv420_to_rgb(bytes(8), bytes(2), bytes(2), 4, 2, 4, 2, 0)
    with pytest.raises(TypeError, match="uint8"):
        yuv420_to_rgb(np.zeros(8, np.int16), bytes(2), bytes(2), 4, 2, 4, 2, 1)


@pytest.mark.parametrize("rotation, mirror", itertools.product(ROTATIONS, [False, True]))
def test_points_follow_their_pixels_and_map_back(rotation: int, mirror: bool) -> None:
    w, h = 7, 4
    frame = np.arange(w * h).reshape(h, w)  # every pixel holds its own index
    view = frame_to_view_image(frame, rotation, mirror)
    assert view.shape[::-1] == view_size(w, h, rotation)
    ys, xs = np.mgrid[0:h, 0:w]
    pts = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
    mapped = frame_to_view(pts, w, h, rotation, mirror).astype(int)
    assert np.array_equal(view[mapped[:, 1], mapped[:, 0]], frame[ys.ravel(), xs.ravel()])
    frac = np.array([[0.25, 3.5], [6.75, 0.125], [3.0, 2.0]])
    assert np.array_equal(view_to_frame(frame_to_view(frac, w, h, rotation, mirror), w, h, rotation, mirror), frac)


@pytest.mark.parametrize("r1, r2", itertools.product(ROTATIONS, ROTATIONS))
def test_rotations_compose(r1: int, r2: int) -> None:
    w, h = 6, 3
    pts = np.array([[0.0, 0.0], [5.0, 1.0], [2.5, 2.0]])
    once = frame_to_view(pts, w, h, r1)
    vw, vh = view_size(w, h, r1)
    assert np.array_equal(frame_to_view(once, vw, vh, r2), frame_to_view(pts, w, h, (r1 + r2) % 360))
    image = np.arange(w * h).reshape(h, w)
    assert np.array_equal(frame_to_view_image(frame_to_view_image(image, r1), r2), frame_to_view_image(image, (r1 + r2) % 360))


def test_refuses_other_rotations() -> None:
    for bad in (45, -90, 360, True, 90.0):
        with pytest.raises(ValueError, match="0, 90, 180, 270"):
            frame_to_view([[0.0, 0.0]], 4, 4, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_aligning_the_view_equals_aligning_the_frame(rotation: int) -> None:
    """A face found in the upright view and mapped back to the frame aligns to the same crop."""
    rng = np.random.default_rng(rotation)
    frame = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    landmarks = template(112) * 0.6 + [[25.0, 12.0]]
    view = frame_to_view_image(frame, rotation)
    in_view = landmarks_to_view(landmarks, 120, 90, rotation)
    a, b = align(frame, landmarks).astype(int), align(view, in_view).astype(int)
    assert np.abs(a - b).max() <= 1 and (a == b).mean() > 0.99  # only rounding ties may differ
    assert np.allclose(landmarks_to_frame(in_view, 120, 90, rotation), landmarks, rtol=0, atol=1e-12)


def test_mirroring_keeps_the_template_order() -> None:
    """An upright face mirrored: the eye on the image's left is still point 0, and mapping back undoes it."""
    landmarks = template(112) + [[200.0, 100.0]]
    for rotation in ROTATIONS:
        w, h = view_size(400, 300, (360 - rotation) % 360)  # a frame whose view is 400 x 300
        frame_lm = landmarks_to_frame(landmarks, w, h, rotation)  # the upright face as the sensor saw it
        mirrored = landmarks_to_view(frame_lm, w, h, rotation, mirror=True)
        assert mirrored[0, 0] < mirrored[1, 0] and mirrored[3, 0] < mirrored[4, 0]
        assert np.allclose(mirrored[:, 1], landmarks[[1, 0, 2, 4, 3], 1])
        assert np.allclose(landmarks_to_frame(mirrored, w, h, rotation, mirror=True), frame_lm)
