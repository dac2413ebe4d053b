"""Checkpoints that cannot run code: ``save`` and ``load`` for state_dicts, and PyTorch conversion.

A checkpoint is a NumPy ``.npz`` (a zip archive) holding one ``.npy`` member per array and
a ``structure.json`` member that describes the saved object (nested dicts, lists and
tuples of tensors, arrays, numbers, strings and None, as ``Module.state_dict()`` and an
optimizer's ``state_dict()`` produce) with references to the arrays. Nothing is pickled:
arrays are written and read with ``allow_pickle=False``, so an archive that smuggles in a
pickled object array is refused instead of executed. ``structure.json`` records a format
version, and files from a newer format are refused rather than misread.

Saving to a path is atomic: the archive is written to a temporary file in the same
directory, flushed to disk, then renamed over the target, so a crash during a save leaves
either the previous checkpoint or the new one, never a torn file. (A crash can leave a
stray ``.<name>.*.tmp`` file beside it.)
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import secrets
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import IO, Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .module import Module, Parameter

__all__ = ["FORMAT_VERSION", "CheckpointError", "from_torch_state_dict", "load", "save", "to_torch_state_dict"]

FORMAT_VERSION = 1
_FORMAT_NAME = "ndgrad-checkpoint"
_STRUCTURE = "structure.json"
_SAFE_KINDS = "biufc"  # bool, ints, floats, complex: dtypes whose .npy form holds no Python objects

PathOrFile = str | os.PathLike | IO[bytes]


class CheckpointError(ValueError):
    """A file that is not a valid ndgrad checkpoint (truncated, foreign, unsafe or too new)."""


# --- save --------------------------------------------------------------------------------


def save(obj: Any, f: PathOrFile, compress: bool = False) -> None:
    """Write ``obj`` (a state_dict or any nesting of dicts, lists and tuples of tensors,
    NumPy arrays, numbers, strings and None) to ``f``, a path or a binary file object.

    To a path the write is atomic: a crash never leaves a half-written checkpoint in its
    place. ``compress`` deflates the arrays (smaller files, slower saves). Dict keys may
    be strings, ints, floats, bools, None or tuples of those; tensors keep their dtype,
    shape and ``requires_grad``, and ``Parameter`` s stay parameters.
    """
    if isinstance(obj, Module):
        raise TypeError(f"save() stores state, not modules: use nn.save(model.state_dict(), path) for a "
                        f"{type(obj).__name__}")
    arrays: list[np.ndarray] = []
    root = _encode(obj, arrays, {}, "obj")
    header = {"format": _FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    structure = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if hasattr(f, "write"):
        _write_archive(f, structure, arrays, compress)  # type: ignore[arg-type]
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name such as {path!r}/model.npz")
    tmp, fd = _create_temp(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_archive(handle, structure, arrays, compress)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)  # make the rename itself durable


def _write_archive(handle: IO[bytes], structure: bytes, arrays: list[np.ndarray], compress: bool) -> None:
    """The archive: structure.json, then one .npy member per array (written without pickle)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(handle, "w", compression=method, allowZip64=True) as archive:
        archive.writestr(_STRUCTURE, structure)
        for i, array in enumerate(arrays):
            with archive.open(f"a{i}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _create_temp(directory: str, name: str) -> tuple[str, int]:
    # O_EXCL on a fresh random name: no clobbering a neighbour's file; mode 0o666 lets the
    # umask decide the permissions, as for any newly created file.
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue


def _fsync_directory(directory: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: directories cannot be opened, and renames are journaled there
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _encode(obj: Any, arrays: list[np.ndarray], memo: dict[int, int], where: str) -> Any:
    """The JSON form of ``obj``; arrays go to ``arrays`` and are referred to by index."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        # JSON has no NaN or infinity; repr gives 'nan', 'inf', '-inf', which float() reads back.
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, Tensor):
        node = {"$tensor": _array_ref(np.asarray(obj), arrays, memo, where)}
        if obj.requires_grad:
            node["requires_grad"] = True
        if isinstance(obj, Parameter):
            node["parameter"] = True
        return node
    if isinstance(obj, np.ndarray):
        return {"$array": _array_ref(obj, arrays, memo, where)}
    if isinstance(obj, np.generic):
        return {"$scalar": _array_ref(np.asarray(obj), arrays, memo, where)}
    if isinstance(obj, Mapping):
        items = [
            [_encode_key(key, where), _encode(value, arrays, memo, f"{where}[{key!r}]")] for key, value in obj.items()
        ]
        return {"$odict" if isinstance(obj, OrderedDict) else "$dict": items}
    if isinstance(obj, list):
        return [_encode(v, arrays, memo, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(v, arrays, memo, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(
        f"save: cannot store {where}, a {type(obj).__name__}; checkpoints hold tensors, NumPy arrays, numbers, "
        "strings, None and dicts, lists and tuples of them"
    )


def _encode_key(key: Any, where: str) -> Any:
    if key is None or isinstance(key, (bool, int, str)) or (isinstance(key, float) and math.isfinite(key)):
        return key
    if isinstance(key, tuple):
        return {"$tuple": [_encode_key(k, where) for k in key]}
    raise TypeError(f"save: dict key {key!r} in {where} is a {type(key).__name__}; keys must be str, int, float, "
                    "bool, None or tuples of those")


def _array_ref(array: np.ndarray, arrays: list[np.ndarray], memo: dict[int, int], where: str) -> int:
    if array.dtype.kind not in _SAFE_KINDS:
        raise TypeError(f"save: {where} has dtype {array.dtype}; only bool, integer, float and complex arrays can be "
                        "saved (anything else would need pickle)")
    # The same array reached twice (tied weights) is stored once and shared again on load.
    if id(array) not in memo:
        memo[id(array)] = len(arrays)
        arrays.append(array)
    return memo[id(array)]


# --- load --------------------------------------------------------------------------------


def load(f: PathOrFile) -> Any:
    """Read a checkpoint written by ``save`` from a path or a binary file object.

    Never unpickles anything, so loading an untrusted file cannot run its code. Raises
    ``CheckpointError`` (a ValueError) for a file that is truncated or corrupt, of
    another format, holds pickled (object) arrays, or comes from a newer format version.
    """
    name = repr(os.fspath(f)) if not hasattr(f, "read") else "the file object"
    magic = _peek(f, 6)
    if not magic.startswith(b"PK"):
        raise CheckpointError(f"load: {name} is not an ndgrad checkpoint: {_describe_foreign(magic)}")
    try:
        archive = np.load(f, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"load: {name} is not a readable checkpoint (truncated or corrupt?): {e}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise CheckpointError(f"load: {name} is not an ndgrad checkpoint (NumPy read it as {type(archive).__name__})")
    with archive:
        if _STRUCTURE not in archive.files:
            members = archive.files[:8]
            raise CheckpointError(f"load: {name} is a zip/npz archive but not an ndgrad checkpoint: it has no "
                                  f"{_STRUCTURE} (members {members}); PyTorch files need torch.load and "
                                  "from_torch_state_dict")
        header = _read_header(archive, name)
        try:
            return _decode(header["root"], _ArrayReader(archive, name))
        except RecursionError:
            raise CheckpointError(f"load: {name} nests its structure too deeply") from None


def _peek(f: PathOrFile, n: int) -> bytes:
    if hasattr(f, "read"):
        start = f.tell()  # type: ignore[union-attr]
        head = f.read(n)  # type: ignore[union-attr]
        f.seek(start)  # type: ignore[union-attr]
        return head
    with open(f, "rb") as handle:  # type: ignore[arg-type]
        return handle.read(n)


def _describe_foreign(magic: bytes) -> str:
    if not magic:
        return "it is empty"
    if magic.startswith(b"\x93NUMPY"):
        return "it is a single .npy array, not an archive"
    if magic[:1] == b"\x80":
        return "it looks like a pickle, which is never loaded since unpickling can run code"
    return f"it does not start like a zip/npz archive (first bytes {magic!r})"


def _read_header(archive: Any, name: str) -> dict[str, Any]:
    try:
        raw = archive[_STRUCTURE]
        if not isinstance(raw, bytes):
            raise CheckpointError(f"load: {name}: {_STRUCTURE} is not JSON text")
        header = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"load: {name}: cannot read {_STRUCTURE} (corrupt?): {e}") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME or "root" not in header:
        raise CheckpointError(f"load: {name}: {_STRUCTURE} is not an ndgrad checkpoint header")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"load: {name}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"load: {name} has checkpoint format version {version}, newer than the versions up to "
                              f"{FORMAT_VERSION} that this ndgrad reads; upgrade ndgrad to load it")
    return header


class _ArrayReader:
    """Reads the archive's arrays on demand, pickle disabled, each member at most once."""

    def __init__(self, archive: Any, name: str) -> None:
        self.archive, self.name = archive, name
        self.cache: dict[int, np.ndarray] = {}

    def __call__(self, ref: Any) -> np.ndarray:
        if not isinstance(ref, int) or isinstance(ref, bool):
            raise CheckpointError(f"load: {self.name}: bad array reference {ref!r}")
        if ref not in self.cache:
            member = f"a{ref}"
            if member not in self.archive.files:
                raise CheckpointError(f"load: {self.name}: array member {member}.npy is missing (truncated?)")
            try:
                array = self.archive[member]
            except ValueError as e:
                if "pickle" in str(e).lower():
                    raise CheckpointError(f"load: {self.name}: member {member}.npy holds an object array (pickled "
                                          "Python objects), refused since unpickling can run code") from None
                raise CheckpointError(f"load: {self.name}: cannot read member {member}.npy: {e}") from None
            except (OSError, EOFError, zipfile.BadZipFile) as e:
                raise CheckpointError(f"load: {self.name}: cannot read member {member}.npy (corrupt?): {e}") from None
            if not isinstance(array, np.ndarray) or array.dtype.kind not in _SAFE_KINDS:
                kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
                raise CheckpointError(f"load: {self.name}: member {member}.npy is not a numeric array ({kind})")
            self.cache[ref] = array
        return self.cache[ref]


def _decode(node: Any, read: _ArrayReader) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, read) for v in node]
    if isinstance(node, dict) and len(node) >= 1:
        tag = next(iter(node))
        value = node[tag]
        if tag == "$tensor":
            t = ag.from_numpy(read(value))
            requires_grad = bool(node.get("requires_grad"))
            if requires_grad and t.dtype.kind not in "fc":
                raise CheckpointError(f"load: {read.name}: a {t.dtype} tensor is marked as requiring grad")
            if node.get("parameter"):
                return Parameter(t, requires_grad=requires_grad)
            return t.requires_grad_(True) if requires_grad else t
        if tag == "$array":
            return read(value)
        if tag == "$scalar":
            return read(value)[()]
        if tag == "$float" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag == "$tuple" and isinstance(value, list):
            return tuple(_decode(v, read) for v in value)
        if tag in ("$dict", "$odict") and isinstance(value, list):
            pairs = []
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    break
                pairs.append((_decode_key(pair[0], read), _decode(pair[1], read)))
            else:
                return OrderedDict(pairs) if tag == "$odict" else dict(pairs)
    raise CheckpointError(f"load: {read.name}: malformed {_STRUCTURE} entry {str(node)[:80]}")


