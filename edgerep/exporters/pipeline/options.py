"""Export options: what may be asked of an export, validated in one place before any work.

Light (standard library only): the CLI, the bench and the target registry import it without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .precision import Precision

# Target-specific options (ExportOptions fields) and their command-line spelling, for messages.
TARGET_OPTIONS = {
    "opset": "--opset",
    "deployment_target": "--deployment-target",
    "channels_last": "--nchw/--nhwc",
    "calibration": "--calibration",
}

# Inputs beyond this are refused before any work: verification alone would need tens of GB.
MAX_SIDE = 2048


@dataclass(frozen=True)
class ExportOptions:
    """Target-independent and target-specific export options for one target.

    ``None`` in a target-specific field means "not given": the target's default applies.
    """

    precision: Precision
    batch: int = 1
    image_input: bool = False
    l2_normalize: bool = False
    opset: int | None = None  # onnx
    deployment_target: str | None = None  # coreml
    channels_last: bool | None = None  # tflite
    calibration: Any = None  # int8: a tensor (N, 3, H, W) in the graph's input form
    int8_recipe: str = "conv"  # int8 on onnx / tflite: edgerep.exporters.pipeline.int8_torch.recipe of the model
    mean: tuple[float, ...] | None = None  # per-channel normalization (image_input folding)
    std: tuple[float, ...] | None = None
    input_name: str = "image"
    output_name: str = "output"


@dataclass(frozen=True)
class ModelIdentity:
    """What planning finds out about the model before any torch work: who it is and what it takes."""

    name: str
    spec: Any  # the registry's ModelSpec, None for a module that is not registered
    task: str  # "classification", "face-embedding" or "custom"
    input_size: tuple[int, int]  # (H, W)
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None


def output_name(task: str) -> str:
    """The exported graph's output: ``embedding`` for face models, ``logits`` otherwise."""
    return "embedding" if task == "face-embedding" else "logits"


def check_common(*, precision: Precision | None, batch: Any, calibration: Any, input_size: tuple[int, int]) -> None:
    """The options every target shares: batch, calibration needing int8, input size (``precision``
    already parsed; ``None``: each target's default)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    if calibration is not None and not (precision is not None and precision.is_integer):
        raise ValueError(f"calibration applies only to precision 'int8' (got precision {precision!r}); "
                         "pass --precision int8 or drop --calibration")
    h, w = input_size
    if max(h, w) > MAX_SIDE or batch * h * w > MAX_SIDE * MAX_SIDE:
        raise ValueError(f"input {batch}x3x{h}x{w} is larger than edgerep exports (at most {MAX_SIDE} "
                         f"pixels a side and {MAX_SIDE}x{MAX_SIDE} pixels per batch); pass a smaller "
                         "--input-size or --batch")


def check_target_options(target: Any, given: dict[str, Any], supported_by: dict[str, list[str]]) -> None:
    """ValueError for a target-specific option ``target`` does not support, naming both.

    ``given`` maps option names to the values passed (``None``: not given); ``supported_by`` maps
    each option to the targets that accept it.
    """
    for opt, value in given.items():
        if value is not None and opt not in target.options:
            raise ValueError(
                f"option {TARGET_OPTIONS.get(opt, opt)} ({opt}={value!r}) is not supported for "
                f"target {target.name!r}; it applies to: {', '.join(supported_by.get(opt, [])) or 'none'}"
            )
