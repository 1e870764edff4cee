"""int8 preparation in torch, on the fused graph, before any converter sees it (issue 21).

edgerep owns the fused model, so it can do exactly what the runtimes' quantizers cannot:

1. **Weight rounding that sees the data** (GPTQ: Frantar et al., "GPTQ: Accurate Post-Training
   Quantization for Generative Pre-trained Transformers", ICLR 2023, the one-shot form of Optimal
   Brain Quantization). Fusing a MobileOne block folds its identity branch into the kernel's centre
   tap; that tap sets the per-channel int8 scale and rounding-to-nearest crushes the other taps
   (Apple's MobileOne-S0: top-1 agreement with fp32 89 %, weights alone). Each layer's weights are
   put on the very grid onnxruntime and ai-edge-quantizer use (symmetric, per output channel,
   ``scale = max|w| / 127``), one input column at a time, each rounding error compensated on the
   columns not yet rounded through the inverse of the layer's input second moment ``H = E[x xᵀ]``
   (measured on the calibration images). The element that sets a row's scale is never moved, so
   the converter's own quantizer finds the same scale and reproduces the weights exactly.
2. **Bias correction** (Nagel et al., ICCV 2019): the remaining mean output shift of the rounded
   weights, ``(W_q - W) E[x]``, is subtracted from the bias.
3. **Activation equalization across a ReLU** (the cross-layer equalization of Nagel et al., applied to
   activation ranges): where conv ``A`` feeds conv ``B`` through a ReLU alone, output channel ``i`` of
   ``A`` is divided by ``s_i`` and input channel ``i`` of ``B`` multiplied by it (exact:
   ``relu(x / s) = relu(x) / s`` for ``s > 0``). One per-tensor int8 scale then serves channels whose
   ranges differed by orders of magnitude. Into a depthwise ``B`` the scaling is free (each filter has
   its own int8 scale, so its int8 values do not change): ranges are equalized fully,
   ``s_i = r_i / max r``; into a dense ``B`` it widens the rows' weight ranges, so halfway,
   ``s_i = (r_i / max r) ** 0.5``. Found by tracing the model (torch.fx); a model that does not
   trace is not equalized.

Both are measured in benchmarks/RESULTS.md ("Issue 21"). Which layers: those the runtime recipe
computes in int8 (:func:`quantized_layers`): every conv and Linear of a conv network; only the
Linear layers of a network with LayerNorm (EdgeFace), whose residual stream stays float.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

QMAX = 127  # symmetric int8 weights, [-127, 127]: onnxruntime's and ai-edge-quantizer's grid
DAMP = 0.01  # GPTQ's dampening of H's diagonal (fraction of its mean), as in the paper
BATCH = 8
MAX_IMAGES = 64  # calibration images used for H (more add time, not accuracy: measured)
MAX_COLUMNS = 2304  # wider layers (dense 3x3 convs over > 256 channels) round to nearest: GPTQ's
# column loop costs rows x columns^2, minutes per layer for the largest suite models
EQUALIZE_DENSE = 0.5  # s_i = (r_i / max r) ** this, into a dense conv (item 3)
EQUALIZE_IMAGES = 32

RECIPES = ("conv", "linear")


def recipe(model: nn.Module) -> str:
    """Which int8 recipe suits ``model``: ``"linear"`` for networks with LayerNorm (transformer-style
    residual stream, whose outlier channels per-tensor int8 cannot hold: only the Linear layers go
    int8, their inputs being LayerNorm or GELU outputs), ``"conv"`` otherwise (static int8 throughout)."""
    return "linear" if any(isinstance(m, nn.LayerNorm) for m in model.modules()) else "conv"


def quantized_layers(model: nn.Module, which: str) -> list[str]:
    """Names of the layers the ``which`` recipe computes in int8 (the ones whose weights are rounded)."""
    out = []
    for name, m in model.named_modules():
        if which == "linear" and isinstance(m, nn.Linear):
            out.append(name)
        elif which == "conv" and isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.dim() in (2, 4):
            out.append(name)
    return out


@dataclass
class Rounding:
    """What :func:`round_weights` did."""

    layers: int
    images: int
    bias_corrected: bool
    equalized: int = 0  # conv pairs whose activations were equalized across a ReLU

    def note(self) -> str:
        eq = f"activations equalized across {self.equalized} ReLU(s); " if self.equalized else ""
        return (eq + f"weights of {self.layers} layer(s) rounded onto the int8 grid by GPTQ on {self.images} "
                "calibration images" + (", with bias correction" if self.bias_corrected else ""))


class _Moments:
    """Running ``sum x xᵀ`` and ``sum x`` of a layer's input columns, per group."""

    def __init__(self) -> None:
        self.h: torch.Tensor | None = None
        self.s: torch.Tensor | None = None
        self.n = 0

    def add(self, cols: torch.Tensor) -> None:
        cols = cols.double()
        h, s = cols.transpose(1, 2) @ cols, cols.sum(1)
        self.h = h if self.h is None else self.h + h
        self.s = s if self.s is None else self.s + s
        self.n += cols.shape[1]


