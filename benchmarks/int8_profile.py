"""Where the time goes in an fp32 and an int8 artifact, per op type and per op, side by side.

    PYTHONPATH=$PWD python benchmarks/int8_profile.py exports/fastvit_t8.onnx exports/fastvit_t8_int8.onnx
    PYTHONPATH=$PWD python benchmarks/int8_profile.py a.tflite b.tflite --top 20

- ``.onnx``: onnxruntime's own profiler (``SessionOptions.enable_profiling``), 1 thread, the kernel
  time of every node averaged over ``--runs`` runs, summed per op type (QLinearConv, Gelu, ...). The
  node names show what onnxruntime fused: a QDQ group it has an int8 kernel for becomes one QLinear*
  node; anything else runs in float between DequantizeLinear and QuantizeLinear nodes.
- ``.tflite``: the Python interpreter has no op profiler, so every operator is cut out into a
  one-op model (same tensors, quantization and constants) and timed on XNNPACK and on TFLite's own
  kernels ("builtin"): an op whose XNNPACK time equals its builtin time was not taken by XNNPACK.
  The sum misses the delegate's partition boundaries and cache effects; the whole-model median is
  printed beside it.

Timings are medians of one run on whatever else the machine is doing: compare files profiled in
the same run, and ratios rather than milliseconds.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def onnx_profile(path: Path, runs: int) -> tuple[dict, list]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads, opts.log_severity_level = 1, 1, 3
    opts.enable_profiling = True
    opts.profile_file_prefix = str(Path(tempfile.gettempdir()) / "edgerep-int8-profile")
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).standard_normal([d if isinstance(d, int) else 1 for d in inp.shape])
    for _ in range(runs):
        sess.run(None, {inp.name: x.astype(np.float32)})
    trace = Path(sess.end_profiling())
    events = json.loads(trace.read_text())
    trace.unlink()
    by_type: dict = collections.defaultdict(lambda: [0.0, 0])
    by_node: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"]["op_name"]
            by_type[op][0] += e["dur"] / runs / 1000
            by_type[op][1] += 1 / runs
            by_node[f"{op} {e['name'][:-12]}"] += e["dur"] / runs / 1000
    return {k: (v[0], round(v[1])) for k, v in by_type.items()}, by_node.most_common()


def _one_op_models(data: bytes) -> list[tuple[int, str, str, bytes]]:
    from edgerep.exporters.tflite.flatbuffer import pack_model, schema, unpack_model

    s = schema()
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    model = unpack_model(data)
    graph = model.subgraphs[0]
    out = []
    for i, op in enumerate(graph.operators):
        code = model.operatorCodes[op.opcodeIndex]
        name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
        m = s.ModelT()
        m.version, m.description, m.operatorCodes, m.buffers = model.version, "one op", [code], [s.BufferT()]
        sub = s.SubGraphT()
        sub.tensors, remap, inputs = [], {}, []
        outputs = {int(t) for t in op.outputs}

        def add(t: int) -> int:
            if t < 0:
                return -1
            if t not in remap:
                tensor = copy.copy(graph.tensors[t])
                if tensor.buffer > 0 and model.buffers[tensor.buffer].data is not None:
                    m.buffers.append(model.buffers[tensor.buffer])
                    tensor.buffer = len(m.buffers) - 1
                else:
                    tensor.buffer = 0
                    if t not in outputs:
                        inputs.append(len(sub.tensors))
                sub.tensors.append(tensor)
                remap[t] = len(sub.tensors) - 1
            return remap[t]

        new = copy.copy(op)
        new.opcodeIndex = 0
        new.inputs = np.asarray([add(int(t)) for t in op.inputs], dtype=np.int32)
        new.outputs = np.asarray([add(int(t)) for t in op.outputs], dtype=np.int32)
        sub.inputs, sub.outputs, sub.operators = np.asarray(inputs, dtype=np.int32), new.outputs, [new]
        m.subgraphs = [sub]
        what = ""
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            k = graph.tensors[int(op.inputs[1])].shape
            what = f"k{list(k)} s{op.builtinOptions.strideH}"
        x = graph.tensors[int(op.inputs[0])] if len(op.inputs) else None
        dtype = {0: "f32", 9: "i8", 7: "i16", 3: "u8"}.get(x.type, str(x.type)) if x is not None else ""
        out.append((i, name, f"{dtype} {what} out{list(graph.tensors[int(op.outputs[0])].shape)}",
                    pack_model(m)))
    return out


def _time_tflite(content: bytes, runs: int, xnnpack: bool = True) -> float:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kw = {} if xnnpack else {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    interp = Interpreter(model_content=content, num_threads=1, **kw)
    interp.allocate_tensors()
    rng = np.random.default_rng(0)
    for d in interp.get_input_details():
        dtype = np.dtype(d["dtype"])
        x = (rng.integers(-100, 100, d["shape"]) if dtype.kind in "iu" else rng.standard_normal(d["shape"]))
        interp.set_tensor(d["index"], x.astype(dtype))
    for _ in range(2):
        interp.invoke()
    times = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        interp.invoke()
        times.append(time.perf_counter_ns() - t)
    return statistics.median(times) / 1e6


def tflite_profile(path: Path, runs: int) -> tuple[dict, list, float]:
    by_type: dict = collections.defaultdict(lambda: [0.0, 0])
    rows = []
    for i, name, what, content in _one_op_models(path.read_bytes()):
        xnn, builtin = _time_tflite(content, runs), _time_tflite(content, runs, xnnpack=False)
        by_type[name][0] += xnn
        by_type[name][1] += 1
        rows.append((f"{name} #{i} {what} (builtin {builtin:.3f})", xnn))
    whole = _time_tflite(path.read_bytes(), runs)
    return {k: tuple(v) for k, v in by_type.items()}, sorted(rows, key=lambda r: -r[1]), whole


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    profiles = {}
    for f in args.files:
        if f.suffix == ".onnx":
            by_type, nodes = onnx_profile(f, args.runs)
            profiles[f.name] = (by_type, nodes, None)
        else:
            profiles[f.name] = tflite_profile(f, args.runs)
    types = sorted({t for p in profiles.values() for t in p[0]},
                   key=lambda t: -max(p[0].get(t, (0, 0))[0] for p in profiles.values()))
    print("| op type | " + " | ".join(f"{n} ms (count)" for n in profiles) + " |")
    print("|---|" + "---:|" * len(profiles))
    for t in types:
        cells = [f"{p[0][t][0]:.3f} ({p[0][t][1]})" if t in p[0] else "-" for p in profiles.values()]
        print(f"| {t} | " + " | ".join(cells) + " |")
    print("| **sum** | " + " | ".join(f"{sum(v[0] for v in p[0].values()):.3f}" for p in profiles.values()) + " |")
    for name, (_, nodes, whole) in profiles.items():
        print(f"\n{name}: slowest ops" + (f" (whole model {whole:.2f} ms)" if whole is not None else ""))
        for label, ms in nodes[:args.top]:
            print(f"  {ms:8.3f} ms  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
