"""Matching rules and the gallery file edgerep.gallery/1."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from edgerep.face import EmbeddingSpec, Gallery, GalleryError, centroid, identify, l2_normalize
from edgerep.face.gallery import validate

DIM = 512


def _planted(seed: int = 0, people: int = 6, photos: int = 3, noise: float = 0.6):
    """Identities with a random direction each and noisy photos (raw, not normalized, any scale)."""
    rng = np.random.default_rng(seed)
    bases = rng.normal(size=(people, DIM))
    bases /= np.linalg.norm(bases, axis=1, keepdims=True)
    photos_of = {f"person{i}": (bases[i] + rng.normal(0, noise / math.sqrt(DIM), (photos, DIM)))
                 * rng.uniform(0.1, 50, (photos, 1)) for i in range(people)}
    probes = {name: bases[i] + rng.normal(0, noise / math.sqrt(DIM), DIM) for i, name in enumerate(photos_of)}
    return photos_of, probes


def _gallery(threshold: float = 0.35, **spec: object) -> Gallery:
    return Gallery(EmbeddingSpec("edgeface_xs_gamma_06", DIM, **spec), threshold)  # type: ignore[arg-type]


def test_centroid_is_the_normalized_mean_of_normalized_embeddings() -> None:
    e = np.array([[3.0, 0.0], [0.0, 0.5]])  # normalized: (1, 0) and (0, 1)
    assert np.allclose(centroid(e), [math.sqrt(0.5), math.sqrt(0.5)], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="zero"):
        centroid([[1.0, 2.0], [-2.0, -4.0]])  # they cancel out


def test_identify_takes_the_best_centroid_and_breaks_ties_by_gallery_order() -> None:
    cents = l2_normalize(np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8]]))
    m = identify([0.6, 0.8], ["a", "b", "c"], cents, 0.5)
    assert (m.name, m.best, m.scores) == ("b", "b", {"a": pytest.approx(0.6), "b": pytest.approx(1.0), "c": pytest.approx(1.0)})
    assert identify([0.6, 0.8], ["a", "c", "b"], cents, 0.5).name == "c"  # first of the tied pair


def test_a_score_equal_to_the_threshold_is_unknown() -> None:
    m = identify([3.0, 4.0], ["p"], [[1.0, 0.0]], 0.6)  # cosine exactly 0.6
    assert m.score == 0.6 and m.name is None and m.best == "p" and not m.known
    assert identify([3.0, 4.0], ["p"], [[1.0, 0.0]], math.nextafter(0.6, 0)).name == "p"
    empty = identify([1.0, 0.0], [], np.zeros((0, 2)), 0.3)
    assert (empty.name, empty.best, empty.score) == (None, None, None)


@pytest.mark.parametrize("bad", [[0.0, 0.0], [np.nan, 1.0], [np.inf, 0.0]])
def test_unusable_probes_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        identify(bad, ["p"], [[1.0, 0.0]], 0.3)


@pytest.mark.parametrize("threshold", [1.2, -1.01, float("nan"), float("inf")])
def test_thresholds_outside_the_cosine_range_are_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        _gallery(threshold)


def test_gallery_identifies_planted_identities_and_rejects_strangers() -> None:
    photos, probes = _planted()
    g = _gallery()
    for name, embs in photos.items():
        g.enroll(name, embs[:2])
        g.enroll(name, embs[2])  # adding a photo later extends the identity
    assert [len(i.embeddings) for i in g.identities] == [3] * len(photos)
    for name, probe in probes.items():
        m = g.identify(probe * 7.0)
        assert m.name == name and m.score > 0.5
    stranger = np.random.default_rng(99).normal(size=DIM)
    assert g.identify(stranger).name is None
    score, same = g.verify(photos["person0"][0], probes["person0"])
    assert same and score > 0.5
    assert g.verify(photos["person0"][0], photos["person1"][0])[1] is False


def test_gallery_round_trips_through_json(tmp_path: Path) -> None:
    photos, probes = _planted(seed=1)
    g = _gallery(0.41, runtime="litert", precision="int8", artifact_sha256="ab" * 32, template_size=128, flip_sum=True)
    for name, embs in photos.items():
        g.enroll(name, embs, sources=[f"{name}/{i}.jpg" for i in range(len(embs))])
    path = g.save(tmp_path / "g.json")
    back = Gallery.load(path)
    assert back.spec == g.spec and back.threshold == 0.41 and back.names == g.names
    assert all(i.sources == j.sources for i, j in zip(back.identities, g.identities))
    for name, probe in probes.items():
        a, b = g.identify(probe), back.identify(probe)
        assert a.name == b.name == name and a.scores == b.scores  # bit-identical after the round trip
    assert back.to_json() == path.read_text()
    doc = json.loads(path.read_text())
    assert doc["template"] == {"size": 128, "points": (np.array([[38.2946 + 8, 51.6963], [73.5318 + 8, 51.5014],
        [56.0252 + 8, 71.7366], [41.5493 + 8, 92.3655], [70.7299 + 8, 92.2041]])).tolist()}
    # float32 precision: every stored number is the shortest decimal of a float32
    e = doc["identities"][0]["embeddings"][0]
    assert all(float(np.float32(v)) == float(np.float32(float(str(np.float32(v))))) and len(repr(v)) <= 16 for v in e)
    assert abs(np.linalg.norm(e) - 1) < 1e-6


def test_enroll_refuses_bad_input() -> None:
    g = _gallery()
    with pytest.raises(ValueError, match="shape"):
        g.enroll("a", np.ones((2, DIM - 1)))
    with pytest.raises(ValueError, match="non-empty"):
        g.enroll("  ", np.ones(DIM))
    with pytest.raises(ValueError, match="non-finite"):
        g.enroll("a", np.full(DIM, np.nan))
    with pytest.raises(ValueError, match="sources"):
        g.enroll("a", np.ones((2, DIM)), sources=["x.jpg"])


def _doc() -> dict:
    g = _gallery()
    photos, _ = _planted(seed=2, people=2, photos=2)
    for name, embs in photos.items():
        g.enroll(name, embs)
    return json.loads(g.to_json())


@pytest.mark.parametrize("edit, field, words", [
    (lambda d: d["identities"][1]["embeddings"][0].__setitem__(3, float("nan")), "identities[1].embeddings[0][3]", "NaN"),
    (lambda d: d["identities"][0]["embeddings"][1].__setitem__(0, float("-inf")), "identities[0].embeddings[1][0]", "-Infinity"),
    (lambda d: d["identities"][0]["embeddings"][1].pop(), "identities[0].embeddings[1]", "511 numbers, expected embedding_size 512"),
    (lambda d: d.__setitem__("schema", "edgerep.gallery/2"), "schema", "upgrade edgerep"),
    (lambda d: d.__setitem__("schema", "edgerep.bench/1"), "schema", "expected 'edgerep.gallery/1'"),
    (lambda d: d["matching"].__setitem__("threshold", 1.5), "matching.threshold", "must be <= 1, got 1.5"),
    (lambda d: d["matching"].pop("threshold"), "matching.threshold", "missing"),
    (lambda d: d["identities"][1].__setitem__("name", d["identities"][0]["name"]), "identities[1].name", "twice"),
    (lambda d: d.__setitem__("treshold", 0.3), "treshold", "unknown field"),
    (lambda d: d.__setitem__("artifact_sha256", "ABC"), "artifact_sha256", "does not match the pattern ^[0-9a-f]{64}$"),
    (lambda d: d["template"].__setitem__("size", 112.0), "template.size", "expected integer, got number 112.0"),
    (lambda d: d["template"]["points"][0].__setitem__(0, 40.0), "template.points", "ArcFace"),
    (lambda d: d["normalization"].__setitem__("flip_sum", 0), "normalization.flip_sum", "expected boolean, got integer 0"),
    (lambda d: d["identities"][0].__setitem__("embeddings", []), "identities[0].embeddings", "needs at least 1 item(s)"),
    (lambda d: d["identities"][0]["embeddings"][0].__setitem__(slice(None), [0] * DIM), "identities[0].embeddings[0]", "norm is zero"),
    (lambda d: d.__setitem__("embedding_size", True), "embedding_size", "expected integer, got boolean true"),
])
def test_loading_names_the_file_and_the_field(tmp_path: Path, edit, field: str, words: str) -> None:  # noqa: ANN001
    doc = _doc()
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))  # json writes NaN/Infinity, which its reader accepts: we must not
    with pytest.raises(GalleryError) as info:
        Gallery.load(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"invalid gallery {path}: ")
    assert f"{field}: " in message and words in message, message


def test_loading_non_json_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(GalleryError, match="not valid JSON"):
        Gallery.load(tmp_path / "x.json")
    with pytest.raises(FileNotFoundError, match="face enroll"):
        Gallery.load(tmp_path / "missing.json")


def test_schema_file_describes_what_is_written() -> None:
    """The JSON Schema beside the module accepts what to_json writes and rejects what validate rejects."""
    from edgerep._schema import schema_errors
    from edgerep.face.gallery import schema

    doc = _doc()
    doc["identities"][0]["sources"] = ["a.jpg", "b.jpg"]
    validate(doc)
    assert schema_errors(schema(), doc) == []
    assert set(schema()["required"]) == set(doc) - {"sources"} == set(schema()["properties"])
    for key in ("template", "normalization", "matching"):
        assert set(schema()["properties"][key]["required"]) == set(doc[key])
    for bad in ({**doc, "schema": "edgerep.gallery/2"}, {**doc, "precision": "float"},
                {**doc, "matching": {**doc["matching"], "extra": 1}}, {k: v for k, v in doc.items() if k != "model"}):
        assert schema_errors(schema(), bad)
        with pytest.raises(GalleryError):
            validate(bad)


def test_the_portable_rules_import_numpy_only() -> None:
    """Alignment, matching, gallery files and frames run without torch or any runtime imported."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, edgerep.face as f\n"
            "f.align(np.zeros((60, 60, 3), np.uint8), f.template(112) * 0.4)\n"
            "g = f.Gallery(f.EmbeddingSpec('m', 4)); g.enroll('a', [1.0, 2, 3, 4]); g.identify([1.0, 2, 3, 5])\n"
            "f.Gallery.from_dict(g.to_dict()); f.yuv420_to_rgb(bytes(4), bytes(1), bytes(1), 2, 2, 2, 1, 1)\n"
            "heavy = ('torch', 'onnxruntime', 'onnx', 'coremltools', 'litert_torch', 'ai_edge_litert', 'cv2', 'PIL')\n"
            "print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_gallery_written_by_the_kotlin_core_loads_and_identifies_as_edgerep() -> None:
    """tests/fixtures/kotlin_core_gallery.json was written by the Android face demo's core
    (KotlinGalleryForEdgerepTest, `android_harness/core/test.sh --update-fixture`): the golden gallery
    imported, then edited as the phone edits it (rename, delete, enroll from the camera, a new threshold).
    edgerep loads it; the numbers the phone stored are edgerep's float32-shortest values of the same
    normalized embeddings; the golden probes get the identities the Kotlin core gave them."""
    from edgerep.face.gallery import float32_shortest
    from tools.conformance.face import GOLDEN_ARTIFACT_SHA256, golden_gallery

    written = Gallery.load(Path(__file__).parent / "fixtures" / "kotlin_core_gallery.json")
    golden, probes = golden_gallery()
    assert written.names == ["ada lovelace", "zo\u00eb", "marie curie"]
    assert written.threshold == 0.3 and written.spec == golden.spec
    assert written.spec.artifact_sha256 == GOLDEN_ARTIFACT_SHA256
    ada, zoe, marie = written.identities
    assert np.array_equal(ada.embeddings, golden.identities[0].embeddings) and ada.sources == golden.identities[0].sources
    # Enrolled on the phone: normalized and rounded there, bit for bit as edgerep does it.
    assert marie.embeddings[0].tolist() == float32_shortest(l2_normalize(probes[2]))
    assert zoe.embeddings[1].tolist() == float32_shortest(l2_normalize(probes[1]))
    assert zoe.sources == ["zo\u00eb/0.jpg", "camera 2026-11-30T10:16:00Z shot 1"]
    assert [written.identify(p).name for p in probes] == [None, "zo\u00eb", "marie curie", "ada lovelace"]
