"""Re-parameterizable conditional positional encoding (RepCPE): a depthwise conv plus identity."""

from __future__ import annotations

import torch
from torch import nn

from .base import Reparameterizable, conv_like
from .fusion import identity_kernel


class RepCPE(Reparameterizable):
    """``x + pos_enc(x)`` with ``pos_enc`` a depthwise kxk conv with bias; fused: ``W = id + W_pe``.

    Keys follow timm (``pos_enc``, ``reparam_conv``); Apple names the conv ``pe``.
    """

    def __init__(self, dim: int, kernel_size: int = 7, *, inference_mode: bool = False) -> None:
        super().__init__()
        self.dim, self.kernel_size = dim, kernel_size
        conv = nn.Conv2d(dim, dim, kernel_size, 1, kernel_size // 2, groups=dim, bias=True)
        if inference_mode:
            self.reparam_conv = conv
            self.fused = True
        else:
            self.pos_enc = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.reparam_conv(x)
        return x + self.pos_enc(x)

    def _fuse(self) -> None:
        w = self.pos_enc.weight
        eye = identity_kernel(self.dim, self.dim, self.kernel_size, dtype=w.dtype, device=w.device)
        self.reparam_conv = conv_like(self.pos_enc, eye + w, self.pos_enc.bias)
        del self.pos_enc
