"""Where MobileOne-S0's int8 error comes from, in torch (issue 21): fake quantization of the fused model.

    PYTHONPATH=$PWD python benchmarks/int8_activation_sim.py                  # every variant
    PYTHONPATH=$PWD python benchmarks/int8_activation_sim.py --variants current,dynamic

The fused, trained MobileOne-S0 (Apple's weights from ``../shared/testdata`` or ``$EDGEREP_TESTDATA``)
with the export's torch preparation (activation equalization, GPTQ rounding, bias correction:
:func:`edgerep.exporters.pipeline.int8_torch.round_weights`) on 160 of the even-numbered photos, and
every conv's input quantized per tensor to uint8 as onnxruntime's recipe does (ranges: the 99.99th
percentile, from 128 calibration photos; the RGB stem float, as on onnxruntime). Scored against the
fp32 model on the 500 odd-numbered photos, as benchmarks/int8_trained.py scores the real exports.
The simulation tracks onnxruntime (RESULTS.md "Issue 21": median cosine 0.9905 here, 0.9883 there).

Variants:
- ``weights``: int8 weights only, float activations (the floor of the weight rounding);
- ``current``: weights and 8-bit activations, the export's recipe;
- ``dynamic``: activations quantized per image (each tensor's own min/max at run time, as
  dynamic-range kernels do) instead of calibrated ranges;
- ``float-inputs``: ``current`` with one layer's input left float, for the first ``--layers``
  layers (what a float island at each could win);
- ``gptaq``: weights solved against the quantized model, layer by layer: ``W'`` minimizing
  ``|W X - W' X_q|`` (``X`` the float model's input of the layer, ``X_q`` the quantized model's),
  ridge-regularized towards ``W``, then GPTQ-rounded on ``X_q``'s moments and bias-corrected.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.int8_trained import MODELS, metrics, photos, testdata  # noqa: E402
from edgerep.exporters.pipeline import int8_torch as Q  # noqa: E402
from edgerep.exporters.pipeline.prepare import normalize, prepare  # noqa: E402
from edgerep.exporters.pipeline.run import identify  # noqa: E402

PERCENTILE = 0.9999
STEM = "stem.reparam_conv"  # float on onnxruntime (a 3-channel conv: its int8 kernel is slower)
RIDGE = 0.05  # gptaq: the ridge towards W, as a fraction of the mean of H's diagonal
VARIANTS = ("weights", "current", "dynamic", "float-inputs", "gptaq")


class _Stop(Exception):
    pass


class Sim:
    def __init__(self) -> None:
        root = testdata()
        name = "mobileone_s0"
        self.prep = prepare(name, identify(name, None, False, False), str(root / MODELS[name]))
        files = sorted((root / "images" / "imagenet-sample").glob("*.JPEG"))
        wnids = sorted(f.name.split("_")[0] for f in files)
        self.cal = normalize(self.prep, photos(files[0::2][:160], self.prep))
        evaluation = files[1::2]
        self.ev = normalize(self.prep, photos(evaluation, self.prep))
        self.labels = np.array([wnids.index(f.name.split("_")[0]) for f in evaluation])
        self.fused = self.prep.fused.eval()
        self.layers = Q.quantized_layers(self.fused, "conv")
        self.ref = self.forward(self.fused)
        self.rounded, _ = Q.round_weights(self.fused, self.cal, self.layers)
        self.ranges = self.percentile_ranges(self.rounded, self.cal[:128])

    def forward(self, model: nn.Module) -> np.ndarray:
        with torch.no_grad():
            return torch.cat([model(self.ev[i:i + 50]) for i in range(0, len(self.ev), 50)]).numpy()

    def percentile_ranges(self, model: nn.Module, x: torch.Tensor) -> dict[str, tuple[float, float]]:
        mods, seen = dict(model.named_modules()), {}

        def record(name: str):
            def hook(m: nn.Module, a: tuple) -> None:
                v = a[0].detach().flatten()
                v = v[torch.randint(0, v.numel(), (min(v.numel(), 2_000_000),))]
                lo, hi = float(torch.quantile(v, 1 - PERCENTILE)), float(torch.quantile(v, PERCENTILE))
                seen.setdefault(name, []).append((min(0.0, lo), hi))
            return hook

        hooks = [mods[n].register_forward_pre_hook(record(n)) for n in self.layers]
        with torch.no_grad():
            for i in range(0, len(x), 16):
                model(x[i:i + 16])
        for h in hooks:
            h.remove()
        return {n: (min(a for a, _ in v), float(np.mean([b for _, b in v]))) for n, v in seen.items()}

    def quantize_inputs(self, model: nn.Module, skip: tuple[str, ...] = (), dynamic: bool = False) -> list:
        mods, hooks = dict(model.named_modules()), []
        for n in self.layers:
            if n == STEM or n in skip:
                continue
            if dynamic:
                def hook(m: nn.Module, a: tuple) -> tuple:
                    x = a[0]
                    dims = tuple(range(1, x.dim()))
                    lo, hi = x.amin(dims, keepdim=True).clamp(max=0), x.amax(dims, keepdim=True).clamp(min=0)
                    step = ((hi - lo) / 255).clamp(min=1e-12)
                    zp = torch.round(-lo / step)
                    return ((torch.clamp(torch.round(x / step) + zp, 0, 255) - zp) * step,)
            else:
                lo, hi = self.ranges[n]
                step = (hi - lo) / 255 or 1.0

                def hook(m: nn.Module, a: tuple, lo: float = lo, step: float = step) -> tuple:
                    zp = round(-lo / step)
                    return ((torch.clamp(torch.round(a[0] / step) + zp, 0, 255) - zp) * step,)
            hooks.append(mods[n].register_forward_pre_hook(hook))
        return hooks

    def score(self, model: nn.Module, **quant) -> dict:
        hooks = self.quantize_inputs(model, **quant) if quant.pop("activations", True) else []
        try:
            out = self.forward(model)
        finally:
            for h in hooks:
                h.remove()
        return metrics("classification", self.ref, out, self.labels)

    def _input(self, model: nn.Module, name: str, x: torch.Tensor) -> torch.Tensor:
        got = []

        def hook(m: nn.Module, a: tuple) -> None:
            got.append(Q._columns(m, a[0].detach()).double())
            raise _Stop

        h = dict(model.named_modules())[name].register_forward_pre_hook(hook)
        try:
            with torch.no_grad():
                model(x)
        except _Stop:
            pass
        finally:
            h.remove()
        return got[0]

    def gptaq(self, images: int = 64) -> nn.Module:
        float_model, _ = Q.equalize(self.fused, self.cal)
        model = copy.deepcopy(float_model)
        hooks = self.quantize_inputs(model)
        floats, mods = dict(float_model.named_modules()), dict(model.named_modules())
        x = self.cal[:images]
        for name in self.layers:
            h = c = sq = sf = None
            n = 0
            for i in range(0, len(x), 8):
                xf = self._input(float_model, name, x[i:i + 8])
                xq = xf if name == STEM else self._input(model, name, x[i:i + 8])
                h = xq.transpose(1, 2) @ xq + (0 if h is None else h)
                c = xf.transpose(1, 2) @ xq + (0 if c is None else c)
                sq = xq.sum(1) + (0 if sq is None else sq)
                sf = xf.sum(1) + (0 if sf is None else sf)
                n += xq.shape[1]
            w = floats[name].weight.data
            rows = w.shape[0]
            flat = w.reshape(rows, -1).double()
            groups, cols = h.shape[0], h.shape[-1]
            per = rows // groups
            ridge = RIDGE * torch.diagonal(h, dim1=1, dim2=2).mean(1)[:, None, None]
            eye = torch.eye(cols, dtype=h.dtype)[None]
            wg = flat.view(groups, per, cols)
            solved = ((wg @ c + ridge * wg) @ torch.linalg.inv(h + ridge * eye + 1e-9 * eye)).reshape(rows, cols)
            s = Q.row_scales(solved)
            if cols > Q.MAX_COLUMNS:
                q = Q.round_nearest(solved)
            elif groups == 1:
                q = Q._gptq(solved, h[0], s)
            elif cols > 32:
                q = torch.cat([Q._gptq(solved[g * per:(g + 1) * per], h[g], s[g * per:(g + 1) * per])
                               for g in range(groups)])
            else:
                q = Q._gptq(solved, h.repeat_interleave(per, 0), s)
            shift = (flat * (sf / n).repeat_interleave(per, 0)).sum(1) - (q * (sq / n).repeat_interleave(per, 0)).sum(1)
            bias = floats[name].bias
            base = bias.data.double() if bias is not None else torch.zeros(rows, dtype=torch.float64)
            if mods[name].bias is None:
                mods[name].bias = nn.Parameter(torch.zeros(rows))
            mods[name].bias.data = (base + shift).float()
            mods[name].weight.data = q.float().reshape(w.shape)
        for hk in hooks:
            hk.remove()
        return model


def show(tag: str, m: dict) -> None:
    print(f"| {tag} | {m['top1']:.1%} ({m['top1_fp32']:.1%}) | {m['agreement']:.1%} | "
          f"{m['cos_median']:.4f} / {m['cos_mean']:.4f} / {m['cos_min']:.4f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--layers", type=int, default=7, help="float-inputs: how many layers to try, in order")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sim = Sim()
    print("| variant | top-1 (fp32) | top-1 agreement | cosine median / mean / min |\n|---|---|---|---|")
    for variant in args.variants.split(","):
        if variant == "weights":
            show("int8 weights only", sim.score(sim.rounded, activations=False))
        elif variant == "current":
            show("weights + 8-bit activations (the export's recipe)", sim.score(sim.rounded))
        elif variant == "dynamic":
            show("activations quantized per image", sim.score(sim.rounded, dynamic=True))
        elif variant == "float-inputs":
            for name in sim.layers[1:1 + args.layers]:
                show(f"{name}'s input float", sim.score(sim.rounded, skip=(name,)))
        elif variant == "gptaq":
            show("weights solved against the quantized model (ridge), then GPTQ", sim.score(sim.gptaq()))
        else:
            raise SystemExit(f"unknown variant {variant!r} (allowed: {', '.join(VARIANTS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
