"""MobileOne block: k parallel conv-BN branches, a 1x1 scale branch and a BN skip, fused to one conv.

Apple's checkpoints (ml-mobileone, ml-fastvit) name the block's parts differently from timm and
edgerep; :data:`APPLE_RENAMES` maps them, for the families' layout converters.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from .base import Reparameterizable, conv_like
from .conv_norm import ConvNorm
from .fusion import fuse_conv_bn, identity_kernel, pad_kernel


class MobileOneBlock(Reparameterizable):
    """``act(se(sum(branches(x))))`` with branches: ``num_conv_branches`` kxk conv-BN, an optional
    1x1 conv-BN (only when k > 1) and a BN-only skip (only when shapes allow it).

    ``num_conv_branches=0`` with no scale branch gives a BN-only block (FastViT's RepMixer norm).
    Attribute names follow timm (``conv_kxk``, ``conv_scale``, ``identity``, ``reparam_conv``).
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        *,
        num_conv_branches: int = 1,
        use_scale_branch: bool = True,
        use_identity: bool = True,
        act_layer: type[nn.Module] | None = nn.GELU,
        se_layer: type[nn.Module] | None = None,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.in_chs, self.out_chs, self.kernel_size = in_chs, out_chs, kernel_size
        self.stride, self.groups = stride, groups
        self.se = se_layer(out_chs) if se_layer is not None else nn.Identity()
        self.act = act_layer() if act_layer is not None else nn.Identity()
        if inference_mode:
            self.reparam_conv = nn.Conv2d(
                in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=True
            )
            self.fused = True
            return
        has_identity = use_identity and in_chs == out_chs and stride == 1
        self.identity = nn.BatchNorm2d(out_chs) if has_identity else None
        self.conv_kxk = (
            nn.ModuleList(
                ConvNorm(in_chs, out_chs, kernel_size, stride, groups=groups)
                for _ in range(num_conv_branches)
            )
            if num_conv_branches > 0
            else None
        )
        self.conv_scale = (
            ConvNorm(in_chs, out_chs, 1, stride, groups=groups)
            if use_scale_branch and kernel_size > 1
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.act(self.se(self.reparam_conv(x)))
        out = self.identity(x) if self.identity is not None else 0
        if self.conv_scale is not None:
            out = out + self.conv_scale(x)
        if self.conv_kxk is not None:
            for branch in self.conv_kxk:
                out = out + branch(x)
        return self.act(self.se(out))

    def fused_kernel(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The (weight, bias) of the single conv equal to the sum of the branches (children fused)."""
        k = self.kernel_size
        ref = next(self.parameters())
        weight = torch.zeros(
            self.out_chs, self.in_chs // self.groups, k, k, dtype=ref.dtype, device=ref.device
        )
        bias = torch.zeros(self.out_chs, dtype=ref.dtype, device=ref.device)
        if self.identity is not None:
            kernel = identity_kernel(self.out_chs, self.groups, k, dtype=ref.dtype, device=ref.device)
            w, b = fuse_conv_bn(kernel, None, self.identity)
            weight, bias = weight + w, bias + b
        branches = list(self.conv_kxk or []) + ([self.conv_scale] if self.conv_scale else [])
        for branch in branches:
            branch.reparameterize()
            weight = weight + pad_kernel(branch.conv.weight, k)
            bias = bias + branch.conv.bias
        return weight, bias

    def _fuse(self) -> None:
        weight, bias = self.fused_kernel()
        template = nn.Conv2d(
            self.in_chs, self.out_chs, self.kernel_size, self.stride, self.kernel_size // 2,
            groups=self.groups, device="meta",
        )
        self.reparam_conv = conv_like(template, weight, bias)
        for name in ("identity", "conv_kxk", "conv_scale"):
            delattr(self, name)


# Apple's MobileOneBlock -> this one, as rules for ``checkpoints.rename_keys``: the kxk conv-BN
# branches, the 1x1 scale branch, the BN skip, and the squeeze-excite's two 1x1 convs. The fused
# conv has the same name (``reparam_conv``) in both.
APPLE_RENAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.rbr_conv\."), ".conv_kxk."),
    (re.compile(r"\.rbr_scale\."), ".conv_scale."),
    (re.compile(r"\.rbr_skip\."), ".identity."),
    (re.compile(r"\.se\.reduce\."), ".se.fc1."),
    (re.compile(r"\.se\.expand\."), ".se.fc2."),
)
