"""RepNeXt-specific properties: branch layouts fuse exactly, the reference-fused form, official keys.

The generic properties (fused == unfused for every variant, counts, strict fused checkpoints) are in
test_models.py; here each token-mixer layout is checked on its own, at odd sizes and stride 2, and
against convolutions written out with the reference's paddings and strides.
"""

from __future__ import annotations

import re
from typing import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError, load_checkpoint
from edgerep.counting import count_macs, count_params
from edgerep.layers.conv_norm import ConvNorm
from edgerep.layers.fusion import compose_depthwise_serial
from edgerep.layers.rep_dwconv import DWBranch, RepDWConv, parallel, serial
from edgerep.models.repnext import (
    MEDIUM_BRANCHES, ChunkConv, CopyConv, Downsample, MetaNeXtBlock, RepNeXt, RepNeXtHead, from_official,
    small_branches,
)

from .helpers import randomize, rel_err
from .reference import PARITY_TOLERANCE

_BatchNorm = nn.modules.batchnorm._BatchNorm
REFERENCE_FUSED_TYPES = (ConvNorm, RepDWConv, RepNeXtHead)  # what suous/RepNeXt's fuse() fuses
SIZES = [(7, 9), (13, 11), (8, 8), (1, 5)]  # odd, mixed, even, degenerate


def _x(channels: int, size: tuple[int, int], seed: int = 0, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, channels, *size, generator=torch.Generator().manual_seed(seed))


