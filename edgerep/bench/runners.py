"""One runner per runtime: how to load a model on it and run one prediction.

A runner answers four questions: is the runtime usable here (and if not, why), which artifact does
it load (exported on the fly through ``edgerep.export`` into the cache), how is the model
instantiated (the timed "load"), and what is the machine ceiling on it (ceiling.py). The timing loop
itself is the same for every runtime (measure.py). Besides torch, every runtime is an export
target's: :class:`ArtifactRunner` loads its artifacts with the target's own loader, the same one
verification and the face pipeline use, so a new target brings its bench runtime with it.
"""

from __future__ import annotations

import contextlib
import platform
from abc import ABC, abstractmethod
from typing import Any, Callable, ContextManager, Iterable

import numpy as np

from .._optional import available
from ..exporters.pipeline.cache import CachedArtifact, ExportCache, export_cached
from . import ceiling
from .workload import Workload

Predict = Callable[[], Any]
Loader = Callable[[], Predict]


class Unavailable(Exception):
    """This runtime cannot run this record here; the message says why."""


class Runner(ABC):
    """A runtime the harness can measure on."""

    runtime: str = ""
    forms: tuple[str, ...] = ("fused",)
    target: str | None = None  # the edgerep.export target whose artifact it loads
    precisions: tuple[str, ...] = ("fp32",)  # the first is the default
    uses_threads = True

    def platform_reason(self) -> str | None:
        """A documented platform reason the runtime cannot run here (Core ML off macOS), or None."""
        return None

    def missing_extra(self) -> str | None:
        """The install line when the runtime's packages are missing (a fixable failure), or None."""
        return None

    def unavailable_reason(self) -> str | None:
        """Why the runtime cannot run on this machine, or None when it can."""
        return self.platform_reason() or self.missing_extra()

    def session(self, threads: int | None) -> ContextManager[Any]:
        """Process-wide settings held while a record is measured (e.g. torch's thread count)."""
        return contextlib.nullcontext()

    @abstractmethod
    def version(self) -> str | None: ...

    @abstractmethod
    def backend(self) -> str: ...

    def check_precision(self, precision: str) -> None:
        if precision not in self.precisions:
            raise Unavailable(f"{self.runtime} runs {', '.join(self.precisions)} here, not {precision}")

    def artifact(self, work: Workload, form: str, precision: str, cache: ExportCache) -> CachedArtifact | None:
        """The exported file this runtime loads (None for in-framework runners)."""
        if self.target is None:
            return None
        return export_cached(work, self.target, precision, cache)

    @abstractmethod
    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        """A function that instantiates the model (timed as load) and returns one-prediction closure."""

    @abstractmethod
    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        """GMAC/s of the reference GEMM on this runtime at ``threads``."""


class TorchRunner(Runner):
    """PyTorch eager on CPU, in both forms: the speedup of fusion without any exporter."""

    runtime = "torch"
    forms = ("unfused", "fused")

    def version(self) -> str | None:
        import torch

        return torch.__version__.split("+")[0]

    def backend(self) -> str:
        return "cpu"

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        import torch

        x = work.example()

        def load() -> Predict:
            model = work.instantiate(form)

            def predict() -> Any:
                with torch.inference_mode():
                    return model(x)

            return predict

        return load

    def session(self, threads: int | None) -> ContextManager[Any]:
        return ceiling.torch_threads(threads)

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        return ceiling.torch_gemm(threads)


def _random_input(shape: list[int] | tuple[int, ...], dtype: Any) -> np.ndarray:
    rng = np.random.default_rng(0)
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=tuple(shape), endpoint=True).astype(dtype)
    return rng.standard_normal(tuple(shape)).astype(dtype)


