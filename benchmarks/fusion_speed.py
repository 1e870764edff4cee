"""Unfused vs fused latency in torch eager on CPU, one run, side by side.

    ./dev python benchmarks/fusion_speed.py                      # every FastViT and MobileOne variant
    ./dev python benchmarks/fusion_speed.py --models 'repnext_*' --threads 2

Uses the bench harness (edgerep.benchmark, torch runtime), which measures both forms of each model
in the same process, one after the other, with the ModelBench-style protocol, and prints the
Markdown table (machine, versions, protocol, medians, fused-over-unfused speedup) for
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys

import edgerep
from edgerep.bench.report import render_markdown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="fastvit_*,mobileone_*", help="comma-separated fnmatch patterns")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    args = parser.parse_args()

    names = [n for pattern in args.models.split(",") for n in edgerep.list_models(pattern.strip())]
    if not names:
        parser.error(f"no model matches {args.models!r}")

    def progress(done: int, total: int, label: str) -> None:
        print(f"[{done}/{total}] {label}", file=sys.stderr, flush=True)

    report = edgerep.benchmark(
        names, runtimes="torch", threads=args.threads, rounds=args.rounds,
        iterations=args.iterations, progress=progress,
    )
    text = render_markdown([report])
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
