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

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from edgerep._text import one_line

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
    and normalized exactly as the model expects. Files are read by paths that cannot run code
    (numpy without pickle, torch with ``weights_only``, Pillow for images, with a pixel limit).
    """
    name = "the calibration data"
    if isinstance(source, torch.Tensor):
        x = source
    elif hasattr(source, "__array__"):
        x = torch.as_tensor(np.asarray(source))
    else:
        path = Path(source)
        name = str(path)
        if path.is_dir():
            x = _load_images(path, prep, limit)
        elif not path.is_file():
            raise ValueError(f"calibration {name!r} does not exist; pass a directory of images or a "
                             ".npy/.pt file")
        elif path.suffix == ".npy":
            x = _load_npy(path)
        elif path.suffix in (".pt", ".pth"):
            x = _load_pt(path)
        else:
            raise ValueError(
                f"calibration {name!r} is not a directory of images, a .npy or a .pt file"
            )
    if not isinstance(x, torch.Tensor) or not (x.is_floating_point() or x.dtype in _INTEGER_DTYPES):
        kind = type(x).__name__ if not isinstance(x, torch.Tensor) else str(x.dtype)
        raise ValueError(f"calibration {name!r} holds {kind}, not a numeric array of images")
    x = x.float()
    h, w = prep.input_size
    if x.ndim != 4 or tuple(x.shape[1:]) != (3, h, w):
        raise ValueError(
            f"calibration {name!r} has shape {tuple(x.shape)}; expected (N, 3, {h}, {w}) normalized images"
        )
    if len(x) == 0:
        raise ValueError(f"calibration {name!r} holds no image (shape {tuple(x.shape)})")
    bad = int((~torch.isfinite(x)).sum())
    if bad:
        raise ValueError(f"calibration {name!r} holds {bad} non-finite value(s) (NaN or Inf); "
                         "calibrating on them would give meaningless int8 ranges")
    return x[:limit]


_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _load_npy(path: Path) -> torch.Tensor:
    try:
        return torch.from_numpy(np.load(path, allow_pickle=False))
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ValueError(f"calibration {str(path)!r} holds Python objects (a pickled array), which "
                             "edgerep does not unpickle; save a plain numeric array with np.save") from None
        raise ValueError(f"calibration {str(path)!r} is not a valid .npy array ({one_line(exc, 200)})") from None
    except (OSError, EOFError, MemoryError) as exc:
        raise ValueError(f"calibration {str(path)!r} cannot be read ({one_line(exc, 200)})") from None


def _load_pt(path: Path) -> torch.Tensor:
    import pickle
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"calibration {str(path)!r} holds Python objects besides tensors, which edgerep "
                         "does not unpickle; save a tensor with torch.save(images, path)") from None
    except (RuntimeError, EOFError, OSError, ValueError, MemoryError) as exc:
        raise ValueError(f"calibration {str(path)!r} is not a readable torch file ({one_line(exc, 200)})") from None
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"calibration {str(path)!r} holds a {type(x).__name__}, not a tensor of images")
    return x


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
# Images above this many pixels are refused before decoding (a decompression bomb decodes a few KB
# into gigabytes); 64 MP is larger than any camera image a calibration set needs.
MAX_IMAGE_PIXELS = 64_000_000


def _load_images(directory: Path, prep: Prepared, limit: int) -> torch.Tensor:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Pillow is needed to read calibration images: pip install pillow") from None
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())[:limit]
    if not files:
        raise ValueError(f"calibration directory {str(directory)!r} holds no images "
                         f"({', '.join(sorted(_IMAGE_SUFFIXES))})")
    h, w = prep.input_size
    crop = getattr(prep.spec, "crop_pct", 1.0) or 1.0
    mode = getattr(prep.spec, "interpolation", "bilinear")
    mode = mode if mode in ("bilinear", "bicubic", "nearest") else "bilinear"
    batch = []
    for f in files:
        img = _read_image(f, Image)
        scale = max(h, w) / crop / min(img.shape[-2:])
        size = (max(h, round(img.shape[-2] * scale)), max(w, round(img.shape[-1] * scale)))
        img = F.interpolate(img, size=size, mode=mode, align_corners=False if mode != "nearest" else None)
        top, left = (size[0] - h) // 2, (size[1] - w) // 2
        batch.append(img[..., top:top + h, left:left + w].clamp(0, 255))
    return normalize(prep, torch.cat(batch))


def _read_image(path: Path, Image: Any) -> torch.Tensor:  # noqa: N803 - the PIL.Image module
    """One RGB image as a (1, 3, H, W) float tensor of pixels 0..255; ValueError naming the file."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if im.width * im.height > MAX_IMAGE_PIXELS:
                    raise ValueError(f"calibration image {str(path)!r} has {im.width}x{im.height} pixels, "
                                     f"more than the {MAX_IMAGE_PIXELS // 1_000_000} MP edgerep decodes; "
                                     "resize it or leave it out")
                rgb = im.convert("RGB")
    except ValueError:
        raise
    except (OSError, Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError,
            SyntaxError) as exc:
        raise ValueError(f"calibration image {str(path)!r} cannot be decoded as an image "
                         f"({one_line(exc, 160)})") from None
    data = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8)
    return data.view(rgb.height, rgb.width, 3).permute(2, 0, 1).float()[None]
