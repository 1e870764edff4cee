"""Numeric verification of an exported artifact against the fused torch model, and the graph audit."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from edgerep.counting import to_meta
from edgerep.facecore.matching import DEFAULT_THRESHOLD

from .checks import Audit, Verification
from .precision import Precision

# The pass criterion per precision (metric, bound) is Precision.bound.

# int8 against fp32 on held-out images of the calibration domain, per task (issue 21's targets):
# classifiers keep their top-1 and their logits' direction, face embedders their embeddings and the
# same/different decisions over every pair of held-out faces.
INT8_BOUNDS: dict[str, dict[str, float]] = {
    "classification": {"top1_agreement": 0.95, "cosine_median": 0.99},
    "face-embedding": {"cosine_min": 0.98, "cosine_mean": 0.99, "flip_rate": 0.01},
    "custom": {"cosine_median": 0.99},
}
_AT_LEAST = {"top1_agreement", "cosine_median", "cosine_min", "cosine_mean"}

# Op types that must not survive fusion, per format (lower-cased substrings of op type names).
_FORBIDDEN = {"batchnorm": "BatchNorm", "batch_norm": "BatchNorm", "dropout": "Dropout"}


def non_finite(arrays: list[np.ndarray]) -> dict[str, Any] | None:
    """Where NaN or Inf first appears in a list of batches (sample index over all batches, element
    index within the sample), and how many elements are non-finite in all; None when all are finite."""
    count = size = 0
    first = None
    offset = 0
    for a in arrays:
        flat = np.asarray(a).reshape(len(a), -1) if np.ndim(a) else np.asarray(a).reshape(1, 1)
        bad = ~np.isfinite(flat)
        count += int(bad.sum())
        size += flat.size
        if first is None and bad.any():
            sample, element = np.argwhere(bad)[0]
            first = (offset + int(sample), int(element))
        offset += flat.shape[0]
    if not count:
        return None
    return {"count": count, "size": size, "first_sample": first[0], "first_element": first[1]}


def rel_error(out: np.ndarray, ref: np.ndarray) -> float:
    """Relative L2 error of ``out`` against ``ref`` (the absolute L2 error when ``ref`` is all zeros)."""
    scale = float(np.linalg.norm(ref))
    return float(np.linalg.norm(out - ref)) / (scale if scale > 0 else 1.0)


def compare(outputs: list[np.ndarray], references: list[np.ndarray]) -> dict[str, float]:
    """Worst-case per-sample relative L2 error and cosine similarity of outputs vs references.

    Both sides must be finite (:func:`verify_numeric` checks first): NaN would vanish in ``max``.
    """
    for side, arrays in (("outputs", outputs), ("references", references)):
        if non_finite(arrays) is not None:
            raise ValueError(f"compare() needs finite {side}")
    rel, cos, max_abs = 0.0, 1.0, 0.0
    for out, ref in zip(outputs, references):
        out = np.asarray(out, dtype=np.float64).reshape(ref.shape[0], -1)
        ref = np.asarray(ref, dtype=np.float64).reshape(ref.shape[0], -1)
        for o, r in zip(out, ref):
            rn, on = np.linalg.norm(r), np.linalg.norm(o)
            rel = max(rel, rel_error(o, r))
            cos = min(cos, float(o @ r / (on * rn)) if on > 0 and rn > 0 else float(on == rn))
            max_abs = max(max_abs, float(np.abs(o - r).max()))
    if not np.isfinite(rel):  # finite inputs whose difference overflows float64
        rel = float("inf")
    return {"rel_error": rel, "cosine": cos, "max_abs_error": max_abs}


def criterion(precision: Precision | str) -> str:
    """The pass bound for ``precision`` as text, e.g. ``rel_error <= 0.0001``."""
    metric, bound = Precision(precision).bound
    return f"{metric} {'<=' if metric == 'rel_error' else '>='} {bound:g}"


def verdict(precision: Precision | str, metrics: dict[str, float]) -> tuple[bool, str]:
    """Whether ``metrics`` pass the bound for ``precision``, and the bound as text."""
    metric, bound = Precision(precision).bound
    value = metrics[metric]
    ok = np.isfinite(value) and (value <= bound if metric == "rel_error" else value >= bound)
    return bool(ok), criterion(precision)


def verify_numeric(
    run: Callable[[np.ndarray], np.ndarray | None],
    reference: Callable[[torch.Tensor], torch.Tensor],
    inputs: list[torch.Tensor],
    to_runtime: Callable[[torch.Tensor], np.ndarray],
    precision: Precision | str,
    runtime: str,
    output_name: str = "output",
    task: str | None = None,
    domain: str | None = None,
) -> Verification | None:
    """Run ``inputs`` through the artifact and the torch reference; None when ``run`` has no runtime.

    A NaN or Inf on either side fails the verification, saying which side, where first and how many.
    int8 is judged by :func:`int8_verdict` for ``task`` on ``inputs`` (real images: ``domain`` says
    which), not by a bound on the worst sample.
    """
    precision = Precision(precision)
    outs, refs = [], []
    for x in inputs:
        out = run(to_runtime(x))
        if out is None:
            return None
        outs.append(np.asarray(out))
        with torch.no_grad():
            refs.append(reference(x).float().numpy())
    result = Verification(passed=None, runtime=runtime, criterion=criterion(precision),
                          n_samples=sum(int(x.shape[0]) for x in inputs))
    for side, arrays in (("the torch reference", refs), (f"the {runtime} artifact", outs)):
        bad = non_finite(arrays)
        if bad is not None:
            reason = (f"{side}'s output {output_name!r} went non-finite: {bad['count']} of {bad['size']} "
                      f"values are NaN or Inf, first at sample {bad['first_sample']}, element "
                      f"{bad['first_element']}")
            if precision.is_float16 and side != "the torch reference":
                reason += " (float16 overflow: activations beyond 65504; export fp32)"
            return replace(result, passed=False, reason=reason, non_finite={"side": side, **bad})
    metrics = compare(outs, refs)
    if precision.is_integer:
        drift = int8_metrics(outs, refs, task or "custom")
        passed, bounds, missed = int8_verdict(task or "custom", drift)
        return replace(result, passed=passed, criterion=bounds + f" on {domain or 'random inputs'}", **metrics,
                       int8=drift, missed=missed, domain=domain or "random inputs")
    passed, _ = verdict(precision, metrics)
    return replace(result, passed=passed, **metrics)


def int8_metrics(outputs: list[np.ndarray], references: list[np.ndarray], task: str) -> dict[str, float]:
    """Drift of int8 ``outputs`` from the fp32 ``references`` on real images (finite, checked first):
    per-sample cosine (median, mean, min); top-1 agreement for classifiers; for face embedders the
    share of held-out face pairs whose same/different decision (cosine above the face pipeline's
    default threshold) flips."""
    out = np.concatenate([np.asarray(o, np.float64).reshape(len(o), -1) for o in outputs])
    ref = np.concatenate([np.asarray(r, np.float64).reshape(len(r), -1) for r in references])
    on, rn = np.linalg.norm(out, axis=1), np.linalg.norm(ref, axis=1)
    cos = np.where((on > 0) & (rn > 0), (out * ref).sum(1) / np.maximum(on * rn, 1e-300), (on == rn) * 1.0)
    result = {"cosine_median": float(np.median(cos)), "cosine_mean": float(cos.mean()),
              "cosine_min": float(cos.min())}
    if task == "classification":
        result["top1_agreement"] = float((out.argmax(1) == ref.argmax(1)).mean())
    elif task == "face-embedding" and len(out) > 1:

        a, b = out / np.maximum(on, 1e-300)[:, None], ref / np.maximum(rn, 1e-300)[:, None]
        i, j = np.triu_indices(len(out), 1)
        flips = ((a[i] * a[j]).sum(1) > DEFAULT_THRESHOLD) != ((b[i] * b[j]).sum(1) > DEFAULT_THRESHOLD)
        result.update(flips=int(flips.sum()), pairs=int(len(i)), flip_rate=float(flips.mean()))
    return result


def int8_verdict(task: str, metrics: dict[str, float]) -> tuple[bool, str, list[str]]:
    """Whether ``metrics`` meet :data:`INT8_BOUNDS` for ``task``; the bounds as text; what missed."""
    bounds = INT8_BOUNDS.get(task, INT8_BOUNDS["custom"])
    text, missed = [], []
    for key, bound in bounds.items():
        op = ">=" if key in _AT_LEAST else "<="
        text.append(f"{key.replace('_', ' ')} {op} {bound:g}")
        value = metrics.get(key)
        if value is None:
            continue
        ok = np.isfinite(value) and (value >= bound if op == ">=" else value <= bound)
        if not ok:
            missed.append(f"{key.replace('_', ' ')} {value:.4f}")
    return not missed, ", ".join(text), missed


def audit(op_histogram: dict[str, int]) -> Audit:
    """BatchNorm and Dropout left in an exported graph (there must be none) and its node count."""
    found: dict[str, int] = {}
    for op, n in op_histogram.items():
        low = op.lower().replace("_", "")
        for key, label in _FORBIDDEN.items():
            if key.replace("_", "") in low:
                found[label] = found.get(label, 0) + n
    return Audit(nodes=sum(op_histogram.values()), batchnorm=found.get("BatchNorm", 0),
                 dropout=found.get("Dropout", 0), passed=not found)


class _OpCounter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if func.namespace == "aten" and not func.__name__.startswith(("detach", "_to_copy", "lift")):
            self.counts[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def count_torch_ops(model: nn.Module, shape: tuple[int, ...]) -> dict[str, int]:
    """ATen ops one eval forward pass of ``model`` executes, on the meta device (no compute).

    The same count for the unfused and the fused model shows what fusion removed.
    """
    try:
        meta = to_meta(model)
        x = torch.empty(shape, device="meta")
        return _count(meta, x)
    except Exception:  # a module that cannot run on meta (e.g. its forward makes a CPU tensor with
        return _count(model, torch.zeros(shape))  # torch.arange): count on CPU with zeros


def _count(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    counter = _OpCounter()
    with torch.no_grad(), counter:
        model.eval()(x)
    return dict(counter.counts)
