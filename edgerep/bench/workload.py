"""What a runner measures: a model in its training (unfused) and inference (fused) forms.

Weights are random but seeded, so every runtime runs the same numbers (latency does not depend on
the values, but denormals or NaNs would). Both forms hold the same function: the fused form is the
reparameterized unfused model. Each round instantiates the model the way a deployment does: build
the layout, load the state dict.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ..counting import count_macs, count_params
from ..reparam import reparameterize
from .._io import file_sha256

FORMS = ("unfused", "fused")
SEED = 0


@dataclass
class Workload:
    """A model to benchmark.

    Args:
        name: label of the records (the registered name for registry models).
        build: ``build(inference_mode)`` returns a new model in the training layout (False) or the
            fused layout (True); weights are loaded afterwards.
        input_size: (C, H, W) the runners feed.
        identity: what identifies the weights, for the export cache.
        checkpoint: weights to load into the training form instead of the seeded random ones.
    """

    name: str
    build: Callable[[bool], nn.Module]
    input_size: tuple[int, int, int]
    family: str | None = None
    task: str | None = None
    baseline: bool = False
    identity: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | Path | None = None
    _counts: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_registry(cls, name: str, checkpoint: str | Path | None = None) -> Workload:
        from ..factory import create_model
        from ..registry import get_spec

        spec = get_spec(name)
        identity: dict[str, Any] = {"model": name, "weights": f"seed{SEED}"}
        if checkpoint is not None:
            identity["weights"] = "sha256:" + file_sha256(checkpoint)
        return cls(
            name=name,
            build=lambda inference_mode: create_model(name, inference_mode=inference_mode),
            input_size=tuple(spec.input_size),
            family=spec.family,
            task=spec.task,
            baseline=spec.baseline,
            identity=identity,
            checkpoint=checkpoint,
        )

    @functools.cached_property
    def _models(self) -> dict[str, nn.Module]:
        torch.manual_seed(SEED)
        unfused = self.build(False).eval()
        if self.checkpoint is not None:
            from ..checkpoints import WrongFormError, load_checkpoint

            try:
                load_checkpoint(unfused, self.checkpoint)
            except WrongFormError:  # a fused checkpoint (Apple's MobileOne): no training form to rebuild
                fused = self.build(True).eval()
                load_checkpoint(fused, self.checkpoint)
                return {"fused": reparameterize(fused, inplace=True)}
        return {"unfused": unfused, "fused": reparameterize(unfused)}

    def reference(self, form: str) -> nn.Module:
        """The model in ``form`` (shared: do not modify)."""
        if form not in self._models:
            raise ValueError(f"checkpoint {self.checkpoint} holds the fused {self.name}: its training form "
                             f"cannot be rebuilt from it, so only the fused form runs (not {form!r})")
        return self._models[form]

    @functools.cached_property
    def _states(self) -> dict[str, dict[str, torch.Tensor]]:
        return {form: m.state_dict() for form, m in self._models.items()}

    def instantiate(self, form: str) -> nn.Module:
        """A new model in ``form`` with the reference weights: what a deployment does at load time."""
        self.reference(form)  # a form the checkpoint cannot give is an error naming it
        model = self.build(form == "fused")
        model.load_state_dict(self._states[form], strict=True)
        return model.eval()

    def counts(self, form: str) -> tuple[int, int]:
        """(params, MACs) of ``form`` at ``input_size``."""
        if form not in self._counts:
            model = self.reference(form)
            self._counts[form] = (count_params(model), count_macs(model, self.input_size))
        return self._counts[form]

    def example(self, batch: int = 1) -> torch.Tensor:
        return torch.randn(batch, *self.input_size, generator=torch.Generator().manual_seed(SEED))

    def release(self) -> None:
        """Drop the reference models and states (the next use rebuilds them)."""
        for name in ("_models", "_states"):
            self.__dict__.pop(name, None)

