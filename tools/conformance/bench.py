"""Golden vectors of the benchmark statistics and the protocol loop (see :mod:`tools.conformance.vectors`).

``stats``: timed samples per round, trim, MACs and ceiling -> every statistic of a record, and the
record's fields exactly as ``edgerep.bench/1`` writes them (rounded). ``protocol``: a scripted
nanosecond clock that advances only while the fake model loads or predicts -> the load time, the
first prediction, the timed samples of each round and their statistics.
"""

from __future__ import annotations

import gc
import random
from dataclasses import asdict
from typing import Any

from edgerep.bench.measure import measure
from edgerep.bench.records import Record
from edgerep.bench.stats import Protocol, summarize

_SUMMARY_FIELDS = ("median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "p95_ms", "p99_ms", "std_ms",
                   "min_ms", "max_ms", "iterations", "kept", "gmacs_per_s", "efficiency")


def _noisy_rounds(seed: int, rounds: int, iterations: int, base_ms: float) -> list[list[float]]:
    """Latency-like samples: a base, small jitter, and a few slow outliers (as on a phone)."""
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        samples = []
        for _ in range(iterations):
            value = base_ms * (1 + rng.gauss(0, 0.03))
            if rng.random() < 0.04:
                value *= 1.5 + rng.random()
            samples.append(round(max(value, 1e-3), 6))
        out.append(samples)
    return out


def _stats_case(name: str, samples: list[list[float]], trim: int, macs: int | None = None,
                ceiling: float | None = None) -> dict[str, Any]:
    samples = [[float(v) for v in r] for r in samples]
    record = Record(model="vector", form="fused", runtime="vector", precision="fp32", macs=macs,
                    ceiling_gmacs_per_s=ceiling)
    record.set_summary(summarize(samples, trim))
    exact = {k: getattr(record, k) for k in _SUMMARY_FIELDS}
    written = record.to_dict()
    return {
        "name": name, "trim": trim, "macs": macs, "ceiling_gmacs_per_s": ceiling, "samples_ms": samples,
        "expected": exact,
        # The same figures as the report writes them (ms to 4 decimals, ratios to 6).
        "expected_record": {k: written[k] for k in (*_SUMMARY_FIELDS, "ceiling_gmacs_per_s")},
    }


def stats_cases() -> tuple[str, list[dict[str, Any]]]:
    cases = [
        _stats_case("two_rounds_by_hand", [[5, 1, 3, 2, 4], [10, 6, 8, 7, 9]], 1, 1_000_000_000, 100.0),
        _stats_case("one_sample", [[3.25]], 0, 685_000_000, 212.5),
        _stats_case("ties", [[2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 3.0, 3.0, 3.0]], 1),
        _stats_case("untrimmed_even_count", [[2.0, 4.0, 1.5, 7.25]], 0, 77_000_000, None),
        _stats_case("rounding", [[0.12345, 0.00005, 1.00015, 2.5e-05, 10.99995]], 1, 123_456_789, 98.7654321),
        _stats_case("quick_2x5", _noisy_rounds(1, 2, 5, 4.28), 1, 380_000_000, 110.0),
        _stats_case("default_5x10", _noisy_rounds(2, 5, 10, 16.98), 2, 685_000_000, 108.3),
        _stats_case("modelbench_20x50", _noisy_rounds(3, 20, 50, 0.81), 10, 685_000_000, 2000.0),
        _stats_case("uneven_rounds", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0, 8.0]], 1),
        # 21 samples 21..1: p90 at position 18 (19.0), p95 at 19 (20.0), p99 at 19.8 (20.8).
        _stats_case("tail_percentiles_by_hand", [[float(21 - i) for i in range(21)]], 0),
    ]
    errors = [
        {"name": "trim_too_large", "trim": 1, "samples_ms": [[1.0, 2.0]], "error": "trim"},
        {"name": "no_rounds", "trim": 0, "samples_ms": [], "error": "empty"},
        {"name": "empty_round", "trim": 0, "samples_ms": [[1.0], []], "error": "empty"},
    ]
    description = (
        "Statistics of one record from its timed samples (ms, one array per round) and trim. "
        "median/p90/p95/p99/std/min/max over every sample, untrimmed: percentiles linear between order "
        "statistics (position (n-1)*q/100), std the population standard deviation. mean: mean of the round "
        "means, each over the round's samples sorted with trim dropped from each end. low/high: "
        "the lowest and highest single sample kept after trimming, over all rounds (ModelBench's). "
        "Sums run left to right in sample order. gmacs_per_s = macs / (median_ms * 1e-3) / 1e9 "
        "(null without macs); efficiency = gmacs_per_s / ceiling_gmacs_per_s (null without either). "
        "'expected' is exact; 'expected_record' is what a report stores: values of *_ms and *_s "
        "fields rounded half-even to 4 decimals of their exact binary value, others to 6. Cases with "
        "'error' must be refused ('trim': 2*trim >= samples in a round; 'empty': no round, or a round "
        "without samples)."
    )
    return description, cases + errors


