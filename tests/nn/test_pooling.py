"""nn.pooling: max, average and adaptive pools in one and two dims and max_unpool, against direct
NumPy loops over output positions written here and against torch when it is installed; torch's
conventions (indices, ties to the first element, NaN, ceil_mode, count_include_pad, windows of
padding alone), gradients at first and second order, and errors that name the shapes."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F


def window_positions(size, kernel, stride, padding, dilation, ceil_mode):
    """For each window along a dim, the input positions of its elements (padding included)."""
    span = dilation * (kernel - 1) + 1
    room = size + 2 * padding - span
    count = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return [[i * stride - padding + k * dilation for k in range(kernel)] for i in range(count)]


def np_max_pool2d(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """Values and flat indices, one window at a time: the first largest element inside the input
    (a NaN is larger than anything, and the last NaN wins, as torch scans)."""
    n, c, h, w = x.shape
    rows = window_positions(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    cols = window_positions(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    values = np.empty((n, c, len(rows), len(cols)))
    indices = np.empty((n, c, len(rows), len(cols)), dtype=np.int64)
    for i, j, r, s in itertools.product(range(n), range(c), range(len(rows)), range(len(cols))):
        best, where = -math.inf, None
        for p, q in itertools.product(rows[r], cols[s]):
            if not (0 <= p < h and 0 <= q < w):
                continue
            v = x[i, j, p, q]
            if where is None or v > best or math.isnan(v):
                best, where = v, p * w + q
        values[i, j, r, s], indices[i, j, r, s] = best, -1 if where is None else where
    return values, indices


def np_avg_pool2d(x, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor=None):
    n, c, h, w = x.shape
    rows = window_positions(h, kernel[0], stride[0], padding[0], 1, ceil_mode)
    cols = window_positions(w, kernel[1], stride[1], padding[1], 1, ceil_mode)
    out = np.empty((n, c, len(rows), len(cols)))
    for r, s in itertools.product(range(len(rows)), range(len(cols))):
        inside = [(p, q) for p, q in itertools.product(rows[r], cols[s]) if 0 <= p < h and 0 <= q < w]
        total = sum(x[:, :, p, q] for p, q in inside)
        # counted with the padding: the window's positions that lie inside the padded input
        padded = sum(1 for p, q in itertools.product(rows[r], cols[s])
                     if -padding[0] <= p < h + padding[0] and -padding[1] <= q < w + padding[1])
        out[:, :, r, s] = total / (divisor or (padded if count_include_pad else len(inside)))
    return out


def np_adaptive(x, output_size, reduce):
    n, c, h, w = x.shape
    oh, ow = output_size
    out = np.empty((n, c, oh, ow))
    for r, s in itertools.product(range(oh), range(ow)):
        block = x[:, :, r * h // oh:-(-(r + 1) * h // oh), s * w // ow:-(-(s + 1) * w // ow)]
        out[:, :, r, s] = reduce(block.reshape(n, c, -1), axis=2)
    return out


def rng(seed=0):
    return np.random.default_rng(seed)


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


POOL_ARGS = st.fixed_dictionaries({
    "kernel": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "stride": st.tuples(st.integers(1, 3), st.integers(1, 2)),
    "padding": st.tuples(st.integers(0, 1), st.integers(0, 1)), "ceil_mode": st.booleans(),
    "size": st.tuples(st.integers(1, 6), st.integers(1, 6)), "batched": st.booleans(), "seed": st.integers(0, 2**16)})


def fits(args, dilation=(1, 1)):
    span = [d * (k - 1) + 1 for k, d in zip(args["kernel"], dilation)]
    return all(2 * p <= s and n + 2 * p >= s for n, p, s in zip(args["size"], args["padding"], span))


# --- max pooling -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(args=POOL_ARGS, dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), ties=st.booleans())
def test_max_pool2d_matches_numpy(args, dilation, ties):
    if not fits(args, dilation):
        return
    x = rng(args["seed"]).standard_normal((2, 3, *args["size"]))
    if ties:
        x = np.round(x)  # many equal values: the first of them must win
    kw = dict(stride=args["stride"], padding=args["padding"], dilation=dilation, ceil_mode=args["ceil_mode"])
    values, indices = np_max_pool2d(x, args["kernel"], **kw)
    x_in = ag.tensor(x if args["batched"] else x[0])
    out, idx = F.max_pool2d(x_in, args["kernel"], return_indices=True, **kw)
    want_values, want_indices = (values, indices) if args["batched"] else (values[0], indices[0])
    np.testing.assert_array_equal(out.detach().numpy(), want_values)
    np.testing.assert_array_equal(idx.numpy(), want_indices)
    assert idx.dtype == np.int64 and not idx.requires_grad


def test_max_pool2d_gradient_goes_to_the_first_of_tied_elements():
    x = ag.tensor(np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0], [1.0, 3.0, 1.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    # windows: (0,0)->(0,1), (0,1)->(0,1), (1,0)->(1,0), (1,1)->(2,1); overlapping windows add up
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 2, 0], [1, 0, 0], [0, 1, 0]])


def test_max_pool_nan_wins_and_windows_of_padding_alone_are_minus_inf():
    x = np.array([[[[1.0, np.nan], [np.nan, 2.0]]]])
    out, idx = F.max_pool2d(ag.tensor(x), 2, return_indices=True)
    assert np.isnan(out.item()) and idx.item() == 2  # the last NaN, as torch scans
    lone = ag.zeros(1, 1, 1, 1, requires_grad=True)
    out, idx = F.max_pool2d(lone, 2, padding=1, dilation=2, return_indices=True)  # its elements at -1 and 1
    assert out.item() == -math.inf and idx.item() == -1
    out.sum().backward()
    assert lone.grad.item() == 0.0


def test_max_pool1d_matches_numpy():
    x = rng(1).standard_normal((2, 3, 9))
    out, idx = F.max_pool1d(ag.tensor(x), 3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)
    values, indices = np_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 2), ceil_mode=True)
    np.testing.assert_array_equal(out.detach().numpy(), values[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), indices[:, :, 0])
    layer = nn.MaxPool1d(2, return_indices=True)
    assert [t.shape for t in layer(ag.randn(4, 7))] == [(4, 3), (4, 3)]


def test_max_pool_gradients_first_and_second_order():
    x = ag.tensor(rng(2).permutation(60).reshape(1, 3, 4, 5) / 7.0, requires_grad=True)  # no ties
    proj = ag.tensor(rng(3).standard_normal((1, 3, 2, 3)))
    def f(x):
        return ((F.max_pool2d(x, 3, stride=2, padding=1) * proj).tanh()).sum()
    assert ag.gradcheck(f, [x])
    assert ag.gradgradcheck(f, [x])


# --- max_unpool ------------------------------------------------------------------------------------


def test_max_unpool_puts_each_maximum_back():
    x = rng(4).standard_normal((2, 3, 6, 7))
    out, idx = F.max_pool2d(ag.tensor(x), 2, return_indices=True)
    # the indices are positions in the 6 x 7 input, whose last column was never pooled: the
    # default size, (3 - 1) * 2 + 2 = 6 columns, is too narrow for them
    with pytest.raises(IndexError, match=r"outside an output plane of size \(6, 6\)"):
        F.max_unpool2d(out, idx, 2)
    back = F.max_unpool2d(out, idx, 2, output_size=(6, 7))
    placed = back.numpy()
    expected = np.zeros_like(placed).reshape(2, 3, -1)
    np.put_along_axis(expected, idx.numpy().reshape(2, 3, -1), out.numpy().reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(placed, expected.reshape(placed.shape))
    assert nn.MaxUnpool2d(2)(out, idx, output_size=(2, 3, 6, 7)).shape == (2, 3, 6, 7)
    square, square_idx = F.max_pool2d(ag.tensor(x[:, :, :, :6]), 2, return_indices=True)
    assert F.max_unpool2d(square, square_idx, 2).shape == (2, 3, 6, 6)
    # its gradient picks the gradient at the indices back out
    src = out.detach().requires_grad_()
    g = rng(5).standard_normal((2, 3, 6, 7))
    F.max_unpool2d(src, idx, 2, output_size=(6, 7)).backward(ag.tensor(g))
    np.testing.assert_array_equal(src.grad.numpy(), np.take_along_axis(g.reshape(2, 3, -1), idx.numpy().reshape(
        2, 3, -1), axis=2).reshape(src.shape))
    one_d, one_idx = F.max_pool1d(ag.tensor(x[:, :, 0]), 3, return_indices=True)
    assert F.max_unpool1d(one_d, one_idx, 3).shape == (2, 3, 6)


def test_max_unpool_errors():
    out, idx = F.max_pool2d(ag.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(IndexError, match=r"index 99 is outside an output plane of size \(4, 4\) \(16 positions\)"):
        F.max_unpool2d(out, ag.tensor(np.array([[[[0, 1], [2, 99]]]])), 2)
    with pytest.raises(RuntimeError, match=r"indices of shape \(1, 1, 4\) do not match input of shape \(1, 1, 2, 2\)"):
        F.max_unpool2d(out, idx.reshape(1, 1, 4), 2)
    with pytest.raises(TypeError, match="integer Tensor"):
        F.max_unpool2d(out, idx.float(), 2)


# --- average pooling -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(args=POOL_ARGS, count_include_pad=st.booleans(), divisor=st.sampled_from([None, None, 3]))
def test_avg_pool2d_matches_numpy(args, count_include_pad, divisor):
    if not fits(args):
        return
    x = rng(args["seed"]).standard_normal((2, 3, *args["size"]))
    kw = dict(stride=args["stride"], padding=args["padding"], ceil_mode=args["ceil_mode"])
    expected = np_avg_pool2d(x, args["kernel"], count_include_pad=count_include_pad, divisor=divisor, **kw)
    got = F.avg_pool2d(ag.tensor(x if args["batched"] else x[0]), args["kernel"], count_include_pad=count_include_pad,
                       divisor_override=divisor, **kw)
    np.testing.assert_allclose(got.detach().numpy(), expected if args["batched"] else expected[0], rtol=1e-12,
                               atol=1e-14)


def test_avg_pool1d_and_gradients():
    x = rng(6).standard_normal((2, 3, 8))
    got = F.avg_pool1d(ag.tensor(x), 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(got.numpy(), np_avg_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), True, False)[:, :, 0])
    y = ag.randn(1, 2, 5, 4, dtype=ag.float64, requires_grad=True)
    def f(y):
        return (F.avg_pool2d(y, (3, 2), stride=(2, 1), padding=1, ceil_mode=True) ** 2).sum()
    assert ag.gradcheck(f, [y]) and ag.gradgradcheck(f, [y])


# --- adaptive pooling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("output_size", [(1, 1), (2, 3), (3, 2), (5, 4), (7, 9)])
def test_adaptive_pools_match_numpy(output_size):
    x = rng(7).standard_normal((2, 3, 5, 7))
    got = F.adaptive_avg_pool2d(ag.tensor(x), output_size)
    np.testing.assert_allclose(got.numpy(), np_adaptive(x, output_size, np.mean), rtol=1e-12)
    values, idx = F.adaptive_max_pool2d(ag.tensor(x), output_size, return_indices=True)
    np.testing.assert_array_equal(values.numpy(), np_adaptive(x, output_size, np.max))
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2),
                                  values.numpy().reshape(2, 3, -1))


def test_adaptive_pools_in_one_dim_and_none_sizes():
    x = rng(8).standard_normal((2, 3, 7))
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x), 3).numpy(),
                               np_adaptive(x[:, :, None], (1, 3), np.mean)[:, :, 0], rtol=1e-12)
    np.testing.assert_array_equal(nn.AdaptiveMaxPool1d(4)(ag.tensor(x)).numpy(),
                                  np_adaptive(x[:, :, None], (1, 4), np.max)[:, :, 0])
    assert nn.AdaptiveAvgPool2d((None, 2))(ag.randn(1, 2, 5, 6)).shape == (1, 2, 5, 2)
    assert nn.AdaptiveAvgPool2d(1)(ag.randn(2, 5, 6)).shape == (2, 1, 1)


def test_adaptive_avg_pool_keeps_an_infinity_in_its_own_windows():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 0, 0] = np.inf
    out = F.adaptive_avg_pool2d(ag.tensor(x), 3).numpy()[0, 0]
    assert out[0, 0] == np.inf and np.isfinite(out[1:, :]).all() and np.isfinite(out[:, 1:]).all()


def test_adaptive_gradients_first_and_second_order():
    y = ag.tensor(rng(9).permutation(35).reshape(1, 1, 5, 7) / 5.0, requires_grad=True)
    assert ag.gradgradcheck(lambda y: (F.adaptive_avg_pool2d(y, (3, 4)) ** 2).sum(), [y])
    assert ag.gradgradcheck(lambda y: (F.adaptive_max_pool2d(y, (2, 3)) ** 2).sum(), [y])


# --- layers and errors ------------------------------------------------------------------------------


def test_layers_repr_as_torch():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 2)) == "AvgPool2d(kernel_size=3, stride=2, padding=0)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((1, 2))) == "AdaptiveAvgPool2d(output_size=(1, 2))"
    assert repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    out = nn.MaxPool2d(2, return_indices=True)(ag.randn(1, 1, 4, 4))
    assert isinstance(out, tuple) and out[1].dtype == np.int64


def test_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(5,\)"):
        F.max_pool2d(ag.randn(5), 2)
    with pytest.raises(RuntimeError, match=r"input of shape \(1, 1, 2, 2\) is too small for kernel \(3, 3\)"):
        F.max_pool2d(ag.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the window"):
        F.max_pool2d(ag.randn(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        F.avg_pool2d(ag.randn(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size for a 2-D input takes 2 values, got \(2, 2, 2\)"):
        nn.MaxPool2d((2, 2, 2))(ag.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match="output_size takes 2 values"):
        F.adaptive_avg_pool2d(ag.randn(1, 1, 4, 4), (1, 2, 3))


# --- against torch, when it is installed -------------------------------------------------------------


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng(10).standard_normal((2, 3, 7, 8))
    x[0, 0, :2, :2] = 1.0  # ties
    x[1, 2, 3, 3] = np.nan

    def compare(ours, theirs, data, **kw):
        a, t = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        got, want = ours(a, **kw), theirs(t, **kw)
        if isinstance(got, tuple):
            np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
            got, want = got[0], want[0]
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, equal_nan=True)
        g = rng(11).standard_normal(want.shape)
        got.backward(ag.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-14)

    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(3, 2), stride=(1, 2), dilation=(2, 1), padding=(1, 0))]:
        compare(F.max_pool2d, tf.max_pool2d, x, return_indices=True, **kw)
    for kw in [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(3, 2), ceil_mode=True, padding=1,
                                                               count_include_pad=False),
               dict(kernel_size=2, divisor_override=3, ceil_mode=True, stride=3)]:
        compare(F.avg_pool2d, tf.avg_pool2d, np.nan_to_num(x), **kw)
    for size in [(3, 3), (5, 2), 1, (None, 3)]:
        compare(F.adaptive_avg_pool2d, tf.adaptive_avg_pool2d, np.nan_to_num(x), output_size=size)
        compare(F.adaptive_max_pool2d, tf.adaptive_max_pool2d, np.nan_to_num(x), output_size=size, return_indices=True)
    line = rng(12).standard_normal((2, 3, 11))
    compare(F.max_pool1d, tf.max_pool1d, line, kernel_size=3, stride=2, padding=1, return_indices=True)
    compare(F.avg_pool1d, tf.avg_pool1d, line, kernel_size=4, stride=3, padding=2, ceil_mode=True)
    compare(F.adaptive_avg_pool1d, tf.adaptive_avg_pool1d, line, output_size=4)
    compare(F.adaptive_max_pool1d, tf.adaptive_max_pool1d, line, output_size=4, return_indices=True)
    out, idx = tf.max_pool2d(torch.tensor(x), 3, stride=2, return_indices=True)
    np.testing.assert_array_equal(
        F.max_unpool2d(ag.tensor(out.numpy()), ag.tensor(idx.numpy()), 3, stride=2, output_size=(7, 8)).numpy(),
        tf.max_unpool2d(out, idx, 3, stride=2, output_size=(7, 8)).numpy())
