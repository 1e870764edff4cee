"""Checkpoint reading and layout errors: one clear line, never a pickle traceback."""

from __future__ import annotations

import pytest
import torch

import edgerep
from edgerep.checkpoints import CheckpointError, read_state_dict

from .helpers import randomize

SMALL = "mobileone_s0"


def test_missing_file(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="nope.pth does not exist"):
        read_state_dict(tmp_path / "nope.pth")


def test_corrupt_torch_file(tmp_path) -> None:
    path = tmp_path / "bad.pth"
    path.write_bytes(b"\x80\x04 this is not a checkpoint" * 10)
    with pytest.raises(CheckpointError, match="cannot read") as exc:
        read_state_dict(path)
    assert "\n" not in str(exc.value)


def test_truncated_torch_file(tmp_path) -> None:
    path = tmp_path / "cut.pth"
    torch.save({"w": torch.randn(100, 100)}, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="corrupt|truncated"):
        read_state_dict(path)


class TrainingConfig:  # an arbitrary Python object, as training scripts pickle into checkpoints
    lr = 0.1


def test_pickled_objects_are_not_unpickled(tmp_path) -> None:
    path = tmp_path / "obj.pth"
    torch.save({"w": torch.zeros(2), "cfg": TrainingConfig()}, path)
    with pytest.raises(CheckpointError, match="weights_only|Python objects"):
        read_state_dict(path)


def test_corrupt_safetensors(tmp_path) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(CheckpointError, match="safetensors"):
        read_state_dict(path)


def test_wrappers_and_prefix_are_unwrapped(tmp_path) -> None:
    path = tmp_path / "wrapped.pth.tar"
    torch.save({"epoch": 3, "state_dict": {"module.a": torch.ones(1), "module.b": torch.zeros(2)}}, path)
    assert sorted(read_state_dict(path)) == ["a", "b"]


def test_not_a_state_dict(tmp_path) -> None:
    path = tmp_path / "list.pt"
    torch.save([torch.ones(1)], path)
    with pytest.raises(CheckpointError, match="no state dict"):
        read_state_dict(path)


def test_round_trip_both_formats(tmp_path) -> None:
    model = randomize(edgerep.create_model(SMALL)).eval()
    x = torch.randn(1, 3, 64, 64)
    for suffix in (".safetensors", ".pt"):
        path = edgerep.save_checkpoint(model, tmp_path / f"m{suffix}")
        other = edgerep.create_model(SMALL, checkpoint=path).eval()
        assert torch.equal(other(x), model(x))


def test_mismatch_names_layout_and_keys() -> None:
    sd = edgerep.create_model(SMALL).state_dict()
    sd.pop(next(iter(sd)))
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError) as exc:
        edgerep.create_model(SMALL, checkpoint=sd)
    msg = str(exc.value)
    assert "layout 'edgerep'" in msg and "first missing" in msg and "extra.weight" in msg


def test_fused_checkpoint_into_training_form_says_how() -> None:
    fused = edgerep.create_model(SMALL, inference_mode=True).state_dict()
    with pytest.raises(CheckpointError, match="inference_mode=True"):
        edgerep.create_model(SMALL, checkpoint=fused)
    unfused = edgerep.create_model(SMALL).state_dict()
    with pytest.raises(CheckpointError, match="inference_mode=False"):
        edgerep.create_model(SMALL, inference_mode=True, checkpoint=unfused)


def test_head_size_mismatch_suggests_num_classes() -> None:
    sd = edgerep.create_model(SMALL, num_classes=10).state_dict()
    with pytest.raises(CheckpointError, match="num_classes"):
        edgerep.create_model(SMALL, checkpoint=sd)
    assert edgerep.create_model(SMALL, num_classes=10, checkpoint=sd) is not None


def test_torchscript_archive_is_read(tmp_path) -> None:
    """Reference repositories ship fused models as TorchScript (RepNeXt's *_fused.pt)."""
    model = edgerep.create_model(SMALL, inference_mode=True).eval()
    path = tmp_path / "fused_scripted.pt"
    torch.jit.save(torch.jit.trace(model, torch.randn(1, 3, 64, 64)), str(path))
    sd = read_state_dict(path)
    assert sd.keys() == model.state_dict().keys()
    loaded = edgerep.create_model(SMALL, inference_mode=True, checkpoint=path).eval()
    x = torch.randn(1, 3, 64, 64)
    assert torch.equal(loaded(x), model(x))


# ---- dynamically quantized checkpoints (the EdgeFace authors' *_q.pt form) ----------------------

def _quantized_state(model: torch.nn.Module) -> dict:
    """What torch.ao.quantization.quantize_dynamic(model, {Linear}, qint8).state_dict() holds."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return quantized.state_dict()


def test_dynamically_quantized_checkpoint_loads_dequantized(tmp_path) -> None:
    model = edgerep.create_model("edgeface_xxs")
    randomize(model)
    state = _quantized_state(model)
    path = tmp_path / "q.pt"
    torch.save(state, path)
    fresh = edgerep.create_model("edgeface_xxs_q")  # the authors' name for it
    loaded = edgerep.checkpoints.load_checkpoint(fresh, path)
    packed = [k for k in state if k.endswith("._packed_params._packed_params")]
    assert loaded.dequantized == len(packed) > 10
    assert "dequantized" in loaded.notes[-1]
    got = fresh.state_dict()
    for key in packed:
        prefix = key[: -len("._packed_params._packed_params")]
        qweight, bias = state[key]
        expected = (qweight.int_repr().double() - qweight.q_zero_point()) * qweight.q_scale()
        assert torch.allclose(got[prefix + ".weight"].double(), expected, rtol=0, atol=1e-7)
        # int8 is a rounding of the float weight: within half a quantization step of it
        step = qweight.q_scale()
        assert (got[prefix + ".weight"] - model.state_dict()[prefix + ".weight"]).abs().max() <= step / 2 + 1e-7
        assert torch.equal(got[prefix + ".bias"], bias.detach())
    untouched = [k for k, v in model.state_dict().items() if k in state and isinstance(state[k], torch.Tensor)]
    assert untouched and all(torch.equal(got[k], model.state_dict()[k]) for k in untouched)


def test_a_broken_packed_entry_is_one_clear_line(tmp_path) -> None:
    state = {"fc._packed_params._packed_params": (torch.zeros(4, 4), None), "fc.scale": torch.tensor(1.0)}
    path = tmp_path / "bad_q.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="not a packed .int8 weight, bias. pair"):
        read_state_dict(path)


def test_author_aliases_resolve_to_the_float_models() -> None:
    from edgerep.registry import aliases_of, get_spec, list_models

    assert get_spec("edgeface_xxs_q").name == "edgeface_xxs"
    assert get_spec("edgeface_xs_q").name == "edgeface_xs"
    assert "edgeface_xs_q" in aliases_of("edgeface_xs")
    assert "edgeface_xs_q" not in list_models()  # a listing shows each model once
    with pytest.raises(ValueError, match="did you mean.*edgeface_xs_q"):
        get_spec("edgeface_xs_qq")
