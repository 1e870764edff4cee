"""reparameterize() and fusion_report() on edgerep blocks and on users' own networks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import edgerep
from edgerep.layers.conv_norm import ConvNorm
from edgerep.layers.mobileone import MobileOneBlock
from edgerep.layers.squeeze_excite import SqueezeExcite

from .helpers import randomize, rel_err


def no_batchnorm(model: nn.Module) -> bool:
    return not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(in_chs=8, out_chs=8, kernel_size=3, groups=8, num_conv_branches=4),  # depthwise + skip
        dict(in_chs=8, out_chs=16, kernel_size=3, stride=2, num_conv_branches=2),  # no skip
        dict(in_chs=8, out_chs=8, kernel_size=1, num_conv_branches=1),  # 1x1: no scale branch
        dict(in_chs=8, out_chs=8, kernel_size=3, groups=8, num_conv_branches=0, use_scale_branch=False),  # BN only
        dict(in_chs=8, out_chs=8, kernel_size=3, groups=2, se_layer=SqueezeExcite, act_layer=nn.ReLU),
    ],
)
def test_mobileone_block_fuses_exactly(kwargs: dict) -> None:
    block = randomize(MobileOneBlock(**kwargs)).eval()
    x = torch.randn(2, kwargs["in_chs"], 9, 10)
    y = block(x)
    fused = edgerep.reparameterize(block)
    assert rel_err(fused(x), y) <= 1e-6
    assert no_batchnorm(fused)
    direct = MobileOneBlock(**kwargs, inference_mode=True)
    assert direct.state_dict().keys() == fused.state_dict().keys()


def test_block_reparameterize_is_idempotent_in_place() -> None:
    block = randomize(MobileOneBlock(4, 4, 3, groups=4, num_conv_branches=2)).eval()
    block.reparameterize()
    state = {k: v.clone() for k, v in block.state_dict().items()}
    block.reparameterize()
    assert all(torch.equal(state[k], v) for k, v in block.state_dict().items())


def test_inplace_and_copy() -> None:
    block = ConvNorm(3, 4, 3)
    copy = edgerep.reparameterize(block)
    assert copy is not block and hasattr(block, "bn") and not hasattr(copy, "bn")
    same = edgerep.reparameterize(block, inplace=True)
    assert same is block and not hasattr(block, "bn")


def test_train_mode_uses_running_statistics() -> None:
    net = randomize(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()))
    x = torch.randn(4, 3, 8, 8)
    expected = net.eval()(x)
    fused = edgerep.reparameterize(net.train())
    assert not fused.training
    assert rel_err(fused(x), expected) <= 1e-6


class TorchvisionStyle(nn.Module):
    """conv/bn pairs as attributes (only a traced graph shows the pairing), plus a Sequential."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.fc = nn.Linear(8, 5)
        self.bn_fc = nn.BatchNorm1d(5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = x + self.layer(x)
        return self.bn_fc(self.fc(x.mean((2, 3))))


def test_users_network_conv_bn_pairs_fuse() -> None:
    net = randomize(TorchvisionStyle()).eval()
    x = torch.randn(2, 3, 16, 16)
    fused = edgerep.reparameterize(net)
    assert no_batchnorm(fused)
    assert rel_err(fused(x), net(x)) <= 1e-6
    assert edgerep.fusion_report(fused).complete


def test_torchvision_resnet_fuses_completely() -> None:
    torchvision = pytest.importorskip("torchvision")  # a dev dependency: installed in CI
    net = randomize(torchvision.models.resnet18(num_classes=10)).eval()
    x = torch.randn(2, 3, 64, 64)
    fused = edgerep.reparameterize(net)
    assert no_batchnorm(fused)
    assert rel_err(fused(x), net(x)) <= 1e-5


class SharedConv(nn.Module):
    """A conv whose output feeds a BN and something else: folding would change the function."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y) + y


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.bn = nn.BatchNorm2d(4)
        self.seq = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))

    def forward(self, x):
        if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
            x = x * 2
        return self.seq(self.bn(self.conv(x)))


def test_unfusable_batchnorm_is_kept_and_reported() -> None:
    net = randomize(SharedConv()).eval()
    x = torch.randn(2, 3, 5, 5)
    fused = edgerep.reparameterize(net)
    assert rel_err(fused(x), net(x)) <= 1e-6
    report = edgerep.fusion_report(fused)
    assert report.batchnorms == ["bn"] and not report.complete
    assert "feeds it alone" in str(report)


def test_untraceable_model_still_fuses_sequential_pairs() -> None:
    net = randomize(Untraceable()).eval()
    x = torch.randn(2, 3, 5, 5).abs()
    fused = edgerep.reparameterize(net)
    assert rel_err(fused(x), net(x)) <= 1e-6
    assert edgerep.fusion_report(fused).batchnorms == ["bn"]


def test_report_lists_unfused_blocks() -> None:
    block = MobileOneBlock(4, 4, 3, groups=4)
    report = edgerep.fusion_report(block)
    assert report.unfused_blocks == [""] and not report.complete
    assert edgerep.fusion_report(edgerep.reparameterize(block)).complete


def test_reparameterize_rejects_non_modules() -> None:
    with pytest.raises(TypeError, match="nn.Module"):
        edgerep.reparameterize("fastvit_t8")
