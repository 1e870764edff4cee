"""Exporting fused models to Core ML, TFLite and ONNX, verified against torch.

The pipeline is :mod:`.pipeline` (``edgerep.export``); each target is one module (onnx.py,
coreml.py, tflite.py) implementing :class:`.targets.Target`, registered in :data:`.targets.TARGETS`.
The exporters live in ``edgerep/exporters/`` (not ``export/``): a subpackage named ``export`` would
replace the ``edgerep.export`` function with a module as soon as it is imported.
"""

from .options import PRECISIONS, ExportOptions
from .pipeline import ExportError, ExportResult, export
from .targets import TARGETS, Target, get_target

__all__ = ["export", "ExportResult", "ExportError", "ExportOptions", "PRECISIONS", "TARGETS", "Target",
           "get_target"]
