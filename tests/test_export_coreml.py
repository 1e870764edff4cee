"""Core ML target: structure verification on Linux, ImageType input, metadata, int8 weights."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("coremltools")

from edgerep import create_model  # noqa: E402
from edgerep.cli import main  # noqa: E402
from edgerep.exporters import export  # noqa: E402
from edgerep.exporters.coreml.target import load_spec  # noqa: E402
from edgerep.exporters.pipeline.targets import get_target  # noqa: E402
from edgerep.exporters.pipeline.metadata import unflatten  # noqa: E402
from edgerep.registry import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402

from .export_helpers import TINY, TINY_FACE  # noqa: E402
from .helpers import randomize  # noqa: E402

LINUX = sys.platform != "darwin"


pytestmark = pytest.mark.usefixtures("tiny_models")


def _ops(spec) -> list[str]:
    ops = []
    for fn in spec.mlProgram.functions.values():
        for block in fn.block_specializations.values():
            ops.extend(op.type for op in block.operations)
    return ops


@pytest.fixture(scope="module")
def tiny_mlpackage(tmp_path_factory):
    return export(TINY, "coreml", output=tmp_path_factory.mktemp("coreml"))


def test_structure_verified(tiny_mlpackage):
    import coremltools as ct

    r = tiny_mlpackage
    assert r.path.suffix == ".mlpackage" and r.path.is_dir() and r.precision == "fp16"
    model = ct.models.MLModel(str(r.path), skip_model_load=True)  # loads without compiling
    spec = model.get_spec()
    assert spec.WhichOneof("Type") == "mlProgram"
    (inp,), (out,) = spec.description.input, spec.description.output
    assert (inp.name, list(inp.type.multiArrayType.shape)) == ("image", [1, 3, 32, 32])
    assert inp.type.multiArrayType.dataType == inp.type.multiArrayType.FLOAT32
    assert out.name == "logits" and out.type.multiArrayType.dataType == out.type.multiArrayType.FLOAT32
    ops = _ops(spec)
    assert "conv" in ops and not [o for o in ops if "batch_norm" in o or "dropout" in o]
    if LINUX:
        assert r.verification.runtime == "structure-only" and r.verification.passed
        assert "macOS" in r.verification.reason
    else:
        assert r.verification.rel_error <= 1e-2


def test_metadata_and_descriptions(tiny_mlpackage):
    r = tiny_mlpackage
    meta = unflatten(get_target("coreml").read_metadata(r.path))
    sidecar = json.loads(r.sidecar.read_text())
    assert meta["model"] == TINY and meta["precision"] == "fp16" and meta["fused"] is True
    assert meta["verification"] == sidecar["verification"]
    assert meta["conversion"]["deployment_target"] == "iOS16"
    assert meta["tools"]["coremltools"]
    spec = load_spec(r.path)
    assert spec.description.metadata.author == "edgerep"
    assert "logits" in spec.description.output[0].shortDescription
    assert "mean" in spec.description.input[0].shortDescription


def test_image_input_is_an_imagetype_with_mean_bias_and_std_folded(tmp_path):
    torch.manual_seed(0)
    model = randomize(create_model(TINY)).eval()
    r = export(model, "coreml", image_input=True, precision="fp32", output=tmp_path)
    spec = load_spec(r.path)
    inp = spec.description.input[0]
    assert inp.type.WhichOneof("Type") == "imageType"
    assert (inp.type.imageType.width, inp.type.imageType.height) == (32, 32)
    assert inp.type.imageType.colorSpace == inp.type.imageType.RGB
    ops = _ops(spec)
    # The ImageType's preprocessing: x * (1/255) + (-mean) per channel; nothing divides by std.
    scale_consts = _const_values(spec)
    assert any(np.allclose(v, 1 / 255) for v in scale_consts)
    assert any(v.size == 3 and np.allclose(v.ravel(), [-m for m in IMAGENET_MEAN], atol=1e-6)
               for v in scale_consts)
    assert not any(v.size == 3 and np.allclose(v.ravel(), IMAGENET_STD) for v in scale_consts)
    assert "conv" in ops
    assert r.input_layout == "image" and r.verification.passed
    assert "1/std folded into stem.reparam_conv" in " ".join(r.metadata["notes"])


def _const_values(spec) -> list[np.ndarray]:
    """Small immediate float constants of the program (the ImageType's scale and bias)."""
    values = []
    for fn in spec.mlProgram.functions.values():
        for block in fn.block_specializations.values():
            for op in block.operations:
                for attr in op.attributes.values():
                    imm = attr.immediateValue
                    if imm.HasField("tensor"):
                        t = imm.tensor
                        for field in ("floats", "doubles"):
                            if t.HasField(field):
                                values.append(np.array(getattr(t, field).values))
                        if t.HasField("bytes") and attr.type.tensorType.dataType == 10:  # FLOAT16
                            values.append(np.frombuffer(t.bytes.values, dtype=np.float16).astype(np.float64))
    return values


def test_int8_weights(tmp_path):
    # A head large enough (>= 2048 weights) for coremltools to quantize it.
    model = create_model(TINY_FACE, num_classes=128)
    r = export(model, "coreml", precision="int8", output=tmp_path)
    ops = set(r.op_histogram)
    assert any(o.startswith("constexpr") for o in ops), ops
    assert r.path.name == f"{TINY_FACE}_int8.mlpackage"
    assert "8-bit" in r.metadata["conversion"]["int8"]
    # The closing table's facts: the head (4096 weights) in 8 bits, the small convs left fp16.
    facts = get_target("coreml").int8_facts(r.path)
    assert facts["int8_weights"] == sum(n for o, n in r.op_histogram.items() if o.startswith("constexpr"))
    assert facts["int8_weights"] >= 1 and facts["float_weights"] >= 1 and 0 < facts["int8_share"] < 1


def test_deployment_target_and_face_l2(tmp_path):
    r = export(TINY_FACE, "coreml", deployment_target="ios17", l2_normalize=True, output=tmp_path)
    assert r.metadata["conversion"]["deployment_target"] == "iOS17"
    # x / max(||x||, eps): the norm, its floor and the division
    assert {"reduce_l2_norm", "maximum", "real_div"} <= set(r.op_histogram)
    assert load_spec(r.path).description.output[0].name == "embedding"


@pytest.mark.slow
def test_readme_main_job_fastvit_t8(capsys, tmp_path):
    code = main(["export", "fastvit_t8", "--target", "coreml", "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    if LINUX:  # prediction needs macOS: the structure is verified instead
        assert "structure ok" in out
    else:
        assert "passed" in out
    side = json.loads((tmp_path / "fastvit_t8.mlpackage.json").read_text())
    assert side["audit"]["batchnorm"] == 0 and side["input"]["shape"] == [1, 3, 256, 256]
    assert side["op_histogram"]["conv"] > 0 and "batch_norm" not in side["op_histogram"]


def test_int8_weights_are_rounded_with_gptq_on_the_calibration_images(tmp_path, monkeypatch):
    """Core ML's 8-bit weights come from GPTQ in torch: the model coremltools receives holds every
    weight it will quantize (>= 2048 elements) on coremltools' per-channel grid (max|w| / 127), so
    its own rounding keeps them; smaller weights, which it leaves fp16, are not moved."""
    import edgerep.exporters.coreml.target as coreml_target

    model = create_model(TINY_FACE, num_classes=128)
    randomize(model)
    seen = {}
    real = coreml_target.convert

    def spy(graph, example, path, options):
        seen["weights"] = {n: m.weight.detach().clone() for n, m in graph.named_modules()
                           if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))}
        return real(graph, example, path, options)

    monkeypatch.setattr(coreml_target, "convert", spy)
    calibration = torch.rand(12, 3, 32, 32) * 2 - 1
    r = export(model, "coreml", precision="int8", calibration=calibration, output=tmp_path)
    assert any("rounded onto the int8 grid by GPTQ" in n for n in r.metadata["notes"]), r.metadata["notes"]
    big = {n: w for n, w in seen["weights"].items() if w.numel() >= coreml_target.INT8_MIN_ELEMENTS}
    small = {n: w for n, w in seen["weights"].items() if w.numel() < coreml_target.INT8_MIN_ELEMENTS}
    assert big and small
    for name, w in big.items():
        rows = w.reshape(w.shape[0], -1).double()
        steps = rows / (rows.abs().amax(1, keepdim=True) / 127)
        assert torch.allclose(steps, steps.round(), atol=1e-3), name
    off_grid = 0
    for w in small.values():
        rows = w.reshape(w.shape[0], -1).double()
        steps = rows / (rows.abs().amax(1, keepdim=True).clamp(min=1e-12) / 127)
        off_grid += int((steps - steps.round()).abs().gt(1e-2).sum())
    assert off_grid > 0  # left as they were
