"""What a JSON Schema validator costs `edgerep bench ingest`: jsonschema against fastjsonschema.

Each library runs in fresh processes (as the CLI does), interleaved round by round with a baseline
process that only parses the files, so drift on a shared machine hits all three alike. Per process:
the import (``-X importtime``'s cumulative figure), building the validator from
edgerep/bench/report.schema.json, the first validation of both reports in
edgerep/bench/example_device_reports.json, and the median of 200 further validations. Whole-process
wall and CPU time (import, build, one validation: what ``bench ingest`` does) are measured from
outside in a process of their own; CPU time (user + sys) is the figure to read on a loaded machine.
``--ingest DIR`` adds ``edgerep bench ingest`` of the examples with edgerep taken from checkout DIR
(repeatable: compare the hand-written validator of one checkout with jsonschema in another).

    python benchmarks/schema_validator.py --rounds 15 --ingest /path/to/old --ingest .

A library that is not installed is reported as missing (install it into a scratch target, e.g.
``pip install --target /tmp/v fastjsonschema`` and run with ``PYTHONPATH=/tmp/v``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "edgerep" / "bench" / "report.schema.json"
EXAMPLES = ROOT / "edgerep" / "bench" / "example_device_reports.json"

# Each child prints one JSON line of timings in ms. ``{build}`` makes a callable that validates one
# document and raises on the first error (both libraries find the examples valid).
_CHILD = """
import json, statistics, sys, time
schema = json.loads(open({schema!r}, encoding="utf-8").read())
docs = json.loads(open({examples!r}, encoding="utf-8").read())
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{build}
t2 = time.perf_counter()
for d in docs:
    check(d)
t3 = time.perf_counter()
laps = []
for _ in range({laps}):
    s = time.perf_counter()
    for d in docs:
        check(d)
    laps.append(time.perf_counter() - s)
print(json.dumps({{"import": (t1 - t0) * 1e3, "build": (t2 - t1) * 1e3, "first": (t3 - t2) * 1e3,
                  "steady": statistics.median(laps) * 1e3 if laps else None}}))
"""

LIBRARIES = {
    "baseline (json only)": ("pass", "check = lambda d: None"),
    "jsonschema": (
        "import jsonschema",
        "v = jsonschema.Draft202012Validator(schema)\ncheck = v.validate",
    ),
    "fastjsonschema": ("import fastjsonschema", "check = fastjsonschema.compile(schema)"),
}


def _available(module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([sys.executable, "-c", code]).returncode == 0


def _importtime(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh process, ms (``-X importtime``)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    ).stderr
    for line in reversed(out.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e3
    raise RuntimeError(f"no importtime line for {module}")


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall ms, CPU ms of the child) of one process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--ingest", action="append", default=[], metavar="DIR",
                        help="also time 'edgerep bench ingest' with edgerep from this checkout")
    args = parser.parse_args()
    libs = {name: code for name, code in LIBRARIES.items() if name.startswith("baseline") or _available(name)}
    for name in LIBRARIES.keys() - libs.keys():
        print(f"{name}: not installed, skipped")
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in libs}
    for _ in range(args.rounds):
        for name, (imports, build) in libs.items():
            fill = dict(schema=str(SCHEMA), examples=str(EXAMPLES), imports=imports, build=build)
            # the CLI's work only (import, build, validate once), timed from outside
            wall, cpu = _timed([sys.executable, "-c", _CHILD.format(**fill, laps=0)])
            out = subprocess.run(
                [sys.executable, "-c", _CHILD.format(**fill, laps=200)], capture_output=True, text=True, check=True
            ).stdout
            row = {**json.loads(out), "process wall": wall, "process cpu": cpu}
            if not name.startswith("baseline"):
                row["-X importtime"] = _importtime(name)
            for key, value in row.items():
                figures[name].setdefault(key, []).append(value)
        for checkout in args.ingest:
            env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
            wall, cpu = _timed([sys.executable, "-m", "edgerep.cli", "bench", "ingest", str(EXAMPLES)], env)
            cols = figures.setdefault(f"bench ingest ({checkout})", {})
            cols.setdefault("process wall", []).append(wall)
            cols.setdefault("process cpu", []).append(cpu)
    base_cpu = statistics.median(figures["baseline (json only)"]["process cpu"])
    print(f"python {sys.version.split()[0]}, {args.rounds} interleaved rounds; medians in ms")
    keys = ["-X importtime", "import", "build", "first", "steady", "process wall", "process cpu"]
    print("| what | " + " | ".join(keys) + " | cpu over baseline |")
    print("|---" * (len(keys) + 2) + "|")
    for name, cols in figures.items():
        cells = [f"{statistics.median(cols[k]):.2f}" if cols.get(k) and None not in cols[k] else "-" for k in keys]
        extra = statistics.median(cols["process cpu"]) - base_cpu
        print(f"| {name} | " + " | ".join(cells) + f" | {extra:+.1f} |")


if __name__ == "__main__":
    main()
