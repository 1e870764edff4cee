"""Properties every registered model must have, parametrized over the registry.

A new variant is tested by being registered: exact fusion on randomized statistics, complete fusion,
idempotence, fused checkpoints loading strictly, and counts equal to the published tables (tests/reference.py).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import edgerep
from edgerep.checkpoints import _FAMILIES
from edgerep.counting import count_params
from edgerep.layers.base import LayerScale, Reparameterizable
from edgerep.registry import get_spec

from .helpers import randomize, rel_err
from .reference import MACS_TOLERANCE, PARAMS_TOLERANCE, PARITY_TOLERANCE, REFERENCE

FACE_FAMILIES = {"facelivt", "edgeface"}  # the face-embedding networks

MODELS = edgerep.list_models()
_BatchNorm = nn.modules.batchnorm._BatchNorm


def input_for(name: str, batch: int = 2, seed: int = 1) -> torch.Tensor:
    spec = get_spec(name)
    size = spec.test_input_size or spec.input_size
    return torch.randn(batch, *size, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module", params=MODELS)
def pair(request) -> tuple[str, nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    """(name, unfused eval model, fused model, input, unfused output), built once per model.

    Module scope makes pytest group the tests of one model together, so each is built once.
    """
    name = request.param
    torch.manual_seed(0)
    model = randomize(edgerep.create_model(name)).eval()
    x = input_for(name)
    with torch.no_grad():
        y = model(x)
    model.train()  # fusion must use running statistics whatever the mode
    fused = edgerep.reparameterize(model)
    model.eval()
    return name, model, fused, x, y


def test_fused_equals_unfused(pair) -> None:
    name, model, fused, x, y = pair
    assert not fused.training, "reparameterize must return an eval-mode model"
    with torch.no_grad():
        y_fused = fused(x)
    assert y_fused.shape == y.shape
    assert rel_err(y_fused, y) <= PARITY_TOLERANCE
    # inplace=False left the caller's model untouched
    assert any(isinstance(m, Reparameterizable) and not m.fused for m in model.modules())


def test_fusion_is_complete(pair) -> None:
    _, _, fused, _, _ = pair
    left = [n for n, m in fused.named_modules() if isinstance(m, (_BatchNorm, LayerScale))]
    assert left == [], f"left unfused: {left[:5]}"
    report = edgerep.fusion_report(fused)
    assert report.complete, str(report)
    assert not any(e.status == "unfused" for e in report.entries)


def test_reparameterize_twice_is_a_no_op(pair) -> None:
    _, _, fused, _, _ = pair
    again = edgerep.reparameterize(fused)
    assert repr(again) == repr(fused)
    a, b = fused.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # in place as well: every block's own reparameterize() is idempotent
    for m in again.modules():
        if isinstance(m, Reparameterizable):
            m.reparameterize()
    assert repr(again) == repr(fused)


def test_fused_checkpoint_loads_into_inference_mode(pair, tmp_path) -> None:
    name, _, fused, x, _ = pair
    direct = edgerep.create_model(name, inference_mode=True)
    assert repr(direct) == repr(fused), "inference_mode=True must build the fused layout"
    path = tmp_path / f"{name}.safetensors"
    edgerep.save_checkpoint(fused, path)
    loaded = edgerep.create_model(name, inference_mode=True, checkpoint=path).eval()
    with torch.no_grad():
        assert torch.equal(loaded(x), fused(x))


def _reference_fused_params(name: str) -> int:
    """Params of the reference implementation's fused form: only its block types fused."""
    spec = get_spec(name)
    with torch.device("meta"):
        model = spec.build(inference_mode=False)
    types = _FAMILIES[spec.family].reference_fused_types if spec.family in _FAMILIES else ()
    if not types:
        return count_params(edgerep.reparameterize(model, inplace=True))
    for m in [m for m in model.modules() if isinstance(m, types)]:
        m.reparameterize()
    return count_params(model)


def _close(value: float, reference: float, tolerance: float) -> bool:
    return abs(value - reference) <= tolerance * reference


def test_every_model_has_a_reference_row() -> None:
    """A registered model needs its tests/reference.py row (all None where nothing is published)."""
    assert [n for n in MODELS if n not in REFERENCE] == []


@pytest.mark.parametrize("name", [n for n in MODELS if any(v is not None for v in REFERENCE.get(n, ()))])
def test_counts_match_architectures_table(name: str) -> None:
    ref_train, ref_fused, ref_macs = REFERENCE[name]
    info = edgerep.model_info(name)
    if ref_train is not None:
        assert _close(info["params_train"], ref_train, PARAMS_TOLERANCE), info["params_train"]
    if ref_fused is not None:
        ref_form = _reference_fused_params(name)
        assert _close(ref_form, ref_fused, PARAMS_TOLERANCE), ref_form
        # edgerep's complete fusion folds what the reference leaves, never adds parameters
        assert info["params_fused"] <= ref_form
    if ref_macs is not None:
        assert _close(info["macs_fused"], ref_macs, MACS_TOLERANCE), info["macs_fused"]


def test_registry_metadata(pair) -> None:
    name, _, _, _, y = pair
    info = edgerep.model_info(name)
    spec = get_spec(name)
    assert info["task"] == ("face-embedding" if spec.family in FACE_FAMILIES else "classification")
    assert len(info["input_size"]) == 3 and info["input_size"][0] == 3
    assert len(info["mean"]) == len(info["std"]) == 3
    assert info["published"]["source"]
    # the published figures shipped in the package agree with the hand-transcribed table
    ref_train, ref_fused, ref_macs = REFERENCE.get(name, (None, None, None))
    pub = spec.published
    for ours, ref in ((pub.params_train, ref_train), (pub.params_fused, ref_fused), (pub.macs_fused, ref_macs)):
        if ref is not None:
            assert ours is not None and _close(ours, ref, 1e-6), (ours, ref)
    expected = 512 if spec.task == "face-embedding" else spec.num_classes
    assert tuple(y.shape) == (2, expected)
