"""ONNX target: parity with torch checked here with onnxruntime directly, metadata, audit, precisions."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edgerep import create_model, reparameterize, save_checkpoint  # noqa: E402
from edgerep.exporters import export  # noqa: E402
from edgerep.exporters.metadata import unflatten  # noqa: E402
from edgerep.exporters.onnx import read_metadata  # noqa: E402

from .export_helpers import TINY, TINY_FACE  # noqa: E402
from .helpers import randomize, rel_err  # noqa: E402


pytestmark = pytest.mark.usefixtures("tiny_models")


def _run(path, x: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})[0]


@pytest.fixture(scope="module")
def mobileone(tmp_path_factory):
    """mobileone_s0 (randomized BN statistics) exported at its test size, and its torch model."""
    name = "mobileone_s0"
    from edgerep.registry import get_spec

    model = randomize(create_model(name)).eval()
    size = get_spec(name).test_input_size[1:]
    result = export(model, "onnx", output=tmp_path_factory.mktemp("onnx"), input_size=size)
    return model, result


def test_registered_model_matches_torch(mobileone):
    model, result = mobileone
    assert result.verification["passed"] and result.verification["rel_error"] <= 1e-4
    x = torch.randn(2, 3, *result.input_shape[-2:])
    with torch.no_grad():
        unfused = model(x).numpy()
    out = np.concatenate([_run(result.path, x[i:i + 1].numpy()) for i in range(2)])
    assert rel_err(out, unfused) <= 1e-4  # against the *unfused* model: fusion and export together


def test_graph_audit(mobileone):
    _, result = mobileone
    graph = onnx.load(str(result.path)).graph
    ops = [n.op_type for n in graph.node]
    assert "BatchNormalization" not in ops and "Dropout" not in ops
    assert result.nodes == len(ops) and result.op_histogram["Conv"] == ops.count("Conv")
    assert result.audit["passed"] and result.audit["batchnorm"] == 0
    assert result.nodes_unfused > result.audit["torch_ops_fused"]
    assert result.audit["torch_batchnorm_unfused"] > 0
    assert not graph.initializer[0].data_location  # weights inside the file, no .onnx.data
    assert not list(result.path.parent.glob("*.data"))


def test_metadata_round_trip(mobileone):
    _, result = mobileone
    in_file = unflatten(read_metadata(result.path))
    sidecar = json.loads(result.sidecar.read_text())
    for key in ("file", "size_mb", "seconds"):
        sidecar.pop(key)
    assert in_file == json.loads(json.dumps(sidecar))
    assert in_file["model"] == "mobileone_s0" and in_file["fused"] is True
    assert in_file["input"] == {"name": "image", "shape": [1, 3, *result.input_shape[-2:]],
                                "layout": "NCHW", "dtype": "float32", "kind": "tensor"}
    assert in_file["preprocessing"]["mean"] == [0.485, 0.456, 0.406]
    assert in_file["verification"]["passed"] is True
    assert {"torch", "onnx", "onnxruntime", "edgerep"} <= set(in_file["tools"])
    assert in_file["op_histogram"] == result.op_histogram


def test_image_input_takes_raw_pixels(tmp_path):
    model = randomize(create_model(TINY)).eval()
    result = export(model, "onnx", output=tmp_path, image_input=True)
    assert result.verification["passed"]
    raw = torch.randint(0, 256, (1, 3, 32, 32)).float()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = model((raw / 255 - mean) / std).numpy()
    assert rel_err(_run(result.path, raw.numpy()), expected) <= 1e-4
    assert result.metadata["input"]["kind"] == "raw"


def test_fp16_reports_its_error(tmp_path):
    result = export(TINY, "onnx", precision="fp16", output=tmp_path)
    v = result.verification
    assert result.path.name == f"{TINY}_fp16.onnx" and v["runtime"] == "onnxruntime"
    assert 0 < v["rel_error"] <= 1e-2 and v["passed"]
    assert "Cast" in result.op_histogram
    init_types = {i.data_type for i in onnx.load(str(result.path)).graph.initializer}
    assert onnx.TensorProto.FLOAT16 in init_types


def test_int8_default_calibration(tmp_path):
    from edgerep.exporters import samples

    result = export(TINY, "onnx", precision="int8", output=tmp_path)
    assert {"QuantizeLinear", "DequantizeLinear"} <= set(result.op_histogram)
    v = result.verification
    assert np.isfinite(v["rel_error"]) and -1 <= v["cosine"] <= 1
    # a classifier's int8 is judged as issue 21 set it, on images the calibration did not see
    assert v["criterion"].startswith("top1 agreement >= 0.95, cosine median >= 0.99 on ")
    assert set(v["int8"]) >= {"top1_agreement", "cosine_median"}
    expected = "32 photos shipped with scikit-image" if samples.data_dir() else "random images"
    assert any(expected in n for n in result.metadata["notes"])


def test_int8_calibration_from_image_directory(tmp_path):
    image = pytest.importorskip("PIL.Image")
    images = tmp_path / "imgs"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(images / f"{i}.png")
    result = export(TINY, "onnx", precision="int8", calibration=images, output=tmp_path / "out")
    # every fifth image (the 5th and the 10th) is held out for the int8 check: 10 calibrate
    assert "calibrated on 10 images" in result.metadata["conversion"]["int8"]


def test_opset_option(tmp_path):
    result = export(TINY, "onnx", opset=18, output=tmp_path / "m18.onnx", verify=False)
    assert result.path.name == "m18.onnx"
    assert [o.version for o in onnx.load(str(result.path)).opset_import if o.domain == ""] == [18]


def test_face_embedding_l2_normalize(tmp_path):
    result = export(TINY_FACE, "onnx", l2_normalize=True, batch=2, output=tmp_path)
    assert result.input_shape == (2, 3, 32, 32) and result.output_name == "embedding"
    out = _run(result.path, np.random.default_rng(0).standard_normal((2, 3, 32, 32)))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert "L2-normalized" in result.metadata["output_meaning"]


@pytest.mark.parametrize("fused", [False, True])
def test_checkpoint_hash_recorded(tmp_path, fused):
    model = randomize(create_model(TINY)).eval()
    ckpt = save_checkpoint(reparameterize(model) if fused else model, tmp_path / "w.safetensors")
    result = export(TINY, "onnx", checkpoint=ckpt, output=tmp_path)
    assert result.metadata["checkpoint_sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        expected = model(x).numpy()
    assert rel_err(_run(result.path, x.numpy()), expected) <= 1e-4  # the checkpoint's weights were used
