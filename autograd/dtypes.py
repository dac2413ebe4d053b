"""The dtypes of tensors: what a dtype argument may be, the array made from data, and the
dtype torch gives a result (operands cast by ``pair``/``promoted``; the rule itself,
``result_dtype``, is in ``shapes.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from . import shapes
from .shapes import result_dtype
from .variable import Variable, data_of

if TYPE_CHECKING:
    from .tensor import Tensor

# What a ``dtype=`` argument may be: a NumPy dtype (``autograd.float32``), a scalar type
# (``np.int64``, ``float``, ``int``), a dtype's name (``"float64"``), or None for the default.
DTypeLike = np.dtype | type | str | None


def to_dtype(dtype: DTypeLike) -> np.dtype | None:
    """Accept NumPy dtypes, their names and Python types: ``float`` is float64 and ``int``
    int64, as in torch (only data without a dtype defaults to float32)."""
    if dtype is None:
        return None
    if dtype is int:
        return np.dtype(np.int64)
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype (use e.g. autograd.float32, 'float64' or np.int64)") from None
    if result.kind not in "biuf":
        raise TypeError(f"a tensor cannot have dtype {result} ({dtype!r}): bool, integer and floating-point ones only")
    return result


def as_array(data: Any, dtype: DTypeLike = None) -> np.ndarray:
    """NumPy array for ``data``: Python floats become float32, NumPy arrays keep their dtype."""
    if isinstance(data, Variable):
        data = data._data
    dtype = to_dtype(dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype)
    else:
        arr = np.array(data, dtype=dtype)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(shapes.DEFAULT_FLOAT)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor of dtype {arr.dtype} from {type(data).__name__}; numbers only")
    return arr


def is_tensor(x: object) -> TypeGuard[Tensor]:
    """Whether an operand of a tensor op is a tensor: the only kind of Variable that reaches the
    tensor modules (a Scalar's arithmetic is its own), told apart without importing ``tensor``."""
    return isinstance(x, Variable)


def _integer_grad_error(dtype: np.dtype) -> TypeError:
    return TypeError(f"only floating-point tensors can require grad, this one has dtype {dtype}")


def _operand(x: Any) -> Any:
    # Lists would reach NumPy as float64; treat them like tensor(list) (float32) instead.
    return as_array(x) if type(x) in (list, tuple) else x


_CONSTANTS: dict[tuple[float, np.dtype], Any] = {}
_MAX_CONSTANTS = 256


def constant(value: float, dtype: np.dtype) -> Any:
    """``value`` as a NumPy scalar of ``dtype``, from a small cache.

    NOTE: NumPy takes a Python float operand through a slower path than a scalar of the
    array's own dtype (it must first decide the result dtype from a "weak" Python number):
    about a third of a small op's arithmetic. NumPy scalars are immutable, so sharing them is
    safe; the cache is cleared when full, so it stays small whatever the values."""
    key = (value, dtype)
    c = _CONSTANTS.get(key)
    if c is None:
        if len(_CONSTANTS) >= _MAX_CONSTANTS:
            _CONSTANTS.clear()
        with np.errstate(over="ignore"):  # a float64 value past float32's range is inf there, as NumPy makes it
            c = _CONSTANTS[key] = dtype.type(value)
    return c


def _pair(a: Any, b: Any, floating: bool = False) -> Any:
    """``a`` and its operand ``b``, cast to the dtype torch gives their result (see
    ``result_dtype``); ``floating`` for division. The early returns are the common cases in
    which NumPy already gives that dtype: no cast, and only a type check or two."""
    try:
        dtype = a._data.dtype
    except AttributeError:  # a functional form given a number or an array first: ag.maximum(0, t)
        return _promoted((a, b), floating)
    kind = type(b)
    if kind is float:
        if dtype.kind == "f":
            return a, constant(b, dtype)
    elif kind is int:
        if not floating or dtype.kind == "f":
            return a, b
    elif isinstance(b, Variable):
        if b._data.dtype is dtype and (not floating or dtype.kind == "f"):
            return a, b
    elif kind is np.ndarray and (b.dtype is dtype or b.dtype.kind == "b") and (not floating or dtype.kind == "f"):
        return a, b
    return _promoted((a, b), floating)


def _promoted(operands: Sequence[Any], floating: bool = False) -> list[Any]:
    """``operands`` of one op, cast so that NumPy computes the dtype torch gives its result.

    Python scalars stay as they are (NumPy treats them as weak, as torch does) and NumPy scalars
    become Python ones, so that a float32 tensor + np.float64(1) stays float32. Only operands of
    another kind than the result, or wider, are cast (tensors differentiably, arrays as constants):
    a narrower float is widened by NumPy itself, with no extra node in the graph."""
    values = [
        as_array(x) if type(x) in (list, tuple) else x.item() if isinstance(x, np.generic) else x for x in operands
    ]
    for x in values:
        if not _is_real(x):
            shapes_ = [np.shape(data_of(v)) for v in values if isinstance(v, (Variable, np.ndarray))]
            raise _foreign_error(x, f"operands of shapes {shapes_}: ")
    dtype = result_dtype(*values, floating=floating)
    if dtype is None:
        return values
    for i, x in enumerate(values):
        if is_tensor(x) or isinstance(x, np.ndarray):
            own = x.dtype
            if own != dtype and (own.kind != dtype.kind or own.itemsize > dtype.itemsize):
                values[i] = x.to(dtype) if is_tensor(x) else x.astype(dtype)
    return values


def _floating(t: Any) -> Any:
    """``t`` as the input of an op defined on floats only: bool and integer tensors become float32."""
    try:
        if t._data.dtype.kind == "f":
            return t
    except AttributeError:  # not a tensor (ag.exp(2.0)): the op itself says what it needs
        return t
    return t.to(shapes.DEFAULT_FLOAT)


def _require_floating(t: Any, op: str) -> None:
    """Refuse, as torch does, to guess the dtype of a statistic (mean, var, norm) of integers."""
    if t.dtype.kind != "f":
        raise TypeError(
            f"{op}() needs a floating-point tensor, got dtype {t.dtype}; convert it first, e.g. .float().{op}()"
        )


def _is_real(x: Any) -> bool:
    """Whether an operand is one a tensor could hold: not a complex number, a string or an object,
    which are refused where they enter an op (NumPy would make a complex or object result, or fail
    with a message of its own). None passes: an op that takes it (clamp) says what it means."""
    if x is None or isinstance(x, (Variable, bool, int, float)):
        return True
    if type(x) in (list, tuple):
        try:
            x = np.asarray(x)
        except ValueError:  # ragged: the op says what is wrong with it
            return True
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "biuf"


def _foreign_error(x: Any, context: str) -> TypeError:
    return TypeError(f"{context}tensors hold bool, integer and floating-point numbers only, not {_describe(x)}")


def _describe(x: Any) -> str:
    if isinstance(x, (Variable, np.ndarray)):
        data = data_of(x)
        return f"shape {data.shape} and dtype {data.dtype}"
    return f"{type(x).__name__} {x!r}"


