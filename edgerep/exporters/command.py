"""``edgerep export``: the command-line face of :func:`edgerep.export`.

Registering the subcommand imports nothing heavy; torch and the converters load when it runs.
Exit status: 0 when every artifact verified (or --no-verify), 1 when a verification, the graph audit
or a conversion failed, 2 for a user error (printed as one line by edgerep.cli).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

_EPILOG = """\
examples:
  edgerep export fastvit_t8 --target coreml                  ML Program, fp16, iOS16
  edgerep export fastvit_t8 --target coreml --image-input    takes raw RGB pixels
  edgerep export mobileone_s0 --target onnx --precision int8 --calibration imgs/
  edgerep export facelivt_s --target tflite --l2-normalize   NHWC, unit-length embeddings
  edgerep export repnext_m1 --target all --output exports/

targets: onnx (ort), coreml (mlpackage, ios), tflite (litert, android), all
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export", help="fuse a model and export it to Core ML / TFLite / ONNX, verified",
        description="Fuse MODEL, convert it, verify the artifact against the fused torch model, and "
                    "write it with its metadata (in the file and in a .json sidecar).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a registered model (see 'edgerep list')")
    p.add_argument("--target", "-t", required=True, metavar="TARGET",
                   help="coreml, tflite, onnx or all (aliases: mlpackage, ios, litert, android, ort)")
    p.add_argument("--checkpoint", "-c", metavar="FILE",
                   help="weights (safetensors or torch; edgerep, timm or official layout; fused or not)")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"),
                   help="default: fp16 compute for coreml (Apple's advice), fp32 for onnx and tflite")
    p.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"),
                   help="input height and width (default: the model's)")
    p.add_argument("--batch", type=int, default=1, metavar="N", help="fixed batch size (default 1)")
    p.add_argument("--image-input", action="store_true",
                   help="take raw RGB pixels 0..255 with the normalization inside the model "
                        "(Core ML: an ImageType)")
    p.add_argument("--l2-normalize", action="store_true",
                   help="face-embedding models: append L2 normalization to the exported graph")
    p.add_argument("--output", "-o", metavar="PATH",
                   help="artifact path or directory (default ./exports/<model>[_<precision>].<suffix>)")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the numeric comparison with torch")
    g = p.add_argument_group("target-specific options")
    g.add_argument("--opset", type=int, metavar="N", help="onnx: opset 18..23 (default 20)")
    g.add_argument("--deployment-target", metavar="OS",
                   help="coreml: minimum deployment target, e.g. iOS16 (default), iOS17, macOS13")
    layout = g.add_mutually_exclusive_group()
    layout.add_argument("--nhwc", dest="channels_last", action="store_const", const=True,
                        help="tflite: channels-last input (the default)")
    layout.add_argument("--nchw", dest="channels_last", action="store_const", const=False,
                        help="tflite: channels-first input")
    g.add_argument("--calibration", metavar="DIR",
                   help="int8 on onnx/tflite: directory of images (or .npy/.pt tensor) for calibration; "
                        "default: scikit-image's sample photos (faces for face models), else random images")
    p.set_defaults(func=run, channels_last=None)


def run(args: argparse.Namespace) -> int:
    from edgerep.exporters import ExportError, export

    shown_notes: set[str] = set()
    try:
        results = export(
            args.model, args.target, output=args.output, checkpoint=args.checkpoint,
            precision=args.precision, input_size=tuple(args.input_size) if args.input_size else None,
            batch=args.batch, image_input=args.image_input, verify=args.verify,
            l2_normalize=args.l2_normalize, opset=args.opset, deployment_target=args.deployment_target,
            channels_last=args.channels_last, calibration=args.calibration,
            log=lambda line: print(f"  {line}", flush=True),
        )
    except ExportError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"edgerep: error: {exc}", file=sys.stderr)
        return 1
    results = results if isinstance(results, list) else [results]
    print()
    print_summary(results)
    notes = {id(r): [*r.metadata.get("notes", []), *_int8_notes(r)] for r in results}
    if any(notes.values()):
        print()
    for r in results:
        for note in notes[id(r)]:
            if note not in shown_notes:
                shown_notes.add(note)
                print(f"note: {note}")
    failed = [r for r in results if not r.passed]
    if failed:
        for r in failed:
            v = r.verification
            why = v.get("problems") or v.get("criterion") or "graph audit"
            if not r.audit.get("passed"):
                why = f"the exported graph holds BatchNorm x{r.audit['batchnorm']} / Dropout x{r.audit['dropout']}"
            print(f"edgerep: verification FAILED for {r.target} ({r.path}): {why}; "
                  f"details in {r.sidecar}", file=sys.stderr)
        return 1
    print_next_steps(results)
    return 0


def print_summary(results: list) -> None:
    from edgerep.cli import print_table

    rows = []
    int8 = any(r.precision == "int8" for r in results)
    for r in results:
        rows.append([r.target, str(r.path), f"{r.size_mb:.1f}", f"{r.seconds:.1f}", _parity(r), str(r.nodes)]
                    + ([_int8_cell(r)] if int8 else []))
    print_table(rows, ["target", "file", "MB", "seconds", "parity (rel err)", "nodes"]
                + (["int8 (what stays float)"] if int8 else []))


def _int8_cell(r: Any) -> str:
    from edgerep.exporters.int8 import describe, facts

    return describe(facts(r.target, r.path)) if r.precision == "int8" else "-"


def _int8_notes(r: Any) -> list[str]:
    from edgerep.exporters.int8 import speed_note

    note = speed_note(r.model, r.target, r.metadata.get("family")) if r.precision == "int8" else None
    return [note] if note else []


def _parity(r: Any) -> str:
    v = r.verification
    if v.get("runtime") == "skipped":
        return "not verified"
    if v.get("runtime") == "structure-only":
        return "structure ok" if v["passed"] else "structure FAILED"
    if "rel_error" not in v:
        return "FAILED" if v.get("passed") is False else "-"
    mark = "" if v["passed"] else " FAILED"
    text = f"{v['rel_error']:.1e}"
    if r.precision == "int8":
        text += f" (cos {v['cosine']:.4f})"
    return text + mark


def print_next_steps(results: list) -> None:
    print("\nnext:")
    for r in results:
        model = r.model
        if r.target == "coreml":
            print(f"  on a Mac: edgerep bench {model} --runtime coreml   "
                  f"(or open {r.path} in Xcode > Performance)")
        elif r.target == "onnx":
            print(f"  edgerep bench {model} --runtime onnxruntime")
        elif r.target == "tflite":
            print(f"  edgerep bench {model} --runtime litert   "
                  f"(Android: benchmark_model --graph={r.path.name} --num_threads=4)")
    print(f"  metadata: {', '.join(str(r.sidecar) for r in results)}")
