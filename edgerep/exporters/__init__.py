"""``edgerep.export``: fuse, convert, verify and describe a model for Core ML, TFLite or ONNX.

One call does the whole pipeline for each target: build (and load a checkpoint), fuse a copy, wrap
for the requested input/output form, convert into a temporary path next to the destination, audit
the graph (no BatchNorm, no Dropout, node counts), verify it numerically against the fused torch
model (or structurally where the runtime is missing, e.g. Core ML on Linux), embed the metadata, write
the JSON sidecar, then rename both into place. A failure leaves nothing behind.

Targets are rows in :mod:`edgerep.exporters.targets`; each has its own module (onnx.py, coreml.py,
tflite.py).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .targets import PRECISIONS, TARGETS, ExportOptions, Target, check_options, resolve_targets

if TYPE_CHECKING:
    from torch import nn

    from .prepare import Prepared

__all__ = ["export", "ExportResult", "ExportError", "TARGETS"]

DEFAULT_OUTPUT_DIR = Path("exports")
VERIFY_BATCHES = 3


class ExportError(RuntimeError):
    """A conversion that failed for a reason other than the user's options (exit status 1)."""


@dataclass
class ExportResult:
    """One exported artifact and what is known about it.

    ``nodes`` counts the nodes (ops) of the exported graph in its own format; the fusion's effect is
    in ``nodes_unfused`` vs ``audit["torch_ops_fused"]``: ATen ops one forward pass of the unfused and
    of the fused model executes (same counting method on both sides).
    """

    model: str
    target: str
    path: Path
    sidecar: Path
    size_mb: float
    seconds: float
    precision: str
    input_name: str
    input_shape: tuple[int, ...]
    input_layout: str  # "NCHW", "NHWC" or "image" (Core ML ImageType)
    output_name: str
    output_shape: tuple[int, ...]
    verification: dict[str, Any]
    nodes: int
    nodes_unfused: int | None
    op_histogram: dict[str, int]
    audit: dict[str, Any]
    metadata: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Verification passed (or was skipped on request) and the graph audit is clean."""
        return self.verification.get("passed") is not False and bool(self.audit.get("passed"))


def export(
    model_or_name: str | nn.Module,
    target: str,
    *,
    output: str | Path | None = None,
    checkpoint: str | Path | None = None,
    precision: str | None = None,
    input_size: Sequence[int] | None = None,
    batch: int = 1,
    image_input: bool = False,
    verify: bool = True,
    l2_normalize: bool = False,
    opset: int | None = None,
    deployment_target: str | None = None,
    channels_last: bool | None = None,
    calibration: Any = None,
    log: Callable[[str], None] | None = None,
) -> ExportResult | list[ExportResult]:
    """Export a registered model (by name) or an ``nn.Module`` to ``target``; always fused first.

    Args:
        model_or_name: a registered name (``edgerep list``) or a module (fused on a copy).
        target: ``"onnx"``, ``"coreml"``, ``"tflite"`` (aliases: ort, mlpackage/ios, litert/android),
            or ``"all"``, which returns a list of results, one per target, in that order.
        output: the artifact path, or a directory (existing, or with a trailing slash; always a
            directory for ``"all"``). Default ``./exports/<model>[_<precision>].<suffix>``, the
            precision suffix only when it is not the target's default.
        checkpoint: weights for a registered model (training-form or fused, any supported layout).
        precision: ``"fp32"``, ``"fp16"`` or ``"int8"``; default per target: fp16 compute for Core ML
            (Apple's advice), fp32 for ONNX and TFLite.
        input_size: (H, W); default the model's size. Fixed-size models accept only their own.
        batch: fixed batch dimension of the exported graph.
        image_input: take raw RGB pixels (0..255) with the normalization inside the model: Core ML
            gets an ImageType, ONNX/TFLite a float32 raw-pixel input.
        verify: compare the artifact with the fused torch model on random inputs.
        l2_normalize: face-embedding models only: append L2 normalization to the graph.
        opset: ONNX opset (18..23, default 20).
        deployment_target: Core ML minimum deployment target (default iOS16).
        channels_last: TFLite input layout: NHWC (default, True) or NCHW (False).
        calibration: int8 on ONNX/TFLite: a directory of images, a .npy/.pt file or a tensor of
            normalized (N, 3, H, W) images; when omitted, the photos (faces for face models) shipped
            with scikit-image, or random images without it (the notes say which).
        log: called with one line per finished step (the CLI prints them).

    Raises:
        ValueError / TypeError: a bad argument, named with what is allowed.
        ImportError: the target's packages are missing (names the edgerep extra).
        ExportError: the conversion itself failed. Nothing half-written is left on any failure.
    """
    targets = resolve_targets(target)
    many = len(targets) > 1
    if precision is not None and precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not supported; allowed: {', '.join(PRECISIONS)}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    given = {"opset": opset, "deployment_target": deployment_target,
             "channels_last": channels_last, "calibration": calibration}
    for t in targets:
        check_options(t, given, precision, many=many)
    if calibration is not None and precision != "int8":
        raise ValueError(f"calibration applies only to precision 'int8' (got precision {precision!r}); "
                         "pass --precision int8 or drop --calibration")
    emit = log or (lambda line: None)

    identity = _identify(model_or_name, input_size, l2_normalize, image_input)
    plans = []
    for t in targets:
        prec = precision or t.default_precision
        opts = ExportOptions(
            precision=prec, batch=batch, image_input=image_input, l2_normalize=l2_normalize,
            opset=opset if "opset" in t.options else None,
            deployment_target=deployment_target if "deployment_target" in t.options else None,
            channels_last=channels_last if "channels_last" in t.options else None,
            mean=identity["mean"], std=identity["std"],
            output_name="embedding" if identity["task"] == "face-embedding" else "logits",
        )
        _validate_target(t, opts)
        plans.append((t, opts, _destination(output, t, identity["name"], prec, many)))
    for t, _, _ in plans:
        _require(t)
    for _, _, dest in plans:
        from .._io import check_writable

        check_writable(dest.parent)

    h, w = identity["input_size"]
    emit(f"export    {identity['name']} -> " + ", ".join(
        f"{t.name} ({o.precision})" for t, o, _ in plans) + f", input {batch}x3x{h}x{w}")
    start = time.perf_counter()
    prep = _prepare(model_or_name, identity, checkpoint)
    fuse_s = time.perf_counter() - start
    f = prep.fusion
    emit(f"fuse      {prep.name}: {f.get('fused_blocks', 0)} blocks fused, BatchNorm left "
         f"{f.get('batchnorms', 0)}, layer scales left {f.get('layer_scales', 0)}  ({fuse_s:.2f}s)")
    calib = None
    if precision == "int8" and any("calibration" in t.options for t in targets):
        calib = _calibration(prep, calibration, emit)

    results = []
    for t, opts, dest in plans:
        if calib is not None and "calibration" in t.options:
            opts = replace(opts, calibration=calib)
        results.append(_export_one(prep, t, opts, dest, verify=verify, fuse_s=fuse_s, emit=emit))
    return results if many else results[0]


# --------------------------------------------------------------------------------------- planning


def _identify(model_or_name: Any, input_size: Sequence[int] | None, l2_normalize: bool,
              image_input: bool) -> dict[str, Any]:
    """Name, spec, task, input size and normalization, checked against the options (no torch)."""
    from edgerep.registry import get_spec

    if isinstance(model_or_name, str):
        spec = get_spec(model_or_name)
        name = spec.name
    else:
        from torch import nn

        if not isinstance(model_or_name, nn.Module):
            raise TypeError(
                f"model_or_name must be a registered model name or an nn.Module, got "
                f"{type(model_or_name).__name__}"
            )
        registered = getattr(model_or_name, "edgerep_model", None)
        spec = get_spec(registered) if registered else None
        name = registered or type(model_or_name).__name__
    task = spec.task if spec else "custom"
    mean, std = (spec.mean, spec.std) if spec else (None, None)
    if input_size is None:
        if spec is None:
            raise ValueError(f"input_size is required for a model that is not registered ({name}); "
                             "pass input_size=(H, W)")
        size = tuple(spec.input_size[1:])
    else:
        size = tuple(input_size)
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size):
            raise ValueError(f"input_size must be two positive integers (H, W), got {input_size!r}")
        if spec is not None and spec.fixed_input_size and size != tuple(spec.input_size[1:]):
            h, w = spec.input_size[1:]
            raise ValueError(
                f"input size {size[0]}x{size[1]} is not supported by {name}: it runs only at {h}x{w} "
                f"(its layers are built for that size); drop --input-size or pass --input-size {h} {w}"
            )
    if l2_normalize and task == "classification":
        raise ValueError(
            f"l2_normalize applies to face-embedding models; {name} is a classification model "
            "(drop --l2-normalize)"
        )
    if image_input and mean is None:
        raise ValueError(f"image_input needs the model's normalization (mean/std), unknown for {name}; "
                         "register the model or feed normalized tensors")
    return {"name": name, "spec": spec, "task": task, "input_size": size, "mean": mean, "std": std}


def _validate_target(target: Target, options: ExportOptions) -> None:
    import importlib.util

    if importlib.util.find_spec(target.module) is None:
        raise ValueError(f"target {target.name!r} is not available in this edgerep build "
                         f"({target.module} is missing); allowed: {', '.join(TARGETS)}")
    validate = getattr(target.functions(), "validate", None)
    if validate is not None:
        validate(options)


def _require(target: Target) -> None:
    from edgerep import _optional

    from .._io import quiet

    for module in target.requires:
        with quiet():
            try:
                _optional.require(module)
            except ImportError as exc:
                error = exc
            else:
                continue
        raise ImportError(f"the {target.name} target needs {error}") from None


def _destination(output: str | Path | None, target: Target, name: str, precision: str, many: bool) -> Path:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    if precision != target.default_precision:
        stem += f"_{precision}"
    filename = stem + target.suffix
    if output is None:
        return DEFAULT_OUTPUT_DIR / filename
    out = Path(output)
    if many or str(output).endswith(("/", "\\")) or (out.is_dir() and out.suffix != target.suffix):
        return out / filename
    if out.suffix == target.suffix:
        return out
    other = {t.suffix for t in TARGETS.values()} | {".json"}
    if out.suffix in other:
        raise ValueError(
            f"output {str(output)!r} has suffix {out.suffix}, but the {target.name} target writes "
            f"{target.suffix}; pass --output {out.with_suffix(target.suffix)}"
        )
    return out.with_name(out.name + target.suffix)


# ----------------------------------------------------------------------------------- preparation


def _prepare(model_or_name: Any, identity: dict[str, Any], checkpoint: Any) -> Prepared:
    import torch

    from edgerep.reparam import fusion_report, reparameterize

    from .prepare import Prepared

    spec, name = identity["spec"], identity["name"]
    ckpt_info = None
    if isinstance(model_or_name, str):
        model, ckpt_info = _build(name, checkpoint)
        try:  # weights do not matter for counting ops: build the training form on the meta device
            with torch.device("meta"):
                unfused = spec.build(inference_mode=False, **getattr(model, "edgerep_build_kwargs", {}))
        except Exception:  # a builder that cannot run on meta: no unfused count
            unfused = None
    else:
        model = model_or_name
        if checkpoint is not None:
            import copy

            from edgerep.checkpoints import load_checkpoint

            model = copy.deepcopy(model)
            loaded = load_checkpoint(model, checkpoint)
            ckpt_info = _checkpoint_info(loaded)
        unfused = model
    # A model built here from its name is fused in place (its unfused twin for the op count is the
    # meta-device build above); a module passed in is fused on a copy and left as it was.
    fused = reparameterize(model, inplace=isinstance(model_or_name, str))
    report = fusion_report(fused)
    notes = []
    if ckpt_info is None:
        notes.append("random weights (no checkpoint given): the export is structurally complete but "
                     "its outputs mean nothing")
    if not report.complete:
        notes.append(f"fusion incomplete: {len(report.batchnorms)} BatchNorm, "
                     f"{len(report.layer_scales)} layer scales, {len(report.unfused_blocks)} blocks left")
    return Prepared(
        name=name, fused=fused, unfused=unfused, task=identity["task"],
        input_size=identity["input_size"], mean=identity["mean"], std=identity["std"], spec=spec,
        checkpoint=ckpt_info, fusion=report.to_dict(), notes=notes,
    )


def _build(name: str, checkpoint: Any) -> tuple[nn.Module, dict | None]:
    """Build ``name``, loading ``checkpoint`` in whichever form (training or fused) it holds."""
    from edgerep.checkpoints import CheckpointError, load_checkpoint
    from edgerep.factory import create_model

    if checkpoint is None:
        return create_model(name), None
    errors = []
    for inference_mode in (False, True):
        model = create_model(name, inference_mode=inference_mode)
        try:
            return model, _checkpoint_info(load_checkpoint(model, checkpoint))
        except CheckpointError as exc:
            errors.append(exc)
    # Each form's error says "use the other form" when that is the problem; show the other one.
    train_error, fused_error = errors
    raise fused_error if "inference_mode=True" in str(train_error) else train_error


def _checkpoint_info(loaded: Any) -> dict:
    return {"source": loaded.source, "sha256": loaded.sha256, "layout": loaded.layout,
            "fused_checkpoint": loaded.fused_checkpoint, "notes": list(loaded.notes)}


def _calibration(prep: Prepared, calibration: Any, emit: Callable[[str], None]):  # noqa: ANN202
    from .prepare import default_calibration, load_calibration

    if calibration is None:
        data, prep.calibration_note = default_calibration(prep)
        emit(f"calibrate {prep.calibration_note.removeprefix('int8 calibrated on ')}")
    else:
        data = load_calibration(calibration, prep)
        emit(f"calibrate {len(data)} images from {calibration}")
    return data


# ----------------------------------------------------------------------------------------- export


@dataclass
class _Job:
    """One target's export: the graph to convert and how its input and output look."""

    prep: Prepared
    target: Target
    options: ExportOptions
    graph: Any  # prepare.Graph
    raw: list  # random raw-pixel batches for verification (NCHW)
    example: Any  # the graph's input for raw[0]
    input_shape: tuple[int, ...]
    layout: str
    out_shape: tuple[int, ...]

    @property
    def tag(self) -> str:
        return f"[{self.target.name}]"

    @property
    def channels_last(self) -> bool:
        return self.layout == "NHWC"

    def reference(self, raw: Any) -> Any:
        """The fused torch model on the normalized image (plus L2 normalization if exported)."""
        import torch.nn.functional as F

        from .prepare import normalize

        y = self.prep.fused(normalize(self.prep, raw))
        return F.normalize(y, dim=1) if self.options.l2_normalize else y

    def runtime_input(self, raw: Any) -> Any:
        """What the artifact is fed for ``raw``, in its layout (an ImageType takes raw pixels)."""
        from .prepare import graph_input

        x = raw if self.layout == "image" else graph_input(self.prep, self.graph, raw)
        return (x.permute(0, 2, 3, 1) if self.channels_last else x).contiguous().numpy()


def _plan(prep: Prepared, target: Target, options: ExportOptions) -> _Job:
    import torch

    from .prepare import build_graph, graph_input, reference_inputs

    centered = target.name == "coreml" and options.image_input
    graph = build_graph(prep, image_input=options.image_input, l2_normalize=options.l2_normalize,
                        centered=centered)
    raw = reference_inputs(prep, options.batch, VERIFY_BATCHES)
    example = graph_input(prep, graph, raw[0])
    h, w = prep.input_size
    try:
        with torch.no_grad():
            out_shape = tuple(graph.module(example).shape)
    except Exception as exc:  # e.g. an input size the architecture cannot take
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ValueError(f"{prep.name} does not run on a {options.batch}x3x{h}x{w} input ({first}); "
                         "check --input-size") from exc
    channels_last = target.name == "tflite" and options.channels_last is not False
    layout = "image" if centered else ("NHWC" if channels_last else "NCHW")
    input_shape = (options.batch, h, w, 3) if channels_last else (options.batch, 3, h, w)
    return _Job(prep, target, options, graph, raw, example, input_shape, layout, out_shape)


def _export_one(prep: Prepared, target: Target, options: ExportOptions, dest: Path, *, verify: bool,
                fuse_s: float, emit: Callable[[str], None]) -> ExportResult:
    from . import metadata as md
    from .._io import quiet, staged, write_json

    job = _plan(prep, target, options)
    timings = {"fuse": fuse_s}
    sidecar = md.sidecar_path(dest)
    with staged(dest, sidecar) as (tmp, tmp_sidecar):
        t = time.perf_counter()
        info = _convert(job, tmp)
        timings["convert"] = time.perf_counter() - t
        emit(f"convert   {job.tag} {_describe_conversion(target, job.options, info)}  "
             f"({timings['convert']:.2f}s)")

        t = time.perf_counter()
        histogram, graph_audit = _audit(job, tmp)
        timings["audit"] = time.perf_counter() - t
        emit(f"audit     {job.tag} {_describe_audit(graph_audit)}")

        if verify:
            t = time.perf_counter()
            verification = _verify(job, tmp, graph_audit)
            timings["verify"] = verification["seconds"] = round(time.perf_counter() - t, 3)
            emit(f"verify    {job.tag} {_describe_verification(verification)}  ({timings['verify']:.2f}s)")
        else:
            verification = {"passed": None, "runtime": "skipped", "reason": "verify=False (--no-verify)"}

        t = time.perf_counter()
        meta = _metadata(job, info, histogram, graph_audit, verification)
        with quiet():
            target.embed_metadata(tmp, md.flatten(meta))
        size_mb = _size(tmp) / 1e6
        timings["metadata"] = time.perf_counter() - t
        seconds = sum(timings.values())
        write_json(tmp_sidecar, {"file": dest.name, "size_mb": round(size_mb, 3),
                                 "seconds": round(seconds, 3), **meta})
    emit(f"saved     {job.tag} {dest} ({size_mb:.1f} MB) + {sidecar.name}")
    return ExportResult(
        model=prep.name, target=target.name, path=dest, sidecar=sidecar, size_mb=size_mb,
        seconds=seconds, precision=job.options.precision, input_name=job.options.input_name,
        input_shape=job.input_shape, input_layout=job.layout, output_name=job.options.output_name,
        output_shape=job.out_shape, verification=verification, nodes=graph_audit["nodes"],
        nodes_unfused=graph_audit["torch_ops_unfused"], op_histogram=histogram, audit=graph_audit,
        metadata=meta, timings=timings,
    )


def _convert(job: _Job, tmp: Path) -> dict:
    options = job.options
    if options.calibration is not None and job.graph.input_kind == "raw":
        # Calibration images are normalized; this graph takes raw pixels.
        import torch

        mean = torch.tensor(job.prep.mean).view(1, -1, 1, 1)
        std = torch.tensor(job.prep.std).view(1, -1, 1, 1)
        options = replace(options, calibration=(options.calibration * std + mean) * 255.0)
    try:
        return job.target.convert(job.graph.module, job.example, tmp, options)
    except (ValueError, TypeError, ImportError, OSError):
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ExportError(f"{job.target.name} conversion of {job.prep.name} failed: "
                          f"{type(exc).__name__}: {first} (run with --debug for the traceback)") from exc


def _audit(job: _Job, tmp: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """The artifact's op histogram and audit, with the torch op counts unfused vs fused."""
    from .._io import quiet
    from .verify import audit, count_torch_ops

    with quiet():
        histogram = job.target.op_histogram(tmp)
    result = audit(histogram)
    h, w = job.prep.input_size
    unfused = _unfused_ops(job.prep, (job.options.batch, 3, h, w))
    result["torch_ops_fused"] = sum(count_torch_ops(job.graph.module, tuple(job.example.shape)).values())
    result["torch_ops_unfused"] = sum(unfused.values()) if unfused else None
    result["torch_batchnorm_unfused"] = sum(n for op, n in (unfused or {}).items() if "batch_norm" in op)
    return histogram, result


def _verify(job: _Job, tmp: Path, graph_audit: dict) -> dict[str, Any]:
    """Numeric parity on random inputs, or the structure check where the runtime is missing."""
    from .._io import quiet
    from .verify import verify_numeric

    with quiet():  # runtimes log to the console from C++ (e.g. "Created XNNPACK delegate")
        verification = verify_numeric(
            lambda a: job.target.run(tmp, a), job.reference, job.raw, job.runtime_input,
            job.options.precision, runtime=job.target.bench_runtime,
        )
        if verification is None:
            expected = {"input_name": job.options.input_name, "input_shape": job.input_shape,
                        "input_kind": "image" if job.layout == "image" else "tensor",
                        "output_name": job.options.output_name, "output_shape": job.out_shape}
            verification = _structure_only(job.target, tmp, expected, graph_audit)
    return verification


def _metadata(job: _Job, info: dict, histogram: dict, graph_audit: dict, verification: dict) -> dict:
    from edgerep.counting import count_macs, count_params

    from . import metadata as md

    prep, options, graph = job.prep, job.options, job.graph
    tools = md.tool_versions(job.target.name)
    run_options = {"opset": options.opset, "deployment_target": info.get("deployment_target"),
                   "channels_last": job.channels_last if job.target.name == "tflite" else None,
                   "image_input": options.image_input, "batch": options.batch}
    h, w = prep.input_size
    return {
        "model": prep.name,
        "edgerep_version": tools["edgerep"],
        "target": job.target.name,
        "created": md.utc_now(),
        "task": prep.task,
        "family": prep.spec.family if prep.spec else None,
        "baseline": bool(prep.spec.baseline) if prep.spec else False,
        # Per image, of the exported (fused) graph: what device harnesses put in their records.
        "params": count_params(prep.fused),
        "macs": count_macs(graph.module, (3, h, w)),
        "input": {"name": options.input_name, "shape": list(job.input_shape), "layout": job.layout,
                  "dtype": "float32", "kind": "image" if job.layout == "image" else graph.input_kind},
        "output": {"name": options.output_name, "shape": list(job.out_shape),
                   "l2_normalized": options.l2_normalize},
        "output_meaning": md.output_meaning(prep.task, options.l2_normalize, job.out_shape[-1]),
        "preprocessing": md.describe_preprocessing(prep, graph.input_kind, graph.preprocessing_in_graph),
        "precision": options.precision,
        "fused": True,
        "fusion": prep.fusion,
        "checkpoint": prep.checkpoint,
        "checkpoint_sha256": (prep.checkpoint or {}).get("sha256"),
        "op_histogram": histogram,
        "audit": graph_audit,
        "verification": verification,
        "conversion": info,
        "options": {k: v for k, v in run_options.items() if v is not None},
        "tools": tools,
        "notes": prep.notes + graph.notes + (
            [prep.calibration_note] if prep.calibration_note and options.calibration is not None else []),
    }


def _unfused_ops(prep: Prepared, shape: tuple[int, ...]) -> dict[str, int] | None:
    """ATen ops of the unfused model (counted once per export call, shared by the targets)."""
    from .verify import count_torch_ops

    if prep.unfused is None:
        return None
    if shape not in prep.unfused_ops:
        prep.unfused_ops[shape] = count_torch_ops(prep.unfused, shape)
    return prep.unfused_ops[shape]


def _structure_only(target: Target, path: Path, expected: dict, graph_audit: dict) -> dict[str, Any]:
    check = getattr(target.functions(), "check_structure", None)
    reason = f"no {target.name} runtime on this platform"
    if target.name == "coreml":
        reason = "Core ML prediction needs macOS; checked the saved package's structure instead"
    if check is None:
        return {"passed": False, "runtime": "none", "reason": reason}
    problems = list(check(path, expected)["problems"])
    if not graph_audit["passed"]:
        problems.append(f"BatchNorm x{graph_audit['batchnorm']} / Dropout x{graph_audit['dropout']} left")
    return {"passed": not problems, "runtime": "structure-only", "reason": reason,
            "checks": ["spec loads without the model", "input/output names, shapes and dtypes",
                       "no batch_norm or dropout op"], "problems": problems}


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _describe_conversion(target: Target, options: ExportOptions, info: dict) -> str:
    if target.name == "coreml":
        return (f"ML Program, {info.get('deployment_target')}, {info.get('compute_precision')} compute"
                + (", int8 weights" if options.precision == "int8" else "")
                + (", ImageType input" if options.image_input else ""))
    if target.name == "onnx":
        return f"opset {info.get('opset')}, {options.precision}"
    layout = "NCHW" if options.channels_last is False else "NHWC"
    rewritten = (f"; large depthwise convs split for XNNPACK (same function: rel err "
                 f"{info['rewrite_rel_error']:.1e})" if info.get("rewrites") else "")
    return f"{layout} input, {options.precision}{rewritten}"


def _describe_audit(a: dict) -> str:
    clean = "no BatchNorm, no Dropout" if a["passed"] else (
        f"FOUND BatchNorm x{a['batchnorm']}, Dropout x{a['dropout']}")
    ops = ""
    if a.get("torch_ops_unfused"):
        ops = f"; torch ops {a['torch_ops_unfused']} unfused -> {a['torch_ops_fused']} fused"
    return f"{clean}; {a['nodes']} nodes{ops}"


def _describe_verification(v: dict) -> str:
    if v.get("runtime") == "structure-only":
        state = "structure ok" if v["passed"] else "structure FAILED: " + "; ".join(v.get("problems", []))
        return f"{state} ({v['reason']})"
    if "rel_error" not in v:
        return f"not verified ({v.get('reason', '')})"
    verdict = "passed" if v["passed"] else "FAILED"
    return (f"{verdict}: rel error {_fmt_err(v['rel_error'])}, cosine {v['cosine']:.6f} over "
            f"{v['n_samples']} random inputs on {v['runtime']} ({v['criterion']})")


def _fmt_err(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.1e}"
