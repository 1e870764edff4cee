"""Tables of one or more reports: terminal, Markdown, CSV, and the merged JSON.

Rows are the records of every report (one machine each). Two columns are derived here, not stored:
``fused speedup`` (the unfused record's median over the fused one's, same machine, model, runtime,
precision and threads) and ``vs baseline`` (median over the median of the baseline model of the same
task with the nearest MACs, same machine, runtime, form, precision and threads; below 1 is faster).
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .._text import format_table, is_number_cell
from .records import Record, Report


@dataclass
class Row:
    machine: str
    record: Record
    speedup: float | None = None  # fused over unfused
    baseline_model: str | None = None
    baseline_ratio: float | None = None


def _group_key(machine: str, r: Record) -> tuple[Any, ...]:
    return (machine, r.runtime, r.precision, r.threads, r.backend)


def rows_of(reports: Sequence[Report]) -> list[Row]:
    """Every record of ``reports`` with its derived speedup and baseline ratio."""
    rows = [Row(rep.machine.get("name", "?"), rec) for rep in reports for rec in rep.records]
    ok = [row for row in rows if row.record.ok and row.record.median_ms]
    unfused = {(_group_key(row.machine, row.record), row.record.model): row.record
               for row in ok if row.record.form == "unfused"}
    # The baseline is matched on the fused form's MACs (the model's cost), whichever form ran.
    cost: dict[str, int] = {}
    for row in sorted(ok, key=lambda r: r.record.form != "fused"):
        if row.record.macs:
            cost.setdefault(row.record.model, row.record.macs)
    for row in ok:
        rec = row.record
        if rec.form == "fused":
            base = unfused.get((_group_key(row.machine, rec), rec.model))
            if base is not None and base.median_ms:
                row.speedup = base.median_ms / rec.median_ms  # type: ignore[operator]
        if rec.baseline:
            continue
        candidates = [b.record for b in ok if b.record.baseline and b.record.task == rec.task
                      and b.record.form == rec.form
                      and _group_key(b.machine, b.record) == _group_key(row.machine, rec)]
        if not candidates:
            continue
        if cost.get(rec.model):
            best = min(candidates, key=lambda b: abs(math.log(cost.get(b.model, 1) / cost[rec.model])))
        else:
            best = candidates[0]
        row.baseline_model = best.model
        row.baseline_ratio = rec.median_ms / best.median_ms  # type: ignore[operator]
    return rows


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 100 else f"{v:.1f}"


def _mb(v: int | None) -> str:
    return "-" if v is None else f"{v / 2**20:.1f}"


def _x(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}x"


HEADER = ["model", "runtime", "form", "prec", "thr", "load ms", "first ms", "median ms", "mean ms",
          "p90 ms", "std ms", "min ms", "peak MB", "size MB", "GMAC/s", "eff %", "fused speedup",
          "vs baseline"]


def table_rows(rows: Sequence[Row], with_machine: bool) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the measured rows (unavailable/failed rows are in ``notes``)."""
    header = (["machine"] if with_machine else []) + HEADER
    cells = []
    for row in rows:
        r = row.record
        if not r.ok:
            continue
        vs = "baseline" if r.baseline else (
            f"{row.baseline_ratio:.2f}x {row.baseline_model}" if row.baseline_ratio is not None else "-")
        cells.append(([row.machine] if with_machine else []) + [
            r.model + (" *" if r.baseline else ""), r.runtime, r.form, r.precision,
            "-" if r.threads is None else str(r.threads),
            _ms(r.load_ms), _ms(r.first_ms), _ms(r.median_ms), _ms(r.mean_ms), _ms(r.p90_ms),
            _ms(r.std_ms), _ms(r.min_ms), _mb(r.peak_memory_bytes), _mb(r.artifact_bytes),
            "-" if r.gmacs_per_s is None else f"{r.gmacs_per_s:.1f}",
            "-" if r.efficiency is None else f"{100 * r.efficiency:.0f}",
            _x(row.speedup), vs,
        ])
    return header, [[_one_line(c) for c in row] for row in cells]


def notes(rows: Sequence[Row]) -> list[str]:
    """One line per runtime that was unavailable (with the reason), one per failed record."""
    lines: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        r = row.record
        if r.status == "unavailable":
            key = (row.machine, r.runtime, r.reason or "")
            if key not in seen:
                seen.add(key)
                lines.append(f"{r.runtime}: not available ({r.reason})")
        elif r.status == "failed":
            lines.append(f"{r.model} on {r.runtime} ({r.form}, {r.precision}): {r.reason}")
    return [_one_line(line) for line in lines]


def _several_machines(reports: Sequence[Report]) -> bool:
    return len({rep.machine.get("name") for rep in reports}) > 1


