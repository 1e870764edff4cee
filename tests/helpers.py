"""Test helpers shared by the suite, one per concept: randomized statistics, relative error, the CLI
in-process, one model per family from the registry."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

_BatchNorm = nn.modules.batchnorm._BatchNorm


def randomize(model: nn.Module, seed: int = 0, *, weights: bool = False, batchnorm_only: bool = False) -> nn.Module:
    """Give every statistic and every constant-initialized parameter random values.

    BatchNorm at mean 0 / var 1 and layer scales at 1e-5 hide fusion bugs (a wrong fold changes the
    output by almost nothing), so running statistics and every parameter whose entries are all
    equal at init (BN affine, layer scales, attention affines) are drawn at random. With
    ``weights=True`` every parameter is drawn first: per-channel vectors (norm affines, layer scales,
    biases) from U(0.5, 1.5), weight tensors from N(0, 1 / fan-in), so a block's default init (or a
    reference model's) cannot hide a branch either. With ``batchnorm_only=True`` only BatchNorm
    statistics and affines are drawn (mean N(0, 0.5), var U(0.5, 1.5), weight U(0.5, 1.5), bias
    N(0, 0.2)), leaving layer scales at their init: what the int8 tests calibrate against (int8 with
    every layer scale drawn is an open drift problem, benchmarks/RESULTS.md "Issue 15").
    """
    g = torch.Generator().manual_seed(seed)
    if batchnorm_only:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    n = m.num_features
                    m.running_mean.copy_(torch.randn(n, generator=g) * 0.5)
                    m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                    m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(n, generator=g) * 0.2)
        return model.eval()
    with torch.no_grad():
        if weights:
            for p in model.parameters():
                if p.numel() == p.shape[0]:
                    p.copy_(torch.rand(p.shape, generator=g) + 0.5)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
        for m in model.modules():
            if isinstance(m, _BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 2 - 1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5)
        for p in model.parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
    return model


def rel_err(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """``||a - b|| / ||b||`` over all elements, in float64 (tensors or arrays)."""
    a, b = (np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64) for x in (a, b))
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``edgerep ARGV`` in this process: (exit status, stdout, stderr)."""
    from edgerep.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, status: int = 2) -> str:
    """The single ``edgerep: error:`` line a user error prints (asserting there is exactly one)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == status, err
    assert len(lines) == 1 and lines[0].startswith("edgerep: error: "), err
    return lines[0]


def files_in(directory) -> list[str]:
    """Every file and folder under ``directory`` (hidden ones included), relative, sorted."""
    from pathlib import Path

    root = Path(directory)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def smallest_per_family() -> list[str]:
    """The registered model with the fewest fused MACs in each family (and generation), sorted.

    Read from the registry, so a new family is covered by being registered. FaceLiVT v1 and v2 are
    one family with different blocks (MHLA vs Lite MHLA, GDConv head): a name's series (its first
    ``_`` part: ``facelivt``, ``facelivtv2``) splits a family into its generations. Models without a
    published figure come last (counted by ``edgerep.model_info`` only if none in a series has one).
    """
    import edgerep
    from edgerep.registry import get_spec

    series: dict[tuple[str, str], list[str]] = {}
    for name in edgerep.list_models():
        series.setdefault((get_spec(name).family, name.split("_")[0]), []).append(name)

    def smallest(names: list[str]) -> str:
        published = [n for n in names if get_spec(n).published.macs_fused is not None]
        if published:
            return min(published, key=lambda n: get_spec(n).published.macs_fused)
        return min(names, key=lambda n: edgerep.model_info(n)["macs_fused"])

    return sorted(smallest(names) for names in series.values())
