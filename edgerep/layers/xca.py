"""Cross-covariance attention (XCA, from XCiT; EdgeNeXt's "transposed" attention).

Attention runs across channels instead of tokens: per head, the (head_dim x head_dim) map
``softmax(temperature * q_hat @ k_hat^T)`` of L2-normalised queries and keys (each a channel's
vector over the N tokens), so its cost is linear in N. Keys follow timm (``temperature``, ``qkv``,
``proj``).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class CrossCovarianceAttention(nn.Module):
    """XCA on tokens ``(B, N, C)``; ``linear_layer`` builds ``qkv`` and ``proj`` (e.g. low rank)."""

    def __init__(
        self,
        dim: int,
        num_heads: int = 8,
        qkv_bias: bool = True,
        linear_layer: Callable[..., nn.Module] = nn.Linear,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} must be divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = linear_layer(dim, dim * 3, bias=qkv_bias)
        self.proj = linear_layer(dim, dim, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        # (B, N, 3C) -> 3 x (B, heads, head_dim, N): each row is one channel over all tokens
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 4, 1)
        # F.normalize's eps (1e-12) is 0 in float16, where a channel that is zero over every token
        # (a trained EdgeFace-XS has them) then divides 0 by 0: keep the floor representable
        eps = max(1e-12, torch.finfo(q.dtype).tiny)
        attn = (F.normalize(q, dim=-1, eps=eps) @ F.normalize(k, dim=-1, eps=eps).transpose(-2, -1)) * self.temperature
        x = attn.softmax(dim=-1) @ v
        return self.proj(x.permute(0, 3, 1, 2).reshape(b, n, c))
