"""The fusion math, written once.

Every re-parameterizable block in edgerep folds its branches with these functions; nothing else in
the package multiplies BatchNorm statistics into weights. All functions are pure tensor maths (no
module surgery) and assume they run under ``torch.no_grad()``.

Notation: a BatchNorm computes ``y = s * x + t`` per channel with ``s = gamma / sqrt(var + eps)`` and
``t = beta - mean * s``, using running statistics (fusion is only defined in eval semantics).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_BatchNorm = nn.modules.batchnorm._BatchNorm


def bn_affine(bn: _BatchNorm) -> tuple[Tensor, Tensor]:
    """Return ``(s, t)`` such that ``bn(x) == s * x + t`` per channel in eval mode."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(
            f"cannot fuse {bn!r}: it has no running statistics (track_running_stats=False); "
            "fusion needs the statistics the model will use at inference"
        )
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def _view_channels(v: Tensor, ndim: int, dim: int) -> Tensor:
    shape = [1] * ndim
    shape[dim] = -1
    return v.reshape(shape)


def fuse_conv_bn(weight: Tensor, bias: Tensor | None, bn: _BatchNorm) -> tuple[Tensor, Tensor]:
    """Fold ``bn(conv(x))`` into one conv (or Linear): ``W' = W * s``, ``b' = t + b * s``."""
    scale, shift = bn_affine(bn)
    w = weight * _view_channels(scale, weight.ndim, 0)
    b = shift if bias is None else shift + bias * scale
    return w, b


def fuse_bn_linear(bn: _BatchNorm, weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor]:
    """Fold ``linear(bn(x))`` where linear is a Linear or a 1x1 conv with groups=1.

    ``W' = W * s[None, :]``, ``b' = b + W @ t``. Exact only because no zero padding sits between the
    BN and the map (a padded kxk conv would see zeros, not ``t``, at the border).
    """
    if weight.ndim == 4 and weight.shape[2:] != (1, 1):
        raise ValueError(f"BN can only fold into a 1x1 conv or Linear, got kernel {tuple(weight.shape)}")
    scale, shift = bn_affine(bn)
    if weight.shape[1] != scale.numel():
        raise ValueError(
            f"BN of {scale.numel()} channels cannot fold into a map with {weight.shape[1]} inputs "
            "(grouped 1x1 convs are not supported)"
        )
    w = weight * _view_channels(scale, weight.ndim, 1)
    extra = weight.flatten(2).sum(-1) @ shift if weight.ndim == 4 else weight @ shift
    b = extra if bias is None else bias + extra
    return w, b


def identity_kernel(
    channels: int, groups: int, kernel_size: int, *, dtype: torch.dtype, device: torch.device | str
) -> Tensor:
    """A (grouped) conv kernel computing the identity: 1 at ``[i, i % (C/groups), k//2, k//2]``."""
    per_group = channels // groups
    w = torch.zeros(channels, per_group, kernel_size, kernel_size, dtype=dtype, device=device)
    idx = torch.arange(channels, device=device)
    w[idx, idx % per_group, kernel_size // 2, kernel_size // 2] = 1
    return w


def pad_kernel(weight: Tensor, size: tuple[int, int] | int) -> Tensor:
    """Zero-pad a kernel (centred) to ``size``; parallel branches of different sizes then add."""
    kh, kw = (size, size) if isinstance(size, int) else size
    h, w = weight.shape[-2:]
    if (kh - h) % 2 or (kw - w) % 2 or kh < h or kw < w:
        raise ValueError(f"cannot centre a {h}x{w} kernel in {kh}x{kw}")
    ph, pw = (kh - h) // 2, (kw - w) // 2
    return F.pad(weight, (pw, pw, ph, ph))


def dilate_kernel(weight: Tensor, dilation: int) -> Tensor:
    """The dense kernel equal to ``weight`` applied with ``dilation`` (2x2 dil 2 -> 3x3 corners)."""
    if dilation == 1:
        return weight
    h, w = weight.shape[-2:]
    out = weight.new_zeros(*weight.shape[:-2], (h - 1) * dilation + 1, (w - 1) * dilation + 1)
    out[..., ::dilation, ::dilation] = weight
    return out


def compose_depthwise_serial(first: Tensor, second: Tensor) -> Tensor:
    """One depthwise kernel equal to ``second(first(x))`` for a 1xk then kx1 pair (no bias between).

    For separable shapes (1 x k then k x 1) the composition is the per-channel outer product. Both
    must be depthwise (shape ``(C, 1, ., .)``) with the same channel count.
    """
    if first.shape[0] != second.shape[0] or first.shape[1] != 1 or second.shape[1] != 1:
        raise ValueError("serial composition needs two depthwise kernels of the same channel count")
    if first.shape[-2] != 1 or second.shape[-1] != 1:
        raise ValueError(
            f"serial composition expects a 1xk then kx1 pair, got {tuple(first.shape[-2:])} "
            f"then {tuple(second.shape[-2:])}"
        )
    # (C,1,1,k) and (C,1,k,1): K[c, i, j] = second[c, i] * first[c, j]
    return second * first


def scale_output(weight: Tensor, bias: Tensor | None, gamma: Tensor) -> tuple[Tensor, Tensor | None]:
    """Fold a per-output-channel multiplier (layer scale) into the map that precedes it."""
    g = gamma.reshape(-1)
    w = weight * _view_channels(g, weight.ndim, 0)
    return w, None if bias is None else bias * g
