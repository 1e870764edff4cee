"""A Qualcomm AI Hub profile (``qai_hub`` ``ProfileJob.download_profile()``, saved as JSON) ->
``edgerep.bench/1`` reports.

The profile is a JSON object::

    {"execution_summary": {"estimated_inference_time": 1234,        # us
                           "estimated_inference_peak_memory": 123456,  # bytes
                           "first_load_time": 456789, "warm_load_time": 12345,  # us
                           "all_inference_times": [1240, 1228, ...], ...},       # us, one per run
     "execution_detail": [{"name": "...", "type": "Conv2d", "compute_unit": "NPU",
                           "execution_time": 17, ...}, ...]}

The statistics come from ``all_inference_times`` as one untrimmed round (so ``mean_ms`` is their
plain mean, not ModelBench's trimmed mean of round means); AI Hub's own estimate, the warm load time
and the operators per compute unit go in the record's ``extra``, with what the profile did not
measure (the first inference after loading, warm-ups).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

from .stats import summarize

NAME = "qai-hub"


def detect(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("execution_summary"), dict)


def _number(value: Any, what: str, source: str, *, integer: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{source}: AI Hub profile {what} is {value!r}: expected a non-negative number")
    if integer and value != int(value):
        raise ValueError(f"{source}: AI Hub profile {what} is {value!r}: expected a whole number")
    return value


def convert(data: dict[str, Any], source: str, *, model: str | None = None, device: str | None = None,
            created: str | None = None) -> list[dict[str, Any]]:
    """One report with one record. ``model`` defaults to the file name without its suffix;
    ``device`` labels the machine (the profile does not name it)."""
    summary = data["execution_summary"]
    detail = data.get("execution_detail") or []
    if not isinstance(detail, list) or not all(isinstance(op, dict) for op in detail):
        raise ValueError(f"{source}: AI Hub profile execution_detail must be a list of objects")
    times = summary.get("all_inference_times")
    estimate = _number(summary.get("estimated_inference_time"), "estimated_inference_time", source)
    if times is not None:
        if not isinstance(times, list) or not times:
            raise ValueError(f"{source}: AI Hub profile all_inference_times must be a non-empty list")
        if any(t is None for t in times):
            raise ValueError(f"{source}: AI Hub profile all_inference_times holds null")
        samples = [_number(t, f"all_inference_times[{i}]", source) / 1000 for i, t in enumerate(times)]
    elif estimate is not None:
        samples = None
    else:
        raise ValueError(f"{source}: AI Hub profile has neither all_inference_times nor "
                         "estimated_inference_time in execution_summary")

    units = Counter(str(op.get("compute_unit", "unknown")) for op in detail)
    unit_us: Counter[str] = Counter()
    for op in detail:
        unit_us[str(op.get("compute_unit", "unknown"))] += _number(
            op.get("execution_time", 0) or 0, "execution_detail[].execution_time", source) or 0
    backend = "+".join(u for u, _ in units.most_common()) or None

    not_measured = ["first_ms (AI Hub reports load times, not the first inference)",
                    "warm-ups and rounds (one untrimmed round of all_inference_times)"]
    extra: dict[str, Any] = {
        "source": "Qualcomm AI Hub profile",
        "mean_ms": "the plain mean of all_inference_times, not ModelBench's trimmed mean",
        "estimated_inference_ms": None if estimate is None else estimate / 1000,
        "not_measured": not_measured,
        "peak_memory_bytes": "AI Hub's estimated_inference_peak_memory (peak during inference), "
                             "not the growth of peak RSS edgerep measures",
    }
    for key in ("warm_load_time", "compile_time"):
        value = _number(summary.get(key), key, source)
        if value is not None:
            extra[key.replace("_time", "_ms")] = value / 1000
    if units:
        extra["ops_per_compute_unit"] = dict(units.most_common())
        extra["op_time_ms_per_compute_unit"] = {u: unit_us[u] / 1000 for u, _ in units.most_common()}
    first_load = _number(summary.get("first_load_time"), "first_load_time", source)
    peak = _number(summary.get("estimated_inference_peak_memory"), "estimated_inference_peak_memory", source,
                   integer=True)
    record: dict[str, Any] = {
        "model": model or Path(source).name.split(".")[0], "form": "fused", "runtime": NAME,
        "precision": "unknown", "status": "ok", "backend": backend, "threads": None,
        "load_ms": None if first_load is None else first_load / 1000, "first_ms": None,
        "peak_memory_bytes": None if peak is None else int(peak), "extra": extra,
    }
    if samples is not None:
        stats = summarize([samples], 0)
        record.update({k: getattr(stats, k) for k in (
            "median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "std_ms", "min_ms", "max_ms", "iterations",
            "kept")})
        iterations = len(samples)
    else:
        not_measured.append("every statistic but the estimate: the profile has no all_inference_times, so "
                            "median_ms and mean_ms hold estimated_inference_time and iterations is 1")
        record.update(median_ms=estimate / 1000, mean_ms=estimate / 1000, iterations=1)
        iterations = 1
    return [{
        "schema": "edgerep.bench/1",
        "created": created or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "qai-hub", "version": "unknown"},
        "machine": {"kind": "device", "name": device or "AI Hub device", "os": "unknown",
                    "extra": {"source": source, "note": "the profile does not name the device: label it with --device"}},
        "protocol": {"name": NAME, "rounds": 1, "iterations": iterations, "warmup": 0, "trim": 0, "reload": False},
        "runtimes": {},
        "records": [record],
    }]
