"""The table of built-in ops that ``autograd.testing.check_op`` checks: one line per op, with
the NumPy reference of its forward and the shapes, values and arguments to generate.

The test suite (``tests/autograd/test_op_gradients.py``) and ``ndgrad check`` both run it, so adding
an op means adding one line here. Values are kept inside each op's domain and away from
its kinks; exact kinks and ties are pinned by fixed tests instead. Needs hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.testing import broadcastable_shapes, check_op, dim_kwargs, dims, elements, grid, shapes

# --- domains and shapes ------------------------------------------------------------------------

PAIR = broadcastable_shapes(2)
TRIPLE = broadcastable_shapes(3)
ND = shapes(min_dims=1)  # ops that need a dim to act on
WIDE = shapes(min_dims=1, min_side=2)  # var/std: at least two values in every reduction
POSITIVE = elements(0.2, 3.0)  # log, sqrt, fractional powers
NONZERO = elements(avoid=[0.0], margin=0.3)  # divisors
OFF_ZERO = elements(avoid=[0.0])  # relu and abs
ON_GRID, OFF_GRID = grid(-3, 3, 0.1), grid(-3, 3, 0.1, offset=0.05)  # maximum/minimum: never tied
# prod: out / x loses all precision for tiny x, so keep values off 0 except for exact zeros
# (which take a branch of their own), and near 1 in size: the rounding noise of finite
# differences grows with the product, while d^2 prod / dx_i^2 is exactly 0
NEAR_ONE = elements(-1.5, 1.5, avoid=[0.0], margin=0.5)
WITH_ZEROS = st.one_of(st.just(0.0), NEAR_ONE)
UNIT = elements(-0.9, 0.9)  # asin, acos, atanh, erfinv: inside (-1, 1), away from its ends
# The jumps of the rounding ops and of remainders: integers, half-integers, a / b integral. Dividends
# on a grid at 0.05 + 0.1 k never make a / b integral for these divisors (7k, 13k, 23k are not m + 0.5).
OFF_INTEGERS = elements(avoid=range(-3, 4))
OFF_HALVES = elements(avoid=[k + 0.5 for k in range(-4, 3)])
OFF_TENTHS_HALVES = elements(avoid=[k / 10 + 0.05 for k in range(-31, 31)])
DIVIDENDS, DIVISORS = grid(-3, 3, 0.1, offset=0.05), st.sampled_from([0.7, -1.3, 2.3])


def pairs_of(shape_strategy):
    """A shape and one that broadcasts to it (for in-place ops: the left operand keeps its shape)."""
    return shape_strategy.flatmap(lambda s: reduced_shapes(s).map(lambda r: (s, r)))


@st.composite
def reduced_shapes(draw, shape):
    """A shape that broadcasts to ``shape``: some leading dims dropped, some dims set to 1."""
    lead = draw(st.integers(0, len(shape)))
    rest = shape[lead:]
    ones = draw(st.lists(st.booleans(), min_size=len(rest), max_size=len(rest)))
    return tuple(1 if one else n for n, one in zip(rest, ones))


@st.composite
def matmul_vector_shapes(draw):
    n, m, b = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    return draw(st.sampled_from([((n,), (n,)), ((m, n), (n,)), ((n,), (n, m)), ((b, m, n), (n,)), ((n,), (b, n, m))]))


@st.composite
def linear_shapes(draw):
    batch = draw(shapes(max_dims=2))
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return batch + (n,), (m, n), (m,)


@st.composite
def matmul_matrix_shapes(draw):
    m, n, p = (draw(st.integers(1, 3)) for _ in range(3))
    return (m, n), (n, p)


@st.composite
def matmul_batched_shapes(draw):
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
    m, n, p = (draw(st.integers(1, 3)) for _ in range(3))
    return batch_a + (m, n), batch_b + (n, p)


@st.composite
def cat_shapes(draw):
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(0, len(base) - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    return tuple(base[:axis] + (k,) + base[axis + 1 :] for k in sizes)


def cat_dims(*shape_list):
    """Dims along which the shapes may be joined: all other dims agree."""
    ndim = len(shape_list[0])
    valid = [d for d in range(ndim) if len({s[:d] + s[d + 1 :] for s in shape_list}) == 1]
    return {"dim": st.sampled_from(valid + [d - ndim for d in valid])}


same_shapes = shapes().flatmap(lambda s: st.integers(1, 3).map(lambda k: (s,) * k))


@st.composite
def reshape_targets(draw, shape):
    n = math.prod(shape)
    options = [(n,), (-1,), (1, n), tuple(reversed(shape)), shape + (1,), (1, *shape), (n, 1) if n else (0, 1)]
    return draw(st.sampled_from(options))


@st.composite
def flatten_dims(draw, shape):
    ndim = len(shape)
    a, b = sorted(draw(st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2)))
    return {"start_dim": draw(st.sampled_from([a, a - ndim])), "end_dim": draw(st.sampled_from([b, b - ndim]))}


@st.composite
def expand_targets(draw, shape):
    lead = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    sizes = tuple(draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1])) for n in shape)
    return lead + sizes


@st.composite
def split_sizes(draw, shape):
    dim = draw(dims(shape))
    n = shape[dim]
    if draw(st.booleans()):
        return {"split_size": draw(st.integers(1, n)), "dim": dim}
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    bounds = [0, *cuts, n]
    return {"split_size": [hi - lo for lo, hi in zip(bounds, bounds[1:])], "dim": dim}


@st.composite
def var_kwargs(draw, shape):
    dim = draw(dims(shape, allow_none=True, allow_tuple=True))
    axes = range(len(shape)) if dim is None else [d % len(shape) for d in np.atleast_1d(dim)]
    count = math.prod(shape[d] for d in axes)
    # At least one degree of freedom left, else the result is inf.
    return {"dim": dim, "correction": draw(st.integers(0, min(count - 1, 2))), "keepdim": draw(st.booleans())}


def where_condition(shape_a, shape_b):
    target = np.broadcast_shapes(shape_a, shape_b)
    cond_shape = hnp.broadcastable_shapes(target, max_dims=len(target))
    return {"cond": cond_shape.flatmap(lambda s: hnp.arrays(bool, s))}


def repeated_index(shape):
    """More indices than elements along dim 0, so some repeat (their gradients must add up)."""
    n = shape[0]
    return {"index": st.lists(st.integers(-n, n - 1), min_size=n + 1, max_size=n + 3).map(np.array)}


def slice_then_array(shape):
    n = shape[-1]
    arrays = hnp.arrays(np.int64, st.integers(1, 4), elements=st.integers(-n, n - 1))
    return {"index": arrays.map(lambda a: (Ellipsis, a))}


# --- NumPy references for the forward ----------------------------------------------------------------


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))

def _in_input_dtype(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``f`` elementwise, its result in the input's floating dtype, as the op's is (math.erf and
    the bisection below compute in float64: a float32 input must not get a float64 result)."""

    def reference(a: Any) -> Any:
        a = np.asarray(a)
        out = f(a)
        return out.astype(a.dtype) if a.dtype.kind == "f" else out

    return reference


np_erf = _in_input_dtype(np.vectorize(math.erf, otypes=[np.float64]))
np_erfc = _in_input_dtype(np.vectorize(math.erfc, otypes=[np.float64]))


@_in_input_dtype
@np.vectorize
def np_erfinv(y):
    """erf's inverse by bisection on math.erf: slow, simple and independent of ops/math.py."""
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return 0.5 * (lo + hi)


