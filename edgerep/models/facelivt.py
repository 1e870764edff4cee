"""FaceLiVT (Setyawan et al., ICIP 2025 / APCCAS 2025) and FaceLiVTv2: mobile face embeddings.

112x112 aligned faces in, a raw 512-d embedding out (not normalized). A GELU network of four stages
at 28, 14, 7 and 4 pixels: a stem of two stride-2 RepConvs; stages of blocks that mix tokens with a
re-parameterizable depthwise conv (RepMix) or multi-head linear attention (MHLA, Linear maps along
the token axis, so the model only runs at 112x112), each followed by a residual 1x1 FFN; PatchMerging
between stages. v1 pools and projects with BN1d + Linear; v2 adds RepMix + Lite MHLA blocks in the
last two stages and a GDConv head (1x1 conv-BN to 1284, 4x4 depthwise conv-BN, BN1d + Linear).

Fused, every RepConv is one conv (residual included), every conv-BN one conv and every BN1d + Linear
one Linear, so no BatchNorm remains; Lite MHLA's layer scale folds into its affine. The v1 GroupNorm
stays (data-dependent). The reference's package-level ``reparameterize`` looks for a ``deploy``
method and so silently leaves v1 models (whose blocks name it ``reparam``) unfused.

Official checkpoints (novendrastywn/FaceLiVT, ``backbones/facelivt*.py``, training form or the
output of the reference's ``reparameterize``) load through the ``official`` layout.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch
from torch import nn

from ..checkpoints import StateDict, register_layouts
from ..layers.base import Reparameterizable, conv_like, linear_like
from ..layers.conv_norm import ConvNorm
from ..layers.fusion import fuse_bn_linear, fuse_conv_bn, identity_kernel, pad_kernel
from ..layers.linear_attention import LiteMultiHeadLinearAttention, MultiHeadLinearAttention
from ..registry import FACE_MEAN, FACE_STD, ModelSpec, Published, register_model

INPUT_SIZE = 112
_STEM_STRIDE = 4


class RepConv(Reparameterizable):
    """``bn(conv_kxk(x) + conv_small(x))`` (plus ``x`` with ``residual``); fused: one kxk conv.

    ``conv_small`` is a (k//2)x(k//2) conv with the same stride, centred on the same pixels, so it
    folds into the kxk kernel by zero padding. Both convs have a bias (as in the reference). With
    ``residual=True`` (FaceLiVT's RepMix token mixer) the identity joins the kernel as well. Keys
    follow the reference (``conv``, ``repconv``, ``bn``; fused ``conv``).
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        *,
        residual: bool = False,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        small = kernel_size // 2
        if small < 1 or (kernel_size - small) % 2:
            raise ValueError(
                f"RepConv kernel_size={kernel_size}: its ({small}x{small}) branch cannot be centred in "
                "the main kernel; use 3 or 7"
            )
        if residual and (in_chs != out_chs or stride != 1):
            raise ValueError(
                f"RepConv residual=True needs in_chs == out_chs and stride 1, got {in_chs} -> {out_chs}, "
                f"stride {stride}"
            )
        self.residual = residual
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups)
        if inference_mode:
            self.fused = True
            return
        self.repconv = nn.Conv2d(in_chs, out_chs, small, stride, small // 2, groups=groups)
        self.bn = nn.BatchNorm2d(out_chs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.conv(x)
        y = self.bn(self.conv(x) + self.repconv(x))
        return x + y if self.residual else y

    def _fuse(self) -> None:
        conv = self.conv
        k = conv.kernel_size[0]
        w = conv.weight + pad_kernel(self.repconv.weight, k)
        w, b = fuse_conv_bn(w, conv.bias + self.repconv.bias, self.bn)
        if self.residual:
            w = w + identity_kernel(conv.out_channels, conv.groups, k, dtype=w.dtype, device=w.device)
        self.conv = conv_like(conv, w, b)
        del self.repconv, self.bn


class NormLinear(Reparameterizable):
    """``fc(bn(x))`` on (B, C) features; fused: ``fc`` (BN folded into its input side)."""

    def __init__(self, in_features: int, out_features: int, *, inference_mode: bool = False) -> None:
        super().__init__()
        if inference_mode:
            self.fused = True
        else:
            self.bn = nn.BatchNorm1d(in_features)
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x if self.fused else self.bn(x))

    def _fuse(self) -> None:
        self.fc = linear_like(*fuse_bn_linear(self.bn, self.fc.weight, self.fc.bias))
        del self.bn


class FFN(nn.Module):
    """1x1 conv-BN, activation, 1x1 conv-BN (the residual is added by the caller).

    The second BN's weight starts at 0 (as in the reference), so a fresh residual FFN is the identity.
    """

    def __init__(
        self, dim: int, hidden: int, act_layer: type[nn.Module], *, inference_mode: bool = False
    ) -> None:
        super().__init__()
        self.pw1 = ConvNorm(dim, hidden, inference_mode=inference_mode)
        self.act = act_layer()
        self.pw2 = ConvNorm(hidden, dim, inference_mode=inference_mode)
        if not inference_mode:
            nn.init.zeros_(self.pw2.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw2(self.act(self.pw1(x)))


class PatchMerging(nn.Module):
    """Downsampling between stages: depthwise 3x3 stride-2 RepConv, 1x1 conv-BN, residual FFN (2x)."""

    def __init__(
        self, in_chs: int, out_chs: int, act_layer: type[nn.Module], *, inference_mode: bool = False
    ) -> None:
        super().__init__()
        self.dw = RepConv(in_chs, in_chs, 3, stride=2, groups=in_chs, inference_mode=inference_mode)
        self.pw = ConvNorm(in_chs, out_chs, inference_mode=inference_mode)
        self.ffn = FFN(out_chs, 2 * out_chs, act_layer, inference_mode=inference_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pw(self.dw(x))
        return x + self.ffn(x)


# Token mixers of a block, in order: "repmix" is the RepConv residual, the others are attention
# layers added residually. v1 stages use one mixer per block, v2's last stages use RepMix + Lite MHLA.
MIXERS: dict[str, tuple[str, ...]] = {
    "repmix": ("repmix",),
    "mhla": ("mhla",),
    "repmix_lite_mhla": ("repmix", "lite_mhla"),
}


class Block(nn.Module):
    """Token mixing (RepMix and/or linear attention, each residual), then a residual FFN."""

    def __init__(
        self,
        dim: int,
        mixer: str,
        resolution: int,
        mlp_ratio: int,
        act_layer: type[nn.Module],
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if mixer not in MIXERS:
            raise ValueError(f"mixer must be one of {sorted(MIXERS)}, got {mixer!r}")
        parts = MIXERS[mixer]
        self.rep_mixer = (
            RepConv(dim, dim, 3, groups=dim, residual=True, inference_mode=inference_mode)
            if "repmix" in parts else None
        )
        attn: nn.Module | None = None
        if "mhla" in parts:
            attn = MultiHeadLinearAttention(dim, resolution, act_layer=act_layer, inference_mode=inference_mode)
        elif "lite_mhla" in parts:
            attn = LiteMultiHeadLinearAttention(dim, resolution, inference_mode=inference_mode)
        self.attn = attn
        self.ffn = FFN(dim, dim * mlp_ratio, act_layer, inference_mode=inference_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rep_mixer is not None:
            x = self.rep_mixer(x)
        if self.attn is not None:
            x = x + self.attn(x)
        return x + self.ffn(x)


class Stage(nn.Module):
    """PatchMerging (all stages but the first), then ``depth`` blocks."""

    def __init__(
        self,
        in_chs: int,
        dim: int,
        depth: int,
        mixer: str,
        resolution: int,
        mlp_ratio: int,
        act_layer: type[nn.Module],
        *,
        downsample: bool,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.downsample = (
            PatchMerging(in_chs, dim, act_layer, inference_mode=inference_mode) if downsample else nn.Identity()
        )
        self.blocks = nn.Sequential(*(
            Block(dim, mixer, resolution, mlp_ratio, act_layer, inference_mode=inference_mode)
            for _ in range(depth)
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class FaceLiVT(nn.Module):
    """FaceLiVT v1 / v2 face embedder; ``inference_mode=True`` builds the fused layout.

    Args:
        cfg: the variant (a value of ``CONFIGS``).
        num_classes: embedding size.
        act_layer: activation everywhere (GELU in the published models).
        inference_mode: build the fused form directly (for fused checkpoints).
    """

    def __init__(
        self,
        cfg: FaceLiVTConfig,
        *,
        num_classes: int = 512,
        act_layer: type[nn.Module] = nn.GELU,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.input_hw = (INPUT_SIZE, INPUT_SIZE)
        dims = cfg.dims
        self.stem = nn.Sequential(
            RepConv(3, dims[0] // 2, 3, stride=2, inference_mode=inference_mode),
            act_layer(),
            RepConv(dims[0] // 2, dims[0], 3, stride=2, inference_mode=inference_mode),
        )
        resolution = INPUT_SIZE // _STEM_STRIDE
        stages = []
        for i, (dim, depth, mixer) in enumerate(zip(dims, cfg.depths, cfg.mixers)):
            if i > 0:
                resolution = math.ceil(resolution / 2)  # 28, 14, 7, 4 (3x3 stride 2, padding 1)
            stages.append(Stage(
                dims[i - 1] if i else dim, dim, depth, mixer, resolution, cfg.mlp_ratio, act_layer,
                downsample=i > 0, inference_mode=inference_mode,
            ))
        self.stages = nn.Sequential(*stages)
        features = dims[-1]
        if cfg.gdconv_dim is None:
            self.pre_head: nn.Module = nn.AdaptiveAvgPool2d(1)
        else:
            # global depthwise conv: a kernel the size of the last feature map, no padding
            features = cfg.gdconv_dim
            self.pre_head = nn.Sequential(
                ConvNorm(dims[-1], features, inference_mode=inference_mode),
                ConvNorm(features, features, resolution, padding=0, groups=features, inference_mode=inference_mode),
            )
        self.num_features = features
        self.head = NormLinear(features, num_classes, inference_mode=inference_mode)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, (B, dims[-1], 4, 4)."""
        if tuple(x.shape[-2:]) != self.input_hw:
            raise ValueError(
                f"FaceLiVT takes {INPUT_SIZE}x{INPUT_SIZE} inputs (its linear attention maps a fixed "
                f"token grid), got {x.shape[-2]}x{x.shape[-1]}: align and resize faces to "
                f"{INPUT_SIZE}x{INPUT_SIZE}"
            )
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pre_head(self.forward_features(x)).flatten(1))


@dataclass(frozen=True)
class FaceLiVTConfig:
    """One variant: architecture and the figures published for it."""

    dims: tuple[int, int, int, int]
    depths: tuple[int, int, int, int]
    mixers: tuple[str, str, str, str]
    mlp_ratio: int
    gdconv_dim: int | None  # v2's GDConv head width; None: average pooling (v1)
    published: Published


_SOURCE = "novendrastywn/FaceLiVT (ICIP 2025; v2 submitted to T-BIOM), README tables"


def _published(
    params: float | None = None,
    macs: float | None = None,
    accuracy: tuple[float, float, float] | None = None,
    ms: float | None = None,
) -> Published:
    """Fused params and MACs, LFW / CFP-FP / AgeDB-30 accuracy, iPhone 15 Pro latency (None: not published)."""
    return Published(
        source=_SOURCE, params_fused=params, macs_fused=macs,
        accuracy=dict(zip(("LFW", "CFP-FP", "AgeDB-30"), accuracy or ())),
        latency_ms=ms, latency_device="iPhone 15 Pro" if ms else None,
    )


_V1 = dict(depths=(2, 4, 6, 2), mixers=("repmix", "repmix", "mhla", "mhla"), mlp_ratio=3, gdconv_dim=None)
_V2 = dict(
    depths=(3, 3, 9, 3), mixers=("repmix", "repmix", "repmix_lite_mhla", "repmix_lite_mhla"),
    mlp_ratio=2, gdconv_dim=1284,
)

CONFIGS: dict[str, FaceLiVTConfig] = {
    "facelivt_s": FaceLiVTConfig(
        (40, 80, 160, 320), **_V1, published=_published(5.056e6, 157e6, (99.70, 95.10, 96.60), 0.47)
    ),
    "facelivt_m": FaceLiVTConfig(
        (64, 128, 256, 512), **_V1, published=_published(9.746e6, 380e6, (99.70, 97.20, 97.60), 0.67)
    ),
    "facelivtv2_xs": FaceLiVTConfig(
        (32, 64, 128, 256), **_V2, published=_published(2.970e6, 88e6, (99.63, 95.23, 96.68), 0.43)
    ),
    "facelivtv2_s": FaceLiVTConfig(
        (48, 96, 192, 320), **_V2, published=_published(4.621e6, 176e6, (99.78, 97.47, 97.82), 0.54)
    ),
    "facelivtv2_m": FaceLiVTConfig(
        (56, 112, 224, 448), **_V2, published=_published(7.018e6, 254e6, (99.78, 97.93, 98.10), 0.65)
    ),
    "facelivtv2_l": FaceLiVTConfig((64, 128, 256, 512), **_V2, published=_published()),
}


def _build(name: str, *, inference_mode: bool = False, num_classes: int = 512) -> FaceLiVT:
    return FaceLiVT(CONFIGS[name], num_classes=num_classes, inference_mode=inference_mode)


def _spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name, family="facelivt", task="face-embedding", builder=partial(_build, name),
        input_size=(3, INPUT_SIZE, INPUT_SIZE), mean=FACE_MEAN, std=FACE_STD, published=CONFIGS[name].published,
        num_classes=512, interpolation="bilinear", crop_pct=1.0,
        test_input_size=(3, INPUT_SIZE, INPUT_SIZE), fixed_input_size=True,
    )


for _name in CONFIGS:
    register_model(_spec(_name))


# ---- novendrastywn/FaceLiVT checkpoint layout -------------------------------------------------

def _conv_bn(rest: str) -> str:
    """Suffix of the reference's ``Conv2d_BN`` (``c``, ``bn``), or of the Conv2d it fuses into."""
    if rest.startswith("c."):
        return "conv." + rest[2:]
    if rest.startswith("bn."):
        return rest
    if rest in ("weight", "bias"):
        return "conv." + rest
    raise KeyError(f"not a conv-BN key: {rest}")


_BLOCK = r"stages\.(\d+)\.blocks\.(\d+)\.block\.\d+\."
# (pattern, new key): a str, or (key, head index) for per-head Linear layers that get stacked.
_OFFICIAL_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | tuple[str, int]]], ...] = tuple(
    (re.compile(p), f) for p, f in (
        (r"patch_embedds\.0\.stem\.([01])\.0\.(.+)", lambda m: f"stem.{2 * int(m[1])}.{m[2]}"),
        (r"patch_embedds\.(\d+)\.spatial\.0\.(.+)", lambda m: f"stages.{m[1]}.downsample.dw.{m[2]}"),
        (r"patch_embedds\.(\d+)\.spatial\.1\.(.+)", lambda m: f"stages.{m[1]}.downsample.pw.{_conv_bn(m[2])}"),
        (r"patch_embedds\.(\d+)\.channel\.m\.(pw[12])\.(.+)",
         lambda m: f"stages.{m[1]}.downsample.ffn.{m[2]}.{_conv_bn(m[3])}"),
        # Residual(RepConv) in training form, the RepConv it fuses into otherwise
        (_BLOCK + r"(?:m\.)?((?:conv|repconv|bn)\..+)", lambda m: f"stages.{m[1]}.blocks.{m[2]}.rep_mixer.{m[3]}"),
        (_BLOCK + r"m\.(pw[12])\.(.+)", lambda m: f"stages.{m[1]}.blocks.{m[2]}.ffn.{m[3]}.{_conv_bn(m[4])}"),
        (_BLOCK + r"m\.norm\.(weight|bias)", lambda m: f"stages.{m[1]}.blocks.{m[2]}.attn.norm.{m[3]}"),
        (_BLOCK + r"m\.linear([12])\.(\d+)\.(weight|bias)",
         lambda m: (f"stages.{m[1]}.blocks.{m[2]}.attn.fc{m[3]}.{m[5]}", int(m[4]))),
        (_BLOCK + r"m\.norm\.(alpha|beta)", lambda m: f"stages.{m[1]}.blocks.{m[2]}.attn.{m[3]}"),
        (_BLOCK + r"m\.lin\.(\d+)\.(weight|bias)",
         lambda m: (f"stages.{m[1]}.blocks.{m[2]}.attn.proj.{m[4]}", int(m[3]))),
        (_BLOCK + r"m\.ls", lambda m: f"stages.{m[1]}.blocks.{m[2]}.attn.ls.gamma"),
        (r"pre_head\.([01])\.(.+)", lambda m: f"pre_head.{m[1]}.{_conv_bn(m[2])}"),
        (r"head\.classifier\.bn\.(.+)", lambda m: f"head.bn.{m[1]}"),
        (r"head\.(?:classifier\.l\.)?(weight|bias)", lambda m: f"head.fc.{m[1]}"),
    )
)


def from_official(sd: StateDict) -> StateDict:
    """novendrastywn/FaceLiVT ``FaceLiVT`` / ``FaceLiVTv2`` state dicts, unfused or reparameterized.

    Renames the reference's modules (``patch_embedds``, ``block.k``, ``Conv2d_BN``'s ``c``) and stacks
    its per-head ``nn.Linear`` layers (``linear1.h``, ``linear2.h``, ``lin.h``) into the batched
    weights of :class:`HeadwiseLinear`, in head order.
    """
    out: StateDict = {}
    heads: dict[str, dict[int, torch.Tensor]] = {}
    for key, value in sd.items():
        for pattern, rename in _OFFICIAL_RULES:
            m = pattern.fullmatch(key)
            if m is not None:
                new = rename(m)
                break
        else:
            raise KeyError(f"not an official FaceLiVT key: {key}")
        if isinstance(new, tuple):
            heads.setdefault(new[0], {})[new[1]] = value
        else:
            out[new] = value
    for key, per_head in heads.items():
        if sorted(per_head) != list(range(len(per_head))):
            raise ValueError(f"{key}: heads {sorted(per_head)} are not 0..{len(per_head) - 1}")
        out[key] = torch.stack([per_head[h] for h in range(len(per_head))])
    return out


# The reference fuses every RepConv, conv-BN and BN-Linear; its v1 MHLA has nothing to fuse; its
# Lite MHLA keeps the affine and layer scale, which edgerep folds after loading.
register_layouts(
    "facelivt", {"official": from_official},
    reference_fused_types=(RepConv, ConvNorm, NormLinear, MultiHeadLinearAttention),
)
