"""edgerep: re-parameterizable mobile vision models, fused exactly and exported to the phone.

The public API is imported lazily so that ``import edgerep`` (and ``edgerep --help``) stays light:
torch loads on first use, and the optional exporters (coremltools, litert-torch, onnxruntime) and
matplotlib only inside the functions that need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

_API = {
    "create_model": "edgerep.factory",
    "model_info": "edgerep.factory",
    "list_models": "edgerep.registry",
    "reparameterize": "edgerep.reparam",
    "fusion_report": "edgerep.reparam",
    "load_checkpoint": "edgerep.checkpoints",
    "save_checkpoint": "edgerep.checkpoints",
    "CheckpointError": "edgerep.checkpoints",
    "count_macs": "edgerep.counting",
    "count_params": "edgerep.counting",
    # The exporters live in edgerep/exporters/ (not export/): a subpackage named ``export`` would
    # replace the ``edgerep.export`` function with a module as soon as it is imported.
    "export": "edgerep.exporters",
    "ExportResult": "edgerep.exporters",
    "benchmark": "edgerep.bench",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # pragma: no cover
    from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint
    from .counting import count_macs, count_params
    from .factory import create_model, model_info
    from .registry import list_models
    from .reparam import fusion_report, reparameterize


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'edgerep' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
