"""fastvit_t8 on LiteRT vs onnxruntime, and export wall time vs the by-hand paths: one run, side by side.

    ./dev python benchmarks/export_speed.py                         # fastvit_t8, 100 rounds, 1 thread
    ./dev python benchmarks/export_speed.py --models fastvit_t8,fastvit_sa12,mobileone_s0 --rounds 200

Per model (random weights, no download), in one process:

1. Export with ``edgerep.export`` to TFLite (NHWC, fp32, with the export-time rewrites of
   edgerep/exporters/tflite/rewrites.py) and ONNX, timing each export end to end (fuse, convert,
   audit, verify, metadata) and its conversion step alone. Every export path runs
   ``--export-repeats`` times (default 3), the paths interleaved; medians are reported.
2. The by-hand paths on timm's reparameterized model (timm is a test dependency; skipped when it is
   missing): ``litert_torch.convert`` of ``to_channel_last_io(model)``, ``torch.onnx.export(dynamo=True)``
   and ``coremltools.convert`` of ``torch.export`` (first model only), each timed. Also edgerep's own
   fused model through the by-hand litert-torch call, i.e. without the rewrites.
3. Latency, 1 thread (``--threads``): every artifact loaded once, warmed up, then ``--rounds`` rounds
   in which each artifact runs once, in turn (A, B, C, A, B, C, ...), so that load from other
   processes hits all of them alike. Medians and the ratio to onnxruntime on the same model.

Prints Markdown tables for benchmarks/RESULTS.md (``--markdown FILE`` also writes them).
"""

from __future__ import annotations

import argparse
import os
import platform
import runpy
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import edgerep
from edgerep.bench.records import host_machine
from edgerep.exporters.pipeline.metadata import dist_version
from edgerep.registry import get_spec

SUFFIX = {"tflite": ".tflite", "onnx": ".onnx", "coreml": ".mlpackage"}
REPO = Path(__file__).resolve().parent.parent
_KEEP: list[dict] = []


@dataclass
class Artifact:
    model: str
    label: str  # what made it
    runtime: str  # "litert" or "onnxruntime"
    path: Path
    layout: str
    times: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1e3

    def quantile_ms(self, q: float) -> float:
        return float(np.quantile(self.times, q)) * 1e3


@dataclass
class ExportPath:
    """One way of exporting one model to one target, timed over repeats."""

    model: str
    target: str
    kind: str  # "edgerep", "no-rewrite" (by-hand litert-torch on edgerep's fused model) or "timm"
    out: Path
    by_hand: Callable[[Path], None] | None = None
    seconds: list[float] = field(default_factory=list)
    convert: list[float] = field(default_factory=list)
    parity: str = "-"
    skipped: str = ""

    LABELS = {"no-rewrite": "litert_torch.convert, edgerep fused model, no rewrites",
              "tflite": "litert_torch.convert(to_channel_last_io(m)), timm",
              "onnx": "torch.onnx.export(m, dynamo=True), timm",
              "coreml": "coremltools.convert(torch.export(m)), timm"}

    @property
    def label(self) -> str:
        if self.kind == "edgerep":
            return "edgerep.export (fuse, convert, verify, metadata)"
        return self.LABELS["no-rewrite" if self.kind == "no-rewrite" else self.target]

    def run(self) -> None:
        if self.skipped:
            return
        try:
            if self.by_hand is not None:
                self.seconds.append(_timed(lambda: self.by_hand(self.out)))
                return
            r = edgerep.export(self.model, self.target, output=self.out)
        except ImportError as exc:
            self.skipped = str(exc).split(":")[0][:60]
            return
        self.seconds.append(r.seconds)
        self.convert.append(r.timings.get("convert", float("nan")))
        v = r.verification
        self.parity = f"{v.rel_error:.1e}" if v.rel_error is not None else (v.runtime or "-")

    def row(self, paths: list["ExportPath"]) -> list[str]:
        if self.skipped or not self.seconds:
            return [self.model, self.target, self.label, "skipped", "-", "-", self.skipped or "-", "-"]
        med = statistics.median(self.seconds)
        convert = statistics.median(self.convert) if self.convert else med
        ref = next((p for p in paths if p.kind == "timm" and p.target == self.target and p.seconds), None)
        ratio = f"{med / statistics.median(ref.seconds):.2f}x" if ref is not None and ref is not self else "-"
        return [self.model, self.target, self.label, f"{med:.1f}",
                f"{min(self.seconds):.1f}-{max(self.seconds):.1f}", f"{convert:.1f}", self.parity, ratio]


