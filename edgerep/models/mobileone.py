"""MobileOne (Vasu et al., "An Improved One millisecond Mobile Backbone", CVPR 2023): S0-S4.

A ReLU network of MobileOne blocks: a dense 3x3 stride-2 stem, then four stages of (depthwise 3x3,
pointwise 1x1) block pairs, global average pooling and a Linear classifier. Every block folds into
one conv, so the fused model is a plain conv/ReLU stack (S4 keeps its squeeze-excite gates, which
are not linear and have nothing to fold).

Module names follow timm's ``mobileone_s*`` (``stem``, ``stages.i.j``, ``head.fc``; the block keys
``conv_kxk``, ``conv_scale``, ``identity``, ``reparam_conv``), so timm checkpoints load by renaming
the SE (``attn`` -> ``se``) only; Apple's ml-mobileone checkpoints load by renaming their names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from ..checkpoints import StateDict, register_layouts, rename_keys
from ..layers.head import ClassifierHead
from ..layers.mobileone import APPLE_RENAMES as BLOCK_APPLE_RENAMES, MobileOneBlock
from ..layers.squeeze_excite import SqueezeExcite
from ..registry import IMAGENET_MEAN, IMAGENET_STD, ModelSpec, Published, register_model

_BASE_WIDTHS = (64, 128, 256, 512)
_DEPTHS = (2, 8, 10, 1)  # (depthwise, pointwise) block pairs per stage, all variants


def _make_stage(
    in_chs: int,
    out_chs: int,
    depth: int,
    *,
    num_conv_branches: int,
    num_se: int,
    act_layer: type[nn.Module],
    inference_mode: bool,
) -> nn.Sequential:
    """``depth`` pairs of depthwise 3x3 (stride 2 in the first pair) and pointwise 1x1 blocks.

    The last ``num_se`` pairs gate both of their blocks with squeeze-excite (as Apple and timm do).
    """
    blocks: list[nn.Module] = []
    for i in range(depth):
        se_layer = SqueezeExcite if i >= depth - num_se else None  # rd_ratio 0.0625, MobileOne's
        common = dict(
            num_conv_branches=num_conv_branches, act_layer=act_layer, se_layer=se_layer,
            inference_mode=inference_mode,
        )
        blocks.append(MobileOneBlock(in_chs, in_chs, 3, stride=2 if i == 0 else 1, groups=in_chs, **common))
        blocks.append(MobileOneBlock(in_chs, out_chs, 1, **common))
        in_chs = out_chs
    return nn.Sequential(*blocks)


class MobileOne(nn.Module):
    """MobileOne classifier; ``inference_mode=True`` builds the fused single-branch layout.

    Args:
        width_multipliers: per-stage multipliers of the base widths 64, 128, 256, 512.
        num_conv_branches: parallel kxk conv-BN branches of every stage block (the stem has one).
        se_blocks: per stage, how many trailing block pairs carry squeeze-excite.
        num_classes: classifier outputs.
        depths: block pairs per stage.
        act_layer: activation after every block.
        inference_mode: build the fused form directly (for fused checkpoints).
    """

    def __init__(
        self,
        width_multipliers: tuple[float, float, float, float],
        *,
        num_conv_branches: int = 1,
        se_blocks: tuple[int, int, int, int] = (0, 0, 0, 0),
        num_classes: int = 1000,
        depths: tuple[int, int, int, int] = _DEPTHS,
        act_layer: type[nn.Module] = nn.ReLU,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if not len(width_multipliers) == len(depths) == len(se_blocks) == len(_BASE_WIDTHS):
            raise ValueError(
                f"width_multipliers, depths and se_blocks need one value per stage (4), got "
                f"{len(width_multipliers)}, {len(depths)} and {len(se_blocks)}"
            )
        for stage, (n_se, depth) in enumerate(zip(se_blocks, depths)):
            if not 0 <= n_se <= depth:
                raise ValueError(
                    f"se_blocks[{stage}]={n_se} is not in 0..{depth} (the stage has {depth} block pairs)"
                )
        stem_chs = min(64, int(64 * width_multipliers[0]))
        self.stem = MobileOneBlock(3, stem_chs, 3, stride=2, act_layer=act_layer, inference_mode=inference_mode)
        stages = []
        in_chs = stem_chs
        for base, mult, depth, n_se in zip(_BASE_WIDTHS, width_multipliers, depths, se_blocks):
            out_chs = int(base * mult)
            stages.append(_make_stage(
                in_chs, out_chs, depth, num_conv_branches=num_conv_branches, num_se=n_se,
                act_layer=act_layer, inference_mode=inference_mode,
            ))
            in_chs = out_chs
        self.stages = nn.Sequential(*stages)
        self.num_features = in_chs
        self.head = ClassifierHead(in_chs, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, (B, num_features, H/32, W/32)."""
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))


