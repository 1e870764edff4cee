"""Every model to every target, verified: one run, one table for benchmarks/RESULTS.md.

    ./dev python benchmarks/export_matrix.py                          # all registered models
    ./dev python benchmarks/export_matrix.py --models 'facelivt*,edgeface_*' --targets onnx,tflite

Each export goes through ``edgerep.export`` (fuse, convert, audit, verify against the fused torch
model) into a temporary directory that is removed afterwards. The table has, per model and target:
whether verification passed, the relative error (or "structure" where the runtime cannot run here:
Core ML on Linux), the node count of the fused export, the ops in it that compute only from
constants (0: the exporters fold them), the ATen op count of the unfused torch model, the artifact
size and the wall time. A failing export is a row with its one-line reason, not a crash.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import edgerep


def _row(name: str, target: str, out_dir: str) -> list[str]:
    start = time.perf_counter()
    try:
        r = edgerep.export(name, target, output=f"{out_dir}/", verify=True)
    except Exception as exc:  # a benchmark row, not a crash: record why
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        return [name, target, "FAIL", reason, "-", "-", "-", "-", f"{time.perf_counter() - start:.1f}"]
    v = r.verification
    err = v.get("rel_error")
    parity = f"{err:.1e}" if isinstance(err, float) else str(v.get("runtime", "structure"))
    return [
        name, target, "pass" if r.passed else "FAIL", parity, str(r.nodes), str(r.audit.get("constant_ops", "-")),
        str(r.nodes_unfused if r.nodes_unfused is not None else "-"), f"{r.size_mb:.1f}", f"{r.seconds:.1f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*", help="comma-separated fnmatch patterns")
    parser.add_argument("--targets", default="onnx,tflite,coreml")
    args = parser.parse_args()
    names = [n for p in args.models.split(",") for n in edgerep.list_models(p.strip())]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgerep-matrix-") as out_dir:
        for i, name in enumerate(names):
            for target in targets:
                print(f"[{i + 1}/{len(names)}] {name} -> {target}", file=sys.stderr, flush=True)
                rows.append(_row(name, target, out_dir))
    header = ["model", "target", "verified", "rel. error", "nodes (fused)", "constant ops left",
              "torch ops (unfused)", "MB", "s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    failed = [r for r in rows if r[2] != "pass"]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} exports verified", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
