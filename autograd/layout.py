"""Ops that lay elements out anew: flip, roll, rot90, repeat and tile, the triangles and
diagonals of matrices, sliding windows (``unfold``), narrow and select, meshgrid and broadcasting.
They are methods of ``Tensor`` (bound in tensor.py) and functions of ``autograd``.

Each is composed from ops that have derivative rules (indexing, reshape, expand, permute,
cat, where), so each is differentiable to any order with no rule of its own. Where torch gives
a copy (flip, roll, repeat) the result is one; where it gives a view (narrow, select, unflatten,
broadcast_to) the result shares the input's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .aliases import numpy_names
from .indexing_ops import _broadcast_shape, _indices, _tensor
from .shapes import _shape_arg, normalize_dim, normalize_dims, numel
from .variable import Variable, data_of

_ALL = slice(None)


def flip(input: Any, dims: Any, *more: int) -> Any:  # noqa: A002
    """The elements in reverse order along each of ``dims`` (``x.flip(0, 1)`` or ``flip(x, [0, 1])``)."""
    x = _tensor(input)
    axes = normalize_dims(_dims_arg(dims, more), x.ndim, "flip") or ()
    index = tuple(slice(None, None, -1) if d in axes else _ALL for d in range(x.ndim))
    # NOTE: a reversed slice is a NumPy view; torch's flip is a copy, so the view is cloned.
    return ops.Clone.apply(ops.GetItem.apply(x, index) if axes else x)


def fliplr(input: Any) -> Any:  # noqa: A002
    """Flip along dim 1 (left and right), of a tensor with at least 2 dims."""
    x = _tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: needs a tensor with at least 2 dims, got shape {x.shape}")
    return flip(x, 1)


def flipud(input: Any) -> Any:  # noqa: A002
    """Flip along dim 0 (up and down), of a tensor with at least 1 dim."""
    x = _tensor(input)
    if x.ndim < 1:
        raise RuntimeError(f"flipud: needs a tensor with at least 1 dim, got shape {x.shape}")
    return flip(x, 0)


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:  # noqa: A002
    """The elements shifted by ``shifts`` along ``dims``, those that leave one end coming back
    at the other; with no dims, along the tensor read as 1-D."""
    x = _tensor(input)
    steps = _ints(shifts, "roll", "shifts")
    if dims is None:
        if len(steps) != 1:
            raise RuntimeError(f"roll: with no dims, shifts must be one int, got {shifts!r}")
        return roll(x.reshape(-1), steps, 0).reshape(x.shape)
    axes = [normalize_dim(d, x.ndim, "roll") for d in _ints(dims, "roll", "dims")]
    if len(axes) != len(steps):
        raise RuntimeError(f"roll: {len(steps)} shifts {shifts!r} for {len(axes)} dims {dims!r}; give one per dim")
    out = x
    for step, axis in zip(steps, axes):
        n = x.shape[axis] if x.ndim else 1
        step = step % n if n else 0
        if step:
            lead = (_ALL,) * axis
            out = ops.Cat.apply(ops.GetItem.apply(out, lead + (slice(n - step, None),)),
                                ops.GetItem.apply(out, lead + (slice(0, n - step),)), axis)
    return ops.Clone.apply(out) if out is x else out


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Any:  # noqa: A002
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards the second."""
    x = _tensor(input)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: dims must name two dims, got {dims!r}")
    a, b = (normalize_dim(d, x.ndim, "rot90") for d in dims)
    if x.ndim < 2 or a == b:
        raise RuntimeError(f"rot90: dims {tuple(dims)} must be two different dims of a tensor with at least 2 "
                           f"dims, got shape {x.shape}")
    k %= 4
    if k == 0:
        return ops.Clone.apply(x)
    if k == 2:
        return flip(x, [a, b])
    return flip(x, b if k == 1 else a).transpose(a, b)


def repeat(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """The tensor repeated ``sizes[i]`` times along dim i, as a copy; more sizes than dims add
    leading dims (``x.repeat(2, 3)``)."""
    x = _tensor(input)
    reps = _shape_arg(sizes)
    lead = len(reps) - x.ndim
    if lead < 0:
        raise RuntimeError(f"repeat: {len(reps)} repeats {reps} for a tensor of shape {x.shape}; give at least one "
                           "per dim")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"repeat: repeats must not be negative, got {reps}")
    shape = (1,) * lead + tuple(x.shape)
    # Each dim gets a new dim of its repeats before it, broadcast, then the two merge.
    paired = tuple(n for s in shape for n in (1, s))
    spread = tuple(n for r, s in zip(reps, shape) for n in (r, s))
    out = x.reshape(paired).expand(*spread).reshape(tuple(r * s for r, s in zip(reps, shape)))
    return ops.Clone.apply(out) if all(r == 1 for r in reps) else out


def tile(input: Any, dims: Any) -> Any:  # noqa: A002
    """``repeat`` with fewer repeats than dims allowed: the missing leading ones are 1."""
    x = _tensor(input)
    reps = _shape_arg((dims,))
    return repeat(x, (1,) * (x.ndim - len(reps)) + reps)


