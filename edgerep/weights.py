"""Checks on weights before anything is built from them: finite, valid BatchNorm statistics, and
representable in float16 when an export computes in it.

A NaN or Inf weight, or a negative BatchNorm variance (which fusion turns into NaN through
``sqrt(var + eps)``), makes every export of the model compute garbage; a finite float32 weight
above float16's largest value becomes Inf in an fp16 export. Each is refused before conversion
with one line naming the first offending tensor.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping

import torch
from torch import nn

FP16_MAX = 65504.0


def _floating(named: Iterable[tuple[str, torch.Tensor]]) -> Iterator[tuple[str, torch.Tensor]]:
    for name, t in named:
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not t.is_meta:
            yield name, t


def first_non_finite(named: Iterable[tuple[str, torch.Tensor]]) -> tuple[str, int, int] | None:
    """(name, non-finite count, size) of the first tensor holding NaN or Inf, or None."""
    for name, t in _floating(named):
        bad = int((~torch.isfinite(t)).sum())
        if bad:
            return name, bad, t.numel()
    return None


def _named(model_or_tensors: nn.Module | Mapping[str, torch.Tensor]) -> list[tuple[str, torch.Tensor]]:
    if isinstance(model_or_tensors, nn.Module):
        return [*model_or_tensors.named_parameters(), *model_or_tensors.named_buffers()]
    return list(model_or_tensors.items())


def check_finite(model_or_tensors: nn.Module | Mapping[str, torch.Tensor], what: str) -> None:
    """ValueError naming the first tensor of ``what`` with NaN or Inf values."""
    found = first_non_finite(_named(model_or_tensors))
    if found is not None:
        name, bad, size = found
        raise ValueError(f"{what}: tensor {name!r} holds {bad} non-finite value(s) (NaN or Inf) of {size}; "
                         "these weights are broken: use a checkpoint saved before training diverged")


def check_batchnorm_statistics(model: nn.Module, what: str) -> None:
    """ValueError naming the first BatchNorm whose running variance is negative."""
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_var is not None \
                and not m.running_var.is_meta:
            negative = int((m.running_var < 0).sum())
            if negative:
                raise ValueError(
                    f"{what}: BatchNorm {name!r} has {negative} negative running variance value(s) "
                    f"(min {float(m.running_var.min()):.3g}); a variance cannot be negative, so the "
                    "checkpoint is corrupt or was edited")


def check_float16_range(model: nn.Module, what: str) -> None:
    """ValueError naming the first finite weight beyond float16's range (it would become Inf)."""
    for name, t in _floating(_named(model)):
        peak = float(t.detach().abs().max()) if t.numel() else 0.0
        if peak > FP16_MAX:
            raise ValueError(
                f"{what}: tensor {name!r} reaches {peak:.3g}, beyond float16's largest value "
                f"{FP16_MAX:g}, so an fp16 export would overflow to Inf; export with --precision fp32")


def random_weights_note(consequence: str = "its outputs mean nothing") -> str:
    """The note every command prints when it runs a model without a checkpoint."""
    return f"random weights (no checkpoint given): {consequence}; pass --checkpoint FILE for trained weights"
