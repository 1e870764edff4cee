"""Does the exported model still recognize people? Embeddings of each artifact against torch.

For every artifact (target x precision) of a face model, on aligned real faces: the cosine between
the artifact's and the torch model's embedding of each face (min and mean), and how many of the
same/different decisions over all pairs of faces flip at the torch threshold. A pair's decision is
``cosine > threshold`` (:mod:`.matching`); the threshold is the user's; by default, with a
checkpoint, the one the face commands decide with (``matching.DEFAULT_THRESHOLD``, 0.35), and with
random weights, which have no trained threshold, the median of torch's pair cosines, where the most
decisions sit near it.

The default faces need no download: the astronaut photo of scikit-image's data (one face, found by
the detector and aligned) with 23 seeded variations (mirror, landmark jitter as a detector on another
frame would give, brightness, contrast, gamma, noise), plus the 100 face crops of scikit-image's
``lfw_subset`` (25 x 25 greyscale LFW faces, upscaled to the model's size). int8 artifacts made here
are calibrated on the same faces.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._optional import require
from .._text import one_line
from ..exporters.pipeline.precision import PRECISIONS
from ..exporters.pipeline.targets import get_target
from ..facecore.alignment import align, estimate_norm, to_uint8, warp_affine
from ..facecore.detect import MTCNN, largest
from .embed import ArtifactEmbedder, TorchEmbedder, cached_artifact
from ..facecore.frames import landmarks_to_view
from ..facecore.images import resize
from ..facecore.matching import DEFAULT_THRESHOLD, check_threshold

# torch and scikit-image (its sample faces; optional) are imported where used: edgerep runs without them.

FACES_LABEL = "skimage-astronaut24-lfw100"
# A row passes when its mean cosine to torch reaches MIN_COSINE and at most MAX_FLIP_RATE of the
# pair decisions flip (the export costs at most 1 decision in 100).
MIN_COSINE = 0.99
MAX_FLIP_RATE = 0.01
TARGETS = ("onnx", "tflite", "coreml")  # parity's default: every target there is


def default_faces(size: int = 112, detector: Any = None, variations: int = 23) -> tuple[np.ndarray, list[str]]:
    """Aligned real faces from scikit-image's data: (N x size x size x 3 uint8, labels)."""
    require("skimage")
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut())
    face = largest((detector or MTCNN()).detect(photo))
    if face is None:  # pragma: no cover - scikit-image's astronaut always has her face
        raise RuntimeError("no face found in scikit-image's astronaut photo")
    rng = np.random.default_rng(2024)
    crops, labels = [align(photo, face.landmarks, size)], ["astronaut"]
    mirrored = photo[:, ::-1]
    mirror_lm = landmarks_to_view(face.landmarks, photo.shape[1], photo.shape[0], 0, mirror=True)
    for k in range(variations):
        flip = k % 2 == 1
        img, lm = (mirrored, mirror_lm) if flip else (photo, face.landmarks)
        lm = lm + rng.normal(0, 1.5, lm.shape)  # another detection of the same face
        values = warp_affine(np.ascontiguousarray(img), estimate_norm(lm, size), size)
        gain, offset, gamma = rng.uniform(0.7, 1.3), rng.uniform(-25, 25), rng.uniform(0.7, 1.4)
        values = 255.0 * (np.clip(values * gain + offset, 0, 255) / 255.0) ** gamma
        values = values + rng.normal(0, rng.uniform(0, 6), values.shape)
        crops.append(to_uint8(values))
        labels.append(f"astronaut_{k}{'_mirrored' if flip else ''}")
    lfw = data.lfw_subset()[:100]  # the first 100 are faces, the rest are not

    for i, grey in enumerate(lfw):
        rgb = np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=2)
        crops.append(resize(rgb, size, size))
        labels.append(f"lfw_subset_{i}")
    return np.stack(crops), labels


def calibration_batch(crops: np.ndarray, mean: Sequence[float] = (0.5, 0.5, 0.5),
                      std: Sequence[float] = (0.5, 0.5, 0.5)) -> Any:
    """Normalized (N, 3, H, W) float tensor of aligned crops, for int8 calibration."""
    import torch

    x = crops.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


@dataclass
class ParityRow:
    model: str
    target: str
    precision: str
    runtime: str
    status: str  # ok, failed, unavailable
    reason: str | None = None
    cosine_min: float | None = None
    cosine_mean: float | None = None
    flips: int | None = None
    pairs: int | None = None
    artifact: str | None = None

    @property
    def flip_rate(self) -> float | None:
        return None if self.flips is None or not self.pairs else self.flips / self.pairs

    def judge(self, min_cosine: float, max_flip_rate: float) -> None:
        """Fail this measured row when it misses a bound (NaN misses every bound)."""
        if self.status != "ok":
            return
        missed = []
        if not (self.cosine_mean is not None and self.cosine_mean >= min_cosine):
            missed.append(f"mean cosine {self.cosine_mean:.4f} < {min_cosine:g}")
        rate = self.flip_rate
        if not (rate is not None and rate <= max_flip_rate):
            missed.append(f"{self.flips}/{self.pairs} flips ({100 * (rate or 0):.2f} %) > {100 * max_flip_rate:g} %")
        if missed:
            self.status, self.reason = "failed", "; ".join(missed)


