"""``edgerep.export``: the export pipeline, step by step, for every target.

1. plan (here, no torch): the model's identity and input size, each target's options (checked in
   :mod:`.options` and by the target), destinations, installed packages, writable outputs;
2. prepare (:mod:`.prepare`): build, load the checkpoint, check the weights, fuse completely;
3. calibrate (:mod:`.calibration`), for int8 on the targets that take calibration data;
4. per target: wrap the fused model for its input/output form (:mod:`.prepare`), convert into a
   temporary path next to the destination (the target's module), audit the graph and verify it
   against the fused torch model (:mod:`.verify`), embed the metadata (:mod:`.metadata`), then rename
   the artifact and its JSON sidecar into place together (:func:`edgerep._io.staged`).

A failure at any step leaves nothing behind. The console lines are :mod:`.console`'s.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from edgerep import _optional

from ..._files import check_regular
from ..._io import (
    check_distinct, check_output, check_writable, failed_path, quiet, raise_if_terminated, remove_empty_dirs,
    staged, tree_bytes, write_json,
)
from . import console
from . import metadata as md
from .checks import Audit, Verification
from .metadata import sidecar_path
from .options import ExportOptions, ModelIdentity, check_common, check_target_options, output_name
from .precision import Precision
from .targets import TARGETS, Target, resolve_targets, supported_by

# torch, numpy and the steps that import torch (prepare, calibration, int8_torch, verify, registry,
# weights) are imported where used: planning an export, its errors and the CLI stay torch-free.

if TYPE_CHECKING:
    from torch import nn

    from .calibration import Calibration
    from .prepare import Graph, Prepared

DEFAULT_OUTPUT_DIR = Path("exports")
VERIFY_BATCHES = 3


class ExportError(RuntimeError):
    """A conversion that failed for a reason other than the user's options (exit status 1)."""


@dataclass
class ExportResult:
    """One exported artifact and what is known about it.

    ``nodes`` counts the nodes (ops) of the exported graph in its own format; the fusion's effect is
    in ``nodes_unfused`` vs ``audit.torch_ops_fused``: ATen ops one forward pass of the unfused and
    of the fused model executes (same counting method on both sides).
    """

    model: str
    target: str
    path: Path
    sidecar: Path
    size_mb: float
    seconds: float
    precision: Precision
    input_name: str
    input_shape: tuple[int, ...]
    input_layout: str  # "NCHW", "NHWC" or "image" (Core ML ImageType)
    output_name: str
    output_shape: tuple[int, ...]
    verification: Verification
    nodes: int
    nodes_unfused: int | None
    op_histogram: dict[str, int]
    audit: Audit
    metadata: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Verification passed (or was skipped on request) and the graph audit is clean."""
        return self.verification.passed is not False and self.audit.passed


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
        calibration: int8: a directory of images, a .npy/.pt file or a tensor of
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
    precision = None if precision is None else Precision.parse(precision)  # the one check of its value
    given = {"opset": opset, "deployment_target": deployment_target,
             "channels_last": channels_last, "calibration": calibration}
    if not many:  # with "all", an option applies to the targets that support it
        check_target_options(targets[0], given, supported_by())
    identity = identify(model_or_name, input_size, l2_normalize, image_input)
    check_common(precision=precision, batch=batch, calibration=calibration, input_size=identity.input_size)
    if isinstance(calibration, (str, os.PathLike)) and not Path(calibration).is_dir():

        check_regular(calibration, "calibration", limit="array")  # missing, FIFO, device: before any work

    jobs = []
    for t in targets:
        options = ExportOptions(
            precision=Precision.parse(precision or t.default_precision, t.precisions, who=t.name),
            batch=batch, image_input=image_input,
            l2_normalize=l2_normalize, mean=identity.mean, std=identity.std,
            output_name=output_name(identity.task),
            **{k: v for k, v in given.items() if k in t.options and k != "calibration"},
        )
        t.validate(options)
        jobs.append((t, options, destination(output, t, identity.name, options.precision, many)))
    for t, _, _ in jobs:
        _require(t)
    created: list[Path] = []
    try:
        _check_outputs(jobs, created)
        return _run(model_or_name, identity, jobs, checkpoint, calibration, verify, many,
                    log or (lambda line: None))
    except BaseException:
        remove_empty_dirs(created)  # a failed export leaves no folder it created
        raise


def _run(model_or_name: Any, identity: ModelIdentity, jobs: list, checkpoint: Any, calibration: Any,
         verify: bool, many: bool, emit: Callable[[str], None]) -> ExportResult | list[ExportResult]:
    from edgerep.weights import check_float16_range

    from .prepare import prepare

    h, w = identity.input_size
    batch = jobs[0][1].batch
    emit(f"export    {identity.name} -> " + ", ".join(
        f"{t.name} ({o.precision})" for t, o, _ in jobs) + f", input {batch}x3x{h}x{w}")
    start = time.perf_counter()
    prep = prepare(model_or_name, identity, checkpoint)
    fuse_s = time.perf_counter() - start
    f = prep.fusion
    emit(f"fuse      {prep.name}: {f.get('fused_blocks', 0)} blocks fused, BatchNorm left "
         f"{f.get('batchnorms', 0)}, layer scales left {f.get('layer_scales', 0)}  ({fuse_s:.2f}s)")
    for t, options, _ in jobs:
        if options.precision in t.float16_precisions:
            check_float16_range(prep.fused, f"{t.name} {options.precision} export of {prep.name}")
    calib = None
    if any(_calibrates(t, o, given=calibration is not None) for t, o, _ in jobs):
        from . import calibration as calibration_data

        calib = calibration_data.default(prep) if calibration is None else calibration_data.load(calibration, prep)
        emit(f"calibrate {calib.source}")
    results = [_export_one(prep, t, options, dest, calib, verify=verify, fuse_s=fuse_s, emit=emit)
               for t, options, dest in jobs]
    return results if many else results[0]


# --------------------------------------------------------------------------------------- planning


def identify(model_or_name: Any, input_size: Sequence[int] | None, l2_normalize: bool,
             image_input: bool) -> ModelIdentity:
    """Name, spec, task, input size and normalization, checked against the options (no torch)."""
    from edgerep.registry import built_from, get_spec

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
        origin = built_from(model_or_name)
        spec = origin.spec if origin else None
        name = origin.name if origin else type(model_or_name).__name__
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
    return ModelIdentity(name=name, spec=spec, task=task, input_size=size, mean=mean, std=std)


def destination(output: str | Path | None, target: Target, name: str, precision: Precision, many: bool) -> Path:
    """Where ``target``'s artifact goes: the one output-name rule."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    if precision != target.default_precision:
        stem += f"_{precision}"
    filename = stem + target.suffix
    if output is None:
        return DEFAULT_OUTPUT_DIR / filename
    out = Path(output)
    if out.exists() and not out.is_dir():

        check_output(out)  # a device or pipe (/dev/null) is refused, never used as a stem for NAME.suffix
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


