"""Face alignment: the ArcFace 5-point template, the similarity fit onto it, and the crop.

These are the rules the Kotlin and Swift harness cores reproduce bit for bit (golden vectors:
``python -m tools.conformance``, section ``alignment``), so every step is spelled out in plain IEEE
double arithmetic in a fixed order (no BLAS, no LAPACK, no fused multiply-add):

- **Coordinates**: pixel-centre convention, as ``cv2.warpAffine``: the centre of pixel column ``i``
  is ``x = i`` (the image spans ``-0.5 .. width - 0.5``).
- **Fit** (:func:`similarity_transform`): the least-squares similarity (rotation, uniform scale,
  translation; no reflection, no RANSAC) mapping ``src`` onto ``dst``. In 2-D, Umeyama's solution
  with the reflection correction (what skimage's ``SimilarityTransform.estimate`` computes) has a
  closed form: with ``s``, ``d`` the centred points, ``a = sum(sx*dx + sy*dy) / sum(sx*sx + sy*sy)``,
  ``b = sum(sx*dy - sy*dx) / sum(sx*sx + sy*sy)``, ``M = [[a, -b, tx], [b, a, ty]]``,
  ``t = mean(dst) - [[a, -b], [b, a]] @ mean(src)``.
- **Warp** (:func:`warp_affine`): destination pixel ``(x, y)`` is sampled at ``inverse(M) @ (x, y, 1)``
  with bilinear interpolation; a neighbour outside the image contributes 0 (cv2's BORDER_CONSTANT 0).
- **Rounding** (:func:`to_uint8`): ``clamp(floor(v + 0.5), 0, 255)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# deepinsight/insightface python-package/insightface/utils/face_align.py ``arcface_dst``: the eye on
# the image's left, the eye on the image's right, nose tip, left and right mouth corners (image sides).
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)
ARCFACE_112.setflags(write=False)

SIZES = (112, 128)


def template(size: int = 112) -> np.ndarray:
    """The 5-point template for a ``size`` x ``size`` crop, scaled as InsightFace's ``estimate_norm``.

    112: the ArcFace points as they are; 128: the same points shifted 8 pixels right
    (``ratio = size / 128 = 1``, ``diff_x = 8 * ratio``). Other sizes raise ValueError.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or int(size) not in SIZES:
        raise ValueError(f"alignment size {size!r} is not supported; allowed: 112 or 128 "
                         "(the sizes InsightFace's estimate_norm defines)")
    points = ARCFACE_112 * 1.0  # ratio = 112/112 or 128/128 = 1.0
    if int(size) == 128:
        points[:, 0] += 8.0
    return points


