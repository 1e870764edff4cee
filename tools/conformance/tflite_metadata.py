"""Golden vectors of the TFLite metadata a device harness reads (see :mod:`tools.conformance.vectors`).

Each case is a small ``.tflite`` flatbuffer built here deterministically (one tensor, no operator)
with entries stored by the exporter's own :func:`edgerep.exporters.tflite.flatbuffer.with_metadata`, base64
encoded, with what a reader must find in it: every text entry (:func:`metadata_entries`), and the
fields a benchmark record takes from the ``edgerep.*`` entries (``artifact``; null for a file
without them). The Kotlin core's flatbuffer reader is tested against these bytes on the JVM.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from edgerep.exporters.pipeline.metadata import flatten, unflatten
from edgerep.exporters.tflite.flatbuffer import metadata_entries, pack_model, schema, with_metadata

_BINARY_ENTRY = bytes([0x1C, 0x00, 0x00, 0x00, 0xFF, 0xFE, 0x80, 0x00])  # not UTF-8, like TFLITE_METADATA


def _model_bytes(shape: list[int], extra_entries: dict[str, bytes]) -> bytes:
    """A minimal TFLite model: one float32 input tensor that is also the output, no operators."""
    s = schema()
    model = s.ModelT()
    model.version = 3
    model.description = "edgerep golden vector"
    model.operatorCodes = []
    tensor = s.TensorT()
    tensor.shape = np.array(shape, dtype=np.int32)
    tensor.type = s.TensorType.FLOAT32
    tensor.buffer = 0
    tensor.name = "image"
    graph = s.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = [tensor], [0], [0], []
    model.subgraphs = [graph]
    model.buffers = [s.BufferT()]
    model.metadata = []
    for name, raw in extra_entries.items():
        buffer = s.BufferT()
        buffer.data = np.frombuffer(raw, dtype=np.uint8)
        model.buffers.append(buffer)
        entry = s.MetadataT()
        entry.name = name
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)
    return pack_model(model)


def _artifact(entries: dict[str, str]) -> dict[str, Any] | None:
    """What a record takes from the ``edgerep.*`` entries (the harness's ArtifactMetadata)."""
    meta = unflatten(entries)
    if not meta:
        return None
    prep = meta.get("preprocessing") or {}

    def integer(key: str) -> int | None:
        value = meta.get(key)
        return None if value in (None, "null") else int(value)

    return {
        "model": meta["model"],
        "family": meta.get("family"),
        "task": meta.get("task"),
        "baseline": meta.get("baseline") is True,
        "params": integer("params"),
        "macs": integer("macs"),
        "precision": meta.get("precision"),
        "input": {
            "name": meta["input"]["name"],
            "shape": meta["input"]["shape"],
            "layout": meta["input"]["layout"],
            "kind": meta["input"]["kind"],
            "mean": prep.get("mean"),
            "std": prep.get("std"),
        },
    }


def _case(name: str, shape: list[int], meta: dict[str, Any] | None) -> dict[str, Any]:
    data = _model_bytes(shape, {"min_runtime_version": b"2.9.0\x00\x00", "TFLITE_METADATA": _BINARY_ENTRY})
    if meta is not None:
        data = with_metadata(data, flatten(meta))
    entries = metadata_entries(data)
    return {"name": name, "tflite_base64": base64.b64encode(data).decode("ascii"), "expected": {
        "entries": entries, "artifact": _artifact(entries)}}


_CLASSIFIER = {
    "model": "fastvit_t8", "edgerep_version": "0.1.0", "target": "tflite", "task": "classification",
    "family": "fastvit", "baseline": False, "params": 3992392, "macs": 685160448,
    "input": {"name": "image", "shape": [1, 256, 256, 3], "layout": "NHWC", "dtype": "float32", "kind": "tensor"},
    "output": {"name": "logits", "shape": [1, 1000], "l2_normalized": False},
    "preprocessing": {"resize": {"size": [256, 256], "interpolation": "bicubic", "crop_pct": 0.9},
                      "color": "RGB", "scale": "x / 255", "mean": [0.485, 0.456, 0.406],
                      "std": [0.229, 0.224, 0.225], "input_kind": "tensor", "in_graph": "none"},
    "precision": "fp32", "fused": True, "checkpoint": None,
    "output_meaning": "1000 class logits – apply softmax (UTF-8 text: naïve, µs)",
    "notes": ["random weights: outputs mean nothing"],
}
_FACE_BASELINE = {
    "model": "edgeface_xs_gamma_06", "task": "face-embedding", "family": "edgeface", "baseline": True,
    "params": 1770000, "macs": 154000000,
    "input": {"name": "face", "shape": [1, 3, 112, 112], "layout": "NCHW", "dtype": "float32", "kind": "raw"},
    "preprocessing": {"resize": None, "color": "RGB", "scale": "x / 255", "mean": None, "std": None,
                      "input_kind": "raw", "in_graph": "x/255 - mean and 1/std as graph ops"},
    "precision": "fp16",
}


def tflite_metadata_cases() -> tuple[str, list[dict[str, Any]]]:
    cases = [
        _case("classifier_nhwc_tensor", [1, 256, 256, 3], _CLASSIFIER),
        _case("face_baseline_nchw_raw", [1, 3, 112, 112], _FACE_BASELINE),
        _case("foreign_model", [1, 224, 224, 3], None),
    ]
    valid = base64.b64decode(cases[0]["tflite_base64"])
    errors = [
        {"name": "not_tflite", "tflite_base64": base64.b64encode(b'{"schema": "not a model"}').decode(),
         "error": "identifier"},
        {"name": "truncated", "tflite_base64": base64.b64encode(valid[:48]).decode(), "error": "truncated"},
    ]
    description = (
        "TFLite flatbuffers (base64) and their metadata. 'entries': every Model.metadata entry "
        "(name -> the bytes of the Model.buffers entry it names) whose bytes decode as UTF-8, trailing "
        "NULs dropped; binary entries are skipped. 'artifact': what a harness takes from the edgerep.* "
        "entries (scalars as text, nested values as compact JSON): model, family, task, baseline "
        "(text 'true'/'false'), params and macs (integers), precision, and the input (name, shape, "
        "layout, kind from edgerep.input; mean and std from edgerep.preprocessing, null when absent); "
        "null when the file has no edgerep.* entry. Cases with 'error' must be refused: 'identifier': "
        "no TFL3 file identifier at bytes 4..8; 'truncated': a reference points outside the bytes."
    )
    return description, cases + errors
