"""The device-report formats ``edgerep bench ingest`` reads, and how a file's format is recognized.

edgerep's own ``edgerep.bench/1`` JSON is read as is (schema.py). Other tools' outputs are converted
to it, each by one module with ``detect`` and ``convert`` (one row here each): LiteRT's
``benchmark_model`` text and Qualcomm AI Hub profile JSON. The format is recognized from the content,
never from the file name. Converters import nothing heavy (ingest stays light).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schema import parse_reports, read_report_bytes, validate


@dataclass(frozen=True)
class Format:
    name: str
    module: str  # detect(content) and convert(content, source, *, model, device) -> report dicts
    json: bool  # content is parsed JSON (True) or text (False)
    label: str


FORMATS: tuple[Format, ...] = (
    Format("aihub", "edgerep.bench.from_aihub", json=True, label="a Qualcomm AI Hub profile JSON"),
    Format("benchmark_model", "edgerep.bench.from_benchmark_model", json=False,
           label="a LiteRT benchmark_model output (terminal or logcat)"),
)


def _known() -> str:
    return "an edgerep.bench/1 report, " + " or ".join(f.label for f in FORMATS)


def read_reports(path: str | Path, *, model: str | None = None, device: str | None = None) -> list[dict[str, Any]]:
    """The reports in ``path``, converted to ``edgerep.bench/1`` when another tool wrote them, and
    validated. ``model`` and ``device`` name what a foreign output leaves unnamed; they are refused
    for edgerep's own reports (which already say both)."""
    path = Path(path)
    source = str(path)
    raw = read_report_bytes(path)
    text = raw.decode("utf-8", errors="replace")  # logs may hold stray bytes; reports are checked strictly
    data: Any = None
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return parse_reports(raw, source)  # names the problem (JSON error, line and column, ...)
    for fmt in FORMATS:
        if (data is not None) != fmt.json:
            continue
        module = importlib.import_module(fmt.module)
        content = data if fmt.json else text
        if module.detect(content):
            reports = module.convert(content, source, model=model, device=device, created=_modified(path))
            return [validate(r, f"{source} (converted from {fmt.name})") for r in reports]
    if isinstance(data, list) or (isinstance(data, dict) and "schema" in data):
        if model is not None or device is not None:
            raise ValueError(f"{source} is an edgerep report, which names its models and machine; "
                             "--model and --device only apply to benchmark_model logs and AI Hub profiles")
        return parse_reports(raw, source)
    raise ValueError(f"{source} is not {_known()}")


def _modified(path: Path) -> str:
    """When the file was last written (UTC): the best date a foreign output offers."""
    import datetime as _dt

    stamp = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
