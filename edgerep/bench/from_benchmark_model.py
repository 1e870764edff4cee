"""LiteRT ``benchmark_model`` text output (a terminal or logcat) -> ``edgerep.bench/1`` reports.

What the tool prints (tensorflow/lite/tools/benchmark), all times in microseconds, each line possibly
behind a prefix (``INFO: ``, a logcat ``I tflite  : ``)::

    Graph: [/data/local/tmp/fastvit_t8.tflite]            (or: Loaded model /data/local/...)
    Num threads: [4]                                        (or: #threads used for CPU inference: [4])
    Use xnnpack: [1]          Use gpu: [1]          Use nnapi: [1]
    The input model file size (MB): 16.0549
    count=1 curr=12345 [p5=.. median=.. p95=..]             the warm-up runs
    count=50 first=.. curr=.. min=.. max=.. avg=.. std=.. [p5=.. median=.. p95=..]   the timed runs
    Inference timings in us: Init: .., First inference: .., Warmup (avg): .., Inference (avg): ..
    Memory footprint delta from the start of the tool (MB): init=.. overall=..
                                                            (older: Peak memory footprint (MB): ...)

Newer builds add the percentiles; older ones do not. One file may hold several runs: each ends with
its ``Inference timings`` line and becomes one record. The tool runs one round without trimming, so
``mean_ms`` is the plain mean of every run (not ModelBench's trimmed mean of round means), low/high
equal min/max, p90 is not measured, and without percentiles the median is not either (``median_ms``
then holds the mean): each record's ``extra`` says which figures the source did not measure.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path
from typing import Any

NAME = "benchmark_model"
_NUM = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
_NUMBER = f"({_NUM})"
_TIMINGS = re.compile(
    r"Inference timings in us: Init: " + _NUMBER + r", First inference: " + _NUMBER
    + r", Warmup \(avg\): " + _NUMBER + r", Inference \(avg\): " + _NUMBER)
_COUNT = re.compile(r"\bcount=(\d+)((?:\s+\w+=" + _NUM + r")*)")
_FIELD = re.compile(r"(\w+)=" + _NUMBER)
_GRAPH = re.compile(r"(?:\bGraph: \[([^\]]+)\]|\bLoaded model (\S+))")
_THREADS = re.compile(r"(?:\bNum threads|#threads used for CPU inference): \[(-?\d+)\]")
_USE = re.compile(r"\bUse (xnnpack|gpu|nnapi|hexagon|coreml): \[(\d)\]", re.IGNORECASE)
_FILE_MB = re.compile(r"The input model file size \(MB\): " + _NUMBER)
_MEMORY = re.compile(r"(?:Memory footprint delta from the start of the tool|Peak memory footprint) \(MB\): "
                     r"init=" + _NUMBER + r" overall=" + _NUMBER)
_PERIODIC = re.compile(r"Overall peak memory footprint \(MB\) via periodic monitoring: " + _NUMBER)
_START = re.compile(r"STARTING!|\bGraph: \[|\bLoaded model |\bcount=\d")
_MIB = 1024 * 1024


def detect(text: str) -> bool:
    """Whether ``text`` holds at least one complete benchmark_model run."""
    return _TIMINGS.search(text) is not None


def _us(value: str, what: str, source: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > 1e15:
        raise ValueError(f"{source}: benchmark_model {what} is {value}: not a duration")
    return number


def _runs(text: str) -> list[list[str]]:
    """The lines of each run: everything up to and including an ``Inference timings`` line, plus
    the memory lines that follow it until the next run starts."""
    runs: list[list[str]] = []
    current: list[str] = []
    started = False  # whether ``current`` holds a line that starts a run (kept, not rescanned: linear time)
    for line in text.splitlines():
        if _TIMINGS.search(line):
            runs.append(current + [line])
            current, started = [], False
        elif _START.search(line):
            current.append(line)
            started = True
        elif runs and not started and (_MEMORY.search(line) or _PERIODIC.search(line)):
            runs[-1].append(line)
        else:
            current.append(line)
    return runs


def _finite(value: str, what: str, source: str) -> float:
    """A number of the log that must be finite and of sane size (1e400 and 400-digit numbers are not)."""
    number = float(value)
    if not math.isfinite(number) or abs(number) > 1e15:
        raise ValueError(f"{source}: benchmark_model {what} is {value[:40]}{'...' if len(value) > 40 else ''}: "
                         "not a finite number of sane size")
    return number


def _record(lines: list[str], source: str, model: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One record and its protocol block from the lines of one run."""
    body = "\n".join(lines)
    init, first, warmup_avg, avg = (_us(v, w, source) for v, w in zip(
        _TIMINGS.search(body).groups(), ("Init", "First inference", "Warmup (avg)", "Inference (avg)")))
    counts = [(int(m.group(1)), dict((k, v) for k, v in _FIELD.findall(m.group(2))))
              for m in _COUNT.finditer(body)]
    timed = [c for c in counts if "avg" in c[1]]
    if not timed:
        raise ValueError(f"{source}: a benchmark_model run has its 'Inference timings' line but no "
                         "'count=... avg=...' line before it; save the whole output")
    count, stats = timed[-1]
    warmups = counts[0][0] if len(counts) > 1 else 0
    graph = _GRAPH.findall(body)
    graph_path = next((g or l for g, l in reversed(graph)), None)
    name = model or (Path(graph_path).name.removesuffix(".tflite") if graph_path else None)
    if not name:
        raise ValueError(f"{source}: the benchmark_model output names no graph (no 'Graph: [...]' line); "
                         "pass the model name with --model")
    threads = _THREADS.findall(body)
    uses = {k.lower(): v == "1" for k, v in _USE.findall(body)}
    backend = ("GPU" if uses.get("gpu") else "NNAPI" if uses.get("nnapi") else
               "Hexagon" if uses.get("hexagon") else "XNNPACK" if uses.get("xnnpack") else
               "CPU" if uses.get("xnnpack") is False else None)

    def ms(key: str) -> float | None:
        return _us(stats[key], key, source) / 1000 if key in stats else None

    not_measured = ["p90_ms (not reported)", "rounds and trimming (one run of all iterations)"]
    median = ms("median")
    if median is None:
        median = avg / 1000
        not_measured.append("median_ms (this output has no percentiles: median_ms holds the mean)")
    extra: dict[str, Any] = {
        "source": "LiteRT benchmark_model output",
        "not_measured": not_measured,
        "mean_ms": "the plain mean of all timed runs (benchmark_model's avg), not ModelBench's trimmed mean",
        "warmup_avg_ms": warmup_avg / 1000,
    }
    for key in ("p5", "p95"):
        if key in stats:
            extra[f"{key}_ms"] = ms(key)
    memory = _MEMORY.findall(body)
    periodic = _PERIODIC.findall(body)
    if periodic:
        extra["peak_memory_periodic_mb"] = _finite(periodic[-1], "periodic peak memory (MB)", source)
    file_mb = _FILE_MB.findall(body)
    if backend is None:
        extra["backend"] = "not stated in the output (no 'Use xnnpack/gpu/nnapi' line)"
    record = {
        "model": name, "form": "fused", "runtime": "litert", "precision": "unknown", "status": "ok",
        "backend": backend, "threads": int(threads[-1]) if threads and int(threads[-1]) > 0 else None,
        "load_ms": init / 1000, "first_ms": first / 1000, "median_ms": median, "mean_ms": avg / 1000,
        "low_ms": ms("min"), "high_ms": ms("max"), "p90_ms": None, "std_ms": ms("std"),
        "min_ms": ms("min"), "max_ms": ms("max"), "iterations": count, "kept": count,
        "peak_memory_bytes": round(_finite(memory[-1][1], "memory footprint (MB)", source) * _MIB) if memory else None,
        "artifact_bytes": round(_finite(file_mb[-1], "input model file size (MB)", source) * _MIB) if file_mb else None,
        "extra": extra,
    }
    protocol = {"name": NAME, "rounds": 1, "iterations": count, "warmup": warmups, "trim": 0, "reload": False}
    return record, protocol