class ArtifactRunner(Runner):
    """A runtime that runs an export target's artifact, loaded the way the target loads it
    (:meth:`edgerep.exporters.pipeline.targets.Target.open`): onnxruntime, LiteRT, Core ML, ..."""

    def __init__(self, target: str) -> None:
        from edgerep.exporters.pipeline.targets import TARGETS

        self.info = TARGETS[target]
        impl = self.info.load()
        self.target = self.info.name
        self.runtime = impl.runtime
        self.uses_threads = impl.takes_threads
        self.precisions = (impl.default_precision, *(p for p in impl.precisions if p != impl.default_precision))

    @property
    def _impl(self) -> Any:
        return self.info.load()

    def platform_reason(self) -> str | None:
        reason = self._impl.runtime_unavailable()
        return None if reason is None else f"{reason}; this machine runs {platform.system() or 'another OS'}"

    def missing_extra(self) -> str | None:
        missing = [m for m in self.info.requires if not available(m)]
        if not missing:
            return None
        return f"{missing[0].replace('_', '-')} is not installed: pip install 'edgerep[{self.info.extra}]'"

    def version(self) -> str | None:
        return self._impl.runtime_version()

    def backend(self) -> str:
        return self._impl.backend

    def loader(self, work: Workload, form: str, threads: int | None,
               artifact: CachedArtifact | None) -> Loader:
        if artifact is None:
            raise ValueError(f"{self.runtime} runs an exported artifact; none was given")
        open_session, path = self._impl.open, artifact.path

        def load() -> Predict:
            session = open_session(path, threads)
            feed = _random_input(session.input_shape, session.input_dtype)
            return lambda: session.run(feed)

        return load

    def ceiling(self, threads: int | None, cache: ExportCache) -> float:
        gemm = ceiling.CEILINGS.get(self.runtime)
        if gemm is None:
            raise Unavailable(f"no GEMM ceiling for {self.runtime}")
        return gemm(threads, cache)


# The order records appear in: torch first, then the targets' runtimes in this order; a target
# registered later runs after them.
RUNTIME_ORDER = ("torch", "onnxruntime", "litert", "coreml")


def runners() -> dict[str, Callable[[], Runner]]:
    """Every runtime the bench can measure on: torch, and each export target's runtime."""
    from edgerep.exporters.pipeline.targets import TARGETS

    found: dict[str, Callable[[], Runner]] = {"torch": TorchRunner}
    for name, info in TARGETS.items():
        found[info.load().runtime] = lambda name=name: ArtifactRunner(name)
    order = {r: i for i, r in enumerate(RUNTIME_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: order.get(kv[0], len(order))))


def aliases() -> dict[str, str]:
    """Other spellings of runtime names: a target's name and aliases name its runtime."""
    from edgerep.exporters.pipeline.targets import TARGETS

    out = {"pytorch": "torch", "eager": "torch"}
    for info in TARGETS.values():
        runtime = info.load().runtime
        out.update({a: runtime for a in (info.name, *info.aliases) if a != runtime})
    return out


def resolve_runtimes(runtimes: str | Iterable[str] | None) -> list[str]:
    """Runtime names (comma-separated or a list; aliases allowed), in the order given; all by default."""
    known, spelled = runners(), aliases()
    names = split_names(runtimes, "runtime") or list(known)
    resolved = []
    for name in names:
        key = spelled.get(name.lower(), name.lower())
        if key not in known:
            raise ValueError(f"unknown runtime {name!r}; choose from {', '.join(known)} "
                             f"(comma-separated, e.g. --runtime torch,onnxruntime)")
        if key not in resolved:
            resolved.append(key)
    return resolved


def split_names(value: str | Iterable[str] | None, what: str) -> list[str]:
    """``"a,b"`` or ``["a", "b"]`` -> ``["a", "b"]`` (each once, in order)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [i.strip() if isinstance(i, str) else i for i in items]
    if any(not isinstance(i, str) or not i for i in items):
        raise ValueError(f"{what} must be names separated by commas, got {value!r}")
    return list(dict.fromkeys(items))
