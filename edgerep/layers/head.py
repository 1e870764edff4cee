"""Classifier head: global average pooling, then one Linear (timm's ``head.fc``)."""

from __future__ import annotations

import torch
from torch import nn


class ClassifierHead(nn.Module):
    """``fc(mean over H, W)``: (B, C, H, W) -> (B, num_classes). FastViT and MobileOne end in it.

    The Linear keeps PyTorch's default initialization; a model that trains from another one sets it
    itself (FastViT: truncated normal, as timm).
    """

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean((2, 3)))
