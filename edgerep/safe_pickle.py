"""Reading pickles a user gives without running their code.

A pickle can name any importable callable and have the unpickler call it (REDUCE, NEWOBJ, BUILD
with ``__setstate__``): that is how a crafted checkpoint runs code. :class:`RestrictedUnpickler`
resolves only the globals it is given and refuses every other one, so the only code a pickle can
reach is what the caller allowed.

:func:`read_torchscript_tensors` reads the parameters and buffers of a TorchScript archive (a zip
with ``code/`` and ``data.pkl``, e.g. RepNeXt's ``*_fused.pt``) without ``torch.jit.load``, which
compiles and runs the archive's code, ``__setstate__`` methods included. The module objects of
``data.pkl`` become inert placeholders that only record their attributes; tensors are rebuilt from
the archive's data records; the class declarations in ``code/`` are parsed (never run) for their
``__parameters__`` / ``__buffers__`` lists. A module that restores itself with its own
``__setstate__`` code cannot be read this way and is refused with the safe way to convert it.
"""

from __future__ import annotations

import ast
import io
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

__all__ = ["PLAIN_BYTES_GLOBALS", "RestrictedUnpickler", "UnsafePickleError", "loads", "read_torchscript_tensors"]


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global outside the allowed set (it could run code)."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only ``allowed[(module, name)]`` and refuses everything else."""

    def __init__(self, file: Any, allowed: Mapping[tuple[str, str], Any] = (), **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._allowed = dict(allowed)

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"refuses the Python object {module}.{name}, which could run code") from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("refuses persistent references")