def _randomized(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random conv weights and biases (not only the defaults), random BN statistics, eval mode."""
    return randomize(module, seed, weights=True).eval()


def _fused_copy(module: nn.Module) -> nn.Module:
    return edgerep.reparameterize(module)


# --- serial composition ---------------------------------------------------------------------------


@pytest.mark.parametrize("k", [3, 5, 7, 11])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", SIZES)
def test_serial_pair_composes_into_one_kernel(k: int, stride: int, size: tuple[int, int]) -> None:
    """A 1xk (stride along W) then kx1 (stride along H) pair equals one kxk conv at stride (s, s)."""
    c = 3
    g = torch.Generator().manual_seed(k)
    first, second = torch.randn(c, 1, 1, k, generator=g), torch.randn(c, 1, k, 1, generator=g)
    x = _x(c, size)
    y = F.conv2d(x, first, stride=(1, stride), padding=(0, k // 2), groups=c)
    y = F.conv2d(y, second, stride=(stride, 1), padding=(k // 2, 0), groups=c)
    kernel = compose_depthwise_serial(first, second)
    assert kernel.shape == (c, 1, k, k)
    z = F.conv2d(x, kernel, stride=stride, padding=k // 2, groups=c)
    assert z.shape == y.shape
    assert rel_err(z, y) <= PARITY_TOLERANCE


# --- RepDWConvS / RepDWConvM layouts --------------------------------------------------------------


def _dw_fn(c: int) -> Callable[..., torch.Tensor]:
    """F.conv2d with a module's weights and explicit geometry (depthwise over ``c`` channels)."""
    def dw(x: torch.Tensor, conv: nn.Conv2d, **kw) -> torch.Tensor:
        return F.conv2d(x, conv.weight, conv.bias, groups=c, **kw)
    return dw


def _reference_small(m: RepDWConv, x: torch.Tensor, stride: int) -> torch.Tensor:
    """RepDWConvS.forward written out with suous/RepNeXt's paddings and strides."""
    dw = _dw_fn(m.channels)
    out = dw(x, m.conv_3_3, stride=stride, padding=1) + dw(x, m.conv_2_2, stride=stride, padding=1, dilation=2)
    if stride == 1:
        return out + dw(x, m.conv_3_w, padding=(0, 1)) + dw(x, m.conv_3_h, padding=(1, 0))
    w = dw(x, m.conv_3_w, stride=(1, stride), padding=(0, 1))
    return out + dw(w, m.conv_3_h, stride=(stride, 1), padding=(1, 0))


def _reference_medium(m: RepDWConv, x: torch.Tensor, stride: int) -> torch.Tensor:
    """RepDWConvM.forward written out with suous/RepNeXt's paddings and strides."""
    dw = _dw_fn(m.channels)
    out = dw(x, m.conv_7_7, stride=stride, padding=3)
    out = out + dw(x, m.conv_5_3, stride=stride, padding=(2, 1)) + dw(x, m.conv_3_5, stride=stride, padding=(1, 2))
    for w_conv, h_conv, p in ((m.conv_7_w, m.conv_7_h, 3), (m.conv_5_w, m.conv_5_h, 2)):
        y = dw(x, w_conv, stride=(1, stride), padding=(0, p))
        out = out + dw(y, h_conv, stride=(stride, 1), padding=(p, 0))
    return out


LAYOUTS = {
    "small": (3, small_branches, _reference_small),
    "medium": (7, lambda stride: MEDIUM_BRANCHES, _reference_medium),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", SIZES)
def test_rep_dwconv_layouts_match_reference_and_fuse_exactly(layout: str, stride: int, size: tuple[int, int]) -> None:
    kernel, branches, reference = LAYOUTS[layout]
    m = _randomized(RepDWConv(4, kernel, stride, branches(stride)))
    x = _x(4, size)
    with torch.no_grad():
        y = m(x)
        assert rel_err(y, reference(m, x, stride)) <= 1e-6
        fused = _fused_copy(m)
        assert [n for n, _ in fused.named_children()] == ["reparam_conv"]
        assert fused.reparam_conv.weight.shape == (4, 1, kernel, kernel)
        assert rel_err(fused(x), y) <= PARITY_TOLERANCE


def test_small_layout_branches() -> None:
    """Stride 1: the 1x3 and 3x1 are parallel (biased); stride 2: a serial pair without bias."""
    s1 = RepDWConv(4, 3, 1, small_branches(1))
    s2 = RepDWConv(4, 3, 2, small_branches(2))
    assert s1.conv_3_w.bias is not None and s1.conv_3_w.stride == (1, 1)
    assert s2.conv_3_w.bias is None and s2.conv_3_w.stride == (1, 2) and s2.conv_3_h.stride == (2, 1)
    assert s1.conv_2_2.dilation == (2, 2) and s1.conv_2_2.padding == (1, 1)
    train_keys = {k for k in RepDWConv(4, 7, 2, MEDIUM_BRANCHES).state_dict()}
    assert "conv_7_w.bias" not in train_keys and "conv_7_7.bias" in train_keys


def test_branch_specs_reject_inexact_layouts() -> None:
    with pytest.raises(ValueError, match="without bias"):
        DWBranch(("a", "b"), (3, 3), bias=True)
    with pytest.raises(ValueError, match="cannot be centred"):
        RepDWConv(4, 3, 1, (parallel("conv_5", 5),))
    with pytest.raises(ValueError, match="cannot be centred"):
        RepDWConv(4, 7, 1, (parallel("conv_2", 2),))  # an even kernel has no centre
    assert serial("a", "b", 5).extent == (5, 5) and parallel("d", 2, dilation=2).extent == (3, 3)


# --- ChunkConv, CopyConv, blocks -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_chunk_conv_fuses_exactly_and_keeps_the_large_pair(size: tuple[int, int]) -> None:
    m = _randomized(ChunkConv(16))
    x = _x(16, size)
    with torch.no_grad():
        y = m(x)
        fused = _fused_copy(m)
        assert rel_err(fused(x), y) <= PARITY_TOLERANCE
        # the identity quarter passes through untouched
        assert torch.equal(fused(x)[:, :4], x[:, :4])
    conv_l = [c.kernel_size for c in fused.conv_l]
    assert conv_l == [(1, 11), (11, 1)]
    assert any("1x11 -> 11x1" in note for note in fused.fusion_notes())


@pytest.mark.parametrize("size", SIZES)
def test_copy_conv_and_downsample_fuse_exactly_at_stride_2(size: tuple[int, int]) -> None:
    x = _x(8, size)
    copy = _randomized(CopyConv(8))
    down = _randomized(Downsample(8), seed=1)
    with torch.no_grad():
        y = copy(x)
        h, w = size
        assert y.shape == (2, 16, (h + 1) // 2, (w + 1) // 2)
        assert rel_err(_fused_copy(copy)(x), y) <= PARITY_TOLERANCE
        y = down(x)
        fused = _fused_copy(down)
        assert rel_err(fused(x), y) <= PARITY_TOLERANCE
    assert not any(isinstance(m, _BatchNorm) for m in fused.modules())


@pytest.mark.parametrize("size", SIZES)
def test_block_folds_its_norm_into_the_mlp(size: tuple[int, int]) -> None:
    m = _randomized(MetaNeXtBlock(16))
    x = _x(16, size)
    with torch.no_grad():
        y = m(x)
        fused = _fused_copy(m)
        assert rel_err(fused(x), y) <= PARITY_TOLERANCE
    assert not any(isinstance(m, _BatchNorm) for m in fused.modules())


def test_head_fuses_both_classifiers_into_one_linear() -> None:
    m = _randomized(RepNeXtHead(12, 5))
    x = torch.randn(3, 12, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = m(x)
        expected = (m.head.linear(m.head.norm(x)) + m.head_dist.linear(m.head_dist.norm(x))) / 2
        fused = _fused_copy(m)
        assert rel_err(y, expected) <= 1e-7
        assert rel_err(fused(x), y) <= PARITY_TOLERANCE
    assert [type(c) for c in fused.children()] == [nn.Linear]


# --- whole models ---------------------------------------------------------------------------------


def _reference_fused(name: str, device: str = "cpu") -> nn.Module:
    """The form suous/RepNeXt's fuse() produces: only its block types fused."""
    with torch.device(device):
        model = edgerep.create_model(name)
    for m in [m for m in model.modules() if isinstance(m, REFERENCE_FUSED_TYPES)]:
        m.reparameterize()
    return model


@pytest.mark.parametrize("name, dims, depths, batchnorms", [
    ("repnext_m0", (40, 80, 160, 320), (2, 2, 9, 1), 17),
    ("repnext_m5", (80, 160, 320, 640), (7, 7, 35, 2), 54),
])
def test_reference_form_keeps_token_mixer_norms_complete_form_none(
    name: str, dims: tuple[int, ...], depths: tuple[int, ...], batchnorms: int
) -> None:
    ref = _reference_fused(name, device="meta")
    kept = [n for n, m in ref.named_modules() if isinstance(m, _BatchNorm)]
    assert len(kept) == batchnorms
    assert all(n.endswith(".norm") and (".blocks." in n or ".downsample." in n) for n in kept)
    with torch.device("meta"):
        complete = edgerep.reparameterize(edgerep.create_model(name), inplace=True)
    assert not any(isinstance(m, _BatchNorm) for m in complete.modules())
    # complete fusion drops exactly the folded BN affines (2 per channel): blocks and downsamples
    folded = 2 * (sum(d * n for d, n in zip(dims, depths)) + sum(dims[1:]))
    assert count_params(ref) - count_params(complete) == folded


def test_fusion_report_lists_kept_pairs_and_no_batchnorm() -> None:
    model = RepNeXt((8, 16, 32, 64), (1, 2, 1, 1), num_classes=10)
    report = edgerep.fusion_report(edgerep.reparameterize(model))
    assert report.complete and report.batchnorms == []
    kept = [e for e in report.entries if e.status == "kept"]
    assert sorted(e.module for e in kept) == sorted(
        f"stages.{i}.blocks.{j}.token_mixer" for i, depth in enumerate((1, 2, 1, 1)) for j in range(depth)
    )
    assert all("1x11 -> 11x1" in e.reason and "5.5x" in e.reason for e in kept)


def test_kept_serial_pair_costs_less_than_one_large_kernel() -> None:
    c = 40
    size = (c, 56, 56)
    pair = ChunkConv(4 * c).conv_l
    square = nn.Conv2d(c, c, 11, padding=5, groups=c)
    macs_pair, macs_square = count_macs(pair, size), count_macs(square, size)
    assert macs_pair == 2 * 11 * c * 56 * 56
    assert macs_square / macs_pair == pytest.approx(5.5)


def test_invalid_configurations_name_the_problem() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        ChunkConv(10)
    with pytest.raises(ValueError, match="doubles the channels"):
        RepNeXt((8, 24, 48, 96), (1, 1, 1, 1))
    with pytest.raises(ValueError, match="one entry per stage"):
        RepNeXt((8, 16), (1, 1, 1))


# --- official checkpoints -------------------------------------------------------------------------

# suous/RepNeXt's module paths, read from its model/repnext.py (ConvNorm's BN is "norm"; the stem is
# RepNextStem.stem; the fused model replaces ConvNorm, RepDWConvS/M and the classifier by plain layers)


def _to_official(sd: dict[str, torch.Tensor], fused: bool) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in sd.items():
        key = re.sub(r"^stem\.", "stem.stem.", key)
        key = re.sub(r"^((?:stem\.stem|.*channel_mixer)\.\d+)\.bn\.", r"\1.norm.", key)
        if fused:
            key = re.sub(r"^((?:stem\.stem|.*channel_mixer)\.\d+)\.conv\.", r"\1.", key)
            key = key.replace(".reparam_conv.", ".")
            key = key.replace("head.fc.", "head.")
        out[key] = value
    return out


def test_official_training_checkpoint_loads_with_equal_outputs() -> None:
    torch.manual_seed(0)
    source = randomize(edgerep.create_model("repnext_m0")).eval()
    official = _to_official(source.state_dict(), fused=False)
    for key in ("stem.stem.0.norm.running_var", "stem.stem.2.conv.weight",
                "stages.1.downsample.token_mixer.conv_s.conv_3_w.weight",
                "stages.1.downsample.channel_mixer.2.norm.weight",
                "stages.0.blocks.0.token_mixer.conv_m.conv_5_h.weight",
                "stages.0.blocks.0.token_mixer.conv_l.1.bias", "stages.2.blocks.8.norm.running_mean",
                "head.head.norm.weight", "head.head_dist.linear.bias"):
        assert key in official, key
    model = edgerep.create_model("repnext_m0").eval()
    result = load_checkpoint(model, official)
    assert result.layout == "official" and not result.fused_checkpoint
    x = _x(3, (64, 64))
    with torch.no_grad():
        assert torch.equal(model(x), source(x))


def test_official_fused_checkpoint_loads_and_completes_the_fusion() -> None:
    torch.manual_seed(0)
    source = randomize(edgerep.create_model("repnext_m0")).eval()
    ref = edgerep.create_model("repnext_m0")
    ref.load_state_dict(source.state_dict())  # same weights, then fuse what the reference fuses
    for m in [m for m in ref.modules() if isinstance(m, REFERENCE_FUSED_TYPES)]:
        m.reparameterize()
    official = _to_official(ref.eval().state_dict(), fused=True)
    for key in ("stem.stem.0.weight", "stem.stem.2.bias", "stages.2.blocks.0.token_mixer.conv_m.weight",
                "stages.1.downsample.token_mixer.conv_s.bias", "stages.2.blocks.0.norm.weight",
                "stages.1.downsample.channel_mixer.0.weight", "stages.0.blocks.0.token_mixer.conv_l.0.weight",
                "head.weight", "head.bias"):
        assert key in official, key
    model = edgerep.create_model("repnext_m0", inference_mode=True, checkpoint=official).eval()
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    x = _x(3, (64, 64))
    with torch.no_grad():
        assert rel_err(model(x), source(x)) <= PARITY_TOLERANCE
    # the reference-fused checkpoint does not fit a training-form model: say which form to build
    with pytest.raises(CheckpointError, match="inference_mode=True"):
        edgerep.create_model("repnext_m0", checkpoint=official)


def test_from_official_rejects_other_layouts() -> None:
    with pytest.raises(KeyError):
        from_official(edgerep.create_model("repnext_m0", inference_mode=True).state_dict())
