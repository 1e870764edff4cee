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
    meta = to_meta(model)
    meta.eval()
    x = torch.empty(batch, *input_size, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        meta(x)
    return counter.get_total_flops() // 2


def to_meta(model: nn.Module) -> nn.Module:
    """``model`` itself when all its tensors are on the meta device, else a meta copy of it (the
    original keeps its weights): for counting without computing."""
    if all(t.is_meta for t in [*model.parameters(), *model.buffers()]):
        return model
    return copy.deepcopy(model).to("meta")
