"""The metadata every artifact carries, in the file where the format allows and in a JSON sidecar.

One nested dict (the sidecar ``<artifact>.json``) and its flat string form for in-file metadata
(ONNX ``metadata_props``, Core ML ``user_defined_metadata``, TFLite metadata): top-level scalars as
text, nested values as compact JSON, every key prefixed ``edgerep.``.
"""

from __future__ import annotations

import datetime as _dt
import json
from importlib import metadata as _importlib_metadata
from pathlib import Path
from typing import Any

from edgerep._version import __version__

SIDECAR_SUFFIX = ".json"
KEY_PREFIX = "edgerep."

# Distribution names whose versions each target records.
TOOLS = {
    "onnx": ("torch", "onnx", "onnxscript", "onnxruntime", "numpy"),
    "coreml": ("torch", "coremltools", "numpy"),
    "tflite": ("torch", "litert-torch", "ai-edge-litert", "numpy"),
}


def dist_version(dist: str) -> str:
    """The installed version of distribution ``dist``, or "not installed"."""
    try:
        return _importlib_metadata.version(dist)
    except _importlib_metadata.PackageNotFoundError:
        return "not installed"


def tool_versions(target: str) -> dict[str, str]:
    return {"edgerep": __version__, **{d: dist_version(d) for d in TOOLS.get(target, ("torch",))}}


def sidecar_path(artifact: Path) -> Path:
    """``exports/m.onnx`` -> ``exports/m.onnx.json`` (one sidecar per artifact, never shared)."""
    return artifact.with_name(artifact.name + SIDECAR_SUFFIX)


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def flatten(meta: dict[str, Any]) -> dict[str, str]:
    """The in-file form: ``{"edgerep.model": "fastvit_t8", "edgerep.input": "{...json...}", ...}``."""
    flat = {}
    for key, value in meta.items():
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
        flat[KEY_PREFIX + key] = text
    return flat


def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """Inverse of :func:`flatten` for the ``edgerep.`` keys (other keys are ignored).

    Objects, lists, booleans and null come back as JSON values; everything else as text.
    """
    out: dict[str, Any] = {}
    for key, text in flat.items():
        if not key.startswith(KEY_PREFIX):
            continue
        value: Any = text
        if text[:1] in "{[" or text in ("true", "false", "null"):
            try:
                value = json.loads(text)
            except ValueError:
                pass
        out[key[len(KEY_PREFIX):]] = value
    return out


def describe_preprocessing(prep: Any, input_kind: str, in_graph: str) -> dict[str, Any]:
    spec = prep.spec
    return {
        "resize": None if spec is None else {
            "size": list(prep.input_size),
            "interpolation": spec.interpolation,
            "crop_pct": spec.crop_pct,
        },
        "color": "RGB",
        "scale": "x / 255",
        "mean": None if prep.mean is None else list(prep.mean),
        "std": None if prep.std is None else list(prep.std),
        "input_kind": input_kind,
        "in_graph": in_graph,
    }


def output_meaning(task: str, l2_normalize: bool, num_outputs: int | None) -> str:
    if task == "face-embedding":
        kind = "L2-normalized" if l2_normalize else "raw (not normalized)"
        return (f"{num_outputs}-d face embedding, {kind}; compare faces by cosine similarity"
                + ("" if l2_normalize else " (normalize first)"))
    if task == "classification":
        return f"{num_outputs} class logits (apply softmax for probabilities)"
    return f"model output with {num_outputs} values per sample"
