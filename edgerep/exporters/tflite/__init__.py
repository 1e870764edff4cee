"""The TFLite target: :mod:`.target` (:class:`~.target.TFLiteTarget`), :mod:`.convert` (litert-torch
conversion and quantization), :mod:`.rewrites` (float-file rewrites for XNNPACK), :mod:`.int8`
(the int8 recipe), :mod:`.flatbuffer` (reading and writing the file), :mod:`.runtime` (LiteRT)."""
