"""Conv followed by BatchNorm, fused into a biased conv."""

from __future__ import annotations

import torch
from torch import nn

from .base import Reparameterizable, conv_like
from .fusion import fuse_conv_bn


class ConvNorm(Reparameterizable):
    """``bn(conv(x))``; fused: ``conv(x)`` with bias.

    State-dict keys follow timm's ``ConvNormAct`` (``conv.weight``, ``bn.*``) so that timm and
    official checkpoints map by renaming only. The fused layer keeps the name ``conv``.
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int | tuple[int, int] = 1,
        stride: int = 1,
        padding: int | tuple[int, int] | None = None,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = False,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        if padding is None:
            padding = (dilation * (k[0] - 1) // 2, dilation * (k[1] - 1) // 2)
        self.conv = nn.Conv2d(
            in_chs, out_chs, k, stride, padding, dilation=dilation, groups=groups,
            bias=bias or inference_mode,
        )
        if inference_mode:
            self.fused = True
        else:
            self.bn = nn.BatchNorm2d(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x if self.fused else self.bn(x)

    def _fuse(self) -> None:
        w, b = fuse_conv_bn(self.conv.weight, self.conv.bias, self.bn)
        self.conv = conv_like(self.conv, w, b)
        del self.bn
