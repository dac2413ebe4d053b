"""``Tensor``: the API. Each method checks its arguments, then hands the math to a
``Function`` in ``ops/``; the engine (``engine.py``) walks the graph those leave behind."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import ops
from .device import CPU, split_to_args
from .engine import run_backward
from .function import Context, Variable
from .grad_mode import _state
from .shapes import normalize_dim, normalize_dims, numel

DEFAULT_FLOAT = np.dtype(np.float32)
_new = object.__new__


def to_dtype(dtype: Any) -> np.dtype | None:
    """Accept NumPy dtypes, their names and Python types (``float`` is float32, as in torch)."""
    if dtype is None:
        return None
    if dtype is float:
        return DEFAULT_FLOAT
    if dtype is int:
        return np.dtype(np.int64)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype (use e.g. autograd.float32, 'float64' or np.int64)") from None


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy array for ``data``: Python floats become float32, NumPy arrays keep their dtype."""
    if isinstance(data, Variable):
        data = data.data
    dtype = to_dtype(dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype)
    else:
        arr = np.array(data, dtype=dtype)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor of dtype {arr.dtype} from {type(data).__name__}; numbers only")
    return arr


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` along a dim return, as torch does: values and their indices."""

    values: Tensor
    indices: Tensor


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor(Variable):
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data``. Python floats give
    float32, NumPy arrays keep their dtype; only floating tensors can require grad.
    """

    __slots__ = ("__weakref__", "_hooks", "_output_nr", "_vc", "data", "grad", "grad_fn", "requires_grad")
    __array_ufunc__ = None  # makes `ndarray op Tensor` defer to the Tensor's reflected operator
    __hash__ = object.__hash__  # comparisons return tensors, so hash by identity as torch does

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = as_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: Context | None = None
        self._output_nr = 0
        self._vc: list[int] | None = None
        self._hooks: list[Any] | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Tensor:
        # The internal constructor: no copy, no checks. Results of ops on a subclass
        # (Parameter) are plain tensors. A staticmethod: it is called for every op.
        t = _new(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad = None
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._output_nr = output_nr
        t._vc = None
        t._hooks = None
        return t

    # --- what the engine asks of a value ---------------------------------------------
    def _edge(self) -> tuple[Any, int, Any, Any]:
        return (self.grad_fn or self, self._output_nr, self.data.shape, self.data.dtype)

    @staticmethod
    def _zeros(shape: tuple[int, ...], dtype: Any) -> Tensor:
        return Tensor._wrap(np.zeros(shape, dtype=dtype))

    def _sum_to_shape(self, shape: tuple[int, ...], op: str) -> Tensor:
        try:
            return self.sum_to_shape(shape)
        except ValueError:
            raise ValueError(
                f"{op}.backward returned a gradient of shape {self.shape} for an input of shape {shape}"
            ) from None

    def _accumulate_grad(self, g: Tensor, create_graph: bool) -> None:
        if create_graph:
            if self.grad is not None:
                self.grad = self.grad + g
            else:
                # g itself only if it is part of the graph (later sums then make new tensors):
                # otherwise it may be shared (Add hands one gradient to both inputs) or a
                # read-only broadcast view, and a later backward would add into it in place.
                self.grad = g if g.requires_grad else Tensor._wrap(np.array(g.data, copy=True))
        elif self.grad is None:
            # A copy: the upstream gradient or another leaf may hold the same array.
            self.grad = Tensor._wrap(np.array(g.data, copy=True))
        elif self.grad.requires_grad or self.grad.data.shape != self.data.shape:
            self.grad = Tensor._wrap(self.grad.data + g.data)
        else:
            self.grad.data += g.data

    def _seed_grad(self, gradient: Any) -> Tensor:
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element output, but this tensor has shape "
                    f"{self.shape}; reduce it first (e.g. .sum()) or pass gradient= of that shape"
                )
            return Tensor._wrap(np.ones_like(self.data))
        g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=self.dtype)
        if g.shape != self.shape:
            raise ValueError(f"backward(): gradient has shape {g.shape} but the output has shape {self.shape}")
        return g if g.dtype == self.dtype else g.to(self.dtype)

    # --- attributes and conversions --------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        if self.ndim < 2:
            raise ValueError(f"mT needs at least 2 dims, got a tensor of shape {self.shape}")
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[normalize_dim(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, got shape {self.shape} ({self.data.size} elements)"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad: call .detach().numpy() to leave the graph")
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None:
            return self.data.astype(dtype, copy=bool(copy))
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self.dtype}")
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extra = []
        if self.dtype not in (DEFAULT_FLOAT, np.dtype(np.int64), np.dtype(np.bool_)):
            extra.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extra]) + ")"

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    f"requires_grad_(False) on a non-leaf tensor (grad_fn={self.grad_fn!r}); use detach() instead"
                )
            return self
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, this one has dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter), outside the graph."""
        t = Tensor._wrap(self.data)
        t._vc = self._counter()
        return t

    def clone(self) -> Tensor:
        return ops.Clone.apply(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Cast to a dtype (differentiably); a device argument must be "cpu" (see ``device.py``)."""
        dtype = to_dtype(split_to_args(args, kwargs))
        if dtype is None or dtype == self.dtype:
            return self
        if dtype.kind != "f":  # integers and bools carry no gradient: the result is a constant
            return Tensor._wrap(self.data.astype(dtype))
        return ops.Cast.apply(self, dtype)

    def astype(self, dtype: Any) -> Tensor:
        return self.to(dtype)

    type = astype

    @property
    def device(self) -> str:
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

    # --- autograd --------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        if not self.requires_grad:
            raise RuntimeError(
                f"backward() on a tensor of shape {self.shape} that does not require grad: none of the "
                "tensors it was computed from has requires_grad=True (or it was computed under no_grad)"
            )
        g = self._seed_grad(gradient)
        run_backward([self], [g], create_graph if retain_graph is None else retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            if self.grad_fn._retained is None:
                self.grad_fn._retained = {}
            self.grad_fn._retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        else:
            self.grad_fn.register_prehook(self._output_nr, hook)
            assert self.grad_fn._pre_hooks is not None
            hooks = self.grad_fn._pre_hooks[self._output_nr]
        return RemovableHandle(hooks, hook)

    # --- arithmetic --------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, _operand(other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(_operand(other), self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, _operand(other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(_operand(other), self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, _operand(other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(_operand(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, _operand(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(_operand(other), self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, _operand(other))

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(_operand(other), self)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other).matmul(self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def matmul(self, other: Any) -> Tensor:
        return ops.Matmul.apply(self, _operand(other))

    def dot(self, other: Any) -> Tensor:
        """The inner product of two 1-D tensors of one length (as torch.dot; no broadcasting)."""
        other = _as_tensor(other)
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot needs two 1-D tensors of the same length, got shapes {self.shape} and {other.shape}")
        return self.matmul(other)

    def mm(self, other: Any) -> Tensor:
        """Matrix product of two 2-D tensors (as torch.mm; use matmul for other ranks)."""
        other = _as_tensor(other)
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

    def norm(self, p: float = 2.0, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p), or max |x| for p = inf."""
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if p == 2:
            return (self * self).sum(dim, keepdim).sqrt()
        if not p > 0:
            raise ValueError(f"norm: p must be positive or inf, got {p}")
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The largest values over one dim or several; ties share the gradient evenly."""
        return self._extreme(dim, keepdim, "amax", 1.0)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The smallest values over one dim or several; ties share the gradient evenly."""
        return self._extreme(dim, keepdim, "amin", -1.0)

    def _extreme(self, dim: Any, keepdim: bool, op: str, sign: float) -> Tensor:
        axes = normalize_dims(dim, self.ndim, op)
        if self.data.size == 0:
            raise ValueError(f"{op}() of an empty tensor of shape {self.shape}")
        # The extreme as a weighted sum with constant weights: 1/k on each of the k tied
        # extreme elements of a slice, 0 elsewhere. Its value is the extreme, its gradient
        # splits evenly among ties (as torch's amax/amin), and it needs no rule of its own.
        pick = np.max if sign > 0 else np.min
        tied = self.data == pick(self.data, axis=axes, keepdims=True)
        weights = tied / np.sum(tied, axis=axes, keepdims=True, dtype=self.dtype)
        return (self * weights.astype(self.dtype, copy=False)).sum(dim, keepdim)

    # Comparisons and logic: results are bool tensors outside the graph.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data != _raw(other))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data >= _raw(other))

    def __invert__(self) -> Tensor:
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor, got dtype {self.dtype}")
        return Tensor._wrap(~self.data)

    def __and__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data & _raw(other))

    def __or__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data | _raw(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.any(self.data, axis=normalize_dims(dim, self.ndim, "any"), keepdims=keepdim))

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.all(self.data, axis=normalize_dims(dim, self.ndim, "all"), keepdims=keepdim))

    # --- elementwise math -------------------------------------------------------------
    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def sin(self) -> Tensor:
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        return ops.Cos.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ValueError("clamp() needs min, max or both")
        return ops.Clamp.apply(self, _operand(min), _operand(max))

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(self, _operand(other))

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(self, _operand(other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (as ``torch.Tensor.where``)."""
        return where(condition, self, other)

    # --- reductions --------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.Sum.apply(self, normalize_dims(dim, self.ndim, "sum"), keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        n = self._count(dim, "mean")
        return self.sum(dim, keepdim) * (1.0 / n if n else float("nan"))  # the mean of nothing is nan

    def var(
        self, dim: Any = None, *, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None
    ) -> Tensor:
        if unbiased is not None:
            correction = int(unbiased)
        centered = self - self.mean(dim, keepdim=True)
        # With no degrees of freedom left this divides by zero and gives inf or nan, as torch does.
        dof = max(self._count(dim, "var") - correction, 0)
        return (centered * centered).sum(dim, keepdim) / dof

    def std(
        self, dim: Any = None, *, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None
    ) -> Tensor:
        return self.var(dim, correction=correction, keepdim=keepdim, unbiased=unbiased).sqrt()

    def _count(self, dim: Any, op: str) -> int:
        axes = normalize_dims(dim, self.ndim, op)
        return self.data.size if axes is None else numel(tuple(self.shape[a] for a in axes))

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        axis = None if dim is None else normalize_dim(dim, self.ndim, "prod")
        return ops.Prod.apply(self, axis, keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The largest element, or with ``dim`` the (values, indices) along it."""
        return self._select(ops.Max, dim, keepdim, "max")

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The smallest element, or with ``dim`` the (values, indices) along it."""
        return self._select(ops.Min, dim, keepdim, "min")

    def _select(self, fn: type[ops.Max], dim: int | None, keepdim: bool, op: str) -> Any:
        if isinstance(dim, Tensor):
            raise TypeError(f"{op}(tensor) compares elementwise in torch; use maximum()/minimum() here")
        if self.data.size == 0:
            raise ValueError(f"{op}() of an empty tensor of shape {self.shape}")
        if dim is None:
            return fn.apply(self, None, False)
        axis = normalize_dim(dim, self.ndim, op)
        if self.ndim == 0:  # its one element, at index 0
            return ValuesIndices(*fn.apply(self.reshape(1), 0, False))
        return ValuesIndices(*fn.apply(self, axis, keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmax, dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmin, dim, keepdim, "argmin")

    def _arg(self, pick: Any, dim: int | None, keepdim: bool, op: str) -> Tensor:
        if self.data.size == 0:
            raise ValueError(f"{op}() of an empty tensor of shape {self.shape}")
        if dim is None:
            return Tensor._wrap(np.asarray(pick(self.data), dtype=np.int64))
        axis = normalize_dim(dim, self.ndim, op)
        return Tensor._wrap(pick(self.data, axis=axis, keepdims=keepdim).astype(np.int64))

    def logsumexp(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.LogSumExp.apply(self, normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    def softmax(self, dim: int) -> Tensor:
        return ops.Softmax.apply(self, normalize_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return ops.LogSoftmax.apply(self, normalize_dim(dim, self.ndim, "log_softmax"))

    # --- shape -------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        if shape.count(-1) > 1 or any(s < -1 for s in shape):
            raise ValueError(f"reshape: invalid shape {shape} (at most one -1, no other negative sizes)")
        known = numel(tuple(s for s in shape if s != -1))
        size = self.data.size
        if (-1 in shape and (known == 0 or size % known)) or (-1 not in shape and known != size):
            raise ValueError(f"reshape: cannot view a tensor of shape {self.shape} ({size} elements) as shape {shape}")
        return ops.Reshape.apply(self, shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s = normalize_dim(start_dim, self.ndim, "flatten")
        e = normalize_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        return self.reshape(*self.shape[:s], numel(self.shape[s : e + 1]), *self.shape[e + 1 :])

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = normalize_dims(dim, self.ndim, "squeeze") or ()
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        axis = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_arg(dims)
        axes = tuple(normalize_dim(d, self.ndim, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        if axes == tuple(range(self.ndim)):
            return self
        return ops.Permute.apply(self, axes)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        a = normalize_dim(dim0, self.ndim, "transpose")
        b = normalize_dim(dim1, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    def movedim(self, source: int, destination: int) -> Tensor:
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
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        for i, n in enumerate(self.shape):
            if n != 1 and n != shape[lead + i]:
                raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}: dim {i} has size {n}, not 1")
        if shape == self.shape:
            return self
        return ops.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(*other.shape)

    def sum_to_shape(self, shape: Sequence[int]) -> Tensor:
        """Sum over the dims that broadcasting added or stretched, to get ``shape`` back."""
        shape = tuple(shape)
        return self if shape == self.shape else ops.SumToShape.apply(self, shape)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        if self.ndim == 0:
            raise ValueError("split() of a 0-d tensor: there is no dim to split along")
        axis = normalize_dim(dim, self.ndim, "split")
        n = self.shape[axis]
        if isinstance(split_size_or_sections, int):
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

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim`` (which disappears), e.g. the time steps of a sequence."""
        if self.ndim == 0:
            raise ValueError("unbind() of a 0-d tensor: there is no dim to split along")
        return ops.Unbind.apply(self, normalize_dim(dim, self.ndim, "unbind"))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        if self.ndim == 0:
            raise ValueError("chunk() of a 0-d tensor: there is no dim to split along")
        n = self.shape[normalize_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    # --- indexing ------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, _index(index, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        index = _index(index, self.shape)
        if self._records_inplace("__setitem__", value):
            self._become(ops.SetItem.apply(self, _operand(value), index), "__setitem__")
        else:
            try:
                self.data[index] = _raw(value)
            except (ValueError, IndexError) as e:
                raise type(e)(f"__setitem__ on a tensor of shape {self.shape}: {e}") from None
            self._bump()

    # --- in-place ops ---------------------------------------------------------------
    def _records_inplace(self, op: str, *others: Any) -> bool:
        """Whether an in-place op must be recorded; refuses to modify a leaf that requires grad
        or memory that cannot be written (a broadcast view made by expand)."""
        if not self.data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor of shape {self.shape} is read-only (a broadcast view, made by expand, "
                "whose elements share memory); clone() it before changing it in place"
            )
        if not _state.enabled or self.dtype.kind != "f":  # integers and bools carry no gradient
            return False
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{op}: in-place change of a leaf tensor of shape {self.shape} that requires grad; "
                "do parameter updates under autograd.no_grad()"
            )
        recorded = self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
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
        self.data[...] = result.data
        self._bump()
        self.grad_fn, self._output_nr, self.requires_grad = result.grad_fn, result._output_nr, result.requires_grad
        return self

    def _inplace(self, op: str, fn: Any, ufunc: Any, other: Any) -> Tensor:
        if self._records_inplace(op, other):
            # The op reads a snapshot of this tensor, so whatever it saves for backward (mul_
            # and div_ save their first input) is not the memory about to be overwritten.
            before = Tensor._wrap(self.data.copy(), self.grad_fn, self._output_nr)
            before.requires_grad = self.requires_grad
            return self._become(fn.apply(before, _operand(other)), op)
        try:
            ufunc(self.data, _raw(other), out=self.data, casting="same_kind")
        except (ValueError, TypeError) as e:
            kind = TypeError if isinstance(e, TypeError) else ValueError  # not NumPy's UFunc*Error subclasses
            raise kind(f"{op}: cannot update a tensor of shape {self.shape} and dtype {self.dtype} "
                          f"with {_describe(other)} in place: {e}") from None
        self._bump()
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self._inplace("add_", ops.Add, np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self._inplace("sub_", ops.Sub, np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", ops.Mul, np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", ops.Div, np.true_divide, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def fill_(self, value: Any) -> Tensor:
        if self._records_inplace("fill_", value):
            return self._become(ops.Fill.apply(self, _raw(value)), "fill_")
        self.data.fill(_raw(value))
        self._bump()
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def copy_(self, src: Any) -> Tensor:
        if self._records_inplace("copy_", src):
            return self._become(ops.CopyFrom.apply(self, _operand(src)), "copy_")
        try:
            self.data[...] = _raw(src)
        except ValueError:
            shape = np.shape(_raw(src))
            raise ValueError(f"copy_: source of shape {shape} does not broadcast to {self.shape}") from None
        self._bump()
        return self


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Variable) else x


def _operand(x: Any) -> Any:
    # Lists would reach NumPy as float64; treat them like tensor(list) (float32) instead.
    return Tensor(x) if type(x) in (list, tuple) else x


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _describe(x: Any) -> str:
    if isinstance(x, (Tensor, np.ndarray)):
        return f"shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as f(2, 3) or f((2, 3)) or f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"sizes must be ints, got {shape}")
    return tuple(int(s) for s in shape)


def _index(index: Any, shape: tuple[int, ...]) -> Any:
    """Index with tensors and lists turned into arrays, checked against ``shape``."""
    items = index if type(index) is tuple else (index,)
    converted = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, list):
            item = np.asarray(item) if item else np.zeros(0, dtype=np.int64)
        if isinstance(item, np.ndarray) and item.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be integer or bool, got dtype {item.dtype}")
        converted.append(item)
    _check_index(converted, shape)
    return tuple(converted) if type(index) is tuple else converted[0]


def _check_index(items: list[Any], shape: tuple[int, ...]) -> None:
    """Name the offending index and dim, where NumPy would say less."""
    consumed = sum(
        (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1)
        for i in items
        if i is not None and i is not Ellipsis
    )
    if consumed > len(shape):
        raise IndexError(f"too many indices ({consumed}) for a tensor of shape {shape}")
    dim = 0
    for pos, item in enumerate(items):
        if item is Ellipsis:
            dim = len(shape) - sum(
                (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1)
                for i in items[pos + 1 :]
                if i is not None and i is not Ellipsis
            )
            continue
        if item is None:
            continue
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            expected = shape[dim : dim + item.ndim]
            if item.shape != expected:
                raise IndexError(
                    f"boolean mask of shape {item.shape} does not match the tensor's shape {shape} at dims "
                    f"{dim}..{dim + item.ndim - 1} (sizes {expected})"
                )
            dim += item.ndim
            continue
        if (isinstance(item, (int, np.integer)) and not isinstance(item, bool)) or isinstance(item, np.ndarray):
            n = shape[dim]
            bad = np.asarray(item)
            if bad.size and (bad.max() >= n or bad.min() < -n):
                culprit = int(bad.max()) if bad.max() >= n else int(bad.min())
                raise IndexError(f"index {culprit} is out of range for dim {dim} of size {n} (tensor shape {shape})")
        dim += 1


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    cond = np.asarray(_raw(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    a, b = _operand(input), _operand(other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return ops.Where.apply(cond, a, b)


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` as one op, with ``weight`` of shape (out_features, in_features)."""
    x, w = _as_tensor(input), _as_tensor(weight)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape {w.shape} "
                         "(the weight must be (out_features, in_features), in_features the input's last dim)")
    if bias is not None and _as_tensor(bias).shape != (w.shape[0],):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {_as_tensor(bias).shape}")
    return ops.Linear.apply(x, w, bias)
