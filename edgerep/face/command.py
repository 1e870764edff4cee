"""``edgerep face ...``: detect, align, enroll, identify, verify, eval, parity.

Registering the command imports nothing heavy; each verb imports what it needs when it runs.
Results go to stdout, progress to stderr; an existing output file is replaced only with ``--force``
(checked before any work), and files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._files import check_regular
from .._io import write_atomic
from .._text import is_blank, printable
from ..bench.report import check_outputs
from ..exporters.pipeline.precision import PRECISIONS, Precision
from ..exporters.pipeline.targets import get_target
from ..facecore.alignment import align
from ..facecore.detect import Face, MTCNN, largest, load_faces_json, parse_landmarks
from .embed import ArtifactEmbedder, check_compatible, load_embedder, resolve_runtime
from .gallery import Gallery
from ..facecore.images import decode_image, list_images, load_image, save_png
from ..facecore.matching import DEFAULT_THRESHOLD, check_threshold, same_person
from .parity import (
    FACES_LABEL, MAX_FLIP_RATE, MIN_COSINE, TARGETS, calibration_batch, default_faces, parity, render_parity,
)

# The registry, the weights check and .verification import torch: imported where used, so that
# detect, align and the gallery commands run without torch.

_EPILOG = """\
examples:
  edgerep face detect photo.jpg --json > faces.json
  edgerep face align photo.jpg --output face.png
  edgerep face enroll people/ --model edgeface_xs_gamma_06 --checkpoint w.pt --output gallery.json
  edgerep face identify new.jpg --gallery gallery.json --checkpoint w.pt
  edgerep face verify a.jpg b.jpg --model edgeface_xs_gamma_06 --checkpoint w.pt
  edgerep face eval --bin lfw.bin,cfp_fp.bin --artifact exports/edgeface_xs_gamma_06.tflite
  edgerep face parity --model edgeface_xs_gamma_06 --precision fp32,int8

