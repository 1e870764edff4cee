"""Multi-branch depthwise conv: parallel kernels of any shape and serial 1xk -> kx1 pairs, fused to one.

RepNeXt's small and medium token mixers (``RepDWConvS``/``RepDWConvM`` in suous/RepNeXt) are
instances: a list of :class:`DWBranch` says which convs exist (their attribute names are the
checkpoint keys) and how they combine. Every branch is folded into one ``kernel_size`` x
``kernel_size`` depthwise kernel: a dilated kernel becomes its dense equivalent, a serial pair its
outer product, and smaller kernels are zero-padded to the centre (all in :mod:`.fusion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .base import Reparameterizable, conv_like
from .fusion import compose_depthwise_serial, dilate_kernel, pad_kernel


@dataclass(frozen=True)
class DWBranch:
    """One branch of a :class:`RepDWConv`.

    ``names`` holds one attribute name for a single conv of shape ``kernel`` (with ``dilation`` and
    ``bias``), or two for a serial pair: a 1xk conv (stride along the width only) then a kx1 conv
    (stride along the height only), both without bias, with ``kernel == (k, k)``. A bias on the
    first conv of a pair would not fold exactly: the second conv zero-pads the biased map.
    """

    names: tuple[str, ...]
    kernel: tuple[int, int]
    dilation: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        if len(self.names) not in (1, 2):
            raise ValueError(f"a branch has one conv or a serial pair, got names={self.names!r}")
        if len(self.names) == 2 and (self.kernel[0] != self.kernel[1] or self.bias or self.dilation != 1):
            raise ValueError(
                f"serial branch {self.names!r} must be an undilated 1xk -> kx1 pair without bias, got "
                f"kernel={self.kernel}, dilation={self.dilation}, bias={self.bias}"
            )

    @property
    def serial(self) -> bool:
        return len(self.names) == 2

    @property
    def extent(self) -> tuple[int, int]:
        """Height and width of the dense kernel this branch equals."""
        return tuple((k - 1) * self.dilation + 1 for k in self.kernel)


def parallel(name: str, kernel: tuple[int, int] | int, dilation: int = 1, bias: bool = True) -> DWBranch:
    """A single depthwise conv branch."""
    k = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    return DWBranch((name,), k, dilation, bias)


def serial(first: str, second: str, k: int) -> DWBranch:
    """A 1xk conv named ``first`` followed by a kx1 conv named ``second`` (no bias, no activation)."""
    return DWBranch((first, second), (k, k), bias=False)


class RepDWConv(Reparameterizable):
    """``sum(branch(x) for branch in branches)``, all depthwise; fused: one ``reparam_conv``.

    Every branch is "same"-padded for its own kernel, so all produce the same output grid at any
    input size and stride, and the fused ``kernel_size`` conv (padding ``kernel_size // 2``) is
    exact at the borders as well.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int,
        stride: int = 1,
        branches: Sequence[DWBranch] = (),
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if not branches:
            raise ValueError("RepDWConv needs at least one branch")
        for b in branches:
            h, w = b.extent
            if h > kernel_size or w > kernel_size or (kernel_size - h) % 2 or (kernel_size - w) % 2:
                raise ValueError(
                    f"branch {b.names} ({h}x{w}) cannot be centred in the fused {kernel_size}x{kernel_size} kernel"
                )
        self.channels, self.kernel_size, self.stride = channels, kernel_size, stride
        self.branches = tuple(branches)
        if inference_mode:
            self.reparam_conv = nn.Conv2d(
                channels, channels, kernel_size, stride, kernel_size // 2, groups=channels,
                bias=any(b.bias for b in branches),
            )
            self.fused = True
            return
        for b in self.branches:
            if b.serial:
                k = b.kernel[0]
                self.add_module(b.names[0], self._dw((1, k), (1, stride), 1, False))
                self.add_module(b.names[1], self._dw((k, 1), (stride, 1), 1, False))
            else:
                self.add_module(b.names[0], self._dw(b.kernel, (stride, stride), b.dilation, b.bias))

    def _dw(self, kernel: tuple[int, int], stride: tuple[int, int], dilation: int, bias: bool) -> nn.Conv2d:
        padding = (dilation * (kernel[0] - 1) // 2, dilation * (kernel[1] - 1) // 2)
        return nn.Conv2d(
            self.channels, self.channels, kernel, stride, padding, dilation, groups=self.channels, bias=bias
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.reparam_conv(x)
        out = 0
        for b in self.branches:
            y = getattr(self, b.names[0])(x)
            if b.serial:
                y = getattr(self, b.names[1])(y)
            out = out + y
        return out

    def fused_kernel(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(weight, bias) of the single depthwise conv equal to the sum of the branches."""
        weight, bias = 0, None
        for b in self.branches:
            conv = getattr(self, b.names[0])
            if b.serial:
                w = compose_depthwise_serial(conv.weight, getattr(self, b.names[1]).weight)
            else:
                w = dilate_kernel(conv.weight, b.dilation)
                if conv.bias is not None:
                    bias = conv.bias if bias is None else bias + conv.bias
            weight = weight + pad_kernel(w, self.kernel_size)
        return weight, bias

    def _fuse(self) -> None:
        weight, bias = self.fused_kernel()
        template = nn.Conv2d(
            self.channels, self.channels, self.kernel_size, self.stride, self.kernel_size // 2,
            groups=self.channels, device="meta",
        )
        self.reparam_conv = conv_like(template, weight, bias)
        for b in self.branches:
            for name in b.names:
                delattr(self, name)

    def extra_repr(self) -> str:
        return "" if self.fused else f"branches={', '.join('->'.join(b.names) for b in self.branches)}"
