"""FastViT-specific tests: timm and Apple checkpoint conformance, the reference's partial fusion vs
edgerep's complete fusion, and the blocks on their own.

Expected outputs come from timm's independent implementation (random weights, randomized BatchNorm
statistics and layer scales), never from the code under test. Apple-layout state dicts are made
here by renaming timm's keys with the renames ml-fastvit's checkpoints use.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError, load_checkpoint
from edgerep.counting import count_params
from edgerep.layers.base import LayerScale, Reparameterizable
from edgerep.layers.large_kernel import ReparamLargeKernelConv
from edgerep.layers.mobileone import MobileOneBlock
from edgerep.layers.pos_enc import RepCPE
from edgerep.layers.repmixer import RepMixer
from edgerep.models.fastvit import AttentionBlock, RepMixerBlock, from_apple

from .helpers import randomize, rel_err

timm = pytest.importorskip("timm")
from timm.utils import reparameterize_model  # noqa: E402

_BatchNorm = nn.modules.batchnorm._BatchNorm
TOL = 1e-5
REFERENCE_FUSED = (MobileOneBlock, ReparamLargeKernelConv, RepMixer, RepCPE)


def count(model: nn.Module, kind: type | tuple[type, ...]) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


# ---- Apple ml-fastvit layout, written independently of edgerep's converter ----------------------

_TO_APPLE = (
    ("conv_kxk", "rbr_conv"), ("conv_scale", "rbr_scale"), ("identity", "rbr_skip"),
    ("large_conv", "lkb_origin"), ("se.fc1", "se.reduce"), ("se.fc2", "se.expand"),
    (".mlp.", ".convffn."),
)


def to_apple(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timm keys -> Apple's: ``patch_embed``, one flat ``network`` list, ``conv_exp``, ``head``."""
    # Apple's network list holds, per stage in order: downsample PatchEmbed, RepCPE, blocks.
    parts = sorted(
        {(int(m[1]), m[2]) for k in sd if (m := re.match(r"stages\.(\d+)\.(downsample|pos_emb|blocks)\.", k))},
        key=lambda p: (p[0], ("downsample", "pos_emb", "blocks").index(p[1])),
    )
    index = {part: i for i, part in enumerate(parts)}
    out = {}
    for key, value in sd.items():
        m = re.match(r"stages\.(\d+)\.(downsample|pos_emb|blocks)\.(.*)", key)
        if m:
            rest = m[3].replace("pos_enc.", "pe.") if m[2] == "pos_emb" else m[3]
            if m[2] == "downsample":
                rest = rest.replace("proj.0.reparam_conv", "proj.0.lkb_reparam")
            key = f"network.{index[(int(m[1]), m[2])]}.{rest}"
        key = re.sub(r"^stem\.", "patch_embed.", key)
        key = re.sub(r"^final_conv\.", "conv_exp.", key)
        key = re.sub(r"^head\.fc\.", "head.", key)
        key = re.sub(r"(layer_scale(_[12])?)\.gamma$", r"\1", key)
        for a, b in _TO_APPLE:
            key = key.replace(a, b)
        out[key] = value
    return out


# ---- timm conformance ----------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["fastvit_t8", "fastvit_sa12"])
def reference(request):
    """(name, timm training model, timm fused model, input, timm output, timm fused output)."""
    name = request.param
    torch.manual_seed(0)
    ref = randomize(timm.create_model(name)).eval()
    x = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))  # H != W on purpose
    ref_fused = reparameterize_model(ref).eval()
    with torch.no_grad():
        return name, ref, ref_fused, x, ref(x), ref_fused(x)


def test_timm_training_checkpoint_loads_by_identity(reference) -> None:
    name, ref, _, x, y, _ = reference
    model = edgerep.create_model(name)
    result = load_checkpoint(model, ref.state_dict())
    assert result.layout == "edgerep" and not result.fused_checkpoint
    with torch.no_grad():
        assert rel_err(model.eval()(x), y) <= TOL
        # and edgerep's complete fusion of it still computes timm's function
        assert rel_err(edgerep.reparameterize(model)(x), y) <= TOL


def test_timm_fused_checkpoint_completes_fusion(reference) -> None:
    name, _, ref_fused, x, _, y_fused = reference
    model = edgerep.create_model(name, inference_mode=True)
    result = load_checkpoint(model, ref_fused.state_dict())
    assert result.fused_checkpoint and result.notes  # partially fused input, fusion completed
    assert count(model, (_BatchNorm, LayerScale)) == 0
    with torch.no_grad():
        assert rel_err(model.eval()(x), y_fused) <= TOL


def test_apple_checkpoints_load(reference) -> None:
    name, ref, ref_fused, x, y, y_fused = reference
    apple = to_apple(ref.state_dict())
    assert any(k.startswith("network.") and ".rbr_conv." in k for k in apple)
    model = edgerep.create_model(name)
    assert load_checkpoint(model, apple).layout == "apple"
    apple_fused = to_apple(ref_fused.state_dict())
    assert any(".lkb_reparam." in k for k in apple_fused)
    fused = edgerep.create_model(name, inference_mode=True)
    assert load_checkpoint(fused, apple_fused).layout == "apple"
    with torch.no_grad():
        assert rel_err(model.eval()(x), y) <= TOL
        assert rel_err(fused.eval()(x), y_fused) <= TOL


