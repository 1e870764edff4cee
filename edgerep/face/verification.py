"""The InsightFace verification protocol: ``.bin`` pair files and the 10-fold metrics.

``.bin`` files (LFW, CFP-FP, AgeDB-30, CALFW, CPLFW) are pickles of ``(bins, issame_list)``: ``bins``
the encoded images, pairs stored as images 2i and 2i+1. A pickle can run code when it is loaded, so
:func:`load_bin` uses an unpickler that refuses every global: the file may hold only lists, tuples,
bytes, strings, booleans and numbers (what the published files hold); anything else is refused
before it is built. Files written by Python 2 load with ``encoding='bytes'``; protocol-2 files
written by Python 3 name ``_codecs.encode`` (and ``bytes``/``bytearray``) to rebuild bytes, which are
resolved to functions that only turn latin-1 text or bytes into bytes. ``issame`` values must be
booleans: True/False or 1/0, nothing else.

:func:`verification_metrics` follows ``recognition/arcface_torch/eval/verification.py``:

- squared L2 distance between the L2-normalized embeddings of each pair (``2 - 2 cos``);
- 10 contiguous folds (``KFold(n_splits=10, shuffle=False)``: the first ``n % 10`` folds hold one
  pair more);
- accuracy: per fold, the threshold of ``0, 0.01, ..., 3.99`` with the best accuracy on the other 9
  folds (the first on ties), a pair being "same" when its distance is *below* the threshold; that
  threshold's accuracy on the fold; mean and population std over the folds;
- TAR at FAR 1e-3 (``calculate_val``): per fold, on the other folds the FAR of every threshold
  ``0, 0.001, ..., 3.999``; the threshold reaching FAR 1e-3, interpolated linearly between the last
  threshold below it and the first at or above it (0 when no threshold reaches it); the fold's
  TAR at that threshold; the mean over folds.

``threshold_sq_l2`` is the mean of the folds' best thresholds and ``threshold_cosine`` the same
decision as a cosine, ``1 - threshold_sq_l2 / 2`` (a pair is the same person when its cosine is above
it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._files import read_bytes
from ..safe_pickle import PLAIN_BYTES_GLOBALS, UnsafePickleError, loads
from ..facecore.matching import l2_normalize

FAR_TARGET = 1e-3


def _unpickle(data: bytes, encoding: str) -> Any:
    """Plain data only: every global a pickle names is refused (edgerep.safe_pickle), except the
    three protocol 2 uses to write bytes, each replaced by a function that only builds bytes."""
    return loads(data, PLAIN_BYTES_GLOBALS, encoding=encoding)


def load_bin(path: str | Path) -> tuple[list[bytes], np.ndarray]:
    """``(images, issame)`` of an InsightFace ``.bin`` file: 2N encoded images and N booleans."""

    path = Path(path)
    data = read_bytes(path, ".bin file", limit="bin")  # a regular file of sane size, never a FIFO
    try:
        try:
            doc = _unpickle(data, "ASCII")
        except UnicodeDecodeError:  # Python 2 str holding image bytes
            doc = _unpickle(data, "bytes")
    except UnsafePickleError as exc:
        raise ValueError(f"{path}: a .bin pair file holds only lists of encoded images and booleans; "
                         f"this one {exc}") from None
    except Exception as exc:  # noqa: BLE001 - truncated or not a pickle at all
        raise ValueError(f"{path} is not an InsightFace .bin pair file ({type(exc).__name__}: {exc})") from None
    if not (isinstance(doc, (tuple, list)) and len(doc) == 2):
        raise ValueError(f"{path}: expected a pickled (images, issame) pair, got {type(doc).__name__}")
    bins, issame = doc
    if not isinstance(bins, (list, tuple)) or not all(isinstance(b, (bytes, bytearray)) for b in bins):
        raise ValueError(f"{path}: the first element must be a list of encoded images (bytes)")
    if not isinstance(issame, (list, tuple)) or not all(
            isinstance(v, (bool, int)) and not isinstance(v, float) and v in (0, 1) for v in issame):
        bad = next((v for v in issame if not (isinstance(v, (bool, int)) and v in (0, 1))), None) \
            if isinstance(issame, (list, tuple)) else issame
        raise ValueError(f"{path}: the second element must be a list of booleans (True/False or 1/0: same "
                         f"person or not); found {bad!r:.40}")
    if len(bins) != 2 * len(issame) or not issame:
        raise ValueError(f"{path}: {len(bins)} images for {len(issame)} pairs (expected 2 images per pair)")
    return [bytes(b) for b in bins], np.asarray(issame, dtype=bool)


def fold_slices(n: int, folds: int) -> list[slice]:
    """Contiguous folds as ``KFold(n_splits=folds, shuffle=False)`` splits ``n`` items."""
    base, extra = divmod(n, folds)
    out, start = [], 0
    for k in range(folds):
        size = base + (1 if k < extra else 0)
        out.append(slice(start, start + size))
        start += size
    return out


def _rates(dist: np.ndarray, same: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy, TAR and FAR of every threshold (rows) over the pairs (columns)."""
    predict = dist[None, :] < thresholds[:, None]
    tp = (predict & same).sum(1)
    fp = (predict & ~same).sum(1)
    tn = (~predict & ~same).sum(1)
    n_same, n_diff = int(same.sum()), int((~same).sum())
    acc = (tp + tn) / dist.size
    tar = tp / n_same if n_same else np.zeros(len(thresholds))
    far = fp / n_diff if n_diff else np.zeros(len(thresholds))
    return acc, tar, far


