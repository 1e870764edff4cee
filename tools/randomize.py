"""Models with random statistics, shared by the tests and the benchmarks: a fusion or export that
is wrong must change their output (at init, BatchNorm at mean 0 / var 1 and layer scales at 1e-5
hide a wrong fold)."""

from __future__ import annotations

import torch
from torch import nn

_BatchNorm = nn.modules.batchnorm._BatchNorm


def randomize(model: nn.Module, seed: int = 0, *, weights: bool = False, batchnorm_only: bool = False) -> nn.Module:
    """Give every statistic and every constant-initialized parameter random values.

    BatchNorm at mean 0 / var 1 and layer scales at 1e-5 hide fusion bugs (a wrong fold changes the
    output by almost nothing), so running statistics and every parameter whose entries are all
    equal at init (BN affine, layer scales, attention affines) are drawn at random. With
    ``weights=True`` every parameter is drawn first: per-channel vectors (norm affines, layer scales,
    biases) from U(0.5, 1.5), weight tensors from N(0, 1 / fan-in), so a block's default init (or a
    reference model's) cannot hide a branch either. With ``batchnorm_only=True`` only BatchNorm
    statistics and affines are drawn (mean N(0, 0.5), var U(0.5, 1.5), weight U(0.5, 1.5), bias
    N(0, 0.2)), leaving layer scales at their init: what the int8 tests calibrate against (int8 with
    every layer scale drawn is an open drift problem, benchmarks/RESULTS.md "Issue 15").
    """
    g = torch.Generator().manual_seed(seed)
    if batchnorm_only:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    n = m.num_features
                    m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
                    m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                    m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(n, generator=g) * 0.2)
        return model.eval()
    with torch.no_grad():
        if weights:
            for p in model.parameters():
                if p.numel() == p.shape[0]:
                    p.copy_(torch.rand(p.shape, generator=g) + 0.5)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
        for m in model.modules():
            if isinstance(m, _BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 2 - 1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5)
        for p in model.parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
    return model
