"""Indexing: torch's order of an int index among index arrays (``x[0, :, [0, 1]]``), and the ops that
index with tensors and masks (gather, scatter and its reductions, the index_* and masked_* ops, take,
nonzero), with their in-place forms. Their gradients at first and second order are checked by the op
table (autograd/op_table.py); here: values by hand, dtypes, errors, in-place version tracking, and
the same expressions run on torch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from torch_parity import run_both

import autograd as ag
from autograd.indexing import torch_order


def t(data, **kwargs):
    """A tensor of ``data``: lists of floats as float32 (the default), arrays as their dtype."""
    return ag.tensor(data, **kwargs)


CUBE = np.arange(60.0).reshape(3, 4, 5)


# --- torch's order of an int index and index arrays --------------------------------------------------

# index -> the shape torch gives on a (3, 4, 5) tensor (NumPy's differs where the comment says)
ORDER_CASES = [
    ((0, slice(None), [0, 1]), (4, 2)),  # NumPy: (2, 4)
    ((slice(None), 0, [1, 2]), (3, 2)),
    (([0, 1], slice(None), 0), (2, 4)),
    ((0, slice(None), True, [1, 2]), (4, 2)),  # NumPy: (2, 4)
    ((Ellipsis, 0, [1, 2]), (3, 2)),
    ((0, Ellipsis, [1, 2]), (4, 2)),  # NumPy: (2, 4)
    (([[0], [1]], 0, [1, 2]), (2, 2)),
    ((1, [0, 2], None, [1, 2]), (2, 1)),
    ((None, 0, slice(1, 3), [[1], [2]]), (1, 2, 2, 1)),  # NumPy: (2, 1, 1, 2)
    ((0, [1, 2], slice(None)), (2, 5)),
    ((0,), (4, 5)),
    (([0, 2],), (2, 4, 5)),
]


def two_steps(a, index):
    """torch's meaning: the ints first, as selects, then the rest of the index as NumPy reads it."""
    items = [slice(None)] * 3 if index == (Ellipsis,) else list(index)
    if Ellipsis in items:
        k = items.index(Ellipsis)
        taken = sum(1 for i in items if i is not None and i is not Ellipsis and not isinstance(i, bool))
        items[k : k + 1] = [slice(None)] * (a.ndim - taken)
    first = tuple(i if type(i) is int else slice(None) for i in items if i is not None and not isinstance(i, bool))
    return a[first][tuple(i for i in items if type(i) is not int)]


@pytest.mark.parametrize(("index", "shape"), ORDER_CASES)
def test_an_int_index_is_applied_first_as_in_torch(index, shape):
    x = t(CUBE)
    out = x[index]
    assert out.shape == shape
    np.testing.assert_array_equal(out.numpy(), two_steps(CUBE, index))


def test_dims_left_out_at_the_end_stay_in_place():
    x = ag.zeros(2, 3, 4, 5)
    assert x[0, :, [0, 1]].shape == (3, 2, 5)  # NumPy: (2, 3, 5)
    assert x[:, 0, :, [1]].shape == (2, 4, 1)
    assert x[1, None, [0, 2]].shape == (1, 2, 4, 5)  # NumPy: (2, 1, 4, 5)
    y = ag.zeros(2, 1, 2)
    y[-2, None, np.zeros(0, dtype=np.int64)] = ag.ones(0, 1)  # selects nothing: torch's (1, 0, 2) takes it


def test_numpy_order_is_kept_where_torch_agrees():
    # no int, or no index array: nothing to move, and the fast path says so
    for index in [(slice(None), [0, 1]), (0, slice(1, 3)), ([0, 1], [1, 2]), (np.array([True, False, True]),)]:
        assert torch_order(index, CUBE.shape) is None
    assert torch_order((0, slice(None), np.array([0, 1])), CUBE.shape) == ((1, 0), (4, 2))


