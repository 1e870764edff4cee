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
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C (every ``staged`` block cleans up), then the
    CLI exits with 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


_terminated: list[int] = []  # signals received inside terminate_as_exception (process state)
_saved_handlers: dict[int, Any] = {}  # the handlers to put back by restore_signal_handlers()


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Inside the block, Ctrl-C raises KeyboardInterrupt and SIGTERM/SIGHUP raise :class:`Terminated`.

    The *first* signal decides: it raises once, and every later signal (a second Ctrl-C, SIGTERM
    after Ctrl-C, ten Ctrl-C in a row) is recorded and otherwise ignored, so the cleanup that the
    first one started (every ``staged`` block) finishes, and the exit status is the first signal's
    (130 for Ctrl-C, 128 + N for SIGTERM/SIGHUP). A signal that lands in code which swallows
    exceptions (a weakref callback during an import, say, or a converter that wraps it in its own
    error) is not lost: :func:`raise_if_terminated` raises it again at the next safe point, and
    :func:`staged` calls it before committing anything.

    After a signal, the handlers stay in place (recording only) until :func:`restore_signal_handlers`;
    the CLI then ignores these signals for the rest of the process (:func:`ignore_signals`), so one
    sent just after the cleanup cannot kill it before it exits with the first one's status.
    """
    import signal

    def handler(signum: int, frame: Any) -> None:
        first = not _terminated
        _terminated.append(signum)
        if first:
            raise KeyboardInterrupt if signum == signal.SIGINT else Terminated(signum)

    restore_signal_handlers()  # handlers a previous signal left in place (an in-process caller's second run)
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
        if sig is not None:
            try:
                _saved_handlers[sig] = signal.signal(sig, handler)
            except ValueError:  # not the main thread: leave the process's handling alone
                pass
    try:
        yield
        raise_if_terminated()
    finally:
        if not _terminated:
            restore_signal_handlers()


def restore_signal_handlers() -> None:
    """Put back the handlers :func:`terminate_as_exception` replaced (and forget received signals)."""
    import signal

    for sig, old in _saved_handlers.items():
        signal.signal(sig, old)
    _saved_handlers.clear()
    _terminated.clear()


def ignore_signals() -> None:
    """Ignore SIGINT/SIGTERM/SIGHUP from now on (the handlers they replaced stay saved for
    :func:`restore_signal_handlers`). Used once a signal has decided the exit status: the
    interpreter's shutdown puts Python-level handlers back to the default action (which kills),
    but leaves ignored signals ignored, so a late signal cannot change the status."""
    import signal

    for sig in list(_saved_handlers):
        signal.signal(sig, signal.SIG_IGN)


def signalled() -> bool:
    """Whether a signal arrived inside the current :func:`terminate_as_exception` block."""
    return bool(_terminated)


def raise_if_terminated() -> None:
    """Raise the first received signal's exception again if it was swallowed (KeyboardInterrupt for
    Ctrl-C, :class:`Terminated` otherwise)."""
    if _terminated:
        import signal

        if _terminated[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(_terminated[0])


def check_output(path: Path, *, directory_artifact: bool = False) -> None:
    """Refuse, before any work, an output path that exists and is not a regular file edgerep may
    replace: a symbolic link, a device or pipe, or a folder (a folder is replaced only when the
    artifact itself is one, e.g. an .mlpackage holding a Manifest.json)."""
    if path.is_symlink():
        raise ValueError(f"output {str(path)!r} is a symbolic link; edgerep does not write through links: "
                         "pass the path it points to, or another name")
    if not path.exists():
        return
    if path.is_dir():
        if directory_artifact and (path / "Manifest.json").is_file():
            return
        raise ValueError(f"output {str(path)!r} is an existing folder; remove it or choose another name")
    if not path.is_file():
        raise ValueError(f"output {str(path)!r} exists and is not a regular file (a device or pipe); "
                         "choose another name")


def check_distinct(paths: Iterable[Path | str | None]) -> None:
    """ValueError when two outputs of one command name the same file."""
    seen: dict[Path, str] = {}
    for p in paths:
        if p is None:
            continue
        key = Path(os.path.abspath(p))
        if key in seen:
            raise ValueError(f"two outputs name the same file {str(p)!r}; give each output its own path")
        seen[key] = str(p)


def make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and missing parents; return those created (deepest first), so a failed
    command can remove what it made (:func:`remove_empty_dirs`)."""
    missing = []
    d = Path(directory)
    while not d.exists() and d != d.parent:
        missing.append(d)
        d = d.parent
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except BaseException as exc:
        remove_empty_dirs(missing)
        if not isinstance(exc, OSError):
            raise
        raise OSError(f"output directory {str(directory)!r} is not writable (cannot create it: {exc.strerror or exc}); "
                      "pass --output with a writable path") from None
    return missing


