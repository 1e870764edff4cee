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


_FLOATING = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
MAX_STATE_BYTES = 8 << 30  # more than any mobile model's weights (the largest edgerep model is ~0.2 GB)


def check_dense(t: object, name: str) -> int:
    """The bytes of ``t`` if it is a dense CPU tensor whose values lie inside its storage (not nested,
    sparse, meta, quantized, or a view claiming more than is stored); ValueError naming ``name``."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} is a {type(t).__name__}, not a tensor")
    if t.is_nested:
        raise ValueError(f"{name} is a nested tensor; edgerep reads dense tensors only")
    if t.layout != torch.strided:
        raise ValueError(f"{name} is a sparse tensor ({t.layout}); save the dense values (tensor.to_dense())")
    if t.is_meta or t.device.type != "cpu":
        raise ValueError(f"{name} is on the {t.device.type} device and holds no data on the CPU; save real values")
    if t.is_quantized:
        raise ValueError(f"{name} is a quantized tensor ({t.dtype}); save the float values (tensor.dequantize())")
    size = t.numel() * t.element_size()
    stored = max(t.untyped_storage().nbytes() - t.storage_offset() * t.element_size(), 0)
    if size > stored:
        raise ValueError(f"{name} claims {tuple(t.shape)} values ({size:,} bytes), larger than the "
                         f"{stored:,} bytes stored for it (a crafted view); refusing it")
    return size


def check_state_dict(state: Mapping[object, object], what: str) -> None:
    """ValueError (one line naming ``what`` and the key) unless ``state`` maps strings to dense,
    real, floating-point CPU tensors whose data lies inside their storage; BatchNorm's integer
    ``num_batches_tracked`` counters are the one exception. Then :func:`check_finite`.

    Runs before anything reads a tensor's values: a stride-0 view saved in a few hundred bytes can
    claim terabytes, which any operation on it (even a finiteness check) would allocate.
    """
    total = 0
    for key, t in state.items():
        if not isinstance(key, str):
            raise ValueError(f"{what}: key {key!r} ({type(key).__name__}) is not a string; a state dict maps "
                             "parameter names to tensors")
        name = f"{what}: tensor {key!r}"
        size = check_dense(t, name)
        if t.dtype not in _FLOATING and not (key.endswith("num_batches_tracked") and t.dtype == torch.int64):
            raise ValueError(f"{name} is {t.dtype}; edgerep reads real floating-point weights "
                             "(float16, bfloat16, float32, float64)")
        total += size
        if total > MAX_STATE_BYTES:
            raise ValueError(f"{what} holds more than {MAX_STATE_BYTES >> 30} GB of weights; "
                             "not a mobile model's checkpoint")
    check_finite(state, what)  # type: ignore[arg-type]


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
