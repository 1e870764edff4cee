"""Measurement protocols and the statistics computed from their timed samples.

Pure Python (no torch, no numpy), so that ingesting device reports needs nothing heavy.

A protocol runs ``rounds`` rounds. Each round (re)loads the model when ``reload`` is set, runs
``warmup`` untimed predictions, then ``iterations`` timed ones. Apple's ModelBench, behind every
MobileOne/FastViT latency figure, is 20 rounds x 50 predictions, one warm-up, the model reloaded each
round, and the 10 fastest and 10 slowest predictions of each round trimmed; it reports the mean of
the round means with the lowest and highest latency it kept.

Statistics of one record (all in milliseconds):
    mean_ms, low_ms, high_ms: ModelBench's three figures: the mean of the trimmed round means, and
        the lowest and highest single latency kept after trimming, over all rounds.
    median_ms, p90_ms, p95_ms, p99_ms, std_ms, min_ms, max_ms: over every timed sample, untrimmed
        (warm-ups excluded). The percentiles interpolate linearly between order statistics (numpy's
        default); std is the population standard deviation, as TFLite's benchmark_model reports it.
        p95/p99 are the tail a phone user feels (a frame that misses its deadline); with few samples
        they sit between the slowest ones (50 samples: p99 is 0.51 of the way from the 49th to the 50th).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence


@dataclass(frozen=True)
class Protocol:
    """How a record is measured: ``rounds`` x (reload, ``warmup`` untimed, ``iterations`` timed)."""

    name: str
    rounds: int
    iterations: int
    warmup: int = 1
    trim: int = 0  # fastest and slowest samples dropped from each round, each side
    reload: bool = True

    def __post_init__(self) -> None:
        for field_name in ("rounds", "iterations"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{field_name} must be a positive integer, got {value!r}")
        for field_name in ("warmup", "trim"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{field_name} must be a non-negative integer, got {value!r}")
        if 2 * self.trim >= self.iterations:
            raise ValueError(
                f"trim={self.trim} drops {2 * self.trim} of the {self.iterations} predictions of a round "
                f"(the fastest and slowest {self.trim} each); use trim < iterations / 2 "
                f"(at most {(self.iterations - 1) // 2})"
            )

    @property
    def timed(self) -> int:
        return self.rounds * self.iterations

    def with_counts(self, rounds: int | None = None, iterations: int | None = None,
                    trim: int | None = None, warmup: int | None = None) -> Protocol:
        """A copy with some counts replaced (named ``custom`` when anything changed).

        When only ``iterations`` changes, ``trim`` keeps the same fraction of the round.
        """
        new_iterations = self.iterations if iterations is None else iterations
        if trim is None:
            trim = self.trim if iterations is None else int(new_iterations * self.trim / self.iterations)
        values = dict(
            rounds=self.rounds if rounds is None else rounds,
            iterations=new_iterations,
            warmup=self.warmup if warmup is None else warmup,
            trim=trim,
        )
        changed = any(values[k] != getattr(self, k) for k in values)
        return Protocol(name="custom" if changed else self.name, reload=self.reload, **values)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


MODELBENCH = Protocol("modelbench", rounds=20, iterations=50, warmup=1, trim=10)
# The default keeps ModelBench's shape (reload per round, one warm-up, trim 20% each side) at a
# twentieth of its predictions (50 timed instead of 1000), so the imagenet suite (18 models) on torch
# (both forms), onnxruntime and LiteRT, exports included, fits in about 20 minutes on 2 cores.
DEFAULT = Protocol("default", rounds=5, iterations=10, warmup=1, trim=2)
QUICK = Protocol("quick", rounds=2, iterations=5, warmup=1, trim=1)
PROTOCOLS = {p.name: p for p in (DEFAULT, MODELBENCH, QUICK)}


def get_protocol(name: str | Protocol) -> Protocol:
    if isinstance(name, Protocol):
        return name
    try:
        return PROTOCOLS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"protocol must be one of {', '.join(PROTOCOLS)} (or a Protocol), got {name!r}"
        ) from None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q!r}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def trimmed(values: Sequence[float], trim: int) -> list[float]:
    """``values`` sorted, without the ``trim`` smallest and ``trim`` largest."""
    if 2 * trim >= len(values):
        raise ValueError(f"cannot trim {trim} from each end of {len(values)} samples")
    ordered = sorted(values)
    return ordered[trim:len(ordered) - trim]


@dataclass(frozen=True)
class Summary:
    """The statistics of one record's timed samples (milliseconds)."""

    median_ms: float
    mean_ms: float
    low_ms: float
    high_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    std_ms: float
    min_ms: float
    max_ms: float
    iterations: int
    kept: int


def _total(values: Sequence[float]) -> float:
    """Left-to-right float sum: the order the Kotlin and Swift harness cores use, so all three give
    the same bits (Python 3.12's ``sum`` compensates rounding and would not)."""
    total = 0.0
    for v in values:
        total += v
    return total


def summarize(rounds: Sequence[Sequence[float]], trim: int) -> Summary:
    """Statistics of per-round timed samples (ms); see the module docstring for definitions."""
    if not rounds or any(not r for r in rounds):
        raise ValueError("summarize needs at least one round, each with at least one sample")
    bad = next((s for r in rounds for s in r if not math.isfinite(s)), None)
    if bad is not None:
        raise ValueError(f"timed samples must be finite, got {bad}")
    round_means = []
    kept: list[float] = []
    for samples in rounds:
        keep = trimmed(samples, trim)
        round_means.append(_total(keep) / len(keep))
        kept.extend(keep)
    flat = [s for r in rounds for s in r]
    mean_all = _total(flat) / len(flat)
    return Summary(
        median_ms=percentile(flat, 50),
        mean_ms=_total(round_means) / len(round_means),
        low_ms=min(kept),
        high_ms=max(kept),
        p90_ms=percentile(flat, 90),
        p95_ms=percentile(flat, 95),
        p99_ms=percentile(flat, 99),
        std_ms=math.sqrt(_total([(s - mean_all) * (s - mean_all) for s in flat]) / len(flat)),
        min_ms=min(flat),
        max_ms=max(flat),
        iterations=len(flat),
        kept=len(kept),
    )
