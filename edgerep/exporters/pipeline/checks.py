"""What the graph audit and the numeric verification of an artifact found: the records that travel
from :mod:`.verify` into :class:`~.run.ExportResult`, the console and the artifact's metadata.

Light (standard library only): the pipeline's planning and the CLI import it without torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Verification:
    """What the numeric check (or, without a runtime, the structure check) found. Its JSON form
    (:meth:`to_json`, in the sidecar and the artifact's metadata) holds the fields that apply, in
    this order; ``passed`` always (None: not verified)."""

    passed: bool | None
    runtime: str  # the runtime that ran the artifact, "structure-only" or "skipped"
    criterion: str | None = None  # the pass bound as text
    n_samples: int | None = None
    reason: str | None = None  # why it failed (non-finite), or was checked otherwise / skipped
    non_finite: dict[str, Any] | None = None  # the side, count, size and first position of NaN/Inf
    rel_error: float | None = None  # worst per-sample relative L2 error
    cosine: float | None = None  # worst per-sample cosine
    max_abs_error: float | None = None
    int8: dict[str, float] | None = None  # int8: drift from fp32 on real images (int8_metrics)
    missed: list[str] | None = None  # int8: the bounds it missed
    domain: str | None = None  # int8: the images it was judged on
    worst_layers: list[dict[str, Any]] | None = None  # int8 failures: the layers that cost most alone
    checks: list[str] | None = None  # structure-only: what was checked
    problems: list[str] | None = None  # structure-only: what was wrong
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name == "passed" or getattr(self, f.name) is not None}


@dataclass
class Audit:
    """The exported graph's audit: nodes, BatchNorm and Dropout left (none may be), constant ops left,
    and the ATen ops one forward pass of the fused and the unfused model executes."""

    nodes: int
    batchnorm: int
    dropout: int
    passed: bool
    constant_ops: int = 0
    torch_ops_fused: int | None = None
    torch_ops_unfused: int | None = None
    torch_batchnorm_unfused: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
