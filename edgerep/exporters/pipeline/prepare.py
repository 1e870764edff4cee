"""What gets exported: the fused model, plus the input/output adapters an export option asks for.

Pipeline order: build, load weights, eval, fuse (a copy), wrap, export. Wrappers:

- ``image_input``: the graph takes raw RGB pixels in [0, 255]. ``x / 255 - mean`` is a scale and a
  per-channel bias (Core ML's ImageType expresses exactly that); the remaining per-channel ``1 / std``
  is folded into the first convolution's input channels. Because ``x / 255 - mean`` is zero exactly
  where the normalized image is zero, the first conv's zero padding stays exact at the borders
  (folding the mean into the conv bias instead would not be).
- ``l2_normalize`` (face-embedding models): the embedding divided by its L2 norm.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from edgerep.checkpoints import CheckpointError, WrongFormError, load_checkpoint
from edgerep.counting import to_meta
from edgerep.factory import create_model
from edgerep.layers.base import conv_like
from edgerep.registry import built_from
from edgerep.reparam import fusion_report, reparameterize
from edgerep.weights import check_batchnorm_statistics, check_finite, random_weights_note

from .options import ModelIdentity


@dataclass
class Prepared:
    """A fused model ready for export, and everything the metadata needs to say about it."""

    name: str
    fused: nn.Module  # fused, eval, no wrappers: the reference for verification
    unfused: nn.Module | None  # training form (for the node-count audit), weights irrelevant
    task: str
    input_size: tuple[int, int]  # (H, W)
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    spec: Any = None  # registry ModelSpec, when the model is registered
    checkpoint: dict | None = None  # path, sha256, layout
    fusion: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unfused_ops: dict[tuple[int, ...], dict[str, int]] = field(default_factory=dict)  # by input shape


class L2Normalize(nn.Module):
    """``model(x) / ||model(x)||_2`` along the feature axis (deployment form of a face embedder)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model(x), p=2.0, dim=1)


class RawPixels(nn.Module):
    """``model(x / 255 - mean)`` for a model whose first conv already holds the ``1 / std`` factor."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x * (1.0 / 255.0) - self.mean)


class Normalize(nn.Module):
    """``model((x / 255 - mean) / std)``: the fallback when no first conv can take the ``1 / std``."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("inv_std", 1.0 / torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x * (1.0 / 255.0) - self.mean) * self.inv_std)


