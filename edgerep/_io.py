"""Files written atomically (checkpoints, exports, reports, caches), hashed, and converters kept quiet.

Imports nothing heavy: the CLI and the bench command use it before torch is loaded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and make sure files can be written there, before any work."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".edgerep-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OSError(f"output directory {str(directory)!r} is not writable ({exc.strerror or exc}); "
                      "pass --output with a writable path") from None


def temp_path_for(dest: Path) -> Path:
    """A hidden unused path next to ``dest`` (same file system, so the final rename is atomic)."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp{dest.suffix}")


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def commit(tmp: Path, dest: Path) -> None:
    """Move ``tmp`` (a file or a directory such as an .mlpackage) onto ``dest``, replacing it."""
    if tmp.is_dir() and dest.exists():
        # os.replace cannot replace a non-empty directory: move the old one aside first.
        old = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(dest, old)
        try:
            os.replace(tmp, dest)
        except BaseException:
            os.replace(old, dest)
            raise
        remove(old)
    else:
        os.replace(tmp, dest)


@contextlib.contextmanager
def staged(*dests: Path) -> Iterator[list[Path]]:
    """Yield temporary paths for ``dests``; on success rename them all into place, else delete them.

    Cleans up on any exception, KeyboardInterrupt included, so a failed export leaves nothing behind.
    """
    tmps = [temp_path_for(d) for d in dests]
    try:
        yield tmps
        for tmp, dest in zip(tmps, dests):
            commit(tmp, dest)
    finally:
        for tmp in tmps:
            if tmp.exists():
                remove(tmp)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` through a temporary file in the same directory, then rename (never half-written)."""
    with staged(Path(path)) as (tmp,):
        if isinstance(data, str):
            tmp.write_text(data, "utf-8")
        else:
            tmp.write_bytes(data)


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` (sorted keys, indented), fsynced."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=False, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def quiet(enabled: bool = True) -> Iterator[None]:
    """Silence converters' progress bars, warnings and import chatter (at the file-descriptor level,
    so messages printed by C extensions are silenced too). ``EDGEREP_VERBOSE=1`` shows everything.
    """
    if not enabled or os.environ.get("EDGEREP_VERBOSE"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = []
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
            except OSError:  # no such descriptor (embedded interpreters)
                continue
        with open(os.devnull, "w") as null, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for fd, _ in saved:
                os.dup2(null.fileno(), fd)
            with contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
                yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def reuse_last_load(load: Callable[[Path, int], T]) -> Callable[[Path, int], T]:
    """Wrap ``load(path, threads)`` so that repeated calls on an unchanged file reuse the last result.

    Verification runs a few batches through the same artifact; loading an onnxruntime session or a
    LiteRT interpreter (with its XNNPACK delegate) for each one cost more than the inferences. The
    key includes the file's size and modification time, so a rewritten file is loaded again; only
    the most recent load is kept.
    """

    @functools.lru_cache(maxsize=1)
    def cached(path: str, threads: int, size: int, mtime_ns: int) -> T:
        return load(Path(path), threads)

    @functools.wraps(load)
    def wrapper(path: Path, threads: int = 1) -> T:
        st = os.stat(path)
        return cached(str(Path(path).resolve()), threads, st.st_size, st.st_mtime_ns)

    wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return wrapper
