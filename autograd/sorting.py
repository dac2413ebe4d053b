"""Order: sort, argsort, topk, kthvalue and unique. They are methods of ``Tensor`` (bound in
tensor.py) and functions of ``autograd``.

The order itself is computed on the values (indices are constants, int64); the values are
then gathered at those indices (an index, ``GetItem``), so each value's gradient goes back to
the element it came from, to any order, with no rule of its own. Sorts are stable, which an
unstable sort may be too; NaN sorts as the largest value, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .aliases import numpy_names
from .indexing_ops import _tensor
from .ops.scan import along
from .results import ValuesIndices
from .shapes import normalize_dim


@numpy_names
def sort(input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:  # noqa: A002
    """The values along ``dim`` in order, and where each came from: ``(values, indices)``.
    Equal values keep their order (the sort is stable whatever ``stable`` says)."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "sort")
    return _pick(x, axis, _argsort(x._data, axis, descending), keepdim=True)


@numpy_names
def argsort(input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:  # noqa: A002
    """The indices that sort the values along ``dim`` (int64, a constant)."""
    x = _tensor(input)
    return x._wrap(_argsort(x._data, normalize_dim(dim, x.ndim, "argsort"), descending))


@numpy_names
def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest values along ``dim`` (the smallest, if not ``largest``), in order, and
    their indices: ``(values, indices)``."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "topk")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k = {k} is out of range for dim {axis} of size {n} (shape {x.shape})")
    order = _argsort(x._data, axis, descending=largest)
    return _pick(x, axis, _window(order, axis, 0, k), keepdim=True)


@numpy_names
def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """The ``k``-th smallest value along ``dim`` (k from 1) and its index: ``(values, indices)``."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "kthvalue")
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k = {k} is out of range for dim {axis} of size {n} (shape {x.shape}); "
                           f"it counts from 1 to {n}")
    order = _argsort(x._data, axis, descending=False)
    return _pick(x, axis, _window(order, axis, k - 1, k), keepdim=keepdim)


def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: int | None = None) -> Any:
    """The distinct values in increasing order (the distinct slices along ``dim``); with
    ``return_inverse`` also where each element (slice) went, with ``return_counts`` how often
    each occurs. The results are constants, as torch has no gradient for them; NaNs are not
    merged, as in torch."""
    x = _tensor(input)
    if dim is None:
        values, inverse, counts = np.unique(x._data.reshape(-1), return_inverse=True, return_counts=True,
                                            equal_nan=False)
        inverse = inverse.reshape(x.shape)
    else:
        axis = normalize_dim(dim, x.ndim, "unique")
        values, inverse, counts = np.unique(x._data if x.ndim else x._data.reshape(1), return_inverse=True,
                                            return_counts=True, axis=axis, equal_nan=False)
        inverse = inverse.reshape(-1)
    results = [x._wrap(values)]
    if return_inverse:
        results.append(x._wrap(inverse.astype(np.int64)))
    if return_counts:
        results.append(x._wrap(counts.astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def _argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable indices that sort ``a`` along ``axis``, NaN as the largest value.

    NOTE: descending is not the ascending order reversed (ties would come out in reverse) nor
    that of ``-a`` (unsigned and bool values have no negatives): the reversed array is sorted,
    and its positions are mapped back and read from the end."""
    if a.ndim == 0:
        return np.zeros((), dtype=np.int64)
    if not descending:
        return np.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = a.shape[axis]
    backwards = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - backwards, axis).astype(np.int64, copy=False)


def _window(order: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    """Positions ``start`` to ``stop`` of an order along ``axis`` (a 0-d tensor's order as it is)."""
    return order if order.ndim == 0 else order[(slice(None),) * axis + (slice(start, stop),)]


def _pick(x: Any, axis: int, indices: np.ndarray, keepdim: bool) -> Any:
    """The values of ``x`` at ``indices`` along ``axis``, and the indices: ``(values, indices)``."""
    if x.ndim == 0:
        values = ops.Clone.apply(x)
    else:
        values = ops.GetItem.apply(x, along(indices, axis))
        if not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, x._wrap(indices))
