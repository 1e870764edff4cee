"""Face embeddings on torch or on any exported artifact, the same way on each.

An :class:`Embedder` takes aligned crops (N x size x size x 3 uint8 RGB) and returns L2-normalized
float64 embeddings. The input normalization comes from the model: ``(x/255 - mean) / std`` with the
registry's (torch) or the artifact metadata's mean and std ((x/255 - 0.5)/0.5 for FaceLiVT and
EdgeFace); an artifact exported with raw-pixel input gets raw pixels. ``flip_sum`` embeds each crop
and its mirror image and sums the two outputs before normalizing (the InsightFace protocol).

Artifacts run through the export targets' own runners (``Target.run`` of
:mod:`edgerep.exporters.targets`: onnxruntime, LiteRT, Core ML on macOS), the code that verifies
exports and that the benchmarks load, not a copy of it. Torch models are built as the benchmarks
build them (:class:`edgerep.bench.workload.Workload`: seeded random weights unless a checkpoint is
given), so separate runs embed with the same weights, and exports made for the face commands
(:func:`cached_artifact`) go through ``edgerep.export`` into the benchmarks' export cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .._io import tree_sha256
from .gallery import EmbeddingSpec
from .matching import l2_normalize

RUNTIMES = ("torch", "onnxruntime", "litert", "coreml")


class Embedder:
    """Aligned crops -> L2-normalized embeddings. Subclasses implement :meth:`forward`."""

    spec: EmbeddingSpec
    size: int  # crop side the model takes
    batch: int | None = None  # fixed batch of the model (None: any)
    kind: str = "tensor"  # "tensor": (x/255 - mean)/std; "raw": pixels 0..255
    layout: str = "NCHW"  # NCHW or NHWC (how the model takes the batch)

    @property
    def flip_sum(self) -> bool:
        return self.spec.flip_sum

    def inputs(self, crops: np.ndarray) -> np.ndarray:
        """What the model is fed for ``crops`` (N x size x size x 3 uint8), float32 in its layout."""
        x = crops.astype(np.float32)
        if self.kind == "tensor":
            mean = np.asarray(self.spec.mean, np.float32)
            std = np.asarray(self.spec.std, np.float32)
            x = (x / np.float32(255.0) - mean) / std
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if self.layout == "NCHW" else x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The model's raw outputs (N, D) for a batch already in its layout."""
        raise NotImplementedError

    def raw(self, crops: np.ndarray) -> np.ndarray:
        """Unnormalized outputs (N, D), in chunks of the model's fixed batch (padded with zeros)."""
        crops = _crops(crops, self.size)
        x = self.inputs(crops)
        step = self.batch or max(1, len(x))
        outs = []
        for i in range(0, len(x), step):
            chunk = x[i:i + step]
            n = len(chunk)
            if self.batch and n < self.batch:
                chunk = np.concatenate([chunk, np.zeros((self.batch - n, *chunk.shape[1:]), chunk.dtype)])
            y = np.asarray(self.forward(chunk), dtype=np.float64).reshape(len(chunk), -1)
            outs.append(y[:n])
        out = np.concatenate(outs) if outs else np.zeros((0, self.spec.embedding_size))
        if not np.isfinite(out).all():
            raise ValueError(f"{self.describe()} produced non-finite embeddings (NaN or infinity)")
        return out

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """L2-normalized embeddings (N, D) of aligned crops (N x size x size x 3 uint8 RGB)."""
        crops = _crops(crops, self.size)
        out = self.raw(crops)
        if self.flip_sum:
            out = out + self.raw(crops[:, :, ::-1])
        return l2_normalize(out, f"{self.describe()} embeddings")

    def describe(self) -> str:
        s = self.spec
        return f"{s.model} on {s.runtime} ({s.precision})"


def _crops(crops: Any, size: int) -> np.ndarray:
    arr = np.asarray(crops)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[1:] != (size, size, 3) or arr.dtype != np.uint8:
        raise ValueError(f"crops must be N x {size} x {size} x 3 uint8 aligned faces (edgerep.face.align), "
                         f"got shape {arr.shape} dtype {arr.dtype}")
    return arr


