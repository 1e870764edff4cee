"""PNG plots: median latency against MACs, and against published accuracy where it is known.

One row of panels per task (ImageNet classification, face embedding). Colours are series (machine,
runtime, form, precision, threads), markers are families; baselines are hollow markers on dashed
lines. matplotlib is imported here only, through its object API and the Agg canvas (no pyplot, no
display, no global backend switch).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from .._optional import require
from .records import Record, Report
from .._io import write_atomic

_MARKERS = "osD^vP*Xh<>"
_TASK_TITLES = {"classification": "ImageNet classification", "face-embedding": "Face embedding"}


def published_accuracy(model: str, task: str | None) -> tuple[str, float] | None:
    """(metric label, value) from the registry's published figures, if the model is registered."""
    from ..registry import get_spec

    try:
        acc = dict(get_spec(model).published.accuracy)
    except (ValueError, TypeError):  # not registered (a device report of another model)
        return None
    if not acc:
        return None
    if task == "classification":
        for key, value in acc.items():
            if "top1" in key.lower().replace("-", ""):
                return "published ImageNet top-1 %", float(value)
        return None
    values = [float(v) for v in acc.values()]
    return f"published mean of {', '.join(acc)} %", sum(values) / len(values)


def _short(record: Record) -> str:
    """The variant part of a model name (fastvit_t8 -> t8, facelivtv2_xs -> v2_xs)."""
    family, model = record.family or "", record.model
    if family and model.startswith(family) and len(model) > len(family):
        return model[len(family):].lstrip("_")
    return model


def render_png(reports: Sequence[Report],
               accuracy: Callable[[str, str | None], tuple[str, float] | None] = published_accuracy) -> bytes:
    """The plot as PNG bytes."""
    require("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    # On log axes label the minor ticks at 2x and 5x a power of ten only, to avoid clutter.
    minor = FuncFormatter(lambda v, _: f"{v:g}" if f"{v:e}"[0] in "25" else "")

    multi = len({rep.machine.get("name") for rep in reports}) > 1
    points: dict[str, list[tuple[str, Record]]] = defaultdict(list)
    for rep in reports:
        for rec in rep.records:
            if rec.ok and rec.median_ms and rec.macs:
                points[rec.task or "other"].append((rep.machine.get("name", "?"), rec))
    tasks = [t for t in (*_TASK_TITLES, "other") if points.get(t)]
    if not tasks:
        raise ValueError("nothing to plot: no measured record with MACs in the report(s)")
    acc = {t: {rec.model: accuracy(rec.model, rec.task) for _, rec in points[t]} for t in tasks}
    with_acc = any(v for t in tasks for v in acc[t].values())

    fig = Figure(figsize=(13 if with_acc else 7, 5.2 * len(tasks)), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(tasks), 2 if with_acc else 1, squeeze=False)
    series_color: dict[tuple[Any, ...], Any] = {}
    family_marker: dict[str, str] = {}
    palette = [f"C{i}" for i in range(10)]
    for row, task in enumerate(tasks):
        ax_macs = axes[row][0]
        ax_acc = axes[row][1] if with_acc else None
        groups: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
        for machine, rec in points[task]:
            series = ((machine,) if multi else ()) + (rec.runtime, rec.form, rec.precision, rec.threads)
            groups[(series, rec.family or rec.model)].append(rec)
        for (series, family), recs in sorted(groups.items(), key=lambda kv: str(kv[0])):
            color = series_color.setdefault(series, palette[len(series_color) % len(palette)])
            marker = family_marker.setdefault(family, _MARKERS[len(family_marker) % len(_MARKERS)])
            baseline = any(r.baseline for r in recs)
            style = dict(color=color, marker=marker, linestyle="--" if baseline else "-", linewidth=1.2,
                         markersize=6, markerfacecolor="white" if baseline else color)
            recs = sorted(recs, key=lambda r: r.macs or 0)
            ax_macs.plot([r.macs / 1e9 for r in recs], [r.median_ms for r in recs], **style)
            for r in recs:
                ax_macs.annotate(_short(r), (r.macs / 1e9, r.median_ms), fontsize=6,
                                 xytext=(3, 3), textcoords="offset points", color=color)
            known = [(acc[task][r.model][1], r) for r in recs if acc[task].get(r.model)]
            if ax_acc is not None and known:
                known.sort(key=lambda kv: kv[0])
                ax_acc.plot([a for a, _ in known], [r.median_ms for _, r in known], **style)
                for a, r in known:
                    ax_acc.annotate(_short(r), (a, r.median_ms), fontsize=6, xytext=(3, 3),
                                    textcoords="offset points", color=color)
        title = _TASK_TITLES.get(task, task)
        ax_macs.set(xlabel="MACs (G) of the form that ran", ylabel="median latency (ms)",
                    title=f"{title}: latency vs MACs", xscale="log", yscale="log")
        ax_macs.grid(True, which="both", alpha=0.3)
        for axis in (ax_macs.xaxis, ax_macs.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(minor)
        if ax_acc is not None:
            labels = {v[0] for v in acc[task].values() if v}
            ax_acc.set(xlabel=" / ".join(sorted(labels)) or "published accuracy (n/a)",
                       ylabel="median latency (ms)", title=f"{title}: latency vs accuracy", yscale="log")
            ax_acc.grid(True, which="both", alpha=0.3)
            ax_acc.yaxis.set_major_formatter(plain)
            ax_acc.yaxis.set_minor_formatter(minor)
    handles = [Line2D([], [], color=c, linewidth=2, label=" ".join(str(x) for x in s if x is not None)
                      + " thr") for s, c in series_color.items()]
    handles += [Line2D([], [], color="gray", marker=m, linestyle="", label=f) for f, m in family_marker.items()]
    handles.append(Line2D([], [], color="gray", marker="o", markerfacecolor="white", linestyle="--",
                          label="baseline (hollow, dashed)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04 + 0.025 * math.ceil(len(handles) / 4), 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_plot(reports: Sequence[Report], path: str | Path) -> None:
    if Path(path).suffix.lower() != ".png":
        raise ValueError(f"--plot writes a PNG; got {str(path)!r}: use a .png file name")
    write_atomic(path, render_png(reports))
