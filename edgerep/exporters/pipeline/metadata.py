"""The metadata every artifact carries, in the file where the format allows and in a JSON sidecar.

One nested dict (the sidecar ``<artifact>.json``) and its flat string form for in-file metadata
(ONNX ``metadata_props``, Core ML ``user_defined_metadata``, TFLite metadata): top-level scalars as
text, nested values as compact JSON, every key prefixed ``edgerep.``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from importlib import metadata as _importlib_metadata
from pathlib import Path
from typing import Any

from edgerep._version import __version__

# edgerep.counting (torch) is imported where used: reading an artifact's metadata stays torch-free.

SIDECAR_SUFFIX = ".json"
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
KEY_PREFIX = "edgerep."



def dist_version(dist: str) -> str:
    """The installed version of distribution ``dist``, or "not installed"."""
    try:
        return _importlib_metadata.version(dist)
    except _importlib_metadata.PackageNotFoundError:
        return "not installed"


def tool_versions(dists: tuple[str, ...]) -> dict[str, str]:
    """edgerep's version and those of the distributions ``dists`` (a target's ``tools``)."""
    return {"edgerep": __version__, **{d: dist_version(d) for d in dists}}


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

    Objects, lists, numbers, booleans and null come back as JSON values; everything else as text.
    """
    out: dict[str, Any] = {}
    for key, text in flat.items():
        if not key.startswith(KEY_PREFIX):
            continue
        value: Any = text
        if text[:1] in "{[" or text in ("true", "false", "null") or _JSON_NUMBER.fullmatch(text):
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


def describe(job: Any, info: dict, histogram: dict, graph_audit: Any, verification: Any) -> dict[str, Any]:
    """Everything the artifact says about itself (the sidecar, and inside the file flattened)."""
    from edgerep.counting import count_macs, count_params

    prep, options, graph, target = job.prep, job.options, job.graph, job.target
    tools = tool_versions(target.tools)
    h, w = prep.input_size
    return {
        "model": prep.name,
        "edgerep_version": tools["edgerep"],
        "target": target.name,
        "created": utc_now(),
        "task": prep.task,
        "family": prep.spec.family if prep.spec else None,
        "baseline": bool(prep.spec.baseline) if prep.spec else False,
        # Per image, of the exported (fused) graph: what device harnesses put in their records.
        "params": count_params(prep.fused),
        "macs": count_macs(graph.module, (3, h, w)),
        "input": {"name": options.input_name, "shape": list(job.input_shape), "layout": job.layout,
                  "dtype": "float32", "kind": "image" if job.layout == "image" else graph.input_kind},
        "output": {"name": options.output_name, "shape": list(job.out_shape),
                   "l2_normalized": options.l2_normalize},
        "output_meaning": output_meaning(prep.task, options.l2_normalize, job.out_shape[-1]),
        "preprocessing": describe_preprocessing(prep, graph.input_kind, graph.preprocessing_in_graph),
        "precision": options.precision,
        "fused": True,
        "fusion": prep.fusion,
        "checkpoint": prep.checkpoint,
        "checkpoint_sha256": (prep.checkpoint or {}).get("sha256"),
        "op_histogram": histogram,
        "audit": graph_audit.to_json(),
        "verification": verification.to_json(),
        "conversion": info,
        "options": {**target.recorded_options(options, info), "image_input": options.image_input,
                    "batch": options.batch},
        "tools": tools,
        "notes": prep.notes + job.notes,
    }
