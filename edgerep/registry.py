"""Model registry: register_model / list_models / lookup with "did you mean"."""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from torch import nn

from ._text import closest

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FACE_MEAN = (0.5, 0.5, 0.5)
FACE_STD = (0.5, 0.5, 0.5)

# Families register themselves on import; listed here so the registry loads them lazily, once.
_FAMILY_MODULES = (
    "edgerep.models.mobileone",
    "edgerep.models.fastvit",
    "edgerep.models.repnext",
    "edgerep.models.facelivt",
    "edgerep.models.edgeface",
)


@dataclass(frozen=True)
class Published:
    """Figures from the paper or reference code (the paper or reference repository ``source`` names)."""

    source: str
    params_train: float | None = None
    params_fused: float | None = None
    macs_fused: float | None = None
    accuracy: dict[str, float] = field(default_factory=dict)
    latency_ms: float | None = None
    latency_device: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """Everything edgerep knows about a registered model besides its weights."""

    name: str
    family: str
    task: str  # "classification" or "face-embedding"
    builder: Callable[..., nn.Module]
    input_size: tuple[int, int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    published: Published
    num_classes: int = 1000
    interpolation: str = "bicubic"
    crop_pct: float = 0.875
    baseline: bool = False
    # Smallest input the test-suite may use (the architecture allows any multiple of 32 above it).
    test_input_size: tuple[int, int, int] | None = None
    # True when the model only runs at ``input_size`` (e.g. FaceLiVT's token-axis Linear layers).
    fixed_input_size: bool = False

    def build(self, *, inference_mode: bool = False, **kwargs: Any) -> nn.Module:
        """A new model of this spec; it records what built it (:func:`built_from`)."""
        model = self.builder(inference_mode=inference_mode, **kwargs)
        model.built_from = BuiltFrom(self.name, tuple(sorted(kwargs.items())))
        return model


@dataclass(frozen=True)
class BuiltFrom:
    """The registered model a module was built as, and the builder's other arguments
    (``num_classes``), so the same model can be built again in the other form."""

    name: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> ModelSpec:
        return get_spec(self.name)

    def build(self, *, inference_mode: bool, device: Any = None) -> nn.Module:
        """The same model again (on ``device``, e.g. "meta"), in the form asked for."""
        import torch

        with torch.device(device or "cpu"):
            return self.spec.build(inference_mode=inference_mode, **dict(self.kwargs))


def built_from(model: nn.Module) -> BuiltFrom | None:
    """What built ``model`` when it came from the registry (``create_model``, ``ModelSpec.build``),
    else None. The one place edgerep reads a model's identity: checkpoints (which layouts to try),
    exports (input size, normalization, name) and the export audit (the unfused twin)."""
    found = getattr(model, "built_from", None)
    return found if isinstance(found, BuiltFrom) else None


_REGISTRY: dict[str, ModelSpec] = {}
# Other names for registered models: the names users copy from a reference repository (EdgeFace's
# ``edgeface_xs_q`` is the float ``edgeface_xs`` its authors quantized). Lookups resolve them;
# listings show the registered name, with its aliases.
_ALIASES: dict[str, str] = {}
_loaded = False


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.task not in ("classification", "face-embedding"):
        raise ValueError(f"task must be 'classification' or 'face-embedding', got {spec.task!r}")
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def register_alias(alias: str, name: str) -> None:
    """Make ``alias`` a second name of the registered model ``name``."""
    if name not in _REGISTRY:
        raise ValueError(f"cannot alias {alias!r} to {name!r}: {name!r} is not registered")
    if alias in _REGISTRY or alias in _ALIASES:
        raise ValueError(f"model name {alias!r} is registered twice")
    _ALIASES[alias] = name


def aliases_of(name: str) -> list[str]:
    """The other names of the registered model ``name``, sorted."""
    _load_families()
    return sorted(a for a, n in _ALIASES.items() if n == name)


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _FAMILY_MODULES:  # a missing family module is an ImportError, never a shorter list
        importlib.import_module(module)


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching an fnmatch ``pattern`` (e.g. ``"fastvit_*"``), sorted."""
    _load_families()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern))


def get_spec(name: str) -> ModelSpec:
    """The spec of ``name``; ValueError naming the closest registered names otherwise."""
    _load_families()
    if not isinstance(name, str):
        raise TypeError(f"model name must be a string, got {type(name).__name__}")
    spec = _REGISTRY.get(_ALIASES.get(name, name))
    if spec is None:
        raise ValueError(unknown_model_message(name))
    return spec


def unknown_model_message(name: str) -> str:
    close = closest(name, [*_REGISTRY, *_ALIASES])
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown model {name!r}{hint} (see 'edgerep list' for all {len(_REGISTRY)} models)"
