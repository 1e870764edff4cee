"""What ``edgerep export`` prints: one line per pipeline step, the closing table, the next steps."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..._text import format_table
from .checks import Audit, Verification
from .int8 import describe, speed_note
from .targets import get_target


def audit_line(a: Audit) -> str:
    clean = "no BatchNorm, no Dropout" if a.passed else (
        f"FOUND BatchNorm x{a.batchnorm}, Dropout x{a.dropout}")
    ops = ""
    if a.torch_ops_unfused:
        ops = f"; torch ops {a.torch_ops_unfused} unfused -> {a.torch_ops_fused} fused"
    left = f" ({a.constant_ops} computing only from constants)" if a.constant_ops else ""
    return f"{clean}; {a.nodes} nodes{left}{ops}"


def verification_line(v: Verification) -> str:
    if v.runtime == "structure-only":
        state = "structure ok" if v.passed else "structure FAILED: " + "; ".join(v.problems or [])
        return f"{state} ({v.reason})"
    if v.non_finite:
        return f"FAILED: {v.reason}"
    if v.rel_error is None:
        return f"not verified ({v.reason or ''})"
    verdict = "passed" if v.passed else "FAILED"
    if v.int8:
        worst = ""
        if v.worst_layers:
            w = v.worst_layers[0]
            worst = f"; worst layer alone: {w['layer']} (mean cosine {w['cosine_mean']:.4f})"
        return (f"{verdict}: {int8_drift(v.int8)} over {v.domain} on {v.runtime} "
                f"({v.criterion.split(' on ')[0]}){worst}")
    return (f"{verdict}: rel error {_fmt_err(v.rel_error)}, cosine {v.cosine:.6f} over "
            f"{v.n_samples} random inputs on {v.runtime} ({v.criterion})")


def int8_drift(d: dict[str, Any]) -> str:
    """int8 against fp32 in a few words: agreement or flips, then the cosines."""
    parts = []
    if "top1_agreement" in d:
        parts.append(f"top-1 agreement {d['top1_agreement']:.1%}")
    if "flips" in d:
        parts.append(f"flips {d['flips']}/{d['pairs']}")
    parts.append(f"cosine median {d['cosine_median']:.4f}, mean {d['cosine_mean']:.4f}, min {d['cosine_min']:.4f}")
    return ", ".join(parts)


def _fmt_err(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.1e}"


def summary_table(results: Sequence[Any]) -> str:
    """The closing table; with an int8 artifact, a column of what runs in int8 and what stays float."""
    int8 = any(r.precision.is_integer for r in results)
    rows = [[r.target, str(r.path), f"{r.size_mb:.1f}", f"{r.seconds:.1f}", _parity(r), str(r.nodes)]
            + ([_int8_cell(r)] if int8 else []) for r in results]
    return format_table(["target", "file", "MB", "seconds", "parity (rel err; int8: vs fp32)" if int8 else "parity (rel err)", "nodes"]
                        + (["int8 (what stays float)"] if int8 else []), rows)


def _int8_cell(r: Any) -> str:
    return describe(get_target(r.target).int8_facts(r.path)) if r.precision.is_integer else "-"


def notes(r: Any) -> list[str]:
    """The notes of a result: its metadata's, and for int8 whether int8 pays on its runtime."""

    note = speed_note(r.model, get_target(r.target), r.metadata.get("family")) if r.precision.is_integer else None
    return [*r.metadata.get("notes", []), *([note] if note else [])]


def _parity(r: Any) -> str:
    v = r.verification
    if v.runtime == "skipped":
        return "not verified"
    if v.runtime == "structure-only":
        return "structure ok" if v.passed else "structure FAILED"
    if v.rel_error is None:
        return "FAILED" if v.passed is False else "-"
    mark = "" if v.passed else " FAILED"
    if v.int8:
        d = v.int8
        first = (f"agree {d['top1_agreement']:.1%}, " if "top1_agreement" in d
                 else f"flips {d['flips']}/{d['pairs']}, " if "flips" in d else "")
        return f"{first}cos med {d['cosine_median']:.4f} min {d['cosine_min']:.4f}" + mark
    if r.precision.is_integer:  # int8 is judged by cosine: a relative error of 0.4 is normal there
        return f"cos {v.cosine:.4f} (int8 is judged by cosine; rel err {v.rel_error:.2g})" + mark
    return f"{v.rel_error:.1e}" + mark


def failure_reason(r: Any) -> str:
    """Why ``r`` did not pass, in one phrase."""
    if not r.audit.passed:
        return f"the exported graph holds BatchNorm x{r.audit.batchnorm} / Dropout x{r.audit.dropout}"
    v = r.verification
    if v.problems:
        return str(v.problems)
    if v.non_finite:
        return v.reason
    if v.missed:
        worst = v.worst_layers or []
        return (f"int8 drift over {v.domain} missed {v.criterion.split(' on ')[0]} ({', '.join(v.missed)})"
                + (f"; worst layer alone: {worst[0]['layer']}" if worst else ""))
    return v.criterion or "graph audit"


def next_steps(results: Sequence[Any]) -> list[str]:
    lines = []
    for r in results:
        target = get_target(r.target)
        line = target.next_step(r.model, r.path)
        if r.precision != target.default_precision:  # benchmark what was just exported, not the default
            runtime = f"--runtime {target.runtime}"
            line = line.replace(runtime, f"{runtime} --precision {r.precision}", 1)
        lines.append(line)
    return lines + [f"metadata: {', '.join(str(r.sidecar) for r in results)}"]
