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

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._text import closest
from .alignment import SIZES, template
from .matching import DEFAULT_THRESHOLD, Match, centroid, check_threshold, identify, l2_normalize, same_person

SCHEMA_ID = "edgerep.gallery/1"
SUPPORTED = (SCHEMA_ID,)
PRECISIONS = ("fp32", "fp16", "int8")
FACE_MEAN = (0.5, 0.5, 0.5)  # (x / 255 - 0.5) / 0.5: EdgeFace and FaceLiVT (FACE.md)
FACE_STD = (0.5, 0.5, 0.5)
_MAX_ERRORS = 5
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class GalleryError(ValueError):
    """A gallery file or document that does not follow ``edgerep.gallery/1``."""

    def __init__(self, source: str, errors: list[tuple[str, str]]):
        self.source = source
        self.errors = errors
        shown = "; ".join(f"{path or '(top level)'}: {msg}" for path, msg in errors[:_MAX_ERRORS])
        more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
        super().__init__(f"invalid gallery {source}: {shown}{more}")


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
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"identity name must be a non-empty string, got {name!r}")
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
        from .._io import write_atomic

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
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"gallery {path} does not exist; make one with 'edgerep face enroll'") from None
        except UnicodeDecodeError:
            raise GalleryError(str(path), [("", "not UTF-8 text (is this a gallery JSON file?)")]) from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GalleryError(str(path), [("", f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                                f"column {exc.colno}")]) from None
        return cls.from_dict(doc, str(path))


# ---- validation (the rules of gallery.schema.json, checked by hand) -----------------------------


def _describe(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", "Infinity").replace("nan", "NaN")
    kind = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value))
    if kind is None:
        return f"the number {value!r}"
    text = json.dumps(value) if not isinstance(value, (dict, list)) else ""
    return f"{kind} {text[:40]}".rstrip()


def _number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):  # JSON integers can be arbitrarily long; they must fit a double
        return abs(v) < 2.0 ** 1023
    return isinstance(v, float) and math.isfinite(v)


