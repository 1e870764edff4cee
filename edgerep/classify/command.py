"""``edgerep eval MODEL --images DIR``: a classifier's accuracy in torch and in each of its exports.

Registering the command imports nothing heavy. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

_EPILOG = """\
examples:
  edgerep eval mobileone_s0 --checkpoint mobileone_s0.safetensors --images imagenet-sample/
  edgerep eval mobileone_s0 -c w.safetensors --images val/ --targets onnx --precision fp32,int8 --calibration calib/
  edgerep eval mobileone_s0 -c w.safetensors --images photos/ --no-labels --artifact exports/mobileone_s0.tflite

Photos are labelled by class folders (DIR/<wnid>/*.JPEG) or by a leading ImageNet wnid in the file
name (DIR/<wnid>_*.JPEG); other folders give agreement with torch only. A row fails (exit 1) when
its top-1 agreement with torch or its median logit cosine misses the bounds.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval", help="a classifier's top-1/top-5 and agreement with torch, for torch and every export",
        description="Measure an image classifier on a folder of photos: top-1 and top-5 (when the photos are "
                    "labelled), top-1 agreement with torch fp32 and the cosine between logits, for torch and "
                    "for each export (ONNX / TFLite x fp32 / fp16 / int8, made on the fly and cached) or the "
                    "artifacts given. The model's own preprocessing is applied.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="a registered classifier (edgerep list)")
    p.add_argument("--images", required=True, metavar="DIR", help="folder of photos (see below for labels)")
    p.add_argument("--checkpoint", "-c", metavar="FILE", help="weights (default: seeded random weights)")
    p.add_argument("--targets", default="onnx,tflite", metavar="T,...",
                   help="export targets to evaluate (default onnx,tflite; 'none' for torch only)")
    p.add_argument("--precision", default="fp32,fp16,int8", metavar="P,...",
                   help="precisions of the exports (default fp32,fp16,int8)")
    p.add_argument("--artifact", action="append", default=[], metavar="FILE",
                   help="evaluate this exported file instead of exporting (repeatable)")
    p.add_argument("--calibration", metavar="DIR|FILE", help="int8 calibration images for the exports made here")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N photos (in file order)")
    p.add_argument("--no-labels", action="store_true", help="ignore labels: agreement with torch only")
    p.add_argument("--min-agreement", type=float, default=None, metavar="F",
                   help="smallest passing top-1 agreement with torch, 0-1 (default 0.95)")
    p.add_argument("--min-cosine", type=float, default=None, metavar="F",
                   help="smallest passing median logit cosine (default 0.99)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--force", action="store_true", help="replace an existing --json file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _names(value: str, what: str) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if not names:
        raise ValueError(f"{what} needs at least one name, got {value!r}")
    return names


def run(args: argparse.Namespace) -> int:
    from .._io import write_atomic
    from ..bench.report import check_outputs
    from ..exporters.pipeline.precision import PRECISIONS, Precision
    from ..exporters.pipeline.targets import get_target
    from ..weights import random_weights_note
    from .evaluate import MIN_AGREEMENT, MIN_COSINE, classifier_spec, evaluate, render
    from .photos import scan

    check_outputs([args.json], args.force)
    spec = classifier_spec(args.model)
    targets = [] if args.targets.strip().lower() == "none" else \
        list(dict.fromkeys(get_target(t).name for t in _names(args.targets, "--targets")))
    precisions = _names(args.precision, "--precision")
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad:
        raise ValueError(f"--precision takes {', '.join(PRECISIONS)} (comma-separated); got {args.precision!r}")
    precisions = [Precision(p) for p in precisions]
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be a positive count, got {args.limit}")
    photos = scan(args.images, spec.num_classes, labels=not args.no_labels)
    if args.limit is not None:
        photos = photos.subset(0, args.limit)
    _stderr(f"photos    {len(photos)} from {args.images} (labels: {photos.label_source})")
    progress = None if args.no_progress else _Progress()
    result = evaluate(
        spec.name, photos, checkpoint=args.checkpoint, targets=targets, precisions=precisions,
        artifacts=args.artifact, calibration=args.calibration,
        min_agreement=MIN_AGREEMENT if args.min_agreement is None else args.min_agreement,
        min_cosine=MIN_COSINE if args.min_cosine is None else args.min_cosine, log=_stderr, progress=progress)
    print(render(result), end="")
    if args.checkpoint is None:  # after the results: an error stays the one line it is
        _stderr(f"note: {random_weights_note('accuracy means nothing, only agreement between runtimes does')}")
    if args.json:
        write_atomic(args.json, json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
        _stderr(f"wrote {args.json}")
    return 1 if result.failed else 0


class _Progress:
    """``[####----] 120/500 onnx int8`` on a terminal; a line per quarter elsewhere (logs)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: tuple[str, int] = ("", -1)

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.tty:
            filled = 24 * done // max(total, 1)
            end = "\n" if done >= total else ""
            print(f"\r[{'#' * filled}{'-' * (24 - filled)}] {done}/{total} {what}".ljust(80), end=end,
                  file=sys.stderr, flush=True)
            return
        quarter = 4 * done // max(total, 1)
        if (what, quarter) != self.last and (quarter > self.last[1] or what != self.last[0]):
            self.last = (what, quarter)
            print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)
