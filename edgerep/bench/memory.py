"""Peak memory of an in-process runner: growth of the process's peak resident set (RSS).

On Linux the kernel keeps the peak RSS (VmHWM in /proc/self/status) and lets a process reset it to
the current RSS by writing 5 to /proc/self/clear_refs. A record's ``peak_memory_bytes`` is then
``VmHWM after - VmRSS before``: the most resident memory the model's loading and predictions added
at any moment (weights, the runtime's arena and scratch buffers, code it paged in), not the heap
allocations alone. Without the reset (other OSes, or /proc not writable) the peak is only reported
when it rises above the process's earlier peak; otherwise it is unknown (None).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _max_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def release_free_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc), so RSS growth is not
    hidden by memory an earlier record freed but the allocator kept."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            pass


class PeakMemory:
    """Measure peak RSS growth over a ``with`` block; ``bytes`` holds the result (or None)."""

    def __init__(self) -> None:
        self.bytes: int | None = None
        self._rss = 0
        self._peak_before: int | None = None
        self._reset = False

    def __enter__(self) -> PeakMemory:
        release_free_memory()
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
            self._reset = True
        except OSError:
            self._reset = False
        rss = _status_kb("VmRSS")
        self._rss = rss * 1024 if rss is not None else 0
        hwm = _status_kb("VmHWM")
        self._peak_before = hwm * 1024 if hwm is not None else _max_rss_bytes()
        return self

    def __exit__(self, *exc: object) -> None:
        hwm = _status_kb("VmHWM")
        peak = hwm * 1024 if hwm is not None else _max_rss_bytes()
        if peak is None or not self._rss and not self._peak_before:
            self.bytes = None
        elif self._reset:
            self.bytes = max(0, peak - self._rss)
        elif self._peak_before is not None and peak > self._peak_before:
            self.bytes = peak - self._rss if self._rss else peak - self._peak_before
        else:
            self.bytes = None