def _columns(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The layer's input as rows of its weight's columns: (groups, samples, columns per group)."""
    if isinstance(m, nn.Linear):
        return x.reshape(1, -1, x.shape[-1])
    u = F.unfold(x, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride)
    n, ckk, length = u.shape
    g = m.groups
    return u.view(n, g, ckk // g, length).permute(1, 0, 3, 2).reshape(g, n * length, ckk // g)


def _moments(model: nn.Module, layers: list[str], inputs: Iterable[torch.Tensor]) -> dict[str, _Moments]:
    mods = dict(model.named_modules())
    stats = {n: _Moments() for n in layers}
    hooks = [mods[n].register_forward_pre_hook(lambda m, a, n=n: stats[n].add(_columns(m, a[0].detach())))
             for n in layers]
    try:
        with torch.no_grad():
            for x in inputs:
                model(x)
    finally:
        for h in hooks:
            h.remove()
    return stats


def row_scales(w: torch.Tensor) -> torch.Tensor:
    """Per-output-channel symmetric int8 scales of a (rows, columns) weight, as the converters pick them."""
    s = w.abs().amax(1) / QMAX
    return torch.where(s > 0, s, torch.ones_like(s))


def round_nearest(w: torch.Tensor) -> torch.Tensor:
    """``w`` (any layer weight, output channels first) rounded to nearest on the per-channel int8 grid."""
    flat = w.reshape(w.shape[0], -1)
    s = row_scales(flat)[:, None]
    return (torch.clamp(torch.round(flat / s), -QMAX, QMAX) * s).reshape(w.shape)


def _gptq(w: torch.Tensor, h: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """GPTQ of the rows of ``w`` (R, C) with input moments ``h`` ((C, C) shared, or (R, C, C)) onto
    the grid ``s`` (R,); the element setting each row's scale stays where it is."""
    w = w.double().clone()
    rows, cols = w.shape
    s = s.double()
    h = h.double().clone()
    if h.dim() == 2:
        h = h[None]
    idx = torch.arange(cols)
    diag = torch.diagonal(h, dim1=1, dim2=2)
    dead = diag == 0
    h[:, idx, idx] += DAMP * diag.mean(1, keepdim=True) + 1e-12
    bi, ci = dead.nonzero(as_tuple=True)
    h[bi, ci, ci] = 1.0  # an input column that is always zero: any value of its weight is exact
    u = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    keep = w.abs().argmax(1)
    q = torch.zeros_like(w)
    for j in range(cols):
        col = w[:, j]
        qc = torch.clamp(torch.round(col / s), -QMAX, QMAX) * s
        q[:, j] = qc
        err = (col - qc) / u[:, j, j]
        update = err[:, None] * u[:, j, j + 1:]
        later = torch.nonzero(keep > j).flatten()
        if len(later):
            update[later, keep[later] - j - 1] = 0
        w[:, j + 1:] -= update
    return q


def round_weights(model: nn.Module, inputs: torch.Tensor, layers: list[str], *,
                  bias_correction: bool = True, equalization: bool = True) -> tuple[nn.Module, Rounding]:
    """A copy of ``model``, its activations equalized across ReLUs (item 3), whose ``layers`` hold
    GPTQ-rounded int8-grid weights (items 1, 2), from the calibration ``inputs`` (what the model
    takes, N first)."""
    model, equalized = equalize(model, inputs) if equalization else (copy.deepcopy(model).eval(), 0)
    x = inputs[:MAX_IMAGES]
    stats = _moments(model, layers, [x[i:i + BATCH] for i in range(0, len(x), BATCH)])
    mods = dict(model.named_modules())
    for name in layers:
        m, st = mods[name], stats[name]
        if st.h is None:  # never ran (a branch the input does not reach)
            continue
        w = m.weight.data
        rows = w.shape[0]
        flat = w.reshape(rows, -1).double()
        s = row_scales(flat)
        groups = st.h.shape[0]
        per = rows // groups
        if st.h.shape[-1] > MAX_COLUMNS:
            q = round_nearest(flat)
        elif groups == 1:
            q = _gptq(flat, st.h[0], s)
        else:
            q = torch.cat([_gptq(flat[g * per:(g + 1) * per], st.h[g], s[g * per:(g + 1) * per])
                           for g in range(groups)]) if st.h.shape[-1] > 32 else \
                _gptq(flat, st.h.repeat_interleave(per, 0), s)
        if bias_correction:
            mean = st.s / st.n  # (groups, columns)
            shift = ((q - flat) * mean.repeat_interleave(per, 0)).sum(1)
            if m.bias is None:
                m.bias = nn.Parameter(torch.zeros(rows, dtype=w.dtype))
            m.bias.data -= shift.to(w.dtype)
        m.weight.data = q.to(w.dtype).reshape(w.shape)
    return model, Rounding(len(layers), len(x), bias_correction, equalized)


def relu_chains(model: nn.Module) -> list[tuple[str, str]]:
    """(A, B) conv pairs where A's output reaches B through one ReLU and nothing else (identities
    aside): the pairs :func:`equalize` may rescale. Empty when the model does not trace."""

    try:
        graph = fx.symbolic_trace(model).graph
    except Exception:  # data-dependent control flow: no equalization
        return []
    mods = dict(model.named_modules())

    def module(node: fx.Node) -> nn.Module | None:
        return mods.get(node.target) if node.op == "call_module" else None

    def next_op(node: fx.Node) -> fx.Node | None:
        while len(node.users) == 1:
            user = next(iter(node.users))
            if isinstance(module(user), nn.Identity):
                node = user
                continue
            return user
        return None

    def is_relu(node: fx.Node) -> bool:
        return isinstance(module(node), nn.ReLU) or (
            node.op == "call_function" and node.target in (torch.relu, F.relu))

    pairs = []
    for node in graph.nodes:
        a = module(node)
        if type(a) is not nn.Conv2d or a.bias is None:
            continue
        act = next_op(node)
        if act is None or not is_relu(act):
            continue
        user = next_op(act)
        b = module(user) if user is not None else None
        if type(b) is nn.Conv2d and b.in_channels == a.out_channels:
            pairs.append((node.target, user.target))
    return pairs


def equalize(model: nn.Module, inputs: torch.Tensor) -> tuple[nn.Module, int]:
    """A copy of ``model`` with the activations between its :func:`relu_chains` equalized (module
    doc, item 3), from the per-channel maxima over ``inputs``; and how many pairs were."""
    model = copy.deepcopy(model).eval()
    pairs = relu_chains(model)
    if not pairs:
        return model, 0
    mods = dict(model.named_modules())
    peaks: dict[str, torch.Tensor] = {}

    def record(name: str):
        def hook(m: nn.Module, a: tuple, out: torch.Tensor) -> None:
            v = out.detach().clamp(min=0).amax((0, 2, 3))
            peaks[name] = torch.maximum(peaks[name], v) if name in peaks else v
        return hook

    hooks = [mods[a].register_forward_hook(record(a)) for a, _ in pairs]
    try:
        with torch.no_grad():
            x = inputs[:EQUALIZE_IMAGES]
            for i in range(0, len(x), BATCH):
                model(x[i:i + BATCH])
    finally:
        for h in hooks:
            h.remove()
    for a_name, b_name in pairs:
        a, b = mods[a_name], mods[b_name]
        r = peaks[a_name]
        if float(r.max()) <= 0:
            continue
        ratio = (r / r.max()).clamp(min=1e-3)  # channels that never fire stay near their scale
        depthwise = b.groups == b.in_channels and b.groups > 1
        s = ratio if depthwise else ratio ** EQUALIZE_DENSE
        a.weight.data /= s.view(-1, 1, 1, 1)
        a.bias.data /= s
        b.weight.data *= s.view(-1, 1, 1, 1) if depthwise else s.view(1, -1, 1, 1)
    return model, len(pairs)


def per_layer_drift(model: nn.Module, inputs: torch.Tensor, layers: list[str],
                    score: Callable[[torch.Tensor], float]) -> list[tuple[str, float]]:
    """One layer at a time with round-to-nearest int8 weights and per-tensor 8-bit input
    (min/max over ``inputs``), the rest float: ``score(outputs)`` per layer, worst (lowest) first.
    The export names the first when its int8 check fails."""
    mods = dict(model.named_modules())
    ranges: dict[str, tuple[float, float]] = {}

    def record(name: str):
        def hook(m: nn.Module, a: tuple) -> None:
            lo, hi = float(a[0].min()), float(a[0].max())
            old = ranges.get(name, (lo, hi))
            ranges[name] = (min(old[0], lo, 0.0), max(old[1], hi, 0.0))
        return hook

    hooks = [mods[n].register_forward_pre_hook(record(n)) for n in layers]
    with torch.no_grad():
        model(inputs)
    for h in hooks:
        h.remove()
    out = []
    for name in layers:
        m = mods[name]
        lo, hi = ranges.get(name, (0.0, 0.0))
        step = (hi - lo) / 255 or 1.0

        def quant_input(mod: nn.Module, a: tuple, lo: float = lo, step: float = step) -> tuple:
            return (torch.clamp(torch.round((a[0] - lo) / step), 0, 255) * step + lo,)

        saved = m.weight.data
        m.weight.data = round_nearest(saved)
        hook = m.register_forward_pre_hook(quant_input)
        try:
            with torch.no_grad():
                out.append((name, float(score(model(inputs)))))
        finally:
            hook.remove()
            m.weight.data = saved
    return sorted(out, key=lambda t: t[1])
