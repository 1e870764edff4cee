"""reparameterize(model) and fusion_report(model): for edgerep models and users' own networks."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from .layers.base import LayerScale, Reparameterizable, reparameterize_tree, conv_like, linear_like
from .layers.fusion import fuse_conv_bn

_BatchNorm = nn.modules.batchnorm._BatchNorm


def reparameterize(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Return the fused, eval-mode form of ``model`` (a deep copy unless ``inplace``).

    Fuses every edgerep block (children first), then plain Conv->BatchNorm pairs anywhere else: pairs
    inside an ``nn.Sequential``, and pairs found by tracing the model with torch.fx (as in a
    torchvision-style network where ``bn1(conv1(x))`` are attributes). Running statistics are used
    whatever mode the model is in. Calling it on a fused model changes nothing.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"reparameterize expects an nn.Module, got {type(model).__name__}")
    if not inplace:
        model = copy.deepcopy(model)
    with torch.no_grad():
        reparameterize_tree(model)
        _fuse_sequential_pairs(model)
        if _remaining_batchnorms(model):
            _fuse_traced_pairs(model)
    return model.eval()


def _is_conv_bn_pair(conv: nn.Module, bn: nn.Module) -> bool:
    return (
        isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
        and conv.out_channels == bn.num_features and bn.running_mean is not None
    ) or (
        isinstance(conv, nn.Linear) and isinstance(bn, nn.BatchNorm1d)
        and conv.out_features == bn.num_features and bn.running_mean is not None
    )


def _fused_pair(conv: nn.Module, bn: _BatchNorm) -> nn.Module:
    w, b = fuse_conv_bn(conv.weight, conv.bias, bn)
    return conv_like(conv, w, b) if isinstance(conv, nn.Conv2d) else linear_like(w, b)


def _fuse_sequential_pairs(model: nn.Module) -> None:
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        keys = list(seq._modules)
        for a, b in zip(keys, keys[1:]):
            if _is_conv_bn_pair(seq._modules[a], seq._modules[b]):
                seq._modules[a] = _fused_pair(seq._modules[a], seq._modules[b])
                seq._modules[b] = nn.Identity()


def _fuse_traced_pairs(model: nn.Module) -> None:
    """Fuse conv->BN pairs in the traced graph where the conv feeds only that BN."""
    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception:  # untraceable (data-dependent control flow): fusion_report names what is left
        return
    calls: dict[str, int] = {}
    for node in graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    for node in graph.nodes:
        if node.op != "call_module" or len(node.args) != 1:
            continue
        src = node.args[0]
        if not isinstance(src, torch.fx.Node) or src.op != "call_module" or len(src.users) != 1:
            continue
        if calls[node.target] != 1 or calls[src.target] != 1:
            continue
        conv, bn = model.get_submodule(src.target), model.get_submodule(node.target)
        if _is_conv_bn_pair(conv, bn):
            model.set_submodule(src.target, _fused_pair(conv, bn))
            model.set_submodule(node.target, nn.Identity())


def _remaining_batchnorms(model: nn.Module) -> list[str]:
    return [n for n, m in model.named_modules() if isinstance(m, _BatchNorm)]


@dataclass
class FusionEntry:
    module: str
    kind: str
    status: str  # "fused", "unfused", "kept"
    reason: str = ""


@dataclass
class FusionReport:
    """What is fused in a model, what is left unfused, and why."""

    entries: list[FusionEntry] = field(default_factory=list)

    @property
    def batchnorms(self) -> list[str]:
        return [e.module for e in self.entries if e.kind.startswith("BatchNorm")]

    @property
    def layer_scales(self) -> list[str]:
        return [e.module for e in self.entries if e.kind == "LayerScale"]

    @property
    def unfused_blocks(self) -> list[str]:
        return [e.module for e in self.entries if e.status == "unfused" and e.kind not in
                ("LayerScale",) and not e.kind.startswith("BatchNorm")]

    @property
    def complete(self) -> bool:
        """True when no BatchNorm, no separate layer scale and no unfused block remains."""
        return not any(e.status == "unfused" for e in self.entries)

    def to_dict(self) -> dict:
        return {
            "complete": self.complete,
            "fused_blocks": sum(e.status == "fused" for e in self.entries),
            "batchnorms": len(self.batchnorms),
            "layer_scales": len(self.layer_scales),
            "entries": [e.__dict__ for e in self.entries if e.status != "fused"],
        }

    def __str__(self) -> str:
        fused = sum(e.status == "fused" for e in self.entries)
        lines = [
            f"fused blocks: {fused}; BatchNorm left: {len(self.batchnorms)}; "
            f"layer scales left: {len(self.layer_scales)}; complete: {'yes' if self.complete else 'no'}"
        ]
        for e in self.entries:
            if e.status != "fused":
                lines.append(f"  {e.status:8s} {e.kind:22s} {e.module}" + (f"  ({e.reason})" if e.reason else ""))
        return "\n".join(lines)


def fusion_report(model: nn.Module) -> FusionReport:
    """Describe the fusion state of ``model``.

    Lists every edgerep block as fused or unfused, every deliberate choice a fused block made (status
    "kept", e.g. a serial kernel pair left as two convs because one large kernel costs more MACs), and
    every BatchNorm or LayerScale still present (status "unfused") with the reason it was not folded.
    """
    report = FusionReport()
    inside_unfused: set[str] = set()

    def inside(name: str) -> bool:  # below a block already reported as unfused
        return any(p == "" or name.startswith(p + ".") for p in inside_unfused)

    for name, m in model.named_modules():
        if isinstance(m, Reparameterizable):
            if inside(name):
                continue
            kind = type(m).__name__
            if m.fused:
                report.entries.append(FusionEntry(name, kind, "fused"))
                report.entries.extend(FusionEntry(name, kind, "kept", note) for note in m.fusion_notes())
            else:
                inside_unfused.add(name)
                report.entries.append(FusionEntry(name, kind, "unfused", "not reparameterized yet"))
        elif inside(name):
            continue
        elif isinstance(m, _BatchNorm):
            report.entries.append(FusionEntry(
                name, type(m).__name__, "unfused",
                "no conv or Linear feeds it alone (fusion would change the function)",
            ))
        elif isinstance(m, LayerScale):
            report.entries.append(FusionEntry(name, "LayerScale", "unfused", "its block does not fold it"))
    return report
