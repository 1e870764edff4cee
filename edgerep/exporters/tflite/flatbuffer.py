"""Reading and writing ``.tflite`` flatbuffers: the schema, the model as a table or as a mutable
object, operator names, and edgerep's metadata entries.

Shared by the conversion (:mod:`.target`), the rewrites (:mod:`.rewrites`) and the int8 recipe
(:mod:`.int8`), so that none of them imports another for the file format.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..._optional import require

# ai_edge_litert and flatbuffers (the tflite extra) are imported where used: edgerep runs without them.


def schema() -> ModuleType:
    """The TFLite flatbuffer schema (``ai_edge_litert.schema_py_generated``)."""
    require("ai_edge_litert")
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def read_model(path: Path) -> Any:
    """The flatbuffer's ``Model`` table (read-only view)."""
    return model_of(Path(path).read_bytes(), str(path))


def model_of(data: bytes, source: str) -> Any:
    """The ``Model`` table of ``data``; ValueError naming ``source`` when it is not a TFLite file."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError(f"{source} is not a TFLite flatbuffer (no TFL3 identifier)")
    return schema().Model.GetRootAsModel(data, 0)


def builtin_names() -> dict[int, str]:
    """Builtin operator code -> its name (``CONV_2D``, ...)."""
    return {v: k for k, v in vars(schema().BuiltinOperator).items() if not k.startswith("_")}


def builtin_code(code: Any) -> int:
    """The builtin code of an ``OperatorCode`` table: builtins above 127 live in ``BuiltinCode()``,
    older ones in the deprecated int8 field."""
    return max(code.BuiltinCode(), code.DeprecatedBuiltinCode())


def unpack_model(data: bytes) -> Any:
    """A ``.tflite`` flatbuffer as a mutable ``ModelT``."""
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.read_model_from_bytearray(bytearray(data))


def pack_model(model: Any, size_hint: int = 0) -> bytes:
    """``model`` (a ``ModelT``) serialized as a ``.tflite`` flatbuffer.

    The builder starts at ``size_hint`` (the size of the file it came from) rather than 1 KB:
    growing by doubling copies the whole buffer each time, which costs a 44 MB model 0.1 s.
    """
    import flatbuffers

    builder = flatbuffers.Builder(max(1024, int(size_hint * 1.05) + 4096))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def with_metadata(data: bytes, metadata: dict[str, str]) -> bytes:
    """``data`` (a ``.tflite`` flatbuffer) with ``metadata`` stored as ``TFLiteTarget.embed_metadata`` does."""
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in metadata.items()):
        raise TypeError("metadata must be a dict of str to str (see edgerep.exporters.pipeline.metadata.flatten)")
    tfl = schema()
    model = unpack_model(data)
    kept = [m for m in (model.metadata or []) if _name(m.name) not in metadata]
    for key, value in metadata.items():
        buffer = tfl.BufferT()
        buffer.data = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
        model.buffers.append(buffer)
        entry = tfl.MetadataT()
        entry.name = key
        entry.buffer = len(model.buffers) - 1
        kept.append(entry)
    model.metadata = kept
    return pack_model(model, len(data))


def metadata_entries(data: bytes, source: str = "<bytes>") -> dict[str, str]:
    """:func:`read_metadata` of a ``.tflite`` flatbuffer's bytes (``source`` names it in errors)."""
    model = model_of(data, source)
    out = {}
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        buf = model.Buffers(entry.Buffer())
        raw = buf.DataAsNumpy().tobytes() if buf.DataLength() else b""
        try:
            out[_name(entry.Name())] = raw.decode("utf-8").rstrip("\x00")
        except UnicodeDecodeError:  # binary entries (e.g. TFLITE_METADATA) are not text
            continue
    return out


def _name(raw: bytes | str | None) -> str:
    return raw.decode() if isinstance(raw, bytes) else (raw or "")
