"""Large-kernel conv with a parallel small-kernel branch (RepLKNet style), fused to one conv."""

from __future__ import annotations

import torch
from torch import nn

from .base import Reparameterizable, conv_like
from .conv_norm import ConvNorm
from .fusion import pad_kernel


class ReparamLargeKernelConv(Reparameterizable):
    """``act(large_conv(x) + small_conv(x))``: a kxk conv-BN and a parallel small conv-BN.

    The small kernel is zero-padded (centred) to the large one and added, giving one kxk conv.
    Keys follow timm (``large_conv``, ``small_conv``, ``reparam_conv``); Apple names them
    ``lkb_origin``/``lkb_reparam``. FastViT uses no activation here: Apple's code computes one and
    discards the result, and timm (whose port the published weights need) leaves it off.
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        small_kernel: int | None = 3,
        *,
        act_layer: type[nn.Module] | None = None,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if small_kernel is not None and (small_kernel > kernel_size or small_kernel % 2 == 0):
            raise ValueError(
                f"small_kernel must be odd and at most kernel_size={kernel_size}, got {small_kernel}"
            )
        self.kernel_size, self.small_kernel = kernel_size, small_kernel
        self.act = act_layer() if act_layer is not None else nn.Identity()
        if inference_mode:
            self.reparam_conv = nn.Conv2d(
                in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=True
            )
            self.fused = True
            return
        self.large_conv = ConvNorm(in_chs, out_chs, kernel_size, stride, groups=groups)
        self.small_conv = (
            ConvNorm(in_chs, out_chs, small_kernel, stride, groups=groups)
            if small_kernel is not None
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.act(self.reparam_conv(x))
        out = self.large_conv(x)
        if self.small_conv is not None:
            out = out + self.small_conv(x)
        return self.act(out)

    def _fuse(self) -> None:
        conv = self.large_conv.conv
        weight, bias = conv.weight, conv.bias
        if self.small_conv is not None:
            weight = weight + pad_kernel(self.small_conv.conv.weight, self.kernel_size)
            bias = bias + self.small_conv.conv.bias
        self.reparam_conv = conv_like(conv, weight, bias)
        del self.large_conv, self.small_conv
