"""Low-rank factorised Linear (EdgeFace's "LoRaLin"): ``Linear(in, r, no bias) -> Linear(r, out)``.

Key names follow the official EdgeFace code (``linear1``, ``linear2``) so its checkpoints map by
renaming only.
"""

from __future__ import annotations

import functools
from typing import Callable

from torch import Tensor, nn


def low_rank(in_features: int, out_features: int, rank_ratio: float) -> int:
    """The official rank rule: ``max(2, int(min(in, out) * rank_ratio))``."""
    return max(2, int(min(in_features, out_features) * rank_ratio))


class LowRankLinear(nn.Module):
    """``linear2(linear1(x))`` with a rank-``r`` bottleneck and no bias in between.

    Called like ``nn.Linear(in_features, out_features, bias=...)``; ``rank_ratio`` sets ``r`` by
    :func:`low_rank`. The pair is kept factorised when a model is fused: one merged Linear would
    hold ``in * out`` weights instead of ``r * (in + out)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rank_ratio: float) -> None:
        super().__init__()
        valid = isinstance(rank_ratio, (int, float)) and not isinstance(rank_ratio, bool)
        if not valid or not 0 < rank_ratio <= 1:
            raise ValueError(
                f"rank_ratio must be a number in (0, 1], got {rank_ratio!r}; "
                "pass e.g. 0.6 for EdgeFace-XS (gamma 0.6), or use nn.Linear for no factorisation"
            )
        self.in_features, self.out_features = in_features, out_features
        self.rank = low_rank(in_features, out_features, rank_ratio)
        self.linear1 = nn.Linear(in_features, self.rank, bias=False)
        self.linear2 = nn.Linear(self.rank, out_features, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.linear1(x))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, rank={self.rank}"


def linear_layer(rank_ratio: float | None) -> Callable[..., nn.Module]:
    """``nn.Linear``, or :class:`LowRankLinear` at ``rank_ratio``; both called as ``(in, out, bias=)``."""
    if rank_ratio is None:
        return nn.Linear
    return functools.partial(LowRankLinear, rank_ratio=rank_ratio)


def output_linear(layer: nn.Module) -> nn.Linear:
    """The Linear producing ``layer``'s output, into which a per-output-channel scale folds."""
    if isinstance(layer, LowRankLinear):
        return layer.linear2
    if isinstance(layer, nn.Linear):
        return layer
    raise TypeError(f"expected nn.Linear or LowRankLinear, got {type(layer).__name__}")