def _timm_model(name: str) -> torch.nn.Module | None:
    """timm's reparameterized ``name`` with random weights, or None without timm / that model."""
    try:
        # The registry's CUDA torchvision wheel needs two op schemas first; keep
        # the namespace alive, or its torch.library.Library is collected and the schemas vanish.
        _KEEP.append(runpy.run_path(str(REPO / "tests" / "conftest.py")))
        import timm
        from timm.utils.model import reparameterize_model
    except Exception:  # timm is test-only: the by-hand rows are skipped without it
        return None
    if name not in timm.list_models(name):
        return None
    torch.manual_seed(0)
    return reparameterize_model(timm.create_model(name, pretrained=False).eval())


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    with _quiet():
        fn()
    return time.perf_counter() - start


def _quiet():  # noqa: ANN202 - the exporters' console silencer (litert-torch's progress bars)
    from edgerep._io import quiet

    return quiet()


def _by_hand_litert(model: torch.nn.Module, x: torch.Tensor, path: Path) -> None:
    import litert_torch

    nhwc = litert_torch.to_channel_last_io(model, args=[0]).eval()
    litert_torch.convert(nhwc, (x.permute(0, 2, 3, 1).contiguous(),)).export(str(path))


def _by_hand_onnx(model: torch.nn.Module, x: torch.Tensor, path: Path) -> None:
    torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False)


def _by_hand_coreml(model: torch.nn.Module, x: torch.Tensor, path: Path) -> None:
    import coremltools as ct

    program = torch.export.export(model, (x,)).run_decompositions({})
    ct.convert(program, inputs=[ct.TensorType(name="image", shape=tuple(x.shape))]).save(str(path))


def _predictor(art: Artifact, threads: int) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    if art.runtime == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(art.path), opts, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        feed = {inp.name: rng.standard_normal(inp.shape).astype(np.float32)}
        return lambda: sess.run(None, feed)
    from ai_edge_litert.interpreter import Interpreter

    with _quiet():
        interp = Interpreter(model_path=str(art.path), num_threads=threads)
    interp.allocate_tensors()
    detail = interp.get_input_details()[0]
    data = rng.standard_normal(detail["shape"]).astype(np.float32)

    def run() -> None:
        interp.set_tensor(detail["index"], data)
        interp.invoke()

    return run


def _interleaved(artifacts: list[Artifact], rounds: int, warmup: int, threads: int) -> None:
    runs = [_predictor(a, threads) for a in artifacts]
    for run in runs:
        for _ in range(warmup):
            run()
    clock = time.perf_counter
    for r in range(rounds):
        # Rotate the starting artifact each round so none always runs right after another.
        for i in range(len(runs)):
            k = (i + r) % len(runs)
            start = clock()
            runs[k]()
            artifacts[k].times.append(clock() - start)


