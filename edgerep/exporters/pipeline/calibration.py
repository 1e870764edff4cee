"""int8 calibration data: from the user's images or arrays, or random images, in one form.

Image folders give raw pixels (resized and center-cropped as the model expects; for face-embedding
models every face in every photo is detected and aligned first, as the face pipeline does);
``.npy``/``.pt`` files and tensors hold normalized images (``(x/255 - mean) / std``), as documented.
Every fifth sample is held out of calibration: the export's int8 check runs on them (images of the
calibration domain, never seen by the quantizer).
:meth:`Calibration.graph_input` turns either into what the exported graph takes
(normalized, raw pixels, or centred pixels), so nothing is normalized only to be undone. With neither,
scikit-image's sample photos (faces for face models; :mod:`.samples`), or random images without it.

Files are read by paths that cannot run code: numpy with ``allow_pickle=False``, torch with
``weights_only=True``, Pillow with a pixel limit checked before decoding.
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from edgerep._files import check_regular, check_zip
from edgerep._text import one_line
from edgerep.facecore.alignment import align
from edgerep.facecore.detect import MTCNN
from edgerep.weights import check_dense

from ..._images import open_raster, read_image_file
from . import samples
from .prepare import Graph, Prepared, graph_input, reference_inputs

# PIL (the face extra) is imported where used: tensor and array calibration files need no image library.

RANDOM_IMAGES = 32  # the calibration set without user images or scikit-image (the export notes say so)
LIMIT = 640  # images read from a folder or array at most
HOLD_OUT_EVERY = 5  # every fifth sample is held out for the int8 check
MIN_SAMPLES = 10  # fewer usable samples: an error (8 to calibrate on, 2 to check on)


@dataclass(frozen=True)
class Calibration:
    """Calibration images and how they were obtained (for the log and the artifact's notes)."""

    images: torch.Tensor  # (N, 3, H, W)
    pixels: bool  # raw pixels 0..255 (True) or normalized images (False)
    source: str  # for the log: "32 random images (...)", "64 images from imgs/"
    note: str = ""  # for the artifact's notes (random images: the int8 ranges are not real ones)
    held_out: torch.Tensor | None = None  # same form as images: what the int8 check runs on
    domain: str = ""  # what the held-out images are, for the verification line
    given: bool = True  # the user's images (False: the default edgerep picked)

    def held_out_pixels(self, prep: Prepared) -> torch.Tensor | None:
        """The held-out images as raw pixels (what the export's verification feeds), or None."""
        if self.held_out is None:
            return None
        if self.pixels:
            return self.held_out
        if prep.mean is None or prep.std is None:
            return (self.held_out + 1.0) * 127.5
        mean = torch.tensor(prep.mean).view(1, -1, 1, 1)
        std = torch.tensor(prep.std).view(1, -1, 1, 1)
        return (self.held_out * std + mean) * 255.0

    def graph_input(self, prep: Prepared, graph: Graph) -> torch.Tensor:
        """The images as the exported graph takes its input (before any layout change)."""
        if self.pixels:
            return graph_input(prep, graph, self.images)
        if graph.input_kind == "tensor":
            return self.images
        # Normalized images given for a graph that takes pixels: (x_n * std + mean) * 255.
        mean = torch.tensor(prep.mean).view(1, -1, 1, 1)
        std = torch.tensor(prep.std).view(1, -1, 1, 1)
        return graph_input(prep, graph, (self.images * std + mean) * 255.0)


def default(prep: Prepared) -> Calibration:
    """The calibration set when the user gives none, and a note saying what it is.

    Real images when scikit-image is installed: its shipped photos, or for face-embedding models
    aligned colour faces (:func:`.samples.faces`: the astronaut photo's face, detected, aligned and
    varied); the ``"calibration"`` split, the ``"evaluation"`` split held out for the int8 check.
    :data:`RANDOM_IMAGES` random images otherwise. Random noise gives activation ranges unlike real
    images', so the note says which it was.
    """

    if samples.data_dir() is not None:
        size = prep.input_size
        images = torch.from_numpy(samples.images(prep.task, "calibration", size)).float()
        held = torch.from_numpy(samples.images(prep.task, "evaluation", size)).float()
        kind = samples.describe(prep.task)
        what = f"{len(images)} {kind} shipped with scikit-image"
        return Calibration(images, pixels=True, source=f"{what} (pass --calibration DIR with images like yours)",
                           note=f"int8 calibrated on {what} (pass --calibration DIR with images like yours)",
                           held_out=held, domain=f"{len(held)} held-out {kind}", given=False)
    images = reference_inputs(prep, batch=RANDOM_IMAGES, n=1, seed=1234)[0]
    return Calibration(
        images, pixels=True,
        source=f"{RANDOM_IMAGES} random images (pass --calibration DIR with real images for accuracy)",
        note=f"int8 calibrated on {RANDOM_IMAGES} random images (pip install scikit-image for real sample "
             "photos, or pass --calibration DIR)", given=False)


def load(source: Any, prep: Prepared, limit: int = LIMIT) -> Calibration:
    """Calibration from a folder of images, a .npy/.pt file, or a tensor/array of normalized images."""
    name = "the calibration data"
    pixels = False
    if isinstance(source, torch.Tensor):
        x = source
    elif hasattr(source, "__array__"):
        x = torch.as_tensor(np.asarray(source))
    else:
        path = Path(source)
        name = str(path)
        if path.is_dir():
            x, pixels = (_load_faces(path, prep, limit) if prep.task == "face-embedding"
                         else _load_images(path, prep, limit)), True
        elif not path.exists():
            raise ValueError(f"calibration {name!r} does not exist; pass a directory of images or a "
                             ".npy/.pt file")
        else:
            check_regular(path, "calibration", limit="array")  # a FIFO or device: one line, never read
            if path.suffix == ".npy":
                x = _load_npy(path)
            elif path.suffix in (".pt", ".pth"):
                check_zip(path, "calibration")  # a zip bomb is refused before torch decompresses it
                x = _load_pt(path)
            else:
                raise ValueError(
                    f"calibration {name!r} is not a directory of images, a .npy or a .pt file"
                )
    if isinstance(x, torch.Tensor):
        check_dense(x, f"calibration {name!r}")  # sparse, meta, quantized, a stride-0 view of terabytes
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
    peak = float(x.abs().max())
    if peak > MAX_CALIBRATION_VALUE:  # 3e38 ended in the quantizer's "AssertionError: scale issue"
        raise ValueError(f"calibration {name!r} holds values up to {peak:.3g}; images (pixels 0..255 or "
                         f"normalized) stay within {MAX_CALIBRATION_VALUE:g}: is this image data?")
    x = x[:limit]
    kind = "aligned faces" if pixels and prep.task == "face-embedding" else "images"
    if len(x) < MIN_SAMPLES:
        raise ValueError(f"calibration {name!r} gives {len(x)} usable {kind}; int8 needs at least {MIN_SAMPLES} "
                         f"(every {HOLD_OUT_EVERY}th is held out to check the export): add images like yours")
    held = torch.arange(len(x)) % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1
    return Calibration(x[~held], pixels, source=f"{int((~held).sum())} {kind} from {name} "
                       f"({int(held.sum())} more held out for the int8 check)",
                       held_out=x[held], domain=f"{int(held.sum())} held-out {kind} from {name}")


_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
MAX_CALIBRATION_VALUE = 1e4


def _load_npy(path: Path) -> torch.Tensor:
    try:
        # Memory-mapped first: a header claiming more data than the file holds fails here, unallocated.
        return torch.from_numpy(np.array(np.load(path, allow_pickle=False, mmap_mode="r")))
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ValueError(f"calibration {str(path)!r} holds Python objects (a pickled array), which "
                             "edgerep does not unpickle; save a plain numeric array with np.save") from None
        raise ValueError(f"calibration {str(path)!r} is not a valid .npy array ({one_line(exc, 200)})") from None
    except Exception as exc:  # noqa: BLE001 - allow_pickle=False ran no code: any failure is a broken file
        raise ValueError(f"calibration {str(path)!r} cannot be read ({type(exc).__name__}: "
                         f"{one_line(exc, 200)})") from None


def _load_pt(path: Path) -> torch.Tensor:
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


def _load_images(directory: Path, prep: Prepared, limit: int) -> torch.Tensor:
    """Pixels 0..255 (N, 3, H, W), resized and center-cropped as the model expects."""
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
    return torch.cat(batch)


def _load_faces(directory: Path, prep: Prepared, limit: int) -> torch.Tensor:
    """Every face in the photos of ``directory``, detected (MTCNN) and aligned as the face pipeline
    does, as raw pixels (N, 3, H, W); faces the detector misses are not counted."""

    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Pillow is needed to read calibration images: pip install pillow") from None
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ValueError(f"calibration directory {str(directory)!r} holds no images "
                         f"({', '.join(sorted(_IMAGE_SUFFIXES))})")
    h, w = prep.input_size
    if h != w:
        raise ValueError(f"face calibration aligns square faces; {prep.name} takes {h}x{w}")
    detector = MTCNN()
    crops = []
    for f in files:
        rgb = _read_image(f, Image)[0].permute(1, 2, 0).to(torch.uint8).numpy()
        for face in detector.detect(rgb):
            crops.append(torch.from_numpy(align(rgb, face.landmarks, h).copy()).permute(2, 0, 1).float())
            if len(crops) >= limit:
                return torch.stack(crops)
    if not crops:
        raise ValueError(f"calibration directory {str(directory)!r}: no face found in its {len(files)} image(s); "
                         "face models calibrate on faces (photos with visible faces)")
    return torch.stack(crops)


def _read_image(path: Path, Image: Any) -> torch.Tensor:  # noqa: N803 - the PIL.Image module
    """One RGB image as a (1, 3, H, W) float tensor of pixels 0..255; ValueError naming the file."""

    name = f"calibration image {str(path)!r}"
    with open_raster(read_image_file(path, "calibration image"), name) as im:
        rgb = im.convert("RGB")
    data = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8)
    return data.view(rgb.height, rgb.width, 3).permute(2, 0, 1).float()[None]
