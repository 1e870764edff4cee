"""JSON Schema validation whose errors read ``file: field.path: message``.

A thin layer over ``jsonschema`` (draft 2020-12) for the JSON files users hand edgerep (benchmark
reports, and anything else that ships a schema): :func:`schema_errors` lists every violation as a
(field path, message) pair in edgerep's wording, :class:`SchemaError` turns them into one line that
names the file, :func:`check` does both. Two type rules are stricter than JSON Schema's, as numbers
that a phone's Double and Int64 (and edgerep's arithmetic) hold must be: a ``number`` is a finite
double (Python's ``json`` reads ``NaN``, ``Infinity`` and 400-digit integers), an ``integer`` is an
int within 64 bits (``1.0`` is not one). ``jsonschema`` is imported on first use, so importing this
module stays light.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from ._text import closest

MAX_SHOWN = 5


class SchemaError(ValueError):
    """A document that does not follow its schema; ``errors`` holds (field path, message) pairs.

    The message is one line: ``invalid <what> <source>: <path>: <message>; ...`` (the first
    :data:`MAX_SHOWN` errors, then how many more).
    """

    def __init__(self, source: str, errors: list[tuple[str, str]], what: str = "document"):
        self.source = source
        self.errors = errors
        shown = "; ".join(f"{path or '(top level)'}: {msg}" for path, msg in errors[:MAX_SHOWN])
        more = f" (and {len(errors) - MAX_SHOWN} more)" if len(errors) > MAX_SHOWN else ""
        super().__init__(f"invalid {what} {source}: {shown}{more}")


def describe(value: Any) -> str:
    """A JSON value as its type and a short rendering: ``string "1.3"``, ``number NaN``, ``object``."""
    if value is None:
        return "null"
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "integer" if isinstance(value, int) else "number")
    text = json.dumps(value) if not isinstance(value, (dict, list)) else ""
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}".rstrip()


def field_path(parts: Any) -> str:
    """``("records", 2, "median_ms")`` -> ``records[2].median_ms``."""
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else (f"{path}.{part}" if path else str(part))
    return path


_INT64 = 2**63


def _is_number(_checker: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= sys.float_info.max  # int vs float compares exactly, without overflow
    return isinstance(value, float) and math.isfinite(value)


def _is_integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


@functools.lru_cache(maxsize=None)
def _validator_class() -> type:
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many({"number": _is_number, "integer": _is_integer})
    return validators.extend(Draft202012Validator, type_checker=checker)


def _messages(error: Any) -> list[tuple[str, str]]:
    """(path, message) pairs for one jsonschema error, in edgerep's wording."""
    path = list(error.absolute_path)
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "required":  # one pair per missing field (jsonschema's error names the object)
        return [(field_path([*path, key]), "required field is missing") for key in expected if key not in value]
    if keyword == "additionalProperties" and expected is False:
        known = error.schema.get("properties", {})
        pairs = []
        for key in value:
            if key not in known:
                close = next(iter(closest(key, known, n=1, cutoff=0.6)), None)
                hint = f" (did you mean {close!r}?)" if close else ""
                pairs.append((field_path([*path, key]), f"unknown field{hint}"))
        return pairs
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        got = describe(value)
        if isinstance(value, int) and not isinstance(value, bool) and {"integer", "number"} & set(types):
            got = f"an integer of {len(str(abs(value)))} digits, out of range"
        message = f"expected {' or '.join(types)}, got {got}"
    elif keyword == "const":
        message = f"expected {json.dumps(expected)}, got {describe(value)}"
    elif keyword == "enum":
        message = f"expected one of {', '.join(json.dumps(v) for v in expected)}, got {describe(value)}"
    elif keyword == "minimum":
        message = f"must be >= {expected}, got {value}"
    elif keyword == "maximum":
        message = f"must be <= {expected}, got {value}"
    elif keyword == "exclusiveMinimum":
        message = f"must be > {expected}, got {value}"
    elif keyword == "maxItems":
        message = f"holds more than {expected} item(s)"
    elif keyword == "minLength":
        message = "must not be empty" if expected == 1 else f"needs at least {expected} characters"
    elif keyword == "pattern":
        message = f"{value!r} does not match the pattern {expected}"
    elif keyword == "minItems":
        message = f"needs at least {expected} item(s)"
    else:  # a keyword edgerep's schemas do not use yet: jsonschema's own sentence
        message = error.message
    return [(field_path(path), message)]


def schema_errors(schema: Mapping[str, Any], document: Any) -> list[tuple[str, str]]:
    """Every violation of ``schema`` in ``document``: (field path, message), one per field.

    A field that breaks several rules (say ``"1.3"`` where a report's ``then`` branch also wants a
    number) is named once, with the first.
    """
    errors: dict[str, str] = {}
    for error in _validator_class()(schema).iter_errors(document):
        for path, message in _messages(error):
            errors.setdefault(path, message)
    return list(errors.items())


def check(schema: Mapping[str, Any], document: Any, source: str, what: str = "document") -> Any:
    """Return ``document`` if it follows ``schema``; raise :class:`SchemaError` naming ``source`` otherwise.

    A document nested too deeply for Python to walk is an error of its own, not a RecursionError.
    """
    try:
        errors = schema_errors(schema, document)
    except RecursionError:
        errors = [("", "nested too deeply to be read")]
    if errors:
        raise SchemaError(source, errors, what)
    return document


def check_versioned(document: Any, source: str, *, schema: Mapping[str, Any], supported: tuple[str, ...],
                    noun: str, semantic: Any = None, error: Any = None) -> dict[str, Any]:
    """Validate a versioned edgerep document (``{"schema": "edgerep.<kind>/<major>", ...}``).

    Checks, in order: a JSON object; a ``schema`` version this edgerep reads (a newer major says to
    upgrade); ``schema``; then ``semantic(document) -> [(path, message)]``, the rules a JSON Schema
    cannot state. Raises ``error(source, errors)`` (default :class:`SchemaError`) naming ``source``.
    """
    fail = error or (lambda src, errors: SchemaError(src, errors, noun))
    if not isinstance(document, dict):
        raise fail(source, [("", f"expected a JSON object (an edgerep {noun}), got {describe(document)}")])
    version = document.get("schema")
    if version not in supported:
        family = supported[0].split("/")[0] + "/"
        if isinstance(version, str) and version.startswith(family):
            msg = (f"schema {version!r} is not supported by this edgerep (supports {', '.join(supported)}); "
                   "upgrade edgerep to read it")
        elif version is None:
            msg = f"required field is missing: not an edgerep {noun} (expected {supported[0]!r})"
        else:
            msg = f"expected {supported[0]!r}, got {describe(version)}"
        raise fail(source, [("schema", msg)])
    try:
        errors = schema_errors(schema, document) or (semantic(document) if semantic else [])
    except RecursionError:
        errors = [("", f"nested too deeply to be an edgerep {noun}")]
    if errors:
        raise fail(source, errors)
    return document
