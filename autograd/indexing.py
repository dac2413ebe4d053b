"""Indexing checks: indices (tensors, lists, arrays, slices) turned into what NumPy takes,
and checked against the shape, so that a bad index is named with its dim and size."""

from __future__ import annotations

from typing import Any

import numpy as np

from .variable import Variable


def _index(index: Any, shape: tuple[int, ...]) -> Any:
    """Index with tensors and lists turned into arrays, checked against ``shape``."""
    items = index if type(index) is tuple else (index,)
    converted = []
    for item in items:
        if isinstance(item, Variable):
            item = item._data
        elif isinstance(item, list):
            item = np.asarray(item) if item else np.zeros(0, dtype=np.int64)
        if isinstance(item, np.ndarray) and item.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be integer or bool, got dtype {item.dtype}")
        converted.append(item)
    _check_index(converted, shape)
    return tuple(converted) if type(index) is tuple else converted[0]


def _check_index(items: list[Any], shape: tuple[int, ...]) -> None:
    """Name the offending index and dim, where NumPy would say less."""
    consumed = sum(
        (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1)
        for i in items
        if i is not None and i is not Ellipsis
    )
    if consumed > len(shape):
        raise IndexError(f"too many indices ({consumed}) for a tensor of shape {shape}")
    dim = 0
    for pos, item in enumerate(items):
        if item is Ellipsis:
            dim = len(shape) - sum(
                (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1)
                for i in items[pos + 1 :]
                if i is not None and i is not Ellipsis
            )
            continue
        if item is None:
            continue
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            expected = shape[dim : dim + item.ndim]
            if item.shape != expected:
                raise IndexError(
                    f"boolean mask of shape {item.shape} does not match the tensor's shape {shape} at dims "
                    f"{dim}..{dim + item.ndim - 1} (sizes {expected})"
                )
            dim += item.ndim
            continue
        if (isinstance(item, (int, np.integer)) and not isinstance(item, bool)) or isinstance(item, np.ndarray):
            n = shape[dim]
            bad = np.asarray(item)
            if bad.size and (bad.max() >= n or bad.min() < -n):
                culprit = int(bad.max()) if bad.max() >= n else int(bad.min())
                raise IndexError(f"index {culprit} is out of range for dim {dim} of size {n} (tensor shape {shape})")
        dim += 1


