"""Test helpers shared by the suite, one per concept: randomized statistics, relative error, the CLI
in-process, one model per family from the registry."""

from __future__ import annotations

import numpy as np
import torch

from tools.randomize import randomize  # noqa: F401  (benchmarks use it too, so it lives in tools/)


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
