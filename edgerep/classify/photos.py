"""A folder of photos for a classifier: which files, which labels, and the model's preprocessing.

Labels come from the layout, as the ImageNet tools lay photos out:

- ``DIR/<class>/*.jpg``: one folder per class (torchvision's ``ImageFolder``);
- ``DIR/<wnid>_*.JPEG``: the class's WordNet id leads the file name (ImageNet sample sets);
- anything else: no labels; the photos still measure agreement between runtimes.

A label becomes a class index by the ImageNet-1k order (the sorted 1,000 wnids, shipped in
``imagenet_wnids.txt``) when every label is an ImageNet wnid and the model has 1,000 classes;
otherwise by the sorted folder names, as ``ImageFolder`` numbers them, when there is one folder per
class of the model. Anything else is an error that says how to get agreement-only figures.

Preprocessing is the model's own (its registry entry, which the exports' metadata repeats): resize
the shorter side to ``size / crop_pct`` with the model's interpolation (Pillow, antialiased, as
timm's and torchvision's evaluation transforms do), centre crop, then ``(x/255 - mean) / std``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..facecore.images import IMAGE_SUFFIXES, load_image

_WNID = re.compile(r"^(n\d{8})_")


@lru_cache(maxsize=1)
def imagenet_wnids() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class ids in class-index order (sorted)."""
    text = resources.files(__package__).joinpath("imagenet_wnids.txt").read_text("ascii")
    return tuple(text.split())


@dataclass(frozen=True)
class Photos:
    """Photo files and, when the layout gives them, their class indices."""

    directory: Path
    files: tuple[Path, ...]
    labels: tuple[int, ...] | None
    label_source: str  # how labels were read, or why there are none

    def __len__(self) -> int:
        return len(self.files)

    def subset(self, start: int, stop: int | None = None) -> Photos:
        """Photos ``start:stop`` in file order (for calibration / evaluation splits)."""
        labels = None if self.labels is None else self.labels[start:stop]
        return Photos(self.directory, self.files[start:stop], labels, self.label_source)


def _images(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def scan(directory: str | Path, num_classes: int, *, labels: bool = True) -> Photos:
    """The photos under ``directory`` and their labels (``labels=False``: agreement only)."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"--images {root}: " + ("not a folder" if root.exists() else "no such folder")
                         + " (give a folder of photos, e.g. ImageNet-style <wnid>/*.JPEG folders)")
    flat = _images(root)
    folders = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    nested = {d.name: _images(d) for d in folders}
    nested = {k: v for k, v in nested.items() if v}
    if flat and nested:
        raise ValueError(f"--images {root} holds photos both at its top and in class folders "
                         f"({', '.join(list(nested)[:3])}); keep one layout")
    if nested:
        files = [f for name in sorted(nested) for f in nested[name]]
        names = [name for name in sorted(nested) for _ in nested[name]]
        source = "class folders"
    else:
        files = flat
        matches = [_WNID.match(f.name) for f in flat]
        names = [m.group(1) for m in matches] if flat and all(matches) else None
        source = "wnid file names" if names else "none (file names carry no class)"
    if not files:
        raise ValueError(f"--images {root} holds no photos ({', '.join(IMAGE_SUFFIXES)})")
    if not labels or names is None:
        return Photos(root, tuple(files), None, source if labels else "none (--no-labels)")
    return Photos(root, tuple(files), tuple(class_indices(names, num_classes, source, root)), source)


def class_indices(names: Sequence[str], num_classes: int, source: str, root: Path) -> list[int]:
    """Label names -> class indices (ImageNet wnid order, or sorted folder names)."""
    wnids = imagenet_wnids()
    if num_classes == len(wnids) and set(names) <= set(wnids):
        index = {w: i for i, w in enumerate(wnids)}
        return [index[n] for n in names]
    classes = sorted(set(names))
    if len(classes) != num_classes:
        raise ValueError(
            f"--images {root}: {len(classes)} classes in its {source} for a model with {num_classes} outputs, "
            "and they are not ImageNet wnids; give one folder per class of the model, or --no-labels "
            "to measure agreement with torch only")
    index = {c: i for i, c in enumerate(classes)}
    return [index[n] for n in names]


def preprocess(rgb: np.ndarray, size: tuple[int, int], crop_pct: float, interpolation: str) -> np.ndarray:
    """An H x W x 3 uint8 photo -> the model's ``size`` (h, w) crop, H x W x 3 uint8: shorter side
    resized to ``size / crop_pct``, centre crop."""
    from PIL import Image

    h, w = size
    scale = max(h, w) / (crop_pct or 1.0) / min(rgb.shape[:2])
    rh, rw = max(h, round(rgb.shape[0] * scale)), max(w, round(rgb.shape[1] * scale))
    resample = {"bicubic": Image.BICUBIC, "nearest": Image.NEAREST}.get(interpolation, Image.BILINEAR)
    resized = np.asarray(Image.fromarray(rgb).resize((rw, rh), resample))
    top, left = (rh - h) // 2, (rw - w) // 2
    return np.ascontiguousarray(resized[top:top + h, left:left + w])


def normalize(crops: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """N x H x W x 3 uint8 crops -> N x 3 x H x W float32 ``(x/255 - mean) / std``."""
    x = crops.astype(np.float32) / np.float32(255.0)
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def load_crops(photos: Photos, size: tuple[int, int], crop_pct: float, interpolation: str,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Every photo preprocessed: N x H x W x 3 uint8."""
    out = np.empty((len(photos), *size, 3), np.uint8)
    for i, f in enumerate(photos.files):
        out[i] = preprocess(load_image(f), size, crop_pct, interpolation)
        if progress:
            progress(i + 1)
    return out

