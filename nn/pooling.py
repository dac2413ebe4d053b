"""Pooling over one or two spatial dims, as in ``torch.nn``: max, average and adaptive pools,
and ``max_unpool`` (the inverse placement of a max pool), with their layers.

Average pooling is the mean of each window that ``Windows`` (``nn/windows.py``) lays out, as
convolution uses them. Max pooling finds each window's largest element on the raw values (a
constant of the graph, as torch's indices are), stepping through the offsets inside a window
(kernel_h * kernel_w steps, each over all windows at once), and then gathers those elements:
``PlaneGather`` picks elements of each (N, C) plane by flat index, and its backward
``PlaneScatter`` puts gradients back at those indices; each is the other's backward. Ties go
to the first element in the window (row by row), and a NaN wins over any number, as in torch.

Adaptive pools split a dim of size S into O windows, the i-th covering [floor(i S / O),
ceil((i + 1) S / O)); when O divides S they are an ordinary pool with kernel and stride S / O.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, Tensor

from .errors import IndexRangeError, ShapeError
from .module import Module
from .windows import Windows, spatial, window_counts


class PlaneGather(Op):
    """(N, C, *spatial) -> index's shape (N, C, *out): out[n, c, ...] = the element of plane
    (n, c) at flat position index[n, c, ...]. ``accumulate``: whether an index may repeat
    within a plane (overlapping windows), so that the backward must add."""

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any, accumulate: bool) -> Any:
        ctx.size, ctx.index, ctx.accumulate = x.shape[2:], index, accumulate
        planes = x.reshape(*x.shape[:2], -1)
        return np.take_along_axis(planes, index.reshape(*index.shape[:2], -1), axis=2).reshape(index.shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return PlaneScatter.apply(g, ctx.index, ctx.size, ctx.accumulate), None, None


class PlaneScatter(Op):
    """(N, C, *out) -> (N, C, *size): zeros with ``src`` placed at the flat positions ``index``
    of each plane, added up where an index repeats if ``accumulate``, else written (one of the
    repeated values wins, as in torch's max_unpool)."""

    @staticmethod
    def forward(ctx: Any, src: Any, index: Any, size: tuple[int, ...], accumulate: bool) -> Any:
        ctx.index, ctx.accumulate = index, accumulate
        n, c = index.shape[:2]
        out = np.zeros((n, c, math.prod(size)), dtype=src.dtype)
        flat_index = index.reshape(n, c, -1)
        if accumulate:
            np.add.at(out, (np.arange(n)[:, None, None], np.arange(c)[None, :, None], flat_index),
                      src.reshape(n, c, -1))
        else:
            np.put_along_axis(out, flat_index, np.reshape(src, (n, c, -1)), axis=2)
        return out.reshape(n, c, *size)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return PlaneGather.apply(g, ctx.index, ctx.accumulate), None, None, None


# --- max pooling ---------------------------------------------------------------------------------


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The largest element of each window of ``input`` (N, C, L) or (C, L); padded positions
    never win. With ``return_indices`` also the position of each (an int64 tensor, for
    ``max_unpool1d``). ``stride`` defaults to ``kernel_size``; ``ceil_mode`` keeps a last,
    partial window. L_out = (L + 2 padding - dilation (K - 1) - 1) / stride + 1, rounded down
    (up with ``ceil_mode``)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """``max_pool1d`` over the two spatial dims of ``input`` (N, C, H, W) or (C, H, W); the
    indices are flat positions h * W + w within each (H, W) plane, as in torch."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _max_pool(op: str, dims: int, input: Any, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
              dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    x, batched = _batched(op, dims, input)
    kernel, stride, padding = _pool_arguments(op, dims, kernel_size, stride, padding)
    dilation = spatial(dilation, dims, "dilation", op)
    for k, p, dl in zip(kernel, padding, dilation):
        if p > (dl * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding} must be at most half the window, which spans "
                             f"{tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))} positions")
    count = _pool_count(op, x, kernel, stride, dilation, padding, ceil_mode)
    starts = [np.arange(n) * s - p for n, s, p in zip(count, stride, padding)]
    overlapping = any(s < dl * (k - 1) + 1 for k, s, dl in zip(kernel, stride, dilation))
    return _pick_max(x, starts, kernel, dilation, None, overlapping, batched, return_indices)


def _pick_max(x: Tensor, starts: list[np.ndarray], kernel: tuple[int, ...], dilation: tuple[int, ...],
              ends: list[np.ndarray] | None, overlapping: bool, batched: bool, return_indices: bool) -> Any:
    """The elements of ``x`` that win their windows (see ``_argmax`` for the arguments), gathered
    so that gradients reach them, and their indices if ``return_indices``."""
    index, empty = _argmax(x.detach().numpy(), starts, kernel, dilation, ends)
    out = PlaneGather.apply(x, np.maximum(index, 0), overlapping)
    if empty is not None:  # windows that hold only padding: -inf, as in torch (their index is -1)
        out = ag.where(empty, -math.inf, out)
    if not batched:
        out, index = out.squeeze(0), index[0]
    return (out, ag.tensor(index)) if return_indices else out


def _argmax(x: np.ndarray, starts: list[np.ndarray], kernel: tuple[int, ...], dilation: tuple[int, ...],
            ends: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The flat position, in its (N, C) plane, of each window's largest element. Along spatial
    dim d, window i holds the positions starts[d][i] + k * dilation[d] for k < kernel[d] that
    lie inside the input (and, given ``ends``, before ends[d][i]).

    torch's rule: the window's first element inside the input is the best so far to begin with,
    and an element replaces it if it is larger or NaN; so ties go to the first element (row by
    row) and the last NaN wins. Also returns the windows with no element inside the input
    (index -1 there), or None if there are none.
    """
    size = x.shape[2:]
    count = tuple(len(s) for s in starts)
    plane_strides = [math.prod(size[d + 1:]) for d in range(len(size))]
    offsets = list(itertools.product(*(range(k) for k in kernel)))
    best = np.full(x.shape[:2] + count, -np.inf, dtype=x.dtype)
    # NOTE: the offset, in its window, of the best so far, in the smallest int that holds it:
    # the passes over these arrays are most of a max pool's cost, and fresh memory is paid per page.
    which = np.zeros(x.shape[:2] + count, dtype=np.min_scalar_type(len(offsets)))
    take = np.empty(x.shape[:2] + count, dtype=bool)
    seen = np.zeros(count, dtype=bool)  # windows whose first element inside the input was taken
    all_seen = False
    # NOTE: one pass to rule NaN out saves one per offset (a sum is NaN or inf if any element is).
    may_be_nan = x.size > 0 and not np.isfinite(np.add.reduce(x, axis=None))
    for k, offset in enumerate(offsets):
        columns = [s + o * dl for s, o, dl in zip(starts, offset, dilation)]
        inside = [(c >= 0) & (c < n) for c, n in zip(columns, size)]
        if ends is not None:
            inside = [m & (c < e) for m, c, e in zip(inside, columns, ends)]
        valid = None if all(m.all() for m in inside) else _outer_and(inside)
        if valid is not None and not valid.any():
            continue
        value = x[(slice(None), slice(None)) + _take_along(columns, size)]
        # In place and without np.where, for the reason above.
        np.greater(value, best, out=take)
        if may_be_nan:
            take |= np.isnan(value)
        if valid is None:
            np.maximum(best, value, out=best)  # a NaN stays, as the rule says
        else:
            take &= valid
        if not all_seen:
            take |= (True if valid is None else valid) & ~seen
            seen |= True if valid is None else valid
            all_seen = bool(seen.all())
        if valid is not None:
            np.copyto(best, value, where=take)
        np.putmask(which, take, k)
    # Window i's element at offset k sits at starts[i] + k * dilation along each dim.
    base = sum(s.reshape([-1 if i == d else 1 for i in range(len(size))]) * ps
               for d, (s, ps) in enumerate(zip(starts, plane_strides)))
    shift = np.array([sum(o * dl * ps for o, dl, ps in zip(offset, dilation, plane_strides)) for offset in offsets])
    index = np.take(shift, which)
    index += base
    if all_seen:
        return index, None
    return np.where(seen, index, -1), ~seen


def _outer_and(masks: list[np.ndarray]) -> np.ndarray:
    """The outer product of 1-D boolean masks (one per dim) as an n-D mask."""
    out = masks[0]
    for m in masks[1:]:
        out = out[..., None] & m
    return out


def _take_along(columns: list[np.ndarray], size: tuple[int, ...]) -> tuple[Any, ...]:
    """An index that takes positions ``columns[d]`` along each spatial dim (clipped into the
    dim): a slice where they are evenly spaced and inside, else an open-mesh integer array."""
    out: list[Any] = []
    dims = len(columns)
    for d, (c, n) in enumerate(zip(columns, size)):
        step = int(c[1] - c[0]) if len(c) > 1 else 1
        if c[0] >= 0 and c[-1] < n and step > 0 and np.array_equal(c, c[0] + step * np.arange(len(c))):
            out.append(slice(int(c[0]), int(c[-1]) + 1, step))
        else:
            out.append(np.clip(c, 0, n - 1).reshape([-1 if i == d else 1 for i in range(dims)]))
    if any(isinstance(i, slice) for i in out) and any(isinstance(i, np.ndarray) for i in out):
        # An open-mesh array beside a slice would keep its singleton dims in the result; index
        # every dim by array then, so that the arrays broadcast to (*count).
        out = [np.arange(i.start, i.stop, i.step).reshape([-1 if j == d else 1 for j in range(dims)])
               if isinstance(i, slice) else i for d, i in enumerate(out)]
    return tuple(out)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                 output_size: Any = None) -> Tensor:
    """Place each element of ``input`` (N, C, L_in) or (C, L_in) at its position ``indices`` (as
    ``max_pool1d`` returns them) in zeros of length (L_in - 1) * stride - 2 padding + kernel_size
    or ``output_size``."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                 output_size: Any = None) -> Tensor:
    """``max_unpool1d`` for ``max_pool2d``'s output and flat indices, (N, C, H_in, W_in) or
    (C, H_in, W_in)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def _max_unpool(op: str, dims: int, input: Any, indices: Any, kernel_size: Any, stride: Any,  # noqa: A002
                padding: Any, output_size: Any) -> Tensor:
    x, batched = _batched(op, dims, input)
    kernel, stride, padding = _pool_arguments(op, dims, kernel_size, stride, padding)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer Tensor (max_pool's), got {indices!r:.60}")
    if indices.shape != input.shape:
        raise ShapeError(f"{op}: indices of shape {indices.shape} do not match input of shape {input.shape}")
    if output_size is None:
        size = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, padding, kernel))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-dims:])
        if len(size) != dims:
            raise ValueError(f"{op}: output_size {output_size} needs {dims} spatial sizes")
    index = indices.detach().numpy()
    index = index if batched else index[None]
    volume = math.prod(size)
    if index.size and (index.min() < 0 or index.max() >= volume):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise IndexRangeError(f"{op}: index {bad} is outside an output plane of size {size} ({volume} positions)")
    out = PlaneScatter.apply(x, index.astype(np.int64), size, False)
    return out if batched else out.squeeze(0)


