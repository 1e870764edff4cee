"""EdgeFace (T-BIOM 2024): an EdgeNeXt backbone with a 512-d face-embedding head.

The official models (otroshi/edgeface) wrap timm's ``edgenext_*`` with its classifier reset to 512
outputs (head: global average pool, LayerNorm, fc) and, for the ``gamma`` variants, replace every
Linear whose attribute name lacks "head" by a low-rank pair (:class:`LowRankLinear`). That rule
reaches the head's ``fc`` too (its own name is "fc"), so the embedding layer is factorised as well.
``edgeface_xxs`` and ``edgeface_base`` are the plain backbones, without low rank.

EdgeNeXt: a 4x4 stride-4 patch stem; four stages (the last three start with LayerNorm + 2x2
stride-2 conv) of conv encoder blocks (depthwise kxk, LayerNorm, MLP, layer scale) ending, in
stages 2-4, in one split depthwise-transposed attention (SDTA) block.

Fusion: EdgeFace has no BatchNorm; the layer scales (``gamma``, ``gamma_xca``) fold exactly into the
Linear before them. LayerNorms stay (their statistics are per token), and so do the low-rank pairs.
State-dict keys follow timm (``stages.1.blocks.2.mlp.fc1...``), so official checkpoints load by
stripping the wrapper's ``model.`` prefix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checkpoints import StateDict, register_layouts
from ..layers.base import Reparameterizable
from ..layers.fusion import scale_output
from ..layers.low_rank import LowRankLinear, linear_layer, output_linear
from ..layers.xca import CrossCovarianceAttention
from ..registry import FACE_MEAN, FACE_STD, ModelSpec, Published, register_alias, register_model

_LN_EPS = 1e-6
_LAYER_NORM_NOTE = "LayerNorm kept: it normalizes by per-token statistics (data-dependent)"
_LOW_RANK_NOTE = "low-rank Linear pairs kept: merging them would add parameters and MACs"


def _fold_layer_scale(layer: nn.Module, gamma: Tensor) -> None:
    """``gamma * layer(x)`` -> ``layer'(x)``: scale the output Linear's weight and bias in place."""
    out = output_linear(layer)
    w, b = scale_output(out.weight, out.bias, gamma)
    out.weight.copy_(w)
    if b is not None:
        out.bias.copy_(b)


def _notes(*modules: nn.Module) -> list[str]:
    low_rank = any(isinstance(m, LowRankLinear) for mod in modules for m in mod.modules())
    return [_LAYER_NORM_NOTE] + ([_LOW_RANK_NOTE] if low_rank else [])


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map."""

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Mlp(nn.Module):
    """Channels-last ``fc2(act(fc1(x)))``."""

    def __init__(
        self,
        dim: int,
        hidden: int,
        act_layer: type[nn.Module] = nn.GELU,
        linear: Callable[..., nn.Module] = nn.Linear,
    ) -> None:
        super().__init__()
        self.fc1 = linear(dim, hidden, bias=True)
        self.act = act_layer()
        self.fc2 = linear(hidden, dim, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class FourierPositionalEncoding(nn.Module):
    """Sine/cosine features of the normalised (y, x) position, projected by a 1x1 conv.

    Depends only on the map size, not on the input values; returns ``(1, dim, H, W)``.
    """

    def __init__(self, dim: int, hidden_dim: int = 32, temperature: float = 10000.0) -> None:
        super().__init__()
        self.hidden_dim, self.temperature = hidden_dim, temperature
        self.token_projection = nn.Conv2d(2 * hidden_dim, dim, kernel_size=1)

    def _features(self, length: int, dim_t: Tensor) -> Tensor:
        device = dim_t.device
        # positions 1..L scaled to (0, 2pi]; channel pairs (2i, 2i+1) share frequency dim_t[2i]
        pos = torch.arange(1, length + 1, dtype=torch.float32, device=device)
        pos = pos / (length + 1e-6) * (2 * math.pi)
        pos = pos[:, None] / dim_t
        return torch.stack((pos[:, 0::2].sin(), pos[:, 1::2].cos()), dim=2).flatten(1)

    def forward(self, height: int, width: int) -> Tensor:
        weight = self.token_projection.weight
        i = torch.arange(self.hidden_dim, dtype=torch.float32, device=weight.device)
        dim_t = self.temperature ** (2 * torch.div(i, 2, rounding_mode="floor") / self.hidden_dim)
        pos_y = self._features(height, dim_t)[:, None, :].expand(height, width, -1)
        pos_x = self._features(width, dim_t)[None, :, :].expand(height, width, -1)
        pos = torch.cat((pos_y, pos_x), dim=-1).permute(2, 0, 1)[None]
        return self.token_projection(pos.to(weight.dtype))


class ConvEncoderBlock(Reparameterizable):
    """``x + gamma * mlp(norm(dwconv(x)))``; fused: gamma folded into ``mlp.fc2``."""

    def __init__(
        self,
        dim: int,
        kernel_size: int,
        expand_ratio: float = 4,
        ls_init_value: float = 1e-6,
        *,
        act_layer: type[nn.Module] = nn.GELU,
        linear: Callable[..., nn.Module] = nn.Linear,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.conv_dw = nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=_LN_EPS)
        self.mlp = Mlp(dim, int(expand_ratio * dim), act_layer, linear)
        if inference_mode:
            self.fused = True
        else:
            self.gamma = nn.Parameter(torch.full((dim,), ls_init_value))

    def forward(self, x: Tensor) -> Tensor:
        y = self.mlp(self.norm(self.conv_dw(x).permute(0, 2, 3, 1)))
        if not self.fused:
            y = self.gamma * y
        return x + y.permute(0, 3, 1, 2)

    def _fuse(self) -> None:
        _fold_layer_scale(self.mlp.fc2, self.gamma)
        del self.gamma

    def fusion_notes(self) -> list[str]:
        return _notes(self.mlp)


class SDTABlock(Reparameterizable):
    """Split depthwise-transposed attention block (timm's ``SplitTransposeBlock``).

    Channels split into ``scales`` groups; all but the last pass a Res2Net-style cascade of depthwise
    3x3 convs (each group adds the previous group's output first). Then, on tokens,
    ``x + gamma_xca * xca(norm_xca(x + pos))`` and ``shortcut + gamma * mlp(norm(x))``. Fused: both
    layer scales folded into ``xca.proj`` and ``mlp.fc2``.
    """

    def __init__(
        self,
        dim: int,
        scales: int,
        num_heads: int,
        expand_ratio: float = 4,
        ls_init_value: float = 1e-6,
        use_pos_emb: bool = False,
        *,
        act_layer: type[nn.Module] = nn.GELU,
        linear: Callable[..., nn.Module] = nn.Linear,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        width = math.ceil(dim / scales)
        last = dim - width * (scales - 1)
        if scales < 2 or last <= 0:
            raise ValueError(f"scales must split dim {dim} into >= 2 non-empty groups, got scales={scales}")
        self.split_sizes = [width] * (scales - 1) + [last]
        self.convs = nn.ModuleList(
            nn.Conv2d(width, width, 3, padding=1, groups=width) for _ in range(scales - 1)
        )
        self.pos_embd = FourierPositionalEncoding(dim) if use_pos_emb else None
        self.norm_xca = nn.LayerNorm(dim, eps=_LN_EPS)
        self.xca = CrossCovarianceAttention(dim, num_heads, qkv_bias=True, linear_layer=linear)
        self.norm = nn.LayerNorm(dim, eps=_LN_EPS)
        self.mlp = Mlp(dim, int(expand_ratio * dim), act_layer, linear)
        if inference_mode:
            self.fused = True
        else:
            self.gamma_xca = nn.Parameter(torch.full((dim,), ls_init_value))
            self.gamma = nn.Parameter(torch.full((dim,), ls_init_value))

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        groups = torch.split(x, self.split_sizes, dim=1)
        out, sp = [], groups[0]
        for i, conv in enumerate(self.convs):
            sp = conv(sp if i == 0 else sp + groups[i])
            out.append(sp)
        x = torch.cat(out + [groups[-1]], dim=1)

        b, c, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)  # (B, N, C)
        if self.pos_embd is not None:
            x = x + self.pos_embd(h, w).flatten(2).transpose(1, 2)
        y = self.xca(self.norm_xca(x))
        x = x + (y if self.fused else self.gamma_xca * y)

        y = self.mlp(self.norm(x))
        if not self.fused:
            y = self.gamma * y
        return shortcut + y.transpose(1, 2).reshape(b, c, h, w)

    def _fuse(self) -> None:
        _fold_layer_scale(self.xca.proj, self.gamma_xca)
        _fold_layer_scale(self.mlp.fc2, self.gamma)
        del self.gamma_xca, self.gamma

    def fusion_notes(self) -> list[str]:
        return _notes(self.xca, self.mlp)


class EdgeNeXtStage(nn.Module):
    """Optional downsample (LayerNorm2d, 2x2 stride-2 conv), conv encoder blocks, then SDTA blocks."""

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        depth: int,
        *,
        downsample: bool,
        kernel_size: int,
        num_sdta: int,
        scales: int,
        num_heads: int,
        use_pos_emb: bool,
        expand_ratio: float,
        ls_init_value: float,
        linear: Callable[..., nn.Module],
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.downsample = (
            nn.Sequential(LayerNorm2d(in_chs, eps=_LN_EPS), nn.Conv2d(in_chs, out_chs, 2, stride=2))
            if downsample
            else nn.Identity()
        )
        blocks: list[nn.Module] = []
        for i in range(depth):
            if i < depth - num_sdta:
                blocks.append(ConvEncoderBlock(
                    out_chs, kernel_size, expand_ratio, ls_init_value, linear=linear,
                    inference_mode=inference_mode,
                ))
            else:
                blocks.append(SDTABlock(
                    out_chs, scales, num_heads, expand_ratio, ls_init_value, use_pos_emb, linear=linear,
                    inference_mode=inference_mode,
                ))
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x: Tensor) -> Tensor:
        return self.blocks(self.downsample(x))