def _require(target: Target) -> None:
    for module in target.info.requires:
        with quiet():
            try:
                _optional.require(module)
            except ImportError as exc:
                error = exc
            else:
                continue
        raise ImportError(f"the {target.name} target needs {error}") from None


def _check_outputs(jobs: list, created: list[Path]) -> None:
    """Refuse bad outputs before any work; create the folders, adding them to ``created``."""

    for t, _, dest in jobs:
        for path in (dest, failed_path(dest)):  # a failed verification writes beside (failed_path)
            check_output(path, directory_artifact=t.is_directory)
            check_output(sidecar_path(path))
    check_distinct([p for _, _, dest in jobs for p in (dest, sidecar_path(dest))])
    for _, _, dest in jobs:
        created += check_writable(dest.parent)


# ----------------------------------------------------------------------------------------- export


@dataclass
class _Job:
    """One target's export: the graph to convert and how its input and output look."""

    prep: Prepared
    target: Target
    options: ExportOptions
    graph: Graph
    raw: list  # raw-pixel batches for verification (NCHW): random, or int8's held-out images
    example: Any  # the graph's input for raw[0]
    input_shape: tuple[int, ...]
    layout: str
    out_shape: tuple[int, ...]
    notes: list[str]
    domain: str | None = None  # what ``raw`` holds when it is real images (int8's held-out set)

    @property
    def tag(self) -> str:
        return f"[{self.target.name}]"

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
        return (x.permute(0, 2, 3, 1) if self.layout == "NHWC" else x).contiguous().numpy()


def _calibrates(target: Target, options: ExportOptions, *, given: bool) -> bool:
    """Whether this export uses calibration images: int8 on a target that takes them, when the user
    gave some or the target cannot do without (weights-only int8, Core ML's, uses them only if given)."""
    return (options.precision.is_integer and "calibration" in target.options
            and (given or target.int8_needs_calibration))