Without --checkpoint a model has random (seeded) weights: every command runs, but only the
comparisons between runtimes (parity) mean anything.
"""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _add_embedding_options(p: argparse.ArgumentParser, model_required: bool = False) -> None:
    p.add_argument("--model", "-m", metavar="MODEL", required=model_required,
                   help="a registered face model (edgerep list '*face*'); optional with --artifact")
    p.add_argument("--checkpoint", "-c", metavar="FILE", help="weights (default: seeded random weights)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--artifact", metavar="FILE", help="an exported model (.onnx, .tflite, .mlpackage) to embed with")
    src.add_argument("--runtime", metavar="R", default="torch",
                     help="torch (default), onnxruntime or litert: export on the fly (cached) and embed there")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="precision of the on-the-fly export with --runtime (default fp32)")


def _add_landmark_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--landmarks", metavar="X1,Y1,...,X5,Y5",
                   help="5 landmarks in template order (eye on the image's left first) instead of detecting")
    g.add_argument("--landmarks-json", metavar="F",
                   help="landmarks from JSON ('edgerep face detect --json' output, a phone's detection, or 5 points)")


def register(subparsers: Any) -> None:
    face = subparsers.add_parser(
        "face", help="face recognition: detect, align, enroll, identify, verify, eval (.bin), parity",
        description="Face recognition with edgerep's face models: detection (MTCNN), ArcFace alignment, "
                    "embeddings on torch or an exported model, galleries, the InsightFace verification "
                    "protocol, and the parity of exports with torch.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = face.add_subparsers(dest="verb", metavar="VERB")
    face.set_defaults(func=lambda args: (face.print_help(), 2)[1])

    p = verbs.add_parser("detect", help="faces in an image: box, score, 5 landmarks")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="print JSON (readable by --landmarks-json)")
    p.add_argument("--min-face", type=int, default=20, metavar="PX", help="smallest face side searched (default 20)")
    p.set_defaults(func=_with_notes(_detect))

    p = verbs.add_parser("align", help="the aligned face crop (ArcFace template) as PNG")
    p.add_argument("image", metavar="IMAGE")
    _add_landmark_options(p)
    p.add_argument("--size", type=int, default=112, choices=(112, 128), help="crop size (default 112)")
    p.add_argument("--output", "-o", required=True, metavar="OUT.png")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=_with_notes(_align))

    p = verbs.add_parser("enroll", help="build a gallery from DIR/<identity>/<photos>")
    p.add_argument("directory", metavar="DIR", help="one folder per identity, holding its photos "
                   "(a photo's landmarks may be given in <photo>.json beside it)")
    _add_embedding_options(p)
    p.add_argument("--threshold", type=float, metavar="T",
                   help="cosine threshold stored in the gallery (default 0.35; calibrate with 'edgerep face eval')")
    p.add_argument("--flip", action="store_true", help="embed each face and its mirror image (flip-sum)")
    p.add_argument("--output", "-o", required=True, metavar="GALLERY.json")
    p.add_argument("--force", action="store_true", help="overwrite an existing gallery")
    p.set_defaults(func=_with_notes(_enroll))

    p = verbs.add_parser("identify", help="who is in IMAGE, against a gallery")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--gallery", "-g", required=True, metavar="GALLERY.json")
    p.add_argument("--checkpoint", "-c", metavar="FILE", help="the checkpoint the gallery was enrolled with")
    p.add_argument("--artifact", metavar="FILE", help="the exported model the gallery was enrolled with")
    _add_landmark_options(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_with_notes(_identify))

    p = verbs.add_parser("verify", help="are two photos the same person")
    p.add_argument("images", nargs=2, metavar="IMAGE")
    _add_embedding_options(p)
    p.add_argument("--threshold", type=float, metavar="T", help="cosine threshold (default 0.35)")
    p.add_argument("--flip", action="store_true", help="flip-sum embeddings")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_with_notes(_verify))

    p = verbs.add_parser("eval", help="the InsightFace verification protocol on .bin pair files")
    p.add_argument("--bin", required=True, metavar="F[,F...]", help="InsightFace .bin files (lfw.bin, cfp_fp.bin, ...)")
    _add_embedding_options(p)
    p.add_argument("--no-flip", dest="flip", action="store_false", help="skip the flip-sum (faster, not the protocol)")
    p.add_argument("--folds", type=int, default=10, metavar="N", help="folds (default 10)")
    p.add_argument("--json", metavar="F", help="write the results as JSON")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.set_defaults(func=_with_notes(_eval))

    p = verbs.add_parser("parity", help="exported model vs torch on real faces: cosine and decision flips")
    p.add_argument("--model", "-m", required=True, metavar="MODEL")
    p.add_argument("--checkpoint", "-c", metavar="FILE", help="weights (default: seeded random weights)")
    p.add_argument("--targets", default="onnx,tflite,coreml", metavar="LIST",
                   help="comma-separated export targets (default onnx,tflite,coreml; coreml needs macOS)")
    p.add_argument("--precision", default="fp32,fp16,int8", metavar="LIST",
                   help="comma-separated precisions (default fp32,fp16,int8)")
    p.add_argument("--images", metavar="DIR", help="photos with faces (default: scikit-image's faces, augmented)")
    p.add_argument("--threshold", type=float, metavar="T",
                   help="decision threshold (cosine; default 0.35 with --checkpoint, else the median torch pair cosine)")
    p.add_argument("--min-cosine", type=float, default=None, metavar="C",
                   help="a row fails below this mean cosine to torch (default 0.99)")
    p.add_argument("--max-flips", type=float, default=None, metavar="PCT",
                   help="a row fails when more than PCT %% of pair decisions flip (default 1)")
    p.add_argument("--json", metavar="F", help="write the results as JSON")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.set_defaults(func=_with_notes(_parity))


# ---- helpers ------------------------------------------------------------------------------------


def _check_outputs(paths: list[str | None], force: bool) -> None:
    check_outputs(paths, force)


def _given_faces(args: argparse.Namespace) -> list[Any] | None:
    if getattr(args, "landmarks", None) is not None:  # an empty --landmarks "" is an error, not "detect"
        lm = parse_landmarks(args.landmarks)
        return [Face((*lm.min(0), *lm.max(0)), 1.0, lm)]  # type: ignore[arg-type]
    if getattr(args, "landmarks_json", None):
        return load_faces_json(args.landmarks_json)
    return None


def _face_of(image: Any, source: str, faces: list[Any] | None, detector: Any) -> tuple[Any, int]:
    """The face to use in ``image``: the largest given or detected one, and how many there were."""

    found = faces if faces is not None else detector.detect(image)
    face = largest(found)
    if face is None:
        raise ValueError(f"no face found in {source}; pass --landmarks X1,Y1,...,X5,Y5 if there is one")
    return face, len(found)


def _embedder(args: argparse.Namespace, flip: bool) -> Any:
    runtime = resolve_runtime(args.runtime)
    precision = Precision(args.precision)  # one of argparse's choices
    if args.artifact is None and runtime != "torch" and precision.is_integer:
        calibration = _default_calibration(args.model)
    else:
        calibration = None
    if args.artifact is None and runtime == "torch" and precision is not Precision.FP32:
        raise ValueError(f"--precision {precision} applies to exports: add --runtime onnxruntime or litert")
    return _noted(load_embedder(args.model, checkpoint=args.checkpoint, artifact=args.artifact, runtime=runtime,
                                precision=precision, flip_sum=flip, calibration=calibration, log=_stderr))


_RANDOM_FACES = "embeddings, matches and thresholds mean nothing, only parity between runtimes does"


_NOTES: list[str] = []  # printed after a verb's results (an error stays the one line it is)


def _with_notes(verb: Any) -> Any:
    """``verb``, printing the notes it gathered once it has succeeded."""
    def run(args: argparse.Namespace) -> int:
        _NOTES.clear()
        status = verb(args)
        for note in dict.fromkeys(_NOTES):
            _stderr(f"note: {note}")
        return status
    return run


def _note_random_weights() -> None:
    from ..weights import random_weights_note

    _NOTES.append(random_weights_note(_RANDOM_FACES))


def _noted(embedder: Any) -> Any:
    """``embedder``, noting (for after the results) when it embeds without trained weights."""
    if embedder.spec.checkpoint_sha256 is None:
        _note_random_weights()
    return embedder


def _default_calibration(model: str | None) -> Any:
    """int8 exports made by the face commands are calibrated on scikit-image's faces (see parity)."""

    def batch() -> Any:
        from ..registry import get_spec

        spec = get_spec(model)
        return calibration_batch(default_faces(spec.input_size[1])[0], spec.mean, spec.std)

    return FACES_LABEL, batch


