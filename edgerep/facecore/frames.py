"""Phone camera frames: YUV_420_888 to RGB, and points between a frame and its upright view.

The reference for the Android face demo (and the iOS one where it applies); golden vectors ``yuv``
and ``landmarks`` (``python -m tools.conformance``) hold the cases its Kotlin core must reproduce.

**YUV_420_888 to RGB** (:func:`yuv420_to_rgb`): Android's camera format: a Y plane (pixel stride 1,
``y_row_stride`` bytes per row) and U, V planes subsampled 2x2 that share ``uv_row_stride`` and
``uv_pixel_stride`` (1: planar I420; 2: interleaved NV21/NV12 views of one buffer). A plane's last
row may stop right after its last sample (Android does not pad it). Pixel ``(x, y)`` reads
``Y[y * y_row_stride + x]`` and ``U/V[(y >> 1) * uv_row_stride + (x >> 1) * uv_pixel_stride]``.
Full-range BT.601 (JFIF: Y, U, V in 0..255, as Android camera frames are): R = Y + 1.402 (V - 128),
G = Y - 0.34414 (U - 128) - 0.71414 (V - 128), B = Y + 1.772 (U - 128), in 16-bit fixed point so
that every platform gets the same bytes with 32-bit integers: with ``d = U - 128``, ``e = V - 128``::

    R = clamp((65536 * Y + 91881 * e + 32768) >> 16)
    G = clamp((65536 * Y - 22554 * d - 46802 * e + 32768) >> 16)
    B = clamp((65536 * Y + 116130 * d + 32768) >> 16)

``>>`` is the arithmetic shift (floor division by 65536; Kotlin ``shr``, Swift ``>>`` on Int), so
adding 32768 rounds half up; ``clamp`` limits to 0..255. The coefficients are the JFIF ones times
65536, rounded to the nearest integer.

**Frame and view** (:func:`frame_to_view`): a frame of ``width`` x ``height`` (as the sensor delivers
it, before rotation) becomes upright when rotated ``rotation`` degrees clockwise (Android's
``ImageInfo.getRotationDegrees()``), and the front camera's preview is then mirrored left-right.
Coordinates use the pixel-centre convention of :mod:`.alignment` (pixel column ``i`` is at
``x = i``), so a point maps exactly as the pixel under it::

    rotation   0: (x, y) -> (x, y)                  view width x height
    rotation  90: (x, y) -> (height - 1 - y, x)     view height x width
    rotation 180: (x, y) -> (width - 1 - x, height - 1 - y)
    rotation 270: (x, y) -> (y, width - 1 - x)
    then, mirrored: x -> view_width - 1 - x

Mirroring turns a face's left side into the image's right side, so :func:`landmarks_to_view` also
swaps the eyes and the mouth corners (points 0 <-> 1, 3 <-> 4) to keep the template order (the eye
on the image's left first); rotations keep the order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ROTATIONS = (0, 90, 180, 270)
# JFIF full-range BT.601 coefficients as libjpeg states them (1.402, 0.34414, 0.71414, 1.772),
# times 65536, rounded: its FIX() constants.
YUV_COEFFICIENTS = {"r_v": 91881, "g_u": 22554, "g_v": 46802, "b_u": 116130}
_MIRROR_ORDER = (1, 0, 2, 4, 3)


def _plane(data: Any, name: str) -> np.ndarray:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    arr = np.asarray(data)
    if arr.dtype != np.uint8:
        raise TypeError(f"{name} plane must be bytes or a uint8 array, got dtype {arr.dtype}")
    return arr.ravel()


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def yuv420_to_rgb(y: Any, u: Any, v: Any, width: int, height: int, y_row_stride: int,
                  uv_row_stride: int, uv_pixel_stride: int) -> np.ndarray:
    """An Android YUV_420_888 frame (three planes and their strides) as height x width x 3 RGB uint8."""
    width, height = _positive(width, "width"), _positive(height, "height")
    y_row_stride = _positive(y_row_stride, "y_row_stride")
    uv_row_stride = _positive(uv_row_stride, "uv_row_stride")
    uv_pixel_stride = _positive(uv_pixel_stride, "uv_pixel_stride")
    cw, ch = (width + 1) // 2, (height + 1) // 2
    if y_row_stride < width:
        raise ValueError(f"y_row_stride {y_row_stride} is smaller than the width {width}")
    if uv_row_stride < (cw - 1) * uv_pixel_stride + 1:
        raise ValueError(f"uv_row_stride {uv_row_stride} cannot hold {cw} chroma samples {uv_pixel_stride} bytes apart")
    yp, up, vp = _plane(y, "Y"), _plane(u, "U"), _plane(v, "V")
    need_y = (height - 1) * y_row_stride + width
    need_uv = (ch - 1) * uv_row_stride + (cw - 1) * uv_pixel_stride + 1
    for name, plane, need in (("Y", yp, need_y), ("U", up, need_uv), ("V", vp, need_uv)):
        if plane.size < need:
            raise ValueError(f"{name} plane holds {plane.size} bytes, but {width}x{height} with these strides "
                             f"needs at least {need}")
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    luma = yp[rows * y_row_stride + cols].astype(np.int32)
    chroma = (rows >> 1) * uv_row_stride + (cols >> 1) * uv_pixel_stride
    d = up[chroma].astype(np.int32) - 128
    e = vp[chroma].astype(np.int32) - 128
    k = YUV_COEFFICIENTS
    base = luma * 65536 + 32768
    rgb = np.stack([base + k["r_v"] * e, base - k["g_u"] * d - k["g_v"] * e, base + k["b_u"] * d], axis=-1)
    return np.clip(rgb >> 16, 0, 255).astype(np.uint8)


def _rotation(rotation: Any) -> int:
    if isinstance(rotation, bool) or not isinstance(rotation, (int, np.integer)) or int(rotation) not in ROTATIONS:
        raise ValueError(f"rotation {rotation!r} is not supported; allowed: 0, 90, 180, 270 (degrees clockwise)")
    return int(rotation)


def view_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """(width, height) of the upright view of a width x height frame."""
    width, height = _positive(width, "width"), _positive(height, "height")
    return (height, width) if _rotation(rotation) in (90, 270) else (width, height)


def _xy(points: Any) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"points must have shape Nx2 ((x, y) per point), got shape {arr.shape}")
    return arr


def _rotate(p: np.ndarray, width: int, height: int, rotation: int) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    if rotation == 90:
        x, y = (height - 1) - y, x
    elif rotation == 180:
        x, y = (width - 1) - x, (height - 1) - y
    elif rotation == 270:
        x, y = y, (width - 1) - x
    return np.stack([x, y], axis=1)


def frame_to_view(points: Any, width: int, height: int, rotation: int = 0, mirror: bool = False) -> np.ndarray:
    """Points (N x 2) of a width x height frame, in its upright (and optionally mirrored) view."""
    rotation = _rotation(rotation)
    vw, _ = view_size(width, height, rotation)
    out = _rotate(_xy(points), width, height, rotation)
    if mirror:
        out[:, 0] = (vw - 1) - out[:, 0]
    return out


def view_to_frame(points: Any, width: int, height: int, rotation: int = 0, mirror: bool = False) -> np.ndarray:
    """The inverse of :func:`frame_to_view` (``width``, ``height`` still those of the frame)."""
    rotation = _rotation(rotation)
    vw, vh = view_size(width, height, rotation)
    p = _xy(points).copy()
    if mirror:
        p[:, 0] = (vw - 1) - p[:, 0]
    return _rotate(p, vw, vh, (360 - rotation) % 360)


def _landmarks(landmarks: Any) -> np.ndarray:
    arr = _xy(landmarks)
    if arr.shape[0] != 5:
        raise ValueError(f"landmarks must be 5 (x, y) points in template order, got {arr.shape[0]}")
    return arr


def landmarks_to_view(landmarks: Any, width: int, height: int, rotation: int = 0, mirror: bool = False) -> np.ndarray:
    """5 landmarks of a frame in its view, still in template order (swapped when mirrored)."""
    out = frame_to_view(_landmarks(landmarks), width, height, rotation, mirror)
    return out[list(_MIRROR_ORDER)] if mirror else out


def landmarks_to_frame(landmarks: Any, width: int, height: int, rotation: int = 0, mirror: bool = False) -> np.ndarray:
    """5 landmarks of the view back in the frame, in template order (the inverse of :func:`landmarks_to_view`)."""
    lm = _landmarks(landmarks)
    return view_to_frame(lm[list(_MIRROR_ORDER)] if mirror else lm, width, height, rotation, mirror)


def frame_to_view_image(image: np.ndarray, rotation: int = 0, mirror: bool = False) -> np.ndarray:
    """The upright (and optionally mirrored) view of an H x W (x C) frame, as the rules above map it."""
    rotation = _rotation(rotation)
    out = np.rot90(np.asarray(image), k=-(rotation // 90))  # np.rot90 turns counter-clockwise for k > 0
    return np.ascontiguousarray(out[:, ::-1] if mirror else out)
