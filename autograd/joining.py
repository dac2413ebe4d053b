"""Joining tensors: cat and stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .numpy_api import implements
from .shapes import normalize_dim
from .tensor import Tensor


@implements(np.concatenate)
def cat(tensors: Sequence[Tensor | np.ndarray], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim; all other dims must match (``axis`` is torch's alias)."""
    dim = dim if axis is None else axis
    ts = _sequence(tensors, "cat")
    if not ts:
        raise ValueError("cat: needs at least one tensor")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ValueError("cat: 0-d tensors cannot be joined; use stack()")
    axis = normalize_dim(dim, ndim, "cat")
    for i, t in enumerate(ts):
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1 :] != ts[0].shape[:axis] + ts[0].shape[axis + 1 :]:
            raise ValueError(
                f"cat along dim {dim}: tensor {i} has shape {t.shape}, which does not match shape "
                f"{ts[0].shape} of tensor 0 outside dim {dim}"
            )
    return ops.Cat.apply(*ts, axis)


@implements(np.stack)
def stack(tensors: Sequence[Tensor | np.ndarray], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors of one shape along a new dim (``axis`` is torch's alias)."""
    dim = dim if axis is None else axis
    ts = _sequence(tensors, "stack")
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape} but tensor 0 has shape {ts[0].shape}")
    axis = normalize_dim(dim, ts[0].ndim + 1, "stack")
    return ops.Stack.apply(*ts, axis)


def _sequence(tensors: Any, op: str) -> list[Tensor]:
    # A tensor is iterable (its rows), so cat(t) would silently join t's rows: refused, as in torch.
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(
            f"{op}: expected a sequence of tensors, got a single {type(tensors).__name__} of shape "
            f"{tuple(tensors.shape)}; wrap it in a list ([t]) or pass several"
        )
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
