"""FaceLiVT-specific properties: batched linear attention equals the reference's per-head form (and
its channel order), the fixed 112x112 input, Lite MHLA fusion, and the official checkpoint layout.

The generic properties (exact and complete fusion, counts, fused checkpoints) are in test_models.py.
"""

from __future__ import annotations

import copy
import re

import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError, load_checkpoint
from edgerep.layers.base import LayerScale
from edgerep.layers.conv_norm import ConvNorm
from edgerep.layers.linear_attention import LiteMultiHeadLinearAttention, MultiHeadLinearAttention
from edgerep.models.facelivt import NormLinear, RepConv, from_official

from .helpers import randomize, rel_err

_g = torch.Generator().manual_seed(0)


def _randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=_g)


# --- the reference's per-head forms, written out as in novendrastywn/FaceLiVT ----------------------

class PerHeadMHLA(nn.Module):
    """v1 ``LinearAttention``: one nn.Linear pair per head, heads concatenated on the token axis."""

    def __init__(self, dim: int, resolution: int, n_head: int = 16, ratio: int = 4) -> None:
        super().__init__()
        self.n_head, self.res, self.dim = n_head, resolution**2, dim
        self.norm = nn.GroupNorm(1, dim)
        self.act_layer = nn.GELU()
        self.linear1 = nn.ModuleList(nn.Linear(self.res, self.res * ratio) for _ in range(n_head))
        self.linear2 = nn.ModuleList(nn.Linear(self.res * ratio, self.res) for _ in range(n_head))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        chunks = self.norm(x).reshape(-1, self.dim, self.res).chunk(self.n_head, dim=1)
        out = [self.linear2[i](self.act_layer(self.linear1[i](chunks[i]))) for i in range(self.n_head)]
        return torch.cat(out, dim=-1).reshape(b, c, h, w)


