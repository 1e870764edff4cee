"""FastViT (Vasu et al., ICCV 2023): RepMixer stages, attention in stage 4 for SA/MA variants.

Training-form keys are timm's (``timm.create_model('fastvit_*')``), so timm checkpoints load by
identity; Apple's ml-fastvit checkpoints (unfused and ``_reparam``) load through the ``apple``
layout below. Fusion goes further than both references: the ConvFFN BatchNorm, the attention
block's BatchNorm (folded into qkv) and every layer scale are folded too, so a fused FastViT holds
only convs, Linears, GELU, softmax and the squeeze-excite gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from ..checkpoints import StateDict, register_layouts, rename_keys
from ..layers.attention import MultiHeadSelfAttention
from ..layers.base import LayerScale, Reparameterizable, conv_like, linear_like
from ..layers.conv_ffn import ConvFFN
from ..layers.fusion import fuse_bn_linear, scale_output
from ..layers.head import ClassifierHead
from ..layers.large_kernel import ReparamLargeKernelConv
from ..layers.mobileone import APPLE_RENAMES as MOBILEONE_APPLE_RENAMES, MobileOneBlock
from ..layers.pos_enc import RepCPE
from ..layers.repmixer import RepMixer
from ..layers.squeeze_excite import SqueezeExcite
from ..registry import IMAGENET_MEAN, IMAGENET_STD, ModelSpec, Published, register_model


class RepMixerBlock(Reparameterizable):
    """``x = mixer(x)`` (residual inside), then ``x + gamma * ffn(x)``; fused: gamma lives in ``fc2``."""

    def __init__(
        self,
        dim: int,
        mlp_ratio: float,
        layer_scale_init: float,
        act_layer: type[nn.Module] = nn.GELU,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.token_mixer = RepMixer(dim, 3, layer_scale_init, inference_mode=inference_mode)
        self.mlp = ConvFFN(dim, int(dim * mlp_ratio), act_layer=act_layer, inference_mode=inference_mode)
        if inference_mode:
            self.fused = True
        else:
            self.layer_scale = LayerScale(dim, layer_scale_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.token_mixer(x)
        if self.fused:
            return x + self.mlp(x)
        return x + self.layer_scale(self.mlp(x))

    def _fuse(self) -> None:
        fc2 = self.mlp.fc2
        self.mlp.fc2 = conv_like(fc2, *scale_output(fc2.weight, fc2.bias, self.layer_scale.gamma))
        del self.layer_scale


class AttentionBlock(Reparameterizable):
    """``x + gamma1 * attn(bn(x))``, then ``x + gamma2 * ffn(x)``.

    Fused: the BatchNorm folds into qkv (which gains a bias; exact because qkv is per-pixel),
    ``gamma1`` into the attention's output projection and ``gamma2`` into the FFN's ``fc2``.
    """

    def __init__(
        self,
        dim: int,
        mlp_ratio: float,
        layer_scale_init: float,
        act_layer: type[nn.Module] = nn.GELU,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        if not inference_mode:
            self.norm = nn.BatchNorm2d(dim)
        self.token_mixer = MultiHeadSelfAttention(dim, head_dim=32, qkv_bias=inference_mode)
        self.mlp = ConvFFN(dim, int(dim * mlp_ratio), act_layer=act_layer, inference_mode=inference_mode)
        if inference_mode:
            self.fused = True
        else:
            self.layer_scale_1 = LayerScale(dim, layer_scale_init)
            self.layer_scale_2 = LayerScale(dim, layer_scale_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            x = x + self.token_mixer(x)
            return x + self.mlp(x)
        x = x + self.layer_scale_1(self.token_mixer(self.norm(x)))
        return x + self.layer_scale_2(self.mlp(x))

    def _fuse(self) -> None:
        attn, fc2 = self.token_mixer, self.mlp.fc2
        attn.qkv = linear_like(*fuse_bn_linear(self.norm, attn.qkv.weight, attn.qkv.bias))
        attn.proj = linear_like(*scale_output(attn.proj.weight, attn.proj.bias, self.layer_scale_1.gamma))
        self.mlp.fc2 = conv_like(fc2, *scale_output(fc2.weight, fc2.bias, self.layer_scale_2.gamma))
        del self.norm, self.layer_scale_1, self.layer_scale_2


class PatchEmbed(nn.Module):
    """Downsampling between stages: depthwise 7x7 stride-2 large-kernel conv (C -> C'), 1x1 MobileOne."""

    def __init__(self, in_chs: int, out_chs: int, act_layer: type[nn.Module], *, inference_mode: bool) -> None:
        super().__init__()
        self.proj = nn.Sequential(
            ReparamLargeKernelConv(
                in_chs, out_chs, 7, stride=2, groups=in_chs, small_kernel=3, inference_mode=inference_mode
            ),
            MobileOneBlock(out_chs, out_chs, 1, act_layer=act_layer, inference_mode=inference_mode),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class FastVitStage(nn.Module):
    """Optional downsample, optional RepCPE positional encoding, then the stage's blocks."""

    def __init__(
        self,
        in_chs: int,
        dim: int,
        depth: int,
        attention: bool,
        mlp_ratio: float,
        layer_scale_init: float,
        act_layer: type[nn.Module],
        *,
        inference_mode: bool,
    ) -> None:
        super().__init__()
        self.downsample = (
            PatchEmbed(in_chs, dim, act_layer, inference_mode=inference_mode) if in_chs != dim else nn.Identity()
        )
        self.pos_emb = RepCPE(dim, 7, inference_mode=inference_mode) if attention else nn.Identity()
        block = AttentionBlock if attention else RepMixerBlock
        self.blocks = nn.Sequential(*(
            block(dim, mlp_ratio, layer_scale_init, act_layer, inference_mode=inference_mode)
            for _ in range(depth)
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.pos_emb(self.downsample(x)))


class FastVit(nn.Module):
    """Stem (three MobileOne blocks, stride 4), four stages, depthwise 3x3 C -> 2C head conv with SE."""

    def __init__(self, config: FastVitConfig, *, num_classes: int = 1000, inference_mode: bool = False) -> None:
        super().__init__()
        act = nn.GELU
        dims = config.embed_dims
        c0 = dims[0]
        self.stem = nn.Sequential(
            MobileOneBlock(3, c0, 3, stride=2, act_layer=act, inference_mode=inference_mode),
            MobileOneBlock(c0, c0, 3, stride=2, groups=c0, act_layer=act, inference_mode=inference_mode),
            MobileOneBlock(c0, c0, 1, act_layer=act, inference_mode=inference_mode),
        )
        in_chs = [c0, *dims[:-1]]
        self.stages = nn.Sequential(*(
            FastVitStage(
                in_chs[i], dims[i], config.layers[i], config.attention[i], config.mlp_ratio,
                config.layer_scale_init, act, inference_mode=inference_mode,
            )
            for i in range(len(dims))
        ))
        self.final_conv = MobileOneBlock(
            dims[-1], 2 * dims[-1], 3, groups=dims[-1], act_layer=act,
            se_layer=partial(SqueezeExcite, rd_ratio=1 / 16), inference_mode=inference_mode,
        )
        self.head = ClassifierHead(2 * dims[-1], num_classes)
        nn.init.trunc_normal_(self.head.fc.weight, std=0.02)  # timm's FastViT init
        nn.init.zeros_(self.head.fc.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_conv(self.stages(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))


@dataclass(frozen=True)
class FastVitConfig:
    """One variant: architecture and the figures published for it."""

    layers: tuple[int, int, int, int]
    embed_dims: tuple[int, int, int, int]
    mlp_ratio: float
    attention: tuple[bool, bool, bool, bool]  # attention blocks + RepCPE instead of RepMixer
    layer_scale_init: float
    published: Published


_SOURCE = "Vasu et al., FastViT, ICCV 2023 (apple/ml-fastvit); top-1: timm eval of fastvit_*.apple_in1k"
_REPMIXER = (False, False, False, False)
_SA = (False, False, False, True)
_M, _G = 1e6, 1e9


def _published(train: float, fused: float, macs: float, top1: float, ms: float) -> Published:
    return Published(
        source=_SOURCE, params_train=train * _M, params_fused=fused * _M, macs_fused=macs * _G,
        accuracy={"imagenet_top1": top1}, latency_ms=ms, latency_device="iPhone 12 Pro",
    )


CONFIGS: dict[str, FastVitConfig] = {
    "fastvit_t8": FastVitConfig(
        (2, 2, 4, 2), (48, 96, 192, 384), 3, _REPMIXER, 1e-5, _published(4.026, 3.996, 0.685, 76.18, 0.8)
    ),
    "fastvit_t12": FastVitConfig(
        (2, 2, 6, 2), (64, 128, 256, 512), 3, _REPMIXER, 1e-5, _published(7.554, 7.509, 1.391, 79.28, 1.2)
    ),
    "fastvit_s12": FastVitConfig(
        (2, 2, 6, 2), (64, 128, 256, 512), 4, _REPMIXER, 1e-5, _published(9.474, 9.429, 1.794, 79.88, 1.4)
    ),
    "fastvit_sa12": FastVitConfig(
        (2, 2, 6, 2), (64, 128, 256, 512), 4, _SA, 1e-5, _published(11.581, 11.545, 1.929, 80.85, 1.6)
    ),
    "fastvit_sa24": FastVitConfig(
        (4, 4, 12, 4), (64, 128, 256, 512), 4, _SA, 1e-5, _published(21.554, 21.501, 3.745, 82.71, 2.6)
    ),
    "fastvit_sa36": FastVitConfig(
        (6, 6, 18, 6), (64, 128, 256, 512), 4, _SA, 1e-6, _published(31.527, 31.457, 5.562, 83.50, 3.5)
    ),
    "fastvit_ma36": FastVitConfig(
        (6, 6, 18, 6), (76, 152, 304, 608), 4, _SA, 1e-6, _published(44.068, 43.985, 7.785, 83.88, 4.6)
    ),
}


def _build(name: str, *, inference_mode: bool = False, num_classes: int = 1000) -> FastVit:
    return FastVit(CONFIGS[name], num_classes=num_classes, inference_mode=inference_mode)


def _spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name, family="fastvit", task="classification", builder=partial(_build, name),
        input_size=(3, 256, 256), mean=IMAGENET_MEAN, std=IMAGENET_STD,
        published=CONFIGS[name].published, interpolation="bicubic", crop_pct=0.9,
        test_input_size=(3, 64, 64),
    )


for _name in CONFIGS:
    register_model(_spec(_name))


# ---- Apple ml-fastvit checkpoint layout -------------------------------------------------------

# Apple's module names -> timm's (= edgerep's), applied after the network.N -> stages.i remap; the
# MobileOne blocks (stem, downsampling, final conv) follow the block's own rules.
_APPLE_RENAMES = (
    (re.compile(r"^patch_embed\."), "stem."),
    *MOBILEONE_APPLE_RENAMES,
    (re.compile(r"\.lkb_origin\."), ".large_conv."),
    (re.compile(r"\.lkb_reparam\."), ".reparam_conv."),
    (re.compile(r"\.convffn\."), ".mlp."),
    (re.compile(r"^conv_exp\."), "final_conv."),
    (re.compile(r"^head\."), "head.fc."),
    (re.compile(r"\.(layer_scale(?:_[12])?)$"), r".\1.gamma"),
)
_NETWORK = re.compile(r"^network\.(\d+)\.(.*)$")


def from_apple(sd: StateDict) -> StateDict:
    """Rename an Apple ml-fastvit state dict (``patch_embed``, flat ``network.N``) to edgerep keys.

    ``network`` alternates stage blocks and downsampling ``PatchEmbed``s (keys ``network.N.proj``),
    with a RepCPE (``network.N.pe`` or, fused, ``network.N.reparam_conv``) right before the blocks of
    an attention stage. Raises KeyError when ``sd`` is not in Apple's layout.
    """
    if not any(k.startswith("patch_embed.") for k in sd) or not any(k.startswith("network.") for k in sd):
        raise KeyError("not an Apple ml-fastvit state dict (no patch_embed./network. keys)")
    downsamples = sorted({int(m[1]) for k in sd if (m := _NETWORK.match(k)) and m[2].startswith("proj.")})
    out: StateDict = {}
    for key, value in sd.items():
        m = _NETWORK.match(key)
        if m:
            index, rest = int(m[1]), m[2]
            stage = sum(d <= index for d in downsamples)
            if rest.startswith("proj."):
                key = f"stages.{stage}.downsample.{rest}"
            elif rest.split(".")[0].isdigit():
                key = f"stages.{stage}.blocks.{rest}"
            else:  # RepCPE: pe.* (training form) or reparam_conv.* (fused)
                key = f"stages.{stage}.pos_emb.{re.sub(r'^pe[.]', 'pos_enc.', rest)}"
        out[key] = value
    return rename_keys(out, _APPLE_RENAMES)


register_layouts(
    "fastvit",
    {"apple": from_apple},
    # What Apple's and timm's reparameterize fuse; they leave ConvFFN/attention BNs and block layer scales.
    reference_fused_types=(MobileOneBlock, ReparamLargeKernelConv, RepMixer, RepCPE),
)
