"""RepMixer: FastViT's re-parameterizable depthwise token mixer with its residual absorbed."""

from __future__ import annotations

import torch
from torch import nn

from .base import LayerScale, Reparameterizable, conv_like
from .fusion import identity_kernel, scale_output
from .mobileone import MobileOneBlock


class RepMixer(Reparameterizable):
    """``x + gamma * (mixer(x) - norm(x))`` with depthwise MobileOne blocks (no activation).

    ``mixer`` is a depthwise kxk conv-BN with a 1x1 scale branch and a BN skip; ``norm`` is a BN-only
    skip. Fused, the whole residual is one depthwise conv:
    ``W = id + gamma * (W_mixer - W_norm)``, ``b = gamma * (b_mixer - b_norm)``.
    Keys follow timm (``mixer``, ``norm``, ``layer_scale.gamma``, ``reparam_conv``).
    """

    def __init__(
        self,
        dim: int,
        kernel_size: int = 3,
        layer_scale_init: float = 1e-5,
        *,
        inference_mode: bool = False,
    ) -> None:
        super().__init__()
        self.dim, self.kernel_size = dim, kernel_size
        if inference_mode:
            self.reparam_conv = nn.Conv2d(
                dim, dim, kernel_size, 1, kernel_size // 2, groups=dim, bias=True
            )
            self.fused = True
            return
        self.norm = MobileOneBlock(
            dim, dim, kernel_size, groups=dim, num_conv_branches=0, use_scale_branch=False,
            act_layer=None,
        )
        self.mixer = MobileOneBlock(dim, dim, kernel_size, groups=dim, act_layer=None)
        self.layer_scale = LayerScale(dim, layer_scale_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return self.reparam_conv(x)
        return x + self.layer_scale(self.mixer(x) - self.norm(x))

    def _fuse(self) -> None:
        mixer, norm = self.mixer.reparam_conv, self.norm.reparam_conv  # children are fused first
        w, b = scale_output(
            mixer.weight - norm.weight, mixer.bias - norm.bias, self.layer_scale.gamma
        )
        w = w + identity_kernel(self.dim, self.dim, self.kernel_size, dtype=w.dtype, device=w.device)
        self.reparam_conv = conv_like(mixer, w, b)
        del self.mixer, self.norm, self.layer_scale