# ---- verbs --------------------------------------------------------------------------------------


def _detect(args: argparse.Namespace) -> int:
    image = load_image(args.image)
    faces = MTCNN(min_face=args.min_face).detect(image)
    if args.json:
        doc = {"image": str(args.image), "width": image.shape[1], "height": image.shape[0], "detector": "mtcnn",
               "faces": [f.to_dict() for f in faces]}
        print(json.dumps(doc, indent=1))
        return 0
    print(f"{args.image}: {len(faces)} face{'s' * (len(faces) != 1)} ({image.shape[1]}x{image.shape[0]})")
    for i, f in enumerate(faces):
        box = ", ".join(f"{v:.1f}" for v in f.box)
        lms = "  ".join(f"({x:.1f}, {y:.1f})" for x, y in f.landmarks)
        print(f"  face {i}: score {f.score:.4f}  box ({box})\n    landmarks {lms}")
    return 0


def _align(args: argparse.Namespace) -> int:
    _check_outputs([args.output], args.force)
    if not str(args.output).lower().endswith(".png"):
        raise ValueError(f"--output writes a PNG; got {args.output!r}: use a .png file name")
    image = load_image(args.image)
    faces = _given_faces(args)
    face, count = _face_of(image, args.image, faces, MTCNN() if faces is None else None)
    save_png(align(image, face.landmarks, args.size, source=args.image), args.output)
    note = f" (the largest of {count} faces)" if count > 1 else ""
    print(f"wrote {args.output}: {args.size}x{args.size} aligned face{note}")
    return 0


def _photo_faces(photo: Path) -> list[Any] | None:
    sidecar = photo.with_name(photo.name + ".json")
    return load_faces_json(sidecar) if sidecar.exists() else None  # a FIFO or folder there is refused


def _enroll(args: argparse.Namespace) -> int:
    _check_outputs([args.output], args.force)
    root = Path(args.directory)
    if not root.is_dir():
        raise FileNotFoundError(f"enroll directory {root} does not exist (expected DIR/<identity>/<photos>)")
    people = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not people:
        raise ValueError(f"{root} holds no identity folders: put each person's photos in DIR/<name>/")

    blank = [p.name for p in people if is_blank(p.name)]
    if blank:  # refused before any work: the folder name is the identity's name
        raise ValueError(f"{root} has an identity folder whose name is blank ({printable(repr(blank[0]))}); "
                         "rename it to the person's name")
    embedder = _embedder(args, args.flip)
    gallery = Gallery(embedder.spec, DEFAULT_THRESHOLD if args.threshold is None else args.threshold)
    detector = MTCNN()
    empty = []
    start = time.monotonic()
    for n, person in enumerate(people, 1):
        crops, sources = [], []
        photos = list_images(person)
        for photo in photos:
            image = load_image(photo)
            try:
                face, count = _face_of(image, str(photo), _photo_faces(photo), detector)
            except ValueError:
                _stderr(f"skip      {photo}: no face found")
                continue
            if count > 1:
                _stderr(f"note      {photo}: {count} faces, enrolled the largest")
            crops.append(align(image, face.landmarks, embedder.size, source=str(photo)))
            sources.append(photo.relative_to(root).as_posix())
        if not crops:
            empty.append(person.name)
            continue
        gallery.enroll(person.name, embedder(np.stack(crops)), sources)
        _stderr(f"[{n}/{len(people)}] {printable(person.name)}: {len(crops)} of {len(photos)} photos "
                f"({time.monotonic() - start:.1f}s)")
    if empty:
        raise ValueError(f"no face found in any photo of {', '.join(printable(repr(e)) for e in empty)} (in {root}); "
                         "add photos or remove those folders")
    gallery.save(args.output)
    count = sum(len(i.embeddings) for i in gallery.identities)
    print(f"wrote {args.output}: {len(gallery.identities)} identities, {count} embeddings "
          f"({embedder.describe()}, threshold {gallery.threshold})")
    return 0


