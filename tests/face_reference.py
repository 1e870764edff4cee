"""Straightforward, independent implementations of the face rules for the tests to compare with
(one pixel, one point, one number at a time; nothing from edgerep.face)."""

from __future__ import annotations

import math

import numpy as np


def umeyama_svd(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Umeyama (1991), eqs. 38-42: the SVD solution with the reflection correction, as a 2x3 matrix."""
    src, dst = np.asarray(src, float), np.asarray(dst, float)
    n = len(src)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    sigma_s = ((src - mu_s) ** 2).sum() / n
    cov = (dst - mu_d).T @ (src - mu_s) / n
    u, d, vt = np.linalg.svd(cov)
    s = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        s[1, 1] = -1
    r = u @ s @ vt
    c = np.trace(np.diag(d) @ s) / sigma_s
    t = mu_d - c * r @ mu_s
    return np.hstack([c * r, t[:, None]])


def warp_by_hand(image: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
    """The bilinear, border-0 warp of the golden vectors' description, one destination pixel at a time."""
    (a, b, c), (d, e, f) = np.asarray(m, float).tolist()
    det = 1.0 / (a * e - b * d)
    ia, ib, idd, ie = e * det, -b * det, -d * det, a * det
    ic, iff = -ia * c - ib * f, -idd * c - ie * f
    h, w = image.shape[:2]
    out = np.zeros((size, size, 3))

    def px(x: int, y: int, ch: int) -> float:
        return float(image[y][x][ch]) if 0 <= x < w and 0 <= y < h else 0.0

    for y in range(size):
        for x in range(size):
            sx, sy = (ia * x + ib * y) + ic, (idd * x + ie * y) + iff
            x0, y0 = math.floor(sx), math.floor(sy)
            fx, fy = sx - x0, sy - y0
            for ch in range(3):
                out[y, x, ch] = ((1 - fy) * ((1 - fx) * px(x0, y0, ch) + fx * px(x0 + 1, y0, ch))
                                 + fy * ((1 - fx) * px(x0, y0 + 1, ch) + fx * px(x0 + 1, y0 + 1, ch)))
    return out


def yuv_by_hand(y: bytes, u: bytes, v: bytes, w: int, h: int, ys: int, uvs: int, ps: int) -> np.ndarray:
    """Android's plane addressing and the fixed-point full-range BT.601, one pixel at a time."""
    out = np.zeros((h, w, 3), np.uint8)
    for row in range(h):
        for col in range(w):
            luma = y[row * ys + col]
            k = (row // 2) * uvs + (col // 2) * ps
            d, e = u[k] - 128, v[k] - 128
            r = (65536 * luma + 91881 * e + 32768) // 65536
            g = (65536 * luma - 22554 * d - 46802 * e + 32768) // 65536
            b = (65536 * luma + 116130 * d + 32768) // 65536
            out[row, col] = [min(255, max(0, c)) for c in (r, g, b)]
    return out


def normalize(v: list[float]) -> list[float]:
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def identify_by_hand(gallery: list[dict], probe: list[float], threshold: float) -> tuple[str | None, str | None, float | None]:
    """Centroid rule, first-in-order ties, strict threshold: (identity, best, score)."""
    p = normalize(probe)
    best, best_score = None, None
    for ident in gallery:
        total = [0.0] * len(p)
        for e in ident["embeddings"]:
            total = [t + x for t, x in zip(total, normalize(e))]
        score = sum(a * b for a, b in zip(normalize(total), p))
        if best_score is None or score > best_score:
            best, best_score = ident["name"], score
    if best_score is None:
        return None, None, None
    return (best if best_score > threshold else None), best, best_score
