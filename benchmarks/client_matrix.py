"""Client-compatibility matrix: every model's default ONNX and TFLite export in the runtimes edge
users deploy with, each compared with the fused torch model.

    ./dev python benchmarks/client_matrix.py                                  # all 28 models
    ./dev python benchmarks/client_matrix.py --models 'edgeface_*' --clients opencv-4,opencv-5
    ./dev python benchmarks/client_matrix.py --models repnext_m0 --opset 18   # try a fix

Clients (``--clients``, default all):

    onnx    onnxruntime (the project environment's), onnxruntime-1.20 (the oldest the ``onnx`` extra
            allows), onnx-reference (onnx's reference evaluator), opencv-4 and opencv-5 (OpenCV DNN,
            newest 4.x and 5.x opencv-python-headless)
    tflite  litert (ai-edge-litert, the project environment's), tflite-runtime (2.14, its last
            release, which needs numpy < 2)

Clients that cannot share the project environment run in side virtualenvs this script builds once
under ``benchmarks/out/clients/`` (not tracked; ``pip install`` of the pinned versions below, rebuilt
when the pins change). Every artifact runs in its own process, so a client that crashes costs one
cell. Per model: build it with random weights (seed 0), fuse it, export it with ``edgerep.export``
(verified against the fused model as usual), run one seeded random input through every client and
compare with the fused torch model: relative L2 error, or the stage that failed (load / run) with the
client's message. Artifacts are deleted after each model unless ``--keep``.

Writes a Markdown table (stdout or ``--markdown``) and every record with the full error text as JSON
(``--json``, default ``benchmarks/out/client_matrix.json``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import edgerep

ROOT = Path(__file__).resolve().parent
WORKER = ROOT / "client_worker.py"
VENVS = ROOT / "out" / "clients"
TIMEOUT_S = 900  # per artifact and client (onnx.reference on the largest models takes minutes)


@dataclass(frozen=True)
class Client:
    name: str  # column label / --clients key
    target: str  # onnx | tflite
    runtime: str  # client_worker.py CLIENT
    pip: tuple[str, ...] = ()  # side virtualenv requirements; () = the project environment


CLIENTS = (
    Client("onnxruntime", "onnx", "onnxruntime"),
    Client("onnxruntime-1.20", "onnx", "onnxruntime", ("onnxruntime==1.20.0",)),
    Client("onnx-reference", "onnx", "onnx-reference"),
    Client("opencv-4", "onnx", "opencv", ("opencv-python-headless==4.14.0.94",)),
    Client("opencv-5", "onnx", "opencv", ("opencv-python-headless==5.0.0.93",)),
    Client("litert", "tflite", "litert"),
    Client("tflite-runtime", "tflite", "tflite-runtime", ("tflite-runtime==2.14.0", "numpy<2")),
)


def python_for(client: Client) -> str:
    """The interpreter that runs ``client``: the project's, or its side virtualenv's (built once)."""
    if not client.pip:
        return sys.executable
    venv = VENVS / client.name
    marker = venv / ".pins"
    pins = "\n".join(client.pip)
    if not (marker.is_file() and marker.read_text() == pins):
        print(f"building {venv} ({', '.join(client.pip)})", file=sys.stderr, flush=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", *client.pip], check=True)
        marker.write_text(pins)
    return str(venv / "bin" / "python")


def run_client(client: Client, python: str, artifact: Path, x: np.ndarray, work: Path) -> dict:
    """One artifact in one client, in its own process: status, version, output or error."""
    inp, out, jobs = work / "input.npy", work / f"out-{client.name}.npy", work / f"jobs-{client.name}.json"
    np.save(inp, x)
    out.unlink(missing_ok=True)
    jobs.write_text(json.dumps([{"artifact": str(artifact), "input": str(inp), "output": str(out)}]))
    start = time.perf_counter()
    try:
        proc = subprocess.run([python, str(WORKER), client.runtime, str(jobs)], capture_output=True,
                              text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no answer within {TIMEOUT_S} s"}
    seconds = round(time.perf_counter() - start, 2)
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])[:400]
        return {"status": "crash", "error": f"exit status {proc.returncode}: {tail}", "seconds": seconds}
    record = {**answer["results"][0], "version": answer["version"], "seconds": seconds}
    if record["status"] == "ok":
        record["output"] = np.load(out)
    return record


def rel_error(out: np.ndarray, ref: np.ndarray) -> float:
    out, ref = np.asarray(out, np.float64).reshape(-1), np.asarray(ref, np.float64).reshape(-1)
    if out.shape != ref.shape:
        return float("inf")
    return float(np.linalg.norm(out - ref) / np.linalg.norm(ref))


def model_rows(name: str, clients: list[Client], pythons: dict[str, str], opset: int | None,
               keep: Path | None) -> list[dict]:
    spec = edgerep.model_info(name)
    c, h, w = spec["input_size"]
    torch.manual_seed(0)
    fused = edgerep.reparameterize(edgerep.create_model(name))
    x = torch.randn(1, c, h, w, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = fused(x).numpy()
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgerep-clients-") as tmp:
        work = Path(tmp)
        for target in dict.fromkeys(cl.target for cl in clients):
            out_dir = keep or work
            options = {"opset": opset} if target == "onnx" and opset else {}
            start = time.perf_counter()
            try:
                result = edgerep.export(fused, target, input_size=(h, w), output=out_dir / f"{name}.{target}",
                                        **options)
            except Exception as exc:  # a row, not a crash
                error = " ".join(str(exc).split())[:300]
                rows += [{"model": name, "target": target, "client": cl.name, "status": "export",
                          "error": error} for cl in clients if cl.target == target]
                continue
            export_s = round(time.perf_counter() - start, 1)
            feed = x.permute(0, 2, 3, 1).contiguous() if result.input_layout == "NHWC" else x
            for cl in (cl for cl in clients if cl.target == target):
                record = run_client(cl, pythons[cl.name], result.path, feed.numpy(), work)
                output = record.pop("output", None)
                record.pop("artifact", None)
                if output is not None:
                    record["rel_error"] = rel_error(output, ref)
                rows.append({"model": name, "target": target, "client": cl.name,
                             "opset": result.metadata["options"].get("opset"), "nodes": result.nodes,
                             "constant_ops": result.audit.constant_ops,
                             "verified": result.verification.rel_error, "export_s": export_s,
                             **record})
                print(f"  {name:22s} {cl.name:18s} {_cell(rows[-1])}", file=sys.stderr, flush=True)
    return rows


def _cell(row: dict) -> str:
    if row["status"] == "ok":
        err = row["rel_error"]
        return f"{err:.1e}" if err <= 1e-4 else f"**{err:.1e}**"
    return f"FAIL ({row['status']})"


_LABELS = {"onnxruntime": "onnxruntime", "onnx-reference": "onnx.reference", "opencv": "OpenCV DNN",
           "litert": "LiteRT", "tflite-runtime": "tflite-runtime"}


def markdown(rows: list[dict], clients: list[Client]) -> str:
    versions = {}
    for r in rows:
        if r.get("version"):
            versions.setdefault(r["client"], r["version"])
    header = ["model"] + [f"{cl.target}: {_LABELS[cl.runtime]} {versions.get(cl.name, '')}".strip()
                          for cl in clients]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    by_model: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_model.setdefault(r["model"], {})[r["client"]] = r
    for model, cells in by_model.items():
        lines.append("| " + " | ".join([model] + [_cell(cells[cl.name]) if cl.name in cells else "-"
                                                  for cl in clients]) + " |")
    summary = []
    for cl in clients:
        cells = [r for r in rows if r["client"] == cl.name]
        ok = [r for r in cells if r["status"] == "ok" and r["rel_error"] <= 1e-4]
        worst = max((r["rel_error"] for r in ok), default=float("nan"))
        summary.append(f"- {_LABELS[cl.runtime]} {versions.get(cl.name, '')} ({cl.target}): {len(ok)}/{len(cells)} "
                       "load and agree "
                       f"(rel. error <= 1e-4; worst {worst:.1e})")
    failures = [f"- {r['model']} / {r['client']}: {r['status']}: {r.get('error', '')[:300]}"
                for r in rows if not (r["status"] == "ok" and r["rel_error"] <= 1e-4)]
    return "\n".join(lines + [""] + summary + ([""] + failures if failures else [])) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*", help="comma-separated fnmatch patterns (default: all)")
    parser.add_argument("--clients", default=",".join(cl.name for cl in CLIENTS),
                        help="comma-separated: " + ", ".join(cl.name for cl in CLIENTS))
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default: edgerep's)")
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=ROOT / "out" / "client_matrix.json")
    parser.add_argument("--keep", type=Path, default=None, help="keep the artifacts in this directory")
    args = parser.parse_args()
    known = {cl.name: cl for cl in CLIENTS}
    wanted = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        parser.error(f"unknown client(s) {', '.join(unknown)}; allowed: {', '.join(known)}")
    clients = [known[c] for c in wanted]
    names = list(dict.fromkeys(n for p in args.models.split(",") for n in edgerep.list_models(p.strip())))
    if not names:
        parser.error(f"no registered model matches {args.models!r}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    pythons = {cl.name: python_for(cl) for cl in clients}
    rows: list[dict] = []
    start = time.perf_counter()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        print(f"[{i + 1}/{len(names)}] {name}", file=sys.stderr, flush=True)
        rows += model_rows(name, clients, pythons, args.opset, args.keep)
        # Written after every model: an interrupted run keeps the rows it made.
        args.json.write_text(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__,
                                         "edgerep": edgerep.__version__, "opset": args.opset,
                                         "seconds": round(time.perf_counter() - start), "rows": rows},
                                        indent=1, default=str))
    table = markdown(rows, clients)
    if args.markdown:
        args.markdown.write_text(table)
    print(table)
    return 0 if all(r["status"] == "ok" and r["rel_error"] <= 1e-4 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