_FIELDS = ("schema", "model", "runtime", "precision", "artifact_sha256", "checkpoint_sha256", "embedding_size",
           "template", "normalization", "matching", "identities")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def fail(self, path: str, msg: str) -> bool:
        self.errors.append((path, msg))
        return False

    def object(self, value: Any, path: str, required: Sequence[str], optional: Sequence[str] = ()) -> bool:
        if not isinstance(value, dict):
            return self.fail(path, f"expected an object, got {_describe(value)}")
        ok = True
        for key in required:
            if key not in value:
                ok = self.fail(_join(path, key), "required field is missing")
        for key in value:
            if key not in required and key not in optional:
                close = closest(str(key), [*required, *optional], n=1, cutoff=0.6)
                ok = self.fail(_join(path, str(key)), "unknown field" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return ok

    def string(self, value: Any, path: str) -> bool:
        if not isinstance(value, str) or not value:
            return self.fail(path, f"expected a non-empty string, got {_describe(value)}")
        return True

    def const(self, value: Any, path: str, allowed: Sequence[Any]) -> bool:
        if not any(value == a and type(value) is type(a) for a in allowed):
            return self.fail(path, f"expected {' or '.join(json.dumps(a) for a in allowed)}, got {_describe(value)}")
        return True

    def numbers(self, value: Any, path: str, length: int, what: str = "") -> bool:
        if not isinstance(value, list):
            return self.fail(path, f"expected an array of {length} numbers, got {_describe(value)}")
        if len(value) != length:
            return self.fail(path, f"has {len(value)} numbers, expected {what or length}")
        for i, v in enumerate(value):
            if not _number(v):
                return self.fail(f"{path}[{i}]", f"expected a finite number, got {_describe(v)}")
        return True


def _join(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)


def validate(doc: Any, source: str = "<gallery>") -> dict[str, Any]:
    """Return ``doc`` if it is a valid ``edgerep.gallery/1`` document; raise GalleryError otherwise."""
    c = _Checker()
    if not isinstance(doc, dict):
        raise GalleryError(source, [("", f"expected a JSON object (a gallery), got {_describe(doc)}")])
    version = doc.get("schema")
    if version not in SUPPORTED:
        if isinstance(version, str) and version.startswith("edgerep.gallery/"):
            msg = (f"{version!r} is not supported by this edgerep (supports {', '.join(SUPPORTED)}); "
                   "upgrade edgerep to read it")
        elif version is None:
            msg = f"required field is missing: not an edgerep gallery (expected {SCHEMA_ID!r})"
        else:
            msg = f"expected {SCHEMA_ID!r}, got {_describe(version)}"
        raise GalleryError(source, [("schema", msg)])
    c.object(doc, "", _FIELDS)
    c.string(doc.get("model"), "model")
    c.string(doc.get("runtime"), "runtime")
    c.const(doc.get("precision"), "precision", PRECISIONS)
    for key in ("artifact_sha256", "checkpoint_sha256"):
        value = doc.get(key)
        if value is not None and not (isinstance(value, str) and _SHA256.match(value)):
            c.fail(key, f"expected null or 64 lowercase hex digits, got {_describe(value)}")
    size = doc.get("embedding_size")
    if not (isinstance(size, int) and not isinstance(size, bool) and size >= 1):
        c.fail("embedding_size", f"expected a positive integer, got {_describe(size)}")
        size = None
    tpl = doc.get("template")
    if c.object(tpl, "template", ("size", "points")) and c.const(tpl["size"], "template.size", SIZES):
        points = tpl["points"]
        if not (isinstance(points, list) and len(points) == 5):
            c.fail("template.points", f"expected 5 (x, y) points, got {_describe(points)}")
        elif all(c.numbers(p, f"template.points[{i}]", 2) for i, p in enumerate(points)):
            if not np.allclose(points, template(tpl["size"]), rtol=0, atol=1e-9):
                c.fail("template.points", f"differ from the ArcFace template for size {tpl['size']} "
                                          f"({template(tpl['size']).tolist()}), the only one edgerep aligns to")
    norm = doc.get("normalization")
    if c.object(norm, "normalization", ("color", "scale", "mean", "std", "flip_sum")):
        c.const(norm["color"], "normalization.color", ("RGB",))
        c.const(norm["scale"], "normalization.scale", ("x / 255",))
        c.numbers(norm["mean"], "normalization.mean", 3)
        if c.numbers(norm["std"], "normalization.std", 3) and min(norm["std"]) <= 0:
            c.fail("normalization.std", f"must be positive, got {norm['std']}")
        c.const(norm["flip_sum"], "normalization.flip_sum", (False, True))
    matching = doc.get("matching")
    if c.object(matching, "matching", ("metric", "identity_score", "threshold")):
        c.const(matching["metric"], "matching.metric", ("cosine",))
        c.const(matching["identity_score"], "matching.identity_score", ("centroid",))
        t = matching["threshold"]
        if not (_number(t) and -1 <= t <= 1):
            c.fail("matching.threshold", f"expected a cosine in [-1, 1], got {_describe(t)}")
    identities = doc.get("identities")
    if not isinstance(identities, list):
        c.fail("identities", f"expected an array, got {_describe(identities)}")
        identities = []
    seen: set[str] = set()
    for i, ident in enumerate(identities):
        path = f"identities[{i}]"
        if not c.object(ident, path, ("name", "embeddings"), ("sources",)):
            continue
        if c.string(ident["name"], f"{path}.name"):
            if ident["name"] in seen:
                c.fail(f"{path}.name", f"{ident['name']!r} is enrolled twice (names must be unique)")
            seen.add(ident["name"])
        embs = ident["embeddings"]
        if not isinstance(embs, list) or not embs:
            c.fail(f"{path}.embeddings", f"expected a non-empty array of embeddings, got {_describe(embs)}")
            continue
        for j, emb in enumerate(embs):
            epath = f"{path}.embeddings[{j}]"
            if size is not None and c.numbers(emb, epath, size, f"embedding_size {size}"):
                if not 0.0 < sum(float(v) * float(v) for v in emb) < math.inf:
                    c.fail(epath, "its norm is zero or overflows (an embedding must be normalizable)")
        sources = ident.get("sources")
        if sources is not None and not (isinstance(sources, list) and len(sources) == len(embs)
                                        and all(isinstance(s, str) for s in sources)):
            c.fail(f"{path}.sources", f"expected {len(embs)} strings (one per embedding), got {_describe(sources)}")
    if c.errors:
        raise GalleryError(source, c.errors)
    return doc
