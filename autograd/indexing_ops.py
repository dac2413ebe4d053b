"""Indexing with index tensors and masks: gather and scatter, the ``index_*`` and ``masked_*``
ops, take and nonzero. They are methods of ``Tensor`` (bound in tensor.py) and functions of
``autograd``; the in-place forms (``scatter_``, ``masked_fill_``, ...) are in inplace.py.

Each is composed from ops that already have derivative rules, so each is differentiable to
any order with no rule of its own: a gather is an index (``GetItem``, whose backward adds
into zeros), a scatter an assignment at an index (``SetItem``), a scatter-add an ``IndexAdd``,
a fill a ``Where`` with a constant mask. Indices and masks are constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .aliases import numpy_names
from .dtypes import _describe
from .ops.scan import along
from .shapes import normalize_dim
from .variable import Variable, data_of, new_tensor

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@numpy_names
def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:  # noqa: A002
    """The values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]``
    for dim 0; the result has ``index``'s shape."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "gather")
    idx = _indices(index, "gather")
    _check_index_shape("gather", x.shape, idx.shape, axis)
    _check_range("gather", idx, x.shape, axis)
    if x.ndim == 0 or idx.ndim == 0:  # as a 1-D gather of one element
        return ops.GetItem.apply(x.reshape(-1), along(idx.reshape(1), 0)).reshape(idx.shape)
    return ops.GetItem.apply(x, along(idx, axis))


@numpy_names
def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: str | None = None) -> Any:
    """``input`` with ``src`` (a tensor, or a number) written along ``dim`` at ``index``:
    ``out[index[i][j]][j] = src[i][j]`` for dim 0. ``reduce="add"`` or ``"multiply"`` combines
    instead of writing. Where an index repeats, one of the values written wins."""
    x = _tensor(input)
    if x.ndim == 0:
        return _as_1d(scatter, x, dim, index, src, value=value, reduce=reduce)
    if value is not None:
        if src is not None:
            raise TypeError("scatter: give src or value, not both")
        src = value
    if src is None:
        raise TypeError("scatter: needs src (a tensor) or value (a number)")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if not isinstance(src, Variable):  # a number: as a tensor of the index's shape full of it
            src = x._wrap(np.full(np.shape(data_of(index)), src, dtype=x.dtype))
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    idx, where = _scatter_index("scatter", x, dim, index, src)
    if not isinstance(src, Variable):
        mask = np.zeros(x.shape, dtype=bool)
        mask[where] = True
        return ops.Where.apply(mask, _number(src, x.dtype, "scatter"), x)
    return ops.SetItem.apply(x, _leading(src, idx.shape), where)


