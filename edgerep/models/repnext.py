"""RepNeXt m0 ... m5 (Zhao et al. 2024, arXiv 2406.16004; reference code: suous/RepNeXt).

A MetaNeXt network: ``x + MLP(BN(ChunkConv(x)))`` blocks on four stages, ``CopyConv`` downsampling.
Key names follow the reference, except inside ConvNorm (``bn`` for its ``norm``), the stem (one
Sequential instead of ``stem.stem``) and the fused layers (``reparam_conv``, ``head.fc``); the
"official" layout below renames both the reference's training and its fused checkpoints.

Fusion goes further than the reference's ``fuse()``: the BN after each ChunkConv folds into the first
1x1 conv of the MLP, the downsample BN into the CopyConv kernels, so no BatchNorm is left. The serial
1x11 -> 11x1 pair stays two convs (one 11x11 kernel costs 121 / 22 = 5.5x the MACs).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from ..checkpoints import StateDict, register_layouts, rename_keys
from ..layers.base import Reparameterizable, conv_like, linear_like
from ..layers.conv_norm import ConvNorm
from ..layers.fusion import fuse_bn_linear, fuse_conv_bn
from ..layers.rep_dwconv import DWBranch, RepDWConv, parallel, serial
from ..registry import IMAGENET_MEAN, IMAGENET_STD, ModelSpec, Published, register_model

LARGE_KERNEL = 11


def small_branches(stride: int) -> tuple[DWBranch, ...]:
    """RepDWConvS, fused to 3x3: 3x3 + 2x2 dilated by 2 + a 1x3/3x1 cross.

    The cross is two parallel convs at stride 1 and a serial 1x3 -> 3x1 pair at stride 2.
    """
    cross = (
        (parallel("conv_3_w", (1, 3)), parallel("conv_3_h", (3, 1)))
        if stride == 1
        else (serial("conv_3_w", "conv_3_h", 3),)
    )
    return (parallel("conv_3_3", 3), *cross, parallel("conv_2_2", 2, dilation=2))


# RepDWConvM, fused to 7x7: 7x7 + 5x3 + 3x5 in parallel, plus serial 1x7 -> 7x1 and 1x5 -> 5x1.
MEDIUM_BRANCHES: tuple[DWBranch, ...] = (
    parallel("conv_7_7", 7),
    parallel("conv_5_3", (5, 3)),
    parallel("conv_3_5", (3, 5)),
    serial("conv_7_w", "conv_7_h", 7),
    serial("conv_5_w", "conv_5_h", 5),
)


def _mlp(dim: int, hidden: int, act_layer: type[nn.Module], inference_mode: bool) -> nn.Sequential:
    return nn.Sequential(
        ConvNorm(dim, hidden, 1, inference_mode=inference_mode),
        act_layer(),
        ConvNorm(hidden, dim, 1, inference_mode=inference_mode),
    )


class ChunkConv(Reparameterizable):
    """Channels split in four: identity | small (3x3) | medium (7x7) | serial 1x11 -> 11x1, concatenated.

    Fusing fuses the small and medium branches (children); the large pair is deliberately kept.
    """

    def __init__(self, dim: int, *, inference_mode: bool = False) -> None:
        super().__init__()
        if dim % 4:
            raise ValueError(f"ChunkConv splits channels in 4: dim must be divisible by 4, got {dim}")
        c = dim // 4
        self.conv_s = RepDWConv(c, 3, 1, small_branches(1), inference_mode=inference_mode)
        self.conv_m = RepDWConv(c, 7, 1, MEDIUM_BRANCHES, inference_mode=inference_mode)
        k = LARGE_KERNEL
        self.conv_l = nn.Sequential(
            nn.Conv2d(c, c, (1, k), padding=(0, k // 2), groups=c),
            nn.Conv2d(c, c, (k, 1), padding=(k // 2, 0), groups=c),
        )
        self.fused = inference_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i, s, m, l = torch.chunk(x, 4, dim=1)
        return torch.cat((i, self.conv_s(s), self.conv_m(m), self.conv_l(l)), dim=1)

    def _fuse(self) -> None:
        pass  # conv_s and conv_m are fused as children; conv_l is kept (fusion_notes)

    def fusion_notes(self) -> list[str]:
        k = LARGE_KERNEL
        return [
            f"conv_l: serial 1x{k} -> {k}x1 depthwise pair kept as two convs "
            f"(one {k}x{k} kernel would cost {k * k / (2 * k):.1f}x the MACs)"
        ]


class CopyConv(nn.Module):
    """The input twice, through a stride-2 small and a stride-2 medium kernel, concatenated (2x channels)."""

    def __init__(self, dim: int, *, inference_mode: bool = False) -> None:
        super().__init__()
        self.conv_s = RepDWConv(dim, 3, 2, small_branches(2), inference_mode=inference_mode)
        self.conv_m = RepDWConv(dim, 7, 2, MEDIUM_BRANCHES, inference_mode=inference_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((self.conv_s(x), self.conv_m(x)), dim=1)


class MetaNeXtBlock(Reparameterizable):
    """``x + MLP(BN(ChunkConv(x)))``; fused: the BN is folded into the MLP's first 1x1 conv."""

    def __init__(
        self, dim: int, mlp_ratio: int = 2, act_layer: type[nn.Module] = nn.GELU, *, inference_mode: bool = False
    ) -> None:
        super().__init__()
        self.token_mixer = ChunkConv(dim, inference_mode=inference_mode)
        if not inference_mode:
            self.norm = nn.BatchNorm2d(dim)
        self.channel_mixer = _mlp(dim, dim * mlp_ratio, act_layer, inference_mode)
        self.fused = inference_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.token_mixer(x)
        if not self.fused:
            y = self.norm(y)
        return x + self.channel_mixer(y)

    def _fuse(self) -> None:
        first = self.channel_mixer[0]
        # BN then a 1x1 conv: no zero padding in between, so the fold is exact
        w, b = fuse_bn_linear(self.norm, first.conv.weight, first.conv.bias)
        first.conv = conv_like(first.conv, w, b)
        del self.norm


