"""The ``edgerep bench`` command and its ``ingest`` sub-verb (argparse only: nothing heavy here).

``edgerep bench MODEL ...`` measures; ``edgerep bench ingest FILE ...`` validates and merges reports.
Both print the table and share the output options; an existing output file is only replaced with
``--force``, checked before any measurement starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

USAGE = """edgerep bench [MODEL ...] [--suite {imagenet,face}] [--runtime LIST] [--threads N]
                     [--precision LIST] [--protocol NAME | --quick] [--rounds N] [--iterations N]
                     [--json F] [--csv F] [--markdown F] [--plot F.png] [--force]
       edgerep bench ingest FILE [FILE ...] [--model NAME] [--device LABEL]
                     [--json F] [--csv F] [--markdown F] [--plot F.png] [--force]"""

DESCRIPTION = """Latency of models on torch (unfused and fused), onnxruntime, LiteRT (XNNPACK) and Core ML
(macOS only), with load time, first inference, median/mean/p90/std/min, peak memory, artifact size,
GMAC/s and efficiency against a GEMM ceiling. Artifacts are exported on the fly and cached
($EDGEREP_CACHE or ~/.cache/edgerep/bench). 'ingest' validates report files written by the iOS/Android
harnesses (schema edgerep.bench/2; /1 is read too), LiteRT benchmark_model logs and Qualcomm AI Hub
profiles, and merges them into the same tables and plots."""

# Options that only make sense when measuring, with their defaults (to reject them on ingest).
_MEASURE_ONLY = {
    "suite": None, "runtime": None, "threads": 1, "precision": None, "protocol": None, "quick": False,
    "rounds": None, "iterations": None, "warmup": None, "trim": None, "checkpoint": None,
    "cache_dir": None, "samples": False,
}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench", help="latency benchmark on torch/onnxruntime/litert/coreml; 'bench ingest' merges device reports",
        usage=USAGE, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("models", nargs="*", metavar="MODEL",
                   help="registered models (see 'edgerep list'); or 'ingest FILE ...'")
    p.add_argument("--suite", choices=("imagenet", "face"),
                   help="imagenet: FastViT and RepNeXt vs MobileOne; face: FaceLiVT vs EdgeFace")
    p.add_argument("--runtime", metavar="LIST",
                   help="comma-separated: torch,onnxruntime,litert,coreml (default: all)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="threads per runtime (default 1; 0: each runtime's default)")
    p.add_argument("--precision", metavar="LIST",
                   help="fp32, fp16, int8, comma-separated (default: fp16 on Core ML, fp32 elsewhere)")
    p.add_argument("--protocol", choices=("default", "modelbench", "quick"),
                   help="default: 5 rounds x 10 (trim 2); modelbench: 20 x 50 (trim 10); quick: 2 x 5")
    p.add_argument("--quick", action="store_true", help="the quick protocol, for CI")
    p.add_argument("--rounds", type=int, metavar="N", help="override the protocol's rounds")
    p.add_argument("--iterations", type=int, metavar="N", help="timed predictions per round")
    p.add_argument("--warmup", type=int, metavar="N", help="untimed predictions per round")
    p.add_argument("--trim", type=int, metavar="N", help="fastest and slowest dropped per round, each side")
    p.add_argument("--checkpoint", metavar="FILE", help="weights for a single model (default: seeded random)")
    p.add_argument("--cache-dir", metavar="DIR", help="export cache (default $EDGEREP_CACHE or ~/.cache/edgerep/bench)")
    p.add_argument("--samples", action="store_true", help="keep every timed sample in the JSON")
    p.add_argument("--model", metavar="NAME",
                   help="ingest: the model of a benchmark_model log or AI Hub profile (default: its file name)")
    p.add_argument("--device", metavar="LABEL",
                   help="ingest: the machine label for a benchmark_model log or AI Hub profile")
    p.add_argument("--json", metavar="F", help="write the report (schema edgerep.bench/2)")
    p.add_argument("--csv", metavar="F", help="write the table as CSV")
    p.add_argument("--markdown", metavar="F", help="write the table as Markdown")
    p.add_argument("--plot", metavar="F.png", help="plot latency against MACs and published accuracy")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


class ProgressBar:
    """A one-line bar on a terminal, one line per record elsewhere (logs)."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 24):
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, label: str) -> None:
        elapsed = time.monotonic() - self.start
        if not self.tty:
            if done < total:
                print(f"[{done + 1}/{total}] {label} ({elapsed:.0f}s)", file=self.stream, flush=True)
            return
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        text = f"\r[{bar}] {done}/{total} {elapsed:5.0f}s {label}"
        print(text.ljust(100)[:120], end="" if done < total else "\n", file=self.stream, flush=True)


