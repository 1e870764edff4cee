"""What gets exported: the fused model, plus the input/output adapters an export option asks for.

Pipeline order (STYLE.md): build, load weights, eval, fuse (a copy), wrap, export. Wrappers:

- ``image_input``: the graph takes raw RGB pixels in [0, 255]. ``x / 255 - mean`` is a scale and a
  per-channel bias (Core ML's ImageType expresses exactly that); the remaining per-channel ``1 / std``
  is folded into the first convolution's input channels. Because ``x / 255 - mean`` is zero exactly
  where the normalized image is zero, the first conv's zero padding stays exact at the borders
  (folding the mean into the conv bias instead would not be).
- ``l2_normalize`` (face-embedding models): the embedding divided by its L2 norm.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from edgerep.layers.base import conv_like


@dataclass
class Prepared:
    """A fused model ready for export, and everything the metadata needs to say about it."""

    name: str
    fused: nn.Module  # fused, eval, no wrappers: the reference for verification
    unfused: nn.Module | None  # training form (for the node-count audit), weights irrelevant
    task: str
    input_size: tuple[int, int]  # (H, W)
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    spec: Any = None  # registry ModelSpec, when the model is registered
    checkpoint: dict | None = None  # path, sha256, layout
    fusion: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unfused_ops: dict[tuple[int, ...], dict[str, int]] = field(default_factory=dict)  # by input shape
    calibration_note: str = ""  # for the targets that calibrate (int8 on onnx/tflite)

    @property
    def output_name(self) -> str:
        return "embedding" if self.task == "face-embedding" else "logits"


class L2Normalize(nn.Module):
    """``model(x) / ||model(x)||_2`` along the feature axis (deployment form of a face embedder)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model(x), p=2.0, dim=1)


class RawPixels(nn.Module):
    """``model(x / 255 - mean)`` for a model whose first conv already holds the ``1 / std`` factor."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x * (1.0 / 255.0) - self.mean)


class Normalize(nn.Module):
    """``model((x / 255 - mean) / std)``: the fallback when no first conv can take the ``1 / std``."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("inv_std", 1.0 / torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x * (1.0 / 255.0) - self.mean) * self.inv_std)