class Downsample(Reparameterizable):
    """``y = BN(CopyConv(x)); y + MLP(y)``: half the resolution, twice the channels.

    Fused: the BN folds into the two CopyConv kernels (a conv followed by BN).
    """

    def __init__(
        self, in_chs: int, mlp_ratio: int = 2, act_layer: type[nn.Module] = nn.GELU, *, inference_mode: bool = False
    ) -> None:
        super().__init__()
        dim = 2 * in_chs
        self.token_mixer = CopyConv(in_chs, inference_mode=inference_mode)
        if not inference_mode:
            self.norm = nn.BatchNorm2d(dim)
        self.channel_mixer = _mlp(dim, dim * mlp_ratio, act_layer, inference_mode)
        self.fused = inference_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.token_mixer(x)
        if not self.fused:
            y = self.norm(y)
        return y + self.channel_mixer(y)

    def _fuse(self) -> None:
        branches = (self.token_mixer.conv_s, self.token_mixer.conv_m)
        start = 0
        for branch in branches:
            conv = branch.reparam_conv
            stop = start + conv.out_channels
            w, b = fuse_conv_bn(conv.weight, conv.bias, _batchnorm_slice(self.norm, start, stop))
            branch.reparam_conv = conv_like(conv, w, b)
            start = stop
        del self.norm


def _batchnorm_slice(bn: nn.BatchNorm2d, start: int, stop: int) -> nn.BatchNorm2d:
    """Channels ``start:stop`` of ``bn`` as a BatchNorm of their own (eval statistics)."""
    ref = bn.running_mean
    part = nn.BatchNorm2d(stop - start, eps=bn.eps, affine=bn.affine, device=ref.device, dtype=ref.dtype)
    part.running_mean.copy_(bn.running_mean[start:stop])
    part.running_var.copy_(bn.running_var[start:stop])
    if bn.affine:
        part.weight.copy_(bn.weight[start:stop])
        part.bias.copy_(bn.bias[start:stop])
    return part


