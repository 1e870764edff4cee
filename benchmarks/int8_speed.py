"""int8 against fp32 on onnxruntime and LiteRT, side by side in one run: latency and drift on real images.

    PYTHONPATH=$PWD python benchmarks/int8_speed.py                       # the issue-15 models
    PYTHONPATH=$PWD python benchmarks/int8_speed.py --models fastvit_t8 --rounds 100 --json out.json

Per model, in one process:

1. The model with randomized statistics (tools/randomize.py ``randomize``: BatchNorm statistics and the
   constant-initialized parameters, layer scales included, drawn at random, as the parity tests do).
   Freshly initialized weights are no stand-in for trained ones here: FastViT's 1e-5 layer scales make
   each branch's activations 1e-8 of the residual's, a scale ratio XNNPACK's int8 ADD refuses (it
   then runs on TFLite's slow reference ADD) and an activation range no trained model has.
2. ``edgerep.export`` of that checkpoint to ONNX and TFLite, fp32 and int8, int8 calibrated on the
   ``"calibration"`` split of edgerep/exporters/pipeline/samples.py (photos shipped with scikit-image; LFW faces
   for face models).
3. Latency, 1 thread: the four artifacts loaded once, warmed up, then ``--rounds`` rounds in which
   each runs once in turn (ORT fp32, ORT int8, LiteRT fp32, LiteRT int8), so that load from other
   processes hits them alike. Medians and int8/fp32 ratios per runtime.
4. Drift on the ``"evaluation"`` split (disjoint photos or faces), each int8 artifact against the fused
   fp32 torch model: classifiers report top-1 agreement and logit cosine (mean and worst image), face
   models the embedding cosine (raw, and centred on the fp32 mean embedding: random weights send
   every face to nearly the same direction) and the same/different decision flips over every pair of
   evaluation faces, on centred embeddings, at the threshold that splits the fp32 pair similarities in
   half (the threshold that makes the most pairs borderline: the hardest honest setting for random
   weights, which have no identities).

Prints Markdown rows for benchmarks/RESULTS.md (``--json FILE`` keeps everything).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import edgerep  # noqa: E402
from edgerep.exporters import export  # noqa: E402
from edgerep.exporters.pipeline import samples  # noqa: E402
from edgerep.exporters.pipeline.int8 import describe  # noqa: E402
from edgerep.exporters.pipeline.targets import get_target  # noqa: E402
from edgerep.exporters.pipeline.metadata import dist_version  # noqa: E402
from edgerep.registry import get_spec  # noqa: E402
from tools.randomize import randomize  # noqa: E402

DEFAULT_MODELS = "mobileone_s0,fastvit_t8,facelivt_s,repnext_m0,edgeface_xxs,facelivtv2_xs,fastvit_sa12"


def _normalize(spec, raw: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(raw)
    if spec.mean is None:
        return x / 127.5 - 1.0
    mean = torch.tensor(spec.mean).view(1, -1, 1, 1)
    std = torch.tensor(spec.std).view(1, -1, 1, 1)
    return (x / 255.0 - mean) / std


class Runner:
    """One loaded artifact: ``run(x)`` on NCHW float32 input, ``time()`` one prediction."""

    def __init__(self, target: str, path: Path) -> None:
        self.target, self.path = target, path
        if target == "onnx":
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads, opts.log_severity_level = 1, 1, 3
            self.sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            self.name = self.sess.get_inputs()[0].name
        else:
            from ai_edge_litert.interpreter import Interpreter

            self.interp = Interpreter(model_path=str(path), num_threads=1)
            self.interp.allocate_tensors()
            self.inp = self.interp.get_input_details()[0]["index"]
            self.out = self.interp.get_output_details()[0]["index"]
        self.times: list[float] = []

    def run(self, x: np.ndarray) -> np.ndarray:
        if self.target == "onnx":
            return self.sess.run(None, {self.name: x})[0]
        self.interp.set_tensor(self.inp, np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
        self.interp.invoke()
        return self.interp.get_tensor(self.out).copy()

    def timed(self, x: np.ndarray) -> None:
        t = time.perf_counter_ns()
        self.run(x)
        self.times.append((time.perf_counter_ns() - t) / 1e6)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1).astype(np.float64), b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def drift(task: str, ref: np.ndarray, out: np.ndarray) -> dict:
    cos = _cos(out, ref)
    result = {"cos_mean": float(cos.mean()), "cos_min": float(cos.min())}
    if task == "face-embedding":
        # Random weights map every face to nearly the same direction (fp32 pair cosines all above
        # 0.999): raw cosines to fp32 then say little and a threshold cannot separate pairs. Both
        # are measured on embeddings centred on the fp32 mean of the evaluation faces, which keeps
        # what distinguishes one face from another; the raw cosine is reported beside them.
        centre = ref.astype(np.float64).mean(0, keepdims=True)
        ref, out = ref.astype(np.float64) - centre, out.astype(np.float64) - centre
        centred = _cos(out, ref)
        result.update(cos_centred_mean=float(centred.mean()), cos_centred_min=float(centred.min()))
        i, j = np.triu_indices(len(ref), 1)
        unit = lambda e: e / np.linalg.norm(e, axis=1, keepdims=True)  # noqa: E731
        r, o = unit(ref), unit(out)
        sim_ref, sim_out = (r[i] * r[j]).sum(1), (o[i] * o[j]).sum(1)
        threshold = float(np.median(sim_ref))
        flips = int(((sim_ref > threshold) != (sim_out > threshold)).sum())
        result.update(pairs=len(i), flips=flips, flip_rate=flips / len(i), threshold=threshold)
    else:
        result["top1_agreement"] = float((ref.argmax(1) == out.argmax(1)).mean())
    return result


def bench_model(name: str, rounds: int, workdir: Path) -> dict:
    spec = get_spec(name)
    size = tuple(spec.input_size[-2:])
    torch.manual_seed(0)  # the initialization must not depend on which models ran before
    model = randomize(edgerep.create_model(name).eval(), seed=0)
    ckpt = edgerep.save_checkpoint(model, workdir / f"{name}.safetensors")
    calib = _normalize(spec, samples.images(spec.task, "calibration", size))
    evaluation = _normalize(spec, samples.images(spec.task, "evaluation", size))
    with torch.no_grad():
        ref = edgerep.reparameterize(model).eval()(evaluation).numpy()
    runners, info = {}, {"model": name, "task": spec.task, "exports": {}}
    for target in ("onnx", "tflite"):
        for precision in ("fp32", "int8"):
            print(f"  export {name} {target} {precision}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            r = export(name, target, checkpoint=ckpt, precision=precision, output=workdir / f"{target}-{precision}/",
                       calibration=calib if precision == "int8" else None)
            info["exports"][f"{target}-{precision}"] = {
                "seconds": round(time.perf_counter() - t, 1), "verified": r.passed,
                "cosine_random_inputs": r.verification.cosine,
                "facts": get_target(target).int8_facts(r.path) if precision == "int8" else None}
            runners[(target, precision)] = Runner(target, r.path)
    info["drift"] = {}
    for target in ("onnx", "tflite"):
        out = np.concatenate([runners[(target, "int8")].run(evaluation[i:i + 1].numpy()) for i in range(len(evaluation))])
        info["drift"][target] = drift(spec.task, ref, out)
    x = evaluation[:1].numpy()
    for r in runners.values():
        for _ in range(3):
            r.run(x)
    for _ in range(rounds):
        for r in runners.values():
            r.timed(x)
    info["latency_ms"] = {f"{t}-{p}": statistics.median(r.times) for (t, p), r in runners.items()}
    info["ratio"] = {t: info["latency_ms"][f"{t}-int8"] / info["latency_ms"][f"{t}-fp32"] for t in ("onnx", "tflite")}
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    names = [n for p in args.models.split(",") for n in edgerep.list_models(p.strip())]
    results, failed = [], []
    with tempfile.TemporaryDirectory(prefix="edgerep-int8-") as tmp:
        for name in names:
            print(f"[{len(results) + len(failed) + 1}/{len(names)}] {name}", file=sys.stderr, flush=True)
            work = Path(tmp) / name
            work.mkdir()
            try:
                results.append(bench_model(name, args.rounds, work))
            except Exception as exc:  # a row with the reason, not a crash
                print(f"  {name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                failed.append((name, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"))
            if args.json:
                args.json.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                                 "onnxruntime": dist_version("onnxruntime"),
                                                 "ai-edge-litert": dist_version("ai-edge-litert"),
                                                 "results": results}, indent=1))
    print("| model | ORT fp32 ms | ORT int8 ms | ORT int8/fp32 | LiteRT fp32 ms | LiteRT int8 ms | LiteRT int8/fp32 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ms = r["latency_ms"]
        print(f"| {r['model']} | {ms['onnx-fp32']:.2f} | {ms['onnx-int8']:.2f} | {r['ratio']['onnx']:.2f}x | "
              f"{ms['tflite-fp32']:.2f} | {ms['tflite-int8']:.2f} | {r['ratio']['tflite']:.2f}x |")
    print("\n| model | runtime | cosine mean / worst | top-1 agreement or decision flips | int8 ops (what stays float) |")
    print("|---|---|---|---|---|")
    for r in results:
        for target, d in r["drift"].items():
            agree = (f"{d['top1_agreement']:.0%} top-1" if "top1_agreement" in d
                     else f"{d['flips']}/{d['pairs']} flips ({d['flip_rate']:.1%}); centred cosine "
                          f"{d['cos_centred_mean']:.4f} / {d['cos_centred_min']:.4f}")
            print(f"| {r['model']} | {'onnxruntime' if target == 'onnx' else 'LiteRT'} | {d['cos_mean']:.4f} / "
                  f"{d['cos_min']:.4f} | {agree} | {describe(r['exports'][f'{target}-int8']['facts'])} |")
    for name, why in failed:
        print(f"\n{name}: FAILED: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
