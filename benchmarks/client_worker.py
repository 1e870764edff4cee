"""Run exported artifacts in one client runtime; the other half of benchmarks/client_matrix.py.

Needs only numpy and the client itself, so it runs inside the side virtualenvs client_matrix.py
builds (OpenCV 4.x and 5.x cannot share one environment; tflite-runtime 2.14 needs numpy < 2):

    VENV/bin/python benchmarks/client_worker.py CLIENT JOBS.json

CLIENT is one of: onnxruntime, onnx-reference, opencv, tflite-runtime, litert. JOBS.json is a list of
{"artifact", "input", "output"} (paths; input and output are .npy files). Prints one JSON object:
the client's version and, per job, "ok" or the stage that failed ("load" or "run") with the error's
first lines. Every job runs even when an earlier one failed.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

import numpy as np


def _version(client: str) -> str:
    if client == "opencv":
        import cv2

        return cv2.__version__
    from importlib.metadata import version

    dist = {"onnxruntime": "onnxruntime", "onnx-reference": "onnx", "tflite-runtime": "tflite-runtime",
            "litert": "ai-edge-litert"}[client]
    return version(dist)


def _load(client: str, path: str):  # noqa: ANN202 - a runtime-specific callable
    """A function input -> output for the artifact at ``path`` (raises if the client refuses it)."""
    if client == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.log_severity_level = 1, 3
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        return lambda x: sess.run(None, {name: x})[0]
    if client == "onnx-reference":
        from onnx.reference import ReferenceEvaluator

        ref = ReferenceEvaluator(path)
        name = ref.input_names[0]
        return lambda x: ref.run(None, {name: x})[0]
    if client == "opencv":
        import cv2

        cv2.setNumThreads(1)
        net = cv2.dnn.readNetFromONNX(path)

        def run(x: np.ndarray) -> np.ndarray:
            net.setInput(x)
            return net.forward()

        return run
    if client in ("tflite-runtime", "litert"):
        if client == "litert":
            from ai_edge_litert.interpreter import Interpreter
        else:
            from tflite_runtime.interpreter import Interpreter
        interpreter = Interpreter(model_path=path, num_threads=1)
        interpreter.allocate_tensors()

        def invoke(x: np.ndarray) -> np.ndarray:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
            interpreter.invoke()
            return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])

        return invoke
    raise SystemExit(f"unknown client {client!r}")


def _error(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " | ".join(lines[:6])[:600] or type(exc).__name__


def main() -> int:
    client, jobs_file = sys.argv[1], sys.argv[2]
    with open(jobs_file) as f:
        jobs = json.load(f)
    results = []
    for job in jobs:
        record = {"artifact": job["artifact"]}
        start = time.perf_counter()
        try:
            run = _load(client, job["artifact"])
        except Exception as exc:  # noqa: BLE001 - a refused model is a result, not a crash
            record.update(status="load", error=_error(exc), trace=traceback.format_exc()[-2000:])
            results.append(record)
            continue
        record["load_s"] = round(time.perf_counter() - start, 3)
        try:
            out = np.asarray(run(np.load(job["input"]).astype(np.float32)), dtype=np.float32)
            np.save(job["output"], out)
            record.update(status="ok", run_s=round(time.perf_counter() - start - record["load_s"], 3))
        except Exception as exc:  # noqa: BLE001
            record.update(status="run", error=_error(exc), trace=traceback.format_exc()[-2000:])
        results.append(record)
    print(json.dumps({"client": client, "version": _version(client), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
