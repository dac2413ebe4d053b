"""Sliding windows over the spatial dims of a batch: the im2col step that convolution,
average pooling and ``unfold`` share, and its adjoint, which transposed convolution and
``fold`` are made of.

An input (N, C, *spatial) is zero-padded by ``padding`` ((before, after) per spatial dim);
along each spatial dim a window holds ``kernel`` elements spaced ``dilation`` apart, and a
window starts every ``stride`` elements, ``count`` of them. ``Windows`` copies every window
out, in torch's ``unfold`` layout (N, C, *kernel, *count): the (C * prod(kernel), L) matrix of
each sample, so that a convolution is one matmul with the weight and a pooling one reduction.
``WindowsSum`` is its adjoint: it adds each window's entries back where they came from (where
windows overlap, contributions add up) and drops the padding. Each is the other's backward,
so derivatives of every order come from the pair.

The copy is one strided view of the input (no Python loop); the sum loops over the offsets
inside a window (kernel_h * kernel_w of them), each step adding a whole strided slice.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Op

Pads = tuple[tuple[int, int], ...]  # (before, after) per spatial dim


class Windows(Op):
    """(N, C, *spatial) -> (N, C, *kernel, *count): every window of the zero-padded input."""

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                padding: Pads, count: tuple[int, ...]) -> Any:
        ctx.args = (x.shape[2:], kernel, stride, dilation, padding)
        for size, k, t, dl, (lo, hi), n in zip(x.shape[2:], kernel, stride, dilation, padding, count):
            if n and (n - 1) * t + dl * (k - 1) >= size + lo + hi:  # as_strided would read past the end
                raise ValueError(f"{n} windows of {k} (stride {t}, dilation {dl}) do not fit in {size} + {lo} + {hi}")
        if any(lo or hi for lo, hi in padding):
            x = np.pad(x, ((0, 0), (0, 0), *padding))
        n, c = x.shape[:2]
        steps = x.strides[2:]
        view = as_strided(
            x, (n, c, *kernel, *count),
            (*x.strides[:2], *(s * d for s, d in zip(steps, dilation)), *(s * t for s, t in zip(steps, stride))),
            writeable=False,
        )
        return np.ascontiguousarray(view)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return WindowsSum.apply(g, *ctx.args), None, None, None, None, None


class WindowsSum(Op):
    """(N, C, *kernel, *count) -> (N, C, *size): each window's entries added back to the
    positions of a zero-padded (N, C, *size) input they would have been copied from."""

    @staticmethod
    def forward(ctx: Any, cols: Any, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                dilation: tuple[int, ...], padding: Pads) -> Any:
        d = len(size)
        count = cols.shape[2 + d:]
        ctx.args = (kernel, stride, dilation, padding, count)
        out = np.zeros((*cols.shape[:2], *(s + lo + hi for s, (lo, hi) in zip(size, padding))), dtype=cols.dtype)
        for offset in itertools.product(*(range(k) for k in kernel)):
            target = tuple(slice(o * dl, o * dl + t * (n - 1) + 1, t)
                           for o, dl, t, n in zip(offset, dilation, stride, count))
            out[(slice(None), slice(None)) + target] += cols[(slice(None), slice(None)) + offset]
        return out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))]

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return Windows.apply(g, *ctx.args), None, None, None, None, None


# --- arguments shared by the layers built on windows -----------------------------------------------


def spatial(value: Any, dims: int, name: str, owner: str, minimum: int = 1) -> tuple[int, ...]:
    """An int per spatial dim, given as one int for all or as a tuple of ``dims`` ints, each
    at least ``minimum``."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        wanted = "one value" if dims == 1 else f"{dims} values"
        raise ValueError(f"{owner}: {name} for a {dims}-D input takes {wanted}, got {value!r}")
    for v in values:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{owner}: {name} must be an int, got {type(v).__name__} {v!r}")
        if v < minimum:
            raise ValueError(f"{owner}: {name} must be at least {minimum}, got {v}")
    return tuple(int(v) for v in values)


def window_counts(sizes: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                  padding: Pads, ceil_mode: bool = False) -> tuple[int, ...]:
    """How many windows fit along each spatial dim (torch's output size)."""
    return tuple(window_count(n, k, s, d, lo, hi, ceil_mode)
                 for n, k, s, d, (lo, hi) in zip(sizes, kernel, stride, dilation, padding))


def window_count(size: int, kernel: int, stride: int, dilation: int, before: int, after: int,
                 ceil_mode: bool = False) -> int:
    """How many windows fit along a dim. With ``ceil_mode`` a last, partial window counts too,
    as long as it starts inside the input or its left padding."""
    span = dilation * (kernel - 1) + 1
    room = size + before + after - span
    if not ceil_mode:
        return room // stride + 1
    count = -(-room // stride) + 1
    if (count - 1) * stride >= size + before:
        count -= 1
    return count
