"""``Tensor``: the API. Each method checks its arguments, then hands the math to a
``Function`` in ``ops/``; the engine (``engine.py``) walks the graph those leave behind."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import engine, indexing_ops, layout, ops, products, shapes, sorting, summaries
from .aliases import numpy_names
from .device import CPU, check_device, split_to_args
from .device import device as Device
from .dtypes import (
    _floating,
    _foreign_error,
    _integer_grad_error,
    _is_real,
    _operand,
    _pair,
    _promoted,
    _require_floating,
    as_array,
    to_dtype,
)
from .engine import run_backward
from .formatting import LINEWIDTH, format_array
from .function import Context
from .indexing import _index, torch_order
from .inplace import InPlace
from .numpy_api import array_function, array_ufunc
from .ops.math import (
    LN2,
    bitwise,
    copysign_factor,
    floor_divided,
    integer_divisor_checked,
    rounded,
    sign_of,
    trunc_divided,
)
from .ops.scan import along, median_index, running_extreme_index
from .results import MinMax, ValuesIndices
from .shapes import _SIZE, Size, _shape_arg, normalize_dim, normalize_dims, numel
from .variable import _TENSOR, Variable, data_of

_new = object.__new__

# Tensor has methods named int, float and bool (as torch's), which shadow the builtins in the
# class body, so its annotations name the builtins through these.
_int = int
_float = float
_bool = bool


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor(InPlace, Variable):
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data``. Python floats give
    float32, NumPy arrays keep their dtype; only floating tensors can require grad.
    """

    # NOTE: ``requires_grad`` is a plain slot, read by the engine for every argument of every op
    # (a property would cost ~60 ns a read, a few percent of a small op). Setting it to True
    # on an integer tensor by assignment is therefore caught where it would first matter:
    # when the tensor enters a graph (``Function.apply``) or starts one (``backward``).
    __slots__ = ("__weakref__", "_base", "_data", "_grad", "_hooks", "_output_nr", "_vc", "grad_fn", "requires_grad")
    __array_ufunc__ = array_ufunc  # np.exp(t), ndarray * t: see numpy_api.py
    __array_function__ = array_function
    __array_priority__ = 1000
    __hash__ = object.__hash__  # comparisons return tensors, so hash by identity as torch does

    def __init__(self, data: Any, requires_grad: _bool = False, dtype: Any = None) -> None:
        self._data = as_array(data._data if isinstance(data, Tensor) else data, dtype)
        self._grad: Tensor | None = None
        self.grad_fn: Context | None = None
        self._output_nr = 0
        self._vc: list[int] | None = None
        self._hooks: list[Any] | None = None
        self._base: Tensor | None = None  # the leaf that requires grad this tensor is a view of, if any
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: _int = 0) -> Tensor:
        # The internal constructor: no copy, no checks. Results of ops on a subclass
        # (Parameter) are plain tensors. A staticmethod: it is called for every op.
        t = _new(Tensor)
        t._data = data if type(data) is np.ndarray else np.asarray(data)
        t._grad = None
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._output_nr = output_nr
        t._vc = None
        t._hooks = None
        t._base = None
        return t

    # --- what the engine asks of a value (see variable.py) ----------------------------
    @staticmethod
    def _zeros(shape: tuple[_int, ...], dtype: Any) -> np.ndarray:
        return np.zeros(shape, dtype=dtype)

    @staticmethod
    def _sum_to(g: Any, shape: tuple[_int, ...], op: str) -> Any:
        try:
            return ops.SumToShape.apply(g, shape)
        except ValueError:
            raise RuntimeError(
                f"{op}.backward returned a gradient of shape {np.shape(data_of(g))} for an input of shape {shape}"
            ) from None

    def _accumulate_grad(self, g: Any, create_graph: _bool, owned: _bool = False) -> None:
        # The slot, not the checking ``grad`` setter: g has this tensor's shape and dtype.
        grad = self._grad
        if create_graph:
            if not isinstance(g, Tensor):
                g = Tensor._wrap(g)
            if grad is not None:
                self._grad = grad + g
            else:
                # g itself only if it is part of the graph (later sums then make new tensors):
                # otherwise it may be shared (Add hands one gradient to both inputs) or a
                # read-only broadcast view, and a later backward would add into it in place.
                self._grad = g if g.requires_grad else Tensor._wrap(np.array(g._data, copy=True))
            return
        raw = g._data if isinstance(g, Tensor) else g
        if grad is None:
            # A copy unless nobody else holds the array: the upstream gradient or another leaf may.
            self._grad = Tensor._wrap(raw if owned else np.array(raw, copy=True))
        elif grad.requires_grad or grad._data.shape != self._data.shape:
            self._grad = Tensor._wrap(grad._data + raw)
        else:
            grad._data += raw

    def _seed_grad(self, gradient: Any, create_graph: _bool) -> Any:
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element output, but this tensor has shape "
                    f"{self.shape}; reduce it first (e.g. .sum()) or pass gradient= of that shape"
                )
            ones = np.ones_like(self._data)
            return Tensor._wrap(ones) if create_graph else ones
        g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=self.dtype)
        if g.shape != self.shape:
            raise RuntimeError(f"backward(): gradient has shape {g.shape} but the output has shape {self.shape}")
        if g.dtype != self.dtype:
            g = g.to(self.dtype)
        return g if create_graph else g._data

    # --- attributes and conversions --------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same values outside the graph, as in torch: a tensor sharing this one's memory
        (writes through it change this tensor and record nothing). ``.numpy()`` gives the array.
        Unlike ``detach()`` it has a version counter of its own, as in torch: a change through it
        is not seen by what the graph saved."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        # As in torch: this tensor now holds ``value``'s memory (its shape and dtype too).
        self._data = value._data if isinstance(value, Tensor) else as_array(value)

    @property
    def shape(self) -> Size:
        # Code in ndgrad that only computes with the sizes reads ``_data.shape`` (a plain
        # tuple, no Size to make), as the engine does.
        return _SIZE(Size, self._data.shape)

    @property
    def ndim(self) -> _int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> _bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        # Refused here, as torch does, rather than inside NumPy at the next accumulation or update.
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"a gradient must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ValueError(
                    f"cannot assign a gradient of shape {value.shape} to a tensor of shape {self.shape}; "
                    "the shapes must be equal"
                )
            if value.dtype != self.dtype:
                raise TypeError(
                    f"cannot assign a gradient of dtype {value.dtype} to a tensor of dtype {self.dtype}; "
                    f"convert it first (.to({self.dtype}))"
                )
        self._grad = value

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        if self.ndim < 2:
            raise ValueError(f"mT needs at least 2 dims, got a tensor of shape {self.shape}")
        return self.transpose(-2, -1)

    @numpy_names
    def size(self, dim: _int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self._data.shape[normalize_dim(dim, self.ndim, "size")]

    def numel(self) -> _int:
        return int(self._data.size)

    def dim(self) -> _int:
        return self._data.ndim

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, got shape {self.shape} ({self._data.size} elements)"
            )
        return self._data.item()

    def numpy(self, force: _bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("numpy() on a tensor that requires grad: call .detach().numpy() to leave the graph")
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def __len__(self) -> _int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> _bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self._data)

    def __float__(self) -> _float:
        return float(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __index__(self) -> _int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self.dtype}")
        return int(self.item())

    def __repr__(self) -> str:
        # As torch prints: an empty tensor shows its size, and its dtype unless float32.
        suffixes = []
        if self._data.size == 0:
            body = "[]"
            if self.ndim != 1:
                suffixes.append(f"size={self.shape}")
            if self.dtype != shapes.DEFAULT_FLOAT:
                suffixes.append(f"dtype={self.dtype}")
        else:
            body = format_array(self._data)
            if self.dtype not in (shapes.DEFAULT_FLOAT, np.dtype(np.int64), np.dtype(np.bool_)):
                suffixes.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        text = "tensor(" + body
        line = len(text) - text.rfind("\n") + 1
        for suffix in suffixes:  # on the last line while it fits in the line width
            wraps = line + len(suffix) + 2 > LINEWIDTH
            text += (",\n" + " " * len("tensor(") if wraps else ", ") + suffix
            line = (len("tensor(") if wraps else line + 2) + len(suffix)
        return text + ")"

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    f"requires_grad_(False) on a non-leaf tensor (grad_fn={self.grad_fn!r}); use detach() instead"
                )
            return self
        if requires_grad and self.dtype.kind != "f":
            raise _integer_grad_error(self.dtype)
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter), outside the graph."""
        t = Tensor._wrap(self._data)
        t._vc = self._counter()
        return t

    def detach_(self) -> Tensor:
        """Take this tensor out of the graph, in place (as a leaf that requires no grad)."""
        if self._vc is not None and len(self._vc) > 1 and self.grad_fn is not None:
            raise RuntimeError(f"detach_() on a view of shape {self.shape} that is part of a graph; use detach()")
        self.grad_fn, self._output_nr, self.requires_grad = None, 0, False
        return self

    def clone(self) -> Tensor:
        return ops.Clone.apply(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Cast to a dtype (differentiably); a device argument must be "cpu" (see ``device.py``)."""
        dtype = to_dtype(split_to_args(args, kwargs))
        if dtype is None or dtype == self.dtype:
            return self
        if dtype.kind != "f":  # integers and bools carry no gradient: the result is a constant
            return Tensor._wrap(self._data.astype(dtype))
        return ops.Cast.apply(self, dtype)

    def astype(self, dtype: Any) -> Tensor:
        return self.to(dtype)

    @property
    def device(self) -> Device:
        return CPU

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.to(np.float16)

    def short(self) -> Tensor:
        """Cast to int16."""
        return self.to(np.int16)

    def byte(self) -> Tensor:
        """Cast to uint8."""
        return self.to(np.uint8)

    def char(self) -> Tensor:
        """Cast to int8."""
        return self.to(np.int8)

    # --- autograd --------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: _bool | None = None, create_graph: _bool = False,
                 inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad (or
        of ``inputs`` only)."""
        if not self.requires_grad:
            raise RuntimeError(
                f"backward() on a tensor of shape {self.shape} that does not require grad: none of the "
                "tensors it was computed from has requires_grad=True (or it was computed under no_grad)"
            )
        if self.grad_fn is None and self.dtype.kind != "f":
            raise _integer_grad_error(self.dtype)
        if inputs is not None:
            engine.backward(self, gradient, retain_graph, create_graph, inputs)
            return
        g = self._seed_grad(gradient, create_graph)
        run_backward((self,), (g,), create_graph if retain_graph is None else retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward (that of its
        current value: an in-place op moves it to the op's result, as in torch)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retain(self._output_nr, weakref.ref(self))

    @property
    def retains_grad(self) -> _bool:
        node = self.grad_fn
        if node is None:
            return False
        ref = node.retained().get(self._output_nr)
        return ref is not None and ref() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not callable(hook):
            raise TypeError(f"register_hook needs a function hook(grad), got {type(hook).__name__} {hook!r}")
        if not self.requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        else:
            hooks = self.grad_fn.register_prehook(self._output_nr, hook)
        return RemovableHandle(hooks, hook)

    # --- arithmetic --------------------------------------------------------------------
    # Operands go through _pair, which casts them to the result dtype torch would give.
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(*_pair(self, other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = _pair(self, other)
        return ops.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(*_pair(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = _pair(self, other)
        return ops.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(*_pair(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = _pair(self, other)
        return ops.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(*_pair(self, other, floating=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = _pair(self, other, floating=True)
        return ops.Div.apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.Pow.apply(*_pair(self, exponent))

    def __rpow__(self, other: Any) -> Tensor:
        a, b = _pair(self, other)
        return ops.Pow.apply(b, a)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other).matmul(self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else _times(other, alpha))

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else _times(other, alpha))

    mul = __mul__
    pow = __pow__
    neg = __neg__

    def matmul(self, other: Any) -> Tensor:
        if not _is_real(other):
            raise _foreign_error(other, f"matmul of a tensor of shape {self.shape}: ")
        return ops.Matmul.apply(self, _operand(other))

    def dot(self, tensor: Any) -> Tensor:
        """The inner product of two 1-D tensors of one length (as torch.dot; no broadcasting)."""
        other = _as_tensor(tensor)
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot needs two 1-D tensors of the same length, got shapes {self.shape} and {other.shape}")
        return self.matmul(other)

    def mm(self, mat2: Any) -> Tensor:
        """Matrix product of two 2-D tensors (as torch.mm; use matmul for other ranks)."""
        other = _as_tensor(mat2)
        if self.ndim != 2 or other.ndim != 2:
            raise ValueError(f"mm needs two 2-D tensors, got shapes {self.shape} and {other.shape}; use matmul")
        return self.matmul(other)

    def t(self) -> Tensor:
        """The transpose of a tensor with at most 2 dims (as torch's t())."""
        if self.ndim > 2:
            raise ValueError(f"t() expects at most 2 dims, got shape {self.shape}; use transpose or permute")
        return self.T

    def square(self) -> Tensor:
        return self * self

    def norm(self, p: _float = 2.0, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p), or max |x| for p = inf."""
        _require_floating(self, "norm")
        if isinstance(p, str):
            if p != "fro":
                raise ValueError(f"norm: p must be a number, inf or 'fro' (the 2-norm of the elements), got {p!r}")
            p = 2
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if not p > 0:
            raise ValueError(f"norm: p must be positive or inf, got {p}")
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return _root((self * self if p == 2 else self.abs() ** p).sum(dim, keepdim), p)

    @numpy_names
    def amax(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The largest values over one dim or several; ties share the gradient evenly."""
        return self._extreme(dim, keepdim, "amax", 1.0)

    @numpy_names
    def amin(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The smallest values over one dim or several; ties share the gradient evenly."""
        return self._extreme(dim, keepdim, "amin", -1.0)

    def _extreme(self, dim: Any, keepdim: _bool, op: str, sign: _float) -> Tensor:
        axes = normalize_dims(dim, self.ndim, op)
        self._check_nonempty(axes, op)
        pick = np.max if sign > 0 else np.min
        if self.dtype.kind != "f":  # no gradient to split, and the weights below are fractions
            return Tensor._wrap(np.asarray(pick(self._data, axis=axes, keepdims=keepdim)))
        # A NaN is the extreme of its slice, as np.max has it.
        tied = (self._data == pick(self._data, axis=axes, keepdims=True)) | np.isnan(self._data)
        return self._tie_average(tied, axes, keepdim)

    def _tie_average(self, tied: np.ndarray, axes: tuple[_int, ...] | None, keepdim: _bool) -> Tensor:
        """The mean of the elements marked ``tied`` in each slice over ``axes`` (all equal: an extreme
        or a median), as a weighted sum with constant weights, 1/k on each of a slice's k tied
        elements and 0 elsewhere. Its gradient splits evenly among the ties (torch's rule for
        amax, amin and median), and it needs no rule of its own."""
        weights = tied / np.sum(tied, axis=axes, keepdims=True, dtype=self.dtype)
        # NOTE: the others are selected away before the weighting: an inf times its weight 0 is nan.
        return (self.where(tied, 0.0) * weights.astype(self.dtype, copy=False)).sum(axes, keepdim)

    # Comparisons and logic: results are bool tensors outside the graph.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self._data == data_of(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self._data != data_of(other))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data < data_of(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data <= data_of(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data > data_of(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data >= data_of(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    @numpy_names
    def any(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        return Tensor._wrap(np.any(self._data, axis=normalize_dims(dim, self.ndim, "any"), keepdims=keepdim))

    @numpy_names
    def all(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        return Tensor._wrap(np.all(self._data, axis=normalize_dims(dim, self.ndim, "all"), keepdims=keepdim))

    # --- elementwise math -------------------------------------------------------------
    # Ops defined on floats only take integer and bool tensors as float32, as torch does.
    def exp(self) -> Tensor:
        return ops.Exp.apply(_floating(self))

    def log(self) -> Tensor:
        return ops.Log.apply(_floating(self))

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(_floating(self))

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def sin(self) -> Tensor:
        return ops.Sin.apply(_floating(self))

    def cos(self) -> Tensor:
        return ops.Cos.apply(_floating(self))

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(_floating(self))

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(_floating(self))

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ValueError("clamp() needs min, max or both")
        return ops.Clamp.apply(*_promoted((self, min, max)))

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(*_pair(self, other))

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(*_pair(self, other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (as ``torch.Tensor.where``)."""
        return where(condition, self, other)

    # --- reductions --------------------------------------------------------------------
    # ``axis=`` and ``keepdims=`` are accepted for ``dim=`` and ``keepdim=`` (numpy_names), as in torch.
    @numpy_names
    def sum(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The sum over ``dim`` (every element by default); bool and integer tensors sum as int64."""
        x = self._accumulable(dtype)
        out = ops.Sum.apply(x, normalize_dims(dim, x.ndim, "sum"), keepdim)
        return out if dtype is None else out.to(dtype)  # NumPy sums a small integer type in a wider one

    def _accumulable(self, dtype: Any) -> Tensor:
        """This tensor as a sum or product takes it: in ``dtype`` if given, else bool and integer
        tensors as int64 (as torch; NumPy would keep uint8 unsigned), floats as they are."""
        if dtype is not None:
            return self.to(dtype)
        return self if self._data.dtype.kind == "f" else self.to(np.int64)

    @numpy_names
    def mean(self, dim: Any = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The mean over ``dim`` (every element by default), of a floating tensor or in ``dtype``."""
        x = self if dtype is None else self.to(dtype)
        _require_floating(x, "mean")
        n = x._count(dim, "mean")
        return x.sum(dim, keepdim) * (1.0 / n if n else float("nan"))  # the mean of nothing is nan

    @numpy_names
    def var(
        self, dim: Any = None, *, correction: _int = 1, keepdim: _bool = False, unbiased: _bool | None = None
    ) -> Tensor:
        _require_floating(self, "var")
        if unbiased is not None:
            correction = int(unbiased)
        centered = self - self.mean(dim, keepdim=True)
        # With no degrees of freedom left this divides by zero and gives inf or nan, as torch does.
        dof = max(self._count(dim, "var") - correction, 0)
        return (centered * centered).sum(dim, keepdim) / dof

    @numpy_names
    def std(
        self, dim: Any = None, *, correction: _int = 1, keepdim: _bool = False, unbiased: _bool | None = None
    ) -> Tensor:
        _require_floating(self, "std")
        return _root(self.var(dim, correction=correction, keepdim=keepdim, unbiased=unbiased), 2)

    def _count(self, dim: Any, op: str) -> _int:
        axes = normalize_dims(dim, self.ndim, op)
        return self._data.size if axes is None else numel(tuple(self._data.shape[a] for a in axes))

    def _check_nonempty(self, axes: tuple[_int, ...] | None, op: str) -> None:
        """An extreme needs an element in each slice it reduces: refuse a reduced dim of size 0
        (or, reducing everything, an empty tensor); other empty dims give empty results, as in torch."""
        if axes is None or self.ndim == 0:
            if self._data.size == 0:
                raise ValueError(f"{op}() of an empty tensor of shape {self.shape}")
            return
        for a in axes:
            if self._data.shape[a] == 0:
                raise ValueError(f"{op}(): dim {a} of shape {self.shape} has size 0, so it has no {op} to take")

    @numpy_names
    def prod(self, dim: _int | None = None, keepdim: _bool = False, *, dtype: Any = None) -> Tensor:
        """The product over ``dim`` (every element by default); bool and integer tensors multiply as int64."""
        x = self._accumulable(dtype)
        axis = None if dim is None else normalize_dim(dim, x.ndim, "prod")
        out = ops.Prod.apply(x, axis, keepdim)
        return out if dtype is None else out.to(dtype)

    @numpy_names
    def max(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """The largest element, or with ``dim`` the (values, indices) along it."""
        return self._select(ops.Max, dim, keepdim, "max")

    @numpy_names
    def min(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """The smallest element, or with ``dim`` the (values, indices) along it."""
        return self._select(ops.Min, dim, keepdim, "min")

    def _select(self, fn: type[ops.Max], dim: _int | None, keepdim: _bool, op: str) -> Any:
        if isinstance(dim, Tensor):
            raise TypeError(f"{op}(tensor) compares elementwise in torch; use maximum()/minimum() here")
        if dim is None:
            self._check_nonempty(None, op)
            return fn.apply(self, None, False)
        axis = normalize_dim(dim, self.ndim, op)
        self._check_nonempty((axis,), op)
        if self.ndim == 0:  # its one element, at index 0
            return ValuesIndices(*fn.apply(self.reshape(1), 0, False))
        return ValuesIndices(*fn.apply(self, axis, keepdim))

    @numpy_names
    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """The index of the largest element (of the flattened tensor, or along ``dim``): the first, among ties."""
        return self._arg(np.argmax, dim, keepdim, "argmax")

    @numpy_names
    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """The index of the smallest element (of the flattened tensor, or along ``dim``): the first, among ties."""
        return self._arg(np.argmin, dim, keepdim, "argmin")

    def _arg(self, pick: Any, dim: _int | None, keepdim: _bool, op: str) -> Tensor:
        if dim is None:
            self._check_nonempty(None, op)
            flat = np.asarray(pick(self._data), dtype=np.int64)  # an index into the flattened tensor
            return Tensor._wrap(flat.reshape((1,) * self.ndim) if keepdim else flat)
        axis = normalize_dim(dim, self.ndim, op)
        self._check_nonempty((axis,), op)
        return Tensor._wrap(pick(self._data, axis=axis, keepdims=keepdim).astype(np.int64))

    @numpy_names
    def logsumexp(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        return ops.LogSumExp.apply(_floating(self), normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    @numpy_names
    def softmax(self, dim: _int) -> Tensor:
        return ops.Softmax.apply(_floating(self), normalize_dim(dim, self.ndim, "softmax"))

    @numpy_names
    def log_softmax(self, dim: _int) -> Tensor:
        return ops.LogSoftmax.apply(_floating(self), normalize_dim(dim, self.ndim, "log_softmax"))

    # --- shape -------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape)
        if shape == self._data.shape:
            return self
        if shape.count(-1) > 1 or any(s < -1 for s in shape):
            raise ValueError(f"reshape: invalid shape {shape} (at most one -1, no other negative sizes)")
        known = numel(tuple(s for s in shape if s != -1))
        size = self._data.size
        if (-1 in shape and (known == 0 or size % known)) or (-1 not in shape and known != size):
            raise ValueError(f"reshape: cannot view a tensor of shape {self.shape} ({size} elements) as shape {shape}")
        return ops.Reshape.apply(self, shape)

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s = normalize_dim(start_dim, self.ndim, "flatten")
        e = normalize_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self._data.shape
        return self.reshape(*shape[:s], numel(shape[s : e + 1]), *shape[e + 1 :])

    @numpy_names
    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self._data.shape if n != 1))
        axes = normalize_dims(dim, self.ndim, "squeeze") or ()
        return self.reshape(tuple(n for i, n in enumerate(self._data.shape) if not (i in axes and n == 1)))

    @numpy_names
    def unsqueeze(self, dim: _int) -> Tensor:
        axis = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        shape = self._data.shape
        return self.reshape(shape[:axis] + (1,) + shape[axis:])

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_arg(dims)
        axes = tuple(normalize_dim(d, self.ndim, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        if axes == tuple(range(self.ndim)):
            return self
        return ops.Permute.apply(self, axes)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        a = normalize_dim(dim0, self.ndim, "transpose")
        b = normalize_dim(dim1, self.ndim, "transpose")
        if a == b:
            return self
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        # Already a valid permutation: no need for permute's checks (mT is hot in backward).
        return ops.Permute.apply(self, tuple(axes))

    def movedim(self, source: _int, destination: _int) -> Tensor:
        src = normalize_dim(source, self.ndim, "movedim")
        dst = normalize_dim(destination, self.ndim, "movedim")
        if self.ndim == 0:
            return self
        axes = [i for i in range(self.ndim) if i != src]
        axes.insert(dst, src)
        return self.permute(*axes)

    def expand(self, *sizes: Any) -> Tensor:
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: shape {sizes} has fewer dims than the tensor's shape {self.shape}")
        for i, s in enumerate(sizes):
            if s < -1 or (s == -1 and i < lead):
                why = "a new leading dim needs its size" if i < lead else "-1 keeps a size; no other may be negative"
                raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}: size {s} at dim {i} ({why})")
        shape = tuple(self._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        for i, n in enumerate(self._data.shape):
            if n != 1 and n != shape[lead + i]:
                raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}: dim {i} has size {n}, not 1")
        if shape == self._data.shape:
            return self
        return ops.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(*other.shape)

    def sum_to_shape(self, shape: Sequence[_int]) -> Tensor:
        """Sum over the dims that broadcasting added or stretched, to get ``shape`` back."""
        if not isinstance(shape, (tuple, list)) or not all(isinstance(n, (int, np.integer)) for n in shape):
            raise TypeError(f"sum_to_shape: shape must be a tuple of ints, got {type(shape).__name__} {shape!r}")
        shape = tuple(shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"sum_to_shape: shape {shape} has a negative size")
        return self if shape == self._data.shape else ops.SumToShape.apply(self, shape)

    def split(self, split_size_or_sections: _int | Sequence[_int], dim: _int = 0) -> tuple[Tensor, ...]:
        if self.ndim == 0:
            raise ValueError("split() of a 0-d tensor: there is no dim to split along")
        axis = normalize_dim(dim, self.ndim, "split")
        n = self._data.shape[axis]
        sections = split_size_or_sections
        if isinstance(sections, bool) or not (
            isinstance(sections, (int, np.integer))
            or (isinstance(sections, (list, tuple)) and all(isinstance(s, (int, np.integer)) for s in sections))
        ):
            raise TypeError(f"split: needs an int split size or a sequence of int sizes, got {sections!r}")
        if isinstance(split_size_or_sections, (int, np.integer)):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, n - i) for i in range(0, n, split_size_or_sections)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ValueError(f"split: sections {sizes} do not add up to size {n} of dim {dim} (shape {self.shape})")
        lead = (slice(None),) * axis
        bounds = np.cumsum([0, *sizes]).tolist()
        return tuple(self[lead + (slice(bounds[i], bounds[i + 1]),)] for i in range(len(sizes)))

    @numpy_names
    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim`` (which disappears), e.g. the time steps of a sequence."""
        if self.ndim == 0:
            raise ValueError("unbind() of a 0-d tensor: there is no dim to split along")
        return ops.Unbind.apply(self, normalize_dim(dim, self.ndim, "unbind"))

    @numpy_names
    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool):
            raise TypeError(f"chunk: chunks must be an int, got {type(chunks).__name__} {chunks!r}")
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        if self.ndim == 0:
            raise ValueError("chunk() of a 0-d tensor: there is no dim to split along")
        n = self._data.shape[normalize_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)


    # --- what ported torch code meets: formatting, types, new_*, memory layout -------------
    def __format__(self, spec: str) -> str:
        """As torch: a 0-d tensor formats as its number (``f"{loss:.4f}"``, ``f"{t}"`` gives ``1.5``);
        any other tensor, or a subclass such as Parameter, as its text, and only with an empty spec."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)  # a non-empty spec: TypeError, as in torch

    def nelement(self) -> _int:
        """The number of elements (``numel``)."""
        return int(self._data.size)

    def element_size(self) -> _int:
        """The bytes one element takes."""
        return self._data.itemsize

    def type(self, dtype: Any = None) -> Any:
        """Without ``dtype``, torch's name of this tensor's type (``'torch.FloatTensor'``); with one
        (a dtype, or a name such as ``'torch.DoubleTensor'``), this tensor cast to it."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype)
            return f"torch.{name}Tensor" if name else f"ndgrad.{self.dtype}"
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            named = {f"torch.{name}Tensor": kind for kind, name in _TYPE_NAMES.items()}
            if dtype not in named:
                raise ValueError(f"type: unknown tensor type {dtype!r}; expected one of {sorted(named)}")
            dtype = named[dtype]
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor cast to ``other``'s dtype."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
        return self.to(other.dtype)

    def view_as(self, other: Tensor) -> Tensor:
        """``view(other.shape)``."""
        return self.view(_like_shape(other, "view_as"))

    def reshape_as(self, other: Tensor) -> Tensor:
        """``reshape(other.shape)``."""
        return self.reshape(_like_shape(other, "reshape_as"))

    def is_contiguous(self) -> _bool:
        """Whether the elements lie in memory in row-major order without gaps (NumPy's C order)."""
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """This tensor if it is contiguous, else a row-major copy (in the graph)."""
        if self._data.flags.c_contiguous:
            return self
        # NOTE: composed, so it needs no rule: reshaping to 1-d copies in row-major order unless the
        # elements are evenly spaced in that order (a strided slice), which clone() then packs
        # (it keeps the order of the strides, not their gaps); the reshape back is a view of that.
        flat = ops.Reshape.apply(self, (self._data.size,))
        if not flat._data.flags.c_contiguous:
            flat = ops.Clone.apply(flat)
        return ops.Reshape.apply(flat, self._data.shape)

    # new_*: a new tensor of this one's dtype (unless given ``dtype``), outside the graph.
    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:
        """Zeros of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        return self._new(size, 0, dtype, device, requires_grad, "new_zeros")

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:
        """Ones of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        return self._new(size, 1, dtype, device, requires_grad, "new_ones")

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:
        """An uninitialised tensor of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        return self._new(size, None, dtype, device, requires_grad, "new_empty")

    def new_full(self, size: Sequence[_int], fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: _bool = False) -> Tensor:
        """``fill_value`` in every element of shape ``size`` (a sequence, as in torch), in this tensor's
        dtype unless ``dtype`` is given."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full: size must be a tuple or list of ints, got {type(size).__name__} {size!r}")
        return self._new((size,), fill_value, dtype, device, requires_grad, "new_full")

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:
        """A copy of ``data`` (a tensor's values too, outside the graph), in this tensor's dtype unless
        ``dtype`` is given."""
        check_device(device)
        out = Tensor(data._data if isinstance(data, Tensor) else data, dtype=dtype or self.dtype)
        return out.requires_grad_() if requires_grad else out

    def _new(self, size: tuple[Any, ...], fill: Any, dtype: Any, device: Any, requires_grad: _bool, op: str) -> Tensor:
        check_device(device)
        shape = _shape_arg(size)
        if any(s < 0 for s in shape):
            raise ValueError(f"{op}: sizes must be non-negative, got {shape}")
        dtype = to_dtype(dtype) or self.dtype
        out = Tensor._wrap(np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype))
        return out.requires_grad_() if requires_grad else out

    # --- scans and order statistics -------------------------------------------------------
    # The math of the scans is in ops/scan.py. cummax, cummin and median gather the input at the
    # indices they pick (GetItem), so each gradient goes back to the element picked.
    @numpy_names
    def cumsum(self, dim: _int, *, dtype: Any = None) -> Tensor:
        """Running sums along ``dim``; bool and integer tensors sum as int64."""
        return self._accumulable(dtype)._scan(ops.Cumsum, dim, "cumsum")

    @numpy_names
    def cumprod(self, dim: _int, *, dtype: Any = None) -> Tensor:
        """Running products along ``dim``; bool and integer tensors multiply as int64."""
        return self._accumulable(dtype)._scan(ops.Cumprod, dim, "cumprod")

    @numpy_names
    def logcumsumexp(self, dim: _int) -> Tensor:
        """log(cumsum(exp(x))) along ``dim``, computed without overflow."""
        return _floating(self)._scan(ops.LogCumSumExp, dim, "logcumsumexp")

    def _scan(self, fn: Any, dim: _int, op: str) -> Tensor:
        axis = normalize_dim(dim, self.ndim, op)
        if self.ndim == 0:  # a 0-d tensor scans as a slice of one
            return fn.apply(self.reshape(1), 0).reshape(())
        return fn.apply(self, axis)

    @numpy_names
    def cummax(self, dim: _int) -> ValuesIndices:
        """The running maximum along ``dim`` and where it is (a tie goes to the latest index; a NaN
        stays the maximum once met)."""
        return self._running_extreme(dim, True, "cummax")

    @numpy_names
    def cummin(self, dim: _int) -> ValuesIndices:
        """The running minimum along ``dim`` and where it is (a tie goes to the latest index; a NaN
        stays the minimum once met)."""
        return self._running_extreme(dim, False, "cummin")

    def _running_extreme(self, dim: _int, largest: _bool, op: str) -> ValuesIndices:
        axis = normalize_dim(dim, self.ndim, op)
        x = self.reshape(1) if self.ndim == 0 else self
        idx = running_extreme_index(x._data, axis, largest)
        values = ops.GetItem.apply(x, along(idx, axis))
        shape = self._data.shape
        return ValuesIndices(values.reshape(shape), Tensor._wrap(idx.reshape(shape)))

    @numpy_names
    def median(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """The median of all elements, or with ``dim`` the (values, indices) of each slice's.

        As in torch: of an even count, the lower of the two middle elements; NaN where there is
        one. The elements equal to the median of all share its gradient; along a dim, the index
        returned takes it (the middle of a stable sort, where torch promises no index among ties).
        """
        if dim is None:
            flat = self._data.reshape(-1)
            if flat.size == 0 and self.dtype.kind == "f":
                return Tensor._wrap(np.full((), np.nan, dtype=self.dtype))  # as torch: no error
            self._check_nonempty(None, "median")
            value = flat[median_index(flat, 0)[0]]
            if self.dtype.kind != "f":
                return Tensor._wrap(np.asarray(value))
            return self._tie_average(np.isnan(self._data) if np.isnan(value) else self._data == value, None, False)
        axis = normalize_dim(dim, self.ndim, "median")
        self._check_nonempty((axis,), "median")
        x = self.reshape(1) if self.ndim == 0 else self
        idx = median_index(x._data, axis)
        values = ops.GetItem.apply(x, along(idx, axis))
        if not keepdim or self.ndim == 0:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return ValuesIndices(values, Tensor._wrap(idx))

    @numpy_names
    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> MinMax:
        """The smallest and largest elements (of each slice along ``dim``), as the pair (min, max)."""
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    @numpy_names
    def count_nonzero(self, dim: Any = None) -> Tensor:
        """How many elements are not zero (over ``dim``, one dim or several), as an int64 tensor."""
        axes = normalize_dims(dim, self.ndim, "count_nonzero")
        return Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=axes), dtype=np.int64))

    # --- layout, order and products (layout.py, sorting.py, products.py) --------------------
    flip = layout.flip
    fliplr = layout.fliplr
    flipud = layout.flipud
    roll = layout.roll
    rot90 = layout.rot90
    repeat = layout.repeat
    tile = layout.tile
    repeat_interleave = layout.repeat_interleave
    tril = layout.tril
    triu = layout.triu
    diag = layout.diag
    diagonal = layout.diagonal
    diag_embed = layout.diag_embed
    trace = layout.trace
    unfold = layout.unfold
    unflatten = layout.unflatten
    narrow = layout.narrow
    select = layout.select
    broadcast_to = layout.broadcast_to
    sort = sorting.sort
    argsort = sorting.argsort
    topk = sorting.topk
    kthvalue = sorting.kthvalue
    unique = sorting.unique
    outer = products.outer
    kron = products.kron
    bmm = products.bmm
    addmm = products.addmm
    baddbmm = products.baddbmm
    cross = products.cross

    # --- indexing with index tensors and masks (indexing_ops.py) --------------------------
    gather = indexing_ops.gather
    scatter = indexing_ops.scatter
    scatter_add = indexing_ops.scatter_add
    scatter_reduce = indexing_ops.scatter_reduce
    index_select = indexing_ops.index_select
    index_add = indexing_ops.index_add
    index_fill = indexing_ops.index_fill
    masked_fill = indexing_ops.masked_fill
    masked_select = indexing_ops.masked_select
    masked_scatter = indexing_ops.masked_scatter
    take = indexing_ops.take
    take_along_dim = indexing_ops.take_along_dim
    nonzero = indexing_ops.nonzero
    argwhere = indexing_ops.argwhere

    # --- more elementwise math: trigonometry, logarithms, rounding, remainders, bits --------
    # The ops with rules of their own are in ops/math.py; the rest is composed here. Float-only
    # ops take integer and bool tensors as float32, as torch does.
    def tan(self) -> Tensor:
        """The tangent, elementwise."""
        return ops.Tan.apply(_floating(self))

    def asin(self) -> Tensor:
        """The arcsine in radians, elementwise; NaN outside [-1, 1]."""
        return ops.Asin.apply(_floating(self))

    def acos(self) -> Tensor:
        """The arccosine in radians, elementwise; NaN outside [-1, 1]."""
        return ops.Acos.apply(_floating(self))

    def atan(self) -> Tensor:
        """The arctangent in radians, elementwise."""
        return ops.Atan.apply(_floating(self))

    def sinh(self) -> Tensor:
        """The hyperbolic sine, elementwise."""
        return ops.Sinh.apply(_floating(self))

    def cosh(self) -> Tensor:
        """The hyperbolic cosine, elementwise."""
        return ops.Cosh.apply(_floating(self))

    def asinh(self) -> Tensor:
        """The inverse hyperbolic sine, elementwise."""
        return ops.Asinh.apply(_floating(self))

    def acosh(self) -> Tensor:
        """The inverse hyperbolic cosine, elementwise; NaN below 1."""
        return ops.Acosh.apply(_floating(self))

    def atanh(self) -> Tensor:
        """The inverse hyperbolic tangent, elementwise; NaN outside [-1, 1]."""
        return ops.Atanh.apply(_floating(self))

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def log2(self) -> Tensor:
        """The base-2 logarithm, elementwise (exact at powers of 2)."""
        return ops.Log2.apply(_floating(self))

    def log10(self) -> Tensor:
        """The base-10 logarithm, elementwise (exact at powers of 10)."""
        return ops.Log10.apply(_floating(self))

    def log1p(self) -> Tensor:
        """log(1 + x), elementwise, accurate for x near 0."""
        return ops.Log1p.apply(_floating(self))

    def expm1(self) -> Tensor:
        """e^x - 1, elementwise, accurate for x near 0."""
        return ops.Expm1.apply(_floating(self))

    def exp2(self) -> Tensor:
        """2^x, elementwise."""
        return 2.0 ** _floating(self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x), elementwise."""
        return _floating(self) ** -0.5

    def reciprocal(self) -> Tensor:
        """1 / x, elementwise (a float tensor for an integer one)."""
        return 1.0 / self

    def erf(self) -> Tensor:
        """The error function, elementwise."""
        return ops.Erf.apply(_floating(self))

    def erfc(self) -> Tensor:
        """1 - erf(x), elementwise, accurate where erf(x) is near 1."""
        return ops.Erfc.apply(_floating(self))

    def erfinv(self) -> Tensor:
        """The inverse of erf, elementwise: inf at 1, -inf at -1, NaN beyond."""
        return ops.Erfinv.apply(_floating(self))

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self) in radians, in [-pi, pi], elementwise (broadcast)."""
        return ops.Atan2.apply(*_pair(self, other, floating=True))

    arctan2 = atan2

    def logaddexp(self, other: Any) -> Tensor:
        """log(e^self + e^other), elementwise, without overflow."""
        return ops.LogAddExp.apply(*_pair(self, other, floating=True))

    def logaddexp2(self, other: Any) -> Tensor:
        """log2(2^self + 2^other), elementwise, without overflow."""
        a, b = _pair(self, other, floating=True)
        return (a * LN2).logaddexp(b * LN2) * (1.0 / LN2)

    def hypot(self, other: Any) -> Tensor:
        """sqrt(self^2 + other^2), elementwise, without overflow."""
        return ops.Hypot.apply(*_pair(self, other, floating=True))

    def copysign(self, other: Any) -> Tensor:
        """|self| with the sign of ``other`` (its sign bit, so -0.0 counts as negative), elementwise.
        The result is float; no gradient flows to ``other``."""
        a, b = _pair(self, _as_tensor(other) if isinstance(other, np.ndarray) else other, floating=True)
        sign = ops.LocallyConstant.apply(copysign_factor, b) if isinstance(b, Tensor) else math.copysign(1.0, b)
        return a.abs() * sign

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """``self + weight * (end - self)``, elementwise: exactly ``end`` where the weight is 1."""
        start, end, weight = _promoted((self, end, weight), floating=True)
        diff = end - start
        # NOTE: from the nearer end, as torch: start + 1 * (end - start) need not round to end.
        if isinstance(weight, (int, float)):
            return end - diff * (1.0 - weight) if weight >= 0.5 else start + weight * diff
        return where(data_of(weight) >= 0.5, end - diff * (1.0 - weight), start + weight * diff)

    def nan_to_num(self, nan: _float = 0.0, posinf: _float | None = None, neginf: _float | None = None) -> Tensor:
        """NaN, inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the
        dtype's largest and smallest finite values); the replaced elements get no gradient."""
        if self.dtype.kind != "f":
            return Tensor._wrap(self._data.copy())
        finite = np.isfinite(self._data)
        if finite.all():
            return self.clone()
        info = np.finfo(self.dtype)
        big = info.max if posinf is None else posinf
        small = info.min if neginf is None else neginf
        values = np.where(np.isnan(self._data), nan, np.where(self._data > 0, big, small)).astype(self.dtype)
        return self.where(finite, values)

    # Rounding: locally constant, so their gradient is 0 (as in torch), and integer tensors pass as they are.
    def floor(self) -> Tensor:
        """The largest integer not above x, elementwise (gradient 0)."""
        return self._locally_constant(np.floor, "floor")

    def ceil(self) -> Tensor:
        """The smallest integer not below x, elementwise (gradient 0)."""
        return self._locally_constant(np.ceil, "ceil")

    def trunc(self) -> Tensor:
        """x rounded toward 0, elementwise (gradient 0)."""
        return self._locally_constant(np.trunc, "trunc")

    fix = trunc

    def round(self, *, decimals: _int = 0) -> Tensor:
        """x rounded half to even (to ``decimals`` decimal places), elementwise (gradient 0)."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__} {decimals!r}")
        if decimals and self.dtype.kind != "f":
            raise TypeError(f"round(decimals={decimals}) needs a floating-point tensor, got dtype {self.dtype}")
        return self._locally_constant(lambda a: rounded(a, int(decimals)), "round")

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x, elementwise (0 for NaN; gradient 0); bool tensors stay as they are."""
        return ops.LocallyConstant.apply(sign_of, self)

    sgn = sign

    def frac(self) -> Tensor:
        """x - trunc(x), elementwise, with the sign of x (gradient 1)."""
        if self.dtype.kind != "f":
            raise TypeError(f"frac() needs a floating-point tensor, got dtype {self.dtype}")
        return self - self.trunc()

    def _locally_constant(self, value: Callable[[np.ndarray], np.ndarray], op: str) -> Tensor:
        kind = self.dtype.kind
        if kind == "b":
            raise TypeError(f"{op}() of a bool tensor; convert it first, e.g. .float().{op}()")
        if kind != "f":  # integers are already whole: the result is a copy, as in torch
            return Tensor._wrap(self._data.copy())
        return ops.LocallyConstant.apply(value, self)

    # Division with rounding and remainders. Integer division by zero raises (NumPy would give 0).
    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; with ``rounding_mode`` "trunc" or "floor", rounded toward 0 or -inf in
        the operands' dtype (gradient 0), as ``//`` does with "floor"."""
        if rounding_mode is None:
            return self / other
        return self._rounded_division(self, other, rounding_mode, f"div(rounding_mode={rounding_mode!r})")

    divide = div
    true_divide = __truediv__

    def floor_divide(self, other: Any) -> Tensor:
        """self / other rounded toward -inf, in the operands' dtype (gradient 0), as ``//``."""
        return self._rounded_division(self, other, "floor", "floor_divide (//)")

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other: Any) -> Tensor:
        return self._rounded_division(other, self, "floor", "floor_divide (//)")

    def fmod(self, other: Any) -> Tensor:
        """The remainder of self / other with the quotient rounded toward 0: it has the sign of self."""
        return self._remainder(self, other, "trunc", "fmod")

    def remainder(self, other: Any) -> Tensor:
        """The remainder of self / other with the quotient rounded toward -inf: it has the sign of
        other, as Python's ``%``."""
        return self._remainder(self, other, "floor", "remainder")

    __mod__ = remainder

    def __rmod__(self, other: Any) -> Tensor:
        return self._remainder(other, self, "floor", "remainder")

    @staticmethod
    def _rounded_division(a: Any, b: Any, rounding_mode: Any, op: str) -> Tensor:
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
        a, b = _promoted((a, b))
        a, b = integer_divisor_checked(a, b, op)
        return ops.LocallyConstant.apply(floor_divided if rounding_mode == "floor" else trunc_divided, a, b)

    @staticmethod
    def _remainder(a: Any, b: Any, rounding: str, op: str) -> Tensor:
        a, b = _promoted((a, b))
        return ops.Remainder.apply(*integer_divisor_checked(a, b, op), rounding)

    # Tests of values: bool tensors outside the graph.
    def isnan(self) -> Tensor:
        """Whether each element is NaN."""
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self) -> Tensor:
        """Whether each element is inf or -inf."""
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self) -> Tensor:
        """Whether each element is neither NaN nor infinite."""
        return Tensor._wrap(np.isfinite(self._data))

    def isclose(self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (see ``autograd.isclose``)."""
        return summaries.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Tensor, rtol: _float = 1e-05, atol: _float = 1e-08, equal_nan: _bool = False) -> _bool:
        """Whether ``isclose`` holds everywhere (see ``autograd.allclose``)."""
        return summaries.allclose(self, other, rtol, atol, equal_nan)

    # Bits, on bool and integer tensors only; and logic, on any: results outside the graph.
    def bitwise_and(self, other: Any) -> Tensor:
        """self & other, bit by bit (for bools: and)."""
        return Tensor._wrap(bitwise(np.bitwise_and, self, other, "bitwise_and"))

    def bitwise_or(self, other: Any) -> Tensor:
        """self | other, bit by bit (for bools: or)."""
        return Tensor._wrap(bitwise(np.bitwise_or, self, other, "bitwise_or"))

    def bitwise_xor(self, other: Any) -> Tensor:
        """self ^ other, bit by bit (for bools: exclusive or)."""
        return Tensor._wrap(bitwise(np.bitwise_xor, self, other, "bitwise_xor"))

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """self << other: self * 2**other in the integer dtype; a shift past the width gives 0."""
        return Tensor._wrap(bitwise(np.left_shift, self, other, "bitwise_left_shift"))

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """self >> other: self // 2**other in the integer dtype (the sign kept)."""
        return Tensor._wrap(bitwise(np.right_shift, self, other, "bitwise_right_shift"))

    def bitwise_not(self) -> Tensor:
        """~self, bit by bit (for bools: not)."""
        return Tensor._wrap(bitwise(np.invert, self, None, "bitwise_not"))

    __and__, __or__, __xor__, __invert__ = bitwise_and, bitwise_or, bitwise_xor, bitwise_not
    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift
    __rand__, __ror__, __rxor__ = bitwise_and, bitwise_or, bitwise_xor

    def __rlshift__(self, other: Any) -> Tensor:
        return Tensor._wrap(bitwise(np.left_shift, other, self, "bitwise_left_shift"))

    def __rrshift__(self, other: Any) -> Tensor:
        return Tensor._wrap(bitwise(np.right_shift, other, self, "bitwise_right_shift"))

    def logical_and(self, other: Any) -> Tensor:
        """Whether both elements are nonzero (a bool tensor)."""
        return Tensor._wrap(np.logical_and(self._data, data_of(other)))

    def logical_or(self, other: Any) -> Tensor:
        """Whether either element is nonzero (a bool tensor)."""
        return Tensor._wrap(np.logical_or(self._data, data_of(other)))

    def logical_xor(self, other: Any) -> Tensor:
        """Whether exactly one of the elements is nonzero (a bool tensor)."""
        return Tensor._wrap(np.logical_xor(self._data, data_of(other)))

    def logical_not(self) -> Tensor:
        """Whether the element is zero (a bool tensor)."""
        return Tensor._wrap(np.logical_not(self._data))

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        """``clamp(min=min)``."""
        return self.clamp(min, None)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        """``clamp(max=max)``."""
        return self.clamp(None, max)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: _float = 1.0) -> Tensor:
        """``self + value * tensor1 * tensor2``, elementwise (broadcast)."""
        return self + tensor1 * tensor2 * value

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: _float = 1.0) -> Tensor:
        """``self + value * tensor1 / tensor2``, elementwise (broadcast)."""
        return self + tensor1 / tensor2 * value

    # torch's other names for them
    negative, absolute, multiply, subtract = neg, abs, mul, sub  # noqa: A003

    # --- dtypes: memory read as another dtype ----------------------------------------------
    def view(self, *shape: Any, dtype: Any = None) -> Tensor:
        """``view(*shape)`` is ``reshape``. ``view(dtype)`` reads the same memory as ``dtype``, as torch
        does: for a dtype of another size the last dim shrinks or grows to fit (it must be contiguous).
        The result shares this tensor's memory and version counter; it is outside the graph unless
        the dtype is the same (then it is this tensor)."""
        if dtype is None and len(shape) == 1 and isinstance(shape[0], (np.dtype, type, str)):
            dtype, shape = shape[0], ()
        if dtype is None:
            return self.reshape(*shape)
        if shape:
            raise TypeError(f"view: pass a shape or a dtype, not both (got {shape} and dtype={dtype!r})")
        dtype = to_dtype(dtype)
        if dtype == self.dtype:
            return self
        old, new = self.dtype.itemsize, dtype.itemsize
        if old != new:
            what = f"view({dtype}) of a tensor of shape {self.shape} and dtype {self.dtype} ({old} bytes an element)"
            if self.ndim == 0:
                raise RuntimeError(f"{what}: a 0-d tensor has no last dim to resize for {new}-byte elements")
            if self._data.strides[-1] != old and self.shape[-1] != 1:
                raise RuntimeError(f"{what}: its last dim is not contiguous; clone() it first")
            if self.shape[-1] * old % new:
                raise RuntimeError(f"{what}: its last dim of {self.shape[-1]} elements is not a whole number of "
                                   f"{new}-byte elements")
        out = Tensor._wrap(self._data.view(dtype))
        out._vc = self._counter()
        return out

    # --- indexing ------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        """Indexing as in torch: NumPy's, except that an int index is applied first, as a select
        (``x[0, :, [0, 1]]`` on a (3, 4, 5) tensor has shape (4, 2); see ``indexing.torch_order``)."""
        index = _index(index, self.shape)
        out = ops.GetItem.apply(self, index)
        order = torch_order(index, self.shape)
        return out if order is None else ops.Permute.apply(out, order[0])


_TENSOR.append(Tensor)  # for the modules Tensor is assembled from: see variable.new_tensor


def _root(x: Tensor, n: float) -> Tensor:
    """``x ** (1 / n)`` for ``x >= 0``, with gradient 0 where ``x`` is 0: the end of std and the
    p-norms, whose gradient torch defines as 0 at zero spread and at a zero vector.

    NOTE: the root's derivative is infinite at 0, and the chain rule would multiply it by the
    zero gradient of the sum of squares into NaN. So the root is taken of ``x`` with its zeros
    replaced by 1, and those results replaced by 0: no gradient reaches a replaced element,
    to any order, and the rule needs no op of its own. (Plain ``sqrt`` keeps inf at 0.)
    """
    nonzero = x._data != 0
    safe = x.where(nonzero, 1.0)
    return (safe.sqrt() if n == 2 else safe ** (1.0 / n)).where(nonzero, 0.0)


# torch's names of the tensor types, for Tensor.type().
_TYPE_NAMES = {
    np.dtype(np.float32): "Float", np.dtype(np.float64): "Double", np.dtype(np.float16): "Half",
    np.dtype(np.int64): "Long", np.dtype(np.int32): "Int", np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
    np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Bool",
}


def _times(x: Any, alpha: Any) -> Any:
    """``alpha * x`` for add's and sub's ``alpha``: a number stays a number (a scalar operand)."""
    return (x if isinstance(x, (Tensor, int, float)) else _as_tensor(x)) * alpha


def _like_shape(other: Any, op: str) -> tuple[int, ...]:
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}: other must be a Tensor, got {type(other).__name__}")
    return other._data.shape


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """Elements of ``input`` where ``condition`` holds, else of ``other``; given the condition
    alone, the indices where it holds (``nonzero(condition, as_tuple=True)``)."""
    if input is None and other is None:
        return indexing_ops.nonzero(_as_tensor(condition), as_tuple=True)
    cond = np.asarray(data_of(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    if isinstance(other, Tensor) and not isinstance(input, Tensor):
        b, a = _pair(other, input)
    else:
        a, b = _pair(_as_tensor(input), other)
    return ops.Where.apply(cond, a, b)


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` as one op, with ``weight`` of shape (out_features, in_features)."""
    x, w = _as_tensor(input), _as_tensor(weight)
    if w.ndim != 2 or x.ndim == 0 or x._data.shape[-1] != w._data.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape {w.shape} "
                         "(the weight must be (out_features, in_features), in_features the input's last dim)")
    if bias is not None and _as_tensor(bias)._data.shape != (w.shape[0],):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {_as_tensor(bias).shape}")
    return ops.Linear.apply(x, w, bias)
