"""TFLite target: litert-torch conversion, LiteRT (ai-edge-litert) runtime, in-file metadata.

litert-torch converts the fused model; the export-time rewrites of
:mod:`edgerep.exporters.tflite_rewrites` then edit the converted float32 file (same function, a graph
XNNPACK runs well) and are checked against it on the interpreter, before any quantization. NHWC
input (``channels_last``, the default) is a transpose in front of the model that litert-torch's
layout pass folds away: the graph runs NHWC throughout with no TRANSPOSE op.

Precisions:
  fp32  float32 weights and arithmetic.
  fp16  float16 weights (half the file), dequantized to float32 when the interpreter loads them
        (TFLite's "float16 quantization"; GPU delegates and ARMv8.2 XNNPACK may compute in fp16).
  int8  static post-training quantization with ai-edge-quantizer: int8 per-channel symmetric
        weights, int8 per-tensor activations from min/max calibration; float32 input and output;
        the float-file rewrites and the ops kept in float32 are in :mod:`.tflite_int8`.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

from edgerep._optional import require

from .._io import quiet, reuse_last_load, staged, write_atomic
from .metadata import dist_version
from .tflite_rewrites import Rewritten, pack_model, rewrite_for_litert, schema as _schema, unpack_model

PRECISIONS = ("fp32", "fp16", "int8")
REWRITE_TOLERANCE = 1e-5  # relative L2 error of the rewritten file vs the converted one
_CALIBRATION_RANDOM = 8  # images when int8 gets no calibration batch
_METADATA_PREFIX = "edgerep."


# ------------------------------------------------------------------------------------- convert


def convert(model: nn.Module, example: torch.Tensor, path: Path, *, precision: str = "fp32",
            channels_last: bool = True, calibration: torch.Tensor | None = None) -> dict[str, Any]:
    """Convert a fused, eval-mode ``model`` to a ``.tflite`` file at ``path`` (written atomically).

    Args:
        model: fused and in eval mode; not modified (the rewrites apply to a copy).
        example: an NCHW input of the exported shape (batch included).
        path: the file to write.
        precision: ``"fp32"``, ``"fp16"`` or ``"int8"`` (see the module docstring).
        channels_last: NHWC input (True, the mobile convention) or NCHW (False). The output keeps
            the model's own layout (logits or embeddings are 2-D either way).
        calibration: int8 only: NCHW images, normalized like ``example``; random when None.

    Returns:
        What the sidecar records: converter and runtime versions, layout, rewrites, precision scheme.
    """
    precision, example = _check_args(model, example, precision, channels_last, calibration)
    path = Path(path)
    with quiet():
        litert_torch = require("litert_torch")
    info: dict[str, Any] = {
        "converter": f"litert-torch {dist_version('litert-torch')}",
        "runtime": f"ai-edge-litert {dist_version('ai-edge-litert')} (XNNPACK CPU delegate)",
        "input_layout": "NHWC" if channels_last else "NCHW",
    }

    graph = copy.deepcopy(model).eval()  # wrappers built for export may still say train()
    sample = example
    if channels_last:
        graph = litert_torch.to_channel_last_io(graph, args=[0]).eval()
        sample = example.permute(0, 2, 3, 1).contiguous()

    with staged(path) as (tmp,):
        with quiet(), torch.no_grad():
            litert_torch.convert(graph, (sample,)).export(str(tmp))
        converted = tmp.read_bytes()
        rewritten = rewrite_for_litert(converted)
        info["rewrites"] = rewritten.notes
        if rewritten.notes:
            info["rewrite_rel_error"] = _check_rewrite(converted, rewritten, sample)
            tmp.write_bytes(rewritten.data)
        data = None
        if precision == "int8":
            data = _calibration_inputs(calibration, example, channels_last)
            source = "random normal images" if calibration is None else "the given batch"
            info["calibration"] = f"{source} ({sum(len(b) for b in data)} images)"
        if precision != "fp32":
            info["quantization"] = _quantize(tmp, precision, data)
    info["precision"] = precision
    return info


def validate(options: Any) -> None:
    """Target hook for :func:`edgerep.export`: TFLite supports every common option."""
    if options.precision not in PRECISIONS:
        raise ValueError(f"precision {options.precision!r} is not supported by tflite; allowed: "
                         f"{', '.join(PRECISIONS)}")


def _check_args(model: nn.Module, example: torch.Tensor, precision: str, channels_last: bool,
                calibration: torch.Tensor | None) -> tuple[str, torch.Tensor]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(example, torch.Tensor) or example.ndim != 4:
        shape = tuple(example.shape) if isinstance(example, torch.Tensor) else type(example).__name__
        raise ValueError(f"example must be an NCHW tensor (N, C, H, W), got {shape}; pass e.g. "
                         "torch.randn(1, 3, 224, 224)")
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported by tflite; allowed: "
                         f"{', '.join(PRECISIONS)}")
    if not isinstance(channels_last, bool):
        raise TypeError(f"channels_last must be True (NHWC input) or False (NCHW), got {channels_last!r}")
    if calibration is not None:
        if precision != "int8":
            raise ValueError(f"calibration applies only to precision 'int8' (got {precision!r}); "
                             "drop the calibration batch or pass precision='int8'")
        if not isinstance(calibration, torch.Tensor) or calibration.ndim != 4 \
                or tuple(calibration.shape[1:]) != tuple(example.shape[1:]):
            got = tuple(calibration.shape) if isinstance(calibration, torch.Tensor) else type(calibration).__name__
            raise ValueError(f"calibration must be NCHW images shaped (N, {', '.join(map(str, example.shape[1:]))})"
                             f" like the example, got {got}")
    return precision, example.detach().float()


def _check_rewrite(converted: bytes, rewritten: Rewritten, sample: torch.Tensor) -> float:
    """The largest relative error, over the tensors the rewrites must preserve (each split conv's
    output) and the model's outputs, between the converted and the rewritten file on one random
    input; raises beyond float32 rounding.

    Comparing each rewritten op's own output makes the check as strict for a freshly initialized
    FastViT, whose ConvFFNs are scaled by 1e-5 layer scales and barely reach the logits, as for
    trained weights. Intermediate tensors are only readable with TFLite's builtin kernels (XNNPACK
    keeps its own), so the check runs without the delegate; verification then runs on XNNPACK.
    """
    x = torch.randn(sample.shape, generator=torch.Generator().manual_seed(0)).numpy()
    with quiet():
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        values = []
        for data in (converted, rewritten.data):
            interpreter = Interpreter(
                model_content=data, num_threads=1, experimental_preserve_all_tensors=True,
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            outputs = [d["index"] for d in interpreter.get_output_details()]
            _invoke(interpreter, x)
            values.append([interpreter.get_tensor(t, g).astype(np.float64)
                           for g, t in [*rewritten.preserved, *((0, i) for i in outputs)]])
    err = 0.0
    for ref, out in zip(*values):
        scale = float(np.linalg.norm(ref))
        err = max(err, float(np.linalg.norm(out - ref)) / (scale if scale > 0 else 1.0))
    if not err <= REWRITE_TOLERANCE:
        raise RuntimeError(f"the TFLite export rewrites changed the model's output (relative error "
                           f"{err:.2e} > {REWRITE_TOLERANCE:g}): please report this as an edgerep bug")
    return float(f"{err:.3g}")


def _calibration_inputs(calibration: torch.Tensor | None, example: torch.Tensor,
                        channels_last: bool) -> list[np.ndarray]:
    """One array per exported batch, in the graph's input layout."""
    if calibration is None:
        gen = torch.Generator().manual_seed(0)
        calibration = torch.randn((_CALIBRATION_RANDOM, *example.shape[1:]), generator=gen)
    data = calibration.detach().float()
    if channels_last:
        data = data.permute(0, 2, 3, 1)
    batch = example.shape[0]
    if len(data) < batch:
        data = data.repeat((batch + len(data) - 1) // len(data), 1, 1, 1)
    usable = len(data) // batch * batch
    return [data[i:i + batch].contiguous().numpy() for i in range(0, usable, batch)]


def _quantize(path: Path, precision: str, calibration: list[np.ndarray] | None) -> str:
    """Quantize the float model at ``path`` in place with ai-edge-quantizer; returns the scheme."""
    with quiet():
        aeq = require("ai_edge_quantizer")
    qt = aeq.qtyping
    op = qt.TFLOperationName.ALL_SUPPORTED
    notes: list[str] = []
    if precision == "int8":
        from . import tflite_int8

        data, notes = tflite_int8.mark_float_ops(path.read_bytes())
        path.write_bytes(data)
    quantizer = aeq.quantizer.Quantizer(path.read_bytes())
    if precision == "fp16":
        quantizer.add_weight_only_config(
            regex=".*", operation_name=op, num_bits=16,
            algorithm_key=aeq.algorithm_manager.AlgorithmName.FLOAT_CASTING,
        )
        scheme = "float16 weights, dequantized to float32 at load; float32 activations and I/O"
    else:
        from . import tflite_int8

        scheme = tflite_int8.configure(quantizer, aeq)
    with quiet():
        calib = None
        if quantizer.need_calibration:
            signature, name = _signature_input(path)
            calib = quantizer.calibrate({signature: [{name: x} for x in calibration]}, num_threads=1)
        result = quantizer.quantize(calib, enable_progress_report=False)
    path.write_bytes(bytes(result.quantized_model))
    return "; ".join([scheme, *notes])


def _signature_input(path: Path) -> tuple[str, str]:
    interpreter = _interpreter(path, threads=1)
    signatures = interpreter.get_signature_list()
    key = next(iter(signatures))
    return key, signatures[key]["inputs"][0]


# ----------------------------------------------------------------------------------------- run


@reuse_last_load
def _interpreter(path: Path, threads: int) -> Any:
    with quiet():
        require("ai_edge_litert")
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter(model_path=str(path), num_threads=threads)


def run(path: Path, inputs: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """Run ``inputs`` (already in the model's layout) through the LiteRT interpreter (XNNPACK)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    interpreter = _interpreter(path, threads)
    detail = interpreter.get_input_details()[0]
    x = np.asarray(inputs, dtype=np.float32)
    if tuple(x.shape) != tuple(detail["shape"]):
        raise ValueError(f"inputs have shape {tuple(x.shape)} but {Path(path).name} takes "
                         f"{tuple(int(d) for d in detail['shape'])}; transpose to the model's layout "
                         "(NHWC unless exported with channels_last=False)")
    return _invoke(interpreter, x)


def _invoke(interpreter: Any, x: np.ndarray) -> np.ndarray:
    """One run of a loaded interpreter on float32 ``x`` (quantized at the input if it must be)."""
    detail = interpreter.get_input_details()[0]
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], np.ascontiguousarray(_quantize_input(x, detail)))
    interpreter.invoke()
    out = interpreter.get_output_details()[0]
    return _dequantize_output(interpreter.get_tensor(out["index"]), out)


def _quantize_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """float32 -> the input's type (integer inputs of files quantized elsewhere use their scale)."""
    dtype = np.dtype(detail["dtype"])
    if dtype.kind == "f":
        return x.astype(dtype)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)


def _dequantize_output(y: np.ndarray, detail: dict) -> np.ndarray:
    if np.dtype(detail["dtype"]).kind == "f":
        return y.astype(np.float32, copy=True)
    scale, zero = detail["quantization"]
    return ((y.astype(np.float32) - zero) * scale).astype(np.float32)


# ------------------------------------------------------------------------------------ flatbuffer


def _read_model(path: Path) -> Any:
    """The flatbuffer's ``Model`` table (read-only view)."""
    schema = _schema()
    buf = Path(path).read_bytes()
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ValueError(f"{path} is not a TFLite flatbuffer (no TFL3 identifier)")
    return schema.Model.GetRootAsModel(buf, 0)


def op_histogram(path: Path) -> dict[str, int]:
    """Operator counts over every subgraph, by builtin name (custom ops as ``CUSTOM:<name>``)."""
    schema = _schema()
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = _read_model(path)
    counts: Counter[str] = Counter()
    for g in range(model.SubgraphsLength()):
        sub = model.Subgraphs(g)
        for i in range(sub.OperatorsLength()):
            code = model.OperatorCodes(sub.Operators(i).OpcodeIndex())
            # Builtins above 127 live in BuiltinCode(); older ones in the deprecated int8 field.
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = names.get(builtin, f"BUILTIN_{builtin}")
            if name == "CUSTOM":
                name = f"CUSTOM:{(code.CustomCode() or b'').decode()}"
            counts[name] += 1
    return dict(counts.most_common())


def embed_metadata(path: Path, metadata: dict[str, str]) -> None:
    """Store ``metadata`` as flatbuffer metadata entries (name -> UTF-8 buffer), atomically.

    Entries with the same names are replaced; others (``min_runtime_version``, TFLite's own
    ``TFLITE_METADATA``) are kept. Readers: :func:`read_metadata`, or any flatbuffer reader.
    """
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in metadata.items()):
        raise TypeError("metadata must be a dict of str to str (see edgerep.exporters.metadata.flatten)")
    schema = _schema()
    path = Path(path)
    data = path.read_bytes()
    model = unpack_model(data)
    kept = [m for m in (model.metadata or []) if _name(m.name) not in metadata]
    for key, value in metadata.items():
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = key
        entry.buffer = len(model.buffers) - 1
        kept.append(entry)
    model.metadata = kept
    write_atomic(path, pack_model(model, len(data)))


def read_metadata(path: Path) -> dict[str, str]:
    """Every flatbuffer metadata entry whose bytes are UTF-8 text, by name."""
    model = _read_model(path)
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


def io_signature(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Input and output tensors (name, shape, dtype) as the interpreter reports them."""
    interpreter = _interpreter(path, threads=1)

    def desc(d: dict) -> dict[str, Any]:
        return {"name": d["name"], "shape": [int(s) for s in d["shape"]], "dtype": np.dtype(d["dtype"]).name}

    return {"inputs": [desc(d) for d in interpreter.get_input_details()],
            "outputs": [desc(d) for d in interpreter.get_output_details()]}