# --- average pooling ------------------------------------------------------------------------------


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each window of ``input`` (N, C, L) or (C, L). Zeros pad both ends; with
    ``count_include_pad`` they count in the mean (the divisor is the window's size within the
    padded input), else only input elements do. ``stride`` defaults to ``kernel_size``."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """``avg_pool1d`` over the two spatial dims of ``input`` (N, C, H, W) or (C, H, W);
    ``divisor_override`` replaces every window's divisor."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _avg_pool(op: str, dims: int, input: Any, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    x, batched = _batched(op, dims, input)
    kernel, stride, padding = _pool_arguments(op, dims, kernel_size, stride, padding)
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override <= 0):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
    ones = (1,) * dims
    count = _pool_count(op, x, kernel, stride, ones, padding, ceil_mode)
    # With ceil_mode the last window may reach past the padding: pad enough zeros to cover it.
    pads = tuple((p, max(p, (n - 1) * s + k - size - p))
                 for size, k, s, p, n in zip(x.shape[2:], kernel, stride, padding, count))
    total = Windows.apply(x, kernel, stride, ones, pads, count).sum(tuple(range(2, 2 + dims)))
    if divisor_override is not None:
        out = total / float(divisor_override)
    else:
        divisor = _outer_product([
            _window_sizes(size, k, s, p, n, count_include_pad)
            for size, k, s, p, n in zip(x.shape[2:], kernel, stride, padding, count)
        ])
        out = total / divisor.astype(x.dtype)
    return out if batched else out.squeeze(0)


