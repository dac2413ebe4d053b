"""Checkpoints that cannot run code: ``save`` and ``load`` (ndgrad's ``torch.save`` and
``torch.load``) in two formats, and conversion of PyTorch state_dicts.

What can be saved: tensors, NumPy arrays and scalars, numbers, strings, None, and dicts
(plain or OrderedDict), lists and tuples of them nested to any depth: a module's
``state_dict()``, an optimizer's, or a training checkpoint such as
``{"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}``. It loads back with
the same structure: the same container types, dict key order, dtypes and shapes, and
``Parameter`` s and ``requires_grad`` as saved. A whole module, an optimizer or any other
object is refused; save its ``state_dict()`` (the line torch's ``weights_only`` loading draws).

The format is chosen by the file name when saving and by the content when loading:

``.npz`` (any name not ending in ``.safetensors``)
    A NumPy zip archive with one ``.npy`` member per array and a ``structure.json`` member
    that describes the saved object and refers to the arrays by number. An array reached
    twice (tied weights) is stored once and shared again on load. Nothing is pickled:
    arrays are written and read with ``allow_pickle=False``, so an archive that smuggles
    in a pickled object array is refused instead of executed.

``.safetensors``
    The format of the ``safetensors`` package (a JSON header, then the raw little-endian
    bytes of each tensor), which PyTorch (``safetensors.torch.load_file``) and Hugging Face
    tools read. Each tensor is stored under a name: a state_dict's own keys, and for
    nested objects the path of keys and indices joined by dots (``state.0.exp_avg`` in an
    optimizer's state_dict), with ``#2``, ``#3``... appended when two paths spell the same
    name. The header's metadata holds the same structure description under
    ``ndgrad.structure``, referring to tensors by name and recording a CRC-32 of each (the
    format has no checksum of its own), and ``"format": "pt"``, which Hugging Face loaders
    require and which says the tensors follow PyTorch's layouts (ndgrad's layers do). So
    that every name is a whole tensor for other readers, a tensor reached twice is written
    twice and loads as two tensors. The format holds bool, (unsigned) integers of 8 to 64
    bits, float16/32/64 and complex64; anything else is refused (save to ``.npz``). A
    safetensors file written by another program loads as an OrderedDict of its tensors,
    sorted by name.

Both formats record a format version, and files from a newer one are refused rather than
misread. Saving to a path is atomic: the file is written to a temporary file in the same
directory, flushed to disk, then renamed over the target, so a crash during a save leaves
either the previous checkpoint or the new one, never a torn file. (A crash can leave a
stray ``.<name>.*.tmp`` file beside it.)
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import math
import os
import secrets
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import IO, Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

import autograd as ag
from autograd import Tensor

from .module import Parameter

__all__ = ["FORMAT_VERSION", "CheckpointError", "from_torch_state_dict", "load", "save", "to_torch_state_dict"]

FORMAT_VERSION = 1
_FORMAT_NAME = "ndgrad-checkpoint"
_STRUCTURE = "structure.json"  # the npz member that describes the object
_SAFETENSORS_STRUCTURE = "ndgrad.structure"  # the same description, in a safetensors header's metadata
_SAFETENSORS_SUFFIX = ".safetensors"
_SAFE_KINDS = "biufc"  # bool, ints, floats, complex: dtypes whose .npy form holds no Python objects
# The safetensors dtype codes that NumPy has, by NumPy's dtype name.
_SAFETENSORS_CODES = {
    "bool": "BOOL", "int8": "I8", "uint8": "U8", "int16": "I16", "uint16": "U16", "int32": "I32", "uint32": "U32",
    "int64": "I64", "uint64": "U64", "float16": "F16", "float32": "F32", "float64": "F64", "complex64": "C64",
}

PathOrFile = str | os.PathLike | IO[bytes]


class CheckpointError(ValueError):
    """A file that is not a valid ndgrad checkpoint (truncated, foreign, unsafe or too new)."""


# --- save --------------------------------------------------------------------------------


def save(obj: Any, f: PathOrFile, compress: bool = False) -> None:
    """Write ``obj`` (a tensor, a state_dict, or any nesting of dicts, lists and tuples of
    tensors, NumPy arrays, numbers, strings and None) to ``f``, a path or a binary file object.

    A name ending in ``.safetensors`` (the path, or a file object's ``name``) writes the
    safetensors format, any other the ``.npz`` format (see the module's docstring). To a
    path the write is atomic: a crash never leaves a half-written checkpoint in its place.
    ``compress`` deflates the arrays of an ``.npz`` (smaller files, slower saves). Dict keys
    may be strings, ints, floats, bools, None or tuples of those; tensors keep their dtype,
    shape and ``requires_grad``, and ``Parameter`` s stay parameters. Everything is checked
    before the file is touched: what cannot be stored raises TypeError and writes nothing.
    """
    name = getattr(f, "name", None) if hasattr(f, "write") else os.fspath(f)
    if isinstance(name, str) and name.lower().endswith(_SAFETENSORS_SUFFIX):
        if compress:
            raise ValueError("save: the safetensors format stores tensors uncompressed; compress=True needs an .npz "
                             f"file name instead of {name!r}")
        write = _safetensors_writer(obj)
    else:
        write = _npz_writer(obj, compress)
    if isinstance(f, (str, os.PathLike)):  # a file name, not a file object
        _write_atomically(os.fspath(f), write)
    else:
        write(f)


def _npz_writer(obj: Any, compress: bool) -> Callable[[IO[bytes]], None]:
    arrays = _NumberedArrays()
    structure = _structure_json(_encode(obj, arrays, ()))
    return lambda handle: _write_archive(handle, structure, arrays.arrays, compress)


def _safetensors_writer(obj: Any) -> Callable[[IO[bytes]], None]:
    tensors = _NamedTensors()
    structure = _structure_json(_encode(obj, tensors, ()), crc32=tensors.checksums)
    metadata = {"format": "pt", _SAFETENSORS_STRUCTURE: structure.decode("utf-8")}
    return lambda handle: _write_safetensors(handle, tensors.arrays, metadata)


def _structure_json(root: Any, **extra: Any) -> bytes:
    header = {"format": _FORMAT_NAME, "version": FORMAT_VERSION, "root": root, **extra}
    return json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _write_archive(handle: IO[bytes], structure: bytes, arrays: list[np.ndarray], compress: bool) -> None:
    """The archive: structure.json, then one .npy member per array (written without pickle)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(handle, "w", compression=method, allowZip64=True) as archive:
        archive.writestr(_STRUCTURE, structure)
        for i, array in enumerate(arrays):
            with archive.open(f"a{i}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _write_safetensors(handle: IO[bytes], arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    handle.write(safetensors.numpy.save(arrays, metadata=metadata))


def _write_atomically(path: str, write: Callable[[IO[bytes]], None]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name such as {path!r}/model.npz")
    tmp, fd = _create_temp(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)  # make the rename itself durable


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


def _where(path: tuple[Any, ...]) -> str:
    """How error messages name a part of the saved object: obj['state'][0]['exp_avg']."""
    return "obj" + "".join(f"[{key!r}]" for key in path)


class _NumberedArrays:
    """The .npz format's arrays: numbered in order, an array reached twice stored once."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.numbers: dict[tuple[Any, ...], int] = {}

    def __call__(self, array: np.ndarray, path: tuple[Any, ...]) -> int:
        _check_storable(array, path)
        # Keyed by the memory an array shows, not its id: a tensor may hand out a new view
        # object each time it is asked, and tied weights must still be found tied.
        key = (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str)
        if key not in self.numbers:
            self.numbers[key] = len(self.arrays)
            self.arrays.append(array)
        return self.numbers[key]


class _NamedTensors:
    """The safetensors format's tensors, each under a name spelled from its path."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.checksums: dict[str, int] = {}

    def __call__(self, array: np.ndarray, path: tuple[Any, ...]) -> str:
        _check_storable(array, path)
        if array.dtype.name not in _SAFETENSORS_CODES:
            raise TypeError(f"save: {_where(path)} has dtype {array.dtype}, which the safetensors format cannot hold "
                            f"(it holds {', '.join(_SAFETENSORS_CODES)}); save to an .npz file instead")
        base = ".".join(str(key) for key in path) or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":  # the header's own key for metadata
            n += 1
            name = f"{base}#{n}"
        # The safetensors writer reads the raw buffer, which must be C-ordered and little-endian.
        array = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
        self.arrays[name] = array
        self.checksums[name] = zlib.crc32(array.data)
        return name


def _check_storable(array: np.ndarray, path: tuple[Any, ...]) -> None:
    if array.dtype.kind not in _SAFE_KINDS:
        raise TypeError(f"save: {_where(path)} has dtype {array.dtype}; only bool, integer, float and complex arrays "
                        "can be saved (anything else would need pickle)")


def _encode(obj: Any, store: Callable[[np.ndarray, tuple[Any, ...]], Any], path: tuple[Any, ...]) -> Any:
    """The JSON form of ``obj``; arrays go to ``store``, which returns how to refer to them."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        # JSON has no NaN or infinity; repr gives 'nan', 'inf', '-inf', which float() reads back.
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, Tensor):
        node = {"$tensor": store(obj.detach().numpy(), path)}
        if obj.requires_grad:
            node["requires_grad"] = True
        if isinstance(obj, Parameter):
            node["parameter"] = True
        return node
    if isinstance(obj, np.ndarray):
        return {"$array": store(obj, path)}
    if isinstance(obj, np.generic):
        return {"$scalar": store(np.asarray(obj), path)}
    if isinstance(obj, Mapping):
        items = [[_encode_key(key, path), _encode(value, store, (*path, key))] for key, value in obj.items()]
        return {"$odict" if isinstance(obj, OrderedDict) else "$dict": items}
    if isinstance(obj, list):
        return [_encode(v, store, (*path, i)) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"$tuple": [_encode(v, store, (*path, i)) for i, v in enumerate(obj)]}
    if hasattr(obj, "state_dict"):
        raise TypeError(f"save: {_where(path)} is a {type(obj).__name__}, a whole object, which cannot be stored "
                        "without pickle; save its state_dict() instead, as in nn.save(model.state_dict(), path)")
    raise TypeError(
        f"save: cannot store {_where(path)}, a {type(obj).__name__}; checkpoints hold tensors, NumPy arrays, numbers, "
        "strings, None and dicts, lists and tuples of them (for a module or an optimizer, save its state_dict())"
    )


def _encode_key(key: Any, path: tuple[Any, ...]) -> Any:
    if key is None or isinstance(key, (bool, int, str)) or (isinstance(key, float) and math.isfinite(key)):
        return key
    if isinstance(key, tuple):
        return {"$tuple": [_encode_key(k, path) for k in key]}
    raise TypeError(f"save: dict key {key!r} in {_where(path)} is a {type(key).__name__}; keys must be str, int, "
                    "float, bool, None or tuples of those")


# --- load --------------------------------------------------------------------------------


def load(f: PathOrFile, map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Read what ``save`` wrote (either format, told apart by content), or any safetensors
    file, from a path or a binary file object.

    Never unpickles anything, so loading an untrusted file cannot run its code. Raises
    ``CheckpointError`` (a ValueError) for a file that is truncated or corrupt, of another
    format, holds pickled (object) arrays, or comes from a newer format version.

    ``map_location`` and ``weights_only`` are torch.load's: tensors always load on the CPU,
    so ``map_location`` may be None, ``"cpu"``, a device that is the CPU, a dict whose
    targets are the CPU, or a function (not called: there is nothing to move); another
    device raises ValueError. ``weights_only`` may be None, True or False and changes
    nothing: every load is as safe as torch's ``weights_only=True``.
    """
    _check_map_location(map_location)
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True, False or None, got {weights_only!r}")
    name = repr(os.fspath(f)) if not hasattr(f, "read") else "the file object"
    magic = _peek(f, 9)
    if magic.startswith(b"PK"):
        return _load_npz(f, name)
    if _looks_like_safetensors(magic):
        return _load_safetensors(_read_all(f), name)
    raise CheckpointError(f"load: {name} is not an ndgrad checkpoint: {_describe_foreign(magic)}")


def _check_map_location(map_location: Any) -> None:
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, Mapping) else [map_location]
    for target in targets:
        if not isinstance(target, str) and not hasattr(target, "type"):  # torch.device and its stand-ins have .type
            raise TypeError(f"load: map_location must be a device, a dict of devices or a function, got {target!r}")
        ag.device(str(target))  # raises for any device but the CPU


def _peek(f: PathOrFile, n: int) -> bytes:
    if isinstance(f, (str, bytes, os.PathLike)):  # a file name, not a file object
        with open(f, "rb") as handle:
            return handle.read(n)
    start = f.tell()
    head = f.read(n)
    f.seek(start)
    return head


def _read_all(f: PathOrFile) -> bytes:
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as handle:
            return handle.read()
    return f.read()


def _looks_like_safetensors(magic: bytes) -> bool:
    # Eight bytes of header length, then the header, a JSON object.
    return len(magic) == 9 and magic[8:9] == b"{"


def _describe_foreign(magic: bytes) -> str:
    if not magic:
        return "it is empty"
    if magic.startswith(b"\x93NUMPY"):
        return "it is a single .npy array, not an archive"
    if magic[:1] == b"\x80":
        return "it looks like a pickle, which is never loaded since unpickling can run code"
    return f"it does not start like a zip/npz archive or a safetensors file (first bytes {magic!r})"


def _read_header(raw: Any, name: str, label: str) -> dict[str, Any]:
    """The structure description (``label`` says where it was found), checked."""
    if not isinstance(raw, (bytes, str)):
        raise CheckpointError(f"load: {name}: {label} is not JSON text")
    try:
        header = json.loads(raw)
    except ValueError as e:  # includes UnicodeDecodeError
        raise CheckpointError(f"load: {name}: cannot read {label} (corrupt?): {e}") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME or "root" not in header:
        raise CheckpointError(f"load: {name}: {label} is not an ndgrad checkpoint header")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"load: {name}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"load: {name} has checkpoint format version {version}, newer than the versions up to "
                              f"{FORMAT_VERSION} that this ndgrad reads; upgrade ndgrad to load it")
    return header


def _load_npz(f: PathOrFile, name: str) -> Any:
    try:
        # NOTE: a path is read whole first: np.load leaves the file it opened unclosed when the
        # archive turns out to be corrupt.
        archive = np.load(f if hasattr(f, "read") else io.BytesIO(_read_all(f)), allow_pickle=False)
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
        try:
            raw = archive[_STRUCTURE]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise CheckpointError(f"load: {name}: cannot read {_STRUCTURE} (corrupt?): {e}") from None
        header = _read_header(raw, name, _STRUCTURE)
        return _decode_root(header, _ArchiveArrays(archive, name))


def _load_safetensors(data: bytes, name: str) -> Any:
    header_length = int.from_bytes(data[:8], "little")
    if len(data) < 8 + header_length:
        raise CheckpointError(f"load: {name} is a truncated safetensors file: its header says {header_length} bytes, "
                              f"the file has {len(data) - 8} after the length")
    try:
        header = json.loads(data[8 : 8 + header_length])  # an object: _looks_like_safetensors saw its "{"
    except ValueError as e:
        raise CheckpointError(f"load: {name}: the safetensors header is not JSON (corrupt?): {e}") from None
    for key, info in header.items():
        code = info.get("dtype") if isinstance(info, dict) and key != "__metadata__" else None
        if isinstance(code, str) and code not in _SAFETENSORS_CODES.values():
            hint = " (NumPy has no bfloat16: convert it with .float() before saving)" if code == "BF16" else ""
            raise CheckpointError(f"load: {name}: tensor {key!r} has dtype {code}, which ndgrad cannot hold{hint}")
    try:
        arrays = safetensors.numpy.load(data)
    except SafetensorError as e:
        raise CheckpointError(f"load: {name} is not a readable safetensors file (truncated or corrupt?): {e}") from None
    metadata = header.get("__metadata__") or {}
    if _SAFETENSORS_STRUCTURE not in metadata:  # written by another program: a flat state_dict
        return OrderedDict((key, ag.from_numpy(_writable(arrays[key]))) for key in sorted(arrays))
    label = f"the {_SAFETENSORS_STRUCTURE} of its metadata"
    structure = _read_header(metadata[_SAFETENSORS_STRUCTURE], name, label)
    checksums = structure.get("crc32", {})
    if not isinstance(checksums, dict):
        raise CheckpointError(f"load: {name}: malformed checksums in {label}")
    read = _NamedArrays(arrays, checksums, name, label)
    obj = _decode_root(structure, read)
    unused = sorted(set(arrays) - read.used)
    if unused:
        raise CheckpointError(f"load: {name}: tensors {unused[:8]} are in the file but not in {label} (was the "
                              "file changed by another program?)")
    return obj


def _writable(array: np.ndarray) -> np.ndarray:
    # A tensor over a read-only buffer would fail at its first in-place update.
    return array if array.flags.writeable else array.copy()


class _ArchiveArrays:
    """Reads the .npz archive's arrays on demand, pickle disabled, each member at most once."""

    label = _STRUCTURE

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


class _NamedArrays:
    """The safetensors file's arrays, by name, each checked against its recorded CRC-32."""

    def __init__(self, arrays: dict[str, np.ndarray], checksums: dict[str, Any], name: str, label: str) -> None:
        self.arrays, self.checksums, self.name, self.label = arrays, checksums, name, label
        self.used: set[str] = set()

    def __call__(self, ref: Any) -> np.ndarray:
        if not isinstance(ref, str):
            raise CheckpointError(f"load: {self.name}: bad tensor reference {ref!r} in {self.label}")
        if ref not in self.arrays:
            raise CheckpointError(f"load: {self.name}: tensor {ref!r}, named in {self.label}, is missing from the file")
        array = _writable(self.arrays[ref])
        expected = self.checksums.get(ref)
        if expected is not None and zlib.crc32(array.data) != expected:
            raise CheckpointError(f"load: {self.name}: tensor {ref!r} does not match its checksum (corrupt?)")
        self.used.add(ref)
        return array


def _decode_root(header: dict[str, Any], read: _ArchiveArrays | _NamedArrays) -> Any:
    try:
        return _decode(header["root"], read)
    except RecursionError:
        raise CheckpointError(f"load: {read.name} nests its structure too deeply") from None


def _decode(node: Any, read: _ArchiveArrays | _NamedArrays) -> Any:
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
    raise CheckpointError(f"load: {read.name}: malformed entry {str(node)[:80]} in {read.label}")


def _decode_key(node: Any, read: _ArchiveArrays | _NamedArrays) -> Any:
    if isinstance(node, dict) and list(node) == ["$tuple"] and isinstance(node["$tuple"], list):
        return tuple(_decode_key(k, read) for k in node["$tuple"])
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise CheckpointError(f"load: {read.name}: malformed dict key {str(node)[:80]} in {read.label}")


# --- PyTorch --------------------------------------------------------------------------------


def to_torch_state_dict(state: Any) -> Any:
    """A copy of ``state`` (a state_dict, or any nesting of dicts, lists and tuples) with every
    ``Tensor`` and NumPy array turned into a ``torch.Tensor``, for ``torch_model.load_state_dict``.

    Parameter names and shapes of ndgrad's layers match torch's, so the keys carry over.
    Needs PyTorch, which is imported only here.
    """
    torch = _import_torch("to_torch_state_dict")

    def convert(value: Any, where: str) -> Any:
        if isinstance(value, Tensor):
            value = value.detach().numpy()
        if isinstance(value, np.ndarray):
            return torch.from_numpy(value.copy())
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
