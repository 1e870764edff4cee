"""Face recognition with edgerep's face models: detect, align, embed on any runtime, match, the
InsightFace verification protocol, gallery files and phone-frame helpers.

Re-exports only; names load on first use, so ``import edgerep.face`` imports nothing heavier than
numpy until a detector or an embedding runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_API = {
    "ARCFACE_112": "edgerep.facecore.alignment",
    "template": "edgerep.facecore.alignment",
    "similarity_transform": "edgerep.facecore.alignment",
    "estimate_norm": "edgerep.facecore.alignment",
    "warp_affine": "edgerep.facecore.alignment",
    "align": "edgerep.facecore.alignment",
    "DEFAULT_THRESHOLD": "edgerep.facecore.matching",
    "Match": "edgerep.facecore.matching",
    "l2_normalize": "edgerep.facecore.matching",
    "cosine_similarity": "edgerep.facecore.matching",
    "centroid": "edgerep.facecore.matching",
    "identify": "edgerep.facecore.matching",
    "Gallery": "edgerep.face.gallery",
    "GalleryError": "edgerep.face.gallery",
    "EmbeddingSpec": "edgerep.face.gallery",
    "yuv420_to_rgb": "edgerep.facecore.frames",
    "frame_to_view": "edgerep.facecore.frames",
    "view_to_frame": "edgerep.facecore.frames",
    "landmarks_to_view": "edgerep.facecore.frames",
    "landmarks_to_frame": "edgerep.facecore.frames",
    "frame_to_view_image": "edgerep.facecore.frames",
    "Face": "edgerep.facecore.detect",
    "MTCNN": "edgerep.facecore.detect",
    "GivenFaces": "edgerep.facecore.detect",
    "faces_from_json": "edgerep.facecore.detect",
    "Embedder": "edgerep.face.embed",
    "TorchEmbedder": "edgerep.face.embed",
    "ArtifactEmbedder": "edgerep.face.embed",
    "load_embedder": "edgerep.face.embed",
    "load_image": "edgerep.facecore.images",
    "load_bin": "edgerep.face.verification",
    "verification_metrics": "edgerep.face.verification",
    "parity": "edgerep.face.parity",
    "default_faces": "edgerep.face.parity",
}

__all__ = list(_API)

if TYPE_CHECKING:  # pragma: no cover
    from ..facecore.alignment import ARCFACE_112, align, estimate_norm, similarity_transform, template, warp_affine
    from ..facecore.detect import MTCNN, Face, GivenFaces, faces_from_json
    from .embed import ArtifactEmbedder, Embedder, TorchEmbedder, load_embedder
    from ..facecore.images import load_image
    from .parity import default_faces, parity
    from .verification import load_bin, verification_metrics
    from ..facecore.frames import (frame_to_view, frame_to_view_image, landmarks_to_frame, landmarks_to_view,
                         view_to_frame, yuv420_to_rgb)
    from .gallery import EmbeddingSpec, Gallery, GalleryError
    from ..facecore.matching import DEFAULT_THRESHOLD, Match, centroid, cosine_similarity, identify, l2_normalize


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'edgerep.face' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