def _gallery_embedder(gallery: Any, args: argparse.Namespace) -> Any:
    """The embedder that made ``gallery`` (its model and runtime), checked against its record."""

    spec = gallery.spec
    if args.artifact is not None:
        emb = ArtifactEmbedder(args.artifact, flip_sum=spec.flip_sum)
        if spec.artifact_sha256 and emb.spec.artifact_sha256 != spec.artifact_sha256:
            raise ValueError(f"--artifact {args.artifact} is not the model file the gallery was enrolled with "
                             f"(sha256 {emb.spec.artifact_sha256[:12]}... vs {spec.artifact_sha256[:12]}...)")
    else:
        if spec.checkpoint_sha256 and args.checkpoint is None:
            raise ValueError(f"{args.gallery} was enrolled with a checkpoint (sha256 {spec.checkpoint_sha256[:12]}...); "
                             "pass it with --checkpoint")
        runtime = spec.runtime if spec.runtime in ("torch", "onnxruntime", "litert", "coreml") else "torch"
        calibration = _default_calibration(spec.model) if Precision.parse(spec.precision).is_integer and runtime != "torch" else None
        emb = load_embedder(spec.model, checkpoint=args.checkpoint, runtime=runtime,
                            precision=spec.precision if runtime != "torch" else "fp32",
                            flip_sum=spec.flip_sum, calibration=calibration, log=_stderr)
    check_compatible(spec, emb, f"gallery {args.gallery}")
    return _noted(emb)


def _embed_image(path: str, embedder: Any, faces: list[Any] | None) -> tuple[Any, int]:
    image = load_image(path)
    face, count = _face_of(image, path, faces, MTCNN() if faces is None else None)
    return embedder(align(image, face.landmarks, embedder.size, source=path))[0], count