def _plan(prep: Prepared, target: Target, options: ExportOptions, calib: Calibration | None) -> _Job:
    import torch

    from .prepare import build_graph, graph_input, reference_inputs

    layout = target.input_layout(options)
    graph = build_graph(prep, image_input=options.image_input, l2_normalize=options.l2_normalize,
                        centered=layout == "image")
    notes = list(graph.notes)
    raw = reference_inputs(prep, options.batch, VERIFY_BATCHES)
    domain = None
    if calib is not None and _calibrates(target, options, given=calib.given):
        from . import int8_torch

        images = calib.graph_input(prep, graph)
        recipe = int8_torch.recipe(prep.fused)
        module, rounding = int8_torch.round_weights(
            graph.module, images, target.int8_weight_layers(graph.module, recipe))
        graph = replace(graph, module=module)
        options = replace(options, calibration=images, int8_recipe=recipe)
        notes += ([calib.note] if calib.note else []) + [rounding.note()]
        held = calib.held_out_pixels(prep)
        if held is not None:
            usable = len(held) // options.batch * options.batch
            raw = [held[i:i + options.batch] for i in range(0, usable, options.batch)] or raw
            domain = calib.domain if usable else None
    example = graph_input(prep, graph, raw[0])
    h, w = prep.input_size
    try:
        with torch.no_grad():
            out_shape = tuple(graph.module(example).shape)
    except Exception as exc:  # e.g. an input size the architecture cannot take
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ValueError(f"{prep.name} does not run on a {options.batch}x3x{h}x{w} input ({first}); "
                         "check --input-size") from exc
    input_shape = (options.batch, h, w, 3) if layout == "NHWC" else (options.batch, 3, h, w)
    return _Job(prep, target, options, graph, raw, example, input_shape, layout, out_shape, notes, domain)


def _export_one(prep: Prepared, target: Target, options: ExportOptions, dest: Path,
                calib: Calibration | None, *, verify: bool, fuse_s: float,
                emit: Callable[[str], None]) -> ExportResult:

    job = _plan(prep, target, options, calib)
    timings = {"fuse": fuse_s}
    asked = dest
    sidecar = md.sidecar_path(dest)
    with staged(dest, sidecar) as staging:
        tmp, tmp_sidecar = staging
        t = time.perf_counter()
        info = _convert(job, tmp)
        timings["convert"] = time.perf_counter() - t
        emit(f"convert   {job.tag} {target.describe(job.options, info)}  ({timings['convert']:.2f}s)")

        t = time.perf_counter()
        histogram, graph_audit = _audit(job, tmp)
        timings["audit"] = time.perf_counter() - t
        emit(f"audit     {job.tag} {console.audit_line(graph_audit)}")

        if verify:
            t = time.perf_counter()
            verification = _verify(job, tmp, graph_audit)
            timings["verify"] = verification.seconds = round(time.perf_counter() - t, 3)
            emit(f"verify    {job.tag} {console.verification_line(verification)}  ({timings['verify']:.2f}s)")
        else:
            verification = Verification(passed=None, runtime="skipped", reason="verify=False (--no-verify)")

        if verification.passed is False or not graph_audit.passed:
            # A failed artifact never takes the place of the one asked for (a good one may be there):
            # it is kept beside it, under a name that says so (docs/export.md, "Exit status").
            dest = failed_path(dest)
            sidecar = md.sidecar_path(dest)
            staging.dests = [dest, sidecar]
        t = time.perf_counter()
        meta = md.describe(job, info, histogram, graph_audit, verification)
        with quiet():
            target.embed_metadata(tmp, md.flatten(meta))
        size_mb = tree_bytes(tmp) / 1e6
        timings["metadata"] = time.perf_counter() - t
        seconds = sum(timings.values())
        write_json(tmp_sidecar, {"file": dest.name, "size_mb": round(size_mb, 3),
                                 "seconds": round(seconds, 3), **meta})
    kept = f"  (failed: kept beside {asked.name}, which is left as it was)" if dest != asked else ""
    emit(f"saved     {job.tag} {dest} ({size_mb:.1f} MB) + {sidecar.name}{kept}")
    return ExportResult(
        model=prep.name, target=target.name, path=dest, sidecar=sidecar, size_mb=size_mb,
        seconds=seconds, precision=job.options.precision, input_name=job.options.input_name,
        input_shape=job.input_shape, input_layout=job.layout, output_name=job.options.output_name,
        output_shape=job.out_shape, verification=verification, nodes=graph_audit.nodes,
        nodes_unfused=graph_audit.torch_ops_unfused, op_histogram=histogram, audit=graph_audit,
        metadata=meta, timings=timings,
    )