def _warm_up_converters(out: Path, with_coreml: bool) -> None:
    """Convert a tiny model once with each converter before anything is timed.

    The first litert-torch conversion in a process pays about 2 s of imports and JIT set-up; without
    this, whichever path ran first (edgerep's TFLite export) looked that much slower.
    """
    tiny = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.GELU()).eval()
    x = torch.randn(1, 3, 32, 32)
    fns = [("tflite", _by_hand_litert), ("onnx", _by_hand_onnx)] + ([("coreml", _by_hand_coreml)] if with_coreml else [])
    for target, fn in fns:
        try:
            fn(tiny, x, out / f"warmup{SUFFIX[target]}")
        except ImportError:
            continue


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="fastvit_t8", help="comma-separated registered names")
    parser.add_argument("--rounds", type=int, default=100, help="timed rounds (each artifact once per round)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--export-repeats", type=int, default=3,
                        help="times each export path runs (interleaved); the median is reported")
    parser.add_argument("--no-coreml", action="store_true", help="skip the Core ML export-time rows")
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in edgerep.list_models()]
    if unknown:
        parser.error(f"not registered: {', '.join(unknown)} (see `edgerep list`)")
    if args.rounds < 1 or args.threads < 1 or args.export_repeats < 1:
        parser.error("--rounds, --threads and --export-repeats must be positive")
    torch.set_num_threads(1)
    load_before = _load()

    artifacts: list[Artifact] = []
    export_rows: list[list[str]] = []
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="edgerep-export-speed-") as tmp:
        out = Path(tmp)
        log("warming up the converters (one-time import and JIT cost, paid before any timed export)")
        _warm_up_converters(out, with_coreml=not args.no_coreml)
        for i, name in enumerate(names):
            x = torch.randn(1, *get_spec(name).input_size)
            targets = ["tflite", "onnx"] + ([] if args.no_coreml or i else ["coreml"])
            fused = edgerep.reparameterize(edgerep.create_model(name))
            timm_model = _timm_model(name)
            if timm_model is None:
                log(f"[{name}] timm (or its {name}) not available: no by-hand timm rows")
            paths = [ExportPath(name, t, "edgerep", out / f"{name}_edgerep{SUFFIX[t]}") for t in targets]
            # edgerep's fused model through the by-hand litert-torch call: the rewrites' effect.
            paths.append(ExportPath(name, "tflite", "no-rewrite", out / f"{name}_edgerep_norewrite.tflite",
                                    lambda p: _by_hand_litert(fused, x, p)))
            if timm_model is not None:
                hand = {"tflite": _by_hand_litert, "onnx": _by_hand_onnx, "coreml": _by_hand_coreml}
                paths += [ExportPath(name, t, "timm", out / f"{name}_timm{SUFFIX[t]}",
                                     lambda p, fn=hand[t]: fn(timm_model, x, p)) for t in targets]
            # Every path once per repeat, the order rotated each time, so that drift in the machine's
            # load hits all paths alike; the median over repeats is reported.
            for rep in range(args.export_repeats):
                for k in range(len(paths)):
                    path = paths[(k + rep) % len(paths)]
                    log(f"[{name}] {path.label} -> {path.target} ({rep + 1}/{args.export_repeats})")
                    path.run()
            export_rows += [p.row(paths) for p in paths]
            for p in paths:
                if p.target != "coreml" and not p.skipped:
                    label = {"edgerep": "edgerep.export", "no-rewrite": "by hand, edgerep fused, no rewrites",
                             "timm": "by hand, timm reparameterized"}[p.kind]
                    artifacts.append(Artifact(name, label, "litert" if p.target == "tflite" else "onnxruntime",
                                              p.out, "NHWC" if p.target == "tflite" else "NCHW"))

        log(f"latency: {len(artifacts)} artifacts x {args.rounds} interleaved rounds, {args.threads} thread(s)")
        _interleaved(artifacts, args.rounds, args.warmup, args.threads)

    lines = [
        f"Machine: {host_machine()['cpu']}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}; "
        f"load average before {load_before}, after {_load()}.",
        f"Versions: edgerep {edgerep.__version__}, torch {dist_version('torch')}, litert-torch "
        f"{dist_version('litert-torch')}, ai-edge-litert {dist_version('ai-edge-litert')}, onnxruntime "
        f"{dist_version('onnxruntime')}, coremltools {dist_version('coremltools')}, timm {dist_version('timm')}.",
        f"Protocol: random weights, batch 1, {args.threads} thread(s), {args.warmup} warm-ups, "
        f"{args.rounds} rounds interleaving every artifact (one run each per round); median and p10-p90 "
        "in ms. LiteRT: Interpreter with its default XNNPACK delegate.",
        "",
        "| model | artifact | runtime | input | median ms | p10-p90 ms | vs onnxruntime (same source) |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in artifacts:
        same_src = "edgerep" if a.label.startswith(("edgerep", "by hand, edgerep")) else "timm"
        ref = next((b for b in artifacts if b.model == a.model and b.runtime == "onnxruntime"
                    and ("edgerep" if b.label.startswith("edgerep") else "timm") == same_src), None)
        ratio = f"{a.median_ms / ref.median_ms:.2f}x" if ref is not None and ref is not a else "-"
        lines.append(f"| {a.model} | {a.label} | {a.runtime} | {a.layout} | {a.median_ms:.2f} | "
                     f"{a.quantile_ms(0.1):.2f}-{a.quantile_ms(0.9):.2f} | {ratio} |")
    lines += [
        "",
        f"Export wall time (s), median of {args.export_repeats} runs of each path (min-max), the paths "
        "interleaved: edgerep.export end to end and its conversion step; by-hand paths are the bare "
        "converter call (no fusion, verification or metadata). Parity: relative error vs torch.",
        "",
        "| model | target | path | total s | min-max s | convert s | parity | vs by hand (timm) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in export_rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
