"""int8 at a glance: what of an artifact runs in int8, and whether int8 pays on its runtime.

The facts come from the artifact itself (:meth:`~edgerep.exporters.pipeline.targets.Target.int8_facts`, one
small function in each target's module); the speed comes from a table measured once with
benchmarks/int8_speed.py and kept in benchmarks/int8_speed.json (and benchmarks/RESULTS.md, "Issue
15"): timing at export time would be slow and, on a busy machine, wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import edgerep

from .targets import Target, get_target

# Median int8 / fp32 latency per model, then target: measured once with benchmarks/int8_speed.py and
# kept as data beside the other measurements (benchmarks/int8_speed.json: machine, date, command;
# RESULTS.md "Issue 15"). An installed package has no benchmarks/ folder, and these are one machine's
# measurements, not properties of the package: without the file there is no table and no speed note
# (the export itself and its int8 facts are unchanged), rather than a copy that could go stale.
MEASURED_FILE = Path(edgerep.__file__).resolve().parents[1] / "benchmarks" / "int8_speed.json"


def _measured(path: Path) -> dict[str, dict[str, float]]:
    """The ratios in ``path`` (a repository checkout's benchmarks/int8_speed.json), or {} where the
    file is not there (an installed package: site-packages has no pyproject.toml beside it)."""
    if not (path.parent.parent / "pyproject.toml").is_file() or not path.is_file():
        return {}

    def refuse(constant: str) -> float:
        raise ValueError(f"{path}: {constant} is not a latency ratio")

    ratios = json.loads(path.read_text("utf-8"), parse_constant=refuse)["ratios"]
    for model, row in ratios.items():
        if not all(isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r < 10 for r in row.values()):
            raise ValueError(f"{path}: {model}'s ratios must be numbers in (0, 10), got {row}")
    return ratios


MEASURED: dict[str, dict[str, float]] = _measured(MEASURED_FILE)
# Ratios moved by up to this much between runs (the same models measured on a loaded and on a quiet
# machine): a model gets a note only when it misses the goal by more.
NOISE = 0.05
# A family's models share its recipe and op mix: a model not in the table (a user's own variant of a
# registered family) is judged by its family's smallest measured model (the note says so).
FAMILY_REFERENCE = {"fastvit": "fastvit_t8"}


def facts(int8_ops: int, float_ops: Counter[str]) -> dict[str, Any]:
    """What each target's ``int8_facts`` returns: counts of compute ops in int8 and in float (by type,
    most frequent first) and the int8 share."""
    total = int8_ops + sum(float_ops.values())
    return {"int8_ops": int8_ops, "float_ops": sum(float_ops.values()),
            "int8_share": round(int8_ops / total, 3) if total else 0.0,
            "float_by_type": dict(float_ops.most_common())}


def describe(f: dict[str, Any] | None) -> str:
    """One cell for the closing table: the int8 share and what stays float."""
    if not f:
        return "-"
    if "int8_weights" in f:
        return f"weights {f['int8_share']:.0%} int8, fp16 compute"
    text = f"{f['int8_share']:.0%} of {f['int8_ops'] + f['float_ops']} ops"
    if f["float_by_type"]:
        text += "; float: " + ", ".join(f"{op} x{n}" for op, n in list(f["float_by_type"].items())[:3])
    return text


def speed_note(model: str, target: Target, family: str | None = None) -> str | None:
    """A closing note when int8 is measured not to reach ``target``'s goal for ``model`` (or,
    unmeasured, for its ``family``'s reference model); None otherwise."""
    measured = model
    if model not in MEASURED and family in FAMILY_REFERENCE:
        measured = FAMILY_REFERENCE[family]
    ratios = MEASURED.get(measured, {})
    ratio = ratios.get(target.name)
    if ratio is None or target.int8_goal is None or ratio <= target.int8_goal + NOISE:
        return None
    source = "measured" if measured == model else f"measured on {measured}"
    others = sorted((r, name) for name, r in ratios.items() if name != target.name and r < ratio)
    better = f"use {get_target(others[0][1]).runtime_title} ({others[0][0]:.2f}x there) or fp32" if others \
        else "use fp32"
    if ratio >= 1:
        return (f"int8 on {target.runtime_title} is slower than fp32 for this model ({ratio:.2f}x the fp32 "
                f"latency, {source}; benchmarks/RESULTS.md); {better}")
    return (f"int8 on {target.runtime_title} runs at {ratio:.2f}x the fp32 latency for this model ({source}), "
            f"short of the {target.int8_goal:.1f}x goal (per-op profile in benchmarks/RESULTS.md); for "
            f"speed, {better}")
