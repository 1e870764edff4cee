"""Matching rules: normalization, cosine similarity, an identity's score, the decision.

The Kotlin and Swift harness cores implement the same rules (golden vectors ``matching`` and
``gallery``, ``python -m tools.conformance``):

- **Normalization**: ``v / sqrt(sum(v_i * v_i))``; a zero or non-finite vector is an error.
- **Similarity**: cosine = the dot product of the two normalized vectors (in [-1, 1]).
- **Identity score**: each identity is represented by its *centroid*, the normalized sum of its
  normalized embeddings (summed in enrollment order); the identity's score is the cosine between the
  normalized probe and the centroid. This is InsightFace's template rule for IJB-B/C (average the
  features of a template, then normalize). It was chosen over the maximum over an identity's
  embeddings because the maximum gives identities with more enrolled photos more chances to accept a
  stranger ("unknown faces matched to known people": deepface#828), so one threshold would not mean the
  same for every identity; the centroid also averages out one poor enrollment photo, and a phone
  scores one vector per identity.
- **Search**: exact, over every identity (no approximate index: shubham0204/OnDevice-Face-Recognition-Android#25: an HNSW gallery that
  never returned more than 62 candidates). The highest score wins; equal scores go to the identity
  that comes first in the gallery's order.
- **Decision**: a probe is the best identity when ``score > threshold`` (strict), "unknown"
  otherwise. Strict because the InsightFace protocol calls a pair the same person when its squared L2
  distance is *below* its threshold, and ``d = 2 - 2 cos``: a cosine threshold ``t = 1 - d_t / 2``
  taken from ``edgerep face eval`` then decides exactly as the protocol did. The same rule decides
  whether two faces are the same person (:func:`same_person`).

Scores are float64; summation order may differ between implementations, so ports compare scores to
about 1e-12 and decisions exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

# A starting point only: InsightFace-trained models reach their best LFW accuracy near squared-L2
# thresholds 1.28-1.35 (insightface#2239, #1897), i.e. cosine 0.36-0.33. Calibrate with `edgerep face eval`.
DEFAULT_THRESHOLD = 0.35


def _vectors(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"{name} must be one embedding (D,) or a stack (N, D), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds non-finite values (NaN or infinity): the model output is broken")
    return arr


def l2_normalize(embeddings: Any, name: str = "embedding") -> np.ndarray:
    """Each vector (the last axis) divided by its L2 norm; ValueError for a zero or non-finite one."""
    arr = _vectors(embeddings, name)
    norms = np.sqrt(np.sum(arr * arr, axis=-1, keepdims=True))
    if (norms == 0).any():
        raise ValueError(f"{name} has an all-zero vector, which cannot be normalized")
    return arr / norms


def cosine_similarity(a: Any, b: Any) -> float:
    """The cosine of two embeddings (each normalized first)."""
    va, vb = l2_normalize(a, "embedding a"), l2_normalize(b, "embedding b")
    if va.ndim != 1 or vb.ndim != 1 or va.shape != vb.shape:
        raise ValueError(f"cosine_similarity compares two embeddings of one size, got shapes {va.shape} and {vb.shape}")
    return float(np.dot(va, vb))


def centroid(embeddings: Any) -> np.ndarray:
    """An identity's vector: the normalized sum of its normalized embeddings (N, D) -> (D,)."""
    arr = l2_normalize(np.atleast_2d(np.asarray(embeddings, dtype=np.float64)), "identity embeddings")
    total = np.zeros(arr.shape[1], dtype=np.float64)
    for row in arr:  # in enrollment order
        total = total + row
    return l2_normalize(total, "identity centroid (its embeddings cancel out)")


def check_threshold(threshold: Any) -> float:
    """A cosine threshold: a finite number in [-1, 1]."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating, np.integer)):
        raise TypeError(f"threshold must be a number (a cosine in [-1, 1]), got {type(threshold).__name__}")
    value = float(threshold)
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise ValueError(f"threshold {threshold!r} is not a cosine in [-1, 1]; a squared-L2 threshold d "
                         "converts to the cosine 1 - d/2 (e.g. 1.3 -> 0.35)")
    return value


def same_person(score: float, threshold: float) -> bool:
    """The decision: ``score > threshold`` (strict)."""
    return score > threshold


@dataclass(frozen=True)
class Match:
    """The result of identifying one probe.

    ``name`` is the matched identity or None ("unknown"); ``best`` and ``score`` are the best-scoring
    identity and its score even when it is below the threshold (None only for an empty gallery);
    ``scores`` holds every identity's score in gallery order.
    """

    name: str | None
    best: str | None
    score: float | None
    threshold: float
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return self.name is not None


def identify(probe: Any, names: Sequence[str], centroids: Any, threshold: float) -> Match:
    """Exact search of ``probe`` against identity ``centroids`` (K, D) named ``names`` (gallery order)."""
    threshold = check_threshold(threshold)
    if len(names) == 0:
        return Match(None, None, None, threshold, {})
    p = l2_normalize(probe, "probe embedding")
    c = np.asarray(centroids, dtype=np.float64)
    if p.ndim != 1 or c.ndim != 2 or c.shape != (len(names), p.shape[0]):
        raise ValueError(f"probe embedding has shape {p.shape} but the gallery holds {len(names)} "
                         f"identities of shape {c.shape[1:]}: was the gallery made with another model?")
    # One row at a time in effect (each row reduced on its own, never blocked with its neighbours),
    # so identical centroids get identical scores and ties fall to the gallery order.
    scores = np.sum(c * p, axis=1).tolist()
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))  # ties: the first in gallery order
    score = scores[best]
    return Match(names[best] if same_person(score, threshold) else None, names[best], score, threshold,
                 dict(zip(names, scores)))