@numpy_names
def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Any:
    """Each element (each slice along ``dim``) repeated ``repeats`` times in place, where
    ``repeats`` is an int or one count per slice; with no dim, along the tensor read as 1-D.
    Given a tensor of counts alone, the indices repeated that often."""
    if repeats is None:  # repeat_interleave(counts): 0, 1, 2, ... each as often as counted
        counts = _counts(input, "repeat_interleave")
        return _tensor(input)._wrap(np.repeat(np.arange(counts.size), counts))
    x = _tensor(input)
    if dim is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = normalize_dim(dim, x.ndim, "repeat_interleave")
        if x.ndim == 0:
            x = x.reshape(1)
    n = x.shape[axis]
    counts = _counts(repeats, "repeat_interleave")
    if counts.ndim == 0 or counts.size == 1:
        r = int(counts.reshape(-1)[0]) if counts.size else 0
        out = x.unsqueeze(axis + 1).expand(*x.shape[: axis + 1], r, *x.shape[axis + 1 :])
        out = out.reshape(*x.shape[:axis], n * r, *x.shape[axis + 1 :])
    else:
        if counts.shape != (n,):
            raise RuntimeError(f"repeat_interleave: {counts.size} repeats for {n} slices along dim {axis} "
                               f"(shape {x.shape}); give one per slice or a single one")
        out = ops.GetItem.apply(x, (_ALL,) * axis + (np.repeat(np.arange(n), counts),))
    if output_size is not None and out.shape[axis] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} but the repeats make {out.shape[axis]}")
    return out