class TorchEmbedder(Embedder):
    """A registered face model in torch, fused, with seeded random weights or a checkpoint."""

    def __init__(self, model: str, checkpoint: str | Path | None = None, flip_sum: bool = False):
        import torch

        from ..bench.workload import Workload
        from ..registry import get_spec
        from .._io import file_sha256

        registered = get_spec(model)
        if registered.task != "face-embedding":
            raise ValueError(f"{model} is a {registered.task} model, not a face-embedding one; pick one of "
                             "'edgerep list \"*face*\"'")
        self.work = Workload.from_registry(registered.name, checkpoint)
        self.module = self.work.reference("fused")
        self.size = registered.input_size[1]
        with torch.no_grad():
            dim = int(self.module(torch.zeros(1, 3, self.size, self.size)).shape[-1])
        self.spec = EmbeddingSpec(
            model=registered.name, embedding_size=dim, runtime="torch", precision="fp32",
            checkpoint_sha256=file_sha256(checkpoint) if checkpoint is not None else None,
            template_size=self.size, mean=tuple(registered.mean), std=tuple(registered.std), flip_sum=flip_sum)

    def forward(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.module(torch.from_numpy(x)).numpy()


def _target_for(path: Path):  # noqa: ANN202 - exporters.targets.TargetInfo
    from ..exporters.targets import TARGETS

    for info in TARGETS.values():
        if path.name.endswith(info.suffix):
            return info
    raise ValueError(f"artifact {path} is not an exported model: expected a file ending in "
                     f"{', '.join(t.suffix for t in TARGETS.values())} (from 'edgerep export')")


def read_artifact_metadata(path: Path) -> dict[str, Any]:
    """The metadata edgerep embedded in an artifact, or its JSON sidecar when the file has none."""
    from ..exporters import metadata as md

    target = _target_for(path).load()
    try:
        meta = md.unflatten(target.read_metadata(path))
    except ImportError:
        raise
    except Exception:  # noqa: BLE001 - an unreadable embedded block: fall back to the sidecar
        meta = {}
    if not meta.get("model"):
        sidecar = md.sidecar_path(path)
        if sidecar.exists():
            from .._files import load_json

            meta = load_json(sidecar, "artifact sidecar")  # regular file, size, depth, finite numbers
            if not isinstance(meta, dict):
                raise ValueError(f"artifact sidecar {sidecar} holds a {type(meta).__name__}, not the JSON object "
                                 "'edgerep export' writes")
    if not meta.get("model"):
        raise ValueError(f"artifact {path} carries no edgerep metadata (and has no {md.sidecar_path(path).name}); "
                         "export it with 'edgerep export MODEL --target ...'")
    return meta


def _describe_io(meta: dict[str, Any], path: Path) -> tuple[dict, dict, dict]:
    """The artifact's input, output and preprocessing records, checked (ValueError naming the field)."""
    def shape_of(field: str, rank: int) -> dict:
        rec = meta.get(field)
        shape = rec.get("shape") if isinstance(rec, dict) else None
        if not (isinstance(shape, list) and len(shape) == rank
                and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1 << 16 for v in shape)):
            raise ValueError(f"artifact {path}: its metadata's {field}.shape must be {rank} positive integers, "
                             f"got {shape!r:.80}; re-export it with 'edgerep export'")
        return rec

    prep = meta.get("preprocessing") or {}
    if not isinstance(prep, dict):
        raise ValueError(f"artifact {path}: its metadata's preprocessing is not an object")
    for key in ("mean", "std"):
        v = prep.get(key)
        if v is not None and not (isinstance(v, list) and len(v) == 3 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) < 1e6 for x in v)):
            raise ValueError(f"artifact {path}: its metadata's preprocessing.{key} must be 3 numbers, got {v!r:.80}")
    out = meta.get("output")
    if not (isinstance(out, dict) and isinstance(out.get("shape"), list) and out["shape"]
            and isinstance(out["shape"][-1], int) and not isinstance(out["shape"][-1], bool) and out["shape"][-1] > 0):
        raise ValueError(f"artifact {path}: its metadata's output.shape is missing or not a list of positive "
                         "integers; re-export it with 'edgerep export'")
    return shape_of("input", 4), out, prep


class ArtifactEmbedder(Embedder):
    """An exported face model (.onnx, .tflite, .mlpackage) run by its target's runtime."""

    def __init__(self, path: str | Path, flip_sum: bool = False):
        from .._optional import require

        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"artifact {self.path} does not exist")
        if not (self.path.is_dir() and self.path.suffix == ".mlpackage"):  # folders only for .mlpackage
            from .._files import check_regular

            check_regular(self.path, "artifact")  # never a FIFO or device: the runtimes would block on it
        info = _target_for(self.path)
        for module in info.requires:
            if module in ("onnxruntime", "ai_edge_litert", "coremltools"):
                require(module)
        self.target = info.load()
        meta = read_artifact_metadata(self.path)
        if meta.get("task") != "face-embedding":
            raise ValueError(f"artifact {self.path} holds {meta.get('model')!r}, a {meta.get('task')} model, "
                             "not a face-embedding one")
        inp, out, prep = _describe_io(meta, self.path)
        shape = list(inp["shape"])
        self.layout = inp.get("layout", "NCHW")
        self.kind = "raw" if inp.get("kind") in ("raw", "image") or self.layout == "image" else "tensor"
        if self.layout == "image":
            self.layout = "NCHW"  # Core ML's run() takes raw pixels NCHW and builds the images
        self.batch = int(shape[0])
        self.size = int(shape[2] if self.layout == "NCHW" else shape[1])
        self.spec = EmbeddingSpec(
            model=meta["model"], embedding_size=int(out["shape"][-1]), runtime=self.target.runtime,
            precision=meta.get("precision", "fp32"), artifact_sha256=tree_sha256(self.path),
            checkpoint_sha256=meta.get("checkpoint_sha256"), template_size=self.size,
            mean=tuple(prep.get("mean") or (0.5, 0.5, 0.5)), std=tuple(prep.get("std") or (0.5, 0.5, 0.5)),
            flip_sum=flip_sum)

    def forward(self, x: np.ndarray) -> np.ndarray:
        from .._io import quiet

        try:
            with quiet():  # runtimes log from C++ (e.g. "Created TensorFlow Lite XNNPACK delegate")
                out = self.target.run(self.path, x)
        except (ValueError, ImportError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt model, external data outside its folder, ...
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:240]
            raise ValueError(f"artifact {self.path} cannot be loaded or run by {self.target.runtime} "
                             f"({type(exc).__name__}: {first}); re-export it with 'edgerep export'") from None
        if out is None:
            raise ValueError(f"{self.target.name} artifacts cannot run on this machine ({self.path.name}): "
                             f"{self.target.runtime_unavailable()}; use an .onnx or .tflite export here")
        return out


