"""Indexing: indices (tensors, lists, arrays, slices) turned into what NumPy takes, checked
against the shape, so that a bad index is named with its dim and size; and where torch's
result of ``x[index]`` puts its dims when NumPy's would put them elsewhere."""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import is_tensor
from .variable import Variable, data_of


def _index(index: Any, shape: tuple[int, ...]) -> Any:
    """Index with tensors and lists turned into arrays, checked against ``shape``."""
    items = index if type(index) is tuple else (index,)
    converted = []
    for item in items:
        if isinstance(item, Variable):
            item = item._data
        elif isinstance(item, list):
            item = np.asarray(item) if item else np.zeros(0, dtype=np.int64)
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "biu":
                raise IndexError(f"tensors used as indices must be integer or bool, got dtype {item.dtype}")
            if item.ndim == 0 and item.dtype.kind in "iu":
                item = int(item)  # a 0-d integer tensor indexes as an int does (a select), as in torch
        converted.append(item)
    _check_index(converted, shape)
    return tuple(converted) if type(index) is tuple else converted[0]


def _check_index(items: list[Any], shape: tuple[int, ...]) -> None:
    """Name the offending index and dim, where NumPy would say less."""
    consumed = sum(_dims_taken(i) for i in items if i is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices ({consumed}) for a tensor of shape {shape}")
    dim = 0
    for pos, item in enumerate(items):
        if item is Ellipsis:
            dim = len(shape) - sum(_dims_taken(i) for i in items[pos + 1 :] if i is not Ellipsis)
            continue
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            expected = shape[dim : dim + item.ndim]
            if item.shape != expected:
                raise IndexError(
                    f"boolean mask of shape {item.shape} does not match the tensor's shape {shape} at dims "
                    f"{dim}..{dim + item.ndim - 1} (sizes {expected})"
                )
        elif _is_int(item) or isinstance(item, np.ndarray):
            n = shape[dim]
            bad = np.asarray(item)
            if bad.size and (bad.max() >= n or bad.min() < -n):
                culprit = int(bad.max()) if bad.max() >= n else int(bad.min())
                raise IndexError(f"index {culprit} is out of range for dim {dim} of size {n} (tensor shape {shape})")
        dim += _dims_taken(item)


def torch_order(index: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """How torch's result of ``x[index]`` differs from NumPy's: None where they agree, else
    ``(perm, torch_shape)``, torch's result being NumPy's transposed by ``perm``.

    Both pick the same elements. torch applies an int index first, as a select, and then the
    index arrays; NumPy broadcasts the ints with the arrays, as index arrays themselves. The
    dims of the broadcast index arrays go where the first of them is if they sit next to one
    another in the index, else first; so ``x[0, :, [0, 1]]`` on a (3, 4, 5) tensor is (4, 2)
    in torch (the arrays alone once the int is gone) and (2, 4) in NumPy (the int and the
    array are apart). ``index`` is one that ``_index`` returned.
    """
    if type(index) is not tuple:
        return None
    has_int = has_array = False
    for item in index:
        if isinstance(item, (np.ndarray, bool, np.bool_)):
            has_array = True
        elif isinstance(item, (int, np.integer)):
            has_int = True
    if not (has_int and has_array):
        return None
    items = _expand_ellipsis(index, len(shape))
    sizes, arrays, dim = [], [], 0  # sizes: the result's dims that slices and None give
    for item in items:
        if item is None:
            sizes.append(1)
        elif isinstance(item, slice):
            sizes.append(len(range(*item.indices(shape[dim]))))
        elif isinstance(item, (np.ndarray, bool, np.bool_)):
            item = np.asarray(item)
            arrays.append((np.count_nonzero(item),) if item.dtype == np.bool_ else item.shape)
        dim += _dims_taken(item)
    try:
        block = np.broadcast_shapes(*arrays)
    except ValueError:
        return None  # NumPy names the mismatch when it indexes
    ours = _block_position(items, lambda i: not _is_int(i) and _is_advanced(i), skip=_is_int)
    theirs = _block_position(items, _is_advanced)
    if ours == theirs:
        return None
    n = len(block)
    numpy_shape = (*sizes[:theirs], *block, *sizes[theirs:])
    others = [i for i in range(len(numpy_shape)) if not theirs <= i < theirs + n]
    perm = (*others[:ours], *range(theirs, theirs + n), *others[ours:])
    return perm, tuple(numpy_shape[i] for i in perm)


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _is_advanced(item: Any) -> bool:
    return isinstance(item, (np.ndarray, bool, np.bool_, int, np.integer))


def _dims_taken(item: Any) -> int:
    """How many dims of the tensor an index item consumes."""
    if item is None or isinstance(item, (bool, np.bool_)):
        return 0
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def _expand_ellipsis(items: tuple[Any, ...], ndim: int) -> list[Any]:
    """The index with its ellipsis, or the dims it leaves out at the end, as whole slices."""
    taken = sum(_dims_taken(i) for i in items if i is not Ellipsis)
    if not any(i is Ellipsis for i in items):
        items = (*items, Ellipsis)
    expanded: list[Any] = []
    for item in items:
        expanded.extend([slice(None)] * (ndim - taken) if item is Ellipsis else [item])
    return expanded


def _block_position(items: list[Any], advanced: Any, skip: Any = None) -> int:
    """Where the dims of the broadcast index arrays go: at the first of them if they are next to
    one another (items that ``skip`` holds for left out), else first."""
    kept = [i for i in items if skip is None or not skip(i)]
    at = [k for k, item in enumerate(kept) if advanced(item)]
    if at[-1] - at[0] != len(at) - 1:
        return 0
    return sum(1 for item in kept[: at[0]] if item is None or isinstance(item, slice))


def in_numpy_order(value: Any, perm: tuple[int, ...], torch_shape: tuple[int, ...]) -> Any:
    """A value to assign at an index in torch's order, broadcast and transposed to NumPy's
    (a tensor through its recorded ops, so that its gradient follows)."""
    inverse = tuple(np.argsort(perm).tolist())
    shape = np.shape(data_of(value))
    extra = len(shape) - len(torch_shape)
    if extra > 0 and all(n == 1 for n in shape[:extra]):  # leading size-1 dims are dropped, as in torch
        shape = shape[extra:]
    try:
        target = np.broadcast_shapes(shape, torch_shape)
    except ValueError:
        target = None
    if target != torch_shape:
        raise ValueError(f"__setitem__: a value of shape {np.shape(data_of(value))} does not broadcast to the "
                         f"indexed shape {torch_shape}")
    if is_tensor(value):
        return value.reshape(shape).expand(*torch_shape).permute(*inverse)
    return np.transpose(np.broadcast_to(np.reshape(value, shape), torch_shape), inverse)
