"""int8 on trained weights (issue 21): accuracy against fp32 and speed, onnxruntime and LiteRT, in one run.

    PYTHONPATH=$PWD python benchmarks/int8_trained.py                        # all three models
    PYTHONPATH=$PWD python benchmarks/int8_trained.py --models mobileone_s0 --eval 200 --json out.json

Reads the trained weights and photos of ``../shared/testdata`` (or ``$EDGEREP_TESTDATA``); writes
only to a temporary folder. Per model:

1. ``edgerep.export`` to ONNX and TFLite, fp32 and int8, the int8 with ``calibration=DIR``, as a user
   would run it: MobileOne-S0 on a folder of 500 of the 1,000 ImageNet photos (the even positions
   in name order; the export holds every fifth of them out for its own check, so it calibrates on
   400), EdgeFace on ``faces/groups`` (every face detected and aligned by the export).
2. Accuracy on images the export never saw: MobileOne on the other 500 photos (top-1 against the
   labels for fp32 and int8, top-1 agreement, logit cosine), EdgeFace on ``faces/portraits`` (the
   largest face of each, aligned): embedding cosine to fp32 (min, mean) and the same/different
   decisions that flip over every pair at the face pipeline's threshold (0.35).
3. Reference points measured beside: Core ML's 8-bit weights (coremltools ``linear_symmetric``:
   per output channel, symmetric int8 in [-127, 127], tensors under 2048 elements left float) applied
   in torch, fp32 compute, since Core ML itself cannot run here; the same after edgerep's
   equalization and GPTQ rounding (same grid: coremltools would keep those weights as they are,
   not wired into the Core ML export yet); for EdgeFace the authors' own int8
   (``torch.ao.quantization.quantize_dynamic`` of the Linear layers, the form of their ``_q`` files).
4. Latency, 1 thread, the four artifacts interleaved for ``--rounds`` rounds; medians and ratios.

Prints Markdown tables for benchmarks/RESULTS.md ("Issue 21"); ``--json FILE`` keeps everything.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
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

from edgerep.exporters import export  # noqa: E402
from edgerep.exporters.pipeline.metadata import dist_version  # noqa: E402
from edgerep.exporters.pipeline.run import identify  # noqa: E402
from edgerep.exporters.pipeline.prepare import normalize, prepare  # noqa: E402

from benchmarks.int8_speed import Runner  # noqa: E402

VARIABLE = "EDGEREP_TESTDATA"
MODELS = {  # name: (checkpoint, task)
    "mobileone_s0": "weights/mobileone_s0_apple_fused.safetensors",
    "edgeface_xxs_q": "weights/edgeface_xxs_q.pt",
    "edgeface_xs_q": "weights/edgeface_xs_q.pt",
}
COREML_MIN_ELEMENTS = 2048  # coremltools' linear_quantize_weights leaves smaller tensors float
FACE_THRESHOLD = 0.35  # edgerep.facecore.matching.DEFAULT_THRESHOLD


def testdata() -> Path:
    given = os.environ.get(VARIABLE)
    root = Path(given) if given else REPO.parent / "shared" / "testdata"
    if not (root / "weights").is_dir():
        raise SystemExit(f"int8_trained: no test data at {root}; set {VARIABLE}=DIR (trained weights and photos)")
    return root


# ------------------------------------------------------------------------------------------ data


def imagenet_split(root: Path, workdir: Path, n_eval: int) -> tuple[Path, list[Path], np.ndarray]:
    """A folder of the 500 calibration photos (links), the evaluation photos and their labels."""
    files = sorted((root / "images" / "imagenet-sample").glob("*.JPEG"))
    wnids = sorted(f.name.split("_")[0] for f in files)
    cal = workdir / "calibration"
    cal.mkdir()
    for f in files[0::2]:
        (cal / f.name).symlink_to(f)
    evaluation = files[1::2][:n_eval]
    return cal, evaluation, np.array([wnids.index(f.name.split("_")[0]) for f in evaluation])


def photos(files: list[Path], prep) -> torch.Tensor:  # noqa: ANN001
    """Raw pixels as edgerep's calibration loader reads a folder (resize, centre crop)."""
    from edgerep.exporters.pipeline.calibration import _load_images

    out = []
    for f in files:
        with tempfile.TemporaryDirectory() as one:
            (Path(one) / f.name).symlink_to(f)
            out.append(_load_images(Path(one), prep, 1))
    return torch.cat(out)


