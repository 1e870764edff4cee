"""Real images for int8 calibration and drift checks, from the photos scikit-image ships.

scikit-image's wheel carries a few photographs and the ``lfw_subset`` faces in its ``data`` folder
(nothing is downloaded; scikit-image itself is not even imported: the files are read with Pillow
and numpy, without pickle). Two disjoint splits, by source photo, so that a drift measured on
``"evaluation"`` never sees an image the ``"calibration"`` split calibrated on:

- ``photos``: square crops (centre, three corners at 60% scale, mirrored) of 8 photos per split.
- ``faces``: ``lfw_subset`` holds 100 Labeled-Faces-in-the-Wild crops (25x25 grey) then 100
  non-faces; faces 0-49 calibrate, faces 50-99 evaluate, upscaled to the model's input (RGB by
  repeating the grey channel).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SPLITS = ("calibration", "evaluation")
PHOTOS = {
    "calibration": ("astronaut.png", "coffee.png", "chelsea.png", "hubble_deep_field.jpg", "ihc.png",
                    "motorcycle_left.png", "camera.png", "grass.png"),
    "evaluation": ("rocket.jpg", "retina.jpg", "color.png", "coins.png", "moon.png", "brick.png",
                   "gravel.png", "clock_motion.png"),
}
FACES = {"calibration": range(0, 50), "evaluation": range(50, 100)}
_CROPS = ((0.5, 0.5, 1.0), (0.3, 0.3, 0.6), (0.7, 0.3, 0.6), (0.5, 0.7, 0.6))  # (cx, cy, side) in [0, 1]


def data_dir() -> Path | None:
    """scikit-image's ``data`` folder, or None when scikit-image is not installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "lfw_subset.npy").is_file() else None


def _require_dir() -> Path:
    folder = data_dir()
    if folder is None:
        raise ImportError("the sample images come from scikit-image's data folder: "
                          "pip install scikit-image (or pass --calibration DIR)")
    return folder


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")


def photos(split: str, size: tuple[int, int]) -> np.ndarray:
    """Raw RGB crops (N, 3, H, W) float32 in [0, 255] of the ``split`` photos, resized to ``size``."""
    from PIL import Image

    from .._images import open_raster, read_image_file

    _check_split(split)
    folder = _require_dir()
    h, w = size
    out = []
    for name in PHOTOS[split]:
        with open_raster(read_image_file(folder / name), name) as im:
            img = im.convert("RGB")
        side0 = min(img.size)
        for k, (cx, cy, frac) in enumerate(_CROPS):
            side = side0 * frac
            left = min(max(cx * img.width - side / 2, 0), img.width - side)
            top = min(max(cy * img.height - side / 2, 0), img.height - side)
            crop = img.resize((w, h), Image.BILINEAR, box=(left, top, left + side, top + side))
            if k % 2:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            out.append(np.asarray(crop, dtype=np.float32).transpose(2, 0, 1))
    return np.stack(out)


def faces(split: str, size: tuple[int, int]) -> np.ndarray:
    """Raw RGB faces (N, 3, H, W) float32 in [0, 255] of the ``split`` half of ``lfw_subset``."""
    from PIL import Image

    _check_split(split)
    grey = np.load(_require_dir() / "lfw_subset.npy", allow_pickle=False)
    h, w = size
    out = []
    for i in FACES[split]:
        img = Image.fromarray(np.clip(grey[i] * 255.0, 0, 255).astype(np.uint8), "L")
        rgb = np.asarray(img.resize((w, h), Image.BICUBIC).convert("RGB"), dtype=np.float32)
        out.append(rgb.transpose(2, 0, 1))
    return np.stack(out)


def images(task: str, split: str, size: tuple[int, int]) -> np.ndarray:
    """The images that suit ``task``: faces for face-embedding models, photos otherwise."""
    return faces(split, size) if task == "face-embedding" else photos(split, size)
