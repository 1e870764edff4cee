"""The versioned benchmark report schema (report.schema.json) and its validator.

The schema file kept beside this module is the one definition: host runs (``edgerep bench --json``)
and the iOS/Android harnesses write it, ``edgerep bench ingest`` reads it. :func:`validate` checks a
report against it with jsonschema (through :mod:`edgerep._schema`: numbers must be finite, integers
ints), then checks what JSON Schema cannot say (low <= mean <= high, min <= median <= max, samples
per round). Every error names the file and the field path, e.g.
``pixel8.json: records[2].median_ms: expected number or null, got string "1.3"``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .._schema import SchemaError, check_versioned
from .._text import one_line

SCHEMA_ID = "edgerep.bench/2"
# /2 adds p95_ms, p99_ms and the phone's conditions to a record; /1 reports (older harnesses, other
# tools' outputs converted by ingest) are still read: the schema holds both (a /1 report with /2's
# fields is refused).
SUPPORTED = (SCHEMA_ID, "edgerep.bench/1")
MAX_REPORT_BYTES = 64 * 2**20


class ReportError(SchemaError):
    """A benchmark report that does not follow the schema; ``errors`` holds (path, message) pairs."""

    def __init__(self, source: str, errors: list[tuple[str, str]]):
        super().__init__(source, errors, what="benchmark report")


@functools.lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    """The JSON Schema document of the current report version (a fresh parse, cached)."""
    text = resources.files("edgerep.bench").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def _semantic_errors(report: dict[str, Any]) -> list[tuple[str, str]]:
    """edgerep's own rules for an ok record, which JSON Schema cannot state: min <= median <= p90 <=
    p95 <= p99 <= max (those present) and low <= mean <= high (to a relative 1e-9), and ``samples_ms`` holding ``iterations`` samples."""
    errors = []
    for i, rec in enumerate(report.get("records", [])):
        if not isinstance(rec, dict) or rec.get("status") != "ok":
            continue
        path = f"records[{i}]"

        def ordered(*keys: str) -> None:
            vals = [rec.get(k) for k in keys]
            if any(not isinstance(v, (int, float)) for v in vals):
                return
            for (ka, a), (kb, b) in zip(zip(keys, vals), zip(keys[1:], vals[1:])):
                if a > b * (1 + 1e-9) + 1e-12:
                    errors.append((f"{path}.{ka}", f"{ka}={a} is larger than {kb}={b}"))

        ordered("min_ms", "median_ms", "max_ms")
        ordered("median_ms", "p90_ms", "max_ms")
        ordered("p90_ms", "p95_ms", "p99_ms", "max_ms")
        ordered("low_ms", "mean_ms", "high_ms")
        samples = rec.get("samples_ms")
        if isinstance(samples, list) and isinstance(rec.get("iterations"), int):
            count = sum(len(r) for r in samples if isinstance(r, list))
            if count != rec["iterations"]:
                errors.append((f"{path}.samples_ms",
                               f"holds {count} samples but iterations is {rec['iterations']}"))
    return errors


def validate(report: Any, source: str = "<report>") -> dict[str, Any]:
    """Return ``report`` if it is a valid report of a supported version; raise ReportError otherwise."""
    from .._files import json_problem

    checked = check_versioned(report, source, schema=schema(), supported=SUPPORTED, noun="benchmark report",
                              semantic=_semantic_errors, error=ReportError)
    problem = json_problem(checked)  # what the schema leaves free (extra, machine.extra) holds numbers too
    if problem:
        raise ReportError(source, [problem])
    return checked


def load_reports(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a report file holding one report or a JSON array of reports."""
    return parse_reports(read_report_bytes(path), str(path))


def read_report_bytes(path: str | Path) -> bytes:
    """The bytes of a report file (or of another tool's output that ingest converts), refusing what
    no report is: a missing file, a folder or device, more than ``MAX_REPORT_BYTES``."""
    from .._files import read_bytes

    path = Path(path)
    try:
        return read_bytes(path, "benchmark report", limit=MAX_REPORT_BYTES)  # never a FIFO or device
    except ValueError as exc:  # a folder, device, FIFO or a file too large: one line naming it
        raise ReportError(str(path), [("", str(exc).replace(f"benchmark report {path} ", "", 1))]) from None


def parse_reports(raw: bytes, source: str) -> list[dict[str, Any]]:
    """Validate the reports in ``raw`` (UTF-8 JSON: one report or an array); ``source`` names it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(source, [("", f"not UTF-8 text (byte {exc.start}); a report is UTF-8 JSON")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(source, [("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]) from None
    except RecursionError:
        raise ReportError(source, [("", "nested too deeply to be a report")]) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ReportError(source, [("", f"not a valid report number ({one_line(exc, 120)})")]) from None
    if isinstance(data, list):
        if not data:
            raise ReportError(source, [("", "the array holds no report")])
        errors: list[tuple[str, str]] = []
        for i, item in enumerate(data):
            try:
                validate(item, source)
            except ReportError as exc:
                errors.extend((f"[{i}]" + ("." + p if p else ""), m) for p, m in exc.errors)
        if errors:
            raise ReportError(source, errors)
        return data
    return [validate(data, source)]
