"""Squeeze-and-excitation: global mean, 1x1 reduce, ReLU, 1x1 expand, sigmoid gate.

Keys follow timm (``fc1``, ``fc2``); Apple's checkpoints name them ``reduce``/``expand``.
"""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, rd_ratio: float = 0.0625, act_layer: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        hidden = max(1, int(channels * rd_ratio))
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * torch.sigmoid(s)