def _norm_linear(dim: int, num_classes: int) -> nn.Sequential:
    linear = nn.Linear(dim, num_classes)
    nn.init.trunc_normal_(linear.weight, std=0.02)
    nn.init.zeros_(linear.bias)
    return nn.Sequential(OrderedDict(norm=nn.BatchNorm1d(dim), linear=linear))


class RepNeXtHead(Reparameterizable):
    """Mean of two BN1d + Linear classifiers (``head`` and the distillation ``head_dist``).

    The reference returns both outputs in training with distillation; edgerep always returns their
    mean (the inference output). Fused: one Linear ``fc``.
    """

    def __init__(self, dim: int, num_classes: int, *, inference_mode: bool = False) -> None:
        super().__init__()
        if inference_mode:
            self.fc = nn.Linear(dim, num_classes)
            self.fused = True
            return
        self.head = _norm_linear(dim, num_classes)
        self.head_dist = _norm_linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.fc(x)
        return (self.head(x) + self.head_dist(x)) / 2

    def _fuse(self) -> None:
        w1, b1 = fuse_bn_linear(self.head.norm, self.head.linear.weight, self.head.linear.bias)
        w2, b2 = fuse_bn_linear(self.head_dist.norm, self.head_dist.linear.weight, self.head_dist.linear.bias)
        self.fc = linear_like((w1 + w2) / 2, (b1 + b2) / 2)
        del self.head, self.head_dist


