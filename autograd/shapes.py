"""Shape arithmetic shared by the ops: dims, keepdim shapes, broadcast reduction, and the
messages for getting them wrong."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def normalize_dim(dim: int, ndim: int, op: str = "") -> int:
    """A dim in [-ndim, ndim) made non-negative; a 0-d tensor accepts 0 and -1."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims (valid: {-n} to {n - 1})")
    return int(dim) % n if ndim else 0


def normalize_dims(dim: int | Iterable[int] | None, ndim: int, op: str = "") -> tuple[int, ...] | None:
    """``dim`` as a sorted tuple of distinct non-negative axes; None means every axis."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted({normalize_dim(d, ndim, op) for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same axis twice")
    return axes if ndim else ()


def keepdim_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def reduced_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The axes to sum a gradient of ``shape`` over to get ``target`` (which broadcasts to it)."""
    lead = len(shape) - len(target)
    if lead < 0 or any(t != 1 and t != s for t, s in zip(target, shape[lead:])):
        raise ValueError(f"a gradient of shape {shape} cannot be reduced to shape {target}")
    axes = tuple(range(lead)) + tuple(lead + i for i, t in enumerate(target) if t == 1 and shape[lead + i] != 1)
    return axes, lead


def broadcast_error(op: str, *shapes: Any) -> ValueError:
    listed = " and ".join(str(tuple(s)) for s in shapes)
    return ValueError(f"{op}: shapes {listed} do not broadcast (trailing dims must match or be 1)")


def numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
