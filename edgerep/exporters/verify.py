"""Numeric verification of an exported artifact against the fused torch model, and the graph audit."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

# Pass criteria per precision: (metric, bound). fp32 must reproduce torch; fp16 and int8 change the
# numbers by design, so they pass on a bound that still catches a broken conversion.
CRITERIA: dict[str, tuple[str, float]] = {
    "fp32": ("rel_error", 1e-4),
    "fp16": ("rel_error", 1e-2),
    "int8": ("cosine", 0.99),
}

# Op types that must not survive fusion, per format (lower-cased substrings of op type names).
_FORBIDDEN = {"batchnorm": "BatchNorm", "batch_norm": "BatchNorm", "dropout": "Dropout"}


def compare(outputs: list[np.ndarray], references: list[np.ndarray]) -> dict[str, float]:
    """Worst-case per-sample relative L2 error and cosine similarity of outputs vs references."""
    rel, cos, max_abs = 0.0, 1.0, 0.0
    for out, ref in zip(outputs, references):
        out = np.asarray(out, dtype=np.float64).reshape(ref.shape[0], -1)
        ref = np.asarray(ref, dtype=np.float64).reshape(ref.shape[0], -1)
        for o, r in zip(out, ref):
            rn, on = np.linalg.norm(r), np.linalg.norm(o)
            rel = max(rel, float(np.linalg.norm(o - r) / rn) if rn > 0 else float(np.linalg.norm(o)))
            cos = min(cos, float(o @ r / (on * rn)) if on > 0 and rn > 0 else float(on == rn))
            max_abs = max(max_abs, float(np.abs(o - r).max()))
    if not np.isfinite(rel):
        rel = float("inf")
    return {"rel_error": rel, "cosine": cos, "max_abs_error": max_abs}


def verdict(precision: str, metrics: dict[str, float]) -> tuple[bool, str]:
    """Whether ``metrics`` pass the bound for ``precision``, and the bound as text."""
    metric, bound = CRITERIA[precision]
    value = metrics[metric]
    ok = value <= bound if metric == "rel_error" else value >= bound
    if not np.isfinite(value):
        ok = False
    op = "<=" if metric == "rel_error" else ">="
    return bool(ok), f"{metric} {op} {bound:g}"


def verify_numeric(
    run: Callable[[np.ndarray], np.ndarray | None],
    reference: Callable[[torch.Tensor], torch.Tensor],
    inputs: list[torch.Tensor],
    to_runtime: Callable[[torch.Tensor], np.ndarray],
    precision: str,
    runtime: str,
) -> dict[str, Any] | None:
    """Run ``inputs`` through the artifact and the torch reference; None when ``run`` has no runtime."""
    outs, refs = [], []
    for x in inputs:
        out = run(to_runtime(x))
        if out is None:
            return None
        outs.append(np.asarray(out))
        with torch.no_grad():
            refs.append(reference(x).float().numpy())
    metrics = compare(outs, refs)
    passed, criterion = verdict(precision, metrics)
    return {
        "passed": passed,
        "runtime": runtime,
        "criterion": criterion,
        "n_samples": sum(int(x.shape[0]) for x in inputs),
        **metrics,
    }


def audit(op_histogram: dict[str, int]) -> dict[str, Any]:
    """BatchNorm and Dropout left in an exported graph (there must be none) and its node count."""
    found: dict[str, int] = {}
    for op, n in op_histogram.items():
        low = op.lower().replace("_", "")
        for key, label in _FORBIDDEN.items():
            if key.replace("_", "") in low:
                found[label] = found.get(label, 0) + n
    return {
        "nodes": sum(op_histogram.values()),
        "batchnorm": found.get("BatchNorm", 0),
        "dropout": found.get("Dropout", 0),
        "passed": not found,
    }


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
        meta = _to_meta(model)
        x = torch.empty(shape, device="meta")
        return _count(meta, x)
    except Exception:  # a module that cannot run on meta (e.g. its forward makes a CPU tensor with
        return _count(model, torch.zeros(shape))  # torch.arange): count on CPU with zeros


def _count(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    counter = _OpCounter()
    with torch.no_grad(), counter:
        model.eval()(x)
    return dict(counter.counts)


def _to_meta(model: nn.Module) -> nn.Module:
    if all(t.is_meta for t in [*model.parameters(), *model.buffers()]):
        return model
    import copy

    return copy.deepcopy(model).to("meta")
