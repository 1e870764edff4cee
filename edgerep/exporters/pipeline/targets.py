"""The export targets: one interface every target implements, and the registry of targets.

A target is one package (``edgerep/exporters/<name>/``) whose ``target`` module holds a :class:`Target`
subclass, plus one row in :data:`TARGETS`. The row is light (names, file suffix, where the class lives, which extra
installs it), so listing targets and parsing a command line import nothing heavy; the class is
imported on first use. Everything else that depends on the format (conversion, options, input
layout, default precision, how its artifacts are loaded and run, metadata, what to do next) is
answered by the target's own class: no code outside its module tests a target's name.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..._io import reuse_last_load
from ..._text import closest
from .options import ExportOptions
from .precision import PRECISIONS, Precision

if TYPE_CHECKING:
    import numpy as np


class Session(Protocol):
    """A loaded artifact on its runtime: the bench times ``run``, verification compares its output."""

    input_name: str
    input_shape: tuple[int, ...]
    input_dtype: Any  # numpy dtype of the input the artifact takes

    def run(self, x: np.ndarray) -> np.ndarray:
        """One batch in (the artifact's layout, float32 or its own input type), first output out."""


class RuntimeUnavailable(Exception):
    """The target's runtime cannot run artifacts on this machine (e.g. Core ML off macOS)."""


class Target(ABC):
    """What a target knows: how to write its format, check it, load it and describe it."""

    info: TargetInfo  # the registry row (set when the registry loads the class)
    default_precision: Precision = Precision.FP32
    precisions: tuple[Precision, ...] = PRECISIONS
    options: frozenset[str] = frozenset()  # target-specific ExportOptions fields it accepts
    # int8 needs calibration images (activation ranges): the default images when none are given. A
    # target whose int8 is weights only uses them when given (GPTQ rounding) and rounds to nearest without.
    int8_needs_calibration: bool = True
    is_directory: bool = False  # the artifact is a folder (an .mlpackage)
    # Precisions whose artifact holds or computes float16 weights (fp32 weights above 65504 overflow).
    float16_precisions: tuple[Precision, ...] = (Precision.FP16,)
    runtime: str = ""  # the runtime that loads its artifacts (a bench runtime name)
    runtime_title: str = ""  # how people write it: "onnxruntime", "LiteRT", "Core ML"
    int8_goal: float | None = None  # int8 should run in at most this fraction of fp32's latency
    backend: str = ""  # the runtime's execution provider / delegate / compute units label
    takes_threads: bool = True  # whether the runtime is given a thread count
    tools: tuple[str, ...] = ("torch", "numpy")  # distributions whose versions the metadata records

    def __init__(self) -> None:
        self._cached_open = reuse_last_load(lambda path, threads: self.open(path, threads))

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def suffix(self) -> str:
        return self.info.suffix

    # --------------------------------------------------------------------------- writing

    def int8_weight_layers(self, model: Any, recipe: str) -> list[str]:
        """The layers of ``model`` whose weights this target stores in int8, which the export rounds in
        torch first (GPTQ, :mod:`.int8_torch`): by default those the int8 ``recipe`` computes in int8."""
        from .int8_torch import quantized_layers  # torch: this module stays importable without it

        return quantized_layers(model, recipe)

    def validate(self, options: ExportOptions) -> None:
        """Raise ValueError for option values this target cannot honour (after the common checks)."""

    def input_layout(self, options: ExportOptions) -> str:
        """``"NCHW"``, ``"NHWC"`` or ``"image"`` (the format feeds raw pixels and centres them)."""
        return "NCHW"

    @abstractmethod
    def convert(self, model: Any, example: Any, path: Path, options: ExportOptions) -> dict[str, Any]:
        """Write the fused, wrapped ``model`` (fed NCHW ``example``) to ``path``; returns what the
        sidecar records about the conversion."""

    @abstractmethod
    def describe(self, options: ExportOptions, info: dict[str, Any]) -> str:
        """One line on what the conversion produced (the ``convert`` step of the log)."""

    def recorded_options(self, options: ExportOptions, info: dict[str, Any]) -> dict[str, Any]:
        """The target-specific options the artifact's metadata records (those given)."""
        return {opt: getattr(options, opt) for opt in sorted(self.options)
                if opt != "calibration" and getattr(options, opt) is not None}

    def next_step(self, model: str, path: Path) -> str:
        """What to run next with the artifact (printed after a successful export)."""
        return f"edgerep bench {model} --runtime {self.runtime}"

    # -------------------------------------------------------------------------- the artifact

    @abstractmethod
    def embed_metadata(self, path: Path, metadata: dict[str, str]) -> None:
        """Store ``edgerep.*`` text entries inside the artifact (the caller writes a temporary path)."""

    @abstractmethod
    def read_metadata(self, path: Path) -> dict[str, str]:
        """The artifact's text metadata entries, by name."""

    @abstractmethod
    def op_histogram(self, path: Path) -> dict[str, int]:
        """Operator counts of the artifact's graph, in its own op names."""

    def int8_facts(self, path: Path) -> dict[str, Any] | None:
        """What of an int8 artifact runs in int8 and what stays float (None: the target has no int8)."""
        return None

    def constant_ops(self, path: Path) -> int:
        """Ops that compute only from constants (the export folds them: 0 expected)."""
        return 0

    @abstractmethod
    def check_structure(self, path: Path, expected: dict[str, Any]) -> list[str]:
        """Problems found without running the artifact: input/output names, shapes and types.

        ``expected``: input_name, input_shape, input_kind ("image" | "tensor"), output_name,
        output_shape.
        """

    # --------------------------------------------------------------------------- the runtime

    def runtime_unavailable(self) -> str | None:
        """Why artifacts cannot run here (a documented platform reason), or None."""
        return None

    def runtime_version(self) -> str | None:
        return None

    @abstractmethod
    def open(self, path: Path, threads: int | None = 1) -> Session:
        """Load ``path`` on the runtime (a fresh load every call: the bench times it)."""

    def run(self, path: Path, inputs: np.ndarray) -> np.ndarray | None:
        """``inputs`` through ``path`` on one thread, reusing the last loaded session while the file
        is unchanged (verification, the face pipeline); None when the runtime is unavailable here."""
        if self.runtime_unavailable() is not None:
            return None
        return self._cached_open(Path(path), 1).run(inputs)


@dataclass(frozen=True)
class TargetInfo:
    """A registry row: what identifies a target without importing it."""

    name: str
    aliases: tuple[str, ...]
    suffix: str
    module: str  # holds the Target subclass named ``cls``
    cls: str
    extra: str  # the edgerep extra that installs its packages
    requires: tuple[str, ...]  # import names checked before any work
    description: str = ""

    def load(self) -> Target:
        """The target's implementation (imported once)."""
        return _implementation(self)


_LOADED: dict[str, Target] = {}


def _implementation(info: TargetInfo) -> Target:
    if info.name not in _LOADED:
        target = getattr(importlib.import_module(info.module), info.cls)()
        target.info = info
        # A target may spell its precisions as text: parsed here, once, like any value entering edgerep.
        target.precisions = tuple(Precision.parse(p) for p in target.precisions)
        target.default_precision = Precision.parse(target.default_precision, target.precisions, who=info.name)
        target.float16_precisions = tuple(Precision.parse(p) for p in target.float16_precisions)
        _LOADED[info.name] = target
    return _LOADED[info.name]


TARGETS: dict[str, TargetInfo] = {
    t.name: t
    for t in (
        TargetInfo("onnx", ("ort", "onnxruntime"), ".onnx", "edgerep.exporters.onnx.target", "OnnxTarget",
                   "onnx", ("onnx", "onnxscript", "onnxruntime"),
                   "ONNX (dynamo exporter), verified with onnxruntime"),
        TargetInfo("coreml", ("mlpackage", "ios", "macos", "apple"), ".mlpackage", "edgerep.exporters.coreml.target",
                   "CoreMLTarget", "coreml", ("coremltools",), "Core ML ML Program (torch.export path)"),
        TargetInfo("tflite", ("litert", "android"), ".tflite", "edgerep.exporters.tflite.target", "TFLiteTarget",
                   "tflite", ("litert_torch", "ai_edge_litert"),
                   "TFLite via litert-torch, verified with ai-edge-litert"),
    )
}


def get_target(name: str) -> Target:
    """The target called ``name`` or one of its aliases (case-insensitive); ValueError otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"target must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    for t in TARGETS.values():
        if key == t.name or key in t.aliases:
            return t.load()
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
        return [t.load() for t in TARGETS.values()]
    return [get_target(name)]


def supported_by() -> dict[str, list[str]]:
    """Each target-specific option -> the targets that accept it."""
    out: dict[str, list[str]] = {}
    for info in TARGETS.values():
        for opt in sorted(info.load().options):
            out.setdefault(opt, []).append(info.name)
    return out
