"""Every model to every target, verified: one run, one table for benchmarks/RESULTS.md.

    ./dev python benchmarks/export_matrix.py                          # all registered models
    ./dev python benchmarks/export_matrix.py --models 'facelivt*,edgeface_*' --targets onnx,tflite
    ./dev python benchmarks/export_matrix.py --precisions default,int8     # int8 rows and column too

Each export goes through ``edgerep.export`` (fuse, convert, audit, verify against the fused torch
model) into a temporary directory that is removed afterwards. The table has, per model and target:
whether verification passed, the relative error (or "structure" where the runtime cannot run here:
Core ML on Linux), the node count of the fused export, the ops in it that compute only from
constants (0: the exporters fold them), the ATen op count of the unfused torch model, the artifact
size and the wall time. A failing export is a row with its one-line reason, not a crash.

``--precisions`` (default: ``default``, each target's own precision: fp32 for ONNX and TFLite, fp16
for Core ML) adds a row per precision; ``int8`` is static int8 on ONNX and TFLite (verified at cosine
>= 0.99 on random inputs) and 8-bit weights on Core ML, and its "int8" column gives the share of ops
that compute in int8 (of weights stored in 8 bits, for Core ML) Target.int8_facts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import edgerep


def _row(name: str, target: str, out_dir: str, precision: str = "default") -> list[str]:
    from edgerep.exporters.pipeline.targets import get_target

    start = time.perf_counter()
    label = precision
    try:
        r = edgerep.export(name, target, output=f"{out_dir}/", verify=True,
                           precision=None if precision == "default" else precision)
        label = r.precision
    except Exception as exc:  # a benchmark row, not a crash: record why
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        return [name, target, label, "FAIL", reason, "-", "-", "-", "-", f"{time.perf_counter() - start:.1f}", "-"]
    v = r.verification
    err = v.rel_error
    parity = f"{err:.1e}" if isinstance(err, float) else str(v.runtime or "structure")
    if isinstance(err, float) and r.precision.is_integer:
        parity += f" (cos {v.cosine:.4f})"
    facts = get_target(target).int8_facts(r.path) if r.precision.is_integer else None
    share = (facts or {}).get("int8_share")
    return [
        name, target, label, "pass" if r.passed else "FAIL", parity, str(r.nodes), str(r.audit.constant_ops),
        str(r.nodes_unfused if r.nodes_unfused is not None else "-"), f"{r.size_mb:.1f}", f"{r.seconds:.1f}",
        "-" if share is None else f"{share:.0%}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*", help="comma-separated fnmatch patterns")
    parser.add_argument("--targets", default="onnx,tflite,coreml")
    parser.add_argument("--precisions", default="default",
                        help="comma-separated: default (each target's own), fp32, fp16, int8")
    args = parser.parse_args()
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    names = [n for p in args.models.split(",") for n in edgerep.list_models(p.strip())]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgerep-matrix-") as out_dir:
        for i, name in enumerate(names):
            for target in targets:
                for precision in precisions:
                    print(f"[{i + 1}/{len(names)}] {name} -> {target} {precision}", file=sys.stderr, flush=True)
                    rows.append(_row(name, target, out_dir, precision))
    header = ["model", "target", "precision", "verified", "rel. error", "nodes (fused)", "constant ops left",
              "torch ops (unfused)", "MB", "s", "int8"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    failed = [r for r in rows if r[3] != "pass"]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} exports verified", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