def test_apple_converter_rejects_other_layouts() -> None:
    sd = edgerep.create_model("fastvit_t8").state_dict()
    with pytest.raises(KeyError):
        from_apple(sd)


@pytest.mark.parametrize(
    ("source", "target", "expect"),
    [
        ("fastvit_t8", "fastvit_t12", "closest layout 'apple'"),  # different keys
        ("fastvit_t12", "fastvit_s12", "(apple layout) does not fit"),  # same keys, other shapes
    ],
)
def test_mismatching_checkpoint_names_the_layout(source: str, target: str, expect: str) -> None:
    apple = to_apple(edgerep.create_model(source).state_dict())
    with pytest.raises(CheckpointError, match=re.escape(expect)):
        edgerep.create_model(target, checkpoint=apple)


def test_fused_checkpoint_into_training_model_says_how_to_fix() -> None:
    fused = edgerep.create_model("fastvit_t8", inference_mode=True).state_dict()
    with pytest.raises(CheckpointError, match="inference_mode=True"):
        edgerep.create_model("fastvit_t8", checkpoint=fused)


# ---- fusion properties ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "left"), [("fastvit_t8", 10), ("fastvit_sa12", 14)])
def test_reference_fusion_leaves_what_the_doc_says_edgerep_leaves_none(name: str, left: int) -> None:
    model = edgerep.create_model(name)
    for m in [m for m in model.modules() if isinstance(m, REFERENCE_FUSED)]:
        m.reparameterize()
    assert count(model, _BatchNorm) == left
    assert count(model, LayerScale) == left
    full = edgerep.reparameterize(model)
    assert count(full, (_BatchNorm, LayerScale)) == 0
    # Parameter accounting of the extra folding: a block sheds its BNs (2C each) and layer scales (C
    # each) and gains the biases the folds create (C for the FFN's depthwise conv, 3C for qkv).
    removed = sum(2 * m.num_features for m in model.modules() if isinstance(m, _BatchNorm))
    removed += sum(m.gamma.numel() for m in model.modules() if isinstance(m, LayerScale))
    blocks = [b for b in full.modules() if isinstance(b, (RepMixerBlock, AttentionBlock))]
    created = sum(b.mlp.conv.conv.out_channels for b in blocks)
    created += sum(b.token_mixer.qkv.out_features for b in full.modules() if isinstance(b, AttentionBlock))
    assert count_params(model) - count_params(full) == removed - created
    assert all(m.fused for m in full.modules() if isinstance(m, Reparameterizable))


def test_repmixer_reparameterize_twice_is_a_no_op() -> None:
    mixer = randomize(RepMixer(16)).eval()
    x = torch.randn(2, 16, 7, 5)
    with torch.no_grad():
        y = mixer(x)
    mixer.reparameterize()
    state = {k: v.clone() for k, v in mixer.state_dict().items()}
    mixer.reparameterize()  # the reference raises AttributeError here
    assert list(mixer.state_dict()) == ["reparam_conv.weight", "reparam_conv.bias"]
    assert all(torch.equal(state[k], v) for k, v in mixer.state_dict().items())
    with torch.no_grad():
        assert rel_err(mixer(x), y) <= TOL


@pytest.mark.parametrize(
    "make",
    [
        lambda f: RepMixer(32, inference_mode=f),
        lambda f: RepMixerBlock(32, 3, 1e-5, inference_mode=f),
        lambda f: AttentionBlock(64, 4, 1e-5, inference_mode=f),
        lambda f: RepCPE(32, 7, inference_mode=f),
        lambda f: ReparamLargeKernelConv(32, 64, 7, stride=2, groups=32, inference_mode=f),
    ],
    ids=["repmixer", "repmixer_block", "attention_block", "repcpe", "large_kernel"],
)
def test_block_fuses_exactly_into_its_inference_layout(make) -> None:
    block = randomize(make(False)).eval()
    x = torch.randn(2, 32 if not isinstance(block, AttentionBlock) else 64, 6, 10)
    with torch.no_grad():
        y = block(x)
        block.reparameterize()
        assert rel_err(block(x), y) <= TOL
    assert count(block, (_BatchNorm, LayerScale)) == 0
    direct = make(True)
    assert {k: v.shape for k, v in direct.state_dict().items()} == {
        k: v.shape for k, v in block.state_dict().items()
    }


def test_fused_attention_block_exports_with_plain_ops() -> None:
    block = randomize(AttentionBlock(64, 4, 1e-5)).eval()
    block.reparameterize()
    x = torch.randn(1, 64, 4, 6)
    program = torch.export.export(block, (x,)).run_decompositions({})
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert not any("scaled_dot_product" in t or "batch_norm" in t for t in targets), targets
    with torch.no_grad():
        assert rel_err(program.module()(x), block(x)) <= 1e-6
