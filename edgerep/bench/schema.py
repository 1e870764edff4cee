"""The versioned benchmark report schema (report.schema.json) and its validator.

The schema file kept beside this module is the one definition: host runs (``edgerep bench --json``)
and the iOS/Android harnesses write it, ``edgerep bench ingest`` reads it. Validation needs no extra
package: :func:`validate` interprets the subset of JSON Schema (draft 2020-12) the file uses (type,
const, enum, required, properties, additionalProperties, items, minItems, minimum, minLength,
pattern, $ref into $defs, if/then/else), then checks what JSON Schema cannot say (low <= mean <=
high, min <= median <= max, samples per round). Every error names the file and the field path,
e.g. ``pixel8.json: records[2].median_ms: expected number or null, got string '1.3'``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .._text import closest, one_line

SCHEMA_ID = "edgerep.bench/1"
SUPPORTED = (SCHEMA_ID,)
_MAX_ERRORS = 5
MAX_REPORT_BYTES = 64 * 2**20


class ReportError(ValueError):
    """A benchmark report that does not follow the schema; ``errors`` holds (path, message) pairs."""

    def __init__(self, source: str, errors: list[tuple[str, str]]):
        self.source = source
        self.errors = errors
        shown = "; ".join(f"{path or '(top level)'}: {msg}" for path, msg in errors[:_MAX_ERRORS])
        more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
        super().__init__(f"invalid benchmark report {source}: {shown}{more}")


@functools.lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    """The JSON Schema document of the current report version (a fresh parse, cached)."""
    text = resources.files("edgerep.bench").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
}


def _describe(value: Any) -> str:
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "integer" if isinstance(value, int) else "number")
    text = json.dumps(value) if not isinstance(value, (dict, list)) else ""
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}".rstrip()


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Validator:
    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.errors: list[tuple[str, str]] = []

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise NotImplementedError(f"only local $ref is supported, got {ref!r}")
            merged = {k: v for k, v in node.items() if k != "$ref"}
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            node = {**target, **merged}
        return node

    def check(self, value: Any, node: dict[str, Any], path: str) -> bool:
        """Validate ``value``; record errors; return whether it was valid."""
        before = len(self.errors)
        node = self.resolve(node)
        if "const" in node and value != node["const"]:
            self.errors.append((path, f"expected {json.dumps(node['const'])}, got {_describe(value)}"))
            return False
        if "enum" in node and value not in node["enum"]:
            allowed = ", ".join(json.dumps(v) for v in node["enum"])
            self.errors.append((path, f"expected one of {allowed}, got {_describe(value)}"))
            return False
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if not any(_JSON_TYPES[t](value) for t in types):
                self.errors.append((path, f"expected {' or '.join(types)}, got {_describe(value)}"))
                return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in node and value < node["minimum"]:
                self.errors.append((path, f"must be >= {node['minimum']}, got {value}"))
        if isinstance(value, str):
            if len(value) < node.get("minLength", 0):
                self.errors.append((path, "must not be empty"))
            if "pattern" in node and not re.search(node["pattern"], value):
                self.errors.append((path, f"{value!r} does not match the pattern {node['pattern']}"))
        if isinstance(value, list):
            if len(value) < node.get("minItems", 0):
                self.errors.append((path, f"needs at least {node['minItems']} item(s)"))
            if "items" in node:
                for i, item in enumerate(value):
                    self.check(item, node["items"], _join(path, i))
        if isinstance(value, dict):
            self.check_object(value, node, path)
        if "if" in node:
            probe = _Validator(self.root)
            branch = node.get("then") if probe.check(value, node["if"], path) else node.get("else")
            if branch is not None:
                self.check(value, branch, path)
        return len(self.errors) == before

    def check_object(self, value: dict[str, Any], node: dict[str, Any], path: str) -> None:
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                self.errors.append((_join(path, key), "required field is missing"))
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                self.check(item, props[key], _join(path, key))
            elif extra is False:
                close = next(iter(closest(key, props, n=1, cutoff=0.6)), None)
                hint = f" (did you mean {close!r}?)" if close else ""
                self.errors.append((_join(path, key), f"unknown field{hint}"))
            elif isinstance(extra, dict):
                self.check(item, extra, _join(path, key))


def _semantic_errors(report: dict[str, Any]) -> list[tuple[str, str]]:
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
    if not isinstance(report, dict):
        raise ReportError(source, [("", f"expected a JSON object (a report), got {_describe(report)}")])
    version = report.get("schema")
    if version not in SUPPORTED:
        if isinstance(version, str) and version.startswith("edgerep.bench/"):
            msg = (f"schema {version!r} is not supported by this edgerep (supports "
                   f"{', '.join(SUPPORTED)}); upgrade edgerep to read it")
        elif version is None:
            msg = f"required field is missing: not an edgerep benchmark report (expected {SCHEMA_ID!r})"
        else:
            msg = f"expected {SCHEMA_ID!r}, got {_describe(version)}"
        raise ReportError(source, [("schema", msg)])
    validator = _Validator(schema())
    try:
        validator.check(report, schema(), "")
    except RecursionError:
        raise ReportError(source, [("", "nested too deeply to be a report")]) from None
    errors = validator.errors or _semantic_errors(report)
    if errors:
        raise ReportError(source, errors)
    return report


def load_reports(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a report file holding one report or a JSON array of reports."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ReportError(source, [("", "not a regular file; give the report's JSON file")])
        if size > MAX_REPORT_BYTES:
            raise ReportError(source, [("", f"{size} bytes is more than a report holds (at most "
                                            f"{MAX_REPORT_BYTES // 2**20} MB)")])
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"benchmark report {source} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ReportError(source, [("", f"not UTF-8 text (byte {exc.start}); a report is UTF-8 JSON")]) from None
    except OSError as exc:
        raise ReportError(source, [("", f"cannot be read ({exc.strerror or exc})")]) from None
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