def first_conv(model: nn.Module, input_size: tuple[int, int]) -> tuple[str | None, str]:
    """The qualified name of the Conv2d that alone consumes the model input, or None and why not.

    Found by running the model once on the meta device (no compute): every ATen op that takes the
    input tensor itself is recorded, and a forward pre-hook names the Conv2d module it enters.
    """

    try:
        probe = to_meta(model)
        x = torch.empty(1, 3, *input_size, device="meta")
    except Exception:  # a module that cannot live on meta: probe on CPU
        probe, x = model, torch.zeros(1, 3, *input_size)
    consumers: list[str] = []
    modules: list[str] = []

    class Spy(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            if any(a is x for a in tree_leaves((args, kwargs or {}))):
                consumers.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    def pre_hook(name: str):  # noqa: ANN202
        def hook(module: nn.Module, inputs: tuple) -> None:
            if inputs and inputs[0] is x:
                modules.append(name)
        return hook

    handles = [m.register_forward_pre_hook(pre_hook(n)) for n, m in probe.named_modules()
               if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad(), Spy():
            probe.eval()(x)
    except Exception as exc:
        return None, f"the model could not be probed ({type(exc).__name__})"
    finally:
        for h in handles:
            h.remove()
    if consumers != ["convolution"] or len(modules) != 1:
        return None, f"the input feeds {', '.join(consumers) or 'nothing'}, not one convolution alone"
    conv = model.get_submodule(modules[0])
    if conv.groups != 1:
        return None, f"the first convolution {modules[0]!r} is grouped"
    return modules[0], ""


def fold_input_std(
    model: nn.Module, std: tuple[float, ...], input_size: tuple[int, int]
) -> tuple[nn.Module, str | None, str]:
    """A copy of ``model`` whose first conv takes ``x * std`` per channel instead of ``x``.

    Returns (model, folded conv name or None, reason when not folded).
    """
    name, why = first_conv(model, input_size)
    if name is None:
        return model, None, why
    model = copy.deepcopy(model)
    conv = model.get_submodule(name)
    with torch.no_grad():
        # conv(x_n) with x_n = x_c / std per input channel == conv'(x_c) with W'[:, c] = W[:, c] / std_c.
        inv = 1.0 / torch.tensor(std, dtype=conv.weight.dtype, device=conv.weight.device)
        weight = conv.weight * inv.view(1, -1, 1, 1)
        model.set_submodule(name, conv_like(conv, weight, conv.bias))
    return model, name, ""


@dataclass
class Graph:
    """The module that is converted and how its input relates to the normalized image."""

    module: nn.Module
    # "tensor": normalized float input; "raw": raw pixels in [0, 255] with (x/255 - mean)
    # inside the graph; "centered": x/255 - mean already applied by the format (Core ML ImageType).
    input_kind: str
    preprocessing_in_graph: str
    notes: list[str] = field(default_factory=list)


def build_graph(prep: Prepared, *, image_input: bool, l2_normalize: bool, centered: bool) -> Graph:
    """Wrap ``prep.fused`` for export. ``centered``: the format itself applies ``x/255 - mean``."""
    model, notes = prep.fused, []
    kind, described = "tensor", "none: feed (x/255 - mean)/std, NCHW"
    if image_input:
        folded, conv_name, why = fold_input_std(model, prep.std, prep.input_size)
        if conv_name is None:
            notes.append(f"1/std kept as a multiply ({why})")
            if centered:
                raise ValueError(
                    f"image_input cannot fold 1/std into the first convolution of {prep.name}: {why}"
                )
            model, kind = Normalize(model, prep.mean, prep.std), "raw"
            described = "x/255 - mean and 1/std as graph ops; feed raw RGB pixels 0..255"
        else:
            notes.append(f"1/std folded into {conv_name}")
            if centered:
                model, kind = folded, "centered"
                described = ("image input: scale 1/255 and bias -mean by the format, 1/std folded into "
                             f"{conv_name}; feed raw RGB pixels")
            else:
                model, kind = RawPixels(folded, prep.mean), "raw"
                described = (f"x/255 - mean in the graph, 1/std folded into {conv_name}; "
                             "feed raw RGB pixels 0..255")
    if l2_normalize:
        model = L2Normalize(model)
    return Graph(model.eval(), kind, described, notes)


def reference_inputs(prep: Prepared, batch: int, n: int, seed: int = 0) -> list[torch.Tensor]:
    """``n`` random raw-pixel batches (uniform integers 0..255, NCHW float32)."""
    g = torch.Generator().manual_seed(seed)
    h, w = prep.input_size
    return [torch.randint(0, 256, (batch, 3, h, w), generator=g).float() for _ in range(n)]


def normalize(prep: Prepared, raw: torch.Tensor) -> torch.Tensor:
    """Raw pixels -> the model's normalized input; a unit-scale input for models without mean/std."""
    if prep.mean is None or prep.std is None:
        return raw / 127.5 - 1.0
    mean = torch.tensor(prep.mean).view(1, -1, 1, 1)
    std = torch.tensor(prep.std).view(1, -1, 1, 1)
    return (raw / 255.0 - mean) / std


def graph_input(prep: Prepared, graph: Graph, raw: torch.Tensor) -> torch.Tensor:
    """What the exported graph is fed for the raw batch ``raw`` (before any layout change)."""
    if graph.input_kind == "raw":
        return raw
    if graph.input_kind == "centered":
        return raw / 255.0 - torch.tensor(prep.mean).view(1, -1, 1, 1)
    return normalize(prep, raw)


# ------------------------------------------------------------------------------ build, load, fuse


def prepare(model_or_name: Any, identity: ModelIdentity, checkpoint: Any) -> Prepared:
    """Build (or take) the model, load ``checkpoint``, check its weights, fuse it completely.

    ``identity`` is what planning found out about the model (name, spec, task, input size,
    normalization). A model built here from its name is fused in place (its unfused twin for the
    op count is built on the meta device); a module passed in is fused on a copy and left as it was.
    """

    spec, name = identity.spec, identity.name
    ckpt_info = None
    if isinstance(model_or_name, str):
        model, ckpt_info = _build(name, checkpoint)
        try:  # weights do not matter for counting ops: build the training form on the meta device
            unfused = built_from(model).build(inference_mode=False, device="meta")
        except Exception:  # a builder that cannot run on meta: no unfused count
            unfused = None
    else:
        model = model_or_name
        if checkpoint is not None:

            model = copy.deepcopy(model)
            ckpt_info = _checkpoint_info(load_checkpoint(model, checkpoint))
        unfused = model
    what = f"checkpoint {checkpoint}" if checkpoint is not None else f"the weights of {name}"
    check_finite(model, what)
    check_batchnorm_statistics(model, what)
    fused = reparameterize(model, inplace=isinstance(model_or_name, str))
    check_finite(fused, f"{what}, once fused")
    report = fusion_report(fused)
    notes = list(ckpt_info["notes"]) if ckpt_info else []
    if ckpt_info is None:
        notes.append(random_weights_note("the export is structurally complete but its outputs mean nothing"))
    if not report.complete:
        notes.append(f"fusion incomplete: {len(report.batchnorms)} BatchNorm, "
                     f"{len(report.layer_scales)} layer scales, {len(report.unfused_blocks)} blocks left")
    return Prepared(
        name=name, fused=fused, unfused=unfused, task=identity.task,
        input_size=identity.input_size, mean=identity.mean, std=identity.std, spec=spec,
        checkpoint=ckpt_info, fusion=report.to_dict(), notes=notes,
    )


def _build(name: str, checkpoint: Any) -> tuple[nn.Module, dict | None]:
    """Build ``name``, loading ``checkpoint`` in whichever form (training or fused) it holds."""

    if checkpoint is None:
        return create_model(name), None
    model = create_model(name)
    try:
        return model, _checkpoint_info(load_checkpoint(model, checkpoint))
    except WrongFormError:  # a fused checkpoint: its error (if any) is the one to show
        wrong_form, first_error = True, None
    except CheckpointError as exc:
        wrong_form, first_error = False, exc
    model = create_model(name, inference_mode=True)
    try:
        return model, _checkpoint_info(load_checkpoint(model, checkpoint))
    except CheckpointError as fused_error:
        raise (fused_error if wrong_form else first_error) from None


def _checkpoint_info(loaded: Any) -> dict:
    return {"source": loaded.source, "sha256": loaded.sha256, "layout": loaded.layout,
            "fused_checkpoint": loaded.fused_checkpoint, "notes": list(loaded.notes),
            "dequantized_weights": loaded.dequantized}
