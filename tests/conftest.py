"""Shared fixtures. Also makes the registry's CUDA torchvision wheel importable with CPU torch."""

from __future__ import annotations

import pytest
import torch

# torchvision 0.28.0 from the registry is a CUDA build: with CPU torch, `import torchvision` (pulled
# in by timm) fails with "operator torchvision::nms does not exist" unless its op schemas exist
# first. Tests only use timm's model code, never these ops.
_tv = torch.library.Library("torchvision", "FRAGMENT")
for _schema in (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
):
    try:
        _tv.define(_schema)
    except RuntimeError:  # already defined (a CPU torchvision build)
        pass

# One intra-op thread per test process: the suite runs on 2 shared cores (pytest-xdist gives one
# process per core), where torch's default thread pool makes small forwards 50x slower under load.
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_models():
    """The export tests' tiny models (tests/export_helpers.py), registered for one module
    (``pytestmark = pytest.mark.usefixtures("tiny_models")``) and never left registered."""
    from .export_helpers import registered

    with registered():
        yield


@pytest.fixture
def shared_export_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """An export cache ($EDGEREP_CACHE) shared by the tests of one run, xdist workers included, so an
    artifact several tests need (e.g. a face model's fp32 ONNX export) is exported once."""
    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):  # xdist: one base directory per worker, under a shared one
        root = root.parent
    cache = root / "shared-export-cache"
    monkeypatch.setenv("EDGEREP_CACHE", str(cache))
    return cache



# ---- xdist: modules whose tests share costly module fixtures run in one worker --------------------
# ./dev test runs `-n 2 --dist loadgroup`. Spread over both workers, a module fixture is built once
# per worker: the real-data tier evaluated 1,000 photos on five runtimes and exported EdgeFace to
# int8 twice. pytest-xdist 3.8 groups by an "@name" suffix its xdist_group mark adds to node ids,
# which pytest 9.2's structured node ids no longer carry (the mark has no effect), so the groups are
# named here, by module, for xdist's own loadgroup scheduler. Groups start first (xdist orders work
# by size); every other test is scheduled one by one.
SAME_WORKER = {
    "tests/test_real_data.py": "realdata",  # with test_int8_trained.py: the portraits (below)
    "tests/test_int8_trained.py": "realdata",
    "tests/test_export_onnx.py": "export_onnx",  # mobileone_s0 exported once for 11 tests
    "tests/test_export_tflite.py": "export_tflite",  # the tiny model converted once per layout
    "tests/test_export_coreml.py": "export_coreml",  # the tiny .mlpackage converted once
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SAME_WORKER.get(nodeid.split("::", 1)[0]) or super()._split_scope(nodeid)

    return ModuleGroups(config, log)

# ---- the real-data tier: trained weights and real photos ----------------------------------------
# ../shared/testdata beside the checkout (CI has it), or the folder $EDGEREP_TESTDATA names. Without
# it the tier skips with one line naming the variable; nothing is downloaded.
TESTDATA_VARIABLE = "EDGEREP_TESTDATA"


def _testdata_dir():
    import os
    from pathlib import Path

    given = os.environ.get(TESTDATA_VARIABLE)
    return Path(given) if given else Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata():
    """The trained weights and real photos (the real-data tier, docs/testing.md), or a skip."""
    root = _testdata_dir()
    if not (root / "weights").is_dir():
        pytest.skip(f"real-data tier: no test data at {root}; set {TESTDATA_VARIABLE}=DIR "
                    "(trained weights and photos, see docs/testing.md)")
    return root


@pytest.fixture(scope="session")
def portrait_crops(testdata):
    """The 32 portraits of the test data, each one's largest face detected and aligned by edgerep
    (uint8, N x 112 x 112 x 3, sorted by file name), and their file stems. Detected once per test
    process for every real-data module that needs them."""
    import numpy as np

    from edgerep.facecore.alignment import align
    from edgerep.facecore.detect import MTCNN, largest
    from edgerep.facecore.images import list_images, load_image

    detector, crops, stems = MTCNN(), [], []
    for photo in list_images(testdata / "faces" / "portraits"):
        image = load_image(photo)
        face = largest(detector.detect(image))
        assert face is not None, f"no face found in {photo.name}"
        crops.append(align(image, face.landmarks, 112))
        stems.append(photo.stem)
    assert len(crops) == 32
    return np.stack(crops), stems
