"""``edgerep.benchmark``: measure models on runtimes, record by record, into a :class:`Report`.

For every model (a :class:`Workload`), runtime (a runner), form and precision: fetch the artifact
(exported once into the cache), the runtime's GEMM ceiling, then the protocol's rounds with peak
memory (measure.py, memory.py), and the record's statistics (stats.py). One record failing does not
stop the run; the report says what was not measured and why.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .._io import raise_if_terminated
from .._text import one_line
from ..exporters.pipeline.precision import Precision
from .records import Record, Report, host_machine
from .stats import DEFAULT, QUICK, Protocol, get_protocol, summarize
from .suites import SUITES, suite_models

Progress = Callable[[int, int, str], None]


def _resolve_protocol(protocol: str | Protocol, quick: bool, **counts: int | None) -> Protocol:
    proto = get_protocol(protocol)
    if quick:
        if proto is not DEFAULT and proto is not QUICK:
            raise ValueError(f"quick=True (--quick) conflicts with protocol {proto.name!r}; use one")
        proto = QUICK
    return proto.with_counts(**counts)


def _check_threads(threads: int | None) -> None:
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a positive integer (or None for the runtime's default), got {threads!r}")


def benchmark(
    models: str | Sequence[Any] = (),
    *,
    suite: str | None = None,
    runtimes: str | Iterable[str] | None = None,
    threads: int | None = 1,
    precision: str | Iterable[str] | None = None,
    protocol: str | Protocol = "default",
    quick: bool = False,
    rounds: int | None = None,
    iterations: int | None = None,
    warmup: int | None = None,
    trim: int | None = None,
    checkpoint: str | Path | None = None,
    cache_dir: str | Path | None = None,
    keep_samples: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Measure latency of models on runtimes; return a :class:`Report` (iterate it for records).

    Args:
        models: registered names (or :class:`~edgerep.bench.workload.Workload` objects for your own
            networks); added to the suite's models.
        suite: "imagenet" (FastViT and RepNeXt against the MobileOne baselines) or "face"
            (FaceLiVT against the EdgeFace baselines).
        runtimes: any of torch, onnxruntime, litert, coreml (default: all; those that cannot run
            here give "unavailable" records with the reason). torch runs the unfused and the fused
            form; the others run the fused artifact of ``edgerep export``, cached in ``cache_dir``
            (default ``$EDGEREP_CACHE`` or ``~/.cache/edgerep/bench``).
        threads: threads given to every runtime that takes a thread count (None: the runtime's
            default). Core ML chooses its own.
        precision: fp32, fp16 or int8 (a comma-separated list measures each); default each
            runtime's own: fp16 for Core ML (Apple's default compute precision), fp32 elsewhere.
        protocol: "default" (5 rounds x 10, trim 2), "modelbench" (20 x 50, trim 10) or "quick"
            (2 x 5, trim 1); ``rounds``/``iterations``/``warmup``/``trim`` override its counts.
        checkpoint: weights for a single model (random seeded weights otherwise: latency does not
            depend on them).
        keep_samples: keep every timed sample in the records (``samples_ms``).
        progress: called as ``progress(done, total, label)`` before each record and at the end.
    """
    from ..exporters.pipeline.cache import ExportCache
    from .runners import resolve_runtimes, split_names
    from .runners import runners as known_runners
    from .workload import Workload

    _check_threads(threads)
    precisions = [Precision.parse(p) for p in split_names(precision, "precision")]
    proto = _resolve_protocol(protocol, quick, rounds=rounds, iterations=iterations,
                              warmup=warmup, trim=trim)
    known = known_runners()
    runners = [known[name]() for name in resolve_runtimes(runtimes)]
    if runtimes is not None:  # a runtime asked for by name must be installed
        for r in runners:
            missing = r.missing_extra()
            if missing is not None and r.platform_reason() is None:
                raise ImportError(f"runtime {r.runtime} was requested, but {missing}")

    entries: list[Any] = [models] if isinstance(models, (str, Workload)) else list(models)
    entries = [e for i, e in enumerate(entries) if e not in entries[:i]]  # each model once, in order
    if suite is not None:
        entries += [n for n in suite_models(suite) if n not in entries]
    if not entries:
        raise ValueError("no model to benchmark: name models (see 'edgerep list') or pass a suite "
                         f"({' or '.join(SUITES)})")
    if checkpoint is not None and len(entries) != 1:
        raise ValueError(f"checkpoint applies to one model, but {len(entries)} are benchmarked; "
                         "benchmark that model alone")
    works = [e if isinstance(e, Workload) else Workload.from_registry(_model_name(e), checkpoint)
             for e in entries]
    if checkpoint is not None:
        works[0].reference("unfused")  # a checkpoint that does not fit fails here, before any run

    cache = ExportCache(cache_dir)
    report = Report(machine=host_machine(), protocol=proto.to_dict())
    reasons = {r.runtime: r.unavailable_reason() for r in runners}
    for r in runners:
        report.runtimes[r.runtime] = (r.version() if reasons[r.runtime] is None else None) or "n/a"
    _add_framework_versions(report.runtimes)
    ceilings: dict[str, float | None] = {}

    plan = [(w, r, form, p) for w in works for r in runners for form in r.forms
            for p in (precisions or r.precisions[:1])]
    for i, (work, runner, form, prec) in enumerate(plan):
        raise_if_terminated()
        if progress:
            progress(i, len(plan), f"{work.name} {runner.runtime} {form} {prec}")
        record = _measure_record(work, runner, form, prec, threads, proto, cache, reasons[runner.runtime],
                                 ceilings, keep_samples)
        report.records.append(record)
        if record.status == "failed" or (
                record.status == "unavailable" and record.reason == runner.missing_extra()):
            report.incomplete.append(f"{record.model} on {record.runtime} ({form}, {prec}): {record.reason}")
        if i + 1 == len(plan) or plan[i + 1][0] is not work:
            work.release()
            gc.collect()
    if progress:
        progress(len(plan), len(plan), "done")
    return report


