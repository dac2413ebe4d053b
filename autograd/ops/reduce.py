"""Reductions. Each gradient is the upstream gradient reshaped to the keepdim shape and
broadcast back (times a constant weight for max and min), so it stays differentiable.

Ties: a full max/min splits the gradient evenly among the tied elements; max/min along a
dim sends all of it to the index it returns (the first occurrence), as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Op
from ..shapes import keepdim_shape
from ..variable import data_of
from .elementwise import select
from .shape import Expand, Reshape


def _unreduce(g: Any, ctx: Any) -> Any:
    """The upstream gradient of a reduction, broadcast back to the input's shape.

    The ops are applied directly: these shapes are right by construction, and the checks
    of ``Tensor.reshape`` and ``expand`` would cost more than the views themselves."""
    keep = keepdim_shape(ctx.shape, ctx.axes)
    if g.shape != keep:
        g = Reshape.apply(g, keep)
    return g if keep == ctx.shape else Expand.apply(g, ctx.shape)


class Sum(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axes: tuple[int, ...] | None, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = a.shape, axes
        # NOTE: the ufunc's own reduce: np.sum is the same call behind a Python wrapper, which
        # shows on the small tensors of a training step (softmax and sums run at every step).
        return np.add.reduce(a, axis=axes, keepdims=keepdim)  # type: ignore[call-overload]  # stubs: literal keepdims

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return _unreduce(g, ctx), None, None


class Max(Op):
    """max over every element (one output) or along one dim (values and indices)."""

    # NOTE: typed as any callable: the stubs' overloads of argmax would keep only the one without an axis.
    _pick: Callable[..., Any] = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx: Any, a: Any, axis: int | None, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = a.shape, (None if axis is None else (axis,))
        if axis is None:
            out = a.reshape(-1)[cls._pick(a)]
            ctx.picked = tied = (a == out) | np.isnan(a)  # a NaN is the max, as argmax has it
            ctx.share = np.array(1.0 / np.count_nonzero(tied), dtype=a.dtype)
            return np.asarray(out).reshape(keepdim_shape(a.shape, None) if keepdim else ())
        idx = np.expand_dims(cls._pick(a, axis=axis), axis)
        values = np.take_along_axis(a, idx, axis)
        ctx.picked = np.arange(a.shape[axis]).reshape([-1 if i == axis else 1 for i in range(a.ndim)]) == idx
        ctx.share = None
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx: Any, g: Any, g_idx: Any = None) -> Any:
        # Selected, not multiplied by a 0/1 weight: a NaN for the max stays off the other elements.
        g = _unreduce(g, ctx)
        return select(ctx.picked, g if ctx.share is None else g * ctx.share), None, None


class Min(Max):
    _pick = staticmethod(np.argmin)


class Prod(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int | None, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = a.shape, (None if axis is None else (axis,))
        out = np.prod(a, axis=axis, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, out = ctx.saved_tensors
        g = _unreduce(g, ctx)
        if np.all(data_of(a) != 0):
            return g * _unreduce(out, ctx) / a, None, None
        # NOTE: with zeros present out/a is 0/0; take each element's product of the others
        # instead, as the product of a row in which that element is replaced by one.
        # (A 0-d input has nothing to move: it is its own single row.)
        whole = ctx.axes is None or a.ndim == 0
        axis = -1 if whole else ctx.axes[0]
        x = np.reshape(a, (-1,)) if whole else np.moveaxis(a, axis, -1)
        n = x.shape[-1]
        rows = np.where(~np.eye(n, dtype=bool), np.broadcast_to(np.expand_dims(x, -2), (*x.shape[:-1], n, n)), 1.0)
        others = np.prod(rows, axis=-1)
        others = np.reshape(others, a.shape) if whole else np.moveaxis(others, -1, axis)
        return g * others, None, None


def _shift(a: Any, axes: tuple[int, ...] | None) -> Any:
    """The max over ``axes`` (kept as size-1 dims), to subtract before exp; zeros when the
    tensor is empty (NumPy's max has no value for an empty dim; the sum of nothing is 0)."""
    if a.ndim == 0:
        return a
    if a.size == 0:
        return np.zeros(keepdim_shape(a.shape, axes), dtype=a.dtype)
    return np.maximum.reduce(a, axis=axes, keepdims=True)


class LogSumExp(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axes: tuple[int, ...] | None, keepdim: bool) -> Any:
        ctx.shape, ctx.axes = a.shape, axes
        m = _shift(a, axes)
        m = np.where(np.isfinite(m), m, 0)  # NOTE: shift by the max so exp never overflows
        out = np.log(np.add.reduce(np.exp(a - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(()) if axes is None else np.squeeze(out, axis=axes)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, out = ctx.saved_tensors
        kshape = keepdim_shape(ctx.shape, ctx.axes)
        return np.reshape(g, kshape) * np.exp(a - np.reshape(out, kshape)), None, None


class Softmax(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        e = np.exp(a - _shift(a, (axis,)))  # NOTE: shifted, never overflows
        out = e / np.add.reduce(e, axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out * (g - np.sum(g * out, axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        shifted = a - _shift(a, (axis,))  # NOTE: shifted, never overflows
        out = shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * np.sum(g, axis=ctx.axis, keepdims=True), None
