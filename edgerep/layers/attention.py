"""Multi-head self-attention over the pixels of a feature map, written to export cleanly."""

from __future__ import annotations

import torch
from torch import nn


class MultiHeadSelfAttention(nn.Module):
    """Softmax self-attention on a (B, C, H, W) map with ``C / head_dim`` heads.

    Plain matmul + softmax on tensors of rank 4 at most (no fused SDPA kernel, no 5-D permute), so
    torch.export, ONNX, Core ML and TFLite see ordinary ops. The qkv projection's output is laid out
    ``[q | k | v]``, each head-major, as in timm's and Apple's checkpoints. ``qkv_bias`` is off in
    FastViT's training form; the fused form gets one when a preceding BatchNorm is folded in.
    """

    def __init__(self, dim: int, head_dim: int = 32, qkv_bias: bool = False) -> None:
        super().__init__()
        if dim % head_dim:
            raise ValueError(f"dim={dim} must be a multiple of head_dim={head_dim}")
        self.dim, self.head_dim, self.num_heads = dim, head_dim, dim // head_dim
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        for linear in (self.qkv, self.proj):
            nn.init.trunc_normal_(linear.weight, std=0.02)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, heads, N, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, N, C)
        q, k, v = self.qkv(tokens).split(self.dim, dim=-1)
        q, k, v = self._heads(q * self.scale), self._heads(k), self._heads(v)
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, h * w, c)
        return self.proj(out).transpose(1, 2).reshape(b, c, h, w)
