"""In-place ops and version tracking: ``add_``, ``copy_``, ``x[i] = v`` and friends.

An in-place op on a tensor that is part of a recorded graph is recorded as its out-of-place
op, whose result the tensor then becomes (its values written into its memory, its history
taken over). Every change bumps the tensor's version counter, which the nodes that saved it
check in backward; a change that would leave a recorded view or base silently wrong is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import indexing_ops, ops
from .dtypes import _describe, _foreign_error, _is_real, _operand
from .grad_mode import _state, no_grad
from .indexing import _index, in_numpy_order, torch_order
from .random_state import _rng
from .variable import Variable, data_of

if TYPE_CHECKING:
    from .function import Context
    from .shapes import Size
    from .tensor import Tensor


def _in_place(method: str) -> Any:
    """The in-place form ``<method>_`` of the elementwise method ``method`` (see ``_elementwise_``)."""

    def update(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._elementwise_(method, *args, **kwargs)

    update.__name__ = update.__qualname__ = method + "_"
    update.__doc__ = f"``{method}`` in place."
    return update


class InPlace:
    """The in-place methods of ``Tensor``."""

    __slots__ = ()
    _data: Any
    if TYPE_CHECKING:
        # What these methods use of Tensor (which derives from this class and Variable), declared
        # for the checker only: the slots and the definitions are Tensor's.
        grad_fn: Context | None
        requires_grad: bool
        _output_nr: int
        _vc: list[int] | None
        _base: Tensor | None

        @property
        def shape(self) -> Size: ...

        @property
        def dtype(self) -> np.dtype: ...

        @staticmethod
        def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Tensor: ...

    def __setitem__(self, index: Any, value: Any) -> None:
        index = _index(index, self.shape)
        order = torch_order(index, self.shape)
        if order is not None:
            value = in_numpy_order(value, *order)
        if self._records_inplace("__setitem__", value):
            self._become(ops.SetItem.apply(self, _operand(value), index), "__setitem__")
        else:
            try:
                self._data[index] = data_of(value)
            except (ValueError, IndexError) as e:
                raise type(e)(f"__setitem__ on a tensor of shape {self.shape}: {e}") from None
            self._bump()

    # --- in-place ops ---------------------------------------------------------------
    def _records_inplace(self, op: str, *others: Any) -> bool:
        """Whether an in-place op must be recorded; refuses to modify a leaf that requires grad
        or memory that cannot be written (a broadcast view made by expand)."""
        for other in others:
            if not _is_real(other):
                raise _foreign_error(other, f"{op} on a tensor of shape {self.shape}: ")
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor of shape {self.shape} is read-only (a broadcast view, made by expand, "
                "whose elements share memory); clone() it before changing it in place"
            )
        if not _state.enabled or self.dtype.kind != "f":  # integers and bools carry no gradient
            return False
        base = self._base
        if base is not None and self.grad_fn is None and not self.requires_grad and base.requires_grad:
            # A view made under no_grad (detach() makes none: its result may change, as in torch).
            raise RuntimeError(
                f"{op}: in-place change of a tensor of shape {self.shape} that views a leaf tensor which "
                "requires grad (a view made under no_grad); change the leaf under autograd.no_grad(), or clone()"
            )
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{op}: in-place change of a leaf tensor of shape {self.shape} that requires grad; "
                "do parameter updates under autograd.no_grad()"
            )
        recorded = self.requires_grad or any(isinstance(o, Variable) and o.requires_grad for o in others)
        if recorded and self._vc is not None and len(self._vc) > 1:
            # NOTE: the view's or the base's recorded history would not see this change, and
            # their gradients would be silently wrong; torch rewrites that history, we refuse.
            raise RuntimeError(
                f"{op}: in-place change, while recording a graph, of a tensor of shape {self.shape} that "
                "shares memory with another (a view made by indexing, reshape, transpose or expand, or "
                "the tensor it views). Use the out-of-place op, or clone() the tensor first."
            )
        return recorded

    def _bump(self) -> None:
        # Without a counter nobody saved this tensor or shares its memory: nothing to tell.
        if self._vc is not None:
            self._vc[0] += 1

    def _become(self, result: Tensor, op: str) -> Tensor:
        """Make this tensor ``result``: its values written in place, its history taken over."""
        if result.shape != self.shape:
            raise ValueError(f"{op}: the result has shape {result.shape} and cannot be written in place into a "
                             f"tensor of shape {self.shape}")
        self._data[...] = result._data
        self._bump()
        old = self.grad_fn
        if old is not None and old.retained().get(self._output_nr) is not None:
            # retain_grad follows the tensor to its new value, whose gradient it then keeps.
            ref = old.forget_retained(self._output_nr)
            if result.grad_fn is not None:
                result.grad_fn.retain(result._output_nr, ref)
        # The checker refuses assignments to attributes outside this class's (empty) slots; they are Tensor's.
        t = cast("Tensor", self)
        t.grad_fn, t._output_nr, t.requires_grad = result.grad_fn, result._output_nr, result.requires_grad
        return t

    def _snapshot(self) -> Any:
        """This tensor's values and history, in memory of their own: what a recorded in-place op
        reads, so that whatever it saves for backward (mul_ and div_ save their first input) is
        not the memory about to be overwritten."""
        before = self._wrap(self._data.copy(), self.grad_fn, self._output_nr)
        before.requires_grad = self.requires_grad
        return before

    def _inplace(self, op: str, fn: Any, ufunc: Any, other: Any) -> Any:
        if self._records_inplace(op, other):
            return self._become(fn.apply(self._snapshot(), _operand(other)), op)
        try:
            ufunc(self._data, data_of(other), out=self._data, casting="same_kind")
        except (ValueError, TypeError) as e:
            kind = TypeError if isinstance(e, TypeError) else ValueError  # not NumPy's UFunc*Error subclasses
            raise kind(f"{op}: cannot update a tensor of shape {self.shape} and dtype {self.dtype} "
                          f"with {_describe(other)} in place: {e}") from None
        self._bump()
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Any:
        return self._inplace("add_", ops.Add, np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1.0) -> Any:
        return self._inplace("sub_", ops.Sub, np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Any:
        return self._inplace("mul_", ops.Mul, np.multiply, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        if rounding_mode is not None:
            return self._elementwise_("div", other, rounding_mode=rounding_mode)
        return self._inplace("div_", ops.Div, np.true_divide, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def _update(self, op: str, compute: Any, *args: Any, **kwargs: Any) -> Any:
        """The out-of-place ``compute(self, *args, **kwargs)`` done in place: recorded when a
        graph is being built (this tensor takes over the result's history), else written
        straight into this tensor's memory."""
        if self._records_inplace(op, *(a for a in (*args, *kwargs.values()) if isinstance(a, Variable))):
            return self._become(compute(self._snapshot(), *args, **kwargs), op)
        with no_grad():
            result = compute(self, *args, **kwargs)
        if result.shape != self.shape:
            raise RuntimeError(f"{op}: the result has shape {result.shape} and cannot be written in place into a "
                               f"tensor of shape {self.shape}")
        self._data[...] = result._data
        self._bump()
        return self

    # --- in-place forms of the indexing ops (indexing_ops.py) -----------------------
    def masked_fill_(self, mask: Any, value: Any) -> Any:
        """``masked_fill`` in place: ``value`` where ``mask`` (broadcast to this shape) holds."""
        return self._update("masked_fill_", indexing_ops.masked_fill, mask, value)

    def masked_scatter_(self, mask: Any, source: Any) -> Any:
        """``masked_scatter`` in place: the elements of ``source``, in order, where ``mask`` holds."""
        return self._update("masked_scatter_", indexing_ops.masked_scatter, mask, source)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Any:
        """``scatter`` in place: ``src`` (or ``value``) written along ``dim`` at ``index``."""
        return self._update("scatter_", indexing_ops.scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        """``scatter_add`` in place: ``src`` added along ``dim`` at ``index``."""
        return self._update("scatter_add_", indexing_ops.scatter_add, dim, index, src)

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Any:
        """``scatter_reduce`` in place: ``src`` reduced into this tensor along ``dim`` at ``index``."""
        return self._update("scatter_reduce_", indexing_ops.scatter_reduce, dim, index, src, reduce,
                            include_self=include_self)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
        """``index_add`` in place: the slices of ``source`` (times ``alpha``) added at ``index``."""
        return self._update("index_add_", indexing_ops.index_add, dim, index, source, alpha=alpha)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        """``index_fill`` in place: the slices along ``dim`` at ``index`` set to ``value``."""
        return self._update("index_fill_", indexing_ops.index_fill, dim, index, value)

    def fill_(self, value: Any) -> Any:
        if self._records_inplace("fill_", value):
            return self._become(ops.Fill.apply(self, data_of(value)), "fill_")
        self._data.fill(data_of(value))
        self._bump()
        return self

    def zero_(self) -> Any:
        return self.fill_(0)

    def copy_(self, src: Any) -> Any:
        if self._records_inplace("copy_", src):
            return self._become(ops.CopyFrom.apply(self, _operand(src)), "copy_")
        try:
            self._data[...] = data_of(src)
        except ValueError:
            shape = np.shape(data_of(src))
            raise ValueError(f"copy_: source of shape {shape} does not broadcast to {self.shape}") from None
        self._bump()
        return self

    # --- in-place forms of the elementwise ops ------------------------------------------
    def _elementwise_(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``self.<method>_(*args)``: the out-of-place ``method``'s result written into this tensor (see
        ``_update``); refused, as in torch, when this tensor's dtype cannot hold it (exp_ of integers)."""
        op = method + "_"

        def compute(t: Any, *a: Any, **kw: Any) -> Any:
            result = getattr(t, method)(*a, **kw)
            if not np.can_cast(result.dtype, self.dtype, "same_kind"):
                raise TypeError(f"{op}: the result has dtype {result.dtype}, which this tensor of dtype {self.dtype} "
                                f"cannot hold; use the out-of-place {method}()")
            return result

        return self._update(op, compute, *args, **kwargs)

    exp_ = _in_place("exp")
    log_ = _in_place("log")
    sqrt_ = _in_place("sqrt")
    abs_ = _in_place("abs")
    neg_ = _in_place("neg")
    square_ = _in_place("square")
    sin_ = _in_place("sin")
    cos_ = _in_place("cos")
    tan_ = _in_place("tan")
    tanh_ = _in_place("tanh")
    sigmoid_ = _in_place("sigmoid")
    relu_ = _in_place("relu")
    asin_ = arcsin_ = _in_place("asin")
    acos_ = arccos_ = _in_place("acos")
    atan_ = arctan_ = _in_place("atan")
    sinh_ = _in_place("sinh")
    cosh_ = _in_place("cosh")
    asinh_ = arcsinh_ = _in_place("asinh")
    acosh_ = arccosh_ = _in_place("acosh")
    atanh_ = arctanh_ = _in_place("atanh")
    log2_ = _in_place("log2")
    log10_ = _in_place("log10")
    log1p_ = _in_place("log1p")
    expm1_ = _in_place("expm1")
    exp2_ = _in_place("exp2")
    rsqrt_ = _in_place("rsqrt")
    reciprocal_ = _in_place("reciprocal")
    erf_ = _in_place("erf")
    erfc_ = _in_place("erfc")
    erfinv_ = _in_place("erfinv")
    floor_ = _in_place("floor")
    ceil_ = _in_place("ceil")
    trunc_ = fix_ = _in_place("trunc")
    frac_ = _in_place("frac")
    sign_ = sgn_ = _in_place("sign")
    bitwise_not_ = _in_place("bitwise_not")
    logical_not_ = _in_place("logical_not")

    def round_(self, *, decimals: int = 0) -> Any:
        """``round`` in place."""
        return self._elementwise_("round", decimals=decimals)

    def nan_to_num_(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        """``nan_to_num`` in place."""
        return self._elementwise_("nan_to_num", nan, posinf, neginf)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        """``clamp`` in place."""
        return self._elementwise_("clamp", min, max)

    clip_ = clamp_

    def clamp_min_(self, min: Any) -> Any:  # noqa: A002
        """``clamp_min`` in place."""
        return self._elementwise_("clamp", min, None)

    def clamp_max_(self, max: Any) -> Any:  # noqa: A002
        """``clamp_max`` in place."""
        return self._elementwise_("clamp", None, max)

    def lerp_(self, end: Any, weight: Any) -> Any:
        """``lerp`` in place."""
        return self._elementwise_("lerp", end, weight)

    def pow_(self, exponent: Any) -> Any:
        """``pow`` in place."""
        return self._inplace("pow_", ops.Pow, np.power, exponent)

    # Binary ops with one other operand: ``x.atan2_(y)`` is ``x.atan2(y)`` in place.
    atan2_ = arctan2_ = _in_place("atan2")
    hypot_ = _in_place("hypot")
    copysign_ = _in_place("copysign")
    fmod_ = _in_place("fmod")
    remainder_ = _in_place("remainder")
    floor_divide_ = _in_place("floor_divide")
    true_divide_ = _in_place("true_divide")
    bitwise_and_ = _in_place("bitwise_and")
    bitwise_or_ = _in_place("bitwise_or")
    bitwise_xor_ = _in_place("bitwise_xor")
    bitwise_left_shift_ = _in_place("bitwise_left_shift")
    bitwise_right_shift_ = _in_place("bitwise_right_shift")
    logical_and_ = _in_place("logical_and")
    logical_or_ = _in_place("logical_or")
    logical_xor_ = _in_place("logical_xor")

    __ipow__, __imod__, __ifloordiv__ = pow_, remainder_, floor_divide_
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_
    addcmul_ = _in_place("addcmul")
    addcdiv_ = _in_place("addcdiv")
    negative_ = _in_place("neg")
    absolute_ = _in_place("abs")
    multiply_ = _in_place("mul")
    subtract_ = _in_place("sub")

    # --- in-place random fills ------------------------------------------------------------
    # The values come from autograd's generator (or ``generator``), as the factories' do; the fill
    # is recorded as a copy, so the tensor's old values get gradient 0, as in torch.
    def uniform_(self, low: float = 0.0, high: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with values uniform on [low, high)."""
        return self._fill_random("uniform_", lambda rng: rng.uniform(low, high, self.shape), generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with values drawn from the normal distribution of ``mean`` and ``std``."""
        return self._fill_random("normal_", lambda rng: rng.normal(mean, std, self.shape), generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with values drawn from the exponential distribution of rate ``lambd``."""
        return self._fill_random("exponential_", lambda rng: rng.exponential(1.0 / lambd, self.shape), generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Any:
        """Fill with 1 where a uniform draw falls below ``p`` (a number or a tensor that broadcasts), else 0."""
        return self._fill_random("bernoulli_", lambda rng: rng.random(self.shape) < data_of(p), generator,
                                 floats_only=False)

    def _fill_random(self, op: str, draw: Any, generator: Any, floats_only: bool = True) -> Any:
        if floats_only and self.dtype.kind != "f":
            raise TypeError(f"{op} fills floating-point tensors, this one has dtype {self.dtype}")
        values = np.asarray(draw(_rng(generator, op)), dtype=self.dtype)
        return self._update(op, lambda t: ops.CopyFrom.apply(t, values))
