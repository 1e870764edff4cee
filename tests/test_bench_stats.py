"""Benchmark statistics and the timing loop, against values computed by hand."""

from __future__ import annotations

import math

import pytest

from edgerep.bench.measure import measure
from edgerep.bench.stats import DEFAULT, MODELBENCH, QUICK, Protocol, get_protocol, percentile, summarize, trimmed


def test_percentile_interpolates_between_order_statistics():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([4, 1, 3, 2], 25) == 1.75  # position 0.75 between 1 and 2
    assert percentile([4, 1, 3, 2], 0) == 1
    assert percentile([4, 1, 3, 2], 100) == 4
    assert percentile([7.0], 90) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], 101)


def test_summary_of_two_rounds_by_hand():
    # Round 1 keeps 2, 3, 4 (mean 3); round 2 keeps 7, 8, 9 (mean 8). All samples are 1..10.
    # low/high are ModelBench's: the extremes of the kept latencies, not of the round means.
    s = summarize([[5, 1, 3, 2, 4], [10, 6, 8, 7, 9]], trim=1)
    assert s.mean_ms == 5.5 and s.low_ms == 2 and s.high_ms == 9
    assert s.median_ms == 5.5
    assert s.p90_ms == pytest.approx(9.1)  # position 8.1 between 9 and 10
    assert s.p95_ms == pytest.approx(9.55)  # position 8.55
    assert s.p99_ms == pytest.approx(9.91)  # position 8.91
    assert s.std_ms == pytest.approx(math.sqrt(8.25))  # population std of 1..10 = sqrt((n^2 - 1) / 12)
    assert (s.min_ms, s.max_ms, s.iterations, s.kept) == (1, 10, 10, 6)


def test_tail_percentiles_of_a_slow_outlier():
    # 49 samples at 10 ms and one at 100 ms (a phone's hiccup): the median and p90 do not see it,
    # p99 does (position 49 * 0.99 = 48.51: 0.51 of the way from 10 to 100).
    s = summarize([[10.0] * 49 + [100.0]], trim=0)
    assert s.median_ms == s.p90_ms == s.p95_ms == 10.0
    assert s.p99_ms == pytest.approx(10 + 0.51 * 90)


def test_modelbench_trimming_keeps_the_middle_thirty_of_fifty():
    samples = [float(v) for v in range(50, 0, -1)]
    assert trimmed(samples, 10) == [float(v) for v in range(11, 41)]
    s = summarize([samples, [v + 10 for v in samples]], trim=MODELBENCH.trim)
    # Round 1 keeps 11..40, round 2 keeps 21..50.
    assert (s.low_ms, s.high_ms, s.mean_ms) == (11.0, 50.0, 30.5)
    assert s.kept == 60 and s.iterations == 100


def test_untrimmed_single_round():
    s = summarize([[2.0, 4.0]], trim=0)
    assert (s.mean_ms, s.median_ms, s.std_ms, s.low_ms, s.high_ms) == (3.0, 3.0, 1.0, 2.0, 4.0)


def test_protocols_and_their_validation():
    assert (MODELBENCH.rounds, MODELBENCH.iterations, MODELBENCH.warmup, MODELBENCH.trim) == (20, 50, 1, 10)
    assert MODELBENCH.reload and DEFAULT.reload
    assert get_protocol("quick") is QUICK
    with pytest.raises(ValueError, match="protocol must be one of default, modelbench, quick"):
        get_protocol("fast")
    with pytest.raises(ValueError, match="trim=5 drops 10 of the 10"):
        Protocol("x", rounds=1, iterations=10, trim=5)
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        Protocol("x", rounds=0, iterations=10)
    custom = DEFAULT.with_counts(iterations=4 * DEFAULT.iterations)
    assert custom.name == "custom" and custom.trim == 4 * DEFAULT.trim  # the same fraction trimmed
    assert DEFAULT.with_counts(rounds=1, trim=0).trim == 0
    assert DEFAULT.with_counts() == DEFAULT


class _FakeRuntime:
    """A nanosecond clock that only advances when the fake model loads (7 ms) or predicts (1, 2, 3,
    ... ms)."""

    def __init__(self) -> None:
        self.now = 0
        self.loads = 0
        self.predictions = 0

    def clock(self) -> int:
        return self.now

    def loader(self):
        self.loads += 1
        self.now += 7_000_000

        def predict() -> None:
            self.predictions += 1
            self.now += self.predictions * 1_000_000

        return predict


def test_measure_reloads_each_round_and_skips_warmups():
    fake = _FakeRuntime()
    result = measure(fake.loader, Protocol("t", rounds=3, iterations=4, warmup=2), clock_ns=fake.clock)
    assert fake.loads == 3 and fake.predictions == 3 * 6
    assert result.load_ms == pytest.approx(7.0)
    assert result.first_ms == pytest.approx(1.0)  # the first warm-up of round 1
    assert [len(r) for r in result.rounds] == [4, 4, 4]
    assert result.rounds[0] == pytest.approx([3.0, 4.0, 5.0, 6.0])  # predictions 3..6 of round 1
    assert result.rounds[2] == pytest.approx([15.0, 16.0, 17.0, 18.0])


def test_measure_without_reload_or_warmup():
    fake = _FakeRuntime()
    result = measure(fake.loader, Protocol("t", rounds=2, iterations=3, warmup=0, reload=False), clock_ns=fake.clock)
    assert fake.loads == 1
    assert result.first_ms == pytest.approx(1.0) and result.rounds[0][0] == pytest.approx(1.0)
    assert result.rounds == [pytest.approx([1.0, 2.0, 3.0]), pytest.approx([4.0, 5.0, 6.0])]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_samples_are_refused(bad):
    with pytest.raises(ValueError, match="timed samples must be finite"):
        summarize([[1.0, bad, 2.0]], trim=0)