def convert(text: str, source: str, *, model: str | None = None, device: str | None = None,
            created: str | None = None) -> list[dict[str, Any]]:
    """One report per protocol found in ``text`` (usually one), records in the order of the runs.

    ``model`` names the model when the log does not (or overrides the graph's file name);
    ``device`` labels the machine (the log does not name it); ``created`` defaults to now.
    """
    runs = _runs(text)
    if not runs:
        raise ValueError(f"{source}: no complete benchmark_model run (no 'Inference timings in us' line)")
    if model is not None and len(runs) > 1:
        raise ValueError(f"{source}: holds {len(runs)} benchmark_model runs; --model names one model, so "
                         "drop --model (each run is named by its --graph file) or split the file")
    reports: dict[tuple, dict[str, Any]] = {}
    for lines in runs:
        record, protocol = _record(lines, source, model)
        key = tuple(sorted(protocol.items()))
        if key not in reports:
            reports[key] = {
                "schema": "edgerep.bench/1",
                "created": created or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tool": {"name": "benchmark_model", "version": "unknown"},
                "machine": {"kind": "device", "name": device or "benchmark_model device", "os": "Android",
                            "extra": {"source": source,
                                      "note": "benchmark_model does not name the device: label it with --device"}},
                "protocol": protocol,
                "runtimes": {},
                "records": [],
            }
        reports[key]["records"].append(record)
    return list(reports.values())