def _threshold_at_far(far: np.ndarray, thresholds: np.ndarray, target: float) -> float:
    if far.max() < target:
        return 0.0
    k = int(np.argmax(far >= target))
    if k == 0:
        return float(thresholds[0])
    f0, f1 = far[k - 1], far[k]
    return float(thresholds[k - 1] + (target - f0) * (thresholds[k] - thresholds[k - 1]) / (f1 - f0))


def verification_metrics(emb_a: Any, emb_b: Any, issame: Any, folds: int = 10) -> dict[str, Any]:
    """The InsightFace protocol's figures for pairs ``(emb_a[i], emb_b[i])`` (see the module doc).

    Embeddings are normalized here (pass flip-summed ones for the protocol's figures).
    """

    a, b = l2_normalize(emb_a, "emb_a"), l2_normalize(emb_b, "emb_b")
    same = np.asarray(issame, dtype=bool)
    if a.ndim != 2 or a.shape != b.shape or same.shape != (len(a),):
        raise ValueError(f"emb_a {a.shape}, emb_b {b.shape} and issame {same.shape} must describe the same N pairs")
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= len(a):
        raise ValueError(f"folds must be an integer between 2 and the number of pairs ({len(a)}), got {folds!r}")
    dist = np.sum((a - b) ** 2, axis=1)
    coarse = np.arange(0, 4, 0.01)
    fine = np.arange(0, 4, 0.001)
    accuracy, best, tar, far = [], [], [], []
    for part in fold_slices(len(a), folds):
        test = np.zeros(len(a), bool)
        test[part] = True
        train = ~test
        acc_train, _, _ = _rates(dist[train], same[train], coarse)
        k = int(np.argmax(acc_train))
        acc_test, _, _ = _rates(dist[test], same[test], coarse[k:k + 1])
        accuracy.append(float(acc_test[0]))
        best.append(float(coarse[k]))
        _, _, far_train = _rates(dist[train], same[train], fine)
        t = _threshold_at_far(far_train, fine, FAR_TARGET)
        _, tar_test, far_test = _rates(dist[test], same[test], np.array([t]))
        tar.append(float(tar_test[0]))
        far.append(float(far_test[0]))
    threshold = float(np.mean(best))
    return {
        "pairs": int(len(a)),
        "folds": folds,
        "accuracy": float(np.mean(accuracy)),
        "accuracy_std": float(np.std(accuracy)),
        "threshold_sq_l2": threshold,
        "threshold_cosine": 1.0 - threshold / 2.0,
        "tar_at_far": float(np.mean(tar)),
        "tar_at_far_std": float(np.std(tar)),
        "far": float(np.mean(far)),
        "far_target": FAR_TARGET,
        "fold_accuracy": accuracy,
        "fold_threshold_sq_l2": best,
    }
