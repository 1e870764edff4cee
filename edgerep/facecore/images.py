"""Reading and writing images for the face pipeline (Pillow, raster formats only: decoding never runs code).

Images are H x W x 3 uint8 RGB arrays. Photos are turned upright by their EXIF orientation (a phone
photo is stored sideways with a tag saying so) and converted to RGB (greyscale, palette, RGBA, CMYK
inputs included).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._images import open_raster, read_image_file
from .._io import write_atomic
from .._optional import require

# PIL (the face extra) is imported where used: edgerep runs without it.

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")


def _pil():  # noqa: ANN202
    require("PIL")
    from PIL import Image, ImageOps

    return Image, ImageOps


def decode_image(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Encoded image bytes (JPEG, PNG, ...) as H x W x 3 uint8 RGB (raster formats only, sizes
    checked before decoding: :mod:`edgerep._images`)."""

    _, ImageOps = _pil()
    with open_raster(data, source) as img:
        img = ImageOps.exif_transpose(img)
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def load_image(path: str | Path) -> np.ndarray:
    """The image at ``path`` as H x W x 3 uint8 RGB, upright."""

    return decode_image(read_image_file(path), str(path))


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an H x W x 3 uint8 RGB array as PNG, atomically."""

    Image, _ = _pil()
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), "RGB").save(buf, format="PNG")
    path = Path(path)
    write_atomic(path, buf.getvalue())
    return path


def list_images(directory: Path) -> list[Path]:
    """Image files directly inside ``directory`` (by suffix), sorted by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize (antialiased when shrinking, as MTCNN's MATLAB reference resampled)."""
    Image, _ = _pil()
    return np.asarray(Image.fromarray(image, "RGB").resize((width, height), Image.Resampling.BILINEAR))
