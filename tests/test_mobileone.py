"""MobileOne-specific properties: timm and Apple checkpoint conformance, train-mode fusion, S4's SE
placement, and the plain conv/ReLU form of fused S0. The registry-wide properties (exact fusion,
counts, idempotence) are in test_models.py.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError
from edgerep.layers.mobileone import MobileOneBlock
from edgerep.layers.squeeze_excite import SqueezeExcite
from edgerep.layers import ClassifierHead
from edgerep.models.mobileone import MobileOne

from .helpers import randomize, rel_err
from .reference import PARITY_TOLERANCE

timm = pytest.importorskip("timm")

SIZE = (3, 64, 64)
_BatchNorm = nn.modules.batchnorm._BatchNorm


def _input(seed: int = 1) -> torch.Tensor:
    return torch.randn(2, *SIZE, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module", params=["mobileone_s0", "mobileone_s4"])
def reference(request) -> tuple[str, dict, dict, torch.Tensor, torch.Tensor]:
    """(name, timm training state dict, timm fused state dict, input, timm output), random weights."""
    name = request.param
    torch.manual_seed(0)
    ref = randomize(timm.create_model(name, pretrained=False)).eval()
    x = _input()
    with torch.no_grad():
        y = ref(x)
    train_sd = {k: v.clone() for k, v in ref.state_dict().items()}
    fused = timm.utils.reparameterize_model(ref)
    fused_sd = {k: v.clone() for k, v in fused.state_dict().items()}
    return name, train_sd, fused_sd, x, y


def _run(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(x)


def test_timm_training_checkpoint_matches_timm(reference) -> None:
    name, train_sd, _, x, y = reference
    model = edgerep.create_model(name)
    result = edgerep.load_checkpoint(model, train_sd)
    # S0-S3 keys are identical to edgerep's; S4's SE is renamed attn -> se
    assert result.layout == ("timm" if name == "mobileone_s4" else "edgerep")
    assert not result.fused_checkpoint
    assert rel_err(_run(model, x), y) <= PARITY_TOLERANCE


def test_timm_fused_checkpoint_matches_timm(reference) -> None:
    name, _, fused_sd, x, y = reference
    model = edgerep.create_model(name, inference_mode=True, checkpoint=fused_sd)
    assert rel_err(_run(model, x), y) <= PARITY_TOLERANCE


def test_timm_checkpoint_in_the_wrong_form_says_how_to_load_it(reference) -> None:
    name, train_sd, fused_sd, _, _ = reference
    with pytest.raises(CheckpointError, match="inference_mode=False"):
        edgerep.create_model(name, inference_mode=True, checkpoint=train_sd)
    with pytest.raises(CheckpointError, match="inference_mode=True"):
        edgerep.create_model(name, checkpoint=fused_sd)


# Apple's ml-mobileone names, written from its mobileone.py independently of the package's converter.
_TO_APPLE = (
    (r"^stem\.", "stage0."),
    (r"^stages\.(\d)\.", lambda m: f"stage{int(m[1]) + 1}."),
    (r"\.conv_kxk\.", ".rbr_conv."),
    (r"\.conv_scale\.", ".rbr_scale."),
    (r"\.identity\.", ".rbr_skip."),
    (r"\.attn\.fc1\.", ".se.reduce."),
    (r"\.attn\.fc2\.", ".se.expand."),
    (r"^head\.fc\.", "linear."),
)


def _apple_layout(timm_sd: dict) -> dict:
    out = {}
    for key, value in timm_sd.items():
        for pattern, repl in _TO_APPLE:
            key = re.sub(pattern, repl, key)
        out[key] = value
    assert not any(k.startswith(("stem", "stages", "head")) or "attn" in k for k in out)
    return out


@pytest.mark.parametrize("fused", [False, True], ids=["unfused", "reparam"])
def test_apple_checkpoint_matches_timm(reference, fused: bool) -> None:
    name, train_sd, fused_sd, x, y = reference
    apple = _apple_layout(fused_sd if fused else train_sd)
    model = edgerep.create_model(name, inference_mode=fused)
    result = edgerep.load_checkpoint(model, {"state_dict": apple})  # wrapped, as Apple's .pth.tar may be
    assert result.layout == "apple"
    assert rel_err(_run(model, x), y) <= PARITY_TOLERANCE


def test_fusing_a_model_left_in_train_mode_uses_running_statistics() -> None:
    torch.manual_seed(0)
    model = randomize(edgerep.create_model("mobileone_s0"))
    x = _input()
    expected = _run(model, x)
    stats = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}

    model.train()  # the upstream complaint: fusing in train mode gives garbage (max abs error ~8e3)
    fused = edgerep.reparameterize(model)
    assert rel_err(_run(fused, x), expected) <= PARITY_TOLERANCE
    # the copy left the caller's statistics alone
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in stats.items())

    # in place, and run in train mode: with no BatchNorm left the mode no longer matters
    model.train()
    edgerep.reparameterize(model, inplace=True)
    with torch.no_grad():
        assert rel_err(model.train()(x), expected) <= PARITY_TOLERANCE


def test_batch_statistics_differ_from_running_ones() -> None:
    """Guards the test above: train-mode outputs of the unfused model really are different."""
    torch.manual_seed(0)
    model = randomize(edgerep.create_model("mobileone_s0"))
    x = _input()
    expected = _run(model, x)
    with torch.no_grad():
        assert rel_err(model.train()(x), expected) > 1e-2


def test_fused_s0_is_a_plain_conv_relu_stack() -> None:
    fused = edgerep.reparameterize(randomize(edgerep.create_model("mobileone_s0")))
    allowed = (MobileOne, MobileOneBlock, ClassifierHead, nn.Sequential, nn.Conv2d, nn.ReLU, nn.Linear, nn.Identity)
    odd = [(n, type(m).__name__) for n, m in fused.named_modules() if not isinstance(m, allowed)]
    assert odd == []
    assert not any(isinstance(m, (nn.ModuleList, _BatchNorm)) for m in fused.modules())
    convs = [m for m in fused.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 1 + 2 * (2 + 8 + 10 + 1)  # stem + one conv per block
    assert all(m.bias is not None for m in convs)
    for block in (m for m in fused.modules() if isinstance(m, MobileOneBlock)):
        assert {n for n, _ in block.named_children()} == {"reparam_conv", "se", "act"}
        assert isinstance(block.se, nn.Identity) and isinstance(block.act, nn.ReLU)
    # channel widths: min(64, 64 * 0.75) = 48 after the stem, then 64/128/256/512 x (.75, 1, 1, 2)
    assert [s[-1].reparam_conv.out_channels for s in fused.stages] == [48, 128, 256, 1024]
    assert fused.stem.reparam_conv.out_channels == 48


def test_unfused_s0_has_four_branches_and_a_single_branch_stem() -> None:
    model = edgerep.create_model("mobileone_s0")
    assert len(model.stem.conv_kxk) == 1
    blocks = [m for m in model.stages.modules() if isinstance(m, MobileOneBlock)]
    assert all(len(b.conv_kxk) == 4 for b in blocks)
    # BN skips exactly where shapes allow: all but the 4 stride-2 depthwise blocks and the 3 pointwise
    # blocks that widen (stage 1 keeps the stem's 48 channels)
    assert sum(b.identity is not None for b in blocks) == 2 * (2 + 8 + 10 + 1) - 4 - 3


def test_s4_squeeze_excite_sits_on_the_last_pairs_of_stages_3_and_4() -> None:
    with torch.device("meta"):
        model = edgerep.create_model("mobileone_s4")
    with_se = [
        (i, j) for i, stage in enumerate(model.stages) for j, b in enumerate(stage) if isinstance(b.se, SqueezeExcite)
    ]
    # the last 5 of 10 pairs in stage 3 (blocks 10-19) and the only pair of stage 4, both blocks of each
    assert with_se == [(2, j) for j in range(10, 20)] + [(3, 0), (3, 1)]
    assert model.stages[3][1].se.fc1.out_channels == int(2048 * 0.0625)
    assert not any(isinstance(m, SqueezeExcite) for n in ("mobileone_s0", "mobileone_s3")
                   for m in edgerep.create_model(n, inference_mode=True).modules())


def test_num_classes_and_feature_map() -> None:
    model = edgerep.create_model("mobileone_s1", num_classes=10).eval()
    x = _input()
    with torch.no_grad():
        assert model(x).shape == (2, 10)
        assert model.forward_features(x).shape == (2, model.num_features, 2, 2)


def test_bad_stage_configuration_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="se_blocks"):
        MobileOne((1.0, 1.0, 1.0, 1.0), se_blocks=(0, 0, 11, 0))
    with pytest.raises(ValueError, match="one value per stage"):
        MobileOne((1.0, 1.0, 1.0))


def test_foreign_layout_that_is_neither_is_rejected() -> None:
    sd = edgerep.create_model("mobileone_s0").state_dict()
    sd = {k.replace("stem.", "patch_embed."): v for k, v in sd.items()}
    with pytest.raises(CheckpointError, match="does not fit"):
        edgerep.create_model("mobileone_s0", checkpoint=sd)
