"""Golden vectors: small JSON cases that keep the Kotlin and Swift harness cores identical to Python.

Python (the edgerep package) is the reference implementation of the statistics, the protocol loop,
the TFLite metadata a harness reads and (with :mod:`edgerep.face`) alignment and matching. This
module, outside the package (a user's install has no use for it), writes what the harnesses are
tested against. From the repository root, ``python -m tools.conformance OUTDIR`` writes one file per
section, ``OUTDIR/<section>.json``::

    {"schema": "edgerep.vectors/1", "section": "stats", "description": "...", "cases": [...]}

The harnesses commit copies under their test resources (:data:`HARNESS_COPIES`) and assert the same
results from them; a Python test fails when a committed copy differs from what this module writes,
so a change to a rule in edgerep cannot land without the harnesses' copies (and their tests)
following. Numbers are written with Python's shortest round-trip form: every double is exact.

``python -m tools.conformance --check DIR [DIR ...]`` exits 1 and names the files that differ;
``python -m tools.conformance --harnesses`` rewrites (or, with ``--check``, checks) both harness copies.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from edgerep._io import write_atomic

SCHEMA = "edgerep.vectors/1"

# section -> "module:function"; the function returns (description, cases). The schema name keeps
# its historical "edgerep.vectors" spelling: the harnesses check it.
SECTIONS: dict[str, str] = {
    "stats": "tools.conformance.bench:stats_cases",
    "protocol": "tools.conformance.bench:protocol_cases",
    "tflite_metadata": "tools.conformance.tflite_metadata:tflite_metadata_cases",
    "alignment": "tools.conformance.face:alignment_cases",
    "matching": "tools.conformance.face:matching_cases",
    "gallery": "tools.conformance.face:gallery_cases",
    "yuv": "tools.conformance.face:yuv_cases",
    "landmarks": "tools.conformance.face:landmarks_cases",
}

# Where the harnesses keep their committed copies (relative to the repository root); tests/
# test_vectors.py fails when one of them differs from what this module writes.
ROOT = Path(__file__).resolve().parents[2]
HARNESS_COPIES: tuple[str, ...] = (
    "android_harness/core/src/test/resources/vectors",
    "ios_harness/Tests/EdgeRepBenchCoreTests/Resources/vectors",
)


def _function(spec: str) -> Callable[[], tuple[str, list[dict[str, Any]]]]:
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def render() -> dict[str, str]:
    """Every section's file name and JSON text, deterministically (no dates, no versions)."""
    files = {}
    for section, spec in SECTIONS.items():
        description, cases = _function(spec)()
        doc = {"schema": SCHEMA, "section": section, "description": description, "cases": cases}
        files[f"{section}.json"] = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    return files


def write(outdir: str | Path) -> list[Path]:
    """Write every section into ``outdir`` (created if needed); returns the paths written."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        write_atomic(out / name, text)
        written.append(out / name)
    return written


def differences(directory: str | Path) -> list[str]:
    """The section files of ``directory`` that are missing or differ from :func:`render`."""
    directory = Path(directory)
    problems = []
    for name, text in render().items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text("utf-8") != text:
            problems.append(f"{path}: differs from what tools.conformance writes")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.conformance",
        description="Write (or --check) the golden vectors the Kotlin and Swift harness tests read.")
    parser.add_argument("dirs", nargs="*", metavar="DIR")
    parser.add_argument("--harnesses", action="store_true",
                        help="the harnesses' committed copies: " + ", ".join(HARNESS_COPIES))
    parser.add_argument("--check", action="store_true",
                        help="compare the files in each DIR instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    if args.harnesses:
        args.dirs += [str(ROOT / copy) for copy in HARNESS_COPIES]
    if not args.dirs:
        parser.error("give a DIR to write (or --check), or --harnesses")
    if args.check:
        problems = [p for d in args.dirs for p in differences(d)]
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("regenerate with: python -m tools.conformance DIR (or --harnesses)", file=sys.stderr)
            return 1
        count = len(render())
        print(f"ok: {count} golden vector files in {', '.join(args.dirs)} match what tools.conformance writes")
        return 0
    for d in args.dirs:
        for path in write(d):
            print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