def np_lerp(a, b, w):
    return a + w * (b - a)


def np_logsumexp(a, axis, keepdims):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def np_softmax(a, dim):
    e = np.exp(a)
    return e / e.sum(axis=dim, keepdims=True)


def np_reduce(reduce):
    """``reduce(a, axis=dim, keepdims=keepdim, **rest)``, taking a 0-d array's dim 0 or -1 as torch does."""

    def reference(a, dim=None, keepdim=False, **rest):
        return reduce(a, axis=None if a.ndim == 0 else dim, keepdims=keepdim, **rest)

    return reference


def np_max(pick, reduce):
    return lambda a, dim, keepdim: (reduce(a, axis=dim, keepdims=keepdim), pick(a, axis=dim, keepdims=keepdim))


def np_norm(p):
    def reference(a, dim, keepdim):
        axis = None if a.ndim == 0 else dim
        if p == math.inf:
            return np.max(np.abs(a), axis=axis, keepdims=keepdim)
        return np.sum(np.abs(a) ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)

    return reference


def np_squeeze(a, dim):
    if dim is None or a.ndim == 0:
        return np.squeeze(a)
    axes = tuple(d % a.ndim for d in np.atleast_1d(dim) if a.shape[d] == 1)
    return np.squeeze(a, axis=axes)


def np_split(a, split_size, dim):
    n = a.shape[dim]
    sizes = split_size if isinstance(split_size, list) else [min(split_size, n - i) for i in range(0, n, split_size)]
    bounds = np.cumsum([0, *sizes])
    return tuple(np.take(a, np.arange(lo, hi), axis=dim) for lo, hi in zip(bounds, bounds[1:]))


def np_chunk(a, chunks, dim):
    return np_split(a, max(-(-a.shape[dim] // chunks), 1), dim)


def np_sum_to_shape(a, shape):
    lead = a.ndim - len(shape)
    summed = a.sum(axis=tuple(range(lead))) if lead else a
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and summed.shape[i] != 1)
    return summed.sum(axis=axes, keepdims=True) if axes else summed


def np_setitem(a, v, index):
    out = a.copy()
    out[index] = v
    return out


def np_expand(a, shape):
    lead = len(shape) - a.ndim
    return np.broadcast_to(a, tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape)))


def setitem(a, v, index):
    b = a.clone()
    b[index] = v
    return b


# scans and order statistics


def np_scan(scan):
    """``scan(a, axis=dim)``, with a 0-d array scanned as a slice of one (as torch does)."""
    return lambda a, dim: scan(a.reshape(1), axis=0).reshape(()) if a.ndim == 0 else scan(a, axis=dim)


def np_logcumsumexp(a, axis):
    """Each prefix shifted by its own max, so that values hundreds apart neither overflow nor vanish."""
    x = np.moveaxis(a, axis, -1)
    peak = np.maximum.accumulate(x, axis=-1)
    n = x.shape[-1]
    upto = np.arange(n)[:, None] <= np.arange(n)  # [k, j]: k <= j
    terms = np.where(upto, np.exp(np.minimum(x[..., :, None] - peak[..., None, :], 0.0)), 0.0)
    return np.moveaxis(peak + np.log(terms.sum(axis=-2)), -1, axis)


def np_running(accumulate, pick):
    """cummax/cummin on distinct values: the running extreme and the index of the one it is."""

    def reference(a, dim):
        if a.ndim == 0:
            return a, np.array(0)
        x = np.moveaxis(a, dim, -1)
        idx = np.stack([pick(x[..., : j + 1], axis=-1) for j in range(x.shape[-1])], axis=-1)
        return accumulate(a, axis=dim), np.moveaxis(idx, -1, dim)

    return reference


def np_median(a, dim=None, keepdim=False):
    """The lower median (of distinct values), with its index along ``dim`` if given."""
    if dim is None:
        return np.sort(a, axis=None)[(a.size - 1) // 2]
    x = np.moveaxis(a.reshape(1) if a.ndim == 0 else a, dim, -1)
    middle = np.argsort(x, axis=-1)[..., (x.shape[-1] - 1) // 2]
    values = np.take_along_axis(x, middle[..., None], -1)[..., 0]
    if keepdim and a.ndim:
        return np.expand_dims(values, dim), np.expand_dims(middle, dim)
    return values, middle


def np_moments(spread):
    def reference(a, dim, correction, keepdim):
        axis = None if a.ndim == 0 else dim
        return spread(a, axis=axis, ddof=correction, keepdims=keepdim), np.mean(a, axis=axis, keepdims=keepdim)

    return reference


# --- indexing with index tensors, layout, order and products -------------------------------------------


@st.composite
def taken_along(draw, shape, index_sizes=None, dim=None):
    """``dim`` and an index into ``shape`` along it: as many dims, no larger than ``shape``
    elsewhere (``index_sizes`` gives its sizes, or strategies for them), values in range along
    ``dim`` (some repeat)."""
    dim = draw(dims(shape)) if dim is None else dim
    axis = dim % len(shape)
    if index_sizes is None:
        index_sizes = tuple(st.integers(1, 3 if d == axis else n) for d, n in enumerate(shape))
    sizes = tuple(draw(k) if isinstance(k, st.SearchStrategy) else k for k in index_sizes)
    index = draw(hnp.arrays(np.int64, sizes, elements=st.integers(0, shape[axis] - 1)))
    return {"dim": dim, "index": index}


def smaller_second(shape_strategy):
    """A shape and one no larger in any dim (a scatter's input and source)."""
    return shape_strategy.flatmap(lambda s: st.tuples(*[st.integers(1, n) for n in s]).map(lambda r: (s, r)))


@st.composite
def one_dim_differs(draw):
    """A shape and the same with one dim's size changed: index_add's input and source."""
    shape = draw(ND)
    axis = draw(st.integers(0, len(shape) - 1))
    return shape, shape[:axis] + (draw(st.integers(1, 3)),) + shape[axis + 1 :]


@st.composite
def positions_along(draw, shape, source_shape=None):
    """``dim`` and a 1-D index of positions along it (as many as ``source_shape`` has there)."""
    differ = [d for d in range(len(shape)) if source_shape is not None and source_shape[d] != shape[d]]
    dim = differ[0] if differ else draw(dims(shape))
    n = shape[dim] if source_shape is None else source_shape[dim]
    count = draw(st.integers(1, 4)) if source_shape is None else n
    index = draw(hnp.arrays(np.int64, (count,), elements=st.integers(0, shape[dim] - 1)))
    return {"dim": dim, "index": index}


def torch_order_indices(shape):
    """Indices of ints, slices and index arrays (of one length) mixed, the kind whose result
    torch lays out otherwise than NumPy (an int is applied first)."""
    def item(n, length):
        return st.one_of(st.integers(-n, n - 1), st.just(slice(None)), st.builds(slice, st.integers(0, n)),
                         hnp.arrays(np.int64, length, elements=st.integers(-n, n - 1)))
    return {"index": st.integers(1, 3).flatmap(lambda length: st.tuples(*[item(n, length) for n in shape]))}


def np_torch_index(a, index):
    """``a[index]`` in torch's order: the ints first, as selects, then the rest."""
    first = tuple(i if isinstance(i, int) else slice(None) for i in index)
    return a[first][tuple(i for i in index if not isinstance(i, int))]


def np_along(index, axis):
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[axis] = index
    return tuple(grid)


def np_gather(a, dim, index):
    return a[np_along(index, dim % a.ndim)]


_NP_SCATTER_REDUCTIONS: dict[str, Callable[..., Any]] = {
    "sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def np_scatter(a, src, dim, index, reduce=None, include_self=True):
    """scatter, and scatter_reduce's reductions, by a loop over the values sent."""
    out = a.astype(np.result_type(a, src))  # a float64 src (finite differences) is not rounded to a's dtype
    where = np_along(index, dim % a.ndim)
    if reduce is None:
        out[where] = src[tuple(slice(n) for n in index.shape)]
        return out
    sent: dict = {}
    for k in np.ndindex(*index.shape):
        sent.setdefault(tuple(int(w[k] if w.ndim else w) for w in np.broadcast_arrays(*where)), []).append(src[k])
    pick = _NP_SCATTER_REDUCTIONS[reduce]
    for place, values in sent.items():
        out[place] = pick(values + [a[place]] if include_self else values)
    return out


def np_index_add(a, source, dim, index, alpha=1.0):
    out = a.astype(np.result_type(a, source))
    np.add.at(out, (slice(None),) * dim + (index,), alpha * source)
    return out


def np_index_fill(a, value, dim, index):
    out = a.astype(np.result_type(a, value))
    out[(slice(None),) * dim + (index,)] = value
    return out


def np_masked_scatter(a, source, mask):
    out = a.astype(np.result_type(a, source))
    out[mask] = source.reshape(-1)[: int(mask.sum())]
    return out


def np_diag_embed(a, offset, dim1, dim2):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n), dtype=a.dtype)
    for i in range(a.shape[-1]):
        out[..., i - min(offset, 0), i + max(offset, 0)] = a[..., i]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def np_unfold(a, dimension, size, step):
    windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=dimension)
    return windows[(slice(None),) * (dimension % a.ndim) + (slice(None, None, step),)]