def test_the_gradient_follows_torchs_order():
    x = t(CUBE, requires_grad=True)
    weights = np.arange(8.0).reshape(4, 2)
    (x[0, :, [0, 3]] * t(weights)).sum().backward()
    expected = np.zeros_like(CUBE)
    expected[0][:, [0, 3]] = weights
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_a_0d_integer_tensor_indexes_as_an_int():
    x = t(CUBE)
    assert x[t(0), :, [0, 1]].shape == (4, 2)
    assert x[np.int64(1)].shape == (4, 5)
    np.testing.assert_array_equal(x[t(2)].numpy(), CUBE[2])


def test_setitem_takes_values_in_torchs_order():
    x = ag.zeros(3, 4, 5)
    value = np.arange(8.0).reshape(4, 2)
    x[0, :, [0, 1]] = t(value)
    expected = np.zeros((3, 4, 5))
    expected[0][:, [0, 1]] = value
    np.testing.assert_array_equal(x.numpy(), expected)
    x[1, :, [2, 3]] = t(value[None])  # a leading size-1 dim is dropped, as in torch
    np.testing.assert_array_equal(x.numpy()[1][:, [2, 3]], value)
    x[2, :, [0, 1]] = 7.0  # a number broadcasts
    assert (x.numpy()[2][:, [0, 1]] == 7.0).all()
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(4, 2\)"):
        x[0, :, [0, 1]] = ag.zeros(2, 4)  # NumPy's order is not torch's


def test_setitem_in_torchs_order_is_differentiable():
    base = t(CUBE, requires_grad=True)
    value = t(np.ones((4, 2)), requires_grad=True)
    y = base * 1.0
    y[0, :, [0, 1]] = value * 3.0
    (y * y).sum().backward()
    expected = 2.0 * CUBE
    expected[0][:, [0, 1]] = 0.0  # overwritten
    np.testing.assert_array_equal(base.grad.numpy(), expected)
    np.testing.assert_array_equal(value.grad.numpy(), np.full((4, 2), 18.0))


# --- the ops, by hand ----------------------------------------------------------------------------

X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_gather_picks_along_a_dim():
    x = t(X)
    np.testing.assert_array_equal(x.gather(1, t([[2, 0], [1, 1]])).numpy(), [[3.0, 1.0], [5.0, 5.0]])
    np.testing.assert_array_equal(ag.gather(x, 0, t([[1, 0, 1]])).numpy(), [[4.0, 2.0, 6.0]])
    assert ag.gather(t(5.0), 0, t(0)).item() == 5.0  # 0-d, as torch allows
    assert t([1.0, 2.0]).gather(0, t(1)).shape == ()
    assert x.gather(1, t([[0]], dtype=np.int32)).dtype == np.float32  # an int32 index is taken too


def test_gather_errors():
    x = t(X)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(2, 3\)"):
        x.gather(0, t([0, 1]))  # too few dims
    with pytest.raises(RuntimeError, match="dim 1"):
        x.gather(0, t([[0, 0, 0, 0]]))  # larger than the input outside dim 0
    with pytest.raises(IndexError, match="index 3 is out of range for dim 1 of size 3"):
        x.gather(1, t([[3]]))
    with pytest.raises(IndexError, match="index -1"):
        x.gather(1, t([[-1]]))  # negative indices are refused, as in torch
    with pytest.raises(TypeError, match="integer"):
        x.gather(1, t([[0.0]]))
    with pytest.raises(IndexError, match="dim 2"):
        x.gather(2, t([[0]]))


