"""``edgerep bench``: latency of registered models on torch, onnxruntime, LiteRT and Core ML.

:func:`benchmark` (``edgerep.benchmark``, in harness.py) measures and returns a :class:`Report`
whose records follow the versioned schema in report.schema.json; the iOS/Android harnesses write the
same schema and ``edgerep bench ingest`` merges their files into the same tables and plots.
"""

from __future__ import annotations

from typing import Any

from .harness import benchmark
from .records import Record, Report
from .schema import SCHEMA_ID, ReportError, load_reports, validate
from .stats import DEFAULT, MODELBENCH, QUICK, Protocol
from .suites import SUITES, suite_models

__all__ = [
    "benchmark", "Report", "Record", "Protocol", "DEFAULT", "MODELBENCH", "QUICK", "SUITES",
    "SCHEMA_ID", "ReportError", "load_reports", "validate", "suite_models", "Workload",
]


def __getattr__(name: str) -> Any:
    if name == "Workload":  # imports torch: loaded on first use, not with the CLI
        from .workload import Workload

        return Workload
    raise AttributeError(f"module 'edgerep.bench' has no attribute {name!r}")
