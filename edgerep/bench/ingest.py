"""``edgerep bench ingest``: validate device reports and merge them with host reports."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .records import Report
from .schema import load_reports


def ingest(paths: Iterable[str | Path]) -> list[Report]:
    """Every report in ``paths`` (files of one report or an array of reports), validated.

    Raises ReportError (a ValueError) naming the file and the field path of each problem, and
    FileNotFoundError for a missing file; nothing is merged unless every file is valid.
    """
    paths = list(paths)
    if not paths:
        raise ValueError("ingest needs at least one report file (JSON written by edgerep bench --json "
                         "or by the iOS/Android harness)")
    reports: list[Report] = []
    for path in paths:
        reports.extend(Report.from_dict(doc) for doc in load_reports(path))
    return reports