def portrait_faces(root: Path) -> torch.Tensor:
    """The largest face of each portrait, detected and aligned by edgerep (raw pixels, N x 3 x 112 x 112)."""
    from edgerep.facecore.alignment import align
    from edgerep.facecore.detect import MTCNN, largest
    from edgerep.facecore.images import load_image

    detector, crops = MTCNN(), []
    for p in sorted((root / "faces" / "portraits").glob("*.jpg")):
        image = load_image(p)
        face = largest(detector.detect(image))
        if face is not None:
            crops.append(torch.from_numpy(align(image, face.landmarks, 112).copy()).permute(2, 0, 1).float())
    return torch.stack(crops)


# --------------------------------------------------------------------------------------- metrics


def metrics(task: str, ref: np.ndarray, out: np.ndarray, labels: np.ndarray | None) -> dict:
    ref, out = ref.reshape(len(ref), -1).astype(np.float64), out.reshape(len(out), -1).astype(np.float64)
    cos = (ref * out).sum(1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(out, axis=1))
    result = {"cos_median": float(np.median(cos)), "cos_mean": float(cos.mean()), "cos_min": float(cos.min())}
    if task == "classification":
        result.update(top1=float((out.argmax(1) == labels).mean()), top1_fp32=float((ref.argmax(1) == labels).mean()),
                      agreement=float((out.argmax(1) == ref.argmax(1)).mean()))
    else:
        unit = lambda e: e / np.linalg.norm(e, axis=1, keepdims=True)  # noqa: E731
        r, o = unit(ref), unit(out)
        i, j = np.triu_indices(len(r), 1)
        flips = ((r[i] * r[j]).sum(1) > FACE_THRESHOLD) != ((o[i] * o[j]).sum(1) > FACE_THRESHOLD)
        result.update(pairs=int(len(i)), flips=int(flips.sum()), flip_rate=float(flips.mean()))
    return result


def coreml_weights(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with coremltools' 8-bit linear_symmetric weights (per output channel), fp32 compute."""
    from edgerep.exporters.pipeline.int8_torch import round_nearest

    model = copy.deepcopy(model)
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.weight.numel() >= COREML_MIN_ELEMENTS:
            m.weight.data = round_nearest(m.weight.data)
    return model


def authors_dynamic(model: torch.nn.Module) -> torch.nn.Module:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, torch.qint8)


# ----------------------------------------------------------------------------------------- bench


