"""The on-disk cache of exported artifacts, so that a second run (bench, eval, face) does not re-export.

An entry is a directory named after the model, target and precision plus a hash of everything that
changes the artifact (model identity and weights' seed or checkpoint hash, target, precision, input
size, batch, edgerep version). It holds the artifact (with any side files, e.g. ``.onnx.data``) and
``entry.json`` with the artifact's sha256: an entry without it, or whose artifact no longer matches
it, is rebuilt. Entries are built in a temporary directory and renamed into place
(:func:`edgerep._io.staged`), so an interrupted export leaves nothing half-written.
Location: ``$EDGEREP_CACHE`` or ``~/.cache/edgerep/bench``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from ..._io import staged, tree_bytes, tree_sha256
from ..._version import __version__
from .precision import Precision
from .run import export

_ENTRY = "entry.json"


class Exportable(Protocol):
    """What :func:`export_cached` exports (a bench :class:`~edgerep.bench.workload.Workload`)."""

    name: str
    identity: dict[str, Any]
    input_size: tuple[int, int, int]  # (C, H, W)

    def reference(self, form: str) -> Any:
        """The model in ``form`` ("fused" here)."""


def default_cache_dir() -> Path:
    env = os.environ.get("EDGEREP_CACHE")
    if env:
        return Path(env).expanduser()
    home = os.environ.get("HOME", None)
    if home is not None and not os.path.isabs(home):  # HOME='' would put the cache at /.cache
        raise ValueError(f"HOME is {home!r}, not a folder to keep the export cache in; set EDGEREP_CACHE=DIR "
                         "(or HOME) to an absolute path")
    return Path("~/.cache/edgerep/bench").expanduser()


def _check_root(root: Path, given: str) -> Path:
    """The cache folder, refused (one line naming where it came from) when it exists and is not a folder."""
    if root.exists() and not root.is_dir():
        raise ValueError(f"{given} {root} is a file, not a folder; point it at a folder for the export cache")
    return root


@dataclass(frozen=True)
class CachedArtifact:
    path: Path  # the artifact the runtime loads
    bytes: int  # artifact plus side files (external weights)
    created: bool  # False when it came from the cache


class ExportCache:
    """Artifacts keyed by what produced them; ``get`` exports on a miss."""

    def __init__(self, root: str | Path | None = None):
        if root is not None:
            self.root = _check_root(Path(root).expanduser(), "the cache folder")
        else:
            given = "EDGEREP_CACHE" if os.environ.get("EDGEREP_CACHE") else "the default cache folder"
            self.root = _check_root(default_cache_dir(), given)

    @staticmethod
    def key(identity: dict[str, Any]) -> str:
        payload = json.dumps({**identity, "edgerep": __version__}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def entry_dir(self, label: str, identity: dict[str, Any]) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
        return self.root / f"{safe}-{self.key(identity)}"

    def get(self, label: str, identity: dict[str, Any], build: Callable[[Path], Path]) -> CachedArtifact:
        """The artifact for ``identity``; on a miss ``build(directory)`` writes it and returns its path."""
        entry = self.entry_dir(label, identity)
        found = self._read(entry)
        if found is not None:
            return found
        self.root.mkdir(parents=True, exist_ok=True)
        # Built in a temporary folder and renamed into place (replacing an incomplete leftover).
        with staged(entry) as (tmp,):
            tmp.mkdir()
            artifact = Path(build(tmp))
            rel = artifact.resolve().relative_to(tmp.resolve())
            meta = {"artifact": str(rel), "identity": identity, "edgerep": __version__,
                    "sha256": tree_sha256(artifact)}
            (tmp / _ENTRY).write_text(json.dumps(meta, indent=2, default=str), "utf-8")
        result = self._read(entry)
        assert result is not None  # just written
        return CachedArtifact(result.path, result.bytes, created=True)

    @staticmethod
    def _read(entry: Path) -> CachedArtifact | None:
        try:
            meta = json.loads((entry / _ENTRY).read_text("utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(meta, dict) or not isinstance(meta.get("artifact"), str) \
                or Path(meta["artifact"]).is_absolute() or ".." in Path(meta["artifact"]).parts:
            return None
        path = entry / meta["artifact"]
        # A damaged entry (a truncated file, an edited one) is rebuilt, not reported as a failure.
        if not path.exists() or meta.get("sha256") != tree_sha256(path):
            return None
        # The artifact and its side files (e.g. model.onnx.data), not the exporter's JSON sidecar.
        size = tree_bytes(path) + sum(
            tree_bytes(p) for p in entry.iterdir()
            if p != path and p.name.startswith(path.name) and not p.name.endswith(".json"))
        return CachedArtifact(path, size, created=False)


def export_cached(work: Exportable, target: str, precision: Precision, cache: ExportCache, *,
                  calibration: tuple[str, Callable[[], Any]] | None = None,
                  log: Callable[[str], None] | None = None) -> CachedArtifact:
    """The ``target`` artifact of ``work`` at ``precision``, exported once into ``cache``.

    ``calibration`` (int8): a label identifying the images, and a function returning them (anything
    ``edgerep.export`` takes as ``calibration``); without it int8 calibrates on random images.
    """
    identity = {**work.identity, "target": target, "precision": precision,
                "input_size": list(work.input_size), "batch": 1}
    calibrated = precision.is_integer and calibration is not None
    if calibrated:
        identity["calibration"] = calibration[0]

    def build(directory: Path) -> Path:
        if log:
            log(f"export    {work.name} -> {target} ({precision}) into the cache")
        # verify=False: ``edgerep export`` verifies numerics; here only speed matters.
        # The Workload's fused model: exporting fuses again, which finds nothing left to fuse.
        result = export(work.reference("fused"), target, output=f"{directory}/", precision=precision,
                        input_size=tuple(work.input_size[1:]), verify=False,
                        calibration=calibration[1]() if calibrated else None)
        return Path(result.path)

    return cache.get(f"{work.name}-{target}-{precision}", identity, build)