class EmbeddingHead(nn.Module):
    """Global average pool, LayerNorm, ``fc`` to the embedding (raw, not L2-normalised)."""

    def __init__(self, in_chs: int, embed_dim: int, linear: Callable[..., nn.Module]) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(in_chs, eps=_LN_EPS)
        self.fc = linear(in_chs, embed_dim, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.norm(x.mean((2, 3))))


class EdgeFace(nn.Module):
    """EdgeNeXt backbone + embedding head; ``forward`` maps (B, 3, H, W) to (B, embed_dim)."""

    def __init__(self, cfg: EdgeFaceConfig, *, num_classes: int = 512, inference_mode: bool = False) -> None:
        super().__init__()
        linear = linear_layer(cfg.rank_ratio)
        dims = cfg.dims
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0], eps=_LN_EPS))
        self.stages = nn.Sequential(*(
            EdgeNeXtStage(
                dims[max(i - 1, 0)], dims[i], cfg.depths[i], downsample=i > 0,
                kernel_size=cfg.kernel_sizes[i], num_sdta=cfg.sdta_blocks[i], scales=cfg.scales[i],
                num_heads=cfg.heads, use_pos_emb=cfg.pos_emb[i], expand_ratio=cfg.expand_ratio,
                ls_init_value=cfg.ls_init_value, linear=linear, inference_mode=inference_mode,
            )
            for i in range(4)
        ))
        self.head = EmbeddingHead(dims[-1], num_classes, linear)
        self._init_weights()

    def _init_weights(self) -> None:
        # timm's EdgeNeXt init (truncated normal, std 0.02, zero bias); the official code builds its
        # low-rank pairs after that init, so they keep PyTorch's default initialisation.
        low_rank = {id(m) for lr in self.modules() if isinstance(lr, LowRankLinear) for m in lr.modules()}
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in low_rank:
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward_features(self, x: Tensor) -> Tensor:
        return self.stages(self.stem(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.forward_features(x))


@dataclass(frozen=True)
class EdgeFaceConfig:
    """One variant: its EdgeNeXt backbone, low-rank ratio (``None``: plain Linears), published figures."""

    dims: tuple[int, int, int, int]
    depths: tuple[int, int, int, int]
    published: Published
    heads: int = 8
    rank_ratio: float | None = None
    kernel_sizes: tuple[int, int, int, int] = (3, 5, 7, 9)
    sdta_blocks: tuple[int, int, int, int] = (0, 1, 1, 1)
    scales: tuple[int, int, int, int] = (2, 2, 3, 4)
    pos_emb: tuple[bool, bool, bool, bool] = (False, True, False, False)
    expand_ratio: float = 4
    ls_init_value: float = 1e-6


_SOURCE = "otroshi/edgeface (T-BIOM 2024), backbones/timmfr.py + timm edgenext_*"


def _published(
    params: float, macs: float, accuracy: tuple[float, float, float], ms: float | None = None
) -> Published:
    """Params, MACs, LFW / CFP-FP / AgeDB-30 accuracy; the latency is a third party's."""
    return Published(
        source=_SOURCE, params_train=params, macs_fused=macs,
        accuracy=dict(zip(("LFW", "CFP-FP", "AgeDB-30"), accuracy)), latency_ms=ms,
        latency_device="iPhone 15 Pro (third party)" if ms is not None else None,
    )


CONFIGS: dict[str, EdgeFaceConfig] = {
    "edgeface_xxs": EdgeFaceConfig(
        (24, 48, 88, 168), (2, 2, 6, 2), _published(1.245e6, 47e6, (99.57, 93.63, 94.92)), heads=4
    ),
    # The full-rank EdgeNeXt-XS behind the authors' quantized release ``edgeface_xs_q`` (their
    # get_model builds edgenext_x_small without low rank); they publish no figures for it.
    "edgeface_xs": EdgeFaceConfig((32, 64, 100, 192), (3, 3, 9, 3), Published(source=_SOURCE), heads=4),
    "edgeface_xs_gamma_06": EdgeFaceConfig(
        (32, 64, 100, 192), (3, 3, 9, 3), _published(1.770e6, 76e6, (99.73, 94.71, 96.08), 5.82),
        heads=4, rank_ratio=0.6,
    ),
    "edgeface_s_gamma_05": EdgeFaceConfig(
        (48, 96, 160, 304), (3, 3, 9, 3), _published(3.653e6, 152e6, (99.78, 95.74, 97.03), 9.89), rank_ratio=0.5
    ),
    "edgeface_base": EdgeFaceConfig(
        (80, 160, 288, 584), (3, 3, 9, 3), _published(18.226e6, 696e6, (99.83, 97.01, 97.60))
    ),
}


def _build(name: str, *, inference_mode: bool = False, num_classes: int = 512) -> EdgeFace:
    return EdgeFace(CONFIGS[name], num_classes=num_classes, inference_mode=inference_mode)


def _spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name, family="edgeface", task="face-embedding", builder=partial(_build, name),
        input_size=(3, 112, 112), mean=FACE_MEAN, std=FACE_STD, published=CONFIGS[name].published,
        num_classes=512, interpolation="bilinear", crop_pct=1.0, baseline=True, test_input_size=(3, 64, 64),
        # Trained on 112x112 aligned faces: the convolutions would run at other sizes, but the
        # embedding only means something at the size (and alignment) it was trained for.
        fixed_input_size=True,
    )


for _name in CONFIGS:
    register_model(_spec(_name))
# The authors' README names their int8 releases (quantize_dynamic of the Linear layers) by these;
# their checkpoints load into the float models, dequantized (edgerep.checkpoints.dequantize_packed).
register_alias("edgeface_xxs_q", "edgeface_xxs")
register_alias("edgeface_xs_q", "edgeface_xs")


# ---- otroshi/edgeface checkpoint layout -------------------------------------------------------

def from_official(sd: StateDict) -> StateDict:
    """The official checkpoints are state dicts of ``TimmFRWrapperV2``: timm keys under ``model.``."""
    prefix = "model."
    if not all(k.startswith(prefix) for k in sd):
        raise KeyError("not an official EdgeFace state dict (keys lack the 'model.' prefix)")
    return {k[len(prefix):]: v for k, v in sd.items()}


register_layouts("edgeface", {"official": from_official})
