"""Checkpoint reading, layout detection and key mapping (edgerep / timm / official layouts).

Families register their foreign layouts with :func:`register_layouts`: a layout is a function that
renames (and, where needed, reshapes) a foreign state dict into edgerep's keys. Detection tries every
layout and keeps the one whose keys equal the model's. Foreign *fused* checkpoints (timm's
``reparameterize_model`` output, Apple's ``_reparam`` files) are only partially fused: they are
loaded into a scratch training-form model whose branch blocks are fused, then fused completely and
copied into the user's ``inference_mode=True`` model.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Union

import torch
from torch import Tensor, nn

from ._files import check_regular, check_zip
from ._io import file_sha256, staged
from ._text import one_line
from .registry import BuiltFrom, built_from
from .safe_pickle import is_torchscript_archive, read_torchscript_tensors
from .weights import check_state_dict

StateDict = dict[str, Tensor]
Converter = Callable[[StateDict], StateDict]
Source = Union[str, os.PathLike, Mapping[str, Any]]

_WRAPPER_KEYS = ("state_dict_ema", "model_ema", "state_dict", "model", "net", "backbone")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model (one clear line)."""


class WrongFormError(CheckpointError):
    """The checkpoint holds the model's other form; ``inference_mode`` is the form it needs."""

    def __init__(self, message: str, inference_mode: bool) -> None:
        super().__init__(message)
        self.inference_mode = inference_mode


@dataclass(frozen=True)
class FamilyLayouts:
    """Foreign checkpoint layouts of one model family."""

    layouts: dict[str, Converter]
    # Block types the foreign *fused* checkpoints have fused (the rest stays in training form there).
    reference_fused_types: tuple[type[nn.Module], ...] = ()


_FAMILIES: dict[str, FamilyLayouts] = {}


def register_layouts(
    family: str, layouts: dict[str, Converter], reference_fused_types: tuple[type[nn.Module], ...] = ()
) -> None:
    _FAMILIES[family] = FamilyLayouts(dict(layouts), tuple(reference_fused_types))


RenameRule = tuple["re.Pattern[str]", Any]  # (compiled pattern, replacement string or function)


def rename_keys(sd: StateDict, rules: tuple[RenameRule, ...]) -> StateDict:
    """Apply regex ``rules`` in order to every key (the usual body of a layout converter)."""
    out: StateDict = {}
    for key, value in sd.items():
        for pattern, repl in rules:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


@dataclass
class LoadResult:
    layout: str
    fused_checkpoint: bool
    source: str
    sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    dequantized: int = 0  # int8 weights of a dynamically quantized checkpoint, now float32


_PACKED = "._packed_params._packed_params"
# What torch.ao's dynamic quantization stores beside each packed Linear: the packed dtype, and the
# output scale / zero point that dynamic quantization never uses (it computes in float).
_PACKED_EXTRAS = ("._packed_params.dtype", ".scale", ".zero_point")
DEQUANTIZED_NOTE = ("dequantized {n} int8 weight(s) of a dynamically quantized checkpoint "
                    "(torch quantize_dynamic) to float32")


def dequantize_packed(sd: Mapping[str, Any], name: str) -> tuple[dict[str, Any], int]:
    """Undo ``torch.ao.quantization.quantize_dynamic``'s state-dict form: every
    ``X._packed_params._packed_params`` (int8 weight, float bias) becomes ``X.weight`` / ``X.bias``
    in float32, and the packed dtype and unused output scale / zero point of ``X`` are dropped.
    Returns the new dict and how many weights were dequantized (0: nothing was packed)."""
    packed = [k[: -len(_PACKED)] for k in sd if isinstance(k, str) and k.endswith(_PACKED)]
    if not packed:
        return dict(sd), 0
    out: dict[str, Any] = {}
    prefixes = set(packed)
    extras = {p + e for p in prefixes for e in _PACKED_EXTRAS}
    for key, value in sd.items():
        if key in extras:
            continue
        if isinstance(key, str) and key.endswith(_PACKED):
            prefix = key[: -len(_PACKED)]
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Tensor)
                    and value[0].is_quantized and (value[1] is None or isinstance(value[1], Tensor))):
                raise CheckpointError(
                    f"checkpoint {name}: {key} is not a packed (int8 weight, bias) pair as torch's dynamic "
                    "quantization writes it; re-save the float model's state dict instead")
            weight, bias = value
            if weight.dtype not in (torch.qint8, torch.quint8) or weight.layout != torch.strided or \
                    weight.numel() * weight.element_size() > weight.untyped_storage().nbytes():
                raise CheckpointError(f"checkpoint {name}: {key} holds a {weight.dtype} weight of shape "
                                      f"{tuple(weight.shape)} that is not a dense int8 tensor within its data")
            out[prefix + ".weight"] = weight.dequantize().to(torch.float32)
            if bias is not None:
                out[prefix + ".bias"] = bias.detach().to(torch.float32)
            continue
        out[key] = value
    return out, len(prefixes)


