"""``edgerep bench ingest``: validate device reports and merge them with host reports.

Besides edgerep's own ``edgerep.bench/1`` JSON (host runs, the iOS/Android harnesses), ingest reads
the outputs of other tools through the converters in :mod:`edgerep.bench.formats`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .formats import read_reports
from .records import Report


def ingest(paths: Iterable[str | Path], *, model: str | None = None, device: str | None = None) -> list[Report]:
    """Every report in ``paths`` (files of one report or an array of reports, or another tool's
    output: see :mod:`edgerep.bench.formats`), validated.

    ``model`` and ``device`` name the model and the machine of foreign outputs that do not (a
    benchmark_model log without ``--graph``, an AI Hub profile). Raises ReportError (a ValueError)
    naming the file and the field path of each problem, ValueError naming a file of no known format,
    and FileNotFoundError for a missing file; nothing is merged unless every file is valid.
    """
    paths = list(paths)
    if not paths:
        raise ValueError("ingest needs at least one report file (JSON written by edgerep bench --json "
                         "or by the iOS/Android harness, a benchmark_model log or an AI Hub profile)")
    for name, value in (("--model", model), ("--device", device)):
        if value is not None and not value.strip():
            raise ValueError(f"{name} needs a non-empty name, got {value!r}")
    reports: list[Report] = []
    for path in paths:
        reports.extend(Report.from_dict(doc) for doc in read_reports(path, model=model, device=device))
    return reports