def _points(value: Any, name: str, count: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of (x, y) points, got {type(value).__name__}") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or (count is not None and arr.shape[0] != count):
        want = f"{count}x2" if count is not None else "Nx2"
        raise ValueError(f"{name} must have shape {want} ((x, y) per point), got shape {tuple(arr.shape)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds non-finite coordinates: {arr.tolist()}")
    return arr


def similarity_transform(src: Any, dst: Any) -> np.ndarray:
    """The 2x3 least-squares similarity ``M`` with ``M @ (x, y, 1)`` mapping ``src`` onto ``dst``.

    Summation order (for bit-exact ports): means are the sums over the points in order divided by
    ``n``; each sum in the closed form runs over the points in order, starting from 0.0.
    Raises ValueError when ``src`` points all coincide (no fit exists).
    """
    s = _points(src, "src")
    d = _points(dst, "dst", s.shape[0])
    n = s.shape[0]
    if n < 2:
        raise ValueError(f"similarity_transform needs at least 2 point pairs, got {n}")
    sxm = sym = dxm = dym = 0.0
    for (sx, sy), (dx, dy) in zip(s.tolist(), d.tolist()):
        sxm += sx
        sym += sy
        dxm += dx
        dym += dy
    sxm, sym, dxm, dym = sxm / n, sym / n, dxm / n, dym / n
    var = dot = cross = 0.0
    for (sx, sy), (dx, dy) in zip(s.tolist(), d.tolist()):
        sx, sy, dx, dy = sx - sxm, sy - sym, dx - dxm, dy - dym
        var += sx * sx + sy * sy
        dot += sx * dx + sy * dy
        cross += sx * dy - sy * dx
    if not var > 0.0:
        raise ValueError(f"src points all coincide ({s.tolist()}): no similarity transform fits them; "
                         "check the landmarks")
    a = dot / var
    b = cross / var
    tx = dxm - (a * sxm - b * sym)
    ty = dym - (b * sxm + a * sym)
    return np.array([[a, -b, tx], [b, a, ty]], dtype=np.float64)


def estimate_norm(landmarks: Any, size: int = 112) -> np.ndarray:
    """The 2x3 matrix taking ``landmarks`` (5x2, template order) onto :func:`template` ``(size)``."""
    return similarity_transform(_points(landmarks, "landmarks", 5), template(size))


def invert_affine(matrix: Any) -> np.ndarray:
    """The inverse of a 2x3 affine matrix (cv2's ``invertAffineTransform`` arithmetic).

    ``D = 1 / (a*e - b*d)``; ``[[e*D, -b*D, -(e*D)*c - (-b*D)*f], [-d*D, a*D, -(-d*D)*c - (a*D)*f]]``.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (2, 3) or not np.isfinite(m).all():
        raise ValueError(f"an affine matrix must be 2x3 and finite, got {m.tolist()}")
    (a, b, c), (d, e, f) = m.tolist()
    det = a * e - b * d
    if det == 0.0 or not math.isfinite(1.0 / det):
        raise ValueError(f"affine matrix {m.tolist()} is singular: the landmarks are degenerate")
    inv = 1.0 / det
    ia, ib, idd, ie = e * inv, -b * inv, -d * inv, a * inv
    return np.array([[ia, ib, -ia * c - ib * f], [idd, ie, -idd * c - ie * f]], dtype=np.float64)


def _image(image: Any) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array (H x W x 3, uint8 RGB), got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
        raise ValueError(f"image must be H x W x 3 uint8 (RGB), got shape {image.shape} dtype {image.dtype}")
    return image


def sample_points(matrix: Any, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates ``(sx, sy)`` (each size x size) that destination pixels sample.

    ``sx = (ia*x + ib*y) + ic`` and ``sy = (id*x + ie*y) + if`` with ``inverse(M) = [[ia, ib, ic],
    [id, ie, if]]`` from :func:`invert_affine`, evaluated left to right.
    """
    (ia, ib, ic), (idd, ie, iff) = invert_affine(matrix).tolist()
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    return (ia * xs + ib * ys) + ic, (idd * xs + ie * ys) + iff


def warp_affine(image: np.ndarray, matrix: Any, size: int) -> np.ndarray:
    """The size x size x 3 float64 warp of ``image`` by ``matrix``, before rounding.

    Bilinear, border 0: ``x0 = floor(sx)``, ``fx = sx - x0`` (same for y); with ``p00`` the pixel at
    ``(x0, y0)``, ``p10`` at ``(x0 + 1, y0)``, ``p01`` at ``(x0, y0 + 1)``, ``p11`` at
    ``(x0 + 1, y0 + 1)`` (0 outside the image),
    ``v = (1 - fy) * ((1 - fx) * p00 + fx * p10) + fy * ((1 - fx) * p01 + fx * p11)``.
    """
    img = _image(image)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    h, w = img.shape[:2]
    sx, sy = sample_points(matrix, int(size))
    x0f, y0f = np.floor(sx), np.floor(sy)
    fx, fy = (sx - x0f)[..., None], (sy - y0f)[..., None]
    # Beyond one pixel outside the image both neighbours are border zeros: clip there, then index a
    # copy padded with two zero pixels on every side.
    x0 = np.clip(x0f, -2, w).astype(np.int64)
    y0 = np.clip(y0f, -2, h).astype(np.int64)
    padded = np.zeros((h + 4, w + 4, 3), dtype=np.float64)
    padded[2:h + 2, 2:w + 2] = img

    def pixel(dx: int, dy: int) -> np.ndarray:
        return padded[y0 + dy + 2, x0 + dx + 2]

    gx = 1.0 - fx
    return (1.0 - fy) * (gx * pixel(0, 0) + fx * pixel(1, 0)) + fy * (gx * pixel(0, 1) + fx * pixel(1, 1))


def to_uint8(values: np.ndarray) -> np.ndarray:
    """``clamp(floor(v + 0.5), 0, 255)`` as uint8 (round half up)."""
    return np.clip(np.floor(np.asarray(values, dtype=np.float64) + 0.5), 0, 255).astype(np.uint8)


def align(image: np.ndarray, landmarks: Any, size: int = 112, source: str = "the image") -> np.ndarray:
    """The size x size x 3 uint8 face crop: ``landmarks`` (5x2, template order) fitted onto the
    template, the image warped and rounded (see the module docstring for every rule).

    Landmarks outside the image (beyond a margin of a quarter of its size) are refused: the crop
    would be the black border, embedded as if it were a face."""
    matrix = estimate_norm(landmarks, size)  # checks the size and the 5 points first
    crop = to_uint8(warp_affine(image, matrix, size))  # checks the image
    try:
        pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        pts = None  # not 5 points: estimate_norm says so
    if pts is not None:
        h, w = image.shape[:2]
        with np.errstate(invalid="ignore"):
            outside = ~np.isfinite(pts).all(1) | (pts[:, 0] < -w / 4) | (pts[:, 0] > w * 1.25) \
                | (pts[:, 1] < -h / 4) | (pts[:, 1] > h * 1.25)
        if outside.any():
            i = int(np.argmax(outside))
            raise ValueError(f"landmark {i + 1} ({pts[i, 0]:.6g}, {pts[i, 1]:.6g}) lies outside {source} "
                             f"({w}x{h} pixels); landmarks must be pixel coordinates in this image")
    return crop
