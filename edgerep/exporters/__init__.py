"""Exporting fused models to Core ML, TFLite and ONNX, verified against torch.

The layout follows the pipeline's architecture:

- :mod:`.pipeline`: the steps every target shares (plan, prepare, calibrate, convert through the
  target, audit and verify, write metadata, the console and the command line), the
  :class:`~.pipeline.targets.Target` interface with the registry of targets, and the export cache;
- one package per target, each holding its conversion, graph rewrites, int8 recipe and runtime:
  :mod:`.onnx`, :mod:`.tflite`, :mod:`.coreml`. A new target is one new package plus one row in
  :data:`.pipeline.targets.TARGETS`.

The exporters live in ``edgerep/exporters/`` (not ``export/``): a subpackage named ``export`` would
replace the ``edgerep.export`` function with a module as soon as it is imported.
"""

from .pipeline.options import ExportOptions
from .pipeline.precision import PRECISIONS, Precision
from .pipeline.run import ExportError, ExportResult, export
from .pipeline.targets import TARGETS, Target, get_target

__all__ = ["export", "ExportResult", "ExportError", "ExportOptions", "Precision", "PRECISIONS", "TARGETS",
           "Target", "get_target"]