def np_sort(a, dim, descending):
    order = np.argsort(-a if descending else a, axis=dim)
    return np.take_along_axis(a, order, dim), order


def np_topk(a, k, dim, largest):
    values, order = np_sort(a, dim, largest)
    keep = (slice(None),) * (dim % a.ndim) + (slice(0, k),)
    return values[keep], order[keep]


def np_kthvalue(a, k, dim, keepdim):
    values, order = np_sort(a, dim, False)
    keep = (slice(None),) * (dim % a.ndim) + (slice(k - 1, k),)
    values, order = values[keep], order[keep]
    return (values, order) if keepdim else (values.squeeze(dim), order.squeeze(dim))


def np_cdist(a, b, p):
    return np.sum(np.abs(a[..., :, None, :] - b[..., None, :, :]) ** p, axis=-1) ** (1.0 / p)


@st.composite
def distinct_dims(draw, shape, count=2):
    """``count`` different dims of ``shape`` (or of that many dims), negative ones included."""
    ndim = shape if isinstance(shape, int) else len(shape)
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=count, max_size=count, unique=True))
    return [draw(st.sampled_from([d, d - ndim])) for d in chosen]


@st.composite
def unfold_kwargs(draw, shape):
    dim = draw(dims(shape))
    return {"dimension": dim, "size": draw(st.integers(1, shape[dim])), "step": draw(st.integers(1, 2))}


@st.composite
def narrow_kwargs(draw, shape):
    dim = draw(dims(shape))
    n = shape[dim]
    start = draw(st.integers(-n, n - 1))
    return {"dim": dim, "start": start, "length": draw(st.integers(0, n - start % n))}


@st.composite
def unflatten_kwargs(draw, shape):
    dim = draw(dims(shape))
    n = shape[dim]
    return {"dim": dim, "sizes": draw(st.sampled_from([(n,), (1, n), (n, 1), (-1,), (1, -1, 1)]))}


@st.composite
def topk_kwargs(draw, shape):
    dim = draw(dims(shape))
    return {"k": draw(st.integers(0, shape[dim])), "dim": dim, "largest": draw(st.booleans())}


@st.composite
def kthvalue_kwargs(draw, shape):
    dim = draw(dims(shape))
    return {"k": draw(st.integers(1, shape[dim])), "dim": dim, "keepdim": draw(st.booleans())}


@st.composite
def tensordot_shapes(draw):
    shared = draw(shapes(max_dims=2))
    return draw(shapes(max_dims=1)) + shared, shared + draw(shapes(max_dims=1))


def contracted_dims(shape_a, shape_b):
    """How many trailing dims of ``shape_a`` match the leading ones of ``shape_b``, for tensordot."""
    fit = [k for k in range(min(len(shape_a), len(shape_b)) + 1) if shape_a[len(shape_a) - k :] == shape_b[:k]]
    return {"dims": st.sampled_from(fit)}


@st.composite
def scatter_reduce_kwargs(draw, shape, src_shape, reductions):
    return {**draw(taken_along(shape, src_shape)), "reduce": draw(st.sampled_from(reductions)),
            "include_self": draw(st.booleans())}


@st.composite
def batched_triple(draw, batch=True):
    b, n, m, p = (draw(st.integers(1, 3)) for _ in range(4))
    lead = (b,) if batch else ()
    out = lead + (n, p)
    return draw(reduced_shapes(out)), lead + (n, m), lead + (m, p)


@st.composite
def cross_shapes(draw):
    """Two shapes that broadcast, with a dim of size 3 in both (where the vectors lie)."""
    before, after = draw(shapes(max_dims=1)), draw(shapes(max_dims=1))
    keep = [draw(st.booleans()) for _ in before + after]
    other = tuple(n if k else 1 for n, k in zip(before + after, keep))
    return before + (3,) + after, other[: len(before)] + (3,) + other[len(before) :]


def cross_dims(shape, other):
    return {"dim": st.sampled_from([d for d in range(len(shape)) if shape[d] == other[d] == 3])}


@st.composite
def cdist_shapes(draw):
    batch, m = draw(shapes(max_dims=1)), draw(st.integers(1, 3))
    return batch + (draw(st.integers(1, 3)), m), batch + (draw(st.integers(1, 3)), m)


# --- the table: one line per op ----------------------------------------------------------------------


class OpCase(NamedTuple):
    """One line of the table: ``check_op(op, reference, **options)``."""

    name: str
    op: Callable[..., Any]
    reference: Callable[..., Any] | None
    options: dict[str, Any]


def case(name: str, op: Callable[..., Any], reference: Callable[..., Any] | None, **options: Any) -> OpCase:
    return OpCase(name, op, reference, options)


