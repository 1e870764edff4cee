"""The one image opener: raster formats only, checked sizes, before any pixel is decoded.

Pillow picks a decoder from a file's *content*, not its name, and some of its formats hand the file
to an external program (EPS, PostScript and PDF run Ghostscript on it). Every image edgerep reads
(photos, calibration images, the images inside an InsightFace ``.bin``) is opened here, with an
explicit allow-list of raster formats whose decoders are Pillow's own code (:data:`FORMATS`), and
refused before decoding when it is larger than :data:`MAX_PIXELS`, has a side above
:data:`MAX_SIDE`, or is thinner than 1:\\ :data:`MAX_ASPECT` (a 60000x1 image holds few pixels but
asks a resize to the model's short side for tens of gigabytes).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any, Iterator

# Raster formats decoded by Pillow itself (never EPS, PS, PDF or anything that runs a program).
# (Many phones store JPEGs as MPO, a JPEG with a preview image: Pillow opens those as JPEG.)
FORMATS = ("JPEG", "PNG", "BMP", "WEBP", "TIFF", "GIF")
MAX_PIXELS = 64_000_000  # 64 MP: larger than any camera image edgerep needs
MAX_SIDE = 16384
MAX_ASPECT = 32  # longest side / shortest side


def _pil() -> Any:
    from ._optional import require

    require("PIL")
    from PIL import Image
    # Register exactly the allowed decoders (Image.open(formats=...) looks names up among those loaded).
    from PIL import (BmpImagePlugin, GifImagePlugin, JpegImagePlugin, MpoImagePlugin,  # noqa: F401
                     PngImagePlugin, TiffImagePlugin, WebPImagePlugin)

    return Image


def _format_of(data: bytes) -> str | None:
    """What the file's first bytes say it is, when Pillow would take it as a format we refuse."""
    head = data[:8]
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        return "EPS/PostScript"
    if head.startswith(b"%PDF"):
        return "PDF"
    return None


@contextlib.contextmanager
def open_raster(data: bytes, source: str) -> Iterator[Any]:
    """A PIL image of ``data`` (encoded image bytes) after the checks above; ValueError naming
    ``source`` otherwise. Decoding errors inside the block are reported the same way."""
    Image = _pil()
    allowed = ", ".join(FORMATS)
    other = _format_of(data)
    if other:
        raise ValueError(f"{source} is an {other} file, not a raster image; edgerep reads {allowed} "
                         "(convert it, e.g. to PNG or JPEG)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
                w, h = img.size
                if w < 1 or h < 1:
                    raise ValueError(f"{source} is {w}x{h} pixels: an empty image")
                if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
                    raise ValueError(f"{source} is {w}x{h} pixels, more than edgerep decodes (at most "
                                     f"{MAX_PIXELS // 1_000_000} MP and {MAX_SIDE} pixels a side); resize it")
                if max(w, h) > MAX_ASPECT * min(w, h):
                    raise ValueError(f"{source} is {w}x{h} pixels, a sliver (sides more than {MAX_ASPECT}:1 "
                                     "apart) that no model input is cropped from; crop or pad it")
                yield img
    except ValueError:
        raise
    except Image.UnidentifiedImageError:
        raise ValueError(f"{source} cannot be decoded as an image (not one of {allowed})") from None
    except (OSError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        msg = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ValueError(f"{source} cannot be decoded as an image ({msg})") from None


def read_image_file(path: str | Path, what: str = "image") -> bytes:
    """The bytes of an image file a user named (regular file, size cap: :mod:`edgerep._files`)."""
    from ._files import read_bytes

    return read_bytes(path, what, limit="image")
