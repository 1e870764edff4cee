"""The face golden vectors hold what their descriptions say, checked with the independent
implementations of tests/face_reference.py (what a Kotlin or Swift port would compute)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tools.conformance import vectors
from edgerep.face import Gallery, GalleryError

from .face_reference import identify_by_hand, normalize, umeyama_svd, warp_by_hand, yuv_by_hand


FACE_SECTIONS = ("alignment", "matching", "gallery", "yuv", "landmarks")


def _render(section: str) -> dict:
    description, cases = vectors._function(vectors.SECTIONS[section])()
    # The same JSON round trip as the written files (exact doubles, no NaN).
    return json.loads(json.dumps({"section": section, "description": description, "cases": cases}, allow_nan=False))


@pytest.fixture(scope="module")
def sections() -> dict[str, dict]:
    return {name: _render(name) for name in FACE_SECTIONS}


def test_face_sections_are_registered_and_reproducible(sections: dict[str, dict]) -> None:
    for name, doc in sections.items():
        assert _render(name) == doc  # no dates, no randomness
        assert vectors.SECTIONS[name].startswith("tools.conformance.face:") and len(doc["description"]) > 300
        assert any("error" not in c for c in doc["cases"])


def test_alignment_vectors(sections: dict[str, dict]) -> None:
    cases = sections["alignment"]["cases"]
    fits = [c for c in cases if "matrix" in c]
    assert {c["size"] for c in fits} == {112, 128} and len(fits) >= 14
    assert any("reflected" in c["name"] for c in fits) and any("upside_down" in c["name"] for c in fits)
    for c in fits:
        assert np.allclose(c["matrix"], umeyama_svd(c["landmarks"], c["template"]), rtol=1e-10, atol=1e-9), c["name"]
    warps = [c for c in cases if "image" in c]
    assert len(warps) == 2
    for c in warps:
        image = np.array(c["image"], dtype=np.uint8)
        assert image.shape == (c["height"], c["width"], 3) == (40, 48, 3)
        yy, xx = np.mgrid[0:40, 0:48]
        assert np.array_equal(image[..., 0], (7 * xx + 3 * yy) % 256)
        assert np.array_equal(image[..., 1], (xx * xx + 2 * yy * yy + 11) % 256)
        assert np.array_equal(image[..., 2], (250 - 5 * xx + 4 * yy) % 256)
        values = warp_by_hand(image, np.array(c["matrix"]), c["size"])
        uint8 = np.clip(np.floor(values + 0.5), 0, 255).astype(np.int64)
        assert len(c["pixels"]) >= 40
        for p in c["pixels"]:
            assert values[p["y"], p["x"]].tolist() == p["value"]  # bit for bit
            assert uint8[p["y"], p["x"]].tolist() == p["uint8"]
        assert int(uint8.sum()) == c["uint8_sum"]
        flat = uint8.reshape(-1)
        assert int((flat * np.arange(1, flat.size + 1)).sum()) == c["uint8_weighted_sum"]
        border = sum(1 for p in c["pixels"] if p["value"] == [0.0, 0.0, 0.0])
        assert 0 < border < len(c["pixels"])  # both inside and outside the image are sampled
    assert {c["error"] for c in cases if "error" in c} == {"degenerate", "size"}


def test_matching_vectors(sections: dict[str, dict]) -> None:
    cases = sections["matching"]["cases"]
    seen = {"unknown": 0, "known": 0, "tie": 0}
    for c in cases:
        if "probes" in c:
            for p in c["probes"]:
                identity, best, score = identify_by_hand(c["gallery"], p["embedding"], c["threshold"])
                e = p["expected"]
                assert (e["identity"], e["best"]) == (identity, best), c["name"]
                assert (score is None and e["score"] is None) or abs(score - e["score"]) < 1e-12
                seen["known" if identity else "unknown"] += 1
                seen["tie"] += len(e["scores"]) > 1 and e["scores"][0] == e["scores"][1]
        elif "pairs" in c:
            for p in c["pairs"]:
                score = sum(a * b for a, b in zip(normalize(p["a"]), normalize(p["b"])))
                assert abs(score - p["expected"]["score"]) < 1e-12 and p["expected"]["same"] == (score > p["threshold"])
    assert min(seen.values()) >= 2
    equal = next(c for c in cases if c["name"] == "strict_threshold_equal_is_unknown")
    assert equal["probes"][0]["expected"] == {"identity": None, "best": "p", "score": 0.6, "scores": [0.6]}


def test_gallery_vectors(sections: dict[str, dict], tmp_path: Path) -> None:
    case = sections["gallery"]["cases"][0]
    path = tmp_path / "gallery.json"
    path.write_text(case["text"], "utf-8")
    gallery = Gallery.load(path)
    assert gallery.to_json() == case["text"]  # what enroll writes is what load reads back
    doc = json.loads(case["text"])
    assert "zo\\u00eb" in case["text"] and case["text"].isascii()
    names = []
    for p in case["probes"]:
        identity, best, score = identify_by_hand(doc["identities"], p["embedding"], doc["matching"]["threshold"])
        assert (identity, best) == (p["expected"]["identity"], p["expected"]["best"])
        assert abs(score - p["expected"]["score"]) < 1e-12
        names.append(identity)
    assert None in names and len(set(names)) == len(names)
    for bad in case["invalid"]:
        path.write_text(bad["text"], "utf-8")
        with pytest.raises(GalleryError, match=bad["field"].replace("[", r"\[").replace("]", r"\]") + ": "):
            Gallery.load(path)


def test_yuv_vectors(sections: dict[str, dict]) -> None:
    strides = set()
    for c in sections["yuv"]["cases"]:
        if "error" in c:
            continue
        got = yuv_by_hand(bytes(c["y"]), bytes(c["u"]), bytes(c["v"]), c["width"], c["height"], c["y_row_stride"],
                          c["uv_row_stride"], c["uv_pixel_stride"])
        assert got.tolist() == c["rgb"], c["name"]
        strides.add((c["uv_pixel_stride"], c["y_row_stride"] > c["width"]))
    assert strides >= {(1, True), (1, False), (2, True), (2, False)}


def test_landmark_vectors(sections: dict[str, dict]) -> None:
    cases = [c for c in sections["landmarks"]["cases"] if "error" not in c]
    assert {(c["rotation"], c["mirror"]) for c in cases} == {(r, m) for r in (0, 90, 180, 270) for m in (False, True)}
    for c in cases:
        w, h = c["width"], c["height"]
        vw = h if c["rotation"] in (90, 270) else w
        table = {0: lambda x, y: (x, y), 90: lambda x, y: (h - 1 - y, x), 180: lambda x, y: (w - 1 - x, h - 1 - y),
                 270: lambda x, y: (y, w - 1 - x)}[c["rotation"]]

        def to_view(pts: list[list[float]]) -> list[list[float]]:
            out = [list(table(x, y)) for x, y in pts]
            return [[vw - 1 - x, y] for x, y in out] if c["mirror"] else out

        assert c["view_points"] == to_view(c["points"])
        expected = to_view(c["landmarks"])
        if c["mirror"]:
            expected = [expected[i] for i in (1, 0, 2, 4, 3)]
        assert np.allclose(c["view_landmarks"], expected, rtol=0, atol=1e-12)