class _ScriptedModel:
    """A model whose loads and predictions take scripted nanoseconds on a fake clock."""

    def __init__(self, load_ns: list[int], predict_ns: list[int]) -> None:
        self.now = 0
        self.load_ns, self.predict_ns = load_ns, predict_ns
        self.loads = self.predictions = 0

    def clock(self) -> int:
        return self.now

    def loader(self):  # noqa: ANN201
        self.now += self.load_ns[self.loads % len(self.load_ns)]
        self.loads += 1

        def predict() -> None:
            self.now += self.predict_ns[self.predictions % len(self.predict_ns)]
            self.predictions += 1

        return predict


def _protocol_case(name: str, protocol: Protocol, load_ns: list[int], predict_ns: list[int]) -> dict[str, Any]:
    model = _ScriptedModel(load_ns, predict_ns)
    result = measure(model.loader, protocol, clock_ns=model.clock)
    summary = summarize(result.rounds, protocol.trim)
    return {
        "name": name,
        "protocol": {k: v for k, v in protocol.to_dict().items() if k != "name"},
        "load_ns": load_ns,
        "predict_ns": predict_ns,
        "expected": {
            "loads": model.loads,
            "predictions": model.predictions,
            "load_ms": result.load_ms,
            "first_ms": result.first_ms,
            "samples_ms": result.rounds,
            "summary": asdict(summary),
        },
    }


def protocol_cases() -> tuple[str, list[dict[str, Any]]]:
    # measure() runs gc.collect() before every load (29 here); on the scripted clock that costs no
    # time in the results, but in a process that has imported torch each collection walks millions
    # of long-lived objects (3 s per render). Frozen, they are skipped; the cases are unchanged.
    gc.freeze()
    try:
        return _protocol_cases()
    finally:
        gc.unfreeze()


def _protocol_cases() -> tuple[str, list[dict[str, Any]]]:
    rng = random.Random(7)
    jitter = [16_980_000 + rng.randrange(-400_000, 400_000) for _ in range(37)]
    cases = [
        _protocol_case("reload_with_warmup", Protocol("t", rounds=3, iterations=4, warmup=2, trim=1),
                       [7_000_000], [1_000_000 * (i + 1) for i in range(18)]),
        _protocol_case("no_reload_no_warmup", Protocol("t", rounds=2, iterations=3, warmup=0, trim=0,
                                                       reload=False), [7_000_000], [1_000_000, 2_000_000, 3_000_000]),
        _protocol_case("default_like", Protocol("t", rounds=5, iterations=10, warmup=1, trim=2),
                       [41_200_000, 12_500_000, 12_700_001], jitter),
        _protocol_case("modelbench_shape", Protocol("t", rounds=20, iterations=50, warmup=1, trim=10),
                       [41_200_000, 3_000_000], [812_345, 790_001, 805_555, 2_100_000, 799_999, 801_234, 788_888]),
    ]
    description = (
        "The protocol loop on a scripted clock (integer nanoseconds) that advances only inside the "
        "model: each load takes the next load_ns and each prediction the next predict_ns (both "
        "cycled, counted over the whole run). rounds x (load when it is the first round or reload "
        "is true; warmup untimed predictions; iterations timed ones). load_ms: the first load; "
        "first_ms: the first prediction after it (the first warm-up, or the first timed sample "
        "when warmup is 0); every duration is (end_ns - start_ns) / 1e6. 'summary' is the "
        "statistics of samples_ms with the protocol's trim (see stats.json)."
    )
    return description, cases
