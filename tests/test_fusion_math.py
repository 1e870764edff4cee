"""The fusion math against the convolutions it replaces, in float64 (exact up to rounding)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from edgerep.layers import fusion

from .helpers import randomize, rel_err

DT = torch.float64


@pytest.fixture(autouse=True)
def _float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)



def random_bn(c: int, seed: int = 0, dims: int = 2) -> nn.Module:
    """A float64 BatchNorm (eps 1e-3) with random statistics and affine, half of its scales negative."""
    bn = randomize((nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(c, eps=1e-3).double(), seed).eval()
    with torch.no_grad():
        bn.weight[::2].neg_()
    return bn


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-12) -> bool:
    return rel_err(a, b) <= tol


@pytest.mark.parametrize("groups,stride,bias", [(1, 1, False), (1, 2, True), (4, 1, True), (8, 2, False)])
def test_fuse_conv_bn(groups: int, stride: int, bias: bool) -> None:
    x = torch.randn(2, 8, 11, 9, dtype=DT)
    w = torch.randn(8, 8 // groups, 3, 3, dtype=DT)
    b = torch.randn(8, dtype=DT) if bias else None
    bn = random_bn(8)
    expected = bn(F.conv2d(x, w, b, stride, 1, groups=groups))
    fw, fb = fusion.fuse_conv_bn(w, b, bn)
    assert close(F.conv2d(x, fw, fb, stride, 1, groups=groups), expected)


def test_fuse_bn_into_following_1x1_conv_and_linear() -> None:
    x = torch.randn(2, 6, 5, 7, dtype=DT)
    bn = random_bn(6, seed=1)
    w, b = torch.randn(10, 6, 1, 1, dtype=DT), torch.randn(10, dtype=DT)
    fw, fb = fusion.fuse_bn_linear(bn, w, b)
    assert close(F.conv2d(x, fw, fb), F.conv2d(bn(x), w, b))
    t = torch.randn(4, 6, dtype=DT)
    bn1 = random_bn(6, seed=2, dims=1)
    lw = torch.randn(3, 6, dtype=DT)
    fw, fb = fusion.fuse_bn_linear(bn1, lw, None)
    assert close(F.linear(t, fw, fb), F.linear(bn1(t), lw))


def test_bn_cannot_fold_into_padded_kernel() -> None:
    with pytest.raises(ValueError, match="1x1"):
        fusion.fuse_bn_linear(random_bn(4), torch.randn(4, 4, 3, 3, dtype=DT), None)


def test_bn_without_running_stats_is_refused() -> None:
    bn = nn.BatchNorm2d(4, track_running_stats=False)
    with pytest.raises(ValueError, match="running statistics"):
        fusion.fuse_conv_bn(torch.randn(4, 4, 1, 1), None, bn)


@pytest.mark.parametrize("channels,groups,k", [(6, 1, 3), (6, 6, 3), (6, 2, 1), (8, 4, 5)])
def test_identity_kernel(channels: int, groups: int, k: int) -> None:
    x = torch.randn(2, channels, 7, 6, dtype=DT)
    w = fusion.identity_kernel(channels, groups, k, dtype=DT, device="cpu")
    assert torch.equal(F.conv2d(x, w, None, 1, k // 2, groups=groups), x)


def test_pad_and_dilate_kernels() -> None:
    x = torch.randn(2, 4, 9, 8, dtype=DT)
    w3 = torch.randn(4, 1, 3, 3, dtype=DT)
    assert close(F.conv2d(x, fusion.pad_kernel(w3, 7), None, 1, 3, groups=4), F.conv2d(x, w3, None, 1, 1, groups=4))
    w13 = torch.randn(4, 1, 1, 3, dtype=DT)
    assert close(
        F.conv2d(x, fusion.pad_kernel(w13, (3, 3)), None, 1, 1, groups=4),
        F.conv2d(x, w13, None, 1, (0, 1), groups=4),
    )
    w2 = torch.randn(4, 1, 2, 2, dtype=DT)  # 2x2 with dilation 2 == 3x3 with the corners set
    assert close(
        F.conv2d(x, fusion.dilate_kernel(w2, 2), None, 1, 1, groups=4),
        F.conv2d(x, w2, None, 1, 1, dilation=2, groups=4),
    )
    with pytest.raises(ValueError):
        fusion.pad_kernel(w3, 4)


@pytest.mark.parametrize("k,stride", [(3, 1), (7, 1), (11, 1), (3, 2), (5, 2)])
def test_serial_depthwise_composition(k: int, stride: int) -> None:
    """1xk then kx1 (zero padding, strides split over the two) == one kxk kernel, borders included."""
    x = torch.randn(2, 5, 13, 12, dtype=DT)
    a = torch.randn(5, 1, 1, k, dtype=DT)
    b = torch.randn(5, 1, k, 1, dtype=DT)
    p = k // 2
    serial = F.conv2d(F.conv2d(x, a, None, (1, stride), (0, p), groups=5), b, None, (stride, 1), (p, 0), groups=5)
    fused = F.conv2d(x, fusion.compose_depthwise_serial(a, b), None, stride, p, groups=5)
    assert fused.shape == serial.shape
    assert close(fused, serial)


def test_scale_output_folds_layer_scale() -> None:
    x = torch.randn(2, 4, 5, 5, dtype=DT)
    w, b = torch.randn(6, 4, 3, 3, dtype=DT), torch.randn(6, dtype=DT)
    gamma = torch.randn(6, 1, 1, dtype=DT)
    fw, fb = fusion.scale_output(w, b, gamma)
    assert close(F.conv2d(x, fw, fb, 1, 1), gamma * F.conv2d(x, w, b, 1, 1))