def resolve_runtime(runtime: str) -> str:
    """A runtime name or alias (``onnx``, ``ort``, ``tflite``, ...) as one of :data:`RUNTIMES`."""
    from ..bench.runners import resolve_runtimes

    names = resolve_runtimes(runtime)
    if len(names) != 1:
        raise ValueError(f"give one runtime, got {runtime!r}")
    return names[0]


def runtime_target(runtime: str) -> str:
    """The export target whose artifacts a runtime runs (``onnxruntime`` -> ``onnx``)."""
    from ..exporters.targets import TARGETS

    rt = resolve_runtime(runtime)
    for name, info in TARGETS.items():
        if info.load().runtime == rt:
            return name
    raise ValueError(f"runtime {runtime!r} runs the torch model itself; it has no export target")


def cached_artifact(model: str, target: str, precision: str, checkpoint: str | Path | None = None,
                    calibration: tuple[str, Callable[[], Any]] | None = None, cache: Any = None,
                    log: Callable[[str], None] | None = None) -> Path:
    """The ``target`` export of ``model`` at ``precision`` (through ``edgerep.export``), built once into
    the benchmarks' export cache (the entries ``edgerep bench`` uses). ``calibration`` for int8: (a
    label that identifies the images, a function returning the normalized (N, 3, H, W) batch)."""
    from ..bench.cache import ExportCache
    from ..bench.runners import export_cached
    from ..bench.workload import Workload

    work = Workload.from_registry(model, checkpoint)
    cache = cache if cache is not None else ExportCache()
    return export_cached(work, target, precision, cache, calibration=calibration, log=log).path


def load_embedder(model: str | None = None, *, checkpoint: str | Path | None = None,
                  artifact: str | Path | None = None, runtime: str = "torch", precision: str = "fp32",
                  flip_sum: bool = False, calibration: tuple[str, Callable[[], Any]] | None = None,
                  log: Callable[[str], None] | None = None) -> Embedder:
    """The embedder a user asks for: an ``artifact`` file, or ``model`` on ``runtime`` (torch, or an
    export made for it on the fly and cached)."""
    if artifact is not None:
        emb = ArtifactEmbedder(artifact, flip_sum=flip_sum)
        if model is not None and emb.spec.model != model:
            raise ValueError(f"artifact {artifact} holds {emb.spec.model}, not --model {model}")
        return emb
    if model is None:
        raise ValueError("give a model (--model NAME) or an exported artifact (--artifact FILE)")
    rt = resolve_runtime(runtime)
    if rt == "torch":
        if precision != "fp32":
            raise ValueError(f"the torch runtime embeds in fp32; precision {precision!r} needs an export "
                             "(--runtime onnxruntime or litert)")
        return TorchEmbedder(model, checkpoint, flip_sum=flip_sum)
    path = cached_artifact(model, runtime_target(rt), precision, checkpoint, calibration, log=log)
    return ArtifactEmbedder(path, flip_sum=flip_sum)


def check_compatible(expected: EmbeddingSpec, embedder: Embedder, what: str = "the gallery") -> None:
    """Refuse to compare embeddings from different models or weights (a one-line ValueError)."""
    got = embedder.spec
    problems = [f"{k} {getattr(expected, k)!r} vs {getattr(got, k)!r}"
                for k in ("model", "embedding_size", "checkpoint_sha256", "artifact_sha256", "precision",
                          "mean", "std", "template_size", "flip_sum")
                if getattr(expected, k) != getattr(got, k)]
    if problems:
        hint = "embed with the same model, checkpoint and options"
        if expected.artifact_sha256 != got.artifact_sha256:
            hint = ("pass the exported model it was enrolled with (--artifact FILE)" if expected.artifact_sha256
                    else "it was enrolled on torch: drop --artifact")
        raise ValueError(f"{what} was made with other embeddings than these ({'; '.join(problems)}); {hint}")


def embed_faces(embedder: Embedder, crops: Sequence[np.ndarray]) -> np.ndarray:
    """Convenience: a list of aligned crops -> (N, D) embeddings."""
    return embedder(np.stack(list(crops))) if len(crops) else np.zeros((0, embedder.spec.embedding_size))