def tril(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The lower triangle of the matrices in the last two dims (on and below ``diagonal``), zeros above."""
    x = _matrices(input, "tril")
    return ops.Where.apply(np.tri(x.shape[-2], x.shape[-1], diagonal, dtype=bool), x, x.dtype.type(0))


def triu(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The upper triangle of the matrices in the last two dims (on and above ``diagonal``), zeros below."""
    x = _matrices(input, "triu")
    return ops.Where.apply(~np.tri(x.shape[-2], x.shape[-1], diagonal - 1, dtype=bool), x, x.dtype.type(0))


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:  # noqa: A002
    """The diagonal of the matrices in ``dim1`` and ``dim2`` (above the main one for ``offset``
    > 0), as the last dim of the result."""
    x = _matrices(input, "diagonal", last=False)
    a, b = normalize_dim(dim1, x.ndim, "diagonal"), normalize_dim(dim2, x.ndim, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dim1 and dim2 must differ, both are dim {a}")
    rows, cols = _diagonal_positions(x.shape[a], x.shape[b], offset)
    others = [d for d in range(x.ndim) if d not in (a, b)]
    return ops.GetItem.apply(x.permute(*others, a, b), (Ellipsis, rows, cols))


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: A002
    """Matrices in ``dim1`` and ``dim2`` with the last dim of ``input`` on their diagonal
    (``offset`` above the main one), zeros elsewhere."""
    x = _tensor(input)
    if x.ndim == 0:
        raise RuntimeError("diag_embed: needs a tensor with at least 1 dim, got a 0-d one")
    ndim = x.ndim + 1
    a, b = normalize_dim(dim1, ndim, "diag_embed"), normalize_dim(dim2, ndim, "diag_embed")
    if a == b:
        raise RuntimeError(f"diag_embed: dim1 and dim2 must differ, both are dim {a}")
    n = x.shape[-1]
    m = n + abs(offset)
    rows, cols = _diagonal_positions(m, m, offset)
    out = ops.IndexAdd.apply(x, (Ellipsis, rows, cols), (*x.shape[:-1], m, m))
    order = iter(range(ndim - 2))
    return out.permute(*(ndim - 2 if d == a else ndim - 1 if d == b else next(order) for d in range(ndim)))


def diag(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """A 1-D tensor as the ``diagonal`` of a square matrix of zeros, or a matrix's diagonal as 1-D."""
    x = _tensor(input)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return x.diagonal(diagonal)
    raise RuntimeError(f"diag: needs a 1-D or 2-D tensor, got shape {x.shape}")


def trace(input: Any) -> Any:  # noqa: A002
    """The sum of a matrix's diagonal."""
    x = _tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: needs a matrix (2-D), got shape {x.shape}")
    return diagonal(x).sum()


def unfold(input: Any, dimension: int, size: int, step: int) -> Any:  # noqa: A002
    """The windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim
    (the windows' count replaces that dim)."""
    x = _tensor(input)
    axis = normalize_dim(dimension, x.ndim, "unfold")
    n = x.shape[axis] if x.ndim else 1
    if step <= 0 or size < 0 or size > n:
        raise RuntimeError(f"unfold: a window of size {size} and step {step} does not fit dim {axis} of size {n} "
                           f"(shape {x.shape}); the size must be at most {n} and the step positive")
    if x.ndim == 0:
        return x.reshape(1)[:size]
    starts = np.arange((n - size) // step + 1) * step
    windows = ops.GetItem.apply(x, (_ALL,) * axis + (starts[:, None] + np.arange(size),))
    return windows.movedim(axis + 1, -1)


@numpy_names
def unflatten(input: Any, dim: int, sizes: Sequence[int]) -> Any:  # noqa: A002
    """Dim ``dim`` split into several of ``sizes`` (one of them may be -1, for what is left)."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "unflatten")
    sizes = _shape_arg((sizes,))
    n = x.shape[axis]
    known, free = numel(tuple(s for s in sizes if s != -1)), sizes.count(-1)
    if not sizes or free > 1 or any(s < -1 for s in sizes) or (
            known != n if free == 0 else known == 0 or n % known != 0):
        raise RuntimeError(f"unflatten: sizes {sizes} do not split dim {axis} of size {n} (shape {x.shape})")
    return x.reshape(*x.shape[:axis], *sizes, *x.shape[axis + 1 :])


@numpy_names
def narrow(input: Any, dim: int, start: Any, length: int) -> Any:  # noqa: A002
    """``length`` elements along ``dim`` from ``start`` (a negative start counts from the end): a view."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "narrow")
    first = int(data_of(start))
    n = x.shape[axis]
    if not -n <= first <= n:
        raise IndexError(f"narrow: start {first} is out of range for dim {axis} of size {n} (shape {x.shape})")
    first %= max(n, 1)
    if length < 0 or first + length > n:
        raise RuntimeError(f"narrow: start {first} and length {length} do not fit dim {axis} of size {n} "
                           f"(shape {x.shape})")
    return ops.GetItem.apply(x, (_ALL,) * axis + (slice(first, first + length),))


@numpy_names
def select(input: Any, dim: int, index: int) -> Any:  # noqa: A002
    """The slice at ``index`` along ``dim``, which disappears: a view."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "select")
    n = x.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dim {axis} of size {n} (shape {x.shape})")
    return ops.GetItem.apply(x, (_ALL,) * axis + (int(index),))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Any, ...]:
    """Coordinate grids from 1-D tensors: output i holds tensor i's values along its own dim,
    repeated along the others. ``indexing="ij"`` (the default) gives the shape (len0, len1, ...);
    ``"xy"`` swaps the first two dims, as for x and y of an image."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in (None, "ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError("meshgrid: needs at least one tensor")
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: tensor {i} has shape {t.shape}; each must be 0-d or 1-D")
        if t.dtype != ts[0].dtype:
            raise TypeError(f"meshgrid: tensor {i} has dtype {t.dtype} but tensor 0 has {ts[0].dtype}")
    where = list(range(len(ts)))
    if indexing == "xy" and len(ts) > 1:
        where[0], where[1] = 1, 0
    shape = [0] * len(ts)
    for i, t in enumerate(ts):
        shape[where[i]] = t.numel()
    return tuple(t.reshape(*(-1 if d == where[i] else 1 for d in range(len(ts)))).expand(*shape)
                 for i, t in enumerate(ts))


def broadcast_to(input: Any, size: Sequence[int]) -> Any:  # noqa: A002
    """The tensor broadcast to ``size`` (-1 keeps a dim's size): a view, as ``expand``."""
    return _tensor(input).expand(*_shape_arg((size,)))


def broadcast_tensors(*tensors: Any) -> tuple[Any, ...]:
    """The tensors broadcast to their common shape."""
    ts = [_tensor(t) for t in tensors]
    shape = _broadcast_shape("broadcast_tensors", *(t.shape for t in ts))
    return tuple(t.expand(*shape) for t in ts)


# --- helpers -------------------------------------------------------------------------------------


def _dims_arg(dims: Any, more: tuple[int, ...]) -> tuple[int, ...]:
    """Dims given as f(0, 1) or f((0, 1)) or f([0, 1])."""
    if isinstance(dims, (list, tuple)):
        if more:
            raise TypeError(f"dims given both as a sequence {dims!r} and as more ints {more!r}")
        return tuple(dims)
    return (dims, *more)


def _ints(value: Any, op: str, name: str) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")
    return tuple(int(i) for i in items)


def _counts(repeats: Any, op: str) -> np.ndarray:
    counts = _indices(repeats, op) if isinstance(repeats, (Variable, np.ndarray, list)) else np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"{op}: repeats must be an int or a 0-d or 1-D integer tensor, got {repeats!r}")
    if counts.size and counts.min() < 0:
        raise RuntimeError(f"{op}: repeats must not be negative, got {counts.tolist()}")
    return counts


def _matrices(input: Any, op: str, last: bool = True) -> Any:  # noqa: A002
    x = _tensor(input)
    if x.ndim < 2:
        where = " in its last two dims" if last else ""
        raise RuntimeError(f"{op}: needs a tensor of matrices{where} (at least 2 dims), got shape {x.shape}")
    return x


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The (row, column) positions of diagonal ``offset`` of a rows x cols matrix."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    return np.arange(length) - min(offset, 0), np.arange(length) + max(offset, 0)
