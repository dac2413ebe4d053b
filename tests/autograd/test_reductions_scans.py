"""Scans (cumsum, cumprod, cummax, cummin, logcumsumexp), order statistics (median, aminmax,
count_nonzero), var_mean/std_mean, the dtype= of sum, mean and prod, argmax/argmin with
keepdim, and torch's NumPy-style keywords (axis=, keepdims=).

Gradients at first and second order on generated inputs are in the op table
(autograd/op_table.py); here are the conventions at ties, zeros, NaN and infinities, dtypes,
errors, and a comparison with torch where it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

NAN, INF = math.nan, math.inf


def t(values, requires_grad=False, dtype=np.float64):
    return ag.tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)


def grad_of(fn, values):
    x = t(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


# --- axis= and keepdims= ------------------------------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4) % 7


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "prod", "argmax", "argmin", "any", "all",
                                  "count_nonzero"])
def test_axis_and_keepdims_name_dim_and_keepdim(name):
    x = t(X)
    if name == "count_nonzero":
        np.testing.assert_array_equal(x.count_nonzero(axis=1).numpy(), x.count_nonzero(dim=1).numpy())
        return
    by_numpy = getattr(x, name)(axis=1, keepdims=True)
    by_torch = getattr(x, name)(dim=1, keepdim=True)
    assert by_numpy.shape == by_torch.shape == (2, 1, 4)
    np.testing.assert_array_equal(by_numpy.detach().numpy(), by_torch.detach().numpy())


def test_axis_works_for_the_functional_forms_and_the_methods_with_values_and_indices():
    x = t(X)
    np.testing.assert_array_equal(ag.sum(x, axis=(0, 2)).numpy(), X.sum(axis=(0, 2)))
    np.testing.assert_allclose(x.var(axis=2, keepdims=True).numpy(), X.var(axis=2, ddof=1, keepdims=True))
    np.testing.assert_allclose(ag.std(x, axis=0).numpy(), X.std(axis=0, ddof=1))
    values, indices = x.max(axis=-1, keepdims=True)
    np.testing.assert_array_equal(values.numpy(), X.max(-1, keepdims=True))
    np.testing.assert_array_equal(indices.numpy(), X.argmax(-1)[..., None])
    assert ag.min(x, axis=0).indices.shape == (3, 4)
    np.testing.assert_array_equal(ag.cumsum(x, axis=1).numpy(), np.cumsum(X, axis=1))
    np.testing.assert_array_equal(x.cummax(axis=2).values.numpy(), np.maximum.accumulate(X, axis=2))
    np.testing.assert_array_equal(x.median(axis=2).values.numpy(), np.sort(X, axis=2)[..., 1])
    np.testing.assert_allclose(x.softmax(axis=0).numpy().sum(0), np.ones((3, 4)))
    var, mean = ag.var_mean(x, axis=1, keepdims=True)
    assert var.shape == mean.shape == (2, 1, 4)


def test_axis_on_the_shape_methods_that_take_a_dim():
    x = t(np.zeros((2, 1, 3)))
    assert x.squeeze(axis=1).shape == (2, 3)
    assert x.unsqueeze(axis=0).shape == (1, 2, 1, 3)
    assert [c.shape for c in x.chunk(3, axis=2)] == [(2, 1, 1)] * 3
    assert len(x.unbind(axis=0)) == 2
    assert x.size(axis=2) == 3


def test_a_dim_and_its_alias_together_are_refused():
    x = t(X)
    with pytest.raises(TypeError, match="axis"):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError, match="dim"):
        x.sum(0, axis=1)
    with pytest.raises(TypeError, match="keepdims"):
        x.mean(dim=0, keepdim=True, keepdims=True)


def test_an_unknown_keyword_is_still_refused():
    with pytest.raises(TypeError):
        t(X).sum(axes=0)


# --- dtype= and the dtype of sums --------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int32, np.int64])
def test_sums_and_products_of_bools_and_integers_are_int64(dtype):
    x = ag.tensor(np.array([[1, 0, 1], [1, 1, 0]], dtype=dtype))
    for result in (x.sum(), x.sum(0), x.prod(), x.prod(1), x.cumsum(1), x.cumprod(0)):
        assert result.dtype == np.int64
    assert x.sum().item() == 4
    np.testing.assert_array_equal(x.cumsum(1).numpy(), [[1, 1, 2], [1, 2, 2]])


def test_a_large_uint8_sum_does_not_wrap_around():
    assert ag.tensor(np.full(3, 200, dtype=np.uint8)).sum().item() == 600


def test_sum_mean_prod_and_scans_compute_in_the_dtype_asked_for():
    x = ag.tensor(np.array([1, 2, 3, 4], dtype=np.int64))
    assert x.sum(dtype=ag.float32).dtype == np.float32
    assert x.mean(dtype=ag.float64).item() == 2.5
    assert x.prod(dtype=np.float64).item() == 24.0
    np.testing.assert_array_equal(x.cumsum(0, dtype=ag.float64).numpy(), [1.0, 3.0, 6.0, 10.0])
    assert x.cumprod(0, dtype=ag.int32).dtype == np.int32
    assert x.sum(dtype=ag.int32).dtype == np.int32
    assert x.prod(0, dtype=ag.int16).dtype == np.int16
    # A float tensor cast differentiably: the gradient comes back in its own dtype.
    y = t([1.0, 2.0], requires_grad=True)
    y.sum(dtype=ag.float32).backward()
    assert y.grad.dtype == np.float64
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])


def test_mean_of_integers_needs_a_dtype():
    with pytest.raises(TypeError, match="mean"):
        ag.tensor([1, 2]).mean()


# --- argmax and argmin with keepdim ----------------------------------------------------------


def test_argmax_without_dim_keeps_every_dim_as_one():
    x = t([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert x.argmax(keepdim=True).item() == 3  # an index into the flattened tensor, the first of the ties
    assert x.argmin(keepdim=True).item() == 4
    assert x.argmax().shape == ()
    np.testing.assert_array_equal(x.argmax(1, keepdim=True).numpy(), [[1], [0]])
    np.testing.assert_array_equal(ag.argmin(x, 0, keepdim=True).numpy(), [[0, 1, 0]])


# --- cumsum and cumprod ---------------------------------------------------------------------


def test_cumsum_gradient_is_the_sum_to_the_end():
    np.testing.assert_array_equal(grad_of(lambda x: x.cumsum(0) * t([1.0, 2.0, 3.0]), [5.0, 6.0, 7.0]),
                                  [6.0, 5.0, 3.0])


def test_scans_of_a_0d_tensor_are_the_tensor():
    x = t(2.5, requires_grad=True)
    for scan in (x.cumsum(0), x.cumprod(-1), x.logcumsumexp(0), x.cummax(0).values, x.cummin(0).values):
        assert scan.shape == ()
        assert scan.item() == 2.5
    assert x.cummax(0).indices.item() == 0
    x.cumprod(0).backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize(("values", "expected"), [
    ([0.0, 2.0, 0.0, 3.0], [3.0, 0.0, 0.0, 0.0]),  # torch's example: only the first zero has a gradient
    ([2.0, 0.0, 3.0], [1.0, 2.0 + 6.0, 0.0]),  # d/dx1 of x0 + x0 x1 + x0 x1 x2 at x1 = 0
    ([0.0], [1.0]),
])
def test_cumprod_gradient_with_zeros(values, expected):
    np.testing.assert_array_equal(grad_of(lambda x: x.cumprod(0), values), expected)


def test_cumprod_second_derivative_with_a_zero():
    # y = x0 + x0 x1 + x0 x1 x2; d2y/dx1dx0 = 1 + x2 and d2y/dx1dx2 = x0, at x1 = 0.
    x = t([2.0, 0.0, 3.0], requires_grad=True)
    (g,) = ag.grad(x.cumprod(0).sum(), x, create_graph=True)
    (h,) = ag.grad(g[1], x)
    np.testing.assert_array_equal(h.numpy(), [4.0, 0.0, 2.0])


def test_scan_dim_out_of_range_is_an_index_error():
    for scan in (ag.cumsum, ag.cumprod, ag.logcumsumexp, ag.cummax, ag.cummin):
        with pytest.raises(IndexError, match="dim 2"):
            scan(t([[1.0]]), 2)


# --- logcumsumexp ---------------------------------------------------------------------------


def test_logcumsumexp_neither_overflows_nor_loses_small_terms():
    out = t([1000.0, 1000.0, -1000.0]).logcumsumexp(0).numpy()
    np.testing.assert_allclose(out, [1000.0, 1000.0 + math.log(2.0), 1000.0 + math.log(2.0)])
    np.testing.assert_allclose(t([-1000.0, 0.0]).logcumsumexp(0).numpy(), [-1000.0, 0.0])


def softmax_weights_gradient(a, g):
    """sum over j >= i of g_j exp(a_i - out_j), from the definition."""
    out = np.logaddexp.accumulate(a)
    return np.array([sum(g[j] * math.exp(a[i] - out[j]) for j in range(i, len(a))) for i in range(len(a))])


@pytest.mark.parametrize("values", [
    [0.5, -1.0, 2.0, 0.0],  # outs close together: the factored O(n) gradient
    [-500.0, 300.0, -20.0, 310.0],  # outs 800 apart: the (n, n) one
])
def test_logcumsumexp_gradient_from_its_definition(values):
    g = np.array([1.0, -2.0, 0.5, 3.0])
    got = grad_of(lambda x: x.logcumsumexp(0) * t(g), values)
    np.testing.assert_allclose(got, softmax_weights_gradient(np.array(values), g), rtol=1e-12, atol=1e-300)


def test_logcumsumexp_with_leading_minus_infinity_has_no_nan():
    x = t([-INF, -INF, 1.0, 2.0], requires_grad=True)
    out = x.logcumsumexp(0)
    np.testing.assert_allclose(out.detach().numpy(), [-INF, -INF, 1.0, np.logaddexp(1.0, 2.0)])
    out.sum().backward()
    expected = softmax_weights_gradient(np.array([1.0, 2.0]), np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, *expected])


def test_logcumsumexp_takes_integers_as_floats():
    out = ag.tensor([0, 0]).logcumsumexp(0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [0.0, math.log(2.0)], rtol=1e-6)


# --- cummax and cummin ----------------------------------------------------------------------


def test_cummax_and_cummin_give_ties_to_the_latest_index():
    x = t([[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 5.0, 0.0]])
    values, indices = x.cummax(1)
    np.testing.assert_array_equal(values.numpy(), [[1, 3, 3, 3], [2, 2, 5, 5]])
    np.testing.assert_array_equal(indices.numpy(), [[0, 1, 2, 2], [0, 1, 2, 2]])
    result = ag.cummin(x, 1)
    np.testing.assert_array_equal(result.values.numpy(), [[1, 1, 1, 1], [2, 2, 2, 0]])
    np.testing.assert_array_equal(result.indices.numpy(), [[0, 0, 0, 0], [0, 1, 1, 3]])
    assert indices.dtype == np.int64 and indices.grad_fn is None


def test_cummax_once_nan_stays_nan_at_the_latest_nan():
    values, indices = t([1.0, NAN, 2.0, NAN, 0.0]).cummax(0)
    np.testing.assert_array_equal(values.numpy(), [1.0, NAN, NAN, NAN, NAN])
    np.testing.assert_array_equal(indices.numpy(), [0, 1, 1, 3, 3])
    np.testing.assert_array_equal(t([1.0, NAN, 0.0]).cummin(0).indices.numpy(), [0, 1, 1])


def test_cummax_sends_each_gradient_to_the_element_picked():
    np.testing.assert_array_equal(grad_of(lambda x: x.cummax(0).values, [1.0, 3.0, 3.0, 2.0]), [1.0, 1.0, 2.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.cummin(0).values, [2.0, 1.0, 4.0]), [1.0, 2.0, 0.0])


def test_cummax_of_integers_keeps_the_dtype():
    values, indices = ag.tensor([3, 1, 4, 1, 5]).cummax(0)
    assert values.dtype == np.int64
    np.testing.assert_array_equal(values.numpy(), [3, 3, 4, 4, 5])
    np.testing.assert_array_equal(indices.numpy(), [0, 0, 2, 2, 4])


# --- median ---------------------------------------------------------------------------------


def test_median_is_the_lower_middle_element():
    assert t([1.0, 4.0, 2.0, 3.0]).median().item() == 2.0
    assert t([[5.0, 1.0, 3.0]]).median().item() == 3.0
    values, indices = t([[1.0, 4.0, 2.0, 3.0], [9.0, 8.0, 7.0, 6.0]]).median(1)
    np.testing.assert_array_equal(values.numpy(), [2.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [2, 2])
    assert ag.median(ag.tensor([[2, 1, 3, 4]]), 1, keepdim=True).values.numpy().tolist() == [[2]]


def test_median_among_ties_picks_the_middle_of_a_stable_sort():
    # [3, 1, 1, 3] sorts stably to indices [1, 2, 0, 3]; the lower middle is place 1: index 2.
    result = t([3.0, 1.0, 1.0, 3.0]).median(0)
    assert (result.values.item(), result.indices.item()) == (1.0, 2)
    assert t([1.0, 2.0, 2.0, 2.0]).median(0).indices.item() == 1


def test_median_of_all_shares_the_gradient_among_ties_and_along_a_dim_gives_it_to_the_index():
    np.testing.assert_array_equal(grad_of(lambda x: x.median(), [3.0, 1.0, 1.0, 3.0]), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.median(0).values, [3.0, 1.0, 1.0, 3.0]), [0.0, 0.0, 1.0, 0.0])


def test_median_with_nan_is_nan_at_the_first_nan():
    assert math.isnan(t([1.0, NAN, 2.0]).median().item())
    values, indices = t([[NAN, 1.0, NAN], [1.0, 2.0, 3.0]]).median(1)
    np.testing.assert_array_equal(values.numpy(), [NAN, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [0, 1])


def test_median_of_nothing():
    assert math.isnan(t([]).median().item())
    with pytest.raises(ValueError, match="median"):
        t(np.zeros((2, 0))).median(1)
    with pytest.raises(ValueError, match="median"):
        ag.tensor(np.zeros(0, dtype=np.int64)).median()
    with pytest.raises(IndexError, match="dim 2"):
        t([[1.0]]).median(2)


def test_median_of_a_0d_tensor():
    x = t(3.0)
    assert x.median().item() == 3.0
    result = x.median(0, keepdim=True)
    assert result.values.shape == result.indices.shape == ()
    assert (result.values.item(), result.indices.item()) == (3.0, 0)


# --- aminmax, count_nonzero, var_mean, std_mean ---------------------------------------------


def test_aminmax_is_a_named_pair():
    x = t([[1.0, 5.0], [-2.0, 4.0]])
    result = x.aminmax()
    assert isinstance(result, ag.MinMax)
    assert (result.min.item(), result.max.item()) == (-2.0, 5.0)
    low, high = ag.aminmax(x, dim=1, keepdim=True)
    np.testing.assert_array_equal(low.numpy(), [[1.0], [-2.0]])
    np.testing.assert_array_equal(high.numpy(), [[5.0], [4.0]])
    assert ag.tensor([3, 1]).aminmax().min.dtype == np.int64
    with pytest.raises(ValueError, match=r"amin"):
        t([]).aminmax()


def test_count_nonzero_over_one_dim_or_several():
    x = t([[0.0, 1.0, 2.0], [0.0, 0.0, NAN]])
    assert x.count_nonzero().item() == 3  # NaN is not zero
    assert x.count_nonzero().dtype == np.int64
    np.testing.assert_array_equal(x.count_nonzero(0).numpy(), [0, 1, 2])
    np.testing.assert_array_equal(ag.count_nonzero(x, dim=-1).numpy(), [2, 1])
    assert x.count_nonzero((0, 1)).item() == 3
    assert ag.tensor([True, False, True]).count_nonzero().item() == 2
    assert t(5.0).count_nonzero(0).item() == 1
    with pytest.raises(IndexError):
        x.count_nonzero(2)


def test_var_mean_and_std_mean_are_var_std_and_mean():
    x = t([[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 5.0, 0.0]])
    var, mean = ag.var_mean(x, 1)
    np.testing.assert_allclose(var.numpy(), x.var(1).numpy())
    np.testing.assert_allclose(mean.numpy(), [2.25, 2.25])
    std, mean = ag.std_mean(x, dim=1, correction=0, keepdim=True)
    np.testing.assert_allclose(std.numpy(), np.std(x.numpy(), axis=1, keepdims=True))
    assert mean.shape == (2, 1)
    std, mean = ag.std_mean(x, unbiased=False)
    np.testing.assert_allclose((std.item(), mean.item()), (np.std(x.numpy()), 2.25))


# --- against torch ---------------------------------------------------------------------------


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    data = np.round(rng.normal(size=(3, 5)), 1)  # rounded, so that some values tie
    data[1, 2] = 0.0
    x, tx = t(data, requires_grad=True), torch.tensor(data, requires_grad=True)

    def same(ours, theirs):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)

    for dim in (0, 1, -1):
        same(x.cumsum(dim), tx.cumsum(dim))
        same(x.cumprod(dim), tx.cumprod(dim))
        same(x.logcumsumexp(dim), tx.logcumsumexp(dim))
        for name in ("cummax", "cummin", "median"):
            ours, theirs = getattr(x, name)(dim), getattr(tx, name)(dim)
            same(ours.values, theirs.values)
            same(ours.indices, theirs.indices)
        same(x.argmax(dim, keepdim=True), tx.argmax(dim, keepdim=True))
        for ours, theirs in zip(ag.var_mean(x, dim, keepdim=True), torch.var_mean(tx, dim, keepdim=True)):
            same(ours, theirs)
        same(x.count_nonzero(dim), torch.count_nonzero(tx, dim))
        for ours, theirs in zip(x.aminmax(dim=dim), tx.aminmax(dim=dim)):
            same(ours, theirs)
    same(x.median(), tx.median())
    same(x.argmin(keepdim=True), tx.argmin(keepdim=True))
    same(x.sum(axis=1, keepdims=True), tx.sum(axis=1, keepdims=True))

    # gradients of the scans and order statistics together
    def loss(m, lib):
        w = lib.tensor(np.linspace(-1.0, 2.0, 5))
        total = (m.cumsum(1) * w).sum() + (m.cumprod(0) * w).sum() + (m.logcumsumexp(1) * w).sum()
        total = total + (m.cummax(0).values * w).sum() + (m.cummin(1).values * w).sum()
        return total + (m.median(1).values * 3.0).sum() + m.median() + lib.std_mean(m, 0)[0].sum()

    loss(x, ag).backward()
    loss(tx, torch).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_dtypes_against_torch():
    torch = pytest.importorskip("torch")
    for np_dtype, torch_dtype in ((np.bool_, torch.bool), (np.uint8, torch.uint8), (np.int32, torch.int32)):
        ours, theirs = ag.tensor(np.array([1, 0, 1], dtype=np_dtype)), torch.tensor([1, 0, 1], dtype=torch_dtype)
        for name in ("sum", "prod"):
            assert str(getattr(ours, name)().dtype) == str(getattr(theirs, name)().dtype).removeprefix("torch.")
        for name in ("cumsum", "cumprod"):
            assert str(getattr(ours, name)(0).dtype) == str(getattr(theirs, name)(0).dtype).removeprefix("torch.")
        assert ours.cummax(0).values.dtype == np_dtype
        assert theirs.cummax(0).values.dtype == torch_dtype
