"""Convolutional FFN: depthwise kxk conv-BN, then a 1x1 expand, activation and 1x1 project."""

from __future__ import annotations

import torch
from torch import nn

from .conv_norm import ConvNorm


class ConvFFN(nn.Module):
    """``fc2(act(fc1(bn(dwconv(x)))))``.

    The depthwise conv-BN is a :class:`ConvNorm` and fuses on its own; blocks that scale this FFN's
    output (layer scale) fold the scale into ``fc2``. Keys follow timm's ``ConvMlp``
    (``conv.conv``, ``conv.bn``, ``fc1``, ``fc2``).
    """

    def __init__(
        self,
        dim: int,
        hidden_dim: int,
        kernel_size: int = 7,
        act_layer: type[nn.Module] = nn.GELU,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.conv = ConvNorm(dim, dim, kernel_size, groups=dim, inference_mode=inference_mode)
        self.fc1 = nn.Conv2d(dim, hidden_dim, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(hidden_dim, dim, 1)
        for conv in (self.conv.conv, self.fc1, self.fc2):
            nn.init.trunc_normal_(conv.weight, std=0.02)
            if conv.bias is not None:
                nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(self.conv(x))))
