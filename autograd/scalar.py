"""``Scalar``: one number with a gradient, for seeing the chain rule one step at a time.

It is micrograd's ``Value`` on this project's engine. Each op computes its result and, right
beside it, its local derivatives as floats, and leaves a node of the shared engine that holds
them; a first-order ``backward()`` multiplies gradients by them, in floats. Under
``create_graph`` the engine applies the op's ``Function`` again, recorded, and uses its
backward rule, so higher derivatives come from the same rules as a Tensor's. Unlike a tensor,
every ``Scalar`` keeps its gradient after ``backward()``, which is what a drawn graph shows.

NOTE: the float derivatives below restate, for floats, the first-order rules of the ops in
``ops/elementwise.py``; they make a Scalar graph about ten times cheaper than building the
rule's arguments at every op, which is what a micrograd-sized engine is judged by.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops
from .engine import run_backward
from .function import Context, new_node
from .grad_mode import _state
from .variable import Variable

if TYPE_CHECKING:
    from .tensor import RemovableHandle

_new = object.__new__


class Scalar(Variable):
    __slots__ = ("_data", "_hooks", "grad", "grad_fn", "label", "requires_grad")
    _vc = [0]  # never changed in place, so one shared version counter will do
    _output_nr = 0  # every Scalar op has one output
    shape: tuple[int, ...] = ()
    dtype = None

    def __init__(self, data: float, label: str = "", requires_grad: bool = True) -> None:
        if isinstance(data, Scalar):
            data = data._data
        try:
            self._data = float(data)
        except (TypeError, ValueError):
            raise TypeError(f"Scalar needs a real number, got {type(data).__name__} {data!r}") from None
        self.grad: float | Scalar = 0.0  # a Scalar when backward(create_graph=True) built it
        self.grad_fn: Context | None = None
        self.requires_grad = requires_grad
        self._hooks: list[Any] | None = None
        self.label = label

    @property
    def data(self) -> float:
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = float(value)

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Scalar:
        s = _new(Scalar)
        s._data = float(data)
        s.grad = 0.0
        s.grad_fn = grad_fn
        s.requires_grad = grad_fn is not None
        s._hooks = None
        s.label = ""
        return s

    # --- what the engine asks of a value (see variable.py) ----------------------------
    @staticmethod
    def _zeros(shape: tuple[int, ...], dtype: Any) -> float:
        return 0.0

    @staticmethod
    def _sum_to(g: Any, shape: Any, op: str) -> Any:
        return g

    def _accumulate_grad(self, g: Any, create_graph: bool, owned: bool = False) -> None:
        # With create_graph the gradient stays a Scalar in the graph, to differentiate again.
        if create_graph:
            self.grad = self.grad + g
        else:
            self.grad += g._data if isinstance(g, Scalar) else g

    def _seed_grad(self, gradient: Any, create_graph: bool) -> Any:
        value = 1.0 if gradient is None else float(getattr(gradient, "_data", gradient))
        return Scalar._wrap(value) if create_graph else value

    def backward(self, gradient: float | Scalar | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(x) into ``x.grad`` for every Scalar x this one was computed from."""
        if not self.requires_grad:
            raise RuntimeError(f"backward() on {self!r}, which does not require grad")
        g = self._seed_grad(gradient, create_graph)
        run_backward((self,), (g,), create_graph if retain_graph is None else retain_graph, create_graph)

    def register_hook(self, hook: Callable[[Scalar], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when this Scalar's gradient is computed; a returned value replaces it."""
        from .tensor import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError("register_hook() on a Scalar that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return RemovableHandle(self._hooks, hook)
        return RemovableHandle(self.grad_fn.register_prehook(0, hook), hook)

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        grad = self.grad._data if isinstance(self.grad, Scalar) else self.grad
        return f"Scalar({name}data={self._data:.4g}, grad={grad:.4g})"

    # --- arithmetic: each result beside its local derivatives ------------------------------
    def __add__(self, other: Scalar | float) -> Scalar:
        b = _number(other)
        return _result(self._data + _raw(b), ops.Add, (self, b), (1.0, 1.0))

    def __radd__(self, other: Scalar | float) -> Scalar:
        a = _number(other)
        return _result(_raw(a) + self._data, ops.Add, (a, self), (1.0, 1.0))

    def __sub__(self, other: Scalar | float) -> Scalar:
        b = _number(other)
        return _result(self._data - _raw(b), ops.Sub, (self, b), (1.0, -1.0))

    def __rsub__(self, other: Scalar | float) -> Scalar:
        a = _number(other)
        return _result(_raw(a) - self._data, ops.Sub, (a, self), (1.0, -1.0))

    def __mul__(self, other: Scalar | float) -> Scalar:
        b = _number(other)
        x, y = self._data, _raw(b)
        return _result(x * y, ops.Mul, (self, b), (y, x))

    def __rmul__(self, other: Scalar | float) -> Scalar:
        a = _number(other)
        x, y = _raw(a), self._data
        return _result(x * y, ops.Mul, (a, self), (y, x))

    def __truediv__(self, other: Scalar | float) -> Scalar:
        return _divide(self, _number(other))

    def __rtruediv__(self, other: Scalar | float) -> Scalar:
        return _divide(_number(other), self)

    def __pow__(self, exponent: float) -> Scalar:
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError(
                f"Scalar ** needs an int or float exponent, got {type(exponent).__name__}; "
                "for a Scalar exponent write (b * a.log()).exp()"
            )
        e = float(exponent)
        x = self._data
        # NOTE: b * a**(b-1) would be 0 * inf at a = 0 when b = 0; the derivative is 0 there.
        slope = 0.0 if e == 0 else e * _power(x, e - 1.0)
        return _result(_power(x, e), ops.Pow, (self, e), (slope, None))

    def __neg__(self) -> Scalar:
        return _result(-self._data, ops.Neg, (self,), (-1.0,))

    def exp(self) -> Scalar:
        try:
            out = math.exp(self._data)
        except OverflowError:
            out = float(np.exp(self._data))  # inf, with NumPy's warning
        return _result(out, ops.Exp, (self,), (out,))

    def log(self) -> Scalar:
        x = self._data
        out = math.log(x) if x > 0 else float(np.log(x))  # -inf or nan, with NumPy's warning
        return _result(out, ops.Log, (self,), (_quotient(1.0, x),))

    def tanh(self) -> Scalar:
        out = math.tanh(self._data)
        return _result(out, ops.Tanh, (self,), (1.0 - out * out,))

    def relu(self) -> Scalar:
        x = self._data
        # NOTE: None where it passes nothing back (x <= 0: relu'(0) = 0): no share at all, so a
        # nan from upstream stays out, as the tensor's select does.
        return _result(x if x > 0 else 0.0, ops.Relu, (self,), (1.0 if x > 0 else None,))

    def sigmoid(self) -> Scalar:
        x = self._data
        e = math.exp(-abs(x))  # NOTE: exp of -|x| never overflows
        out = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
        return _result(out, ops.Sigmoid, (self,), (out * (1.0 - out),))


def _result(value: float, fn: Any, args: tuple[Any, ...], partials: tuple[Any, ...]) -> Scalar:
    """The Scalar ``value`` computed by ``fn`` from ``args``, with a node holding the local
    derivatives when an argument requires grad and recording is on."""
    s = _new(Scalar)
    s._data = value
    s.grad = 0.0
    s._hooks = None
    s.label = ""
    if _state.enabled:
        for a in args:
            if type(a) is Scalar and a.requires_grad:
                s.grad_fn = new_node(fn, args, (), partials, Scalar, args)
                s.requires_grad = True
                return s
    s.grad_fn = None
    s.requires_grad = False
    return s


def _divide(a: Any, b: Any) -> Scalar:
    x, y = _raw(a), _raw(b)
    out = _quotient(x, y)
    return _result(out, ops.Div, (a, b), (_quotient(1.0, y), -_quotient(out, y)))


def _quotient(x: float, y: float) -> float:
    # Python's floats raise at a pole; NumPy's give inf or nan with a warning, as tensors do.
    return x / y if y != 0 else float(np.divide(x, y))


def _power(x: float, e: float) -> float:
    if x > 0:
        try:
            return x**e
        except OverflowError:
            pass
    return float(np.power(x, e))  # 0 ** -1, (-1) ** 0.5, overflow: IEEE values with a warning


def _raw(x: Any) -> float:
    return x._data if type(x) is Scalar else x


def _number(x: Any) -> Any:
    if type(x) is Scalar or type(x) is float:
        return x
    if isinstance(x, Scalar):
        return x
    if isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, Variable):
        return float(x)
    raise TypeError(f"a Scalar combines with Scalars, ints and floats, not {type(x).__name__}")