def _model_name(entry: Any) -> str:
    from ..registry import get_spec

    if not isinstance(entry, str):
        raise TypeError(f"models must be registered names or Workload objects, got {type(entry).__name__}")
    return get_spec(entry).name


def _add_framework_versions(versions: dict[str, str]) -> None:
    import torch

    from .._version import __version__

    versions.setdefault("torch", torch.__version__.split("+")[0])
    versions["edgerep"] = __version__


def _measure_record(work: Any, runner: Any, form: str, precision: str, threads: int | None,
                    proto: Protocol, cache: Any, unavailable: str | None,
                    ceilings: dict[str, float | None], keep_samples: bool) -> Record:
    from .measure import measure
    from .memory import PeakMemory
    from .runners import Unavailable

    record = Record(
        model=work.name, form=form, runtime=runner.runtime, precision=precision,
        family=work.family, task=work.task, baseline=work.baseline,
        threads=threads if runner.uses_threads else None,
        input_shape=[1, *work.input_size], backend=runner.backend(),
    )
    if unavailable is not None:
        record.status, record.reason = "unavailable", unavailable
        return record
    record.runtime_version = runner.version()
    step = "setup"
    try:
        runner.check_precision(precision)
        record.params, record.macs = work.counts(form)
        step = "export"
        artifact = runner.artifact(work, form, precision, cache)
        if artifact is not None:
            record.artifact_bytes = artifact.bytes
        step = "ceiling"
        if runner.runtime not in ceilings:
            try:
                with runner.session(threads):
                    ceilings[runner.runtime] = runner.ceiling(threads, cache)
            except Exception:  # the ceiling is context, not the measurement: report it as unknown
                ceilings[runner.runtime] = None
        record.ceiling_gmacs_per_s = ceilings[runner.runtime]
        step = "measurement"
        loader = runner.loader(work, form, threads, artifact)
        with runner.session(threads), PeakMemory() as memory:
            result = measure(loader, proto)
        record.peak_memory_bytes = memory.bytes
        record.load_ms, record.first_ms = result.load_ms, result.first_ms
        record.set_summary(summarize(result.rounds, proto.trim))
        if keep_samples:
            record.samples_ms = result.rounds
    except Unavailable as exc:
        record.status, record.reason = "unavailable", str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # one model failing on one runtime must not stop the run
        record.status = "failed"
        record.reason = f"{step} failed: {type(exc).__name__}: {one_line(exc, limit=300)}"
    return record