def _threads(value: int) -> int | None:
    import os

    cores = os.cpu_count() or 1
    if value < 0:
        raise ValueError(f"--threads must be 0 (the runtime's default) or a positive count, got {value}")
    if value > cores:  # more threads than cores only measures contention (100000 crashed OpenMP)
        raise ValueError(f"--threads {value} is more than this machine's {cores} cores; pass at most {cores} "
                         "(or 0 for each runtime's default)")
    return value or None


def run(args: argparse.Namespace) -> int:
    from .report import check_outputs

    outputs = (args.json, args.csv, args.markdown, args.plot)
    if args.plot is not None and not str(args.plot).lower().endswith(".png"):
        raise ValueError(f"--plot writes a PNG; got {args.plot!r}: use a .png file name")
    check_outputs(outputs, args.force)
    if args.models[:1] == ["ingest"]:
        given = [f"--{k.replace('_', '-')}" for k, default in _MEASURE_ONLY.items()
                 if getattr(args, k) != default]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to measuring, not to 'edgerep bench ingest'; "
                             "drop them")
        from .ingest import ingest

        reports = ingest(args.models[1:], model=args.model, device=args.device)
        for rep in reports:  # one rule for bench and ingest: a failed record makes the status 1
            rep.incomplete.extend(f"{r.model} on {r.runtime} ({r.form}, {r.precision}) failed on "
                                  f"{rep.machine.get('name')}: {r.reason}" for r in rep.records if r.status == "failed")
    else:
        given = [name for name, value in (("--model", args.model), ("--device", args.device)) if value is not None]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to 'edgerep bench ingest' (naming what a "
                             "benchmark_model log or AI Hub profile leaves unnamed); drop them")
        from . import benchmark

        if not args.models and args.suite is None:
            raise ValueError("name models to benchmark (see 'edgerep list') or pass --suite imagenet|face")
        report = benchmark(
            args.models, suite=args.suite, runtimes=args.runtime, threads=_threads(args.threads),
            precision=args.precision, protocol=args.protocol or "default", quick=args.quick,
            rounds=args.rounds, iterations=args.iterations, warmup=args.warmup, trim=args.trim,
            checkpoint=args.checkpoint, cache_dir=args.cache_dir, keep_samples=args.samples,
            progress=None if args.no_progress else ProgressBar(),
        )
        reports = [report]
    write_outputs(reports, json_path=args.json, csv_path=args.csv, markdown_path=args.markdown,
                  plot_path=args.plot, force=args.force)
    from .report import render_text

    print(render_text(reports), end="")
    incomplete = [line for r in reports for line in r.incomplete]
    if incomplete:
        print(f"edgerep: {len(incomplete)} record(s) not measured for a reason you can fix (exit "
              f"status 1): {incomplete[0]}" + (" (and more above)" if len(incomplete) > 1 else ""),
              file=sys.stderr)
        return 1
    return 0


def write_outputs(reports: list[Any], *, json_path: str | None = None, csv_path: str | None = None,
                  markdown_path: str | None = None, plot_path: str | None = None, force: bool = False) -> None:
    """Write the requested files (existing ones only with ``force``): all of them or none."""
    from pathlib import Path

    from .._io import staged
    from .report import check_outputs, render_csv, render_json, render_markdown

    check_outputs((json_path, csv_path, markdown_path, plot_path), force)
    renderers = (("report", json_path, render_json), ("CSV", csv_path, render_csv),
                 ("Markdown", markdown_path, render_markdown), ("plot", plot_path, _render_plot))
    wanted = [(label, Path(path), render(reports)) for label, path, render in renderers if path]
    with staged(*(path for _, path, _ in wanted)) as tmps:
        for tmp, (_, _, data) in zip(tmps, wanted):
            if isinstance(data, str):
                tmp.write_text(data, "utf-8")
            else:
                tmp.write_bytes(data)
    for label, path, _ in wanted:
        print(f"wrote {label} {path}", file=sys.stderr)


def _render_plot(reports: list[Any]) -> bytes:
    from .plot import render_png

    return render_png(reports)