def first_conv(model: nn.Module, input_size: tuple[int, int]) -> tuple[str | None, str]:
    """The qualified name of the Conv2d that alone consumes the model input, or None and why not.

    Found by running the model once on the meta device (no compute): every ATen op that takes the
    input tensor itself is recorded, and a forward pre-hook names the Conv2d module it enters.
    """
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    from .verify import _to_meta

    try:
        probe = _to_meta(model)
        x = torch.empty(1, 3, *input_size, device="meta")
    except Exception:  # a module that cannot live on meta: probe on CPU
        probe, x = model, torch.zeros(1, 3, *input_size)
    consumers: list[str] = []
    modules: list[str] = []

    class Spy(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            if any(a is x for a in tree_leaves((args, kwargs or {}))):
                consumers.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    def pre_hook(name: str):  # noqa: ANN202
        def hook(module: nn.Module, inputs: tuple) -> None:
            if inputs and inputs[0] is x:
                modules.append(name)
        return hook

    handles = [m.register_forward_pre_hook(pre_hook(n)) for n, m in probe.named_modules()
               if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad(), Spy():
            probe.eval()(x)
    except Exception as exc:
        return None, f"the model could not be probed ({type(exc).__name__})"
    finally:
        for h in handles:
            h.remove()
    if consumers != ["convolution"] or len(modules) != 1:
        return None, f"the input feeds {', '.join(consumers) or 'nothing'}, not one convolution alone"
    conv = model.get_submodule(modules[0])
    if conv.groups != 1:
        return None, f"the first convolution {modules[0]!r} is grouped"
    return modules[0], ""


def fold_input_std(
    model: nn.Module, std: tuple[float, ...], input_size: tuple[int, int]
) -> tuple[nn.Module, str | None, str]:
    """A copy of ``model`` whose first conv takes ``x * std`` per channel instead of ``x``.

    Returns (model, folded conv name or None, reason when not folded).
    """
    name, why = first_conv(model, input_size)
    if name is None:
        return model, None, why
    model = copy.deepcopy(model)
    conv = model.get_submodule(name)
    with torch.no_grad():
        # conv(x_n) with x_n = x_c / std per input channel == conv'(x_c) with W'[:, c] = W[:, c] / std_c.
        inv = 1.0 / torch.tensor(std, dtype=conv.weight.dtype, device=conv.weight.device)
        weight = conv.weight * inv.view(1, -1, 1, 1)
        model.set_submodule(name, conv_like(conv, weight, conv.bias))
    return model, name, ""


@dataclass
class Graph:
    """The module that is converted and how its input relates to the normalized image."""

    module: nn.Module
    # "tensor": normalized float input; "raw": raw pixels in [0, 255] with (x/255 - mean)
    # inside the graph; "centered": x/255 - mean already applied by the format (Core ML ImageType).
    input_kind: str
    preprocessing_in_graph: str
    notes: list[str] = field(default_factory=list)


def build_graph(prep: Prepared, *, image_input: bool, l2_normalize: bool, centered: bool) -> Graph:
    """Wrap ``prep.fused`` for export. ``centered``: the format itself applies ``x/255 - mean``."""
    model, notes = prep.fused, []
    kind, described = "tensor", "none: feed (x/255 - mean)/std, NCHW"
    if image_input:
        folded, conv_name, why = fold_input_std(model, prep.std, prep.input_size)
        if conv_name is None:
            notes.append(f"1/std kept as a multiply ({why})")
            if centered:
                raise ValueError(
                    f"image_input cannot fold 1/std into the first convolution of {prep.name}: {why}"
                )
            model, kind = Normalize(model, prep.mean, prep.std), "raw"
            described = "x/255 - mean and 1/std as graph ops; feed raw RGB pixels 0..255"
        else:
            notes.append(f"1/std folded into {conv_name}")
            if centered:
                model, kind = folded, "centered"
                described = ("image input: scale 1/255 and bias -mean by the format, 1/std folded into "
                             f"{conv_name}; feed raw RGB pixels")
            else:
                model, kind = RawPixels(folded, prep.mean), "raw"
                described = (f"x/255 - mean in the graph, 1/std folded into {conv_name}; "
                             "feed raw RGB pixels 0..255")
    if l2_normalize:
        model = L2Normalize(model)
    return Graph(model.eval(), kind, described, notes)


def reference_inputs(prep: Prepared, batch: int, n: int, seed: int = 0) -> list[torch.Tensor]:
    """``n`` random raw-pixel batches (uniform integers 0..255, NCHW float32)."""
    g = torch.Generator().manual_seed(seed)
    h, w = prep.input_size
    return [torch.randint(0, 256, (batch, 3, h, w), generator=g).float() for _ in range(n)]


def normalize(prep: Prepared, raw: torch.Tensor) -> torch.Tensor:
    """Raw pixels -> the model's normalized input; a unit-scale input for models without mean/std."""
    if prep.mean is None or prep.std is None:
        return raw / 127.5 - 1.0
    mean = torch.tensor(prep.mean).view(1, -1, 1, 1)
    std = torch.tensor(prep.std).view(1, -1, 1, 1)
    return (raw / 255.0 - mean) / std


def graph_input(prep: Prepared, graph: Graph, raw: torch.Tensor) -> torch.Tensor:
    """What the exported graph is fed for the raw batch ``raw`` (before any layout change)."""
    if graph.input_kind == "raw":
        return raw
    if graph.input_kind == "centered":
        return raw / 255.0 - torch.tensor(prep.mean).view(1, -1, 1, 1)
    return normalize(prep, raw)


def load_calibration(source: Any, prep: Prepared, limit: int = 64) -> torch.Tensor:
    """Calibration batch (N, 3, H, W), normalized, from a tensor/array, a .pt/.npy file or an image dir.

    Images are resized (shorter side to size / crop_pct, the model's interpolation), center-cropped
    and normalized exactly as the model expects.
    """
    if isinstance(source, torch.Tensor):
        x = source.float()
    elif hasattr(source, "__array__"):
        x = torch.as_tensor(source).float()
    else:
        path = Path(source)
        if path.is_dir():
            x = _load_images(path, prep, limit)
        elif path.suffix == ".npy":
            import numpy as np

            x = torch.from_numpy(np.load(path)).float()
        elif path.suffix in (".pt", ".pth"):
            x = torch.load(path, map_location="cpu", weights_only=True).float()
        else:
            raise ValueError(
                f"calibration {str(source)!r} is not a directory of images, a .npy or a .pt file"
            )
    h, w = prep.input_size
    if x.ndim != 4 or tuple(x.shape[1:]) != (3, h, w):
        raise ValueError(
            f"calibration data has shape {tuple(x.shape)}; expected (N, 3, {h}, {w}) normalized images"
        )
    return x[:limit]


def default_calibration(prep: Prepared) -> tuple[torch.Tensor, str]:
    """The calibration batch when the user gives none, normalized, and what it is.

    Real images when scikit-image is installed (its shipped photos, or its LFW faces for
    face-embedding models: the ``"calibration"`` split of :mod:`.samples`, disjoint from the
    ``"evaluation"`` split drift is measured on); 32 random images otherwise. Random noise gives
    activation ranges unlike real images', so the note says which it was.
    """
    from . import samples

    if samples.data_dir() is not None:
        raw = torch.from_numpy(samples.images(prep.task, "calibration", prep.input_size))
        kind = "LFW faces" if prep.task == "face-embedding" else "photos"
        return normalize(prep, raw), (f"int8 calibrated on {len(raw)} {kind} shipped with scikit-image "
                                      "(pass --calibration DIR with images like yours)")
    raw = reference_inputs(prep, batch=32, n=1, seed=1234)[0]
    return normalize(prep, raw), ("int8 calibrated on 32 random images (pip install scikit-image for "
                                  "real sample photos, or pass --calibration DIR)")


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _load_images(directory: Path, prep: Prepared, limit: int) -> torch.Tensor:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Pillow is needed to read calibration images: pip install pillow") from None
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)[:limit]
    if not files:
        raise ValueError(f"calibration directory {str(directory)!r} holds no images "
                         f"({', '.join(sorted(_IMAGE_SUFFIXES))})")
    h, w = prep.input_size
    crop = getattr(prep.spec, "crop_pct", 1.0) or 1.0
    mode = getattr(prep.spec, "interpolation", "bilinear")
    mode = mode if mode in ("bilinear", "bicubic", "nearest") else "bilinear"
    batch = []
    for f in files:
        with Image.open(f) as im:
            img = torch.frombuffer(bytearray(im.convert("RGB").tobytes()), dtype=torch.uint8)
            img = img.view(im.height, im.width, 3).permute(2, 0, 1).float()[None]
        scale = max(h, w) / crop / min(img.shape[-2:])
        size = (max(h, round(img.shape[-2] * scale)), max(w, round(img.shape[-1] * scale)))
        img = F.interpolate(img, size=size, mode=mode, align_corners=False if mode != "nearest" else None)
        top, left = (size[0] - h) // 2, (size[1] - w) // 2
        batch.append(img[..., top:top + h, left:left + w].clamp(0, 255))
    return normalize(prep, torch.cat(batch))