def read_state_dict(source: Source) -> StateDict:
    """Read a state dict from a safetensors or torch file (``weights_only``), or take a mapping.

    Unwraps ``{"state_dict": ...}``-style containers and a ``module.`` prefix (DataParallel), and
    dequantizes a dynamically quantized checkpoint (:func:`dequantize_packed`).
    """
    return _read_state_dict(source)[0]


def _read_state_dict(source: Source) -> tuple[StateDict, int]:
    """:func:`read_state_dict` and the number of int8 weights it dequantized."""
    if isinstance(source, Mapping):
        obj: Any = source
        name = "the given state dict"
    else:
        path = Path(source)
        name = str(path)
        try:
            check_regular(path, "checkpoint", limit="checkpoint")  # never a FIFO, device or folder
        except (OSError, ValueError) as exc:
            raise CheckpointError(str(exc)) from None
        obj = _read_file(path)
    for _ in range(2):  # {"model": {"state_dict": ...}} occurs in the wild
        if isinstance(obj, Mapping):
            inner = next((obj[k] for k in _WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
            if inner is not None and not any(isinstance(v, Tensor) for v in obj.values()):
                obj = inner
    dequantized = 0
    if isinstance(obj, Mapping):
        obj, dequantized = dequantize_packed(obj, name)
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, Tensor) for v in obj.values()):
        raise CheckpointError(f"{name} holds no state dict of tensors (found {type(obj).__name__})")
    prefix = "module."
    if all(isinstance(k, str) and k.startswith(prefix) for k in obj):
        obj = {k[len(prefix):]: v for k, v in obj.items()}
    try:
        check_state_dict(obj, f"checkpoint {name}")  # string keys, dense real floating tensors, finite
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    return dict(obj), dequantized


def _sniff(path: Path) -> str:
    """The file's format from its first bytes (not its name): safetensors, torchscript, zip or pickle."""
    with open(path, "rb") as fh:
        head = fh.read(9)
    if head[:4] == b"PK\x03\x04":
        return "torchscript" if is_torchscript_archive(path) else "zip"
    if len(head) == 9 and head[8:9] == b"{":
        header = int.from_bytes(head[:8], "little")
        if 2 <= header <= path.stat().st_size - 8:
            return "safetensors"
    return "pickle"


def _read_file(path: Path) -> Any:
    """A checkpoint file's contents, read by a path that cannot run code (see docs/checkpoints.md)."""
    try:
        kind = _sniff(path)
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from None
    if kind in ("zip", "torchscript"):
        try:
            check_zip(path, "checkpoint")  # judged from the zip's directory, before decompressing
        except ValueError as exc:
            raise CheckpointError(str(exc)) from None
    if kind != "safetensors" and path.suffix == ".safetensors":
        raise CheckpointError(f"cannot read {path}: not a valid safetensors file (no safetensors header)")
    if kind == "safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read {path}: not a valid safetensors file ({one_line(exc, 200)})") from None
    if kind == "torchscript":
        # Reference repositories ship fused models as TorchScript archives (RepNeXt's *_fused.pt).
        # torch.jit.load would compile and run the archive's code: read its tensors instead.
        return read_torchscript_tensors(path, fail=CheckpointError)
    try:
        with warnings.catch_warnings():  # torch warns about legacy formats: the one line below says enough
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights_only" in str(exc):
            raise CheckpointError(
                f"cannot read {path}: it holds Python objects besides tensors, which edgerep does not "
                "unpickle (they could run code); re-save it as a plain state dict or as safetensors"
            ) from None
        raise CheckpointError(f"cannot read {path}: corrupt or not a torch checkpoint ({one_line(exc, 200)})") from None
    except RecursionError:
        raise CheckpointError(f"cannot read {path}: its objects nest deeper than a checkpoint's") from None
    except Exception as exc:  # noqa: BLE001 - the weights_only unpickler ran no code; any failure is corruption
        raise CheckpointError(f"cannot read {path}: corrupt, truncated or not a torch checkpoint "
                              f"({type(exc).__name__}: {one_line(exc, 200)})") from None


def save_checkpoint(model: nn.Module, path: str | os.PathLike) -> Path:
    """Save ``model``'s state dict atomically (safetensors for ``.safetensors``, else torch.save)."""
    path = Path(path)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    origin = built_from(model)
    meta = {"edgerep_model": origin.name if origin else "", "fused": str(_is_fused(model))}
    with staged(path) as (tmp,):
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file

            save_file(state, str(tmp), metadata=meta)
        else:
            torch.save(state, tmp)
    return path


def _is_fused(model: nn.Module) -> bool:
    from .layers.base import Reparameterizable

    blocks = [m for m in model.modules() if isinstance(m, Reparameterizable)]
    return bool(blocks) and all(m.fused for m in blocks)


def _fit_shapes(sd: StateDict, target: Mapping[str, Tensor]) -> StateDict:
    """Reshape tensors that differ from the target only by singleton dims ((C,) vs (C, 1, 1))."""
    out = {}
    for k, v in sd.items():
        t = target.get(k)
        if t is not None and v.shape != t.shape and v.numel() == t.numel():
            if [d for d in v.shape if d != 1] == [d for d in t.shape if d != 1]:
                v = v.reshape(t.shape)
        out[k] = v
    return out


