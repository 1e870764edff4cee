"""create_model and model_info: the registry's models, built, loaded and described."""

from __future__ import annotations

import copy
import functools
from typing import Any

import torch
from torch import nn

from .checkpoints import Source, load_checkpoint
from .counting import count_macs, count_params
from .registry import get_spec


def create_model(
    name: str,
    *,
    inference_mode: bool = False,
    checkpoint: Source | None = None,
    num_classes: int | None = None,
) -> nn.Module:
    """Build a registered model in its training form, or directly fused with ``inference_mode``.

    Args:
        name: a registered name (``edgerep list``); unknown names raise ValueError with suggestions.
        inference_mode: build the single-branch fused layout (for fused checkpoints and export).
        checkpoint: a file (safetensors or torch) or state dict in edgerep's, timm's or the official
            layout; detected automatically and loaded strictly.
        num_classes: classifier classes (classification) or embedding size (face models).
    """
    spec = get_spec(name)
    kwargs: dict[str, Any] = {}
    if num_classes is not None:
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        kwargs["num_classes"] = num_classes
    model = spec.build(inference_mode=inference_mode, **kwargs)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint)
    return model


@functools.lru_cache(maxsize=None)
def fused_counts(name: str) -> tuple[int, int]:
    """(params, MACs at the spec's input size) of the fused model, counted on the meta device."""
    spec = get_spec(name)
    with torch.device("meta"):
        fused = spec.build(inference_mode=True)
    return count_params(fused), count_macs(fused, spec.input_size)


@functools.lru_cache(maxsize=None)
def _info(name: str) -> dict[str, Any]:
    spec = get_spec(name)
    with torch.device("meta"):
        train = spec.build(inference_mode=False)
    params_fused, macs_fused = fused_counts(name)
    pub = spec.published
    return {
        "name": spec.name,
        "family": spec.family,
        "task": spec.task,
        "baseline": spec.baseline,
        "input_size": spec.input_size,
        "fixed_input_size": spec.fixed_input_size,
        "mean": spec.mean,
        "std": spec.std,
        "interpolation": spec.interpolation,
        "crop_pct": spec.crop_pct,
        "num_classes": spec.num_classes,
        "params_train": count_params(train),
        "params_fused": params_fused,
        "macs_fused": macs_fused,
        "published": {
            "source": pub.source,
            "params_train": pub.params_train,
            "params_fused": pub.params_fused,
            "macs_fused": pub.macs_fused,
            "accuracy": dict(pub.accuracy),
            "latency_ms": pub.latency_ms,
            "latency_device": pub.latency_device,
        },
    }


def model_info(name: str) -> dict[str, Any]:
    """What edgerep knows of ``name``: input and preprocessing, counted params/MACs, published figures.

    ``params_*`` and ``macs_fused`` are counted from edgerep's own model (MACs at ``input_size``,
    convolutions and matrix products); ``published`` holds the paper/reference figures and source.
    """
    return copy.deepcopy(_info(name))