class PerHeadLiteMHLA(nn.Module):
    """v2 ``MultiHeadLinearAttention``: affine, one nn.Linear per head, concatenated on channels."""

    def __init__(self, dim: int, resolution: int, n_head: int = 4) -> None:
        super().__init__()
        self.n_head, self.res, self.dim = n_head, resolution**2, dim
        self.norm = nn.Module()  # the reference's Affine: alpha * x + beta per channel
        self.norm.alpha = nn.Parameter(_randn(1, dim, 1))
        self.norm.beta = nn.Parameter(_randn(1, dim, 1))
        self.lin = nn.ModuleList(nn.Linear(self.res, self.res) for _ in range(n_head))
        self.ls = nn.Parameter(_randn(dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        x = torch.addcmul(self.norm.beta, self.norm.alpha, x.reshape(-1, self.dim, self.res))
        x = torch.cat([self.lin[i](t) for i, t in enumerate(x.chunk(self.n_head, dim=1))], dim=1)
        return self.ls * x.reshape(b, c, h, w)


def _randomize_norm(module: nn.Module) -> None:
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.GroupNorm):
                m.weight.copy_(_randn(m.num_channels))
                m.bias.copy_(_randn(m.num_channels))


def _via_official_layout(reference: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """``reference``'s weights under a model-level official key, through the layout converter."""
    sd = {f"stages.2.blocks.0.block.{prefix}.m.{k}": v for k, v in reference.state_dict().items()}
    return {k.split(".attn.", 1)[1]: v for k, v in from_official(sd).items()}


@pytest.mark.parametrize("dim, resolution", [(160, 7), (320, 4)])
def test_batched_mhla_equals_per_head_reference(dim: int, resolution: int) -> None:
    torch.manual_seed(0)
    reference = PerHeadMHLA(dim, resolution)
    _randomize_norm(reference)
    ours = MultiHeadLinearAttention(dim, resolution)
    ours.load_state_dict(_via_official_layout(reference, "0"))  # linear1.h -> fc1.weight[h], ...
    x = _randn(2, dim, resolution, resolution)
    with torch.no_grad():
        assert rel_err(ours(x), reference(x)) <= 1e-6


def test_mhla_output_channels_are_heads_interleaved() -> None:
    """Token-axis concatenation then a reshape to (C, H, W) puts head h's channel c at c*heads + h."""
    dim, res, heads = 32, 4, 16
    per_head = dim // heads
    attn = MultiHeadLinearAttention(dim, res, num_heads=heads, act_layer=nn.Identity)
    tokens = res * res
    with torch.no_grad():  # every head the identity on its tokens: only the channel order remains
        attn.fc1.weight.copy_(torch.eye(4 * tokens, tokens).expand(heads, -1, -1))
        attn.fc2.weight.copy_(torch.eye(tokens, 4 * tokens).expand(heads, -1, -1))
        attn.fc1.bias.zero_()
        attn.fc2.bias.zero_()
        x = _randn(2, dim, res, res)
        normed, out = attn.norm(x), attn(x)
    for h in range(heads):
        for c in range(per_head):
            assert torch.equal(out[:, c * heads + h], normed[:, h * per_head + c])
    # a naive head split (heads concatenated on channels) would return the channels in place
    assert not torch.allclose(out, normed)


def test_mhla_order_differs_from_naive_channel_concatenation() -> None:
    """With the reference's weights, only the token-axis order reproduces its output."""
    torch.manual_seed(1)
    reference = PerHeadMHLA(160, 7)
    _randomize_norm(reference)
    x = _randn(1, 160, 7, 7)
    with torch.no_grad():
        chunks = reference.norm(x).reshape(1, 160, 49).chunk(16, dim=1)
        heads = [reference.linear2[i](reference.act_layer(reference.linear1[i](t))) for i, t in enumerate(chunks)]
        naive = torch.cat(heads, dim=1).reshape(1, 160, 7, 7)
        ours = MultiHeadLinearAttention(160, 7)
        ours.load_state_dict(_via_official_layout(reference, "0"))
        y = ours(x)
    assert rel_err(y, reference(x)) <= 1e-6
    assert rel_err(naive, reference(x)) > 0.1


def test_batched_lite_mhla_equals_per_head_reference() -> None:
    torch.manual_seed(0)
    reference = PerHeadLiteMHLA(128, 7)
    ours = LiteMultiHeadLinearAttention(128, 7)
    ours.load_state_dict(_via_official_layout(reference, "1"))  # lin.h -> proj.weight[h], ls -> ls.gamma
    x = _randn(2, 128, 7, 7)
    with torch.no_grad():
        assert rel_err(ours(x), reference(x)) <= 1e-6


def test_lite_mhla_fusion_folds_the_layer_scale() -> None:
    torch.manual_seed(0)
    attn = randomize(LiteMultiHeadLinearAttention(64, 4))  # alpha, beta, ls drawn at random
    with torch.no_grad():
        attn.proj.bias.copy_(_randn(*attn.proj.bias.shape))
    x = _randn(2, 64, 4, 4)
    with torch.no_grad():
        y = attn(x)
    fused = edgerep.reparameterize(attn)
    assert fused.fused and not any(isinstance(m, LayerScale) for m in fused.modules())
    assert not hasattr(fused, "alpha") and not hasattr(fused, "ls")
    with torch.no_grad():
        assert rel_err(fused(x), y) <= 1e-6
    # no parameter added, and the fused layout is what inference_mode builds
    assert sum(p.numel() for p in fused.parameters()) == sum(p.numel() for p in attn.parameters())
    direct = LiteMultiHeadLinearAttention(64, 4, inference_mode=True)
    assert {k: v.shape for k, v in direct.state_dict().items()} == {
        k: v.shape for k, v in fused.state_dict().items()
    }
    assert fused.fusion_notes()


def test_mhla_keeps_group_norm_and_says_why() -> None:
    fused = edgerep.reparameterize(edgerep.create_model("facelivt_s"))
    report = edgerep.fusion_report(fused)
    kept = [e for e in report.entries if e.status == "kept"]
    assert len(kept) == 8 and all("GroupNorm" in e.reason for e in kept)  # 6 + 2 MHLA blocks
    assert report.complete


# --- fixed input size ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["facelivt_s", "facelivtv2_xs"])
@pytest.mark.parametrize("fused", [False, True])
def test_wrong_input_size_names_112(name: str, fused: bool) -> None:
    model = edgerep.create_model(name, inference_mode=fused).eval()
    with torch.no_grad(), pytest.raises(ValueError, match="112x112"):
        model(torch.zeros(1, 3, 128, 128))


def test_attention_layer_names_its_grid() -> None:
    attn = MultiHeadLinearAttention(160, 7)
    with pytest.raises(ValueError, match="7x7"):
        attn(torch.zeros(1, 160, 8, 8))


def test_size_check_does_not_break_torch_export() -> None:
    model = edgerep.reparameterize(edgerep.create_model("facelivt_s"))
    x = _randn(1, 3, 112, 112)
    program = torch.export.export(model, (x,))
    with torch.no_grad():
        assert rel_err(program.module()(x), model(x)) <= 1e-6


def test_bad_head_count_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="num_heads=16"):
        MultiHeadLinearAttention(40, 7)


# --- official checkpoint layout -----------------------------------------------------------------

def _official_conv_bn(sd: dict, module: str, rest: str) -> str:
    """The reference's Conv2d_BN suffix (``c``/``bn``), or the bare Conv2d it fuses into."""
    if f"{module}.bn.weight" in sd:
        return rest.replace("conv.", "c.", 1)
    return rest.replace("conv.", "", 1)


def official_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s weights under novendrastywn/FaceLiVT's key names, per-head Linears unstacked.

    Written independently of the package's converter: the reference's ``patch_embedds``
    (StemLayer, PatchMerging ``spatial``/``channel``), ``stages.i.blocks.j.block.k`` with
    ``Residual.m``, Conv2d_BN ``c``/``bn``, ``Classfier.classifier`` BN_Linear ``bn``/``l``.
    """
    sd = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    block_index: dict[str, dict[str, int]] = {}
    for name, m in model.named_modules():
        if re.fullmatch(r"stages\.\d+\.blocks\.\d+", name):
            parts = [p for p in ("rep_mixer", "attn", "ffn") if getattr(m, p) is not None]
            block_index[name] = {p: i for i, p in enumerate(parts)}
    for key, v in sd.items():
        if m := re.fullmatch(r"stem\.([02])\.(.+)", key):
            out[f"patch_embedds.0.stem.{int(m[1]) // 2}.0.{m[2]}"] = v
        elif m := re.fullmatch(r"stages\.(\d+)\.downsample\.dw\.(.+)", key):
            out[f"patch_embedds.{m[1]}.spatial.0.{m[2]}"] = v
        elif m := re.fullmatch(r"(stages\.(\d+)\.downsample\.pw)\.(.+)", key):
            out[f"patch_embedds.{m[2]}.spatial.1.{_official_conv_bn(sd, m[1], m[3])}"] = v
        elif m := re.fullmatch(r"(stages\.(\d+)\.downsample\.ffn\.(pw[12]))\.(.+)", key):
            out[f"patch_embedds.{m[2]}.channel.m.{m[3]}.{_official_conv_bn(sd, m[1], m[4])}"] = v
        elif m := re.fullmatch(r"(stages\.\d+\.blocks\.\d+)\.(rep_mixer|attn|ffn)\.(.+)", key):
            block, part, rest = m[1], m[2], m[3]
            base = f"{block}.block.{block_index[block][part]}"
            if part == "rep_mixer":
                unfused = f"{block}.rep_mixer.bn.weight" in sd
                out[f"{base}.{'m.' if unfused else ''}{rest}"] = v
            elif part == "ffn":
                pw, suffix = rest.split(".", 1)
                out[f"{base}.m.{pw}.{_official_conv_bn(sd, f'{block}.ffn.{pw}', suffix)}"] = v
            elif rest.startswith(("fc1.", "fc2.", "proj.")):
                layer, param = rest.split(".")
                name = {"fc1": "linear1", "fc2": "linear2", "proj": "lin"}[layer]
                for h, t in enumerate(v.unbind(0)):
                    out[f"{base}.m.{name}.{h}.{param}"] = t.clone()
            elif rest in ("alpha", "beta"):
                out[f"{base}.m.norm.{rest}"] = v
            elif rest == "ls.gamma":
                out[f"{base}.m.ls"] = v
            else:  # norm.weight / norm.bias (GroupNorm)
                out[f"{base}.m.{rest}"] = v
        elif m := re.fullmatch(r"(pre_head\.[01])\.(.+)", key):
            out[f"{m[1]}.{_official_conv_bn(sd, m[1], m[2])}"] = v
        elif m := re.fullmatch(r"head\.bn\.(.+)", key):
            out[f"head.classifier.bn.{m[1]}"] = v
        elif m := re.fullmatch(r"head\.fc\.(.+)", key):
            out[f"head.classifier.l.{m[1]}" if "head.bn.weight" in sd else f"head.{m[1]}"] = v
        else:
            raise AssertionError(f"unmapped key {key}")
    return out


def _reference_fused(model: nn.Module) -> nn.Module:
    """What the reference's own ``reparameterize`` leaves: Lite MHLA affine and layer scale kept."""
    model = copy.deepcopy(model)
    for m in model.modules():
        if isinstance(m, (RepConv, ConvNorm, NormLinear, MultiHeadLinearAttention)):
            m.reparameterize()
    return model.eval()


def _randomized(name: str) -> nn.Module:
    torch.manual_seed(0)
    model = randomize(edgerep.create_model(name)).eval()
    _randomize_norm(model)
    return model


@pytest.mark.parametrize("name", ["facelivt_s", "facelivtv2_xs"])
def test_official_training_checkpoint_loads(name: str) -> None:
    model = _randomized(name)
    official = official_state_dict(model)
    expected_keys = {
        "facelivt_s": ["stages.2.blocks.0.block.0.m.linear1.15.weight", "head.classifier.l.weight",
                       "patch_embedds.1.channel.m.pw2.bn.running_var"],
        "facelivtv2_xs": ["stages.3.blocks.2.block.1.m.lin.3.bias", "stages.3.blocks.2.block.1.m.ls",
                          "pre_head.1.c.weight", "stages.0.blocks.0.block.0.m.repconv.weight"],
    }[name]
    assert set(expected_keys) <= set(official), "the test's official layout drifted from the reference"
    loaded = edgerep.create_model(name).eval()
    result = load_checkpoint(loaded, official)
    assert result.layout == "official" and not result.fused_checkpoint
    x = _randn(2, 3, 112, 112)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_official_fused_v1_checkpoint_loads() -> None:
    """The reference's v1 ``reparameterize`` output is already complete: it loads as it is."""
    model = _randomized("facelivt_s")
    fused = edgerep.reparameterize(model)
    official = official_state_dict(_reference_fused(model))
    assert "stages.0.blocks.0.block.0.conv.weight" in official and "head.weight" in official
    loaded = edgerep.create_model("facelivt_s", inference_mode=True).eval()
    result = load_checkpoint(loaded, official)
    assert result.layout == "official" and result.fused_checkpoint
    x = _randn(2, 3, 112, 112)
    with torch.no_grad():
        assert rel_err(loaded(x), fused(x)) <= 1e-6


def test_official_fused_v2_checkpoint_completes_the_fusion() -> None:
    model = _randomized("facelivtv2_xs")
    official = official_state_dict(_reference_fused(model))
    assert "stages.2.blocks.0.block.1.m.ls" in official  # the reference keeps the layer scale
    loaded = edgerep.create_model("facelivtv2_xs", inference_mode=True).eval()
    result = load_checkpoint(loaded, official)
    assert result.layout == "official" and result.fused_checkpoint and result.notes
    assert not any(isinstance(m, (LayerScale, nn.BatchNorm2d, nn.BatchNorm1d)) for m in loaded.modules())
    x = _randn(2, 3, 112, 112)
    with torch.no_grad():
        assert rel_err(loaded(x), model(x)) <= 1e-5
    with pytest.raises(CheckpointError, match="inference_mode=True"):
        load_checkpoint(edgerep.create_model("facelivtv2_xs"), official)


def test_official_layout_rejects_foreign_keys() -> None:
    with pytest.raises(KeyError):
        from_official({"stem.0.conv.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="heads"):
        from_official({"stages.2.blocks.0.block.0.m.linear1.1.weight": torch.zeros(2, 2)})


def test_repconv_folds_its_small_branch_and_residual() -> None:
    torch.manual_seed(0)
    for kwargs in (dict(in_chs=8, out_chs=16, stride=2), dict(in_chs=8, out_chs=8, groups=8, residual=True)):
        block = randomize(RepConv(kernel_size=3, **kwargs))
        with torch.no_grad():
            block.conv.bias.copy_(_randn(*block.conv.bias.shape))
            block.repconv.bias.copy_(_randn(*block.repconv.bias.shape))
        x = _randn(2, 8, 15, 15)  # odd size: both branches must sample the same pixels
        with torch.no_grad():
            y = block.eval()(x)
            block.reparameterize()
            assert rel_err(block(x), y) <= 1e-6
        assert list(dict(block.named_children())) == ["conv"]
    with pytest.raises(ValueError, match="kernel_size=5"):
        RepConv(4, 4, 5)