def _machine_lines(reports: Sequence[Report]) -> list[str]:
    lines = []
    for rep in reports:
        m, p = rep.machine, rep.protocol
        cpu = f", {m['cpu']}" if m.get("cpu") else ""
        cores = f", {m['cores']} cores" if m.get("cores") else ""
        os_name = " ".join(x for x in (m.get("os"), m.get("os_version")) if x)
        versions = ", ".join(f"{k} {v}" for k, v in rep.runtimes.items() if v and v != "n/a")
        lines.append(f"{m.get('name')} ({m.get('kind')}): {os_name}{cpu}{cores}; {versions}; "
                     f"protocol {p.get('name')}: {p.get('rounds')} rounds x {p.get('iterations')} "
                     f"(+{p.get('warmup')} warm-up, trim {p.get('trim')} each side); {rep.created}")
    return [_one_line(line) for line in lines]


LEGEND = ("* baseline. median/p90/std/min over all timed predictions; mean = mean of trimmed round "
          "means (ModelBench). peak MB: growth of peak RSS while loading and running. eff % = "
          "achieved GMAC/s over a 1024^3 GEMM on the same runtime and threads. fused speedup = "
          "unfused median / fused median. vs baseline = median / median of the baseline with the "
          "nearest MACs (<1: faster).")


def render_text(reports: Sequence[Report]) -> str:
    """The terminal table, machine lines and notes."""
    rows = rows_of(reports)
    header, cells = table_rows(rows, with_machine=_several_machines(reports))
    parts = _machine_lines(reports) + [""]
    parts.append(format_table(header, cells) if cells else "(no measured record)")
    parts += ["", LEGEND]
    extra = notes(rows)
    if extra:
        parts += [""] + extra
    return "\n".join(parts) + "\n"


def _one_line(text: str) -> str:
    """Text from a report (model names, reasons) on one line: control characters become spaces."""
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def _md_escape(cell: str) -> str:
    return _one_line(cell).replace("\\", "\\\\").replace("|", "\\|")


def _csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula (a leading = + - @ gets a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def render_markdown(reports: Sequence[Report]) -> str:
    rows = rows_of(reports)
    header, cells = table_rows(rows, with_machine=_several_machines(reports))
    out = [f"- {_md_escape(line)}" for line in _machine_lines(reports)] + [""]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" if i == 0 or not _numeric_col(cells, i) else "---:"
                              for i in range(len(header))) + "|")
    for c in cells:
        out.append("| " + " | ".join(_md_escape(x) for x in c) + " |")
    out += ["", LEGEND]
    for line in notes(rows):
        out.append(f"- {_md_escape(line)}")
    return "\n".join(out) + "\n"


def _numeric_col(cells: list[list[str]], i: int) -> bool:
    return bool(cells) and all(is_number_cell(c[i]) for c in cells)


CSV_FIELDS = ["machine", "model", "family", "task", "baseline", "form", "runtime", "runtime_version",
              "backend", "precision", "threads", "batch", "status", "reason", "load_ms", "first_ms",
              "median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "std_ms", "min_ms", "max_ms",
              "iterations", "kept", "peak_memory_bytes", "artifact_bytes", "params", "macs",
              "gmacs_per_s", "ceiling_gmacs_per_s", "efficiency", "fused_speedup", "baseline_model",
              "baseline_ratio"]


def render_csv(reports: Sequence[Report]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows_of(reports):
        data = row.record.to_dict()
        data.update(machine=row.machine, fused_speedup=row.speedup, baseline_model=row.baseline_model,
                    baseline_ratio=row.baseline_ratio)
        writer.writerow({k: ("" if data.get(k) is None else _csv_safe(data.get(k))) for k in CSV_FIELDS})
    return buf.getvalue()


def render_json(reports: Sequence[Report]) -> str:
    """One report as a report object; several as a JSON array of reports (both ingestible)."""
    from .schema import validate

    docs = [validate(r.to_dict(), "<output>") for r in reports]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, allow_nan=False) + "\n"  # never NaN


def check_outputs(paths: Iterable[str | Path | None], force: bool) -> None:
    """Refuse, before any work, outputs that cannot or must not be written: an existing file unless
    ``force``, anything that is not a regular file (link, folder, device), two outputs with one path,
    a missing or unwritable directory."""
    import os
    import tempfile

    from .._io import check_distinct, check_output

    given = [Path(p) for p in paths if p is not None]
    check_distinct(given)
    for path in given:
        check_output(path)
        if path.exists() and not force:
            raise FileExistsError(f"{str(path)!r} exists; pass --force to overwrite it or choose another path")
        parent = path.parent
        if not parent.is_dir():
            raise FileNotFoundError(f"directory of {str(path)!r} does not exist; create it first")
        try:  # a real probe: permission bits do not tell for root or read-only file systems
            fd, probe = tempfile.mkstemp(dir=parent, prefix=".edgerep-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise PermissionError(f"cannot write {str(path)!r}: its directory is not writable "
                                  f"({exc.strerror or exc}); choose another path") from None