def test_scatter_writes_along_a_dim():
    x = ag.zeros(2, 3)
    out = x.scatter(1, t([[2, 0], [1, 1]]), t([[7.0, 8.0], [9.0, 9.0]]))
    np.testing.assert_array_equal(out.numpy(), [[8.0, 0.0, 7.0], [0.0, 9.0, 0.0]])
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))  # out of place
    np.testing.assert_array_equal(x.scatter(0, t([[1, 0, 1]]), -1.0).numpy(), [[0, -1, 0], [-1, 0, -1]])
    np.testing.assert_array_equal(x.scatter(0, t([[1, 0]]), value=2.0).numpy(), [[0, 2, 0], [2, 0, 0]])
    # src is read in the index's shape: its extra elements are not used
    np.testing.assert_array_equal(x.scatter(1, t([[1]]), t(X)).numpy(), [[0, 1, 0], [0, 0, 0]])
    # reduce= adds or multiplies instead
    np.testing.assert_array_equal(ag.ones(3).scatter(0, t([0, 0, 2]), t([2.0, 3.0, 4.0]), reduce="add").numpy(),
                                  [6.0, 1.0, 5.0])
    np.testing.assert_array_equal(ag.ones(3).scatter(0, t([0, 0]), 3.0, reduce="multiply").numpy(), [9.0, 1.0, 1.0])
    ints = ag.zeros(3, dtype=np.int64).scatter(0, t([1]), 2.7)
    assert ints.dtype == np.int64 and ints.tolist() == [0, 2, 0]  # the value cast, as torch casts it


def test_scatter_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(TypeError, match=r"float64.*float32"):
        x.scatter(1, t([[0]]), ag.ones(1, 1, dtype=np.float64))
    with pytest.raises(RuntimeError, match="src of shape"):
        x.scatter(1, t([[0, 1]]), ag.ones(1, 1))  # src smaller than the index
    with pytest.raises(ValueError, match="'max'"):
        x.scatter(1, t([[0]]), ag.ones(1, 1), reduce="max")
    with pytest.raises(TypeError, match="src or value"):
        x.scatter(1, t([[0]]), 1.0, value=2.0)
    with pytest.raises(IndexError, match="index 5"):
        x.scatter_add(0, t([[5]]), ag.ones(1, 1))


def test_scatter_add_sums_repeated_places():
    out = ag.zeros(4).scatter_add(0, t([0, 2, 0, 0]), t([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.numpy(), [8.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize(("reduce", "with_self", "without_self"), [
    ("sum", [10.0, 2.0, 11.0], [9.0, 2.0, 8.0]),
    ("prod", [20.0, 2.0, 24.0], [20.0, 2.0, 8.0]),
    ("mean", [10.0 / 3, 2.0, 5.5], [4.5, 2.0, 8.0]),
    ("amax", [5.0, 2.0, 8.0], [5.0, 2.0, 8.0]),
    ("amin", [1.0, 2.0, 3.0], [4.0, 2.0, 8.0]),
])
def test_scatter_reduce(reduce, with_self, without_self):
    x, index, src = t([1.0, 2.0, 3.0]), t([0, 0, 2]), t([4.0, 5.0, 8.0])
    np.testing.assert_allclose(x.scatter_reduce(0, index, src, reduce).numpy(), with_self)
    np.testing.assert_allclose(ag.scatter_reduce(x, 0, index, src, reduce, include_self=False).numpy(), without_self)


def test_scatter_reduce_of_integers_and_nothing():
    x = t([-1, 0, 7])
    out = x.scatter_reduce(0, t([0, 1]), t([-4, -3]), "mean")
    assert out.dtype == np.int64 and out.tolist() == [-3, -2, 7]  # floor division, as torch
    assert x.scatter_reduce(0, t([1, 1]), t([5, 9]), "amax").tolist() == [-1, 9, 7]
    assert x.scatter_reduce(0, t([2]), t([3]), "prod", include_self=False).tolist() == [-1, 0, 3]
    empty = x.scatter_reduce(0, t(np.zeros(0, dtype=np.int64)), t(np.zeros(0, dtype=np.int64)), "sum")
    assert empty.tolist() == [-1, 0, 7]
    with pytest.raises(ValueError, match="'max'"):
        x.scatter_reduce(0, t([0]), t([1]), "max")


def test_scatter_reduce_gradient_splits_ties_and_skips_zeros():
    x = t([2.0, 1.0], requires_grad=True)
    src = t([2.0, 0.5, 3.0], requires_grad=True)
    x.scatter_reduce(0, t([0, 0, 1]), src, "amax").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0])  # x[0] ties with src[0]
    np.testing.assert_array_equal(src.grad.numpy(), [0.5, 0.0, 1.0])
    x = t([0.0, 2.0], requires_grad=True)
    src = t([3.0, 4.0], requires_grad=True)
    x.scatter_reduce(0, t([0, 0]), src, "prod").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 1.0])  # finite with a zero among the factors
    np.testing.assert_array_equal(src.grad.numpy(), [0.0, 0.0])


