"""The export targets: one row per format, dispatched by name.

A row says what a target writes (suffix, file or directory), which extra installs it, which
precisions and target-specific options it supports, and where its functions live. The functions are
looked up in the target's module only when used, so listing targets imports nothing heavy. Every
target module provides::

    convert(model, example, path, options: ExportOptions) -> dict   # writes the artifact at path
    run(path, inputs: np.ndarray) -> np.ndarray | None              # None: no runtime on this OS
    embed_metadata(path, metadata: dict[str, str]) -> None
    op_histogram(path) -> dict[str, int]

TFLite's module (edgerep/exporters/tflite.py) has its own keyword signature for ``convert`` and
``run``; the adapters below translate.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .._text import closest

PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class ExportOptions:
    """Target-independent and target-specific export options, validated by :func:`check_options`.

    ``None`` in a target-specific field means "not given": the target's default applies.
    """

    precision: str
    batch: int = 1
    image_input: bool = False
    l2_normalize: bool = False
    opset: int | None = None  # onnx
    deployment_target: str | None = None  # coreml
    channels_last: bool | None = None  # tflite
    calibration: Any = None  # int8 on onnx / tflite: a tensor (N, 3, H, W) of preprocessed images
    mean: tuple[float, ...] | None = None  # per-channel normalization (image_input folding)
    std: tuple[float, ...] | None = None
    input_name: str = "image"
    output_name: str = "output"


@dataclass(frozen=True)
class Target:
    name: str
    aliases: tuple[str, ...]
    suffix: str
    module: str
    extra: str  # edgerep extra that installs it
    requires: tuple[str, ...]  # import names checked before any work
    default_precision: str
    # Target-specific options (ExportOptions fields) this target accepts besides the common ones.
    options: frozenset[str] = field(default_factory=frozenset)
    is_directory: bool = False
    # Precisions whose artifact holds or computes with float16 weights (fp32 weights above 65504
    # would overflow).
    float16_precisions: tuple[str, ...] = ("fp16",)
    bench_runtime: str = ""
    description: str = ""

    def functions(self) -> ModuleType:
        return importlib.import_module(self.module)

    def convert(self, model: Any, example: Any, path: Path, options: ExportOptions) -> dict:
        mod = self.functions()
        if self.name == "tflite":
            return mod.convert(
                model, example, path, precision=options.precision,
                channels_last=_channels_last(options), calibration=options.calibration,
            ) or {}
        return mod.convert(model, example, path, options)

    def run(self, path: Path, inputs: np.ndarray) -> np.ndarray | None:
        mod = self.functions()
        if self.name == "tflite":
            return mod.run(path, inputs, threads=1)
        return mod.run(path, inputs)

    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        self.functions().embed_metadata(path, metadata)

    def op_histogram(self, path: Path) -> dict[str, int]:
        return dict(self.functions().op_histogram(path))


def _channels_last(options: ExportOptions) -> bool:
    return True if options.channels_last is None else options.channels_last


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "onnx", ("ort", "onnxruntime"), ".onnx", "edgerep.exporters.onnx", "onnx",
            ("onnx", "onnxscript", "onnxruntime"), "fp32", frozenset({"opset", "calibration"}),
            bench_runtime="onnxruntime", description="ONNX (dynamo exporter), verified with onnxruntime",
        ),
        Target(
            "coreml", ("mlpackage", "ios", "macos", "apple"), ".mlpackage", "edgerep.exporters.coreml",
            "coreml", ("coremltools",), "fp16", frozenset({"deployment_target"}), is_directory=True,
            float16_precisions=("fp16", "int8"),
            bench_runtime="coreml", description="Core ML ML Program (torch.export path)",
        ),
        Target(
            "tflite", ("litert", "android"), ".tflite", "edgerep.exporters.tflite", "tflite",
            ("litert_torch", "ai_edge_litert"), "fp32", frozenset({"channels_last", "calibration"}),
            bench_runtime="litert", description="TFLite via litert-torch, verified with ai-edge-litert",
        ),
    )
}

# CLI spelling of each target-specific option, for error messages.
OPTION_FLAGS = {
    "opset": "--opset",
    "deployment_target": "--deployment-target",
    "channels_last": "--nchw/--nhwc",
    "calibration": "--calibration",
}


def get_target(name: str) -> Target:
    """The target called ``name`` or one of its aliases (case-insensitive); ValueError otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"target must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    for t in TARGETS.values():
        if key == t.name or key in t.aliases:
            return t
    names = [*TARGETS, *(a for t in TARGETS.values() for a in t.aliases), "all"]
    close = closest(key, names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"unknown target {name!r}{hint} (allowed: {', '.join(TARGETS)} or all; "
        f"aliases: {', '.join(f'{a}={t.name}' for t in TARGETS.values() for a in t.aliases)})"
    )


def resolve_targets(name: str) -> list[Target]:
    """``"all"`` -> every target in registry order; otherwise the one named."""
    if isinstance(name, str) and name.strip().lower() == "all":
        return list(TARGETS.values())
    return [get_target(name)]


def check_options(target: Target, given: dict[str, Any], precision: str | None, *, many: bool) -> None:
    """Raise ValueError for an option ``target`` does not support, naming both.

    ``given`` maps target-specific option names to the values the user passed (``None`` = not given).
    With ``many`` (target "all") an option applies to the targets that support it and is skipped for
    the others.
    """
    if precision is not None and precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; allowed: {', '.join(PRECISIONS)}")
    if many:
        return
    for opt, value in given.items():
        if value is not None and opt not in target.options:
            supported = sorted(n for n, t in TARGETS.items() if opt in t.options)
            raise ValueError(
                f"option {OPTION_FLAGS.get(opt, opt)} ({opt}={value!r}) is not supported for "
                f"target {target.name!r}; it applies to: {', '.join(supported)}"
            )
