"""Golden vectors: small JSON cases that keep the Kotlin and Swift harness cores identical to Python.

Python is the reference implementation of the statistics, the protocol loop and (with
:mod:`edgerep.face`) alignment and matching. ``python -m edgerep.vectors OUTDIR`` writes one file per
section, ``OUTDIR/<section>.json``::

    {"schema": "edgerep.vectors/1", "section": "stats", "description": "...", "cases": [...]}

The harnesses commit copies under their test resources (:data:`HARNESS_COPIES`) and assert the same
results from them; a Python test fails when a committed copy differs from what this module writes,
so a change to a rule here cannot land without the harnesses' copies (and their tests) following.
Numbers are written with Python's shortest round-trip form: every double is exact.

``python -m edgerep.vectors --check DIR [DIR ...]`` exits 1 and names the files that differ.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

SCHEMA = "edgerep.vectors/1"

# section -> "module:function"; the function returns (description, cases).
SECTIONS: dict[str, str] = {
    "stats": "edgerep.bench.vectors:stats_cases",
    "protocol": "edgerep.bench.vectors:protocol_cases",
    "tflite_metadata": "edgerep.exporters.metadata_vectors:tflite_metadata_cases",
    "alignment": "edgerep.face.vectors:alignment_cases",
    "matching": "edgerep.face.vectors:matching_cases",
    "gallery": "edgerep.face.vectors:gallery_cases",
    "yuv": "edgerep.face.vectors:yuv_cases",
    "landmarks": "edgerep.face.vectors:landmarks_cases",
}

# Where the harnesses keep their committed copies (relative to the repository root); tests/
# test_vectors.py fails when one of them differs from what this module writes.
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
    from ._io import write_atomic

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
            problems.append(f"{path}: differs from what edgerep.vectors writes")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edgerep.vectors",
        description="Write (or --check) the golden vectors the Kotlin and Swift harness tests read.")
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--check", action="store_true",
                        help="compare the files in each DIR instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for d in args.dirs for p in differences(d)]
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("regenerate with: python -m edgerep.vectors DIR", file=sys.stderr)
            return 1
        count = len(render())
        print(f"ok: {count} golden vector files in {', '.join(args.dirs)} match what edgerep.vectors writes")
        return 0
    for d in args.dirs:
        for path in write(d):
            print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
