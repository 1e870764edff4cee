"""A tiny re-parameterizable network registered for the export tests only (never left registered)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn

from edgerep import registry
from edgerep.layers.mobileone import MobileOneBlock
from edgerep.registry import IMAGENET_MEAN, IMAGENET_STD, FACE_MEAN, FACE_STD, ModelSpec, Published

from .helpers import randomize

TINY = "_export_tiny"
TINY_FACE = "_export_tiny_face"


class TinyNet(nn.Module):
    """Stem conv (padding 1, the input's only consumer), MobileOne blocks, pool, linear head."""

    def __init__(self, *, inference_mode: bool = False, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = MobileOneBlock(3, 16, 3, 2, inference_mode=inference_mode)
        self.blocks = nn.Sequential(
            MobileOneBlock(16, 16, 3, 1, groups=16, num_conv_branches=2, inference_mode=inference_mode),
            MobileOneBlock(16, 32, 1, 1, inference_mode=inference_mode),
        )
        self.head = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        return self.head(x.mean((2, 3)))


def _tiny(*, inference_mode: bool = False, num_classes: int = 10) -> nn.Module:
    torch.manual_seed(0)
    model = TinyNet(inference_mode=inference_mode, num_classes=num_classes)
    if any(p.is_meta for p in model.parameters()):  # built on the meta device for op counting
        return model.eval()
    return randomize(model).eval()


def _tiny_face(*, inference_mode: bool = False, num_classes: int = 8) -> nn.Module:
    return _tiny(inference_mode=inference_mode, num_classes=num_classes)


SPECS = (
    ModelSpec(
        name=TINY, family="_export_test", task="classification", builder=_tiny,
        input_size=(3, 32, 32), mean=IMAGENET_MEAN, std=IMAGENET_STD, num_classes=10,
        published=Published(source="tests"), test_input_size=(3, 32, 32),
    ),
    ModelSpec(
        name=TINY_FACE, family="_export_test", task="face-embedding", builder=_tiny_face,
        input_size=(3, 32, 32), mean=FACE_MEAN, std=FACE_STD, num_classes=8,
        published=Published(source="tests"), fixed_input_size=True,
    ),
)


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """Register the tiny specs for the duration of a test (module) and remove them afterwards."""
    registry._load_families()
    for spec in SPECS:
        registry._REGISTRY.pop(spec.name, None)
        registry.register_model(spec)
    try:
        yield
    finally:
        for spec in SPECS:
            registry._REGISTRY.pop(spec.name, None)
        from edgerep import factory

        factory._info.cache_clear()
