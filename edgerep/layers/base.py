"""The one fusion protocol every re-parameterizable block follows."""

from __future__ import annotations

import torch
from torch import nn


class Reparameterizable(nn.Module):
    """A block with a multi-branch training form and a single-branch fused form.

    Subclasses implement :meth:`_fuse`, which replaces the training branches with the fused layer,
    deletes the branches, and may assume its children are already fused (``reparameterize`` on a
    whole model walks children first). Blocks built with ``inference_mode=True`` start fused.

    ``reparameterize()`` runs in place under ``torch.no_grad()``, reads BatchNorm running statistics
    whatever the train/eval mode, marks the block fused, and is a no-op on a fused block.
    """

    fused: bool = False

    def reparameterize(self) -> None:
        if self.fused:
            return
        with torch.no_grad():
            for child in self.children():
                reparameterize_tree(child)
            self._fuse()
        self.fused = True

    def _fuse(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fusion_notes(self) -> list[str]:
        """What this block deliberately leaves unfused and why (for ``fusion_report``)."""
        return []


def reparameterize_tree(module: nn.Module) -> None:
    """Fuse every Reparameterizable below (and including) ``module``, children first."""
    if isinstance(module, Reparameterizable):
        module.reparameterize()
        return
    for child in module.children():
        reparameterize_tree(child)


def conv_like(conv: nn.Conv2d, weight: torch.Tensor, bias: torch.Tensor | None, **overrides) -> nn.Conv2d:
    """A new Conv2d with ``conv``'s geometry (stride, padding, groups, ...) holding ``weight``/``bias``.

    ``overrides`` replace geometry fields, e.g. ``kernel_size`` when branches are merged into a larger
    kernel (padding then follows the merged kernel).
    """
    args = dict(
        in_channels=conv.in_channels, out_channels=conv.out_channels,
        kernel_size=tuple(weight.shape[-2:]), stride=conv.stride, padding=conv.padding,
        dilation=conv.dilation, groups=conv.groups, padding_mode=conv.padding_mode,
    )
    args.update(overrides)
    new = nn.Conv2d(**args, bias=bias is not None).to(device=weight.device, dtype=weight.dtype)
    new.weight.copy_(weight)
    if bias is not None:
        new.bias.copy_(bias)
    return new


def linear_like(weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Linear:
    """A new Linear holding ``weight``/``bias``."""
    new = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    new = new.to(device=weight.device, dtype=weight.dtype)
    new.weight.copy_(weight)
    if bias is not None:
        new.bias.copy_(bias)
    return new


class LayerScale(nn.Module):
    """``x * gamma`` per channel; ``gamma`` has shape (C, 1, 1) for maps or (C,) for tokens.

    Blocks fold it into the conv or Linear that precedes it when they fuse, so a fused model holds
    no LayerScale.
    """

    def __init__(self, dim: int, init_value: float = 1e-5, *, channels_first: bool = True) -> None:
        super().__init__()
        shape = (dim, 1, 1) if channels_first else (dim,)
        self.gamma = nn.Parameter(init_value * torch.ones(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma
