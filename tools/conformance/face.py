"""Golden vectors of the face rules (see :mod:`tools.conformance.vectors`): ``alignment``, ``matching``,
``gallery``, ``yuv`` and ``landmarks``.

Inputs come from Python's ``random.Random`` with fixed seeds (its stream is stable across versions)
or are written out; expected values are what :mod:`edgerep.face` computes. Cases whose decision
depends on a score are built with a margin of at least 1e-9 from every other score and from the
threshold, except the ties and threshold equalities, which are exact in any summation order.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any

import numpy as np

from edgerep.facecore.alignment import (estimate_norm, invert_affine, sample_points, template, to_uint8,
                                    warp_affine)
from edgerep.facecore.frames import (ROTATIONS, frame_to_view, landmarks_to_view, view_size, view_to_frame,
                                 yuv420_to_rgb)
from edgerep.face.gallery import EmbeddingSpec, Gallery
from edgerep.facecore.matching import centroid, identify, l2_normalize

_MARGIN = 1e-9


def _floats(arr: Any) -> Any:
    return np.asarray(arr, dtype=np.float64).tolist()


# ---- alignment -----------------------------------------------------------------------------------


def _pose(scale: float, degrees: float, tx: float, ty: float, mirror: bool = False, noise: float = 0.0,
          seed: int = 0) -> list[list[float]]:
    """Landmarks: the 112 template turned, scaled and moved (optionally mirrored, jittered)."""
    rng = random.Random(seed)
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    out = []
    for x, y in template(112).tolist():
        x, y = x - 56.0, y - 56.0
        if mirror:
            x = -x
        px = scale * (c * x - s * y) + tx + rng.uniform(-noise, noise)
        py = scale * (s * x + c * y) + ty + rng.uniform(-noise, noise)
        out.append([round(px, 3), round(py, 3)])
    return out


_POSES = {
    "frontal_half_scale": _pose(0.5, 0.0, 100.0, 80.0),
    "detected_like": [[189.71, 238.02], [258.46, 236.9], [225.13, 277.38], [196.05, 312.77], [252.9, 311.44]],
    "rotated_30_upscaled": _pose(1.7, 30.0, 240.5, 180.25, noise=2.0, seed=1),
    "upside_down": _pose(0.9, 180.0, 320.0, 240.0, noise=1.0, seed=2),
    "rotated_minus_100": _pose(2.3, -100.0, 500.0, 400.0, noise=3.0, seed=3),
    "reflected_looking": _pose(1.1, 12.0, 150.0, 160.0, mirror=True, noise=0.5, seed=4),
    "collinear": [[10.0, 20.0], [30.0, 20.0], [20.0, 20.0], [12.0, 20.0], [28.0, 20.0]],
}


def _image_formula(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(7 * x + 3 * y) % 256, (x * x + 2 * y * y + 11) % 256, (250 - 5 * x + 4 * y) % 256],
                    axis=-1).astype(np.uint8)


def _pixels(size: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    last = size - 1
    chosen = [(0, 0), (last, 0), (0, last), (last, last)]
    chosen += [(int(round(x)), int(round(y))) for x, y in template(size).tolist()]
    chosen += [(4 + 20 * i, 6 + 21 * j) for i in range(6) for j in range(5) if 4 + 20 * i < size]
    while len(chosen) < 48:
        chosen.append((rng.randrange(size), rng.randrange(size)))
    return chosen


def _warp_case(name: str, width: int, height: int, landmarks: list[list[float]], size: int, seed: int) -> dict:
    image = _image_formula(width, height)
    matrix = estimate_norm(landmarks, size)
    values = warp_affine(image, matrix, size)
    out = to_uint8(values)
    sx, sy = sample_points(matrix, size)
    flat = out.reshape(-1).astype(np.int64)
    pixels = []
    for x, y in _pixels(size, seed):
        pixels.append({"x": x, "y": y, "source_xy": [float(sx[y, x]), float(sy[y, x])],
                       "value": _floats(values[y, x]), "uint8": out[y, x].tolist()})
    return {
        "name": name, "size": size, "width": width, "height": height,
        "image_formula": "R = (7x + 3y) mod 256, G = (x*x + 2*y*y + 11) mod 256, B = (250 - 5x + 4y) mod 256",
        "image": image.tolist(), "landmarks": landmarks, "template": _floats(template(size)), "matrix": _floats(matrix),
        "inverse": _floats(invert_affine(matrix)), "pixels": pixels,
        "uint8_sum": int(flat.sum()),
        "uint8_weighted_sum": int(np.sum(flat * np.arange(1, flat.size + 1, dtype=np.int64))),
    }


def alignment_cases() -> tuple[str, list[dict[str, Any]]]:
    cases: list[dict[str, Any]] = []
    for size in (112, 128):
        for name, landmarks in _POSES.items():
            matrix = estimate_norm(landmarks, size)
            mapped = (np.asarray(landmarks) @ matrix[:, :2].T + matrix[:, 2]).tolist()
            cases.append({"name": f"{name}_{size}", "size": size, "landmarks": landmarks,
                          "template": _floats(template(size)), "matrix": _floats(matrix),
                          "mapped_landmarks": mapped})
    cases.append(_warp_case("warp_48x40_112", 48, 40, _pose(0.3, 10.0, 22.0, 21.0, noise=0.3, seed=5), 112, 6))
    cases.append(_warp_case("warp_48x40_128_partly_outside", 48, 40, _pose(0.45, -25.0, 8.0, 30.0, seed=7), 128, 8))
    cases.append({"name": "coincident_points", "size": 112, "landmarks": [[5.0, 5.0]] * 5, "error": "degenerate"})
    cases.append({"name": "size_100", "size": 100, "landmarks": _POSES["detected_like"], "error": "size"})
    description = (
        "Face alignment. Coordinates: pixel centres (column i is x = i). Template for size 112: the "
        "ArcFace points [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], "
        "[70.7299, 92.2041]] (eye on the image's left, eye on the image's right, nose tip, left and right "
        "mouth corners); size 128: the same with 8.0 added to every x; other sizes are refused "
        "('error': 'size'). Fit: the least-squares similarity from 'landmarks' (src) onto the template "
        "(dst), in doubles in this order: each mean is the sum over the 5 points in order divided by 5; "
        "with centred points s = src - mean(src), d = dst - mean(dst), summing over the points in order "
        "from 0.0: var += sx*sx + sy*sy; dot += sx*dx + sy*dy; cross += sx*dy - sy*dx; a = dot/var; "
        "b = cross/var; tx = mdx - (a*msx - b*msy); ty = mdy - (b*msx + a*msy); matrix = [[a, -b, tx], "
        "[b, a, ty]]. var == 0 is refused ('error': 'degenerate'). (This is Umeyama's solution with the "
        "reflection correction, as skimage's SimilarityTransform.estimate, for 2-D points.) "
        "'mapped_landmarks' = matrix applied to the landmarks. Warp cases also give a width x height "
        "RGB image (rows of [R, G, B], also described by 'image_formula'): inverse = [[ia, ib, ic], "
        "[id, ie, if]] with D = 1/(a*e - b*d), ia = e*D, ib = -b*D, id = -d*D, ie = a*D, "
        "ic = -ia*c - ib*f, if = -id*c - ie*f (for matrix [[a, b, c], [d, e, f]]); destination pixel "
        "(x, y) samples source_xy = ((ia*x + ib*y) + ic, (id*x + ie*y) + if); bilinear: x0 = floor(sx), "
        "fx = sx - x0, y0 = floor(sy), fy = sy - y0, p00 = pixel(x0, y0), p10 = pixel(x0 + 1, y0), "
        "p01 = pixel(x0, y0 + 1), p11 = pixel(x0 + 1, y0 + 1), a pixel outside the image being 0; "
        "value = (1 - fy) * ((1 - fx) * p00 + fx * p10) + fy * ((1 - fx) * p01 + fx * p11) per channel "
        "(doubles, no fused multiply-add); uint8 = clamp(floor(value + 0.5), 0, 255). 'uint8_sum' is "
        "the sum of every byte of the size x size x 3 output; 'uint8_weighted_sum' the sum of "
        "(i + 1) * byte[i] with i the index in row-major (y, x, channel) order."
    )
    return description, cases


# ---- matching ------------------------------------------------------------------------------------


def _unit(rng: random.Random, dim: int) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(dim)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def _noisy(rng: random.Random, base: list[float], noise: float, scale: float = 1.0) -> list[float]:
    return [round(scale * (b + rng.gauss(0, noise)), 6) for b in base]


def _expect(gallery: list[dict], probe: list[float], threshold: float, exact: bool = False) -> dict[str, Any]:
    names = [g["name"] for g in gallery]
    cents = np.stack([centroid(g["embeddings"]) for g in gallery]) if gallery else np.zeros((0, len(probe)))
    match = identify(probe, names, cents, threshold)
    scores = [match.scores[n] for n in names]
    if not exact and scores:
        others = sorted(scores, reverse=True)
        gap = min([abs(match.score - threshold)] + [others[0] - others[1]] * (len(others) > 1))
        assert gap > _MARGIN, f"golden case too close to a decision boundary ({gap})"
    return {"identity": match.name, "best": match.best, "score": match.score, "scores": scores}


def _matching_case(name: str, gallery: list[dict], threshold: float, probes: list[list[float]],
                   exact: bool = False) -> dict[str, Any]:
    return {
        "name": name, "threshold": threshold, "gallery": gallery,
        "centroids": [_floats(centroid(g["embeddings"])) for g in gallery],
        "probes": [{"embedding": p, "expected": _expect(gallery, p, threshold, exact)} for p in probes],
    }


def matching_cases() -> tuple[str, list[dict[str, Any]]]:
    rng = random.Random(11)
    a, b, c = _unit(rng, 8), _unit(rng, 8), _unit(rng, 8)
    people = [
        {"name": "ada", "embeddings": [_noisy(rng, a, 0.3, 3.0), _noisy(rng, a, 0.3, 0.5), _noisy(rng, a, 0.3)]},
        {"name": "grace", "embeddings": [_noisy(rng, b, 0.3, 2.0), _noisy(rng, b, 0.3, 7.0)]},
        {"name": "linus", "embeddings": [_noisy(rng, c, 0.2)]},
    ]
    probes = [_noisy(rng, a, 0.35), _noisy(rng, b, 0.35, 40.0), _noisy(rng, c, 0.5, 0.01), _unit(rng, 8),
              [-x for x in a]]
    cases = [
        _matching_case("three_people", people, 0.35, probes),
        _matching_case("strict_threshold_equal_is_unknown", [{"name": "p", "embeddings": [[1.0, 0.0, 0.0, 0.0]]}],
                       0.6, [[3.0, 4.0, 0.0, 0.0]], exact=True),
        _matching_case("just_above_threshold", [{"name": "p", "embeddings": [[1.0, 0.0, 0.0, 0.0]]}],
                       math.nextafter(0.6, 0.0), [[3.0, 4.0, 0.0, 0.0]], exact=True),
        _matching_case("antipodal_at_minus_one", [{"name": "p", "embeddings": [[0.0, 2.0, 0.0]]}],
                       -1.0, [[0.0, -5.0, 0.0], [0.0, 0.0, 1.0]], exact=True),
        _matching_case("tie_goes_to_first", [{"name": "zed", "embeddings": [[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]]},
                                             {"name": "amy", "embeddings": [[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]]}],
                       0.5, [[1.0, 0.25, 0.0]], exact=True),
        _matching_case("tie_other_order", [{"name": "amy", "embeddings": [[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]]},
                                           {"name": "zed", "embeddings": [[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]]}],
                       0.5, [[1.0, 0.25, 0.0]], exact=True),
        # The probe equals one of near's embeddings (the maximum rule would pick near at 1.0), but
        # near's centroid is pulled away by its other photo and far's centroid is closer.
        _matching_case("centroid_not_maximum", [
            {"name": "near", "embeddings": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]},
            {"name": "far", "embeddings": [[0.9, 0.3, 0.3]]}], 0.3, [[1.0, 0.0, 0.0]]),
        _matching_case("empty_gallery", [], 0.35, [[1.0, 2.0, 3.0]], exact=True),
    ]
    pairs = []
    for i, (pa, pb, t) in enumerate([(probes[0], people[0]["embeddings"][0], 0.35), (probes[0], probes[1], 0.35),
                                     ([3.0, 4.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], 0.6),
                                     ([3.0, 4.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], math.nextafter(0.6, 0.0))]):
        score = float(np.dot(l2_normalize(pa), l2_normalize(pb)))
        pairs.append({"name": f"pair_{i}", "a": pa, "b": pb, "threshold": t,
                      "expected": {"score": score, "same": score > t}})
    cases.append({"name": "verify_pairs", "pairs": pairs})
    errors = [
        {"name": "zero_probe", "gallery": people[2:], "threshold": 0.35, "probe": [0.0] * 8, "error": "zero"},
        {"name": "probe_of_other_size", "gallery": people[2:], "threshold": 0.35, "probe": [1.0] * 7,
         "error": "dimension"},
        {"name": "embeddings_cancel_out", "gallery": [{"name": "x", "embeddings": [[1.0, 2.0], [-1.0, -2.0]]}],
         "threshold": 0.35, "probe": [1.0, 0.0], "error": "zero"},
        {"name": "threshold_above_one", "gallery": people[2:], "threshold": 1.5, "probe": c, "error": "threshold"},
    ]
    description = (
        "Matching. normalize(v) = v / sqrt(sum of v[i]*v[i]); a zero vector is refused ('error': "
        "'zero'). An identity's centroid = normalize(sum of normalize(e) over its embeddings, in order). "
        "A probe's score for an identity = dot(normalize(probe), centroid); 'scores' lists them in "
        "gallery order. 'best' is the identity with the highest score, equal scores going to the one "
        "that comes first in the gallery; 'identity' is 'best' when score > threshold (strict) and null "
        "(unknown) otherwise; an empty gallery gives null identity, best and score. 'verify_pairs': "
        "score = dot(normalize(a), normalize(b)), same = score > threshold. Refused: a zero probe or "
        "centroid ('zero'), a probe whose size differs from the gallery's ('dimension'), a threshold "
        "outside [-1, 1] or not finite ('threshold'). Scores may differ in the last bits with another "
        "summation order (compare to 1e-12); the decisions are exact: ties and threshold equalities here "
        "are exact in any order, and every other decision has a margin above 1e-9."
    )
    return description, cases + errors


# ---- gallery file --------------------------------------------------------------------------------

GOLDEN_ARTIFACT_SHA256 = hashlib.sha256(b"edgerep golden vector artifact").hexdigest()


def golden_gallery() -> tuple[Gallery, list[list[float]]]:
    """A 512-d gallery as ``edgerep face enroll`` writes it, and probes for it (planted identities)."""
    rng = random.Random(23)
    spec = EmbeddingSpec("edgeface_xs_gamma_06", 512, runtime="onnxruntime", precision="fp32",
                         artifact_sha256=GOLDEN_ARTIFACT_SHA256)
    gallery = Gallery(spec, threshold=0.35)
    bases = {name: _unit(rng, 512) for name in ("ada", "grace", "zo\u00eb")}
    for name, count in (("ada", 3), ("grace", 2), ("zo\u00eb", 1)):
        gallery.enroll(name, [_noisy(rng, bases[name], 0.04) for _ in range(count)],
                       sources=[f"{name}/{i}.jpg" for i in range(count)])
    probes = [_noisy(rng, bases["grace"], 0.05), _noisy(rng, bases["zo\u00eb"], 0.05), _unit(rng, 512),
              _noisy(rng, bases["ada"], 0.05)]
    return gallery, probes


def gallery_cases() -> tuple[str, list[dict[str, Any]]]:
    gallery, probes = golden_gallery()
    text = gallery.to_json()
    doc = json.loads(text)
    expected = []
    for p in probes:
        m = gallery.identify(p)
        gaps = [abs(m.score - gallery.threshold)] + [m.score - s for n, s in m.scores.items() if n != m.best]
        assert min(gaps) > _MARGIN
        expected.append({"embedding": p, "expected": {"identity": m.name, "best": m.best, "score": m.score,
                                                      "scores": list(m.scores.values())}})
    one = json.dumps({**doc, "identities": doc["identities"][2:]})

    def edited(old: str, new: str) -> str:
        assert old in one
        return one.replace(old, new, 1)

    zoe = doc["identities"][2]
    first = json.dumps(zoe["embeddings"][0][0])
    invalid = [
        {"name": "nan_in_embedding", "field": "identities[0].embeddings[0][0]",
         "text": edited(f"[[{first},", "[[NaN,")},
        {"name": "short_embedding", "field": "identities[0].embeddings[0]",
         "text": edited(f"[[{first},", "[[")},
        {"name": "unknown_version", "field": "schema",
         "text": edited('"edgerep.gallery/1"', '"edgerep.gallery/2"')},
        {"name": "threshold_missing", "field": "matching.threshold",
         "text": edited('"threshold": 0.35', '"thresh": 0.35')},
        {"name": "threshold_as_string", "field": "matching.threshold",
         "text": edited('"threshold": 0.35', '"threshold": "0.35"')},
        {"name": "wrong_precision", "field": "precision", "text": edited('"precision": "fp32"', '"precision": "float"')},
    ]
    description = (
        "A gallery file edgerep.gallery/1 ('text': the exact bytes 'edgerep face enroll' writes, UTF-8, "
        "non-ASCII escaped) and probes: the expected results follow "
        "the matching rules (matching.json) with the document's identities in order and "
        "matching.threshold. Every 'invalid' text must be refused, naming 'field' (a path: key.key, "
        "array[index]). Embeddings are stored with float32 precision (shortest decimal); read them as "
        "doubles."
    )
    return description, [{"name": "three_identities_512", "text": text, "probes": expected,
                          "invalid": invalid}]


# ---- phone frames --------------------------------------------------------------------------------


def _yuv_case(name: str, width: int, height: int, y_pad: int, uv_pixel_stride: int, uv_pad: int,
              seed: int, extremes: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    cw, ch = (width + 1) // 2, (height + 1) // 2
    y_row_stride = width + y_pad
    uv_row_stride = (cw - 1) * uv_pixel_stride + 1 + uv_pad if uv_pixel_stride == 1 else cw * 2 + uv_pad

    def byte() -> int:
        return rng.choice((0, 1, 127, 128, 254, 255)) if extremes else rng.randrange(256)

    y = [byte() for _ in range((height - 1) * y_row_stride + width)]
    if uv_pixel_stride == 1:
        need = (ch - 1) * uv_row_stride + cw
        u = [byte() for _ in range(need)]
        v = [byte() for _ in range(need)]
    else:  # NV21: one interleaved V, U, V, U ... buffer; the V plane starts at byte 0, U at byte 1
        need = (ch - 1) * uv_row_stride + (cw - 1) * 2 + 1
        vu = [byte() for _ in range(need + 1)]
        v, u = vu[:need], vu[1:need + 1]
    rgb = yuv420_to_rgb(bytes(y), bytes(u), bytes(v), width, height, y_row_stride, uv_row_stride, uv_pixel_stride)
    return {"name": name, "width": width, "height": height, "y_row_stride": y_row_stride,
            "uv_row_stride": uv_row_stride, "uv_pixel_stride": uv_pixel_stride, "y": y, "u": u, "v": v,
            "rgb": rgb.tolist()}


def yuv_cases() -> tuple[str, list[dict[str, Any]]]:
    cases = [
        _yuv_case("i420_tight_6x4", 6, 4, 0, 1, 0, 1),
        _yuv_case("i420_padded_rows_7x5", 7, 5, 3, 1, 2, 2),
        _yuv_case("nv21_tight_8x6", 8, 6, 0, 2, 0, 3),
        _yuv_case("nv21_padded_rows_9x3", 9, 3, 7, 2, 4, 4),
        _yuv_case("extremes_clamp_10x4", 10, 4, 2, 2, 0, 5, extremes=True),
        _yuv_case("one_pixel", 1, 1, 0, 1, 0, 6),
    ]
    grey = {"name": "neutral_chroma_is_grey", "width": 2, "height": 2, "y_row_stride": 2, "uv_row_stride": 1,
            "uv_pixel_stride": 1, "y": [0, 16, 128, 255], "u": [128], "v": [128],
            "rgb": [[[0, 0, 0], [16, 16, 16]], [[128, 128, 128], [255, 255, 255]]]}
    assert yuv420_to_rgb(bytes(grey["y"]), bytes(grey["u"]), bytes(grey["v"]), 2, 2, 2, 1, 1).tolist() == grey["rgb"]
    errors = [
        {"name": "y_plane_too_short", "width": 4, "height": 2, "y_row_stride": 6, "uv_row_stride": 2,
         "uv_pixel_stride": 1, "y": [0] * 9, "u": [0, 0], "v": [0, 0], "error": "plane"},
        {"name": "row_stride_below_width", "width": 4, "height": 2, "y_row_stride": 3, "uv_row_stride": 2,
         "uv_pixel_stride": 1, "y": [0] * 8, "u": [0, 0], "v": [0, 0], "error": "stride"},
    ]
    description = (
        "Android YUV_420_888 to RGB. Planes are byte lists (0..255); a plane's last row is not padded. "
        "Pixel (x, y) reads Y = y[y*y_row_stride + x] and, with k = (y >> 1)*uv_row_stride + "
        "(x >> 1)*uv_pixel_stride, U = u[k], V = v[k] (chroma 2x2 subsampled; odd sizes round up). "
        "Full-range BT.601 (JFIF) in 16-bit fixed point, 32-bit integers: d = U - 128, e = V - 128, "
        "R = clamp((65536*Y + 91881*e + 32768) >> 16), G = clamp((65536*Y - 22554*d - 46802*e + 32768) >> 16), "
        "B = clamp((65536*Y + 116130*d + 32768) >> 16), >> the arithmetic shift (floor), clamp to 0..255 "
        "(91881, 22554, 46802, 116130 = round(65536 x 1.402, 0.34414, 0.71414, 1.772), libjpeg's constants). 'rgb' is rows of "
        "[R, G, B]. uv_pixel_stride 2 cases are NV21: v and u are views of one interleaved buffer "
        "starting one byte apart. Refused: a plane shorter than (rows - 1)*row_stride + (samples - 1)*pixel_stride + 1 "
        "('plane'); a row stride that cannot hold a row ('stride')."
    )
    return description, cases + [grey] + errors


def landmarks_cases() -> tuple[str, list[dict[str, Any]]]:
    width, height = 640, 480
    points = [[0.0, 0.0], [639.0, 0.0], [0.0, 479.0], [639.0, 479.0], [100.25, 37.5], [320.0, 240.0]]
    face = [[281.3, 201.7], [351.9, 199.2], [318.4, 240.6], [290.2, 279.9], [346.8, 278.1]]
    cases = []
    for rotation in ROTATIONS:
        for mirror in (False, True):
            view = frame_to_view(points, width, height, rotation, mirror)
            assert np.array_equal(view_to_frame(view, width, height, rotation, mirror), points)
            cases.append({
                "name": f"rotation_{rotation}{'_mirrored' if mirror else ''}", "width": width, "height": height,
                "rotation": rotation, "mirror": mirror, "view_size": list(view_size(width, height, rotation)),
                "points": points, "view_points": _floats(view), "landmarks": face,
                "view_landmarks": _floats(landmarks_to_view(face, width, height, rotation, mirror)),
            })
    cases.append({"name": "rotation_45", "width": width, "height": height, "rotation": 45, "mirror": False,
                  "points": points, "error": "rotation"})
    description = (
        "Points between a camera frame (width x height as delivered, before rotation) and its upright "
        "view: rotate 'rotation' degrees clockwise (Android's rotationDegrees), then, when 'mirror', flip "
        "left-right (front camera preview). Pixel-centre coordinates. rotation 0: (x, y); 90: "
        "(height - 1 - y, x); 180: (width - 1 - x, height - 1 - y); 270: (y, width - 1 - x); mirrored: "
        "x -> view_width - 1 - x. 'view_size' is [width, height] of the view. 'view_points' maps "
        "'points' (the inverse maps them back exactly). 'view_landmarks' maps the 5 'landmarks' (template "
        "order) and, when mirrored, reorders them [1, 0, 2, 4, 3] so the eye on the image's left stays "
        "first. Other rotations are refused ('error': 'rotation')."
    )
    return description, cases
