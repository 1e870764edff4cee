"""The timing loop shared by every runtime: rounds of (load, warm-up, timed predictions)."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Callable

from .runners import Loader
from .stats import Protocol


@dataclass(frozen=True)
class Measurement:
    load_ms: float  # instantiation in the first round
    first_ms: float  # the first prediction after that load
    rounds: list[list[float]]  # timed samples per round


def measure(loader: Loader, protocol: Protocol, clock_ns: Callable[[], int] = time.perf_counter_ns) -> Measurement:
    """Run ``protocol`` on ``loader``; the model is reloaded every round when ``protocol.reload``.

    The first prediction after the first load is reported separately (``first_ms``); it counts as
    that round's first warm-up, or as its first timed sample when the protocol has no warm-up.
    ``clock_ns`` is a monotonic clock in integer nanoseconds, as the harnesses use
    (``System.nanoTime``, ``DispatchTime.uptimeNanoseconds``): every duration is
    ``(end - start) / 1e6`` ms in all three implementations.
    """
    rounds: list[list[float]] = []
    load_ms = first_ms = 0.0
    predict = None
    for r in range(protocol.rounds):
        if predict is None or protocol.reload:
            predict = None
            gc.collect()  # free the previous round's model before building the next
            t0 = clock_ns()
            predict = loader()
            if r == 0:
                load_ms = (clock_ns() - t0) / 1e6
        samples: list[float] = []
        for i in range(protocol.warmup + protocol.iterations):
            t0 = clock_ns()
            predict()
            elapsed = (clock_ns() - t0) / 1e6
            if r == 0 and i == 0:
                first_ms = elapsed
            if i >= protocol.warmup:
                samples.append(elapsed)
        rounds.append(samples)
    return Measurement(load_ms=load_ms, first_ms=first_ms, rounds=rounds)