def bench(name: str, root: Path, work: Path, n_eval: int, rounds: int) -> dict:
    ckpt = root / MODELS[name]
    ident = identify(name, None, False, False)
    prep = prepare(name, ident, str(ckpt))
    task = prep.task
    if task == "classification":
        cal, files, labels = imagenet_split(root, work, n_eval)
        raw = photos(files, prep)
    else:
        cal, labels = root / "faces" / "groups", None
        raw = portrait_faces(root)
    x = normalize(prep, raw)
    with torch.no_grad():
        ref = torch.cat([prep.fused(x[i:i + 25]) for i in range(0, len(x), 25)]).numpy()
    info: dict = {"model": name, "task": task, "eval_samples": len(x), "exports": {}, "accuracy": {}}
    runners = {}
    for target in ("onnx", "tflite"):
        for precision in ("fp32", "int8"):
            print(f"  export {name} {target} {precision}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            r = export(name, target, checkpoint=str(ckpt), precision=precision, output=work / f"{target}-{precision}/",
                       calibration=str(cal) if precision == "int8" else None)
            v = r.verification
            info["exports"][f"{target}-{precision}"] = {
                "seconds": round(time.perf_counter() - t, 1), "passed": r.passed,
                "check": {k: getattr(v, k) for k in ("int8", "domain", "missed", "worst_layers", "criterion")},
                "notes": r.metadata.get("notes", [])}
            runners[(target, precision)] = Runner(target, r.path)
    for target in ("onnx", "tflite"):
        for precision in ("fp32", "int8"):
            run = runners[(target, precision)]
            out = np.concatenate([run.run(x[i:i + 1].numpy()) for i in range(len(x))])
            info["accuracy"][f"{target}-{precision}"] = metrics(task, ref, out, labels)
    from edgerep.exporters.pipeline import calibration
    from edgerep.exporters.pipeline import int8_torch

    images = normalize(prep, calibration.load(str(cal), prep).images)
    gptq, _ = int8_torch.round_weights(prep.fused, images, int8_torch.quantized_layers(prep.fused, "conv"))
    with torch.no_grad():
        info["accuracy"]["torch-fp32"] = metrics(task, ref, ref, labels)
        info["accuracy"]["coreml-8bit-weights (torch)"] = metrics(task, ref, coreml_weights(prep.fused)(x).numpy(), labels)
        info["accuracy"]["coreml-8bit-weights, GPTQ first (torch)"] = metrics(
            task, ref, coreml_weights(gptq)(x).numpy(), labels)
        if task == "face-embedding":
            info["accuracy"]["authors-dynamic-int8-linear (torch)"] = metrics(
                task, ref, authors_dynamic(prep.fused)(x).numpy(), labels)
    one = x[:1].numpy()
    for r in runners.values():
        for _ in range(3):
            r.run(one)
    for _ in range(rounds):
        for r in runners.values():
            r.timed(one)
    info["latency_ms"] = {f"{t}-{p}": statistics.median(r.times) for (t, p), r in runners.items()}
    info["ratio"] = {t: info["latency_ms"][f"{t}-int8"] / info["latency_ms"][f"{t}-fp32"] for t in ("onnx", "tflite")}
    return info


def table(results: list[dict]) -> None:
    print("| model | what | top-1 (fp32) | top-1 agreement | cosine median / mean / min | flips | export's own int8 check |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        for what, a in r["accuracy"].items():
            exp = r["exports"].get(what, {})
            check = "" if not what.endswith("int8") else ("passed" if exp.get("passed") else
                                                            "FAILED: " + ", ".join(exp["check"].get("missed") or []))
            top1 = f"{a['top1']:.1%} ({a['top1_fp32']:.1%})" if "top1" in a else "-"
            agree = f"{a['agreement']:.1%}" if "agreement" in a else "-"
            flips = f"{a['flips']}/{a['pairs']}" if "flips" in a else "-"
            print(f"| {r['model']} | {what} | {top1} | {agree} | {a['cos_median']:.4f} / {a['cos_mean']:.4f} / "
                  f"{a['cos_min']:.4f} | {flips} | {check} |")
    print("\n| model | ORT fp32 ms | ORT int8 ms | ORT int8/fp32 | LiteRT fp32 ms | LiteRT int8 ms | LiteRT int8/fp32 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ms = r["latency_ms"]
        print(f"| {r['model']} | {ms['onnx-fp32']:.2f} | {ms['onnx-int8']:.2f} | {r['ratio']['onnx']:.2f}x | "
              f"{ms['tflite-fp32']:.2f} | {ms['tflite-int8']:.2f} | {r['ratio']['tflite']:.2f}x |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--eval", type=int, default=500, help="ImageNet evaluation photos (of 500)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    root = testdata()
    results = []
    with tempfile.TemporaryDirectory(prefix="edgerep-int8-trained-") as tmp:
        for name in args.models.split(","):
            print(f"[{name}]", file=sys.stderr, flush=True)
            work = Path(tmp) / name
            work.mkdir()
            results.append(bench(name.strip(), root, work, args.eval, args.rounds))
            if args.json:
                args.json.write_text(json.dumps({
                    "machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                    "onnxruntime": dist_version("onnxruntime"), "ai-edge-litert": dist_version("ai-edge-litert"),
                    "ai-edge-quantizer": dist_version("ai-edge-quantizer"), "results": results}, indent=1))
    table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
