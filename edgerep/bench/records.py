"""Benchmark records and reports: what ``benchmark()`` returns and report.schema.json describes."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterator

from .._version import __version__
from .schema import SCHEMA_ID, validate
from .stats import Summary


@dataclass
class Record:
    """One model in one form on one runtime, precision and thread count (times in ms)."""

    model: str
    form: str  # "fused" or "unfused"
    runtime: str
    precision: str
    status: str = "ok"  # "ok", "unavailable" or "failed"
    reason: str | None = None
    family: str | None = None
    task: str | None = None
    baseline: bool = False
    runtime_version: str | None = None
    backend: str | None = None
    threads: int | None = None
    batch: int = 1
    input_shape: list[int] | None = None
    load_ms: float | None = None
    first_ms: float | None = None
    median_ms: float | None = None
    mean_ms: float | None = None
    low_ms: float | None = None
    high_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    std_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    iterations: int | None = None
    kept: int | None = None
    peak_memory_bytes: int | None = None
    artifact_bytes: int | None = None
    params: int | None = None
    macs: int | None = None
    gmacs_per_s: float | None = None
    ceiling_gmacs_per_s: float | None = None
    efficiency: float | None = None
    samples_ms: list[list[float]] | None = None
    # Phone state before and after the record (edgerep.bench/2, harnesses only): thermal state,
    # low-power mode, battery; and the cool-down waited before it. See report.schema.json.
    conditions: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def set_summary(self, summary: Summary) -> None:
        for f in fields(Summary):
            setattr(self, f.name, getattr(summary, f.name))
        if self.macs and self.median_ms:
            self.gmacs_per_s = self.macs / (self.median_ms * 1e-3) / 1e9
        if self.gmacs_per_s is not None and self.ceiling_gmacs_per_s:
            self.efficiency = self.gmacs_per_s / self.ceiling_gmacs_per_s

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("samples_ms", "conditions", "extra"):
            if data[optional] is None:
                del data[optional]
        for key, value in data.items():  # microsecond resolution is plenty for the JSON
            if isinstance(value, float):
                data[key] = round(value, 4 if key.endswith("_ms") or key.endswith("_s") else 6)
        if data.get("samples_ms"):
            data["samples_ms"] = [[round(s, 4) for s in r] for r in data["samples_ms"]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Report:
    """A benchmark run: the machine, the protocol, runtime versions and the records.

    Iterating a report iterates its records; ``to_dict()`` gives the schema's JSON form.
    """

    machine: dict[str, Any]
    protocol: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    runtimes: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=lambda: utc_now())
    tool: dict[str, str] = field(default_factory=lambda: {"name": "edgerep", "version": __version__})
    extra: dict[str, Any] | None = None
    # Records of this run that were not measured for a reason the user can fix (a failure, a missing
    # extra); not part of the JSON. ``edgerep bench`` exits 1 when any.
    incomplete: list[str] = field(default_factory=list, repr=False)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema": SCHEMA_ID,
            "created": self.created,
            "tool": dict(self.tool),
            "machine": dict(self.machine),
            "protocol": dict(self.protocol),
            "runtimes": dict(self.runtimes),
            "records": [r.to_dict() for r in self.records],
        }
        if self.extra is not None:
            data["extra"] = self.extra
        return data

    def to_json(self) -> str:
        """The report as JSON, validated against the schema first."""
        return json.dumps(validate(self.to_dict(), "<this run>"), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(
            machine=dict(data["machine"]),
            protocol=dict(data["protocol"]),
            records=[Record.from_dict(r) for r in data["records"]],
            runtimes=dict(data.get("runtimes", {})),
            created=data["created"],
            tool=dict(data["tool"]),
            extra=data.get("extra"),
        )


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cpu_name() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def host_machine() -> dict[str, Any]:
    """The machine block of a host run: OS, CPU, cores, memory, Python."""
    system = platform.system() or "unknown"
    return {
        "kind": "host",
        "name": platform.node() or "host",
        "os": system,
        "os_version": platform.release() or None,
        "cpu": _cpu_name(),
        "arch": platform.machine() or None,
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "python": platform.python_version(),
    }