@numpy_names
def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:  # noqa: A002
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices add up)."""
    x = _tensor(input)
    if x.ndim == 0:
        return _as_1d(scatter_add, x, dim, index, src)
    idx, where = _scatter_index("scatter_add", x, dim, index, src)
    return x + ops.IndexAdd.apply(_leading(src, idx.shape), where, x.shape)


@numpy_names
def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Any:
    """``input`` with the values of ``src`` reduced into it along ``dim`` at ``index``: the sum,
    product, mean, amax or amin of the values sent to each place (and of the value there, if
    ``include_self``); places no index names keep their value."""
    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}, got {reduce!r}")
    x = _tensor(input)
    if x.ndim == 0:
        return _as_1d(scatter_reduce, x, dim, index, src, reduce, include_self=include_self)
    idx, where = _scatter_index("scatter_reduce", x, dim, index, src)
    if idx.size == 0:
        return ops.Clone.apply(x)
    values = _leading(src, idx.shape)
    hit = np.zeros(x.shape, dtype=bool)
    hit[where] = True
    if reduce in ("sum", "mean"):
        total = ops.IndexAdd.apply(values, where, x.shape)
        if reduce == "sum":
            return x + total if include_self else ops.Where.apply(hit, total, x)
        if include_self:
            total = total + x
        count = np.zeros(x.shape, dtype=np.int64)
        np.add.at(count, where, 1)
        count = np.maximum(count + include_self, 1)
        if x.dtype.kind != "f":  # integers: floor division, as torch has it
            return x._wrap(np.where(hit, data_of(total) // count, x._data).astype(x.dtype))
        return ops.Where.apply(hit, total / count.astype(x.dtype), x)
    return _reduce_by_place(x, values, where, hit, reduce, include_self)


def _reduce_by_place(x: Any, values: Any, where: tuple[Any, ...], hit: np.ndarray, reduce: str,
                     include_self: bool) -> Any:
    """scatter_reduce's prod, amax and amin: the values sent to each place hit, padded with the
    reduction's identity into a (most values at one place, places hit) table and reduced along
    its first dim, by the differentiable prod/amax/amin.

    NOTE: the table's size is the number of places hit times the most values sent to one place,
    which can exceed the number of values when a few places get most of them; in exchange,
    prod's gradient with zeros and amax's even split among ties come from those ops, right to
    any order, with no rule here."""
    target = np.ravel_multi_index(np.broadcast_arrays(*where), x.shape).reshape(-1)
    order = np.argsort(target, kind="stable")
    places, first, counts = np.unique(target[order], return_index=True, return_counts=True)
    rank = np.arange(order.size) - np.repeat(first, counts)  # each value's row among its place's
    column = np.repeat(np.arange(places.size), counts)
    table_shape = (int(counts.max()), places.size)
    table = ops.IndexAdd.apply(ops.GetItem.apply(values.reshape(-1), order), (rank, column), table_shape)
    filled = np.zeros(table_shape, dtype=bool)
    filled[rank, column] = True
    table = ops.Where.apply(filled, table, _identity(reduce, x.dtype))
    flat = x.reshape(-1)
    if include_self:
        table = ops.Cat.apply(ops.GetItem.apply(flat, places).reshape(1, -1), table, 0)
    reduced = table.prod(0) if reduce == "prod" else table.amax(0) if reduce == "amax" else table.amin(0)
    return ops.SetItem.apply(flat, reduced, places).reshape(x.shape)


def _identity(reduce: str, dtype: np.dtype) -> Any:
    if reduce == "prod":
        return dtype.type(1)
    if dtype.kind == "f":
        return dtype.type(-np.inf if reduce == "amax" else np.inf)
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return np.bool_(reduce == "amin")
    return dtype.type(info.min if reduce == "amax" else info.max)


@numpy_names
def index_select(input: Any, dim: int, index: Any) -> Any:  # noqa: A002
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (1-D), in its order."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "index_select")
    idx = _positions(index, x, axis, "index_select")
    if x.ndim == 0:
        return ops.GetItem.apply(x.reshape(1), idx).reshape(())
    return ops.GetItem.apply(x, (slice(None),) * axis + (idx,))


@numpy_names
def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:  # noqa: A002
    """``input`` with the slices of ``source`` (times ``alpha``) added along ``dim`` at the
    positions in ``index``; repeated positions add up."""
    x = _tensor(input)
    if x.ndim == 0:
        return _as_1d(index_add, x, dim, index, source, alpha=alpha)
    axis = normalize_dim(dim, x.ndim, "index_add")
    idx = _positions(index, x, axis, "index_add")
    src = _tensor(source)
    expected = x.shape[:axis] + (idx.size,) + x.shape[axis + 1 :]
    if src.shape != expected:
        raise RuntimeError(f"index_add: source of shape {src.shape} does not fit input of shape {x.shape} and an "
                           f"index of {idx.size} along dim {dim} (expected shape {expected})")
    _same_dtype("index_add", x, src)
    if alpha != 1:
        src = src * alpha
    return x + ops.IndexAdd.apply(src, (slice(None),) * axis + (idx,), x.shape)


@numpy_names
def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:  # noqa: A002
    """``input`` with the slices along ``dim`` at the positions in ``index`` set to ``value``
    (a number or a 0-d tensor)."""
    x = _tensor(input)
    axis = normalize_dim(dim, x.ndim, "index_fill")
    idx = _positions(index, x, axis, "index_fill", negative=True)
    mask = np.zeros(x.shape, dtype=bool)
    mask[(slice(None),) * axis + (idx,) if x.ndim else ()] = idx.size > 0
    return ops.Where.apply(mask, _fill_value(value, x, "index_fill"), x)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:  # noqa: A002
    """``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` holds; the mask
    broadcasts with ``input``."""
    x = _tensor(input)
    m = _mask(mask, "masked_fill")
    _broadcast_shape("masked_fill", x.shape, m.shape)
    return ops.Where.apply(m, _fill_value(value, x, "masked_fill"), x)


def masked_select(input: Any, mask: Any) -> Any:  # noqa: A002
    """The elements of ``input`` where ``mask`` holds (the two broadcast together), as a 1-D tensor."""
    x = _tensor(input)
    m = _mask(mask, "masked_select")
    shape = _broadcast_shape("masked_select", x.shape, m.shape)
    return ops.GetItem.apply(x.expand(*shape), np.broadcast_to(m, shape))


def masked_scatter(input: Any, mask: Any, source: Any) -> Any:  # noqa: A002
    """``input`` with the elements of ``source``, in order, written where ``mask`` holds."""
    x = _tensor(input)
    src = _tensor(source)
    m = _mask(mask, "masked_scatter")
    shape = _broadcast_shape("masked_scatter", x.shape, m.shape)
    m = np.broadcast_to(m, shape)
    count = int(np.count_nonzero(m))
    if src.numel() < count:
        raise RuntimeError(f"masked_scatter: the mask selects {count} elements but source of shape {src.shape} "
                           f"has only {src.numel()}")
    _same_dtype("masked_scatter", x, src)
    return ops.SetItem.apply(x.expand(*shape), ops.GetItem.apply(src.reshape(-1), slice(0, count)), m)


def take(input: Any, index: Any) -> Any:  # noqa: A002
    """The elements of ``input``, read as 1-D, at ``index`` (negative ones count from the end);
    the result has ``index``'s shape."""
    x = _tensor(input)
    idx = _indices(index, "take")
    n = x.numel()
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"take: index {bad} is out of range for a tensor of {n} elements (shape {x.shape})")
    return ops.GetItem.apply(x.reshape(-1), idx)


@numpy_names
def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:  # noqa: A002
    """``gather`` with ``input`` and ``indices`` broadcast in every dim but ``dim``; with no
    ``dim``, ``take`` of the indices read as 1-D."""
    x = _tensor(input)
    idx = _indices(indices, "take_along_dim")
    if dim is None:
        return take(x, idx.reshape(-1))
    axis = normalize_dim(dim, x.ndim, "take_along_dim")
    if idx.ndim != x.ndim:
        raise RuntimeError(f"take_along_dim: indices of shape {idx.shape} need as many dims as input of shape "
                           f"{x.shape}")
    outer = _broadcast_shape("take_along_dim", _without(x.shape, axis), _without(idx.shape, axis))
    x = x.expand(*outer[:axis], x.shape[axis], *outer[axis:])
    return gather(x, axis, np.broadcast_to(idx, (*outer[:axis], idx.shape[axis], *outer[axis:])))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d input counts as 1-D)."""
    x = _tensor(input)
    data = x._data
    if as_tuple:
        return tuple(x._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return x._wrap(np.argwhere(data).astype(np.int64))


def argwhere(input: Any) -> Any:  # noqa: A002
    """The indices of the nonzero elements, as an (n, ndim) int64 tensor (``nonzero``)."""
    return nonzero(input)


# --- argument checks ---------------------------------------------------------------------------


def _tensor(x: Any) -> Any:
    return x if isinstance(x, Variable) else new_tensor(x)


def _indices(index: Any, op: str) -> np.ndarray:
    """An index tensor (or list) as an integer array; a float or bool one is refused."""
    idx = np.asarray(data_of(index))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: the index must be an integer tensor, got {_describe(idx)}")
    return idx.astype(np.int64, copy=False)


def _mask(mask: Any, op: str) -> np.ndarray:
    m = np.asarray(data_of(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be a bool tensor, got {_describe(m)}")
    return m


def _positions(index: Any, x: Any, axis: int, op: str, negative: bool = False) -> np.ndarray:
    """A 0-d or 1-D index of positions along ``axis``, as 1-D, each in range."""
    idx = _indices(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: the index must be 0-d or 1-D, got shape {idx.shape}")
    idx = idx.reshape(-1)
    n = x.shape[axis] if x.ndim else 1
    low = -n if negative else 0
    if idx.size and (idx.max() >= n or idx.min() < low):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"{op}: index {bad} is out of range for dim {axis} of size {n} (shape {x.shape})")
    return idx


def _check_index_shape(op: str, shape: tuple[int, ...], index_shape: tuple[int, ...], axis: int,
                       name: str = "input") -> None:
    """The index has the tensor's number of dims and is nowhere larger, except along ``axis``."""
    if len(index_shape) != len(shape) and not (len(shape) <= 1 and len(index_shape) <= 1):
        raise RuntimeError(f"{op}: an index of shape {index_shape} needs as many dims as {name} of shape {shape}")
    for d, (k, n) in enumerate(zip(index_shape, shape)):
        if d != axis and k > n:
            raise RuntimeError(f"{op}: the index of shape {index_shape} is larger than {name} of shape {shape} "
                               f"at dim {d}, which is not dim {axis}")


def _check_range(op: str, idx: np.ndarray, shape: tuple[int, ...], axis: int) -> None:
    n = shape[axis] if shape else 1
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"{op}: index {bad} is out of range for dim {axis} of size {n} (shape {shape})")


def _scatter_index(op: str, x: Any, dim: int, index: Any, src: Any) -> tuple[np.ndarray, tuple[Any, ...]]:
    """The checks of scatter and its kin, and the NumPy index of the places written."""
    axis = normalize_dim(dim, x.ndim, op)
    idx = _indices(index, op)
    _check_index_shape(op, x.shape, idx.shape, axis)
    if _is_tensor(src):
        _check_index_shape(op, src.shape, idx.shape, -1, name="src")
        _same_dtype(op, x, src)
    elif not isinstance(src, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"{op}: src must be a tensor or a number, got {_describe(src)}")
    _check_range(op, idx, x.shape, axis)
    idx = idx.reshape(-1) if idx.ndim == 0 else idx  # a 1-D tensor's one element
    return idx, along(idx, axis)


def _as_1d(fn: Any, x: Any, dim: int, index: Any, src: Any, *args: Any, **kwargs: Any) -> Any:
    """A scatter into a 0-d tensor, as one into its one element seen as 1-D (as torch has it)."""
    normalize_dim(dim, 0, fn.__name__)
    src = src.reshape(-1) if _is_tensor(src) else src
    return fn(x.reshape(1), 0, _indices(index, fn.__name__).reshape(-1), src, *args, **kwargs).reshape(())


def _leading(src: Any, shape: tuple[int, ...]) -> Any:
    """The first ``shape`` elements of ``src`` in each dim: what a scatter reads of it."""
    if src.shape == shape:
        return src
    if src.ndim == 0:
        return src.reshape(shape)
    return ops.GetItem.apply(src, tuple(slice(0, n) for n in shape))


def _same_dtype(op: str, x: Any, src: Any) -> None:
    if src.dtype != x.dtype:
        raise TypeError(f"{op}: source of dtype {src.dtype} does not match input of dtype {x.dtype}; "
                        f"convert it first (.to({x.dtype}))")


def _number(value: Any, dtype: np.dtype, op: str) -> Any:
    """A number as a NumPy scalar of ``dtype`` (so that the result keeps the input's dtype)."""
    if not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {_describe(value)}")
    return dtype.type(value)


def _fill_value(value: Any, x: Any, op: str) -> Any:
    if _is_tensor(value):
        if value.ndim != 0:
            raise RuntimeError(f"{op}: a tensor value must be 0-d, got shape {value.shape}")
        return value if value.dtype == x.dtype else value.to(x.dtype)
    return _number(value, x.dtype, op)


def _is_tensor(x: Any) -> bool:
    """Whether an argument that may be a tensor or a number is a tensor."""
    return isinstance(x, Variable)


def _broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise RuntimeError(f"{op}: shapes {listed} do not broadcast") from None


def _without(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1 :]
