"""Shared fixtures. Also makes the registry's CUDA torchvision wheel importable with CPU torch."""

from __future__ import annotations

import torch

# torchvision 0.28.0 from the registry is a CUDA build: with CPU torch, `import torchvision` (pulled
# in by timm) fails with "operator torchvision::nms does not exist" unless its op schemas exist
# first (DEPENDENCIES.md). Tests only use timm's model code, never these ops.
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