def _identify(args: argparse.Namespace) -> int:
    gallery = Gallery.load(args.gallery)
    embedder = _gallery_embedder(gallery, args)
    emb, count = _embed_image(args.image, embedder, _given_faces(args))
    match = gallery.identify(emb)
    ranked = sorted(match.scores.items(), key=lambda kv: -kv[1])
    if args.json:
        print(json.dumps({"image": args.image, "identity": match.name, "best": match.best, "score": match.score,
                          "threshold": match.threshold, "faces": count, "scores": dict(ranked)}, indent=1))
        return 0

    if match.best is None:
        print(f"{args.image}: unknown (the gallery is empty)")
    elif match.known:
        print(f"{args.image}: {printable(match.name)} (cosine {match.score:.4f} > threshold {match.threshold})")
    else:
        print(f"{args.image}: unknown (closest: {printable(match.best)}, cosine {match.score:.4f} "
              f"<= threshold {match.threshold})")
    for name, score in ranked[:5]:
        print(f"  {score:8.4f}  {printable(name)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    threshold = check_threshold(DEFAULT_THRESHOLD if args.threshold is None else args.threshold)
    if args.model is None and args.artifact is None:
        raise ValueError("give --model MODEL (and --checkpoint) or --artifact FILE")
    embedder = _embedder(args, args.flip)
    a, _ = _embed_image(args.images[0], embedder, None)
    b, _ = _embed_image(args.images[1], embedder, None)
    score = float(a @ b)
    same = same_person(score, threshold)
    if args.json:
        print(json.dumps({"images": args.images, "cosine": score, "threshold": threshold, "same": same}, indent=1))
    else:
        verdict = "same person" if same else "different people"
        print(f"{verdict}: cosine {score:.4f} {'>' if same else '<='} threshold {threshold} ({embedder.describe()})")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .verification import load_bin, verification_metrics

    _check_outputs([args.json], args.force)
    files = [f.strip() for f in args.bin.split(",") if f.strip()]
    if not files:
        raise ValueError("--bin needs at least one .bin file")

    for f in files:
        check_regular(f, ".bin file", limit="bin")
    if args.model is None and args.artifact is None:
        raise ValueError("give --model MODEL (and --checkpoint) or --artifact FILE")
    embedder = _embedder(args, args.flip)
    results = []
    for f in files:
        images, issame = load_bin(f)
        start = time.monotonic()
        crops = []
        for i, data in enumerate(images):
            img = decode_image(data, f"{f} image {i}")
            if img.shape[:2] != (embedder.size, embedder.size):
                raise ValueError(f"{f} image {i} is {img.shape[1]}x{img.shape[0]}; the protocol's .bin files hold "
                                 f"aligned {embedder.size}x{embedder.size} faces")
            crops.append(img)
        crops_arr = np.stack(crops)
        embs = []
        chunk = 256
        for i in range(0, len(crops_arr), chunk):
            embs.append(embedder(crops_arr[i:i + chunk]))
            _stderr(f"embed     {Path(f).name}: {min(i + chunk, len(crops_arr))}/{len(crops_arr)} images "
                    f"({time.monotonic() - start:.0f}s)")
        emb = np.concatenate(embs)
        metrics = verification_metrics(emb[0::2], emb[1::2], issame, folds=args.folds)
        results.append({"file": f, **metrics})
    header = f"{'file':24} {'pairs':>6}  {'accuracy':>16}  {'thr sq-L2':>9}  {'thr cos':>7}  {'TAR@FAR=1e-3':>12}"
    print(f"{embedder.describe()}{', flip-sum' if args.flip else ''}, {args.folds} folds")
    print(header)
    print("-" * len(header))
    for r in results:
        acc = f"{100 * r['accuracy']:.2f} +- {100 * r['accuracy_std']:.2f}"
        print(f"{Path(r['file']).name:24} {r['pairs']:6d}  {acc:>16}  {r['threshold_sq_l2']:9.3f}  "
              f"{r['threshold_cosine']:7.4f}  {100 * r['tar_at_far']:11.2f}%")
    if args.json:

        doc = {"model": embedder.spec.model, "runtime": embedder.spec.runtime, "precision": embedder.spec.precision,
               "artifact_sha256": embedder.spec.artifact_sha256, "flip_sum": args.flip, "results": results}
        write_atomic(args.json, json.dumps(doc, indent=1, allow_nan=False) + "\n")
        _stderr(f"wrote {args.json}")
    return 0


def _parity(args: argparse.Namespace) -> int:
    _check_outputs([args.json], args.force)
    if args.max_flips is not None and not 0 <= args.max_flips <= 100:
        raise ValueError(f"--max-flips is a percentage between 0 and 100, got {args.max_flips}")
    targets = [t.strip().lower() for t in args.targets.split(",") if t.strip()]
    precisions = [p.strip().lower() for p in args.precision.split(",") if p.strip()]

    targets = list(dict.fromkeys(get_target(t).name for t in targets))
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad or not precisions or not targets:
        raise ValueError(f"--precision takes {', '.join(PRECISIONS)} and --targets {', '.join(TARGETS)} "
                         f"(comma-separated); got {args.precision!r} / {args.targets!r}")
    crops = None
    if args.images:
        crops = _crops_of_folder(Path(args.images))
    if args.checkpoint is None:
        _note_random_weights()
    result = parity(args.model, checkpoint=args.checkpoint, targets=targets, precisions=precisions, crops=crops,
                    threshold=args.threshold, log=_stderr,
                    min_cosine=MIN_COSINE if args.min_cosine is None else args.min_cosine,
                    max_flip_rate=MAX_FLIP_RATE if args.max_flips is None else args.max_flips / 100)
    print(render_parity(result), end="")
    if args.json:

        write_atomic(args.json, json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
        _stderr(f"wrote {args.json}")
    return 1 if result.failed else 0


def _crops_of_folder(directory: Path) -> Any:
    if not directory.is_dir():
        raise FileNotFoundError(f"--images {directory} is not a directory")
    photos = [p for sub in [directory, *sorted(d for d in directory.iterdir() if d.is_dir())] for p in list_images(sub)]
    detector = MTCNN()
    crops = []
    for photo in photos:
        image = load_image(photo)
        given = _photo_faces(photo)
        face = largest(given if given is not None else detector.detect(image))
        if face is None:
            _stderr(f"skip      {photo}: no face found")
            continue
        crops.append(align(image, face.landmarks, 112))
    if len(crops) < 2:
        raise ValueError(f"--images {directory}: found faces in {len(crops)} photos; parity needs at least 2")
    _stderr(f"faces     {len(crops)} aligned faces from {directory}")
    return np.stack(crops)