class RepNeXtStage(nn.Module):
    def __init__(
        self,
        in_chs: int,
        dim: int,
        depth: int,
        *,
        downsample: bool,
        mlp_ratio: int = 2,
        act_layer: type[nn.Module] = nn.GELU,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.downsample = (
            Downsample(in_chs, mlp_ratio, act_layer, inference_mode=inference_mode) if downsample else nn.Identity()
        )
        self.blocks = nn.Sequential(
            *(MetaNeXtBlock(dim, mlp_ratio, act_layer, inference_mode=inference_mode) for _ in range(depth))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class RepNeXt(nn.Module):
    """Stem (two stride-2 3x3 conv-BN, GELU between), four stages, mean pool, averaged two-head classifier.

    Input sides must be multiples of 32 for the stages to line up (any size works, odd sizes round up).
    """

    def __init__(
        self,
        dims: tuple[int, ...],
        depths: tuple[int, ...],
        *,
        mlp_ratio: int = 2,
        in_chans: int = 3,
        num_classes: int = 1000,
        act_layer: type[nn.Module] = nn.GELU,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if len(dims) != len(depths):
            raise ValueError(f"dims and depths need one entry per stage, got {dims} and {depths}")
        for prev, dim in zip(dims, dims[1:]):
            if dim != 2 * prev:
                raise ValueError(f"each stage doubles the channels (CopyConv), got dims={dims}")
        self.num_classes = num_classes
        self.stem = nn.Sequential(
            ConvNorm(in_chans, dims[0] // 2, 3, 2, inference_mode=inference_mode),
            act_layer(),
            ConvNorm(dims[0] // 2, dims[0], 3, 2, inference_mode=inference_mode),
        )
        in_chs = dims[0]
        stages = []
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            stages.append(RepNeXtStage(
                in_chs, dim, depth, downsample=i > 0, mlp_ratio=mlp_ratio, act_layer=act_layer,
                inference_mode=inference_mode,
            ))
            in_chs = dim
        self.stages = nn.Sequential(*stages)
        self.head = RepNeXtHead(dims[-1], num_classes, inference_mode=inference_mode)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.mean((2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


@dataclass(frozen=True)
class RepNeXtConfig:
    """One variant: architecture and the figures published for it."""

    dims: tuple[int, int, int, int]
    depths: tuple[int, int, int, int]
    published: Published


_SOURCE = "suous/RepNeXt (arXiv 2406.16004), README and model/repnext.py; top-1 with distillation"


def _published(train: float, fused: float, macs: float, top1: float, ms: float) -> Published:
    """suous/RepNeXt (README and paper): params of the reference train / fused forms, fused MACs @224, ImageNet-1k
    top-1 (trained with hard distillation from RegNetY-16GF), iPhone 12 latency."""
    return Published(
        source=_SOURCE, params_train=train, params_fused=fused, macs_fused=macs,
        accuracy={"imagenet_top1": top1},
        latency_ms=ms, latency_device="iPhone 12, iOS 16 (Xcode 14 Core ML report)",
    )


CONFIGS: dict[str, RepNeXtConfig] = {
    "repnext_m0": RepNeXtConfig(
        (40, 80, 160, 320), (2, 2, 9, 1), _published(2.716e6, 2.333e6, 0.388e9, 74.2, 0.59)
    ),
    "repnext_m1": RepNeXtConfig(
        (48, 96, 192, 384), (3, 3, 15, 2), _published(5.323e6, 4.830e6, 0.822e9, 78.8, 0.86)
    ),
    "repnext_m2": RepNeXtConfig(
        (56, 112, 224, 448), (3, 3, 15, 2), _published(7.049e6, 6.473e6, 1.111e9, 80.1, 1.00)
    ),
    "repnext_m3": RepNeXtConfig(
        (64, 128, 256, 512), (3, 3, 13, 2), _published(8.467e6, 7.819e6, 1.339e9, 80.7, 1.11)
    ),
    "repnext_m4": RepNeXtConfig(
        (64, 128, 256, 512), (5, 5, 25, 4), _published(14.080e6, 13.342e6, 2.289e9, 82.3, 1.48)
    ),
    "repnext_m5": RepNeXtConfig(
        (80, 160, 320, 640), (7, 7, 35, 2), _published(22.709e6, 21.738e6, 4.544e9, 83.3, 2.20)
    ),
}


def _build(name: str, *, inference_mode: bool = False, num_classes: int = 1000) -> RepNeXt:
    cfg = CONFIGS[name]
    return RepNeXt(cfg.dims, cfg.depths, num_classes=num_classes, inference_mode=inference_mode)


def _spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name, family="repnext", task="classification", builder=partial(_build, name),
        input_size=(3, 224, 224), mean=IMAGENET_MEAN, std=IMAGENET_STD, published=CONFIGS[name].published,
        # The reference evaluates like DeiT/RepViT: bicubic resize to 256, centre crop 224.
        interpolation="bicubic", crop_pct=0.875, test_input_size=(3, 64, 64),
    )


for _name in CONFIGS:
    register_model(_spec(_name))


# ---- suous/RepNeXt checkpoint layout ----------------------------------------------------------

# suous/RepNeXt keys -> edgerep keys, for its training checkpoints (``*_distill_300e.pth``) and its
# fused ones (``*_fused.pt``: ConvNorm, RepDWConvS/M and the classifier replaced by plain layers).
_OFFICIAL_RENAMES = (
    (re.compile(r"^stem\.stem\."), "stem."),
    (re.compile(r"^((?:stem|.*\.channel_mixer)\.\d+)\.norm\."), r"\1.bn."),
    (re.compile(r"^((?:stem|.*\.channel_mixer)\.\d+)\.(weight|bias)$"), r"\1.conv.\2"),
    (re.compile(r"(\.token_mixer\.conv_[sm])\.(weight|bias)$"), r"\1.reparam_conv.\2"),
    (re.compile(r"^head\.(weight|bias)$"), r"head.fc.\1"),
)


def from_official(sd: StateDict) -> StateDict:
    """Rename a suous/RepNeXt state dict (training or fused form) into edgerep keys."""
    if not any(k.startswith("stem.stem.") for k in sd):
        raise KeyError("not a suous/RepNeXt state dict (no 'stem.stem.*' keys)")
    return rename_keys(sd, _OFFICIAL_RENAMES)


# The reference's fuse() fuses conv-BN pairs, RepDWConvS/M and the classifier; it keeps the BN after
# every token mixer (17 in m0 ... 54 in m5), which edgerep folds.
register_layouts("repnext", {"official": from_official}, reference_fused_types=(ConvNorm, RepDWConv, RepNeXtHead))
