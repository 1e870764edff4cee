"""int8 at a glance: what of an artifact runs in int8, and whether int8 pays on its runtime.

The facts come from the artifact itself (:meth:`~edgerep.exporters.pipeline.targets.Target.int8_facts`, one
small function in each target's module); the speed comes from a table measured once with
benchmarks/int8_speed.py and recorded here (and in benchmarks/RESULTS.md, "Issue 15"): timing at
export time would be slow and, on a busy machine, wrong.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .targets import Target, get_target

# Median int8 / fp32 latency, 1 thread, x86-64 (Intel Xeon, AVX-512 VNNI), every suite model, interleaved,
# randomized statistics, real-image calibration: benchmarks/int8_speed.py --rounds 20 on 2026-11-30
# (RESULTS.md, "Issue 15"). Keys: model, then target.
MEASURED: dict[str, dict[str, float]] = {
    "fastvit_t8": {"onnx": 0.75, "tflite": 0.71},
    "fastvit_t12": {"onnx": 0.61, "tflite": 0.55},
    "fastvit_s12": {"onnx": 0.69, "tflite": 0.46},
    "fastvit_sa12": {"onnx": 0.61, "tflite": 0.54},
    "fastvit_sa24": {"onnx": 0.58, "tflite": 0.44},
    "fastvit_sa36": {"onnx": 0.56, "tflite": 0.43},
    "fastvit_ma36": {"onnx": 0.70, "tflite": 0.35},
    "repnext_m0": {"onnx": 1.04, "tflite": 0.63},
    "repnext_m1": {"onnx": 0.94, "tflite": 0.63},
    "repnext_m2": {"onnx": 0.66, "tflite": 0.57},
    "repnext_m3": {"onnx": 0.62, "tflite": 0.44},
    "repnext_m4": {"onnx": 0.60, "tflite": 0.44},
    "repnext_m5": {"onnx": 0.63, "tflite": 0.40},
    "mobileone_s0": {"onnx": 0.66, "tflite": 0.54},
    "mobileone_s1": {"onnx": 0.59, "tflite": 0.33},
    "mobileone_s2": {"onnx": 0.47, "tflite": 0.25},
    "mobileone_s3": {"onnx": 0.37, "tflite": 0.22},
    "mobileone_s4": {"onnx": 0.50, "tflite": 0.16},
    "facelivtv2_xs": {"onnx": 0.90, "tflite": 0.63},
    "facelivt_s": {"onnx": 0.85, "tflite": 0.67},
    "facelivtv2_s": {"onnx": 0.90, "tflite": 0.67},
    "facelivtv2_m": {"onnx": 0.68, "tflite": 0.39},
    "facelivt_m": {"onnx": 0.53, "tflite": 0.39},
    "facelivtv2_l": {"onnx": 0.63, "tflite": 0.35},
    "edgeface_xxs": {"onnx": 0.95, "tflite": 0.81},
    "edgeface_xs_gamma_06": {"onnx": 1.01, "tflite": 0.83},
    "edgeface_s_gamma_05": {"onnx": 0.90, "tflite": 0.67},
    "edgeface_base": {"onnx": 0.55, "tflite": 0.37},
}
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
