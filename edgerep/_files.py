"""The one reader for files a user names: regular files only, size caps, JSON with limits.

Every file edgerep reads because a user named it (checkpoints, images, galleries, landmarks, photo
and artifact sidecars, reports, benchmark logs, calibration arrays, ``.bin`` pair files) is checked
here first:

- it must exist and be a regular file: a folder, a device (``/dev/zero``) or a FIFO is refused with
  one line that says which, *before* it is opened (opening a FIFO for reading blocks until someone
  writes to it); the file is then opened with ``O_NONBLOCK`` and checked again on the open
  descriptor, so a path swapped for a FIFO in between cannot block either;
- it is read up to a size cap (per kind of file, :data:`LIMITS`), never further;
- JSON is parsed with limits: at most :data:`MAX_JSON_DEPTH` levels of nesting, and (unless a schema
  names the field itself) no ``NaN``/``Infinity``, no number beyond float64's range and no integer
  beyond 64 bits, each refused with the field's path.

Imports nothing heavy (the CLI uses it before torch is loaded).
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, Callable

MB = 1 << 20
# Size caps, by what the file is: far above any real file of that kind, far below a bomb.
LIMITS = {
    "json": 256 * MB,        # galleries of thousands of identities, reports, sidecars
    "image": 100 * MB,       # one photo
    "log": 64 * MB,          # a benchmark_model log or logcat dump
    "bin": 2048 * MB,        # an InsightFace .bin pair file (lfw.bin is ~60 MB, the largest ~1 GB)
    "array": 4096 * MB,      # a calibration .npy / .pt
    "checkpoint": 8192 * MB,  # a state dict
}
MAX_JSON_DEPTH = 64
MAX_ZIP_RATIO = 100  # uncompressed / compressed: weights barely compress (torch.save stores them as-is)
MAX_INT = 2**63 - 1


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | os.PathLike, what: str, *, limit: str | int | None = None) -> Path:
    """``path`` if it names an existing regular file (of at most ``limit`` bytes); else
    FileNotFoundError or ValueError with one line naming ``what`` and the path."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    except NotADirectoryError:
        raise FileNotFoundError(f"{what} {path} does not exist (a part of the path is a file)") from None
    except OSError as exc:
        raise OSError(f"{what} {path} cannot be read ({exc.strerror or exc})") from None
    _check_stat(st, path, what, limit)
    return path


def _check_stat(st: os.stat_result, path: Path, what: str, limit: str | int | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{what} {path} is {kind_of(st.st_mode)}, not a regular file; give a file")
    cap = LIMITS[limit] if isinstance(limit, str) else limit
    if cap is not None and st.st_size > cap:
        raise ValueError(f"{what} {path} is {st.st_size / MB:.1f} MB, more than such a file holds "
                         f"(at most {cap / MB:.0f} MB); is it the right file?")


def read_bytes(path: str | os.PathLike, what: str, *, limit: str | int = "json") -> bytes:
    """The bytes of a regular file (see :func:`check_regular`), read without ever blocking on a FIFO
    and never past ``limit``."""
    path = check_regular(path, what, limit=limit)
    cap = LIMITS[limit] if isinstance(limit, str) else limit
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise OSError(f"{what} {path} cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        _check_stat(os.fstat(fh.fileno()), path, what, limit)  # the path may have changed since
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"{what} {path} grew beyond {cap / MB:.0f} MB while being read")
    return data


def read_text(path: str | os.PathLike, what: str, *, limit: str | int = "json") -> str:
    data = read_bytes(path, what, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path} is not UTF-8 text (byte {exc.start}); is it the right file?") from None


def check_zip(path: str | os.PathLike, what: str, *, limit: str | int = "checkpoint") -> None:
    """ValueError when the zip archive at ``path`` would expand beyond ``limit`` or more than
    :data:`MAX_ZIP_RATIO` times its size (a zip bomb), judged from its directory before anything is
    decompressed. Archives that are not zips are left to their reader."""
    import zipfile

    cap = LIMITS[limit] if isinstance(limit, str) else limit
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(max(i.file_size, 0) for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    size = os.stat(path).st_size
    if total > cap or total > MAX_ZIP_RATIO * size + MB:
        raise ValueError(f"{what} {path} is a zip archive of {size / MB:.1f} MB that would expand to "
                         f"{total / MB:,.0f} MB (a zip bomb?); refusing to decompress it")


class JsonLimitError(ValueError):
    """JSON that is not valid or exceeds a limit; ``field`` is the path of the offending value."""

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source, self.field, self.reason = source, field, message
        super().__init__(f"{source}: {field + ': ' if field else ''}{message}")


def parse_json(text: str | bytes, source: str, *, numbers: bool = True) -> Any:
    """``text`` parsed as JSON, refusing nesting deeper than :data:`MAX_JSON_DEPTH` and (with
    ``numbers``) NaN, Infinity, numbers beyond float64 and integers beyond 64 bits, naming the field."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonLimitError(source, "", f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise JsonLimitError(source, "", f"nested too deeply (JSON of more than {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError) as exc:  # 5000-digit integers, bad bytes
        raise JsonLimitError(source, "", f"not valid JSON ({str(exc).splitlines()[0][:120]})") from None
    problem = json_problem(doc, numbers=numbers)
    if problem:
        raise JsonLimitError(source, *problem)
    return doc


def json_problem(doc: Any, *, numbers: bool = True) -> tuple[str, str] | None:
    """(field path, message) of the first value beyond the limits (see :func:`parse_json`), or None.

    Iterative (a deep document cannot exhaust the stack), depth first.
    """
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                return path or "(top level)", f"nested too deeply (JSON of more than {MAX_JSON_DEPTH} levels)"
            if isinstance(value, dict):
                children = [(v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in value.items()]
            else:
                children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
            stack.extend(reversed(children))
        elif numbers and isinstance(value, float) and not math.isfinite(value):
            return path or "(top level)", f"{value!r} is not a finite number (JSON numbers must be finite)"
        elif numbers and isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            return path or "(top level)", f"an integer of {len(str(abs(value)))} digits is beyond 64 bits"
    return None


def load_json(path: str | os.PathLike, what: str, *, numbers: bool = True,
              error: Callable[[str, str, str], Exception] | None = None) -> Any:
    """A JSON file a user named, through :func:`read_text` and :func:`parse_json`.

    ``error(source, field, message)`` builds the exception raised for bad JSON (default
    :class:`JsonLimitError`, whose line reads ``WHAT 'path': field: message``).
    """
    text = read_text(path, what, limit="json")
    source = f"{what} {path}"
    try:
        return parse_json(text, source, numbers=numbers)
    except JsonLimitError as exc:
        if error is None:
            raise
        raise error(str(path), exc.field, exc.reason) from None


def dumps_finite(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that refuses NaN and Infinity (a ValueError naming the first such field)."""
    problem = json_problem(obj, numbers=True)
    if problem:
        raise ValueError(f"refusing to write JSON: {problem[0]}: {problem[1]}")
    return json.dumps(obj, allow_nan=False, **kwargs)
