"""Matrix products."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function, Op
from ..shapes import numel


class Matmul(Op):
    """``a @ b`` with NumPy's (and torch's) rules: 1-D operands are promoted to a matrix
    and the added dim removed again; leading dims broadcast."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def explain(shapes: list[tuple[int, ...]], error: Exception) -> Exception:
        if len(shapes) != 2:  # one operand is not a tensor (a string, None, ...)
            return Function.explain(shapes, error)
        a, b = shapes
        if not a or not b:
            return ValueError(f"both operands need at least 1 dim, got shapes {a} and {b}")
        inner_b = b[0] if len(b) == 1 else b[-2]
        if a[-1] != inner_b:
            return ValueError(
                f"shapes {a} and {b} do not fit: the last dim of the first ({a[-1]}) must equal "
                f"the {'only' if len(b) == 1 else 'second-to-last'} dim of the second ({inner_b})"
            )
        return ValueError(f"batch dims of shapes {a} and {b} do not broadcast")

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if needs[0] else None), (g * a if needs[1] else None)
        # Work with matrices: restore the dims the 1-D promotion removed from g.
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        if a_vec:
            g = np.expand_dims(g, -2)
        if b_vec:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if needs[0]:
            ga = g @ np.swapaxes(np.expand_dims(b, -1) if b_vec else b, -1, -2)
            if a_vec:
                ga = np.squeeze(ga, -2)
        if needs[1]:
            gb = np.swapaxes(np.expand_dims(a, 0) if a_vec else a, -1, -2) @ g
            if b_vec:
                gb = np.squeeze(gb, -1)
        return ga, gb


class Linear(Op):
    """``x @ w.T + b`` as one node: the layer every MLP and RNN is made of.

    Composed of matmul, transpose and add it would take four nodes, and its weight gradient
    would come out transposed (a strided copy when it lands in ``.grad``); here it is
    computed as ``g^T x`` directly, in the weight's own layout.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any) -> Any:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        out = np.matmul(x, w.T)
        return out if b is None else out + b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, w = ctx.saved_tensors
        return linear_grads(g, x, w, ctx.needs_input_grad)


def linear_grads(g: Any, x: Any, w: Any, needs: Any) -> tuple[Any, Any, Any]:
    """The gradients of x @ w.T + b for the upstream ``g`` (arrays, or tensors recorded): (gx, gw, gb), each
    None unless its flag in ``needs`` is set (x is needed for gw only, w for gx only)."""
    gx = g @ w if needs[0] else None
    # NOTE: explicit row counts, not -1, which a tensor with no elements leaves undetermined.
    n = numel(g.shape[:-1])
    rows: Any = np.reshape(g, (n, g.shape[-1])) if needs[1] or needs[2] else None  # a tensor if g is one
    gw = np.swapaxes(rows, 0, 1) @ np.reshape(x, (n, x.shape[-1])) if needs[1] else None
    gb = np.sum(rows, axis=0) if needs[2] else None
    return gx, gw, gb