def remove_empty_dirs(dirs: Iterable[Path]) -> None:
    for d in dirs:  # deepest first
        try:
            d.rmdir()
        except OSError:  # not empty (something else wrote there) or already gone
            pass


def check_writable(directory: Path) -> list[Path]:
    """Create ``directory`` if needed and make sure files can be written there, before any work.

    Returns the directories it created (see :func:`make_dirs`).
    """
    created = make_dirs(directory)
    probe = None
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".edgerep-probe-")
        os.close(fd)
    except BaseException as exc:
        remove_empty_dirs(created)
        if not isinstance(exc, OSError):
            raise
        raise OSError(f"output directory {str(directory)!r} is not writable ({exc.strerror or exc}); "
                      "pass --output with a writable path") from None
    finally:
        if probe is not None:
            os.unlink(probe)
    return created


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory if directory.exists() else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def temp_path_for(dest: Path, tag: str = "tmp") -> Path:
    """A hidden unused path next to ``dest`` (same file system, so the final rename is atomic).

    It keeps ``dest``'s suffix (converters choose the format by it); a name too long to extend
    gets a short one instead, so any legal ``dest`` works.
    """
    token = uuid.uuid4().hex[:8]
    name = f".{dest.name}.{token}.{tag}{dest.suffix}"
    if len(name.encode()) > _name_max(dest.parent):
        name = f".edgerep-{token}.{tag}{dest.suffix}"
    return dest.with_name(name)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def commit(tmps: list[Path], dests: list[Path]) -> None:
    """Move every ``tmps[i]`` (file or directory) onto ``dests[i]``, all or nothing.

    Existing destinations are moved aside first and put back if any rename fails (or a signal
    arrives), so an artifact and its sidecar are replaced together or not at all.
    """
    moved: list[tuple[Path, Path | None]] = []
    try:
        for tmp, dest in zip(tmps, dests):
            backup = None
            if os.path.lexists(dest):
                backup = temp_path_for(dest, "old")
                os.replace(dest, backup)
            moved.append((dest, backup))
            os.replace(tmp, dest)
    except BaseException:
        for dest, backup in reversed(moved):
            if os.path.lexists(dest):  # ours: the old one was moved aside first (or there was none)
                remove(dest)
            if backup is not None:
                os.replace(backup, dest)
        raise
    for _, backup in moved:
        if backup is not None:
            remove(backup)


class Staging(list):
    """The temporary paths :func:`staged` yields; ``dests`` is where they go on success, and may be
    changed inside the block (to paths in the same folders), e.g. to keep a failed export beside a
    good one instead of over it (:func:`failed_path`)."""

    dests: list[Path]


def failed_path(dest: Path) -> Path:
    """Where an artifact that failed verification goes instead of ``dest``: ``m.onnx`` ->
    ``m.FAILED.onnx`` (``dest`` itself, and whatever good artifact is there, is left as it was)."""
    suffix = dest.suffix
    stem = dest.name[: len(dest.name) - len(suffix)]
    room = _name_max(dest.parent) - len((".FAILED" + suffix + ".json").encode())  # the sidecar must fit too
    while len(stem.encode()) > room:  # a long legal name: shorten its stem, never the marker
        stem = stem[:-1]
    return dest.with_name(stem + ".FAILED" + suffix)


@contextlib.contextmanager
def staged(*dests: Path) -> Iterator[Staging]:
    """Yield temporary paths for ``dests``; on success rename them all into place, else delete them.

    Cleans up on any exception, KeyboardInterrupt and :class:`Terminated` included, so a failed
    export leaves nothing behind; the renames at the end are all-or-nothing (:func:`commit`).
    """
    tmps = Staging(temp_path_for(Path(d)) for d in dests)
    tmps.dests = [Path(d) for d in dests]
    try:
        yield tmps
        raise_if_terminated()
        commit(list(tmps), tmps.dests)
    finally:
        for tmp in tmps:
            if os.path.lexists(tmp):
                remove(tmp)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` through a temporary file in the same directory, then rename (never half-written)."""
    with staged(Path(path)) as (tmp,):
        if isinstance(data, str):
            tmp.write_text(data, "utf-8")
        else:
            tmp.write_bytes(data)


def tree_bytes(path: Path) -> int:
    """Size of a file, or of every file under a directory (an .mlpackage)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tree_sha256(path: Path) -> str:
    """sha256 of a file, or of a directory artifact (an .mlpackage): its files' relative paths and
    contents, in sorted order."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        digest.update(p.relative_to(path).as_posix().encode() + b"\0" + bytes.fromhex(file_sha256(p)))
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a regular file (a device such as /dev/zero or a FIFO is refused, never read)."""
    from ._files import check_regular

    check_regular(path, "file")
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
