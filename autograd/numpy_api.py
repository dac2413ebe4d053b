"""NumPy's dispatch protocols for graph values: ``np.exp(t)``, ``np.where(c, t, 0)`` and
``array * t`` on a Tensor give a Tensor, through the Tensor's own (recorded) methods.

This is what lets one derivative rule run two ways (see ``function.py``): written with NumPy
functions and operators, it runs on arrays in a first-order backward and on tensors, recorded,
under ``create_graph``. A NumPy function with no derivative here still works on values that
need no gradient (it is computed on the arrays, and a ufunc's result is a constant tensor);
on a value that needs one, while recording, it is refused rather than silently cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .grad_mode import _state
from .variable import Variable, data_of

if TYPE_CHECKING:
    from .tensor import Tensor

# ufunc -> how a value computes it: (name of a method of the first value operand, name of
# the reflected method when the value is the second operand).
_BINARY: dict[Any, tuple[str, str]] = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.float_power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.maximum: ("maximum", "maximum"),
    np.minimum: ("minimum", "minimum"),
    np.hypot: ("hypot", "hypot"),
}
_UNARY: dict[Any, str] = {
    np.negative: "__neg__", np.positive: "__pos__", np.exp: "exp", np.log: "log", np.sqrt: "sqrt",
    np.absolute: "abs", np.sin: "sin", np.cos: "cos", np.tanh: "tanh", np.square: "square",
}
_REDUCE: dict[Any, str] = {np.add: "sum", np.maximum: "amax", np.minimum: "amin", np.multiply: "prod"}


def array_ufunc(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``Variable.__array_ufunc__``: a ufunc with a value among its operands."""
    if method == "__call__" and not kwargs:
        if len(inputs) == 2 and ufunc in _BINARY:
            a, b = inputs
            name, reflected = _BINARY[ufunc]
            if isinstance(a, Variable):
                return getattr(a, name)(b)
            return getattr(b, reflected)(a)
        if len(inputs) == 1 and ufunc in _UNARY:
            return getattr(inputs[0], _UNARY[ufunc])()
    if method == "reduce" and ufunc in _REDUCE and len(inputs) == 1 and set(kwargs) <= {"axis", "keepdims"}:
        axis = kwargs.get("axis", 0)
        return getattr(inputs[0], _REDUCE[ufunc])(axis, kwargs.get("keepdims", False))
    return _constant(self, f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"),
                     lambda *raw, **kw: getattr(ufunc, method)(*raw, **kw), inputs, kwargs)


def implements(func: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare, beside a function of the Tensor API, that it is what the NumPy function
    ``func`` does on values (the pattern of NumPy's NEP 18): a module that defines a form
    registers it, so that this one imports none of them."""

    def register(form: Callable[..., Any]) -> Callable[..., Any]:
        _FUNCTIONS[func] = lambda like, *args, **kwargs: form(*args, **kwargs)
        return form

    return register


def _where(like: Any, condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return np.nonzero(data_of(condition))
    if isinstance(x, Variable):
        return cast("Tensor", x).where(condition, y)  # the values that dispatch to NumPy are tensors
    return _value(like, y).where(~np.asarray(data_of(condition)), x)  # the same choice, seen from y


def _sum(like: Any, a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **_: Any) -> Any:
    return _value(like, a).sum(axis, keepdims)


def _reshape(like: Any, a: Any, shape: Any = None, *args: Any, **kwargs: Any) -> Any:
    return _value(like, a).reshape(kwargs.get("newshape", shape))


def _transpose(like: Any, a: Any, axes: Any = None) -> Any:
    value = _value(like, a)
    return value.permute(*(range(value.ndim - 1, -1, -1) if axes is None else axes))


def _value(like: Any, a: Any) -> Any:
    """``a`` as a value of the kind of ``like`` (the value NumPy dispatched on)."""
    return a if isinstance(a, Variable) else type(like)._wrap(np.asarray(a))


# NumPy function -> its form on values, given the value NumPy dispatched on (``like``) first:
# the functions derivative rules use. Modules that define forms add theirs (``implements``).
_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.where: _where,
    np.sum: _sum,
    np.prod: lambda like, a, axis=None, keepdims=False, **_: _value(like, a).prod(axis, keepdims),
    np.reshape: _reshape,
    np.transpose: _transpose,
    np.swapaxes: lambda like, a, axis1, axis2: _value(like, a).transpose(axis1, axis2),
    np.moveaxis: lambda like, a, source, destination: _value(like, a).movedim(source, destination),
    np.expand_dims: lambda like, a, axis: _value(like, a).unsqueeze(axis),
    np.squeeze: lambda like, a, axis=None: _value(like, a).squeeze(axis),
    np.broadcast_to: lambda like, array, shape, **_: _value(like, array).expand(*shape),
    np.clip: lambda like, a, a_min=None, a_max=None, **_: _value(like, a).clamp(a_min, a_max),
    np.shape: lambda like, a: tuple(np.shape(data_of(a))),
    np.ndim: lambda like, a: np.ndim(data_of(a)),
    np.size: lambda like, a, axis=None: np.size(data_of(a), axis),
}


def array_function(self: Any, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Variable.__array_function__``: a NumPy function with a value among its arguments."""
    form = _FUNCTIONS.get(func)
    if form is not None:
        return form(self, *args, **kwargs)
    return _constant(self, f"np.{func.__name__}", func, args, kwargs, wrap=False)


def _constant(self: Any, name: str, compute: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              wrap: bool = True) -> Any:
    """A NumPy function without a derivative here, computed on the raw values: refused for a
    value that needs a gradient while recording, a constant otherwise."""
    values = [a for a in _flatten(args) if isinstance(a, Variable)]
    out = kwargs.get("out")
    raw_kwargs = dict(kwargs)
    if out is not None:
        outs = out if isinstance(out, tuple) else (out,)
        raw_kwargs["out"] = tuple(data_of(o) for o in outs) if isinstance(out, tuple) else data_of(out)
    result = compute(*_unwrap(args), **raw_kwargs)
    # A result that is not floating-point (a comparison, indices) carries no gradient anyway.
    floating = any(np.asarray(r).dtype.kind in "fc" for r in (result if type(result) is tuple else (result,))
                   if isinstance(r, (np.ndarray, np.generic, float)))
    if floating and _state.enabled and any(v.requires_grad for v in values):
        raise TypeError(
            f"{name} has no derivative in ndgrad, and an operand requires grad; use the tensor's own "
            "methods, or compute it under autograd.no_grad() (or on .detach()) for a constant"
        )
    if out is not None:
        for o in out if isinstance(out, tuple) else (out,):
            if isinstance(o, Variable):
                o._counter()[0] += 1
        return out
    if not wrap:
        return result
    kind = type(self)
    if type(result) is tuple:
        return tuple(kind._wrap(np.asarray(r)) if isinstance(r, (np.ndarray, np.generic)) else r for r in result)
    return kind._wrap(np.asarray(result)) if isinstance(result, (np.ndarray, np.generic)) else result


def _flatten(args: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flatten(a))
        else:
            out.append(a)
    return out


def _unwrap(args: Any) -> Any:
    return [(_unwrap(a) if isinstance(a, (list, tuple)) else data_of(a)) for a in args]