def _candidates(sd: StateDict, family: str | None) -> list[tuple[str, StateDict]]:
    out = [("edgerep", sd)]
    if family in _FAMILIES:
        for name, convert in _FAMILIES[family].layouts.items():
            try:
                out.append((name, convert(sd)))
            except (KeyError, ValueError, IndexError):  # clearly not this layout
                continue
    return out


def _load_strict(model: nn.Module, sd: StateDict, layout: str, name: str) -> None:
    target = model.state_dict()
    sd = _fit_shapes(sd, target)
    for k, v in sd.items():
        if v.shape != target[k].shape:
            raise CheckpointError(
                f"checkpoint {name} ({layout} layout) does not fit: {k} has shape {tuple(v.shape)}, "
                f"the model expects {tuple(target[k].shape)}"
                + (" (pass num_classes= to match the checkpoint's head)" if "head" in k or "fc" in k else "")
            )
    model.load_state_dict(sd, strict=True)


def load_checkpoint(model: nn.Module, source: Source) -> LoadResult:
    """Load weights into ``model``, detecting the checkpoint layout; strict, or a clear error.

    Accepts a path (safetensors, or a torch file read with ``weights_only=True``) or a state dict.
    Layouts: edgerep's own, and each family's registered foreign layouts (timm, official), both in
    training form and fused. A fused edgerep checkpoint loads into an ``inference_mode=True`` model.
    """
    name = "state dict" if isinstance(source, Mapping) else str(source)
    sd, dequantized = _read_state_dict(source)
    loaded = _load(model, sd, source, name)
    if dequantized:
        loaded.dequantized = dequantized
        loaded.notes.append(DEQUANTIZED_NOTE.format(n=dequantized))
    return loaded


def _load(model: nn.Module, sd: StateDict, source: Source, name: str) -> LoadResult:
    origin = built_from(model)  # the model's identity, resolved once for the whole load
    model_name = origin.name if origin else None
    family = origin.spec.family if origin else None
    target = model.state_dict()
    keys = set(target)
    candidates = _candidates(sd, family)
    for layout, conv in candidates:
        if set(conv) == keys:
            _load_strict(model, conv, layout, name)
            return _result(layout, _is_fused(model), source)

    fused_model = _is_fused(model)
    reference = _FAMILIES.get(family) if family else None
    if fused_model and reference and reference.reference_fused_types and model_name:
        scratch = _reference_fused_scratch(origin, reference)
        scratch_keys = set(scratch.state_dict())
        for layout, conv in candidates:
            if set(conv) == scratch_keys:
                _load_strict(scratch, conv, layout, name)
                from .reparam import reparameterize

                reparameterize(scratch, inplace=True)
                _load_strict(model, scratch.state_dict(), layout, name)
                return _result(layout, True, source, ["completed the fusion of a partially fused checkpoint"])

    if model_name:  # fused checkpoint into a training-form model, or the other way round
        other = _other_form_keys(origin, fused_model)
        for layout, conv in candidates:
            if set(conv) == other or (reference and _matches_reference(conv, model, origin, reference)):
                want = "inference_mode=False" if fused_model else "inference_mode=True"
                form = "training-form (unfused)" if fused_model else "fused"
                raise WrongFormError(
                    f"checkpoint {name} holds a {form} {model_name} ({layout} layout); "
                    f"build the model with {want} to load it", inference_mode=not fused_model,
                )
    best_layout, best = max(candidates, key=lambda c: len(set(c[1]) & keys))
    missing = sorted(keys - set(best))
    unexpected = sorted(set(best) - keys)
    raise CheckpointError(
        f"checkpoint {name} does not fit {model_name or type(model).__name__}: closest layout "
        f"'{best_layout}' matches {len(set(best) & keys)}/{len(keys)} keys; "
        f"first missing: {missing[0] if missing else '-'}; first unexpected: {unexpected[0] if unexpected else '-'}"
    )


def _result(layout: str, fused: bool, source: Source, notes: list[str] | None = None) -> LoadResult:
    path = None if isinstance(source, Mapping) else str(source)
    sha = file_sha256(path) if path else None
    return LoadResult(layout, fused, path or "state dict", sha, notes or [])


def _reference_fused_scratch(origin: BuiltFrom, ref: FamilyLayouts) -> nn.Module:
    scratch = origin.build(inference_mode=False)
    blocks = [m for m in scratch.modules() if isinstance(m, ref.reference_fused_types)]
    with torch.no_grad():
        for m in blocks:
            m.reparameterize()
    return scratch


def _other_form_keys(origin: BuiltFrom, fused_model: bool) -> set[str]:
    return set(origin.build(inference_mode=not fused_model, device="meta").state_dict())


def _matches_reference(conv: StateDict, model: nn.Module, origin: BuiltFrom, ref: FamilyLayouts) -> bool:
    if not ref.reference_fused_types or _is_fused(model):
        return False
    scratch = origin.build(inference_mode=False, device="meta")
    for m in [m for m in scratch.modules() if isinstance(m, ref.reference_fused_types)]:
        m.reparameterize()
    return set(conv) == set(scratch.state_dict())
