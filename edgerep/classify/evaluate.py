"""Does the exported classifier still classify? Accuracy and agreement of every export with torch.

For a classification model and a folder of photos (:mod:`.photos`), torch fp32 (the fused model,
with the user's checkpoint) is the reference; each artifact (target x precision, exported into the
benchmarks' cache, or files the user gives) runs on the same preprocessed photos. Per row: top-1 and
top-5 accuracy when the photos carry labels, top-1 agreement with torch (the share of photos whose
top class is torch's), and the cosine between the row's and torch's logits (min and median).

A row passes when its agreement and median cosine reach the bounds (defaults: the int8 targets of
issue 21, agreement >= 95 %, median cosine >= 0.99); the command exits 1 when a row fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .._text import one_line
from ..exporters.pipeline.precision import Precision
from .photos import Photos, load_crops, normalize

MIN_AGREEMENT = 0.95
MIN_COSINE = 0.99


@dataclass
class Row:
    target: str  # "torch" for the reference
    precision: str
    runtime: str
    status: str  # ok, failed (missed a bound, or could not run), unavailable
    reason: str | None = None
    images: int = 0
    top1: float | None = None
    top5: float | None = None
    agreement: float | None = None
    cosine_min: float | None = None
    cosine_median: float | None = None
    artifact: str | None = None


@dataclass
class Result:
    model: str
    images: int
    labels: str
    checkpoint: str | None
    min_agreement: float
    min_cosine: float
    rows: list[Row] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "images": self.images, "labels": self.labels, "checkpoint": self.checkpoint,
                "min_agreement": self.min_agreement, "min_cosine": self.min_cosine,
                "rows": [asdict(r) for r in self.rows]}


def topk(logits: np.ndarray, labels: Sequence[int] | None, k: int) -> float | None:
    """The share of rows whose label is among the ``k`` largest logits (None without labels)."""
    if labels is None:
        return None
    best = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(best == np.asarray(labels)[:, None], axis=1)))


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine between matching rows of ``a`` and ``b`` (a zero row gives NaN, which fails a bound)."""
    num = np.sum(a * b, axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def score(row: Row, logits: np.ndarray, reference: np.ndarray, labels: Sequence[int] | None,
          min_agreement: float, min_cosine: float) -> Row:
    """Fill ``row``'s figures from its logits and judge it against the bounds."""
    if not np.isfinite(logits).all():
        bad = int((~np.isfinite(logits)).sum())
        row.status, row.reason = "failed", f"{bad} non-finite logits (NaN or infinity)"
        return row
    cos = row_cosines(logits, reference)
    row.images = len(logits)
    row.top1, row.top5 = topk(logits, labels, 1), topk(logits, labels, 5)
    row.agreement = float(np.mean(np.argmax(logits, 1) == np.argmax(reference, 1)))
    row.cosine_min, row.cosine_median = float(np.min(cos)), float(np.median(cos))
    missed = []
    if not row.agreement >= min_agreement:
        missed.append(f"agreement {100 * row.agreement:.1f} % < {100 * min_agreement:.1f} %")
    if not row.cosine_median >= min_cosine:  # NaN fails too
        missed.append(f"median cosine {row.cosine_median:.4f} < {min_cosine}")
    if missed:
        row.status, row.reason = "failed", "; ".join(missed)
    return row


def classifier_spec(model: str) -> Any:
    """The registry entry of ``model``; ValueError when it is not a classifier."""
    from ..registry import get_spec

    spec = get_spec(model)
    if spec.task != "classification":
        raise ValueError(f"{model} is a {spec.task} model; 'edgerep eval' measures classifiers "
                         "(for face models: 'edgerep face parity')")
    return spec


def evaluate(model: str, photos: Photos, *, checkpoint: str | Path | None = None,
             targets: Sequence[str] = ("onnx", "tflite"), precisions: Sequence[str] = ("fp32", "fp16", "int8"),
             artifacts: Sequence[str | Path] = (), calibration: str | Path | None = None,
             min_agreement: float = MIN_AGREEMENT, min_cosine: float = MIN_COSINE,
             log: Callable[[str], None] | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> Result:
    """Evaluate torch and every requested export of ``model`` on ``photos``."""
    import torch

    from ..bench.workload import Workload

    emit = log or (lambda line: None)
    spec = classifier_spec(model)
    for name, bound in (("--min-agreement", min_agreement), ("--min-cosine", min_cosine)):
        if not 0.0 <= bound <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {bound}")
    size = tuple(spec.input_size[1:])
    def tick(what: str) -> Callable[[int], None]:
        return (lambda i: progress(what, i, len(photos))) if progress else (lambda i: None)

    crops = load_crops(photos, size, spec.crop_pct, spec.interpolation, tick("photos"))
    result = Result(spec.name, len(photos), photos.label_source, None if checkpoint is None else str(checkpoint),
                    min_agreement, min_cosine)
    work = Workload.from_registry(spec.name, checkpoint)
    module = work.reference("fused")
    x = normalize(crops, spec.mean, spec.std)
    chunks = []
    with torch.inference_mode():
        for i in range(0, len(x), 32):
            chunks.append(module(torch.from_numpy(x[i:i + 32])).double().numpy())
            tick("torch")(min(i + 32, len(x)))
    reference = np.concatenate(chunks)
    if not np.isfinite(reference).all():
        raise ValueError(f"torch's {spec.name} gives non-finite logits on these photos: the weights are broken")
    ref_row = Row("torch", "fp32", "torch", "ok")
    score(ref_row, reference, reference, photos.labels, 0.0, 0.0)
    result.rows.append(ref_row)
    for path, target, precision in _artifacts(work, targets, precisions, artifacts, calibration, result, emit):
        row = result.rows[-1]
        try:
            from ..exporters.pipeline.artifact import Artifact

            art = Artifact(path)
            if art.model != spec.name:
                raise ValueError(f"artifact {path} holds {art.model}, not {spec.name}")
            row.artifact, row.precision = str(path), art.precision
            step, chunks = tick(f"{art.target.name} {art.precision}"), []
            for i in range(0, len(crops), 50):
                chunks.append(art(crops[i:i + 50]))
                step(min(i + 50, len(crops)))
            logits = np.concatenate(chunks)
        except ImportError as exc:
            row.status, row.reason = "unavailable", one_line(exc, 200)
        except Exception as exc:  # noqa: BLE001 - a failing export or runtime is a result here
            row.status, row.reason = "failed", f"{type(exc).__name__}: {one_line(exc, 200)}"
        else:
            score(row, logits, reference, photos.labels, min_agreement, min_cosine)
        emit(f"eval      {row.target} {row.precision}: " + (
            f"agreement {100 * row.agreement:.1f} %, median cosine {row.cosine_median:.6f}"
            if row.agreement is not None else f"{row.status}: {row.reason}"))
    return result


def _artifacts(work: Any, targets: Sequence[str], precisions: Sequence[str], artifacts: Sequence[str | Path],
               calibration: Any, result: Result,
               emit: Callable[[str], None]):  # noqa: ANN202 - a generator of (path, target, precision)
    """Yield each artifact to evaluate, after appending its row to ``result`` (rows that cannot be
    made are appended as unavailable / failed and not yielded). Exports are made from ``work``, the
    workload torch ran (built and loaded once), into the benchmarks' export cache."""
    from ..exporters.pipeline.cache import ExportCache, export_cached
    from ..exporters.pipeline.targets import get_target

    if artifacts:
        from ..exporters.pipeline.artifact import target_for

        for path in artifacts:
            impl = target_for(Path(path)).load()
            result.rows.append(Row(impl.name, "?", impl.runtime, "ok"))
            yield Path(path), impl.name, None
        return
    label = None
    if calibration is not None:
        from .._io import tree_sha256

        label = ("dir:" + str(Path(calibration).resolve()) + ":" + tree_sha256(Path(calibration))
                 if Path(calibration).is_dir() else "file:" + tree_sha256(Path(calibration)))
    cache = ExportCache()
    for target in targets:
        impl = get_target(target)
        for precision in precisions:
            row = Row(impl.name, precision, impl.runtime, "ok")
            result.rows.append(row)
            if impl.runtime_unavailable() is not None:
                row.status, row.reason = "unavailable", impl.runtime_unavailable()
                continue
            try:
                path = export_cached(work, target, Precision.parse(precision), cache, log=emit,
                                     calibration=None if label is None else (label, lambda: calibration)).path
            except ImportError as exc:
                row.status, row.reason = "unavailable", one_line(exc, 200)
                continue
            except Exception as exc:  # noqa: BLE001 - a failing export is a result here
                row.status, row.reason = "failed", f"export: {type(exc).__name__}: {one_line(exc, 200)}"
                continue
            yield path, target, precision


def render(result: Result) -> str:
    """The evaluation table as text."""
    from .._text import format_table

    pct = lambda v: "-" if v is None else f"{100 * v:.1f}"  # noqa: E731
    rows = [[r.target, r.precision, r.runtime, str(r.images or "-"), pct(r.top1), pct(r.top5), pct(r.agreement),
             "-" if r.cosine_min is None else f"{r.cosine_min:.4f}",
             "-" if r.cosine_median is None else f"{r.cosine_median:.6f}",
             r.status if r.reason is None else f"{r.status}: {r.reason}"] for r in result.rows]
    head = (f"{result.model}: {result.images} photos, labels: {result.labels}; bounds: agreement >= "
            f"{100 * result.min_agreement:g} %, median cosine >= {result.min_cosine:g}")
    return head + "\n" + format_table(
        ["target", "precision", "runtime", "images", "top-1 %", "top-5 %", "agree %", "cos min", "cos median",
         "status"], rows) + "\n"