@dataclass
class ParityResult:
    model: str
    faces: int
    pairs: int
    threshold: float
    threshold_source: str
    rows: list[ParityRow] = field(default_factory=list)
    min_cosine: float = MIN_COSINE
    max_flip_rate: float = MAX_FLIP_RATE

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "faces": self.faces, "pairs": self.pairs, "threshold": self.threshold,
                "threshold_source": self.threshold_source, "min_cosine": self.min_cosine,
                "max_flip_rate": self.max_flip_rate,
                "rows": [{**asdict(r), "flip_rate": r.flip_rate} for r in self.rows]}


def pair_cosines(emb: np.ndarray) -> np.ndarray:
    """Cosines of every pair i < j of normalized embeddings, in row-major order."""
    iu = np.triu_indices(len(emb), k=1)
    return (emb @ emb.T)[iu]


def parity(model: str, *, checkpoint: Any = None, targets: Sequence[str] = TARGETS,
           precisions: Sequence[str] = PRECISIONS, crops: np.ndarray | None = None,
           threshold: float | None = None, calibration_crops: np.ndarray | None = None,
           min_cosine: float = MIN_COSINE, max_flip_rate: float = MAX_FLIP_RATE,
           log: Callable[[str], None] | None = None) -> ParityResult:
    """Compare every (target, precision) artifact of ``model`` with torch on ``crops`` (default faces);
    a row that misses ``min_cosine`` (mean) or ``max_flip_rate`` is failed."""
    for name, bound in (("min_cosine", min_cosine), ("max_flip_rate", max_flip_rate)):
        if not 0.0 <= bound <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {bound}")

    emit = log or (lambda line: None)
    torch_emb = TorchEmbedder(model, checkpoint)
    size = torch_emb.size
    default = crops is None
    if default:
        emit("faces     scikit-image's astronaut (detected, aligned, 23 variations) + 100 lfw_subset crops")
        crops, _ = default_faces(size)
    if len(crops) < 2:
        raise ValueError(f"parity needs at least 2 faces, got {len(crops)}")
    calib_crops = crops if calibration_crops is None else calibration_crops
    reference = torch_emb(crops)
    ref_pairs = pair_cosines(reference)
    if threshold is None and checkpoint is not None:
        thr, source = DEFAULT_THRESHOLD, "the face commands' default"
    elif threshold is None:
        thr, source = float(np.median(ref_pairs)), "median torch pair cosine: random weights"
    else:
        thr, source = check_threshold(threshold), "given"
    result = ParityResult(torch_emb.spec.model, len(crops), len(ref_pairs), thr, source,
                          min_cosine=min_cosine, max_flip_rate=max_flip_rate)
    ref_same = ref_pairs > thr
    label = (FACES_LABEL if default and calibration_crops is None
             else "sha256:" + hashlib.sha256(np.ascontiguousarray(calib_crops).tobytes()).hexdigest())
    calibration = (label, lambda: calibration_batch(calib_crops, torch_emb.spec.mean, torch_emb.spec.std))
    for target in targets:
        for precision in precisions:
            impl = get_target(target)
            row = ParityRow(result.model, target, precision, impl.runtime, "ok")
            if impl.runtime_unavailable() is not None:
                row.status, row.reason = "unavailable", impl.runtime_unavailable()
                result.rows.append(row)
                emit(f"skip      {target} {precision}: {row.reason}")
                continue
            try:
                path = cached_artifact(result.model, target, precision, checkpoint, calibration, log=emit,
                                       work=torch_emb.work)
                emb = ArtifactEmbedder(path)(crops)
            except ImportError as exc:
                row.status, row.reason = "unavailable", one_line(exc, 200)
            except Exception as exc:  # noqa: BLE001 - a failing export or runtime is a result here
                row.status, row.reason = "failed", f"{type(exc).__name__}: {one_line(exc, 200)}"
            else:
                cos = np.sum(emb * reference, axis=1)
                pairs = pair_cosines(emb)
                row.cosine_min, row.cosine_mean = float(cos.min()), float(cos.mean())
                row.flips, row.pairs = int(np.sum((pairs > thr) != ref_same)), len(pairs)
                row.artifact = str(path)
                row.judge(min_cosine, max_flip_rate)
            result.rows.append(row)
            emit(f"parity    {target} {precision}: " + (
                f"cosine min {row.cosine_min:.8f} mean {row.cosine_mean:.8f}, {row.flips} of {row.pairs} decisions flip"
                if row.flips is not None else "") + ("" if row.status == "ok" else f" {row.status}: {row.reason}"))
    return result


def render_parity(result: ParityResult) -> str:
    """The parity table as text."""
    header = ["target", "precision", "runtime", "cosine min", "cosine mean", "flips", "flip %", "status"]
    rows = []
    for r in result.rows:
        measured = r.flips is not None
        rows.append([r.target, r.precision, r.runtime,
                     f"{r.cosine_min:.8f}" if measured else "-", f"{r.cosine_mean:.8f}" if measured else "-",
                     f"{r.flips}/{r.pairs}" if measured else "-",
                     f"{100 * r.flip_rate:.2f}" if measured and r.flip_rate is not None else "-",
                     "ok" if r.status == "ok" else f"{r.status}: {r.reason}"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = [f"{result.model}: {result.faces} faces, {result.pairs} pairs, threshold {result.threshold:.4f} "
             f"({result.threshold_source}); bounds: mean cosine >= {result.min_cosine:g}, "
             f"flips <= {100 * result.max_flip_rate:g} %"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"