CASES = [
    # arithmetic, broadcasting both operands
    case("add", lambda a, b: a + b, np.add, shapes=PAIR),
    case("add_number", lambda a: 2.5 + a + 1.0, lambda a: a + 3.5),
    case("sub", ag.sub, np.subtract, shapes=PAIR),
    case("sub_number", lambda a: 1.5 - a - 0.5, lambda a: 1.0 - a),
    case("mul", ag.mul, np.multiply, shapes=PAIR),
    case("mul_number", lambda a: -1.5 * a * 2.0, lambda a: -3.0 * a),
    case("div", lambda a, b: a / b, np.divide, shapes=PAIR, elements=[elements(), NONZERO]),
    case("div_number", lambda b: 2.0 / b / 4.0, lambda b: 0.5 / b, elements=NONZERO),
    case("neg", lambda a: -a, np.negative),
    case("square", ag.square, np.square),
    case("ndarray_op_tensor", lambda b: np.array(2.0) * b - np.array([1.0]), lambda b: 2.0 * b - np.array([1.0])),
    case("pow_int", lambda a: a**3, lambda a: a**3),
    case("pow_float", lambda a: a**2.5, lambda a: a**2.5, elements=POSITIVE),
    case("pow_negative", lambda a: a**-1.5, lambda a: a**-1.5, elements=POSITIVE),
    case("pow_zero", lambda a: a**0, lambda a: a**0),
    case("pow_tensor", lambda a, b: a**b, np.power, shapes=PAIR, elements=[POSITIVE, elements(-2, 2, avoid=[0.0])]),
    case("rpow_number", lambda b: 2.0**b, lambda b: 2.0**b),
    case("matmul_1d", lambda a, b: a @ b, np.matmul, shapes=matmul_vector_shapes()),
    case("linear", ag.linear, lambda x, w, b: x @ w.T + b, shapes=linear_shapes()),
    case("linear_no_bias", lambda x, w: ag.linear(x, w), lambda x, w: x @ w.T,
         shapes=linear_shapes().map(lambda s: s[:2])),
    case("matmul_2d", lambda a, b: a @ b, np.matmul, shapes=matmul_matrix_shapes()),
    case("matmul_batched", lambda a, b: ag.matmul(a, b), np.matmul, shapes=matmul_batched_shapes()),
    case("dot", ag.dot, np.dot, shapes=st.integers(1, 4).map(lambda n: ((n,), (n,)))),
    case("mm", ag.mm, np.matmul, shapes=matmul_matrix_shapes()),
    # elementwise math
    case("exp", ag.exp, np.exp),
    case("log", ag.log, np.log, elements=POSITIVE),
    case("sqrt", ag.sqrt, np.sqrt, elements=POSITIVE),
    case("abs", ag.abs, np.abs, elements=OFF_ZERO),
    case("sin", ag.sin, np.sin),
    case("cos", ag.cos, np.cos),
    case("tanh", ag.tanh, np.tanh),
    case("sigmoid", ag.sigmoid, np_sigmoid),
    case("relu", ag.relu, lambda a: np.maximum(a, 0.0), elements=OFF_ZERO),
    case("clamp", lambda a: a.clamp(-1.0, 1.0), lambda a: np.clip(a, -1.0, 1.0), elements=elements(avoid=[-1, 1])),
    case("clamp_min", lambda a: a.clamp(min=0.5), lambda a: np.maximum(a, 0.5), elements=elements(avoid=[0.5])),
    case("clamp_max", lambda a: a.clip(max=-0.5), lambda a: np.minimum(a, -0.5), elements=elements(avoid=[-0.5])),
    case("clamp_tensors", lambda a, lo, hi: a.clamp(lo, hi), np.clip, shapes=TRIPLE,
         elements=[ON_GRID, grid(-3, -0.05, 0.1, offset=0.05), grid(0.05, 3, 0.1)]),
    case("maximum", ag.maximum, np.maximum, shapes=PAIR, elements=[ON_GRID, OFF_GRID]),
    case("minimum", ag.minimum, np.minimum, shapes=PAIR, elements=[ON_GRID, OFF_GRID]),
    case("where", lambda a, b, cond: ag.where(cond, a, b), lambda a, b, cond: np.where(cond, a, b), shapes=PAIR,
         kwargs=where_condition),
    case("where_number", lambda a, cond: a.where(cond, 0.5), lambda a, cond: np.where(cond, a, 0.5),
         kwargs=lambda s: {"cond": hnp.arrays(bool, s)}),
    # elementwise math of ops/math.py, and what Tensor composes from it
    case("tan", ag.tan, np.tan, elements=elements(-1.2, 1.2)),
    case("asin", ag.asin, np.arcsin, elements=UNIT),
    case("acos", ag.acos, np.arccos, elements=UNIT),
    case("atan", ag.atan, np.arctan),
    case("sinh", ag.sinh, np.sinh),
    case("cosh", ag.cosh, np.cosh),
    case("asinh", ag.asinh, np.arcsinh),
    case("acosh", ag.acosh, np.arccosh, elements=elements(1.2, 4.0)),
    case("atanh", ag.atanh, np.arctanh, elements=UNIT),
    case("log2", ag.log2, np.log2, elements=POSITIVE),
    case("log10", ag.log10, np.log10, elements=POSITIVE),
    case("log1p", ag.log1p, np.log1p, elements=elements(-0.8, 3.0)),
    case("expm1", ag.expm1, np.expm1),
    case("exp2", ag.exp2, np.exp2),
    case("rsqrt", ag.rsqrt, lambda a: 1.0 / np.sqrt(a), elements=POSITIVE),
    case("reciprocal", ag.reciprocal, lambda a: 1.0 / a, elements=NONZERO),
    case("erf", ag.erf, np_erf),
    case("erfc", ag.erfc, np_erfc),
    case("erfinv", ag.erfinv, np_erfinv, elements=UNIT),
    case("atan2", ag.atan2, np.arctan2, shapes=PAIR, elements=NONZERO),
    case("logaddexp", ag.logaddexp, np.logaddexp, shapes=PAIR),
    case("logaddexp2", ag.logaddexp2, np.logaddexp2, shapes=PAIR),
    case("hypot", ag.hypot, np.hypot, shapes=PAIR, elements=NONZERO),
    case("copysign", ag.copysign, np.copysign, shapes=PAIR, elements=[OFF_ZERO, NONZERO]),
    case("lerp", ag.lerp, np_lerp, shapes=TRIPLE),
    case("lerp_number", lambda a, b: a.lerp(b, 0.75), lambda a, b: np_lerp(a, b, 0.75), shapes=PAIR),
    case("nan_to_num", ag.nan_to_num, np.nan_to_num),
    case("floor", ag.floor, np.floor, elements=OFF_INTEGERS),
    case("ceil", lambda a: a.ceil(), np.ceil, elements=OFF_INTEGERS),
    case("trunc", ag.trunc, np.trunc, elements=OFF_INTEGERS),
    case("frac", ag.frac, lambda a: a - np.trunc(a), elements=OFF_INTEGERS),
    case("round", ag.round, np.round, elements=OFF_HALVES),
    case("round_decimals", lambda a: a.round(decimals=1), lambda a: np.round(a, 1), elements=OFF_TENTHS_HALVES),
    case("sign", ag.sign, np.sign, elements=OFF_ZERO),
    case("fmod", ag.fmod, np.fmod, shapes=PAIR, elements=[DIVIDENDS, DIVISORS]),
    case("remainder", lambda a, b: a % b, np.remainder, shapes=PAIR, elements=[DIVIDENDS, DIVISORS]),
    case("floor_divide", lambda a, b: a // b, np.floor_divide, shapes=PAIR, elements=[DIVIDENDS, DIVISORS]),
    case("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"), lambda a, b: np.trunc(a / b), shapes=PAIR,
         elements=[DIVIDENDS, DIVISORS]),
    case("addcmul", lambda a, b, c: a.addcmul(b, c, value=-0.5), lambda a, b, c: a - 0.5 * b * c, shapes=TRIPLE),
    case("addcdiv", lambda a, b, c: ag.addcdiv(a, b, c, value=2.0), lambda a, b, c: a + 2.0 * b / c, shapes=TRIPLE,
         elements=[elements(), elements(), NONZERO]),
    # reductions
    case("sum", lambda a, dim, keepdim: a.sum(dim, keepdim), np_reduce(np.sum),
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("sum_all", ag.sum, np.sum),
    case("mean", lambda a, dim, keepdim: a.mean(dim, keepdim), np_reduce(np.mean),
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("prod", lambda a, dim, keepdim: a.prod(dim, keepdim), np_reduce(np.prod), elements=NEAR_ONE,
         kwargs=lambda s: dim_kwargs(s, allow_none=True)),
    case("prod_with_zeros", lambda a, dim: a.prod(dim), np_reduce(np.prod), elements=WITH_ZEROS,
         kwargs=lambda s: {"dim": dims(s, allow_none=True)}),
    case("max_all", lambda a: a.max(), np.max, distinct=True),
    case("min_all", ag.min, np.min, distinct=True),
    case("max_dim", lambda a, dim, keepdim: a.max(dim, keepdim), np_max(np.argmax, np.max), shapes=ND,
         kwargs=dim_kwargs, distinct=True),
    case("min_dim", lambda a, dim, keepdim: ag.min(a, dim, keepdim), np_max(np.argmin, np.min), shapes=ND,
         kwargs=dim_kwargs, distinct=True),
    case("var", lambda a, dim, correction, keepdim: a.var(dim, correction=correction, keepdim=keepdim),
         lambda a, correction, **kw: np_reduce(np.var)(a, ddof=correction, **kw), shapes=WIDE, kwargs=var_kwargs),
    case("std", lambda a, dim, correction, keepdim: ag.std(a, dim, correction=correction, keepdim=keepdim),
         lambda a, correction, **kw: np_reduce(np.std)(a, ddof=correction, **kw), shapes=WIDE, kwargs=var_kwargs,
         distinct=True, gap=0.3),
    case("amax", lambda a, dim, keepdim: a.amax(dim, keepdim), np_reduce(np.max), distinct=True,
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("amin", lambda a, dim, keepdim: ag.amin(a, dim, keepdim), np_reduce(np.min), distinct=True,
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("norm_2", lambda a, dim, keepdim: a.norm(2, dim, keepdim), np_norm(2), elements=OFF_ZERO,
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("norm_1", lambda a, dim, keepdim: ag.norm(a, 1, dim, keepdim), np_norm(1), elements=OFF_ZERO,
         kwargs=lambda s: dim_kwargs(s, allow_none=True)),
    case("norm_p", lambda a, dim, keepdim: a.norm(1.5, dim, keepdim), np_norm(1.5), elements=OFF_ZERO,
         kwargs=lambda s: dim_kwargs(s, allow_none=True)),
    case("norm_inf", lambda a, dim, keepdim: a.norm(math.inf, dim, keepdim), np_norm(math.inf), elements=POSITIVE,
         distinct=True, kwargs=lambda s: dim_kwargs(s, allow_none=True)),
    case("logsumexp", lambda a, dim, keepdim: a.logsumexp(dim, keepdim), np_reduce(np_logsumexp),
         kwargs=lambda s: dim_kwargs(s, allow_none=True, allow_tuple=True)),
    case("softmax", lambda a, dim: a.softmax(dim), np_softmax, kwargs=lambda s: {"dim": dims(s)}),
    case("log_softmax", lambda a, dim: ag.log_softmax(a, dim), lambda a, dim: np.log(np_softmax(a, dim)),
         kwargs=lambda s: {"dim": dims(s)}),
    # shape
    case("reshape", lambda a, shape: a.reshape(shape), np.reshape, kwargs=lambda s: {"shape": reshape_targets(s)}),
    case("view", lambda a, shape: a.view(*shape), np.reshape, kwargs=lambda s: {"shape": reshape_targets(s)}),
    case("transpose", lambda a, dim0, dim1: a.transpose(dim0, dim1), lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
         shapes=ND, kwargs=lambda s: {"dim0": dims(s), "dim1": dims(s)}),
    case("T", lambda a: a.T, np.transpose),
    case("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), shapes=shapes(min_dims=2)),
    case("permute", lambda a, axes: a.permute(*axes), np.transpose,
         kwargs=lambda s: {"axes": st.permutations(range(len(s)))}),
    case("movedim", lambda a, source, destination: a.movedim(source, destination), np.moveaxis, shapes=ND,
         kwargs=lambda s: {"source": dims(s), "destination": dims(s)}),
    case("squeeze", lambda a, dim: a.squeeze(dim), np_squeeze, shapes=shapes(max_side=2),
         kwargs=lambda s: {"dim": dims(s, allow_none=True, allow_tuple=True)}),
    case("unsqueeze", lambda a, dim: a.unsqueeze(dim), lambda a, dim: np.expand_dims(a, dim),
         kwargs=lambda s: {"dim": dims(len(s) + 1)}),
    case("flatten", lambda a, **kw: a.flatten(**kw), lambda a, start_dim, end_dim: a.reshape(
         *a.shape[: start_dim % a.ndim], -1, *a.shape[end_dim % a.ndim + 1 :]), shapes=ND, kwargs=flatten_dims),
    case("expand", lambda a, shape: a.expand(*shape), np_expand, kwargs=lambda s: {"shape": expand_targets(s)}),
    case("sum_to_shape", lambda a, shape: a.sum_to_shape(shape), np_sum_to_shape,
         kwargs=lambda s: {"shape": reduced_shapes(s)}),
    case("cat", lambda *xs, dim: ag.cat(xs, dim), lambda *xs, dim: np.concatenate(xs, dim), shapes=cat_shapes(),
         kwargs=cat_dims),
    case("stack", lambda *xs, dim: ag.stack(xs, dim), lambda *xs, dim: np.stack(xs, dim), shapes=same_shapes,
         kwargs=lambda *ss: {"dim": dims(len(ss[0]) + 1)}),
    case("split", lambda a, split_size, dim: a.split(split_size, dim), np_split, shapes=ND, kwargs=split_sizes),
    case("unbind", lambda a, dim: ag.unbind(a, dim), lambda a, dim: tuple(np.moveaxis(a, dim, 0)), shapes=ND,
         kwargs=lambda s: {"dim": dims(s)}),
    case("chunk", lambda a, chunks, dim: ag.chunk(a, chunks, dim), np_chunk, shapes=ND,
         kwargs=lambda s: {"chunks": st.integers(1, 4), "dim": dims(s)}),
    case("clone", lambda a: a.clone(), np.copy),
    case("cast", lambda a: a.float().double(), lambda a: a.astype(np.float32).astype(np.float64), eps=1e-2,
         atol=1e-5, rtol=1e-5, forward_rtol=1e-6),
    # layout, order and products
    case("flip", lambda a, dims: a.flip(dims), lambda a, dims: np.flip(a, dims), shapes=ND,
         kwargs=lambda s: {"dims": st.lists(st.integers(0, len(s) - 1), unique=True).map(tuple)}),
    case("fliplr", ag.fliplr, np.fliplr, shapes=shapes(min_dims=2)),
    case("flipud", lambda a: a.flipud(), np.flipud, shapes=ND),
    case("roll", lambda a, shifts, dims: a.roll(shifts, dims), lambda a, shifts, dims: np.roll(a, shifts, dims),
         shapes=ND, kwargs=lambda s: {"shifts": st.integers(-4, 4), "dims": dims(s)}),
    case("roll_flat", lambda a, shifts: ag.roll(a, shifts), lambda a, shifts: np.roll(a, shifts),
         kwargs={"shifts": st.integers(-4, 4)}),
    case("rot90", lambda a, k, dims: a.rot90(k, dims), lambda a, k, dims: np.rot90(a, k, dims),
         shapes=shapes(min_dims=2), kwargs=lambda s: {"k": st.integers(-4, 4), "dims": distinct_dims(s)}),
    case("repeat", lambda a, sizes: a.repeat(*sizes), lambda a, sizes: np.tile(a, sizes),
         kwargs=lambda s: {"sizes": st.lists(st.integers(1, 2), min_size=len(s), max_size=len(s) + 1)}),
    case("tile", lambda a, sizes: ag.tile(a, sizes), lambda a, sizes: np.tile(a, sizes),
         kwargs={"sizes": st.lists(st.integers(1, 2), max_size=3)}),
    case("repeat_interleave", lambda a, repeats, dim: a.repeat_interleave(repeats, dim),
         lambda a, repeats, dim: np.repeat(a, repeats, dim), shapes=ND,
         kwargs=lambda s: {"repeats": st.integers(0, 2), "dim": st.one_of(st.none(), dims(s))}),
    case("repeat_interleave_counts", lambda a, repeats: ag.repeat_interleave(a, ag.tensor(repeats), dim=0),
         lambda a, repeats: np.repeat(a, repeats, 0), shapes=ND,
         kwargs=lambda s: {"repeats": hnp.arrays(np.int64, s[:1], elements=st.integers(0, 2))}),
    case("tril", lambda a, diagonal: a.tril(diagonal), lambda a, diagonal: np.tril(a, diagonal),
         shapes=shapes(min_dims=2), kwargs={"diagonal": st.integers(-3, 3)}),
    case("triu", lambda a, diagonal: ag.triu(a, diagonal), lambda a, diagonal: np.triu(a, diagonal),
         shapes=shapes(min_dims=2), kwargs={"diagonal": st.integers(-3, 3)}),
    case("diag_vector", lambda a, diagonal: a.diag(diagonal), lambda a, diagonal: np.diag(a, diagonal),
         shapes=shapes(min_dims=1, max_dims=1), kwargs={"diagonal": st.integers(-2, 2)}),
    case("diag_matrix", lambda a, diagonal: ag.diag(a, diagonal), lambda a, diagonal: np.diag(a, diagonal),
         shapes=shapes(min_dims=2, max_dims=2), kwargs={"diagonal": st.integers(-3, 3)}),
    case("diagonal", lambda a, offset, dims: a.diagonal(offset, *dims),
         lambda a, offset, dims: np.diagonal(a, offset, *dims), shapes=shapes(min_dims=2),
         kwargs=lambda s: {"offset": st.integers(-3, 3), "dims": distinct_dims(s)}),
    case("diag_embed", lambda a, offset, dims: ag.diag_embed(a, offset, *dims),
         lambda a, offset, dims: np_diag_embed(a, offset, *dims), shapes=shapes(min_dims=1, max_dims=2),
         kwargs=lambda s: {"offset": st.integers(-2, 2), "dims": distinct_dims(len(s) + 1)}),
    case("trace", lambda a: a.trace(), np.trace, shapes=shapes(min_dims=2, max_dims=2)),
    case("unfold", lambda a, **kw: a.unfold(**kw), np_unfold, shapes=ND, kwargs=unfold_kwargs),
    case("unflatten", lambda a, dim, sizes: a.unflatten(dim, sizes),
         lambda a, dim, sizes: a.reshape(a.shape[: dim % a.ndim] + sizes + a.shape[dim % a.ndim + 1 :]), shapes=ND,
         kwargs=unflatten_kwargs),
    case("narrow", lambda a, dim, start, length: a.narrow(dim, start, length),
         lambda a, dim, start, length: np.take(a, np.arange(start % a.shape[dim], start % a.shape[dim] + length), dim),
         shapes=ND, kwargs=narrow_kwargs),
    case("select", lambda a, dim, index: ag.select(a, dim, index), lambda a, dim, index: np.take(a, index, dim),
         shapes=ND, kwargs=lambda s: dims(s).flatmap(
             lambda d: st.fixed_dictionaries({"dim": st.just(d), "index": st.integers(-s[d], s[d] - 1)}))),
    # stacked: each grid comes from one input only, and check_op wants each output from every input
    case("meshgrid", lambda *xs, indexing: ag.stack(ag.meshgrid(*xs, indexing=indexing)),
         lambda *xs, indexing: np.stack(np.meshgrid(*xs, indexing=indexing)), shapes=st.lists(
             shapes(min_dims=1, max_dims=1), min_size=1, max_size=3).map(tuple),
         kwargs=lambda *s: {"indexing": st.sampled_from(["ij", "xy"])}),
    case("broadcast_to", lambda a, shape: a.broadcast_to(shape), np_expand,
         kwargs=lambda s: {"shape": expand_targets(s)}),
    case("broadcast_tensors", lambda *xs: ag.stack(ag.broadcast_tensors(*xs)),
         lambda *xs: np.stack(np.broadcast_arrays(*xs)), shapes=TRIPLE),
    case("sort", lambda a, dim, descending: a.sort(dim, descending), np_sort, shapes=ND, distinct=True,
         kwargs=lambda s: {"dim": dims(s), "descending": st.booleans()}),
    case("topk", lambda a, **kw: ag.topk(a, **kw), np_topk, shapes=ND, distinct=True, kwargs=topk_kwargs),
    case("kthvalue", lambda a, **kw: a.kthvalue(**kw), np_kthvalue, shapes=ND, distinct=True, kwargs=kthvalue_kwargs),
    case("einsum_contract", lambda a, b: ag.einsum("bij,jk->bki", a, b), lambda a, b: np.einsum("bij,jk->bki", a, b),
         shapes=matmul_batched_shapes().filter(lambda s: len(s[0]) == 3).map(lambda s: (s[0], s[1][-2:]))),
    case("einsum_ellipsis", lambda a, b: ag.einsum("...ij,...j->...i", a, b), lambda a, b: np.einsum(
         "...ij,...j->...i", a, b), shapes=matmul_batched_shapes().map(lambda s: (s[0], s[1][:-2] + s[1][-2:-1]))),
    case("einsum_diagonal", lambda a, b: ag.einsum("iij,j", a, b), lambda a, b: np.einsum("iij,j", a, b),
         shapes=st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda nm: ((nm[0], nm[0], nm[1]), (nm[1],)))),
    case("einsum_three", lambda a, b, c: ag.einsum("ab,bc,ca->b", a, b, c), lambda a, b, c: np.einsum(
         "ab,bc,ca->b", a, b, c), shapes=st.tuples(*[st.integers(1, 3)] * 3).map(
         lambda n: ((n[0], n[1]), (n[1], n[2]), (n[2], n[0])))),
    case("einsum_summed_alone", lambda a: ag.einsum("ijk->j", a), lambda a: np.einsum("ijk->j", a),
         shapes=shapes(min_dims=3, max_dims=3)),
    case("tensordot", lambda a, b, dims: ag.tensordot(a, b, dims), lambda a, b, dims: np.tensordot(a, b, dims),
         shapes=tensordot_shapes(), kwargs=contracted_dims),
    case("outer", ag.outer, np.outer, shapes=st.tuples(shapes(min_dims=1, max_dims=1), shapes(min_dims=1, max_dims=1))),
    case("kron", lambda a, b: a.kron(b), np.kron, shapes=st.tuples(shapes(), shapes())),
    case("bmm", ag.bmm, np.matmul, shapes=batched_triple().map(lambda s: s[1:])),
    case("addmm", lambda c, a, b: ag.addmm(c, a, b, beta=0.5, alpha=-2.0), lambda c, a, b: 0.5 * c - 2.0 * a @ b,
         shapes=batched_triple(batch=False)),
    case("baddbmm", lambda c, a, b: c.baddbmm(a, b, alpha=1.5), lambda c, a, b: c + 1.5 * a @ b,
         shapes=batched_triple()),
    case("cross", lambda a, b, dim: ag.cross(a, b, dim), lambda a, b, dim: np.cross(a, b, axis=dim),
         shapes=cross_shapes(), kwargs=cross_dims),
    case("cdist", lambda a, b, p: ag.cdist(a, b, p), np_cdist, shapes=cdist_shapes(), elements=[ON_GRID, OFF_GRID],
         kwargs={"p": st.sampled_from([1.0, 2.0, 3.0])}),
    # indexing
    case("index_basic", lambda a, index: a[index], lambda a, index: a[index],
         kwargs=lambda s: {"index": hnp.basic_indices(s, allow_newaxis=True)}),
    case("index_int_arrays", lambda a, index: a[index], lambda a, index: a[index], shapes=ND,
         kwargs=lambda s: {"index": hnp.integer_array_indices(s, result_shape=shapes(max_dims=2))}),
    case("index_repeated", lambda a, index: a[index], lambda a, index: a[index], shapes=ND, kwargs=repeated_index),
    case("index_slice_then_array", lambda a, index: a[index], lambda a, index: a[index], shapes=ND,
         kwargs=slice_then_array),
    case("index_mask", lambda a, mask: a[mask], lambda a, mask: a[mask],
         kwargs=lambda s: {"mask": hnp.arrays(bool, s)}),
    case("index_mask_dim0", lambda a, mask: a[mask], lambda a, mask: a[mask], shapes=ND,
         kwargs=lambda s: {"mask": hnp.arrays(bool, s[:1])}),
    # indexing with index tensors and masks; torch's order of an int and index arrays
    case("index_torch_order", lambda a, index: a[index], np_torch_index, shapes=ND, kwargs=torch_order_indices),
    case("setitem_torch_order", lambda a, index: setitem(a, a[index] * 2.0, index),
         lambda a, index: np_setitem(a, 2.0 * a[index], index), shapes=ND, kwargs=torch_order_indices),
    case("gather", lambda a, dim, index: a.gather(dim, ag.tensor(index)), np_gather, shapes=ND, kwargs=taken_along),
    case("take_along_dim", lambda a, dim, index: ag.take_along_dim(a, ag.tensor(index), dim),
         lambda a, dim, index: np.take_along_axis(a, index, dim), shapes=ND,
         kwargs=lambda s: dims(s).flatmap(lambda d: taken_along(s, tuple(
             st.integers(1, 3) if k == d % len(s) else st.sampled_from([1, n]) for k, n in enumerate(s)), d))),
    case("take", lambda a, index: ag.take(a, ag.tensor(index)), lambda a, index: a.reshape(-1)[index],
         kwargs=lambda s: {"index": hnp.arrays(np.int64, shapes(max_dims=2), elements=st.integers(
             -math.prod(s), math.prod(s) - 1))}),
    case("scatter", lambda a, src, dim, index: ag.scatter(a, dim, index, src), np_scatter,
         shapes=smaller_second(ND), kwargs=lambda s, src_shape: taken_along(s, src_shape)),
    case("scatter_value", lambda a, dim, index: a.scatter(dim, ag.tensor(index), value=-0.5),
         lambda a, dim, index: np_scatter(a, np.full(index.shape, -0.5, a.dtype), dim, index), shapes=ND,
         kwargs=taken_along),
    case("scatter_add", lambda a, src, dim, index: a.scatter_add(dim, ag.tensor(index), src),
         lambda a, src, dim, index: np_scatter(a, src, dim, index, "sum"), shapes=smaller_second(ND),
         kwargs=lambda s, src_shape: taken_along(s, src_shape)),
    case("scatter_reduce_sum_mean", lambda a, src, dim, index, reduce, include_self: a.scatter_reduce(
         dim, ag.tensor(index), src, reduce, include_self=include_self), np_scatter, shapes=smaller_second(ND),
         kwargs=lambda s, src_shape: scatter_reduce_kwargs(s, src_shape, ["sum", "mean"])),
    case("scatter_reduce_prod", lambda a, src, dim, index, reduce, include_self: ag.scatter_reduce(
         a, dim, index, src, reduce, include_self=include_self), np_scatter, shapes=smaller_second(ND),
         elements=NEAR_ONE, kwargs=lambda s, src_shape: scatter_reduce_kwargs(s, src_shape, ["prod"])),
    case("scatter_reduce_extremes", lambda a, src, dim, index, reduce, include_self: a.scatter_reduce(
         dim, index, src, reduce, include_self=include_self), np_scatter, shapes=smaller_second(ND),
         elements=[ON_GRID, OFF_GRID], distinct=True,
         kwargs=lambda s, src_shape: scatter_reduce_kwargs(s, src_shape, ["amax", "amin"])),
    case("index_select", lambda a, dim, index: a.index_select(dim, ag.tensor(index)),
         lambda a, dim, index: np.take(a, index, dim), shapes=ND, kwargs=positions_along),
    case("index_add", lambda a, source, dim, index: ag.index_add(a, dim, index, source, alpha=-1.5),
         lambda a, source, dim, index: np_index_add(a, source, dim % a.ndim, index, -1.5), shapes=one_dim_differs(),
         kwargs=positions_along),
    case("index_fill", lambda a, value, dim, index: a.index_fill(dim, index, value),
         lambda a, value, dim, index: np_index_fill(a, value, dim % a.ndim, index),
         shapes=ND.map(lambda s: (s, ())), kwargs=lambda s, _: positions_along(s)),
    case("masked_fill", lambda a, value, mask: a.masked_fill(ag.tensor(mask), value), lambda a, value, mask: np.where(
         mask, value, a), shapes=shapes().map(lambda s: (s, ())), kwargs=lambda s, _: {"mask": hnp.arrays(
             bool, hnp.broadcastable_shapes(s, max_dims=len(s)))}),
    case("masked_select", lambda a, mask: ag.masked_select(a, mask), lambda a, mask: np.broadcast_to(
         a, np.broadcast_shapes(a.shape, mask.shape))[np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))],
         kwargs=lambda s: {"mask": hnp.arrays(bool, hnp.broadcastable_shapes(s))}),
    case("masked_scatter", lambda a, source, mask: a.masked_scatter(mask, source), lambda a, source, mask:
         np_masked_scatter(a, source, mask), shapes=shapes().map(lambda s: (s, s)),
         kwargs=lambda s, _: {"mask": hnp.arrays(bool, s)}),
    # in-place ops on non-leaf tensors (recorded in the graph)
    case("add_", lambda a, b: a.clone().add_(b, alpha=2.0), lambda a, b: a + 2.0 * b, shapes=pairs_of(shapes())),
    case("sub_", lambda a, b: (a * 1.0).sub_(b), np.subtract, shapes=pairs_of(shapes())),
    case("mul_", lambda a, b: a.clone().mul_(b), np.multiply, shapes=pairs_of(shapes())),
    case("div_", lambda a, b: a.clone().div_(b), np.divide, shapes=pairs_of(shapes()), elements=[elements(), NONZERO]),
    case("setitem", setitem, np_setitem, shapes=shapes().map(lambda s: (s, ())),
         kwargs=lambda s, _: {"index": hnp.basic_indices(s)}),
    case("fill_", lambda a: a.clone().fill_(2.0) * a, lambda a: 2.0 * a),
    case("zero_", lambda a: a.clone().zero_() + a, lambda a: a + 0.0),
    case("copy_", lambda a, b: a.clone().copy_(b), lambda a, b: np.broadcast_to(b, a.shape), shapes=pairs_of(shapes())),
    case("exp_", lambda a: (a * 1.0).exp_(), np.exp),
    case("sigmoid_", lambda a: a.clone().sigmoid_(), np_sigmoid),
    case("clamp_", lambda a: (a * 1.0).clamp_(-1.0, 1.0), lambda a: np.clip(a, -1.0, 1.0),
         elements=elements(avoid=[-1, 1])),
    case("floor_", lambda a: (a * 1.0).floor_() * a, lambda a: np.floor(a) * a, elements=OFF_INTEGERS),
    case("atan2_", lambda a, b: a.clone().atan2_(b), np.arctan2, shapes=pairs_of(shapes()), elements=NONZERO),
    case("lerp_", lambda a, b: a.clone().lerp_(b, 0.25), lambda a, b: np_lerp(a, b, 0.25), shapes=pairs_of(shapes())),
    case("pow_", lambda a: a.clone().pow_(3.0), lambda a: a**3),
    case("masked_fill_", lambda a, value, mask: a.clone().masked_fill_(mask, value),
         lambda a, value, mask: np.where(mask, value, a), shapes=shapes().map(lambda s: (s, ())),
         kwargs=lambda s, _: {"mask": hnp.arrays(bool, s)}),
    case("scatter_", lambda a, src, dim, index: a.clone().scatter_(dim, index, src), np_scatter,
         shapes=smaller_second(ND), kwargs=lambda s, src_shape: taken_along(s, src_shape)),
    case("scatter_add_", lambda a, src, dim, index: (a * 1.0).scatter_add_(dim, index, src),
         lambda a, src, dim, index: np_scatter(a, src, dim, index, "sum"), shapes=smaller_second(ND),
         kwargs=lambda s, src_shape: taken_along(s, src_shape)),
    case("index_add_", lambda a, source, dim, index: a.clone().index_add_(dim, index, source),
         lambda a, source, dim, index: np_index_add(a, source, dim % a.ndim, index), shapes=one_dim_differs(),
         kwargs=positions_along),
    case("index_fill_", lambda a, value, dim, index: a.clone().index_fill_(dim, index, value),
         lambda a, value, dim, index: np_index_fill(a, value, dim % a.ndim, index),
         shapes=ND.map(lambda s: (s, ())), kwargs=lambda s, _: positions_along(s)),
    # scans and order statistics
    case("cumsum", lambda a, dim: a.cumsum(dim), np_scan(np.cumsum), kwargs=lambda s: {"dim": dims(s)}),
    case("cumprod", lambda a, dim: ag.cumprod(a, dim), np_scan(np.cumprod), elements=NEAR_ONE,
         kwargs=lambda s: {"dim": dims(s)}),
    case("cumprod_with_zeros", lambda a, dim: a.cumprod(dim), np_scan(np.cumprod), elements=WITH_ZEROS,
         kwargs=lambda s: {"dim": dims(s)}),
    case("logcumsumexp", lambda a, dim: a.logcumsumexp(dim), np_scan(np_logcumsumexp),
         kwargs=lambda s: {"dim": dims(s)}),
    # values hundreds apart: the gradient takes its (n, n) path
    case("logcumsumexp_wide", lambda a, dim: ag.logcumsumexp(a, dim), np_scan(np_logcumsumexp), shapes=WIDE,
         elements=elements(-400.0, 400.0), kwargs=lambda s: {"dim": dims(s)}),
    case("cummax", lambda a, dim: a.cummax(dim), np_running(np.maximum.accumulate, np.argmax), distinct=True,
         kwargs=lambda s: {"dim": dims(s)}),
    case("cummin", lambda a, dim: ag.cummin(a, dim), np_running(np.minimum.accumulate, np.argmin), distinct=True,
         kwargs=lambda s: {"dim": dims(s)}),
    case("median_all", lambda a: a.median(), np_median, shapes=shapes(min_side=1), distinct=True),
    case("median_dim", lambda a, dim, keepdim: ag.median(a, dim, keepdim), np_median, distinct=True,
         kwargs=dim_kwargs),
    case("aminmax", lambda a, dim, keepdim: a.aminmax(dim=dim, keepdim=keepdim),
         lambda a, **kw: (np_reduce(np.min)(a, **kw), np_reduce(np.max)(a, **kw)), distinct=True,
         kwargs=lambda s: dim_kwargs(s, allow_none=True)),
    case("var_mean", lambda a, dim, correction, keepdim: ag.var_mean(a, dim, correction=correction, keepdim=keepdim),
         np_moments(np.var), shapes=WIDE, kwargs=var_kwargs),
    case("std_mean", lambda a, dim, correction, keepdim: ag.std_mean(a, dim, correction=correction, keepdim=keepdim),
         np_moments(np.std), shapes=WIDE, kwargs=var_kwargs, distinct=True, gap=0.3),
]


# The case that exercises each Function of autograd/ops (IndexAdd is GetItem's backward, run by the
# index cases at second order).
COVERED_BY = {
    "Abs": "abs", "Add": "add", "Cast": "cast", "Cat": "cat", "Clamp": "clamp_tensors", "Clone": "clone",
    "CopyFrom": "copy_", "Cos": "cos", "Div": "div", "Exp": "exp", "Expand": "expand", "Fill": "fill_",
    "GetItem": "index_basic", "IndexAdd": "index_repeated", "Log": "log", "LogSoftmax": "log_softmax",
    "LogSumExp": "logsumexp", "Linear": "linear", "Matmul": "matmul_batched", "Max": "max_dim",
    "Maximum": "maximum", "Min": "min_dim",
    "Minimum": "minimum", "Mul": "mul", "Neg": "neg", "Permute": "permute", "Pow": "pow_tensor", "Prod": "prod",
    "Relu": "relu", "Reshape": "reshape", "SetItem": "setitem", "Sigmoid": "sigmoid", "Sin": "sin",
    "Softmax": "softmax", "Sqrt": "sqrt", "Stack": "stack", "Sub": "sub", "Sum": "sum", "SumToShape": "sum_to_shape",
    "Tanh": "tanh", "Where": "where", "Unbind": "unbind",
    "Einsum": "einsum_three",
    "Cumprod": "cumprod_with_zeros", "Cumsum": "cumsum", "LogCumSumExp": "logcumsumexp",
    "Acos": "acos", "Acosh": "acosh", "Asin": "asin", "Asinh": "asinh", "Atan": "atan", "Atan2": "atan2",
    "Atanh": "atanh", "Cosh": "cosh", "Erf": "erf", "Erfc": "erfc", "Erfinv": "erfinv", "Expm1": "expm1",
    "Hypot": "hypot", "LocallyConstant": "floor", "Log1p": "log1p", "Log2": "log2", "Log10": "log10",
    "LogAddExp": "logaddexp", "Remainder": "remainder", "Sinh": "sinh", "Tan": "tan",
    # the derivatives of sigmoid and tanh as ops of their own: checked by their second order
}


def run_case(case: OpCase, **overrides: Any) -> None:
    """Check one line of the table (raises on failure)."""
    check_op(case.op, case.reference, **{**case.options, **overrides})