def _latin1_bytes(text: Any = "", encoding: Any = "latin1") -> bytes:
    """``_codecs.encode(text, "latin1")``: how a protocol-2 pickle written by Python 3 stores bytes.
    Only that call is honoured: a str encoded as latin-1, nothing else (no other codec, no object)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refuses _codecs.encode({type(text).__name__}, {encoding!r:.20}): only "
                                "latin-1 text (protocol 2's bytes) is read")
    return text.encode("latin1")


def _plain_bytes(value: Any = b"") -> bytes:
    """``bytes()`` / ``bytes(b"...")`` / ``bytearray(...)`` of bytes only (never an object's __bytes__)."""
    if not isinstance(value, (bytes, bytearray)):
        raise UnsafePickleError(f"refuses bytes({type(value).__name__}): only bytes are read")
    return bytes(value)


# The globals a protocol-2 pickle of plain data names for bytes (Python 3 writes bytes that way):
# each is a function of ours that builds bytes from bytes or latin-1 text and does nothing else.
PLAIN_BYTES_GLOBALS: dict[tuple[str, str], Any] = {
    ("_codecs", "encode"): _latin1_bytes,
    ("builtins", "bytes"): _plain_bytes,
    ("builtins", "bytearray"): _plain_bytes,
}


def loads(data: bytes, allowed: Mapping[tuple[str, str], Any] = (), **kwargs: Any) -> Any:
    """``pickle.loads`` that resolves only the ``allowed`` globals (none by default: plain data)."""
    return RestrictedUnpickler(io.BytesIO(data), allowed, **kwargs).load()


# ------------------------------------------------------------------------------------- TorchScript

MAX_MODULE_DEPTH = 200  # submodules inside submodules: real networks nest a handful of levels

_STORAGE_DTYPES = {
    "DoubleStorage": torch.float64, "FloatStorage": torch.float32, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class _Storage:
    """The dtype named by a pickled storage class (``torch.FloatStorage``)."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


class ScriptModule:
    """An inert stand-in for a TorchScript module object: it records its attributes and nothing else."""

    qualified_name = ""

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _rebuild_tensor(storage: torch.Tensor, offset: int, size: tuple, stride: tuple, *_: Any) -> torch.Tensor:
    numel = 1
    for d in size:
        numel *= int(d)
    if numel > storage.numel():  # a view claiming more values than stored (stride 0): never allocate it
        raise UnsafePickleError(f"holds a tensor of shape {tuple(size)}, larger than the {storage.numel()} "
                                "values stored for it (a crafted view)")
    return torch.as_strided(storage, size, stride, offset).clone()


def _passthrough(value: Any, *_: Any) -> Any:
    return value


class _ArchiveUnpickler(RestrictedUnpickler):
    def __init__(self, file: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        allowed: dict[tuple[str, str], Any] = {
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("collections", "OrderedDict"): OrderedDict,
            **{("torch", n): _Storage(d) for n, d in _STORAGE_DTYPES.items()},
            **{("torch.jit._pickle", n): _passthrough for n in (
                "build_intlist", "build_doublelist", "build_boollist", "build_tensorlist",
                "build_genericlist", "restore_type_tag")},
        }
        super().__init__(file, allowed)
        self._archive, self._prefix = archive, prefix
        self._classes: dict[str, type] = {}
        self._storages: dict[str, torch.Tensor] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self._classes:  # one inert class per TorchScript class
                self._classes[qualified] = type(name, (ScriptModule,), {"qualified_name": qualified})
            return self._classes[qualified]
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _Storage) and isinstance(pid[2], str)):
            raise UnsafePickleError(f"unexpected persistent reference {pid!r:.60}")
        _, storage, key, _location, _numel = pid
        if key not in self._storages:
            raw = self._archive.read(f"{self._prefix}/data/{key}")
            flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
            self._storages[key] = flat.view(storage.dtype) if raw else torch.empty(0, dtype=storage.dtype)
        return self._storages[key]


def is_torchscript_archive(path: Path) -> bool:
    """A TorchScript archive is a zip with a ``code/`` folder next to its ``data.pkl``."""
    try:
        with zipfile.ZipFile(path) as z:
            return any("/code/" in n or n.startswith("code/") for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _declared_tensors(archive: zipfile.ZipFile, prefix: str) -> tuple[dict[str, set[str]], set[str]]:
    """Per TorchScript class: its declared parameter and buffer names; and the classes that define
    their own ``__setstate__``. Read by parsing the archive's code (never executing it)."""
    declared: dict[str, set[str]] = {}
    custom_setstate: set[str] = set()
    code = f"{prefix}/code/"
    for name in archive.namelist():
        if not (name.startswith(code) and name.endswith(".py")):
            continue
        module = "__torch__" if name[len(code):] == "__torch__.py" else \
            name[len(code):-3].replace("/", ".")
        try:
            tree = ast.parse(archive.read(name).decode("utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            qualified = f"{module}.{node.name}"
            names: set[str] = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__setstate__":
                    custom_setstate.add(qualified)
                if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id in ("__parameters__", "__buffers__") for t in item.targets):
                    if isinstance(item.value, (ast.List, ast.Tuple)):
                        names.update(e.value for e in item.value.elts
                                     if isinstance(e, ast.Constant) and isinstance(e.value, str))
            declared[qualified] = names
    return declared, custom_setstate


def read_torchscript_tensors(path: str | Path, fail: Callable[[str], Exception] = ValueError) -> dict[str, torch.Tensor]:
    """The parameters and buffers of a TorchScript archive by their state-dict names; no code runs.

    Raises ``fail(message)`` for an archive that cannot be read this way.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            prefix = pickles[0].split("/")[0] if len(pickles) == 1 else None
            if prefix is not None:
                declared, custom_setstate = _declared_tensors(archive, prefix)
                root = _ArchiveUnpickler(io.BytesIO(archive.read(pickles[0])), archive, prefix).load()
    except UnsafePickleError as exc:
        raise fail(f"cannot read {path}: the TorchScript archive {exc}") from None
    except RecursionError:
        raise fail(f"cannot read {path}: the TorchScript archive nests its objects deeper than edgerep "
                   "reads") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, pickle.UnpicklingError, RuntimeError,
            ValueError, TypeError, IndexError, AttributeError) as exc:
        first = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise fail(f"cannot read {path}: corrupt TorchScript archive ({first})") from None
    if prefix is None:
        raise fail(f"cannot read {path}: not a TorchScript archive (no single data.pkl)")
    tensors: dict[str, torch.Tensor] = {}

    seen: set[int] = set()

    def walk(obj: Any, prefix: str) -> None:
        if id(obj) in seen:
            raise fail(f"cannot read {path}: its TorchScript module {prefix.rstrip('.') or '(root)'} contains "
                       "itself (a loop no real model has)")
        if prefix.count(".") >= MAX_MODULE_DEPTH:
            raise fail(f"cannot read {path}: its TorchScript modules nest deeper than {MAX_MODULE_DEPTH} levels "
                       "(no real model does)")
        seen.add(id(obj))
        cls = type(obj).qualified_name
        if cls in custom_setstate or not isinstance(getattr(obj, "state", None), dict):
            raise fail(
                f"cannot read {path}: its TorchScript module {cls.removeprefix('__torch__.') or '?'} "
                "restores itself with its own code (__setstate__), which edgerep does not run; in a "
                "Python session you trust, save its weights with safetensors.torch.save_file("
                "torch.jit.load(FILE).state_dict(), 'model.safetensors') and pass that file")
        names = declared.get(cls)
        for key, value in obj.state.items():
            if isinstance(value, ScriptModule):
                walk(value, f"{prefix}{key}.")
            elif isinstance(value, torch.Tensor) and (names is None or key in names):
                tensors[prefix + key] = value

    if not isinstance(root, ScriptModule):
        raise fail(f"cannot read {path}: the TorchScript archive holds no module")
    walk(root, "")
    return tensors
