"""``edgerep export``: the command-line face of :func:`edgerep.export`.

Registering the subcommand imports nothing heavy; torch and the converters load when it runs.
Exit status: 0 when every artifact verified (or --no-verify), 1 when a verification, the graph audit
or a conversion failed, 2 for a user error (printed as one line by edgerep.cli).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import console
from .precision import PRECISIONS
from .run import ExportError, export
from .targets import TARGETS

_EPILOG = """\
examples:
  edgerep export fastvit_t8 --target coreml                  ML Program, fp16, iOS16
  edgerep export fastvit_t8 --target coreml --image-input    takes raw RGB pixels
  edgerep export mobileone_s0 --target onnx --precision int8 --calibration imgs/
  edgerep export facelivt_s --target tflite --l2-normalize   NHWC, unit-length embeddings
  edgerep export repnext_m1 --target all --output exports/

targets: {targets}, all
"""


def _target_names() -> str:
    return ", ".join(f"{t.name} ({', '.join(t.aliases[:2])})" for t in TARGETS.values())


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export", help="fuse a model and export it to Core ML / TFLite / ONNX, verified",
        description="Fuse MODEL, convert it, verify the artifact against the fused torch model, and "
                    "write it with its metadata (in the file and in a .json sidecar).",
        epilog=_EPILOG.format(targets=_target_names()), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a registered model (see 'edgerep list')")
    p.add_argument("--target", "-t", required=True, metavar="TARGET",
                   help=f"{', '.join(TARGETS)} or all (aliases: "
                        f"{', '.join(a for t in TARGETS.values() for a in t.aliases[:2])})")
    p.add_argument("--checkpoint", "-c", metavar="FILE",
                   help="weights (safetensors or torch; edgerep, timm or official layout; fused or not)")
    p.add_argument("--precision", choices=PRECISIONS,
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
                   help="int8: directory of images (or .npy/.pt tensor) for calibration; "
                        "default: scikit-image's sample photos (faces for face models), else random images")
    p.set_defaults(func=run, channels_last=None)


def run(args: argparse.Namespace) -> int:
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
    print(console.summary_table(results))
    notes = {id(r): console.notes(r) for r in results}
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
            print(f"edgerep: verification FAILED for {r.target} ({r.path}, kept beside the path asked for, "
                  f"which is left as it was): {console.failure_reason(r)}; details in {r.sidecar}", file=sys.stderr)
        return 1
    print("\nnext:")
    for line in console.next_steps(results):
        print(f"  {line}")
    return 0