@dataclass(frozen=True)
class MobileOneConfig:
    """One variant: architecture, preprocessing of the published weights, published figures."""

    width_multipliers: tuple[float, float, float, float]
    num_conv_branches: int
    se_blocks: tuple[int, int, int, int]
    crop_pct: float
    published: Published


_SOURCE = "apple/ml-mobileone (CVPR 2023); timm mobileone_s*.apple_in1k"


def _published(train: float, fused: float, macs: float, top1: float, ms: float) -> Published:
    return Published(
        source=_SOURCE, params_train=train, params_fused=fused, macs_fused=macs,
        accuracy={"imagenet_top1": top1}, latency_ms=ms, latency_device="iPhone 12 Pro (Core ML, ModelBench)",
    )


CONFIGS: dict[str, MobileOneConfig] = {
    "mobileone_s0": MobileOneConfig(
        (0.75, 1.0, 1.0, 2.0), 4, (0, 0, 0, 0), 0.875, _published(5.293e6, 2.079e6, 0.275e9, 71.4, 0.79)
    ),
    "mobileone_s1": MobileOneConfig(
        (1.5, 1.5, 2.0, 2.5), 1, (0, 0, 0, 0), 0.9, _published(4.825e6, 4.765e6, 0.825e9, 75.9, 0.89)
    ),
    "mobileone_s2": MobileOneConfig(
        (1.5, 2.0, 2.5, 4.0), 1, (0, 0, 0, 0), 0.9, _published(7.885e6, 7.808e6, 1.298e9, 77.4, 1.18)
    ),
    "mobileone_s3": MobileOneConfig(
        (2.0, 2.5, 3.0, 4.0), 1, (0, 0, 0, 0), 0.9, _published(10.171e6, 10.078e6, 1.896e9, 78.1, 1.53)
    ),
    "mobileone_s4": MobileOneConfig(
        (3.0, 3.5, 3.5, 4.0), 1, (0, 0, 5, 1), 0.9, _published(14.951e6, 14.838e6, 2.979e9, 79.4, 1.86)
    ),
}


def _build(name: str, *, inference_mode: bool = False, num_classes: int = 1000) -> MobileOne:
    cfg = CONFIGS[name]
    return MobileOne(
        cfg.width_multipliers, num_conv_branches=cfg.num_conv_branches, se_blocks=cfg.se_blocks,
        num_classes=num_classes, inference_mode=inference_mode,
    )


def _spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name, family="mobileone", task="classification", builder=partial(_build, name),
        input_size=(3, 224, 224), mean=IMAGENET_MEAN, std=IMAGENET_STD, published=CONFIGS[name].published,
        interpolation="bilinear", crop_pct=CONFIGS[name].crop_pct, baseline=True, test_input_size=(3, 64, 64),
    )


for _name in CONFIGS:
    register_model(_spec(_name))


# ---- timm and Apple ml-mobileone checkpoint layouts -------------------------------------------

def from_timm(sd: StateDict) -> StateDict:
    """timm ``mobileone_s*`` (training form or ``reparameterize_model`` output): SE ``attn`` -> ``se``."""
    if "head.fc.weight" not in sd:
        raise KeyError("not a timm MobileOne state dict: no head.fc.weight")
    return {k.replace(".attn.", ".se."): v for k, v in sd.items()}


# Apple's module names -> edgerep's; inside the blocks, the block's own rules.
_APPLE_RENAMES = (
    (re.compile(r"^stage0\."), "stem."),
    (re.compile(r"^stage([1-4])\."), lambda m: f"stages.{int(m[1]) - 1}."),
    *BLOCK_APPLE_RENAMES,
    (re.compile(r"^linear\."), "head.fc."),
)


def from_apple(sd: StateDict) -> StateDict:
    """apple/ml-mobileone ``mobileone_s*.pth.tar``, unfused or ``reparameterize_model`` output."""
    if not any(k.startswith("stage0.") for k in sd):
        raise KeyError("not an apple/ml-mobileone state dict: no stage0.* keys")
    return rename_keys(sd, _APPLE_RENAMES)


# The references fuse every MobileOneBlock, and MobileOne has no BN or layer scale elsewhere: their
# fused checkpoints are already complete and load straight into inference_mode=True.
register_layouts("mobileone", {"timm": from_timm, "apple": from_apple}, reference_fused_types=(MobileOneBlock,))
