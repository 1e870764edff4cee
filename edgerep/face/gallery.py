"""The face gallery: enrolled identities, exact search, and its versioned JSON file ``edgerep.gallery/1``.

The file (schema: ``gallery.schema.json`` beside this module) is plain JSON that Android's
``org.json`` and Swift's ``Codable`` read: lowercase ASCII keys, finite numbers only, embeddings as
arrays of numbers. It records what made the embeddings (model, runtime, precision, the artifact's or
checkpoint's sha256, alignment template, input normalization, flip-sum), the matching threshold, and
every enrolled embedding; an identity's centroid is recomputed on load (rules: :mod:`.matching`).
Embeddings are stored with float32 precision: each number is the shortest decimal that reads back
as the same float32.

Loading validates everything and fails with one line naming the file and the field, e.g.
``invalid gallery g.json: identities[1].embeddings[0]: has 511 numbers, expected embedding_size 512``.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._files import JsonLimitError, parse_json, read_text
from .._io import write_atomic
from .._schema import SchemaError, check_versioned
from .._text import is_blank
from ..facecore.alignment import template
from ..facecore.matching import DEFAULT_THRESHOLD, Match, centroid, check_threshold, identify, l2_normalize, same_person

SCHEMA_ID = "edgerep.gallery/1"
SUPPORTED = (SCHEMA_ID,)
FACE_MEAN = (0.5, 0.5, 0.5)  # (x / 255 - 0.5) / 0.5: EdgeFace and FaceLiVT (their READMEs; InsightFace's evaluation)
FACE_STD = (0.5, 0.5, 0.5)


class GalleryError(SchemaError):
    """A gallery file or document that does not follow ``edgerep.gallery/1``."""

    def __init__(self, source: str, errors: list[tuple[str, str]]):
        super().__init__(source, errors, "gallery")


@dataclass(frozen=True)
class EmbeddingSpec:
    """What produced a set of embeddings; a probe must come from the same spec as the gallery.

    ``runtime`` is ``torch`` or the runtime of an exported artifact (``onnxruntime``, ``litert``,
    ``coreml``, or a phone's own name); ``artifact_sha256`` / ``checkpoint_sha256`` identify the
    weights (None for a torch model with random weights).
    """

    model: str
    embedding_size: int
    runtime: str = "torch"
    precision: str = "fp32"
    artifact_sha256: str | None = None
    checkpoint_sha256: str | None = None
    template_size: int = 112
    mean: tuple[float, float, float] = FACE_MEAN
    std: tuple[float, float, float] = FACE_STD
    flip_sum: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "runtime": self.runtime,
            "precision": self.precision,
            "artifact_sha256": self.artifact_sha256,
            "checkpoint_sha256": self.checkpoint_sha256,
            "embedding_size": self.embedding_size,
            "template": {"size": self.template_size, "points": template(self.template_size).tolist()},
            "normalization": {"color": "RGB", "scale": "x / 255", "mean": [float(v) for v in self.mean],
                              "std": [float(v) for v in self.std], "flip_sum": self.flip_sum},
        }

    def differences(self, other: "EmbeddingSpec") -> list[str]:
        """The fields in which ``other`` differs (what makes its embeddings incomparable)."""
        return [f"{k}: {getattr(self, k)!r} vs {getattr(other, k)!r}" for k in self.__dataclass_fields__
                if getattr(self, k) != getattr(other, k)]


def float32_shortest(values: np.ndarray) -> list[float]:
    """Each value rounded to float32, as the shortest decimal that reads back as that float32."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32).ravel()]


@dataclass
class Identity:
    name: str
    embeddings: np.ndarray  # (N, D) float64, as stored (normalized, float32 precision)
    sources: list[str] | None = None


@dataclass
class Gallery:
    """Enrolled identities (in enrollment order) and the threshold that decides a match.

    >>> g = Gallery(EmbeddingSpec("edgeface_xs_gamma_06", 512))
    >>> g.enroll("alice", embeddings)            # (N, 512): several photos of one person
    >>> g.identify(probe).name                   # "alice", or None for unknown
    """

    spec: EmbeddingSpec
    threshold: float = DEFAULT_THRESHOLD
    identities: list[Identity] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.threshold = check_threshold(self.threshold)
        self._centroids: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.identities]

    def enroll(self, name: str, embeddings: Any, sources: Sequence[str] | None = None) -> None:
        """Add ``embeddings`` (D,) or (N, D) to identity ``name`` (created when new, else extended)."""
        if not isinstance(name, str) or is_blank(name):
            raise ValueError(f"identity name must be a non-empty string (not only spaces or invisible characters), got {name!r}")
        arr = np.atleast_2d(l2_normalize(embeddings, f"embeddings of {name!r}"))
        if arr.ndim != 2 or arr.shape[1] != self.spec.embedding_size:
            raise ValueError(f"embeddings of {name!r} have shape {arr.shape}, expected (N, "
                             f"{self.spec.embedding_size}) for {self.spec.model}")
        stored = np.array(float32_shortest(arr), dtype=np.float64).reshape(arr.shape)
        srcs = None if sources is None else [str(s) for s in sources]
        if srcs is not None and len(srcs) != len(stored):
            raise ValueError(f"{len(srcs)} sources given for {len(stored)} embeddings of {name!r}")
        for ident in self.identities:
            if ident.name == name:
                if (ident.sources is None) != (srcs is None):
                    raise ValueError(f"identity {name!r}: give sources for all of its embeddings or none")
                ident.embeddings = np.concatenate([ident.embeddings, stored])
                if srcs is not None:
                    ident.sources = [*(ident.sources or []), *srcs]
                break
        else:
            self.identities.append(Identity(name, stored, srcs))
        self._centroids = None

    def centroids(self) -> np.ndarray:
        """(K, D): each identity's centroid, in gallery order."""
        if self._centroids is None:
            self._centroids = (np.stack([centroid(i.embeddings) for i in self.identities]) if self.identities
                               else np.zeros((0, self.spec.embedding_size)))
        return self._centroids

    def identify(self, embedding: Any) -> Match:
        return identify(embedding, self.names, self.centroids(), self.threshold)

    def verify(self, a: Any, b: Any) -> tuple[float, bool]:
        """Cosine of two embeddings and whether it passes the gallery's threshold (``score > threshold``)."""
        va, vb = l2_normalize(a, "embedding a"), l2_normalize(b, "embedding b")
        if va.shape != (self.spec.embedding_size,) or vb.shape != va.shape:
            raise ValueError(f"verify compares two embeddings of size {self.spec.embedding_size}, got "
                             f"shapes {va.shape} and {vb.shape}")
        score = float(np.dot(va, vb))
        return score, same_person(score, self.threshold)

    # ---- the file -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        identities = []
        for ident in self.identities:
            entry: dict[str, Any] = {"name": ident.name, "embeddings": ident.embeddings.tolist()}
            if ident.sources is not None:
                entry["sources"] = list(ident.sources)
            identities.append(entry)
        return {
            "schema": SCHEMA_ID,
            **self.spec.to_dict(),
            "matching": {"metric": "cosine", "identity_score": "centroid", "threshold": self.threshold},
            "identities": identities,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False, ensure_ascii=True) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the gallery atomically (never half-written)."""

        path = Path(path)
        write_atomic(path, self.to_json())
        return path

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<gallery>") -> "Gallery":
        validate(doc, source)
        norm = doc["normalization"]
        spec = EmbeddingSpec(
            model=doc["model"], embedding_size=doc["embedding_size"], runtime=doc["runtime"],
            precision=doc["precision"], artifact_sha256=doc["artifact_sha256"],
            checkpoint_sha256=doc["checkpoint_sha256"], template_size=doc["template"]["size"],
            mean=tuple(float(v) for v in norm["mean"]), std=tuple(float(v) for v in norm["std"]),
            flip_sum=norm["flip_sum"],
        )
        gallery = cls(spec, doc["matching"]["threshold"])
        for ident in doc["identities"]:
            gallery.identities.append(Identity(ident["name"], np.array(ident["embeddings"], dtype=np.float64),
                                               ident.get("sources")))
        return gallery

    @classmethod
    def load(cls, path: str | Path) -> "Gallery":
        path = Path(path)
        try:
            text = read_text(path, "gallery", limit="json")  # a regular file of sane size, never a FIFO
        except FileNotFoundError:
            raise FileNotFoundError(f"gallery {path} does not exist; make one with 'edgerep face enroll'") from None
        try:
            doc = parse_json(text, str(path), numbers=False)  # numbers: the schema names the field
        except JsonLimitError as exc:
            raise GalleryError(str(path), [(exc.field, exc.reason)]) from None
        return cls.from_dict(doc, str(path))


# ---- validation: gallery.schema.json (jsonschema), then the rules a schema cannot state ---------


@functools.lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    """The JSON Schema of ``edgerep.gallery/1`` (gallery.schema.json beside this module)."""

    return json.loads(resources.files("edgerep.face").joinpath("gallery.schema.json").read_text("utf-8"))


def _semantic_errors(doc: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    tpl = doc["template"]
    if not np.allclose(tpl["points"], template(tpl["size"]), rtol=0, atol=1e-9):
        errors.append(("template.points", f"differ from the ArcFace template for size {tpl['size']} "
                                          f"({template(tpl['size']).tolist()}), the only one edgerep aligns to"))
    size = doc["embedding_size"]
    seen: set[str] = set()
    for i, ident in enumerate(doc["identities"]):
        path = f"identities[{i}]"
        if is_blank(ident["name"]):
            errors.append((f"{path}.name", f"{ident['name']!r} is blank (a name must show something)"))
        if ident["name"] in seen:
            errors.append((f"{path}.name", f"{ident['name']!r} is enrolled twice (names must be unique)"))
        seen.add(ident["name"])
        for j, emb in enumerate(ident["embeddings"]):
            epath = f"{path}.embeddings[{j}]"
            if len(emb) != size:
                errors.append((epath, f"has {len(emb)} numbers, expected embedding_size {size}"))
            elif not 0.0 < sum(float(v) * float(v) for v in emb) < math.inf:
                errors.append((epath, "its norm is zero or overflows (an embedding must be normalizable)"))
        sources = ident.get("sources")
        if sources is not None and len(sources) != len(ident["embeddings"]):
            errors.append((f"{path}.sources", f"expected {len(ident['embeddings'])} strings (one per "
                                              f"embedding), got {len(sources)}"))
    return errors


def validate(doc: Any, source: str = "<gallery>") -> dict[str, Any]:
    """Return ``doc`` if it is a valid ``edgerep.gallery/1`` document; raise GalleryError otherwise."""
    return check_versioned(doc, source, schema=schema(), supported=SUPPORTED, noun="gallery",
                           semantic=_semantic_errors, error=GalleryError)
