"""edgerep's one onnxruntime session configuration (verification, the bench and its GEMM ceiling,
the face detector). Light: onnxruntime itself is passed in by the caller, who imported it."""

from __future__ import annotations

from typing import Any


def session_options(ort: Any, threads: int | None) -> Any:
    """``threads`` intra-op threads (None: onnxruntime's default), one inter-op thread, sequential,
    every graph optimization, warnings and errors only."""
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options
