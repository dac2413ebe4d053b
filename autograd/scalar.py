"""``Scalar``: one number with a gradient, for seeing the chain rule one step at a time.

It is micrograd's ``Value`` on this project's engine: the ops are the same ``Function``
classes the tensors use (their forward works on floats as well as on arrays), and
``backward()`` is the same iterative walk, so deep graphs are fine. Unlike a tensor, every
``Scalar`` keeps its gradient after ``backward()``, which is what a drawn graph shows.
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any

import numpy as np

from . import ops
from .engine import run_backward
from .function import Context, Variable


class Scalar(Variable):
    __slots__ = ("__weakref__", "_hooks", "_output_nr", "data", "grad", "grad_fn", "label", "requires_grad")
    _vc = [0]  # never changed in place, so one shared version counter will do
    shape: tuple[int, ...] = ()
    dtype = None

    def __init__(self, data: float, label: str = "", requires_grad: bool = True) -> None:
        if isinstance(data, Scalar):
            data = data.data
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise TypeError(f"Scalar needs a real number, got {type(data).__name__} {data!r}") from None
        self.grad: Any = 0.0
        self.grad_fn: Context | None = None
        self.requires_grad = requires_grad
        self._output_nr = 0
        self._hooks: list[Any] | None = None
        self.label = label

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Scalar:
        s = object.__new__(Scalar)
        s.data = float(data)
        s.grad = 0.0
        s.grad_fn = grad_fn
        s.requires_grad = grad_fn is not None
        s._output_nr = output_nr
        s._hooks = None
        s.label = ""
        if grad_fn is not None:
            if grad_fn._retained is None:
                grad_fn._retained = {}
            grad_fn._retained[output_nr] = weakref.ref(s)
        return s

    # --- what the engine asks of a value ---------------------------------------------
    def _edge(self) -> tuple[Any, int, Any, Any]:
        # Shape None: never reshaped or cast. The value itself rides along so that the graph
        # keeps every intermediate Scalar (and its .grad) alive, as micrograd's does, to be drawn.
        return (self.grad_fn or self, self._output_nr, None, None, self)

    @staticmethod
    def _zeros(shape: tuple[int, ...], dtype: Any) -> Scalar:
        return Scalar._wrap(0.0)

    def _accumulate_grad(self, g: Scalar, create_graph: bool) -> None:
        # With create_graph the gradient stays a Scalar in the graph, to differentiate again.
        self.grad = self.grad + (g if create_graph else g.data)

    def _seed_grad(self, gradient: Any) -> Scalar:
        return Scalar._wrap(1.0 if gradient is None else float(getattr(gradient, "data", gradient)))

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(x) into ``x.grad`` for every Scalar x this one was computed from."""
        if not self.requires_grad:
            raise RuntimeError(f"backward() on {self!r}, which does not require grad")
        g = self._seed_grad(gradient)
        run_backward([self], [g], create_graph if retain_graph is None else retain_graph, create_graph)

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        grad = self.grad.data if isinstance(self.grad, Scalar) else self.grad
        return f"Scalar({name}data={self.data:.4g}, grad={grad:.4g})"

    # --- arithmetic --------------------------------------------------------------------
    def __add__(self, other: Any) -> Scalar:
        return ops.Add.apply(self, _number(other))

    def __radd__(self, other: Any) -> Scalar:
        return ops.Add.apply(_number(other), self)

    def __sub__(self, other: Any) -> Scalar:
        return ops.Sub.apply(self, _number(other))

    def __rsub__(self, other: Any) -> Scalar:
        return ops.Sub.apply(_number(other), self)

    def __mul__(self, other: Any) -> Scalar:
        return ops.Mul.apply(self, _number(other))

    def __rmul__(self, other: Any) -> Scalar:
        return ops.Mul.apply(_number(other), self)

    def __truediv__(self, other: Any) -> Scalar:
        return ops.Div.apply(self, _number(other))

    def __rtruediv__(self, other: Any) -> Scalar:
        return ops.Div.apply(_number(other), self)

    def __pow__(self, exponent: Any) -> Scalar:
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError(
                f"Scalar ** needs an int or float exponent, got {type(exponent).__name__}; "
                "for a Scalar exponent write (b * a.log()).exp()"
            )
        return ops.Pow.apply(self, float(exponent))

    def __neg__(self) -> Scalar:
        return ops.Neg.apply(self)

    def exp(self) -> Scalar:
        return ops.Exp.apply(self)

    def log(self) -> Scalar:
        return ops.Log.apply(self)

    def tanh(self) -> Scalar:
        return ops.Tanh.apply(self)

    def relu(self) -> Scalar:
        return ops.Relu.apply(self)

    def sigmoid(self) -> Scalar:
        return ops.Sigmoid.apply(self)


def _number(x: Any) -> Any:
    if isinstance(x, Scalar):
        return x
    if isinstance(x, (numbers.Real, np.bool_)):
        return float(x)
    raise TypeError(f"a Scalar combines with Scalars, ints and floats, not {type(x).__name__}")
