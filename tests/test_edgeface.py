"""EdgeFace conformance: edgerep's own EdgeNeXt against the official structure built from timm.

The reference is built here, in test code, the way otroshi/edgeface builds it: timm's ``edgenext_*``
with the classifier reset to 512, wrapped as ``.model``, and for the gamma variants every Linear whose
attribute name lacks "head" replaced by a low-rank pair (LoRaLin). Random weights, no downloads.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import CheckpointError, load_checkpoint
from edgerep.layers.low_rank import LowRankLinear, low_rank
from edgerep.models.edgeface import CONFIGS

from .helpers import randomize, rel_err
from .reference import PARITY_TOLERANCE

timm = pytest.importorskip("timm")

BACKBONES = {
    "edgeface_xxs": ("edgenext_xx_small", None),
    "edgeface_xs": ("edgenext_x_small", None),
    "edgeface_xs_gamma_06": ("edgenext_x_small", 0.6),
    "edgeface_s_gamma_05": ("edgenext_small", 0.5),
    "edgeface_base": ("edgenext_base", None),
}


class LoRaLin(nn.Module):
    """The official low-rank Linear, as the reference structure needs it."""

    def __init__(self, in_features: int, out_features: int, rank: int, bias: bool) -> None:
        super().__init__()
        self.linear1 = nn.Linear(in_features, rank, bias=False)
        self.linear2 = nn.Linear(rank, out_features, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.linear1(x))


def _replace_linears(module: nn.Module, ratio: float) -> None:
    # the official rule tests the child's own attribute name, so head.fc ("fc") is replaced too
    for name, child in module.named_children():
        if isinstance(child, nn.Linear) and "head" not in name:
            rank = max(2, int(min(child.in_features, child.out_features) * ratio))
            bias = child.bias is not None
            setattr(module, name, LoRaLin(child.in_features, child.out_features, rank, bias))
        else:
            _replace_linears(child, ratio)


class Wrapper(nn.Module):
    """Stands for the official TimmFRWrapperV2 (its state-dict keys start with ``model.``)."""

    def __init__(self, backbone: str, ratio: float | None) -> None:
        super().__init__()
        self.model = timm.create_model(backbone, pretrained=False)
        self.model.reset_classifier(512)
        if ratio is not None:
            _replace_linears(self.model, ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


@pytest.fixture(scope="module", params=["edgeface_xxs", "edgeface_xs_gamma_06"])
def reference(request) -> tuple[str, Wrapper]:
    torch.manual_seed(0)
    name = request.param
    return name, randomize(Wrapper(*BACKBONES[name]), weights=True).eval()


@pytest.mark.parametrize("size", [(112, 112), (96, 128)])
def test_official_checkpoint_matches_reference(reference, size, tmp_path) -> None:
    name, ref = reference
    path = tmp_path / "official.pt"
    torch.save(ref.state_dict(), path)
    model = edgerep.create_model(name)
    result = load_checkpoint(model, path)
    assert result.layout == "official" and not result.fused_checkpoint
    model.eval()
    fused = edgerep.reparameterize(model)
    # the positional encoding depends on (H, W): a non-square input checks its y/x order
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y_ref, y, y_fused = ref(x), model(x), fused(x)
    assert y.shape == (2, 512)
    assert rel_err(y, y_ref) <= PARITY_TOLERANCE
    assert rel_err(y_fused, y_ref) <= PARITY_TOLERANCE


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_state_dict_layout_equals_official(name: str) -> None:
    with torch.device("meta"):
        ref = Wrapper(*BACKBONES[name])
        ours = edgerep.create_model(name)
    want = {k[len("model."):]: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == want


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_low_rank_rule(name: str) -> None:
    ratio = BACKBONES[name][1]
    assert CONFIGS[name].rank_ratio == ratio
    with torch.device("meta"):
        model = edgerep.create_model(name)
    pairs = [m for m in model.modules() if isinstance(m, LowRankLinear)]
    inside = {id(lin) for p in pairs for lin in p.modules()}
    plain = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and id(m) not in inside]
    if ratio is None:
        assert pairs == [] and "head.fc" in plain
    else:
        # every Linear factorised, the 512-d embedding fc included
        assert plain == [] and isinstance(model.head.fc, LowRankLinear)
        for p in pairs:
            assert p.rank == max(2, int(min(p.in_features, p.out_features) * ratio))
    assert low_rank(100, 300, 0.6) == 60 and low_rank(3, 8, 0.5) == 2


def test_timm_backbone_state_dict_loads_as_edgerep_layout() -> None:
    # edgeface_xxs is edgenext_xx_small with a 512 head: a timm state dict has edgerep's keys
    torch.manual_seed(0)
    backbone = randomize(Wrapper("edgenext_xx_small", None).model, weights=True).eval()
    model = edgerep.create_model("edgeface_xxs", checkpoint=backbone.state_dict()).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert rel_err(model(x), backbone(x)) <= PARITY_TOLERANCE


def test_fusion_folds_layer_scales_and_keeps_layer_norms() -> None:
    model = edgerep.create_model("edgeface_xs_gamma_06")
    fused = edgerep.reparameterize(model)
    assert any(k.endswith("gamma") for k in model.state_dict())
    assert not any("gamma" in k for k in fused.state_dict())
    assert count_layer_norms(fused) == count_layer_norms(model)
    notes = {e.reason for e in edgerep.fusion_report(fused).entries if e.status == "kept"}
    assert any("LayerNorm" in n for n in notes) and any("low-rank" in n for n in notes)


def count_layer_norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.LayerNorm) for m in model.modules())


def test_official_checkpoint_into_fused_model_names_the_fix(reference) -> None:
    name, ref = reference
    model = edgerep.create_model(name, inference_mode=True)
    with pytest.raises(CheckpointError, match="inference_mode=False"):
        load_checkpoint(model, ref.state_dict())


def test_rank_ratio_validation() -> None:
    with pytest.raises(ValueError, match="rank_ratio"):
        LowRankLinear(8, 8, rank_ratio=0)
    with pytest.raises(ValueError, match="rank_ratio"):
        LowRankLinear(8, 8, rank_ratio=1.5)


def test_xca_stays_finite_in_float16_with_a_zero_channel() -> None:
    """A channel that is zero over every token (trained EdgeFace-XS has them: its ONNX fp16 export
    gave NaN embeddings) must not divide 0 by a float16 eps of 0; float32 results are unchanged."""
    import torch.nn.functional as F

    from edgerep.layers.xca import CrossCovarianceAttention

    torch.manual_seed(0)
    xca = CrossCovarianceAttention(16, num_heads=2).eval()
    with torch.no_grad():
        xca.qkv.weight[:8].zero_()  # the first head's queries: zero for every input
        xca.qkv.bias[:8].zero_()
    x = torch.randn(2, 9, 16)
    with torch.no_grad():
        assert torch.isfinite(xca.half()(x.half())).all()
        xca.float()
        b, n, c = x.shape
        q, k, v = xca.qkv(x).reshape(b, n, 3, 2, 8).permute(2, 0, 3, 4, 1)
        attn = (F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)) * xca.temperature
        reference = xca.proj((attn.softmax(-1) @ v).permute(0, 3, 1, 2).reshape(b, n, c))
        assert torch.equal(xca(x), reference)
