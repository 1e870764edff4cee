"""The ``edgerep face`` commands: what a user runs, end to end, on photos made from scikit-image's data."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from edgerep.cli import main
from edgerep.face import Gallery

data = pytest.importorskip("skimage.data", reason="scikit-image is in edgerep[face]")
Image = pytest.importorskip("PIL.Image")

MODEL = "edgeface_xxs"


def _lfw(i: int) -> np.ndarray:
    grey = np.kron(data.lfw_subset()[i], np.ones((8, 8)))
    return np.repeat((grey * 255).round().astype(np.uint8)[..., None], 3, axis=2)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faces")
    astro = data.astronaut()
    people = root / "people"
    (people / "ada").mkdir(parents=True)
    (people / "bob").mkdir()
    Image.fromarray(astro).save(people / "ada" / "a.jpg", quality=90)
    Image.fromarray(np.ascontiguousarray(astro[:, ::-1])).save(people / "ada" / "b.png")
    Image.fromarray(np.asarray(Image.fromarray(astro).rotate(10))).save(people / "ada" / "c.jpg")
    for i in (0, 1):
        Image.fromarray(_lfw(i)).save(people / "bob" / f"{i}.png")
    Image.fromarray(data.coffee()).save(people / "bob" / "no_face.jpg")
    Image.fromarray(np.asarray(Image.fromarray(astro).resize((400, 400)))).save(root / "probe.jpg")
    Image.fromarray(_lfw(1)[::-1].copy()).save(root / "upside_down.png")  # no detectable face
    return root


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_detect_and_align_with_detected_or_given_landmarks(photos: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = _run(capsys, "face", "detect", str(photos / "probe.jpg"), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["width"] == 400 and len(doc["faces"]) == 1 and len(doc["faces"][0]["landmarks"]) == 5
    (tmp_path / "faces.json").write_text(out)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert _run(capsys, "face", "align", str(photos / "probe.jpg"), "-o", str(a))[0] == 0
    assert _run(capsys, "face", "align", str(photos / "probe.jpg"), "--landmarks-json", str(tmp_path / "faces.json"),
                "-o", str(b))[0] == 0
    crop_a, crop_b = np.asarray(Image.open(a)), np.asarray(Image.open(b))
    assert crop_a.shape == (112, 112, 3)
    assert np.abs(crop_a.astype(int) - crop_b).max() <= 3  # landmarks rounded to 1e-3 px in the JSON
    flat = ",".join(str(v) for p in doc["faces"][0]["landmarks"] for v in p)
    c = tmp_path / "c.png"
    assert _run(capsys, "face", "align", str(photos / "probe.jpg"), "--landmarks", flat, "--size", "128", "-o", str(c))[0] == 0
    assert np.asarray(Image.open(c)).shape == (128, 128, 3)
    code, _, err = _run(capsys, "face", "align", str(photos / "probe.jpg"), "-o", str(a))
    assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "face", "align", str(photos / "upside_down.png"), "-o", str(tmp_path / "d.png"))
    assert code == 2 and "no face found" in err and not (tmp_path / "d.png").exists()
    code, _, err = _run(capsys, "face", "align", str(photos / "probe.jpg"), "--landmarks", "1,2,3", "-o", str(tmp_path / "e.png"))
    assert code == 2 and "10 numbers" in err


def test_enroll_identify_verify(photos: Path, tmp_path: Path, capsys) -> None:
    gallery = tmp_path / "gallery.json"
    code, out, err = _run(capsys, "face", "enroll", str(photos / "people"), "--model", MODEL, "-o", str(gallery))
    assert code == 0 and "2 identities, 5 embeddings" in out
    assert "no_face.jpg: no face found" in err and "[2/2] bob: 2 of 3 photos" in err
    g = Gallery.load(gallery)
    assert g.names == ["ada", "bob"] and g.identities[0].sources == ["ada/a.jpg", "ada/b.png", "ada/c.jpg"]
    code, out, _ = _run(capsys, "face", "identify", str(photos / "probe.jpg"), "--gallery", str(gallery), "--json")
    result = json.loads(out)
    assert code == 0 and result["identity"] == "ada" and result["score"] > result["scores"]["bob"]
    code, out, err = _run(capsys, "face", "verify", str(photos / "probe.jpg"), str(photos / "people" / "ada" / "c.jpg"),
                          "--model", MODEL, "--json")
    assert code == 0 and json.loads(out)["same"] is True
    # random weights: the results come with the note export prints (after them, once)
    assert err.count("note: random weights (no checkpoint given)") == 1
    # An existing gallery is kept unless --force; nothing is written when an identity has no face.
    before = gallery.read_bytes()
    code, _, err = _run(capsys, "face", "enroll", str(photos / "people"), "--model", MODEL, "-o", str(gallery))
    assert code == 2 and "--force" in err and gallery.read_bytes() == before
    empty = tmp_path / "people2"
    (empty / "carol").mkdir(parents=True)
    Image.fromarray(data.coffee()).save(empty / "carol" / "cup.jpg")
    code, _, err = _run(capsys, "face", "enroll", str(empty), "--model", MODEL, "-o", str(tmp_path / "g2.json"))
    assert code == 2 and "'carol'" in err and not (tmp_path / "g2.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_identify_refuses_a_gallery_of_other_weights(photos: Path, tmp_path: Path, capsys) -> None:
    g = Gallery.load(_enrolled(photos, tmp_path, capsys))
    doc = g.to_dict()
    doc["checkpoint_sha256"] = "0" * 64
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    code, _, err = _run(capsys, "face", "identify", str(photos / "probe.jpg"), "--gallery", str(other))
    assert code == 2 and "--checkpoint" in err
    doc["checkpoint_sha256"], doc["model"] = None, "edgeface_xs_gamma_06"
    doc["identities"] = []
    other.write_text(json.dumps(doc))
    code, out, _ = _run(capsys, "face", "identify", str(photos / "probe.jpg"), "--gallery", str(other))
    assert code == 0 and "unknown (the gallery is empty)" in out


def _enrolled(photos: Path, tmp_path: Path, capsys) -> Path:
    gallery = tmp_path / "g.json"
    assert _run(capsys, "face", "enroll", str(photos / "people"), "--model", MODEL, "-o", str(gallery))[0] == 0
    return gallery


def test_eval_runs_the_protocol_on_a_bin_file(photos: Path, tmp_path: Path, capsys) -> None:
    from edgerep.face.parity import default_faces

    crops, _ = default_faces(112, variations=7)
    astro, lfw = crops[:8], crops[8:28]
    bins, issame = [], []
    for i in range(20):  # 10 same (two astronaut variations), 10 different (two LFW people)
        a, b = (astro[i % 8], astro[(i + 3) % 8]) if i % 2 == 0 else (lfw[i], lfw[i - 1])
        for img in (a, b):
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="PNG")
            bins.append(buf.getvalue())
        issame.append(i % 2 == 0)
    path = tmp_path / "tiny.bin"
    path.write_bytes(pickle.dumps((bins, issame)))
    out_json = tmp_path / "eval.json"
    code, out, err = _run(capsys, "face", "eval", "--bin", str(path), "--model", MODEL, "--folds", "5",
                          "--json", str(out_json))
    assert code == 0 and "tiny.bin" in out and "TAR@FAR=1e-3" in out and "embed" in err
    doc = json.loads(out_json.read_text())
    r = doc["results"][0]
    assert r["pairs"] == 20 and doc["flip_sum"] is True and 0 <= r["accuracy"] <= 1
    assert r["threshold_cosine"] == pytest.approx(1 - r["threshold_sq_l2"] / 2)
    code, _, err = _run(capsys, "face", "eval", "--bin", str(path), "--model", MODEL, "--json", str(out_json))
    assert code == 2 and "--force" in err


def test_parity_command_writes_its_table(tmp_path: Path, capsys, shared_export_cache: Path) -> None:
    out_json = tmp_path / "parity.json"
    code, out, err = _run(capsys, "face", "parity", "--model", MODEL, "--targets", "ort", "--precision", "fp32",
                          "--json", str(out_json))
    assert code == 0 and "124 faces, 7626 pairs" in out and "onnx" in out
    row = json.loads(out_json.read_text())["rows"][0]
    assert row["status"] == "ok" and row["cosine_min"] >= 0.9999 and row["flips"] == 0
    code, _, err = _run(capsys, "face", "parity", "--model", MODEL, "--precision", "fp64")
    assert code == 2 and "fp32, fp16, int8" in err
