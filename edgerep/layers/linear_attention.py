"""Multi-head linear attention (FaceLiVT): token mixing by Linear maps along the token axis.

There is no query, key or softmax: each head applies Linear layers over the ``N = H * W`` tokens of
its channels, so the layer only runs at the token grid it was built for. All heads run as one
batched matmul over stacked weights (:class:`HeadwiseLinear`), numerically the per-head form of the
reference implementation (novendrastywn/FaceLiVT), whose per-head ``nn.Linear`` keys the FaceLiVT
checkpoint converter stacks into these parameters.

- :class:`MultiHeadLinearAttention` (FaceLiVT v1, "MHLA"): GroupNorm, per head Linear(N, 4N),
  activation, Linear(4N, N), heads concatenated along the *token* axis.
- :class:`LiteMultiHeadLinearAttention` (FaceLiVT v2, "Lite MHLA"): per-channel affine, per head
  one Linear(N, N), heads concatenated along channels, layer scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .base import LayerScale, Reparameterizable


def _grid(resolution: int | tuple[int, int]) -> tuple[int, int]:
    hw = (resolution, resolution) if isinstance(resolution, int) else tuple(resolution)
    if len(hw) != 2 or not all(isinstance(v, int) and v > 0 for v in hw):
        raise ValueError(f"resolution must be a positive int or (height, width), got {resolution!r}")
    return hw[0], hw[1]


def _split_heads(dim: int, num_heads: int, layer: str) -> int:
    if num_heads < 1 or dim % num_heads:
        raise ValueError(
            f"{layer}: dim={dim} must be a multiple of num_heads={num_heads} "
            "(each head takes an equal share of the channels)"
        )
    return dim // num_heads


def check_grid(x: torch.Tensor, grid: tuple[int, int], layer: str) -> None:
    """Raise ValueError unless ``x`` (B, C, H, W) has the token grid the layer was built for.

    Shapes are static when exporting at the built size, so the comparison is a Python bool and
    torch.export / tracing see no data-dependent branch.
    """
    if tuple(x.shape[-2:]) != grid:
        h, w = x.shape[-2:]
        raise ValueError(
            f"{layer} was built for a {grid[0]}x{grid[1]} feature map ({grid[0] * grid[1]} tokens) and "
            f"got {h}x{w}: its Linear maps act on a fixed token count, so feed the input size the "
            "model was built for"
        )


class HeadwiseLinear(nn.Module):
    """``num_heads`` independent Linear maps, stacked, applied as one batched matmul.

    Input ``(num_heads, rows, in_features)``; head ``h`` maps the last axis with ``weight[h]``
    (shape ``(out_features, in_features)``, as ``nn.Linear``) and ``bias[h]``: equal to calling
    ``num_heads`` separate ``nn.Linear`` layers on the per-head slices. Heads lead so that one 3-D
    ``baddbmm`` reads the stacked weights in place (a broadcast 4-D matmul would copy them per image).
    """

    def __init__(self, num_heads: int, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.num_heads, self.in_features, self.out_features = num_heads, in_features, out_features
        self.weight = nn.Parameter(torch.empty(num_heads, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(num_heads, out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # nn.Linear's default per head: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
        bound = 1 / math.sqrt(self.in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, *, add_bias: bool = True) -> torch.Tensor:
        weight_t = self.weight.transpose(1, 2)
        if add_bias and self.bias is not None:
            return torch.baddbmm(self.bias.unsqueeze(1), x, weight_t)
        return torch.bmm(x, weight_t)

    def extra_repr(self) -> str:
        return (
            f"num_heads={self.num_heads}, in_features={self.in_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


def _heads_first(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, C, N) -> (heads, B * C/heads, N): contiguous channel groups, one per head."""
    b, c, n = x.shape
    return x.reshape(b, num_heads, c // num_heads, n).transpose(0, 1).reshape(num_heads, -1, n)


class MultiHeadLinearAttention(Reparameterizable):
    """FaceLiVT v1 MHLA: ``GroupNorm(1, C)``, then per head ``fc2(act(fc1(tokens)))``.

    The channels split into ``num_heads`` contiguous groups; each head maps the token axis of its
    channels with Linear(N, ratio * N), the activation and Linear(ratio * N, N). The reference then
    concatenates the heads along the token axis and reshapes back to (C, H, W), which interleaves
    the channels: output channel ``c * num_heads + h`` is channel ``c`` of head ``h``. The published
    weights were trained with that order, so it is kept exactly.

    Nothing folds: the GroupNorm normalizes with statistics of each input, and its per-channel affine
    cannot enter a token-axis Linear shared by the channels of a head. The fused form is the
    training form (no BatchNorm or layer scale to remove); :meth:`fusion_notes` says so.
    """

    def __init__(
        self,
        dim: int,
        resolution: int | tuple[int, int],
        num_heads: int = 16,
        mlp_ratio: int = 4,
        act_layer: type[nn.Module] = nn.GELU,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.grid = _grid(resolution)
        self.dim, self.num_heads = dim, num_heads
        _split_heads(dim, num_heads, type(self).__name__)
        tokens = self.grid[0] * self.grid[1]
        self.norm = nn.GroupNorm(1, dim)
        self.fc1 = HeadwiseLinear(num_heads, tokens, tokens * mlp_ratio)
        self.act = act_layer()
        self.fc2 = HeadwiseLinear(num_heads, tokens * mlp_ratio, tokens)
        self.fused = inference_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_grid(x, self.grid, type(self).__name__)
        b, c, h, w = x.shape
        x = _heads_first(self.norm(x).reshape(b, c, h * w), self.num_heads)
        x = self.fc2(self.act(self.fc1(x))).reshape(self.num_heads, b, c // self.num_heads, h * w)
        # heads concatenated along tokens, then read back as (C, H, W): channel c*heads + h
        return x.permute(1, 2, 0, 3).reshape(b, c, h, w)

    def _fuse(self) -> None:
        pass  # nothing folds exactly; see fusion_notes()

    def fusion_notes(self) -> list[str]:
        return [
            "GroupNorm(1, C) kept: it normalizes with each input's own statistics, and its "
            "per-channel affine cannot fold into a token-axis Linear shared by a head's channels"
        ]


class LiteMultiHeadLinearAttention(Reparameterizable):
    """FaceLiVT v2 Lite MHLA: ``ls * fc(alpha * x + beta)`` with one token-axis Linear per head.

    ``alpha`` (init 1e-5) and ``beta`` (init 0) are per-channel; channels split into ``num_heads``
    contiguous groups, each mapped along the token axis by Linear(N, N) with weight ``W_h`` and bias
    ``b_h``; heads concatenate along channels; the layer scale ``ls`` multiplies each channel.

    Per-channel factors commute with a token-axis map, so channel ``c`` of head ``h`` gives
    ``ls_c * (W_h (alpha_c x_c + beta_c) + b_h) = W_h (s_c x_c + t_c) + ls_c b_h`` with
    ``s = ls * alpha`` and ``t = ls * beta``. Fused, the layer scale is folded into the affine; only
    its product with the head bias is left, as ``bias_scale`` (``ls_c b_h`` is rank one across
    channels and tokens: storing it as a C x N bias would add parameters). Exporters fold that
    parameter-only product into one constant.
    """

    def __init__(
        self,
        dim: int,
        resolution: int | tuple[int, int],
        num_heads: int = 4,
        affine_init: float = 1e-5,
        layer_scale_init: float = 1e-5,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.grid = _grid(resolution)
        self.dim, self.num_heads = dim, num_heads
        _split_heads(dim, num_heads, type(self).__name__)
        tokens = self.grid[0] * self.grid[1]
        self.proj = HeadwiseLinear(num_heads, tokens, tokens)
        if inference_mode:
            self.scale = nn.Parameter(torch.ones(1, dim, 1))
            self.shift = nn.Parameter(torch.zeros(1, dim, 1))
            self.bias_scale = nn.Parameter(torch.ones(dim, 1))
            self.fused = True
        else:
            self.alpha = nn.Parameter(torch.full((1, dim, 1), affine_init))
            self.beta = nn.Parameter(torch.zeros(1, dim, 1))
            self.ls = LayerScale(dim, layer_scale_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_grid(x, self.grid, type(self).__name__)
        b, c, h, w = x.shape
        heads = self.num_heads
        x = x.reshape(b, c, h * w)
        if self.fused:
            x = self.proj(_heads_first(x * self.scale + self.shift, heads), add_bias=False)
            # ls_c * b_h: parameters only, one constant once exported
            bias = self.bias_scale.reshape(heads, 1, c // heads, 1) * self.proj.bias.reshape(heads, 1, 1, -1)
            x = x.reshape(heads, b, c // heads, h * w) + bias
            return x.transpose(0, 1).reshape(b, c, h, w)
        x = self.proj(_heads_first(x * self.alpha + self.beta, heads))
        x = x.reshape(heads, b, c // heads, h * w).transpose(0, 1)  # heads concatenated on channels
        return self.ls(x.reshape(b, c, h, w))

    def _fuse(self) -> None:
        gamma = self.ls.gamma.reshape(1, -1, 1)
        self.scale = nn.Parameter(gamma * self.alpha)
        self.shift = nn.Parameter(gamma * self.beta)
        self.bias_scale = nn.Parameter(self.ls.gamma.reshape(-1, 1).clone())
        del self.alpha, self.beta, self.ls

    def fusion_notes(self) -> list[str]:
        return [
            "layer scale folded into the affine; its product with the head bias stays as "
            "bias_scale (a C x N bias would add parameters)"
        ]
