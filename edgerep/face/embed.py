"""Face embeddings on torch or on any exported artifact, the same way on each.

An :class:`Embedder` takes aligned crops (N x size x size x 3 uint8 RGB) and returns L2-normalized
float64 embeddings. The input normalization comes from the model: ``(x/255 - mean) / std`` with the
registry's (torch) or the artifact metadata's mean and std ((x/255 - 0.5)/0.5 for FaceLiVT and
EdgeFace); an artifact exported with raw-pixel input gets raw pixels. ``flip_sum`` embeds each crop
and its mirror image and sums the two outputs before normalizing (the InsightFace protocol).

Artifacts run through the export targets' own runners (``Target.run`` of
:mod:`edgerep.exporters.pipeline.targets`: onnxruntime, LiteRT, Core ML on macOS), the code that verifies
exports and that the benchmarks load, not a copy of it. Torch models are built as the benchmarks
build them (:class:`edgerep.bench.workload.Workload`: seeded random weights unless a checkpoint is
given), so separate runs embed with the same weights, and exports made for the face commands
(:func:`cached_artifact`) go through ``edgerep.export`` into the benchmarks' export cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .._io import file_sha256, tree_sha256
from ..exporters.pipeline.artifact import Artifact
from ..exporters.pipeline.cache import ExportCache, export_cached
from ..exporters.pipeline.precision import Precision
from ..exporters.pipeline.targets import TARGETS
from .gallery import EmbeddingSpec
from ..facecore.matching import l2_normalize

# torch, the registry and bench's workload/runners (torch) are imported where used: an ArtifactEmbedder
# runs without torch.

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


class ArtifactEmbedder(Embedder):
    """An exported face model (.onnx, .tflite, .mlpackage) run by its target's runtime."""

    def __init__(self, path: str | Path, flip_sum: bool = False):
        self.artifact = art = Artifact(path)
        self.path, self.target = art.path, art.target
        if art.task != "face-embedding":
            raise ValueError(f"artifact {self.path} holds {art.model!r}, a {art.task} model, "
                             "not a face-embedding one")
        prep = art.metadata.get("preprocessing") or {}
        self.layout, self.kind, self.batch, self.size = art.layout, art.kind, art.batch, art.height
        self.spec = EmbeddingSpec(
            model=art.model, embedding_size=int(art.output["shape"][-1]), runtime=self.target.runtime,
            precision=art.precision, artifact_sha256=tree_sha256(self.path),
            checkpoint_sha256=art.metadata.get("checkpoint_sha256"), template_size=self.size,
            mean=tuple(prep.get("mean") or (0.5, 0.5, 0.5)), std=tuple(prep.get("std") or (0.5, 0.5, 0.5)),
            flip_sum=flip_sum)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.artifact.run(x)


def resolve_runtime(runtime: str) -> str:
    """A runtime name or alias (``onnx``, ``ort``, ``tflite``, ...) as one of :data:`RUNTIMES`."""
    from ..bench.runners import resolve_runtimes

    names = resolve_runtimes(runtime)
    if len(names) != 1:
        raise ValueError(f"give one runtime, got {runtime!r}")
    return names[0]


def runtime_target(runtime: str) -> str:
    """The export target whose artifacts a runtime runs (``onnxruntime`` -> ``onnx``)."""

    rt = resolve_runtime(runtime)
    for name, info in TARGETS.items():
        if info.load().runtime == rt:
            return name
    raise ValueError(f"runtime {runtime!r} runs the torch model itself; it has no export target")


def cached_artifact(model: str, target: str, precision: str, checkpoint: str | Path | None = None,
                    calibration: tuple[str, Callable[[], Any]] | None = None, cache: Any = None,
                    log: Callable[[str], None] | None = None, work: Any = None) -> Path:
    """The ``target`` export of ``model`` at ``precision`` (through ``edgerep.export``), built once into
    the benchmarks' export cache (the entries ``edgerep bench`` uses). ``calibration`` for int8: (a
    label that identifies the images, a function returning the normalized (N, 3, H, W) batch).
    ``work``: the model's workload when the caller already built it (a TorchEmbedder's)."""
    from ..bench.workload import Workload

    work = work if work is not None else Workload.from_registry(model, checkpoint)
    cache = cache if cache is not None else ExportCache()
    return export_cached(work, target, Precision.parse(precision), cache, calibration=calibration, log=log).path


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
        if Precision.parse(precision) is not Precision.FP32:
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
