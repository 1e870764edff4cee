"""Parameter and MAC counting.

MACs are counted from the aten ops a forward pass runs (convolutions and matrix products, which
includes Linear layers, batched matmuls and attention), with torch's FlopCounterMode, whose FLOPs
are 2 x MACs for these ops. Counting runs on the meta device, so no memory is allocated and even the
largest variant counts in well under a second.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    """Number of parameters (buffers such as BN running statistics are not parameters)."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_size: tuple[int, int, int], batch: int = 1) -> int:
    """Multiply-accumulates of one forward pass at ``input_size`` (C, H, W) for ``batch`` images."""
    on_meta = _on_meta(model)
    meta = model if on_meta else copy.deepcopy(model).to("meta")
    try:
        return _macs(meta, torch.empty(batch, *input_size, device="meta"))
    except RuntimeError:
        if on_meta:
            raise
        # A forward that makes its own CPU tensors (torch.arange(h) without a device) cannot run
        # on meta: count on a CPU copy instead.
        return _macs(copy.deepcopy(model), torch.zeros(batch, *input_size))


def _macs(model: nn.Module, x: torch.Tensor) -> int:
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


def _on_meta(model: nn.Module) -> bool:
    p = next(iter(model.parameters()), None)
    return p is not None and p.device.type == "meta"