def test_index_select_add_fill():
    x = t(X)
    np.testing.assert_array_equal(x.index_select(1, t([2, 0, 2])).numpy(), np.array(X)[:, [2, 0, 2]])
    assert ag.index_select(x, 0, t(1)).shape == (1, 3)  # a 0-d index keeps the dim
    out = x.index_add(1, t([0, 0]), t([[1.0, 2.0], [3.0, 4.0]]), alpha=10.0)
    np.testing.assert_array_equal(out.numpy(), [[31.0, 2.0, 3.0], [74.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.index_fill(1, t([-1, 0]), -2.0).numpy(), [[-2, 2, -2], [-2, 5, -2]])
    filled = x.index_fill(0, t([1]), t(9.0))
    np.testing.assert_array_equal(filled.numpy(), [[1, 2, 3], [9, 9, 9]])
    with pytest.raises(IndexError, match="index 3"):
        x.index_select(1, t([3]))
    with pytest.raises(IndexError, match="index -1"):
        x.index_select(1, t([-1]))  # index_select takes no negative index, as torch
    with pytest.raises(IndexError, match=r"0-d or 1-D.*\(1, 1\)"):
        x.index_select(1, t([[0]]))
    with pytest.raises(RuntimeError, match=r"source of shape \(2, 3\)"):
        x.index_add(1, t([0]), x)
    with pytest.raises(TypeError, match="float64"):
        x.index_add(0, t([0]), ag.ones(1, 3, dtype=np.float64))


def test_masked_ops():
    x = t(X)
    mask = t([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(x.masked_fill(mask, 0.5).numpy(), [[0.5, 2, 0.5], [4, 5, 0.5]])
    # the mask broadcasts, and so does the result, as in torch's out-of-place form
    assert t([1.0, 2.0, 3.0]).masked_fill(mask, 0.0).shape == (2, 3)
    np.testing.assert_array_equal(ag.masked_select(x, mask).numpy(), [1.0, 3.0, 6.0])
    np.testing.assert_array_equal(x.masked_select(t([False, True, True])).numpy(), [2.0, 3.0, 5.0, 6.0])
    np.testing.assert_array_equal(x.masked_scatter(mask, t([10.0, 20.0, 30.0, 40.0])).numpy(),
                                  [[10, 2, 20], [4, 5, 30]])
    ints = t([1, 2, 3]).masked_fill(t([True, False, False]), 2.9)
    assert ints.dtype == np.int64 and ints.tolist() == [2, 2, 3]
    with pytest.raises(TypeError, match="bool"):
        x.masked_fill(t([[1, 0, 1], [0, 0, 1]]), 0.0)
    with pytest.raises(RuntimeError, match="0-d"):
        x.masked_fill(mask, t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(2,\)"):
        x.masked_fill(t([True, False]), 0.0)
    with pytest.raises(RuntimeError, match=r"selects 3 elements.*only 2"):
        x.masked_scatter(mask, t([1.0, 2.0]))


def test_take_and_take_along_dim():
    x = t(X)
    np.testing.assert_array_equal(ag.take(x, t([[0, -1], [4, 2]])).numpy(), [[1.0, 6.0], [5.0, 3.0]])
    np.testing.assert_array_equal(ag.take_along_dim(x, t([[1], [0]]), 1).numpy(), [[2.0], [4.0]])
    # broadcast outside dim: one row of indices for both rows
    np.testing.assert_array_equal(x.take_along_dim(t([[2, 0]]), dim=1).numpy(), [[3.0, 1.0], [6.0, 4.0]])
    np.testing.assert_array_equal(ag.take_along_dim(x, t([5, 0])).numpy(), [6.0, 1.0])  # no dim: read as 1-D
    with pytest.raises(IndexError, match=r"index 6.*6 elements"):
        ag.take(x, t([6]))
    with pytest.raises(RuntimeError, match="as many dims"):
        ag.take_along_dim(x, t([0]), 1)


def test_nonzero_and_where_of_a_condition():
    x = t([[0.0, 1.5], [2.0, 0.0]])
    out = x.nonzero()
    assert out.dtype == np.int64 and out.tolist() == [[0, 1], [1, 0]]
    rows, cols = ag.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert [i.tolist() for i in ag.where(x > 1.8)] == [[1], [0]]
    assert ag.argwhere(x).tolist() == [[0, 1], [1, 0]]
    assert t(5).nonzero().shape == (1, 0)  # as torch: one nonzero element with no coordinates
    assert [i.tolist() for i in t(5).nonzero(as_tuple=True)] == [[0]]
    assert not x.nonzero().requires_grad


def test_results_are_constants_or_keep_the_graph():
    x = t(X, requires_grad=True)
    assert x.gather(1, t([[0]])).requires_grad
    assert x.masked_fill(x > 2, 0.0).requires_grad
    assert not ag.nonzero(x).requires_grad
    with ag.no_grad():
        assert not x.scatter_add(0, t([[0]]), x[:1, :1]).requires_grad


# --- in-place forms -------------------------------------------------------------------------------


def test_in_place_forms_change_the_tensor_and_its_version():
    x = ag.zeros(2, 3)
    version = x._counter()[0]
    assert x.masked_fill_(t([True, False, True]), 1.0) is x
    x.index_fill_(1, t([1]), 2.0)
    x.index_add_(0, t([1]), ag.ones(1, 3), alpha=3.0)
    x.scatter_add_(1, t([[0]]), t([[5.0]]))
    x.scatter_(1, t([[2], [0]]), t([[-1.0], [-2.0]]))
    x.scatter_reduce_(0, t([[0, 0, 0]]), t([[10.0, 10.0, 10.0]]), "amax", include_self=True)
    x.masked_scatter_(t([[False, False, False], [True, False, False]]), t([4.0]))
    np.testing.assert_array_equal(x.numpy(), [[10.0, 10.0, 10.0], [4.0, 5.0, 4.0]])
    assert x._counter()[0] == version + 7


def test_in_place_forms_are_recorded_and_checked():
    w = t(X, requires_grad=True)
    y = w * 2.0
    y.masked_fill_(t([[True, False, False], [False, False, True]]), 0.0)
    y.index_add_(1, t([1]), w[:, :1])
    y.sum().backward()
    # w[:, 0] reaches y twice (doubled, and added into column 1); the masked places not at all
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 2.0, 2.0], [3.0, 2.0, 0.0]])

    # a value saved for backward and then changed in place: backward refuses
    a = t(X, requires_grad=True)
    b = a * 1.0
    c = b * b  # saves b
    b.index_fill_(0, t([0]), 0.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        c.sum().backward()
    with pytest.raises(RuntimeError, match="leaf"):
        t(X, requires_grad=True).masked_fill_(t([True, False, True]), 0.0)
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        ag.zeros(3).masked_fill_(t([[True], [False]]), 1.0)  # the result would not fit in place


# --- against torch --------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
SRC = RNG.standard_normal((2, 4))
IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])

TORCH_CASES = {
    "gather0": (lambda lib, x, i: lib.gather(x, 0, i), A, IDX),
    "gather1": (lambda lib, x, i: x.gather(1, i[:, :3]), A, IDX),
    "scatter": (lambda lib, x, s, i: x.scatter(1, lib.tensor([[0, 1, 3, 2], [1, 0, 2, 3]]), s), A, SRC, IDX),
    "scatter_value": (lambda lib, x, i: x.scatter(0, i, 2.5), A, IDX),
    "scatter_add": (lambda lib, x, s, i: x.scatter_add(0, i, s), A, SRC, IDX),
    "index_select": (lambda lib, x, i: x.index_select(1, i[1]), A, IDX),
    "index_select_0d": (lambda lib, x, i: x.index_select(1, i[1, 0]), A, IDX),
    "index_add": (lambda lib, x, s, i: x.index_add(1, i[1], s, alpha=2.0), A, RNG.standard_normal((3, 4)), IDX),
    "index_fill": (lambda lib, x, i: x.index_fill(1, i[1], -1.5), A, IDX),
    "masked_fill": (lambda lib, x, m: x.masked_fill(m, 3.0), A, A > 0),
    "masked_fill_broadcast": (lambda lib, x, m: x[0].masked_fill(m, 3.0), A, A > 0),
    "masked_select": (lambda lib, x, m: x.masked_select(m), A, A[0] > 0),
    "masked_scatter": (lambda lib, x, s, m: x.masked_scatter(m, s), A, RNG.standard_normal((3, 4)), A > 0),
    "take": (lambda lib, x, i: lib.take(x, i - 1), A, IDX),
    "take_along_dim": (lambda lib, x, i: lib.take_along_dim(x, i[:1, :], 1), A, IDX),
    "take_along_dim_flat": (lambda lib, x, i: lib.take_along_dim(x, i), A, IDX),
    "nonzero": (lambda lib, m: lib.nonzero(m), A > 0),
    "nonzero_tuple": (lambda lib, m: lib.nonzero(m, as_tuple=True), A > 0),
    "where_condition": (lambda lib, m: lib.where(m), A > 0),
    "argwhere": (lambda lib, m: lib.argwhere(m), A > 0),
    "int_gather": (lambda lib, i: lib.gather(i, 1, i[:, :2]), IDX),
}
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        TORCH_CASES[f"scatter_reduce_{_reduce}_{_self}"] = (
            lambda lib, x, s, i, r=_reduce, k=_self: x.scatter_reduce(0, i, s, r, include_self=k), A, SRC, IDX)


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_ops_against_torch(name):
    pytest.importorskip("torch")
    expression, *arrays = TORCH_CASES[name]
    run_both(expression, *arrays)


INDEX_CASES = [index for index, _ in ORDER_CASES] + [
    (slice(None), [0, 2], slice(1, 3)), (1, slice(None), [[0, 1], [2, 3]]), ([0, 2], [1, 3], 4),
    (2, [True, False, True, False], slice(None)), (slice(None), 1, [4, 0], None), (-1, slice(None, None, 2), [0]),
    (0, [1, 2]), (1, None, [0, 3]), (-1, Ellipsis, np.array([False, True, True, False, False])),
]


@pytest.mark.parametrize("index", INDEX_CASES, ids=str)
def test_indexing_against_torch(index):
    pytest.importorskip("torch")
    run_both(lambda lib, x: x[index], CUBE)

    def assign(lib, x):
        y = x * 1.0
        y[index] = x[index] * 2.0 + 1.0
        return y

    run_both(assign, CUBE)


def test_in_place_forms_against_torch():
    pytest.importorskip("torch")

    def chain(lib, x, s, i):
        y = x * 1.0
        y.masked_fill_(x > 0.5, -1.0)
        y.scatter_add_(0, i, s)
        y.index_fill_(1, i[0, :2], 0.25)
        y.index_add_(1, i[1, :2], x[:, :2], alpha=0.5)
        y.scatter_(1, i[:, :1], s[:, :1])
        return y.scatter_reduce_(0, i, s, "amax")

    run_both(chain, A, SRC, IDX)
