"""Shape and dtype arithmetic shared by the ops: dims, keepdim shapes, broadcast reduction,
the messages for getting them wrong, and the dtype of a result (torch's promotion rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)  # changed only through set_default_float
_BOOL, _INT64 = np.dtype(np.bool_), np.dtype(np.int64)


class Size(tuple):
    """``torch.Size``: a tuple of ints that prints as torch's; its slices are Sizes too.

    ``Tensor.shape`` makes one at each read, from the array's shape (already ints), through
    ``tuple.__new__`` without the checks below; the engine reads the array's shape itself.
    """

    __slots__ = ()

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        sizes = tuple(sizes)
        for s in sizes:
            if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
                raise TypeError(f"Size takes ints, got {type(s).__name__} {s!r} in {sizes}")
        return super().__new__(cls, (int(s) for s in sizes))

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __format__(self, spec: str) -> str:
        # NOTE: torch formats a Size as its repr. Here f"{x.shape}" reads as a tuple, "(2, 3)",
        # because error messages throughout ndgrad put shapes in f-strings and read best (and
        # are matched by tests) that way; str(), repr() and print() give torch's text.
        return format(tuple(self), spec)

    def __getitem__(self, index: Any, _get: Any = tuple.__getitem__) -> Any:
        item = _get(self, index)
        return _SIZE(Size, item) if index.__class__ is slice else item

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return _SIZE(Size, tuple.__add__(self, other if type(other) is Size else Size(other)))

    def numel(self) -> int:
        return numel(self)


_SIZE = tuple.__new__  # a Size from ints without Size.__new__'s checks: _SIZE(Size, ints)


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as f(2, 3) or f((2, 3)) or f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for k, s in enumerate(shape):
        if type(s) is not int:  # the common case costs one test per size
            # Every size from here on is checked, not only the first that is not a plain int.
            for r in shape[k:]:
                if not isinstance(r, (int, np.integer)) or isinstance(r, bool):
                    raise TypeError(f"sizes must be ints, got {shape}")
            return tuple(int(r) for r in shape)
    return shape


def normalize_dim(dim: int, ndim: int, op: str = "") -> int:
    """A dim in [-ndim, ndim) made non-negative; a 0-d tensor accepts 0 and -1."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims (valid: {-n} to {n - 1})")
    return int(dim) % n if ndim else 0


def normalize_dims(dim: int | Iterable[int] | None, ndim: int, op: str = "") -> tuple[int, ...] | None:
    """``dim`` as a sorted tuple of distinct non-negative axes; None means every axis."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted({normalize_dim(d, ndim, op) for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same axis twice")
    return axes if ndim else ()


def keepdim_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def reduced_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The axes to sum a gradient of ``shape`` over to get ``target`` (which broadcasts to it)."""
    lead = len(shape) - len(target)
    if lead < 0 or any(t != 1 and t != s for t, s in zip(target, shape[lead:])):
        raise ValueError(f"a gradient of shape {shape} cannot be reduced to shape {target}")
    axes = tuple(range(lead)) + tuple(lead + i for i, t in enumerate(target) if t == 1 and shape[lead + i] != 1)
    return axes, lead


def broadcast_error(op: str, *shapes: Any) -> ValueError:
    listed = " and ".join(str(tuple(s)) for s in shapes)
    return ValueError(f"{op}: shapes {listed} do not broadcast (trailing dims must match or be 1)")


def numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# --- the dtype of a result ----------------------------------------------------------------------
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating
_SCALARS = {bool: _BOOL, int: _INT64, float: DEFAULT_FLOAT}


def set_default_float(dtype: np.dtype) -> None:
    """Make ``dtype`` the float dtype of Python floats and of results promoted to floating
    (``autograd.set_default_dtype`` checks it first). Readers here look the global up at each
    call, so changing it costs the hot path nothing."""
    global DEFAULT_FLOAT
    DEFAULT_FLOAT = dtype
    _SCALARS[float] = dtype


def _promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: the higher category wins outright (int64 and float32 give float32,
    where NumPy widens to float64); within a category, the wider type."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A group of higher priority keeps its dtype unless the lower group has a higher category."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote_types(higher, lower)
    return higher


def result_dtype(*operands: Any, floating: bool = False) -> np.dtype | None:
    """The dtype torch gives the result of an elementwise op on ``operands``.

    The operands fall in three groups: tensors (or arrays) with dims, 0-d ones, and Python or
    NumPy scalars. A group's dtype decides unless a group after it has a higher category
    (bool < integer < floating). Scalars only bring their category, as float32 for a float and
    int64 for an int: ``float32 tensor + np.float64(1)`` is float32, ``int tensor / 2`` too.
    ``floating``: the op is defined on floats only (division, exp, ...), so a bool or integer
    result becomes float32. Operands that are not numbers are left out; None if none is.
    """
    groups: list[np.dtype | None] = [None, None, None]
    for x in operands:
        dtype = _SCALARS.get(type(x))
        if dtype is not None:
            group = 2
        elif isinstance(x, (bool, np.bool_)):
            dtype, group = _BOOL, 2
        elif isinstance(x, (int, np.integer)):
            dtype, group = _INT64, 2
        elif isinstance(x, (float, np.floating)):
            dtype, group = DEFAULT_FLOAT, 2
        else:
            dtype = getattr(x, "dtype", None)
            if not isinstance(dtype, np.dtype) or dtype.kind not in _CATEGORY:
                continue
            group = 0 if x.ndim else 1
        before = groups[group]
        groups[group] = dtype if before is None or before is dtype else _promote_types(before, dtype)
    result = _combine(groups[0], _combine(groups[1], groups[2]))
    if floating and result is not None and result.kind != "f":
        return DEFAULT_FLOAT
    return result
