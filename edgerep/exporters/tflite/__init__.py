"""The TFLite target: :mod:`.target` (litert-torch conversion, quantization and
:class:`~.target.TFLiteTarget`), :mod:`.rewrites` (float-file rewrites for XNNPACK), :mod:`.int8` (the
int8 recipe), :mod:`.flatbuffer` (reading and writing the file format), :mod:`.runtime` (LiteRT)."""
