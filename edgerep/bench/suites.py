"""The benchmark suites: the new families against the baselines people would otherwise pick."""

from __future__ import annotations

# Suites: the new families against their baselines (the registry marks baselines).
SUITES: dict[str, tuple[str, ...]] = {
    "imagenet": ("fastvit_*", "repnext_*", "mobileone_*"),
    "face": ("facelivt*", "edgeface_*"),
}


def suite_models(suite: str) -> list[str]:
    """Every registered model of the suite's families, family by family, cheapest first."""
    from ..registry import get_spec, list_models

    if suite not in SUITES:
        raise ValueError(f"suite must be one of {', '.join(SUITES)}, got {suite!r}")
    names: list[str] = []
    for pattern in SUITES[suite]:
        found = [n for n in list_models(pattern) if n not in names]
        names.extend(sorted(found, key=lambda n: (get_spec(n).published.macs_fused or float("inf"), n)))
    return names
