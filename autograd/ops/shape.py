"""Ops that move elements without computing with them: reshape, permute, broadcast,
indexing, concatenation. Each backward is another op of this file, so they pair up:
expand <-> sum_to_shape, getitem <-> index_add, reshape <-> reshape."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op
from ..shapes import reduced_axes, result_dtype
from .elementwise import select


class Reshape(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.reshape(ctx.shape), None


class Permute(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, axes: tuple[int, ...]) -> Any:
        ctx.axes = axes
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return np.transpose(g, tuple(np.argsort(ctx.axes).tolist())), None


class Expand(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return SumToShape.apply(g, ctx.shape), None


class SumToShape(Op):
    """Sum a broadcast result back to the shape of the operand that was broadcast."""

    @staticmethod
    def forward(ctx: Any, a: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = a.shape
        axes, lead = reduced_axes(a.shape, shape)
        out = np.add.reduce(a, axis=axes, keepdims=True) if axes else a
        return out.reshape(shape) if lead else out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return Expand.apply(g, ctx.shape), None


class GetItem(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, index: Any) -> Any:
        ctx.shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return IndexAdd.apply(g, ctx.index, ctx.shape), None


class IndexAdd(Op):
    """Zeros of ``shape`` with ``src`` added at ``index``; repeated indices accumulate."""

    @staticmethod
    def forward(ctx: Any, src: Any, index: Any, shape: tuple[int, ...]) -> Any:
        ctx.index = index
        out = np.zeros(shape, dtype=src.dtype)
        if _has_int_array(index):
            np.add.at(out, index, src)
        else:  # basic slicing and boolean masks never select an element twice
            out[index] = src
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        # GetItem, not g[index]: a tensor's [] follows torch's order, and the index is NumPy's.
        return GetItem.apply(g, ctx.index), None, None


def _has_int_array(index: Any) -> bool:
    items = index if type(index) is tuple else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in items)


class SetItem(Op):
    """``a`` with ``value`` written at ``index``: the out-of-place form of ``a[index] = value``."""

    @staticmethod
    def forward(ctx: Any, a: Any, value: Any, index: Any) -> Any:
        ctx.index, ctx.value_shape = index, np.shape(value)
        out = np.array(a, copy=True)
        out[index] = value
        if ctx.needs_input_grad[1] and _has_int_array(index):
            # NOTE: an index array may name an element twice; the last write wins, and only the
            # selected entries that won reach the output (and get a gradient).
            order = np.arange(np.size(a[index])).reshape(np.shape(a[index]))
            written = np.empty(np.shape(a), dtype=order.dtype)
            written[index] = order
            ctx.won = written[index] == order
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        keep = np.ones(g.shape, dtype=bool)
        keep[ctx.index] = False
        gv = None
        if ctx.needs_input_grad[1]:
            selected = GetItem.apply(g, ctx.index)  # NumPy's order, as IndexAdd
            won = getattr(ctx, "won", None)
            gv = _assigned_gradient(selected if won is None else select(won, selected), ctx.value_shape)
        # Selected, not multiplied by a mask: a NaN for an overwritten element stays out of ``a``.
        return select(keep, g), gv, None


def _assigned_gradient(g: Any, shape: tuple[int, ...]) -> Any:
    """The gradient of a value that NumPy assigned into ``g``'s shape: broadcast, and with any
    extra leading size-1 dims dropped (a (1, 3) value fills a (3,) slot), which sum_to_shape
    cannot undo on its own."""
    extra = len(shape) - g.ndim
    return g if extra <= 0 else np.reshape(SumToShape.apply(g, shape[extra:]), shape)


class Cat(Op):
    @staticmethod
    def forward(ctx: Any, *arrays_and_axis: Any) -> Any:
        *arrays, axis = arrays_and_axis
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in arrays]).tolist()
        # torch's dtype (int64 and float32 give float32); the engine casts each gradient back.
        return np.concatenate(arrays, axis=axis, dtype=result_dtype(*arrays))

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        lead = (slice(None),) * ctx.axis
        grads = []
        for i, needed in enumerate(ctx.needs_input_grad[:-1]):
            grads.append(g[lead + (slice(ctx.bounds[i], ctx.bounds[i + 1]),)] if needed else None)
        return (*grads, None)


class Stack(Op):
    """Arrays of one shape joined along a new dim, as one node: the outputs of an RNN's
    steps are stacked this way. Its backward is one Unbind, where a cat of unsqueezed
    inputs would cost a slice and a reshape per input."""

    @staticmethod
    def forward(ctx: Any, *arrays_and_axis: Any) -> Any:
        *arrays, axis = arrays_and_axis
        ctx.axis = axis
        return np.stack(arrays, axis=axis, dtype=result_dtype(*arrays))  # torch's dtype, as Cat

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return (*Unbind.apply(g, ctx.axis), None)


class Unbind(Op):
    """The slices of ``a`` along ``axis``, as the outputs of one node.

    NOTE: indexing once per slice would make backward quadratic in their number (each
    index's gradient is a zero tensor of the whole shape); here backward joins them once.
    """

    @staticmethod
    def forward(ctx: Any, a: Any, axis: int) -> Any:
        ctx.axis = axis
        return tuple(np.moveaxis(a, axis, 0))

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return Stack.apply(*grads, ctx.axis), None


class Fill(Op):
    """A tensor of ``a``'s shape and dtype filled with ``value``: ``fill_`` and ``zero_``
    out of place. No gradient reaches ``a``, whose old values are gone."""

    @staticmethod
    def forward(ctx: Any, a: Any, value: Any) -> Any:
        return np.full_like(a, value)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return None, None


class CopyFrom(Op):
    """``src`` broadcast to ``a``'s shape and cast to its dtype: ``copy_`` out of place."""

    @staticmethod
    def forward(ctx: Any, a: Any, src: Any) -> Any:
        ctx.src_shape = np.shape(src)
        out = np.empty_like(a)
        out[...] = src
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return None, _assigned_gradient(g, ctx.src_shape)
