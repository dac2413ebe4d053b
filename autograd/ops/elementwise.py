"""Elementwise ops. Broadcast operands get full-shape gradients here; the engine reduces
them to each operand's shape (see ``engine._fit``), so no rule below sums over anything.

Conventions at kinks and ties (as in PyTorch): relu'(0) = 0, abs'(0) = 0, clamp passes the
gradient on its closed interval [min, max], maximum/minimum split it 0.5/0.5 on ties.

Where an op passes no gradient to an element (relu below 0, clamp outside its bounds, the
smaller side of maximum), it selects zero there (``select``) rather than multiplying by a 0/1
mask: a NaN or inf arriving from upstream for that element must stay out, and 0 * nan is nan.
As in torch, abs multiplies by its sign, and lets it through.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op
from ..variable import data_of


class Add(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, g


class Sub(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        # Save only what the other gradient needs, so that x.mul_(2) keeps a usable graph.
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        return (g * b if b is not None else None), (g * a if a is not None else None)


class Div(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        # a only when b's gradient needs it, so that x /= 2 keeps a usable graph (as in Mul).
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        # NOTE: np.divide, not `/`: Scalars reach here as floats, and 1.0 / 0.0 would raise
        # instead of giving inf (with a warning) as arrays do.
        return np.divide(a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Neg(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        return -a

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return -g


class Pow(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = np.power(a, b)  # NOTE: as np.divide in Div (0.0 ** -1, (-1.0) ** 0.5, 10.0 ** 400)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, (int, float)):
                # NOTE: b * a**(b-1) is 0 * inf at a = 0 when b = 0; the true derivative is 0,
                # and no NaN from upstream gets through it either.
                ga = g * (b * a ** (b - 1)) if b != 0 else select(False, g)
            else:
                # Where b = 0 the base is swapped for 1 so that 0 ** -1 is never computed.
                nonzero = data_of(b) != 0
                ga = g * np.where(nonzero, b * np.where(nonzero, a, 1.0) ** (b - 1), 0.0)
        if ctx.needs_input_grad[1]:
            # d(a**b)/db = a**b log a. At a = 0 its limit is 0 for b >= 0 (not 0 * -inf) and
            # -inf for b < 0 (IEEE's limit, as torch has it; not inf * 0).
            base = np.asarray(data_of(a))
            pole = (base == 0) & (np.asarray(data_of(b)) < 0)
            gb = g * np.where(pole, -np.inf, out * np.log(np.where(base != 0, a, 1.0)))
        return ga, gb


class Exp(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * out


class Log(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (a,) = ctx.saved_tensors
        return g / a


class Sqrt(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g / (out * 2.0)


class Abs(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (a,) = ctx.saved_tensors
        return g * np.sign(data_of(a))  # sign(0) = 0: abs'(0) = 0


class Sin(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (a,) = ctx.saved_tensors
        return g * np.cos(a)


class Cos(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (a,) = ctx.saved_tensors
        return -g * np.sin(a)


class Tanh(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * (1.0 - out * out)


class Sigmoid(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        # NOTE: exp of -|a| never overflows; the two branches are the same function.
        e = np.exp(-np.abs(a))
        out = np.where(np.asarray(a) >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * (out * (1.0 - out))


class Relu(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_for_backward(a)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (a,) = ctx.saved_tensors
        return select(data_of(a) > 0, g)  # relu'(0) = 0


class Clamp(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, lo: Any, hi: Any) -> Any:
        ctx.save_for_backward(a, lo, hi)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, lo, hi = ctx.saved_tensors
        # out = min(max(a, lo), hi), ties going to a: find where each element came from, in the
        # output's shape (bounds may broadcast a). With lo > hi every element is hi, as in torch.
        x = np.broadcast_to(data_of(a), g.shape)
        highest = x if lo is None else np.where(x >= data_of(lo), x, data_of(lo))
        from_hi = np.zeros(g.shape, dtype=bool) if hi is None else highest > data_of(hi)
        from_lo = np.zeros(g.shape, dtype=bool) if lo is None else (x < data_of(lo)) & ~from_hi
        glo = select(from_lo, g) if ctx.needs_input_grad[1] else None
        ghi = select(from_hi, g) if ctx.needs_input_grad[2] else None
        return select(~(from_hi | from_lo), g), glo, ghi


def select(keep: Any, g: Any) -> Any:
    """``g`` where ``keep`` holds, else 0, as an op (so that it is differentiable again)."""
    return Where.apply(np.asarray(keep), g, 0.0)


class Maximum(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        return _split_ties(g, data_of(a), data_of(b))


class Minimum(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        return _split_ties(g, data_of(b), data_of(a))


def _split_ties(g: Any, winner: Any, loser: Any) -> tuple[Any, Any]:
    """Gradient of max(winner, loser)-like selections: the larger side takes it, ties halve it."""
    tie = np.asarray(winner == loser)
    if tie.any():
        g = g * np.where(tie, 0.5, 1.0).astype(g.dtype)
    return select(winner >= loser, g), select(loser >= winner, g)


class Where(Op):
    @staticmethod
    def forward(ctx: Any, cond: Any, a: Any, b: Any) -> Any:
        ctx.cond = cond
        if type(b) is float and b == 0.0 and type(a) is np.ndarray and a.dtype.kind == "f":
            # NOTE: select(keep, g), the masked gradient of relu, clamp and max, is hot in
            # backward. A product with the mask is four times faster than np.where, and the
            # same unless `a` holds inf or NaN (0 * inf is NaN, not 0), which one pass checks.
            if np.isfinite(a).all():
                return a * cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        cond = ctx.cond
        ga = select(cond, g) if ctx.needs_input_grad[1] else None
        gb = select(~cond, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


class Cast(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, dtype: Any) -> Any:
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.astype(ctx.dtype), None


class Clone(Op):
    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        return np.array(a, copy=True)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g