def _convert(job: _Job, tmp: Path) -> dict:
    try:
        return job.target.convert(job.graph.module, job.example, tmp, job.options)
    except (ValueError, TypeError, ImportError, OSError):
        raise
    except Exception as exc:
        raise_if_terminated()  # a signal the converter wrapped in its own error (torch.export does): not a failure
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ExportError(f"{job.target.name} conversion of {job.prep.name} failed: "
                          f"{type(exc).__name__}: {first} (run with --debug for the traceback)") from exc


def _audit(job: _Job, tmp: Path) -> tuple[dict[str, int], Audit]:
    """The artifact's op histogram and audit, with the torch op counts unfused vs fused."""
    from .verify import audit, count_torch_ops

    with quiet():
        histogram = job.target.op_histogram(tmp)
        constant_ops = job.target.constant_ops(tmp)  # computing only from constants: folded, so 0
    h, w = job.prep.input_size
    unfused = _unfused_ops(job.prep, (job.options.batch, 3, h, w))
    result = replace(
        audit(histogram), constant_ops=constant_ops,
        torch_ops_fused=sum(count_torch_ops(job.graph.module, tuple(job.example.shape)).values()),
        torch_ops_unfused=sum(unfused.values()) if unfused else None,
        torch_batchnorm_unfused=sum(n for op, n in (unfused or {}).items() if "batch_norm" in op))
    return histogram, result


def _unfused_ops(prep: Prepared, shape: tuple[int, ...]) -> dict[str, int] | None:
    """ATen ops of the unfused model (counted once per export call, shared by the targets)."""
    from .verify import count_torch_ops

    if prep.unfused is None:
        return None
    if shape not in prep.unfused_ops:
        prep.unfused_ops[shape] = count_torch_ops(prep.unfused, shape)
    return prep.unfused_ops[shape]


def _verify(job: _Job, tmp: Path, graph_audit: Audit) -> Verification:
    """Numeric parity on random inputs, or the structure check where the runtime is missing."""
    from .verify import verify_numeric

    with quiet():  # runtimes log to the console from C++ (e.g. "Created XNNPACK delegate")
        verification = verify_numeric(
            lambda a: job.target.run(tmp, a), job.reference, job.raw, job.runtime_input,
            job.options.precision, runtime=job.target.runtime, output_name=job.options.output_name,
            task=job.prep.task, domain=job.domain,
        )
        if verification is not None and verification.missed and not verification.passed:
            verification.worst_layers = _worst_layers(job)
        if verification is None:
            expected = {"input_name": job.options.input_name, "input_shape": job.input_shape,
                        "input_kind": "image" if job.layout == "image" else "tensor",
                        "output_name": job.options.output_name, "output_shape": job.out_shape}
            problems = job.target.check_structure(tmp, expected)
            if not graph_audit.passed:
                problems.append(f"BatchNorm x{graph_audit.batchnorm} / Dropout x{graph_audit.dropout} left")
            verification = Verification(
                passed=not problems, runtime="structure-only",
                reason=f"{job.target.runtime_unavailable()}; checked the saved package's structure instead",
                checks=["spec loads without the model", "input/output names, shapes and dtypes",
                        "no batch_norm or dropout op"],
                problems=problems)
    return verification


def _worst_layers(job: _Job, keep: int = 3) -> list[dict[str, Any]]:
    """The layers that alone cost the most (int8 weights and 8-bit input, the rest float), measured
    in torch on the verification images: where a failing int8 export loses its accuracy."""
    import numpy as np
    import torch

    from . import int8_torch
    from .prepare import normalize

    x = normalize(job.prep, torch.cat(job.raw)[:16])
    with torch.no_grad():
        ref = job.prep.fused(x).reshape(len(x), -1).double()

    def score(out: torch.Tensor) -> float:
        out = out.reshape(len(x), -1).double()
        return float(torch.nn.functional.cosine_similarity(out, ref, dim=1).mean())

    layers = int8_torch.quantized_layers(job.prep.fused, job.options.int8_recipe)
    ranked = int8_torch.per_layer_drift(job.prep.fused, x, layers, score)
    return [{"layer": name, "cosine_mean": round(value, 6)} for name, value in ranked[:keep]
            if np.isfinite(value)]