def _decode_key(node: Any, read: _ArrayReader) -> Any:
    if isinstance(node, dict) and list(node) == ["$tuple"] and isinstance(node["$tuple"], list):
        return tuple(_decode_key(k, read) for k in node["$tuple"])
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise CheckpointError(f"load: {read.name}: malformed dict key {str(node)[:80]} in {_STRUCTURE}")


# --- PyTorch --------------------------------------------------------------------------------


def to_torch_state_dict(state: Any) -> Any:
    """A copy of ``state`` (a state_dict, or any nesting of dicts, lists and tuples) with every
    ``Tensor`` and NumPy array turned into a ``torch.Tensor``, for ``torch_model.load_state_dict``.

    Parameter names and shapes of ndgrad's layers match torch's, so the keys carry over.
    Needs PyTorch, which is imported only here.
    """
    torch = _import_torch("to_torch_state_dict")

    def convert(value: Any, where: str) -> Any:
        if isinstance(value, (Tensor, np.ndarray)):
            return torch.from_numpy(np.asarray(value).copy())
        return value

    return _map_leaves(state, convert, "state")


def from_torch_state_dict(state: Any) -> Any:
    """A copy of ``state`` (e.g. ``torch_model.state_dict()``, or an optimizer's) with every
    ``torch.Tensor`` turned into an ndgrad ``Tensor`` of the same dtype and shape, for
    ``model.load_state_dict``. Needs PyTorch, which is imported only here.
    """
    torch = _import_torch("from_torch_state_dict")

    def convert(value: Any, where: str) -> Any:
        if not isinstance(value, torch.Tensor):
            return value
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            raise TypeError(f"from_torch_state_dict: {where} is bfloat16, which NumPy lacks; convert it first "
                            "with .float()")
        return ag.from_numpy(value.numpy().copy())

    return _map_leaves(state, convert, "state")


def _map_leaves(obj: Any, fn: Callable[[Any, str], Any], where: str) -> Any:
    if isinstance(obj, Mapping):
        out = {k: _map_leaves(v, fn, f"{where}[{k!r}]") for k, v in obj.items()}
        return OrderedDict(out) if isinstance(obj, OrderedDict) else out
    if isinstance(obj, (list, tuple)):
        items = [_map_leaves(v, fn, f"{where}[{i}]") for i, v in enumerate(obj)]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)  # namedtuples take fields
    return fn(obj, where)


def _import_torch(who: str) -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(f"{who} needs PyTorch, which is not installed (pip install torch)") from None
