"""Scans along one dim (cumulative sum, product and logsumexp), and the positions that
cummax, cummin and median pick from each slice.

cummax, cummin and median need no rule of their own: their values are the input gathered at
the positions computed here (``GetItem`` with the index ``along`` builds), and that op sends
each gradient back to the element it came from.

Conventions, as in PyTorch: cummax/cummin give a tie to the latest index, and a NaN, once met,
is the running extreme from there on (at the latest NaN's index); median is the lower of the
two middle elements of an even count, and NaN (at the first NaN's index) for a slice with one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op
from ..variable import data_of
from .elementwise import select


def _reversed(axis: int) -> tuple[slice, ...]:
    """The index that reverses ``axis`` (non-negative)."""
    return (slice(None),) * axis + (slice(None, None, -1),)


def reverse_cumsum(g: Any, axis: int) -> Any:
    """Sums from each position to the end of ``axis``: what cumsum sends back to its input."""
    flip = _reversed(axis)
    return Cumsum.apply(g[flip], axis)[flip]


class Cumsum(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=a.dtype)  # NumPy would widen an int32 to int64

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return reverse_cumsum(g, ctx.axis), None


class Cumprod(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        out = np.cumprod(a, axis=axis, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, out = ctx.saved_tensors
        axis = ctx.axis
        if np.all(data_of(a) != 0):
            # d out_j / d a_i = out_j / a_i for every j >= i.
            return reverse_cumsum(g * out, axis) / a, None
        # NOTE: with a zero in a slice out_j / a_i is 0/0. Take d out_j / d a_i as it is, the
        # running product of the slice with a_i replaced by one (row i of the matrix below),
        # read at j >= i. O(n^2) per slice, so only when a zero is there (as in Prod).
        x = np.moveaxis(a, axis, -1)
        n = x.shape[-1]
        rows = np.where(~np.eye(n, dtype=bool), np.broadcast_to(np.expand_dims(x, -2), (*x.shape[:-1], n, n)), 1.0)
        return _through_partials(g, Cumprod.apply(rows, rows.ndim - 1), _later(n), axis), None


class LogCumSumExp(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        out = np.logaddexp.accumulate(a, axis=axis)  # NOTE: pairwise logaddexp never overflows
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        # d out_j / d a_i = exp(a_i - out_j) for j >= i (a softmax weight, at most 1), so
        # grad_i = sum over j >= i of g_j exp(a_i - out_j).
        a, out = ctx.saved_tensors
        axis = ctx.axis
        raw = np.asarray(data_of(out))
        finite = np.isfinite(raw)  # out_j = -inf where the slice so far is all -inf: no gradient
        last = raw[(slice(None),) * axis + (slice(-1, None),)]  # the slice's logsumexp, its largest out
        c = np.where(np.isfinite(last), last, 0.0)
        lowest = np.min(np.where(finite, raw, c), axis=axis, keepdims=True)
        if np.all(c - lowest <= np.log(np.finfo(raw.dtype).max) / 2):
            # NOTE: factored as exp(a_i - c) * (sum over j >= i of g_j exp(c - out_j)), O(n), with
            # c the slice's last out: both exps stay finite while the outs of a slice span less
            # than half the exponent range (and g is not huge), checked just above.
            scaled = select(finite, g * np.exp(c - np.where(finite, out, c)))
            return np.exp(a - c) * reverse_cumsum(scaled, axis), None
        # Outs spread wider: each weight on its own, an (n, n) matrix per slice.
        n = raw.shape[axis]
        x = np.expand_dims(np.moveaxis(a, axis, -1), -1)  # a_i down the rows
        y = np.expand_dims(np.moveaxis(out, axis, -1), -2)  # out_j across the columns
        later = _later(n) & np.expand_dims(np.moveaxis(finite, axis, -1), -2)
        return _through_partials(g, np.exp(np.where(later, x - y, -np.inf)), later, axis), None


def _later(n: int) -> np.ndarray:
    """[i, j]: whether j >= i, the outputs of a scan that input i reaches."""
    return np.arange(n) >= np.arange(n)[:, None]


def _through_partials(g: Any, partials: Any, keep: np.ndarray, axis: int) -> Any:
    """The gradient of each slice along ``axis`` from its partial derivatives d out_j / d a_i,
    held at [..., i, j] of ``partials``, where ``keep`` (elsewhere they are taken as 0)."""
    gx = np.sum(select(keep, np.expand_dims(np.moveaxis(g, axis, -1), -2) * partials), axis=-1)
    return np.moveaxis(gx, -1, axis)


# --- the positions cummax, cummin and median pick ---------------------------------------------


def along(indices: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """The index that picks, from each slice along ``axis``, the positions in ``indices``
    (shaped as the input, with any size along ``axis``): NumPy's take_along_axis as an index."""
    grid: list[np.ndarray] = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    return tuple(grid)


def _positions(shape: tuple[int, ...], axis: int) -> np.ndarray:
    return np.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))])


def running_extreme_index(a: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """For each position along ``axis``, the index of the largest (or smallest) element so far."""
    running = (np.maximum if largest else np.minimum).accumulate(a, axis=axis)  # NaN carries on
    # A position starts a new running extreme, or ties it (ties go to the latest).
    record = a == running
    if a.dtype.kind == "f":
        record |= np.isnan(a)
    return np.maximum.accumulate(np.where(record, _positions(a.shape, axis), 0), axis=axis)


def median_index(a: np.ndarray, axis: int) -> np.ndarray:
    """The index along ``axis`` of each slice's lower median, keeping ``axis`` with size 1: the
    element at place (n - 1) // 2 of a stable sort, or the first NaN of a slice with one."""
    order = np.argsort(a, axis=axis, kind="stable")
    picked = np.take(order, [(a.shape[axis] - 1) // 2], axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=axis, keepdims=True)
        if has_nan.any():
            picked = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), picked)
    return picked