def _window_sizes(size: int, kernel: int, stride: int, padding: int, count: int, count_padding: bool) -> np.ndarray:
    """The divisor of each window along a dim: its elements inside the padded input (inside
    the input alone unless ``count_padding``)."""
    start = np.arange(count) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if not count_padding:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _outer_product(factors: list[np.ndarray]) -> np.ndarray:
    out = factors[0]
    for f in factors[1:]:
        out = out[..., None] * f
    return out


# --- adaptive pooling -----------------------------------------------------------------------------


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean over ``output_size`` windows that cover ``input`` (N, C, L) or (C, L)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean over an ``output_size`` (an int or a pair, None keeping that dim's size) grid of
    windows that cover ``input`` (N, C, H, W) or (C, H, W)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """The largest element of each of ``output_size`` windows that cover ``input`` (N, C, L) or
    (C, L), and with ``return_indices`` their positions."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """``adaptive_max_pool1d`` over the two spatial dims of ``input`` (N, C, H, W) or (C, H, W),
    with flat indices h * W + w as ``max_pool2d``'s."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def _adaptive_bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """The first position and the end (exclusive) of each of ``out`` windows along a dim of ``size``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_windows(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions (out, longest window) of each window's elements along a dim of ``size``, and
    which of them belong to it (the shorter windows are padded with positions past their end)."""
    start, end = _adaptive_bounds(size, out)
    longest = int((end - start).max()) if out else 0
    positions = start[:, None] + np.arange(longest)
    return positions, positions < end[:, None]


def _adaptive_size(op: str, dims: int, x: Tensor, output_size: Any) -> tuple[int, ...]:
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size takes {dims} values, got {output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    return spatial(sizes, dims, "output_size", op, minimum=0)


def _adaptive_avg(op: str, dims: int, input: Any, output_size: Any) -> Tensor:  # noqa: A002
    x, batched = _batched(op, dims, input)
    sizes = _adaptive_size(op, dims, x, output_size)
    if all(o and n % o == 0 for n, o in zip(x.shape[2:], sizes)):
        kernel = tuple(n // o for n, o in zip(x.shape[2:], sizes))
        out = _avg_pool(op, dims, x, kernel, kernel, 0, False, True, None)
    else:
        # NOTE: a mean over a rectangle is the mean over one dim of the means over the other,
        # so each dim is pooled alone: gather its windows (padded to the longest), zero the
        # padding (selected, so that an inf there does not turn into NaN) and average.
        out = x
        for axis, o in enumerate(sizes, start=2):
            positions, member = _adaptive_windows(x.shape[axis], o)
            gathered = out[(slice(None),) * axis + (np.minimum(positions, max(x.shape[axis] - 1, 0)),)]
            trailing = (1,) * (out.ndim - axis - 1)
            if not member.all():
                gathered = ag.where(member.reshape(member.shape + trailing), gathered, 0.0)
            counts = member.sum(1).reshape((o,) + trailing).astype(x.dtype)
            out = gathered.sum(axis + 1) / counts
    return out if batched else out.squeeze(0)


def _adaptive_max(op: str, dims: int, input: Any, output_size: Any, return_indices: bool) -> Any:  # noqa: A002
    x, batched = _batched(op, dims, input)
    sizes = _adaptive_size(op, dims, x, output_size)
    if any(n == 0 for n in x.shape[2:]):
        raise ShapeError(f"{op}: expected non-empty spatial dims, got input of shape {input.shape}")
    bounds = [_adaptive_bounds(n, o) for n, o in zip(x.shape[2:], sizes)]
    longest = tuple(int((end - start).max()) if len(start) else 0 for start, end in bounds)
    overlapping = any(n % o != 0 for n, o in zip(x.shape[2:], sizes) if o)
    return _pick_max(x, [start for start, _ in bounds], longest, (1,) * dims, [end for _, end in bounds],
                     overlapping, batched, return_indices)


# --- what the pools share ---------------------------------------------------------------------------


def _batched(op: str, dims: int, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
    """The input with a batch dim, and whether it had one."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        names = "L" if dims == 1 else "H, W"
        raise ShapeError(f"{op}: expected a {dims + 1}-D (C, {names}) or {dims + 2}-D (N, C, {names}) input, "
                         f"got shape {input.shape}")
    batched = input.ndim == dims + 2
    return (input if batched else input.unsqueeze(0)), batched


def _pool_arguments(op: str, dims: int, kernel_size: Any, stride: Any,
                    padding: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    kernel = spatial(kernel_size, dims, "kernel_size", op)
    # torch takes an empty stride (as an older default was) for the kernel size too
    stride_ = kernel if stride is None or stride == () or stride == [] else spatial(stride, dims, "stride", op)
    return kernel, stride_, spatial(padding, dims, "padding", op, minimum=0)


def _pool_count(op: str, x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                padding: tuple[int, ...], ceil_mode: bool) -> tuple[int, ...]:
    count = window_counts(x.shape[2:], kernel, stride, dilation, tuple((p, p) for p in padding), ceil_mode)
    if min(count) < 1:
        raise ShapeError(f"{op}: input of shape {x.shape} is too small for kernel {kernel} (dilation {dilation}, "
                         f"padding {padding}): the output would have spatial size {count}")
    return count


# --- layers ----------------------------------------------------------------------------------------


class _MaxPoolNd(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, (kernel_size if stride is None else stride)
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return _max_pool(f"max_pool{self.dims}d", self.dims, input, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """``max_pool1d`` as a layer: ``MaxPool1d(kernel_size, stride=None, padding=0, dilation=1,
    return_indices=False, ceil_mode=False)``."""

    dims = 1


class MaxPool2d(_MaxPoolNd):
    """``max_pool2d`` as a layer: ``MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
    return_indices=False, ceil_mode=False)``, each spatial argument an int or a pair."""

    dims = 2


class _MaxUnpoolNd(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = spatial(kernel_size, self.dims, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else spatial(stride, self.dims, "stride", name)
        self.padding = spatial(padding, self.dims, "padding", name, minimum=0)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return _max_unpool(f"max_unpool{self.dims}d", self.dims, input, indices, self.kernel_size, self.stride,
                           self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """``max_unpool1d`` as a layer: ``MaxUnpool1d(kernel_size, stride=None, padding=0)``;
    ``forward(input, indices, output_size=None)``."""

    dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """``max_unpool2d`` as a layer: ``MaxUnpool2d(kernel_size, stride=None, padding=0)``;
    ``forward(input, indices, output_size=None)``."""

    dims = 2


class AvgPool1d(Module):
    """``avg_pool1d`` as a layer: ``AvgPool1d(kernel_size, stride=None, padding=0,
    ceil_mode=False, count_include_pad=True)``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = spatial(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = self.kernel_size if stride is None else spatial(stride, 1, "stride", "AvgPool1d")
        self.padding = spatial(padding, 1, "padding", "AvgPool1d", minimum=0)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """``avg_pool2d`` as a layer: ``AvgPool2d(kernel_size, stride=None, padding=0,
    ceil_mode=False, count_include_pad=True, divisor_override=None)``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, (kernel_size if stride is None else stride)
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """``adaptive_avg_pool1d`` as a layer: ``AdaptiveAvgPool1d(output_size)``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """``adaptive_avg_pool2d`` as a layer: ``AdaptiveAvgPool2d(output_size)`` (an int or a pair,
    None keeping that dim's size)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """``adaptive_max_pool1d`` as a layer: ``AdaptiveMaxPool1d(output_size, return_indices=False)``."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """``adaptive_max_pool2d`` as a layer: ``AdaptiveMaxPool2d(output_size, return_indices=False)``."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)
