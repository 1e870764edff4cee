"""The ONNX target: :mod:`.target` (conversion and the :class:`~.target.OnnxTarget`), :mod:`.fold`
(constant folding), :mod:`.int8` (static QDQ recipe), :mod:`.runtime` (onnxruntime sessions)."""
