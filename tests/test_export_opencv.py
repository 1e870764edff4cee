"""ONNX exports load in OpenCV DNN and compute what torch computes: the smallest model of every
registered family, exported at its registered input size (the export users make).

OpenCV DNN (Raspberry Pi and embedded Linux deployments) refuses graphs that onnxruntime takes, e.g.
a Conv whose input is a constant: EdgeFace's positional encoding was one until the exporter folded
constant subgraphs. opencv-python-headless is a test-only dependency (the ``dev`` extra);
benchmarks/client_matrix.py runs every model in OpenCV 4.x and 5.x.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import edgerep
from edgerep.counting import count_params
from edgerep.registry import get_spec

from .helpers import randomize

cv2 = pytest.importorskip("cv2")
pytest.importorskip("onnxruntime")

FAMILIES = sorted({get_spec(name).family for name in edgerep.list_models()})


def smallest(family: str) -> str:
    """The family's model with the fewest parameters in fused form (built fused, on the meta
    device: no memory)."""

    def params(name: str) -> int:
        with torch.device("meta"):
            return count_params(get_spec(name).build(inference_mode=True))

    return min((n for n in edgerep.list_models() if get_spec(n).family == family), key=params)


def test_every_family_is_covered():
    assert {"edgeface", "facelivt", "fastvit", "mobileone", "repnext"} <= set(FAMILIES)
    assert smallest("edgeface") == "edgeface_xxs" and smallest("mobileone") == "mobileone_s0"


@pytest.mark.parametrize("family", FAMILIES)
def test_smallest_of_family_loads_in_opencv_and_matches_torch(family, tmp_path):
    name = smallest(family)
    spec = get_spec(name)
    torch.manual_seed(0)
    fused = edgerep.reparameterize(randomize(edgerep.create_model(name)))
    size = spec.input_size[1:]
    result = edgerep.export(fused, "onnx", input_size=size, output=tmp_path / f"{name}.onnx")
    assert result.passed

    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromONNX(str(result.path))  # raises cv2.error when OpenCV refuses the graph
    for seed in range(2):
        x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(seed))
        net.setInput(x.numpy())
        out = np.asarray(net.forward(), dtype=np.float64)
        with torch.no_grad():
            ref = fused(x).double().numpy()
        assert out.shape == ref.shape
        assert np.linalg.norm(out - ref) / np.linalg.norm(ref) <= 1e-4, (name, cv2.__version__)
    assert result.audit.constant_ops == 0
