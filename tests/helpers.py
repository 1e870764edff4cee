"""Test helpers shared by the suite: randomized statistics and relative error."""

from __future__ import annotations

import torch
from torch import nn

_BatchNorm = nn.modules.batchnorm._BatchNorm


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every statistic and every constant-initialized parameter random values.

    BatchNorm at mean 0 / var 1 and layer scales at 1e-5 hide fusion bugs (a wrong fold changes the
    output by almost nothing), so running statistics and every parameter whose entries are all
    equal at init (BN affine, layer scales, attention affines) are drawn at random.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 2 - 1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5)
        for p in model.parameters():
            if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
    return model


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).norm() / b.norm())


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
