"""nn.conv in two dims (conv2d, conv_transpose1d/2d and their layers), nn.padding (F.pad) and
nn.fold (unfold, fold): against direct NumPy loops over output positions written here, against
torch when it is installed, shapes, torch's parameter layout and initialisation, and errors
that name the shapes."""

import itertools
import math

import numpy as np
import pytest
from conv_reference import NUMPY_PAD, check_layer, np_conv, same_padding
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F


def np_conv2d(x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, mode="zeros"):
    """The definition (conv_reference.np_conv) on a batched x (N, C, H, W)."""
    return np_conv(x, w, b, stride, padding, dilation, groups, mode)


def np_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                        dilation=(1, 1)):
    """The definition: each input element adds itself times the kernel to the output window it
    spreads over; then the padding is cut from both ends."""
    n, c, h, wd = x.shape
    _, per_group, kh, kw = w.shape
    in_group = c // groups
    full = [(h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
            (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]]
    out = np.zeros((n, per_group * groups, *full))
    for i, ch, r, s in itertools.product(range(n), range(c), range(h), range(wd)):
        g = ch // in_group
        for o, p, q in itertools.product(range(per_group), range(kh), range(kw)):
            out[i, g * per_group + o, r * stride[0] + p * dilation[0], s * stride[1] + q * dilation[1]] += (
                x[i, ch, r, s] * w[ch, o, p, q])
    out = out[:, :, padding[0]:full[0] - padding[0], padding[1]:full[1] - padding[1]]
    return out if b is None else out + b[:, None, None]


def rng(seed=0):
    return np.random.default_rng(seed)


# --- conv2d ------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    groups=st.integers(1, 2), in_per_group=st.integers(1, 2), out_per_group=st.integers(1, 2),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["same", "valid"])),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), size=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    batched=st.booleans(), bias=st.booleans(), padding_mode=st.sampled_from(["zeros", "reflect", "replicate",
                                                                             "circular"]),
    seed=st.integers(0, 2**16),
)
def test_conv2d_layer_matches_numpy(groups, in_per_group, out_per_group, kernel, stride, padding, dilation, size,
                                    batched, bias, padding_mode, seed):
    if padding == "same":
        stride = (1, 1)
    ag.manual_seed(seed)
    conv = nn.Conv2d(groups * in_per_group, groups * out_per_group, kernel, stride=stride, padding=padding,
                     dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode).double()
    if padding == "same":
        pads = same_padding(kernel, dilation)
    else:
        pads = ((0, 0), (0, 0)) if padding == "valid" else tuple((p, p) for p in padding)
    got = check_layer(conv, rng(seed).standard_normal((2, groups * in_per_group, *size)), batched, pads, padding_mode)
    if got is not None and padding == "same":
        assert got.shape[-2:] == size


def test_functional_conv2d_arguments_as_ints_and_pairs():
    x, b = rng(1).standard_normal((2, 4, 7, 6)), rng(2).standard_normal(6)
    w = rng(3).standard_normal((6, 2, 3, 2))
    got = F.conv2d(ag.tensor(x), ag.tensor(w), ag.tensor(b), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    expected = np_conv2d(x, w, b, (2, 1), ((1, 1), (0, 0)), (1, 2), 2)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10)
    assert got.shape == (2, 6, 4, 4)
    # even kernel with 'same': the extra row and column of zeros go at the bottom and right, as in torch
    w_even = rng(4).standard_normal((3, 4, 2, 4))
    got = F.conv2d(ag.tensor(x), ag.tensor(w_even), padding="same")
    np.testing.assert_allclose(got.detach().numpy(), np_conv2d(x, w_even, None, padding=((0, 1), (1, 2))), rtol=1e-10)
    assert got.shape == (2, 3, 7, 6)


def test_conv2d_is_translation_equivariant_and_local():
    ag.manual_seed(2)
    conv = nn.Conv2d(2, 3, 3, stride=2).double()
    x = rng(2).standard_normal((1, 2, 11, 9))
    full = conv(ag.tensor(x)).detach().numpy()
    shifted = conv(ag.tensor(x[:, :, 2:, 4:])).detach().numpy()
    np.testing.assert_allclose(shifted, full[:, :, 1:, 2:], rtol=1e-12)
    x_probe = ag.tensor(x, requires_grad=True)
    (window,) = ag.grad(conv(x_probe)[0, 1, 2, 3], x_probe)
    rows, cols = np.nonzero(np.abs(window.numpy()).sum((0, 1)))
    assert set(rows) == {4, 5, 6} and set(cols) == {6, 7, 8}  # the 3x3 window at (2 * 2, 3 * 2)


def test_conv2d_gradients_first_and_second_order():
    ag.manual_seed(3)
    x = ag.randn(2, 2, 4, 5, dtype=ag.float64, requires_grad=True)
    w = ag.randn(4, 1, 2, 3, dtype=ag.float64, requires_grad=True)
    b = ag.randn(4, dtype=ag.float64, requires_grad=True)
    proj = ag.randn(2, 4, 4, 3, dtype=ag.float64)

    def f(x, w, b):
        return (F.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1), groups=2).tanh() * proj).sum()
    assert ag.gradcheck(f, [x, w, b])
    assert ag.gradgradcheck(f, [x, w, b])


def test_conv2d_with_non_zero_padding_modes_gradcheck():
    ag.manual_seed(4)
    for mode in ("reflect", "replicate", "circular"):
        conv = nn.Conv2d(1, 2, 3, padding=(1, 2), padding_mode=mode).double()
        x = ag.randn(1, 1, 3, 3, dtype=ag.float64, requires_grad=True)
        assert ag.gradcheck(lambda x, *p, conv=conv: conv(x), [x, *conv.parameters()])


# --- transposed convolution -----------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    groups=st.integers(1, 2), in_per_group=st.integers(1, 2), out_per_group=st.integers(1, 2),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.tuples(st.integers(1, 3), st.integers(1, 2)),
    padding=st.tuples(st.integers(0, 1), st.integers(0, 1)), dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    extra=st.tuples(st.integers(0, 2), st.integers(0, 1)), size=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    batched=st.booleans(), seed=st.integers(0, 2**16),
)
def test_conv_transpose2d_matches_numpy(groups, in_per_group, out_per_group, kernel, stride, padding, dilation, extra,
                                        size, batched, seed):
    extra = tuple(min(e, max(s, d) - 1) for e, s, d in zip(extra, stride, dilation))
    ag.manual_seed(seed)
    layer = nn.ConvTranspose2d(groups * in_per_group, groups * out_per_group, kernel, stride=stride, padding=padding,
                               output_padding=extra, groups=groups, dilation=dilation).double()
    x = rng(seed).standard_normal((2, groups * in_per_group, *size))
    out_size = [(n - 1) * s - 2 * p + d * (k - 1) + e + 1
                for n, s, p, d, k, e in zip(size, stride, padding, dilation, kernel, extra)]
    x_in = ag.tensor(x if batched else x[0])
    if min(out_size) < 1:
        with pytest.raises(RuntimeError, match="gives an output of size"):
            layer(x_in)
        return
    expected = np_conv_transpose2d(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(), stride, padding,
                                   extra, groups, dilation)
    got = layer(x_in)
    np.testing.assert_allclose(got.detach().numpy(), expected if batched else expected[0], rtol=1e-10, atol=1e-12)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x, w), y> = <x, conv_transpose(y, w)> for every x and y: the transpose of the linear map."""
    x, w = rng(5).standard_normal((2, 4, 7, 8)), rng(6).standard_normal((6, 2, 3, 2))
    kwargs = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)
    out = F.conv2d(ag.tensor(x), ag.tensor(w), **kwargs)
    y = rng(7).standard_normal(out.shape)
    back = F.conv_transpose2d(ag.tensor(y), ag.tensor(w), output_padding=(0, 2), **kwargs)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(out.detach().numpy() * y), np.sum(x * back.detach().numpy()), rtol=1e-10)


def test_conv_transpose1d_and_the_output_size_argument():
    x, w, b = rng(8).standard_normal((2, 3, 5)), rng(9).standard_normal((3, 2, 3)), rng(10).standard_normal(2)
    got = F.conv_transpose1d(ag.tensor(x), ag.tensor(w), ag.tensor(b), stride=2, padding=1, output_padding=1)
    expected = np_conv_transpose2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (0, 1))[:, :, 0]
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    assert layer(ag.randn(1, 3, 4, 4)).shape == (1, 2, 7, 7)
    assert layer(ag.randn(1, 3, 4, 4), output_size=(8, 7)).shape == (1, 2, 8, 7)
    with pytest.raises(ValueError, match=r"output_size \(9, 7\).*\[7, 8\]"):
        layer(ag.randn(1, 3, 4, 4), output_size=(9, 7))


def test_conv_transpose2d_gradients_first_and_second_order():
    ag.manual_seed(11)
    x = ag.randn(1, 2, 3, 2, dtype=ag.float64, requires_grad=True)
    w = ag.randn(2, 2, 2, 3, dtype=ag.float64, requires_grad=True)
    proj = ag.randn(1, 2, 7, 6, dtype=ag.float64)

    def f(x, w):
        return (F.conv_transpose2d(x, w, stride=2, output_padding=1).tanh() * proj).sum()
    assert ag.gradcheck(f, [x, w])
    assert ag.gradgradcheck(f, [x, w])


# --- layers: parameters as torch lays them out -----------------------------------------------------


def test_parameter_shapes_and_initialisation():
    ag.manual_seed(5)
    conv = nn.Conv2d(8, 12, (3, 5), groups=2)
    assert [(n, p.shape) for n, p in conv.named_parameters()] == [("weight", (12, 4, 3, 5)), ("bias", (12,))]
    bound = 1.0 / math.sqrt(4 * 3 * 5)  # fan_in = in_channels / groups * kernel size
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(conv.bias.detach().numpy()).max() <= bound
    assert w.min() < -0.9 * bound and w.max() > 0.9 * bound
    transposed = nn.ConvTranspose2d(6, 4, 3, groups=2)
    assert transposed.weight.shape == (6, 2, 3, 3) and transposed.bias.shape == (4,)
    t_bound = 1.0 / math.sqrt(2 * 9)  # torch reads fan_in from the weight's dim 1: out_channels / groups
    assert np.abs(transposed.weight.detach().numpy()).max() <= t_bound
    assert transposed.weight.detach().numpy().max() > 0.9 * t_bound
    assert nn.Conv2d(2, 3, 1, bias=False).bias is None
    assert nn.Conv2d(2, 3, 3, stride=2).stride == (2, 2) and nn.Conv2d(2, 3, (3, 1)).kernel_size == (3, 1)
    double = nn.Conv2d(2, 3, 3, dtype=ag.float64)
    assert double.weight.dtype == np.float64 and double(ag.ones(1, 2, 4, 4, dtype=ag.float64)).dtype == np.float64


def test_repr_as_torch():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(2, 4, 3, padding="same", bias=False)) == (
        "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False)")
    assert repr(nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))")
    assert repr(nn.ConvTranspose1d(2, 4, 3, groups=2, dilation=2)) == (
        "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(1,), dilation=(2,), groups=2)")


# --- bad input --------------------------------------------------------------------------------------


def test_errors_name_the_shapes():
    conv = nn.Conv2d(4, 2, 3, groups=2)
    with pytest.raises(RuntimeError, match=r"\(1, 3, 8, 8\) has 3 channels.*groups=2 expects 4"):
        conv(ag.randn(1, 3, 8, 8))
    with pytest.raises(RuntimeError, match=r"3-D.*4-D.*got shape \(4, 8\)"):
        conv(ag.randn(4, 8))
    with pytest.raises(RuntimeError, match=r"weight must be 4-D.*\(3, 2, 3\)"):
        F.conv2d(ag.randn(1, 2, 8, 8), ag.randn(3, 2, 3))
    with pytest.raises(RuntimeError, match=r"bias has shape \(2,\), expected \(3,\)"):
        F.conv2d(ag.randn(1, 2, 8, 8), ag.randn(3, 2, 1, 1), ag.randn(2))
    with pytest.raises(RuntimeError, match=r"along dim 3 the kernel spans 5 positions.*only 4 \(length 2 \+ padding 1"):
        F.conv2d(ag.randn(1, 2, 8, 2), ag.randn(3, 2, 3, 5), padding=1)
    with pytest.raises(RuntimeError, match=r"stride=\(2, 1\)"):
        F.conv2d(ag.randn(1, 2, 8, 8), ag.randn(3, 2, 3, 3), stride=(2, 1), padding="same")
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller"):
        F.conv_transpose2d(ag.randn(1, 2, 5, 5), ag.randn(2, 3, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match=r"input of shape \(1, 3, 5, 5\) has 3 channels.*expects 2"):
        F.conv_transpose2d(ag.randn(1, 3, 5, 5), ag.randn(2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"kernel_size for a 2-D input takes 2 values, got \(3, 3, 3\)"):
        nn.Conv2d(2, 2, (3, 3, 3))
    with pytest.raises(ValueError, match="only padding_mode 'zeros'"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding must be an int or a tuple of ints, got 'same'"):
        nn.ConvTranspose2d(2, 2, 3, padding="same")
    with pytest.raises(TypeError, match="input and weight must be Tensors"):
        F.conv2d(np.zeros((1, 1, 3, 3)), ag.randn(1, 1, 1, 1))


# --- F.pad ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_numpy(mode):
    x = rng(12).standard_normal((2, 3, 4, 5))
    # the modes other than constant pad 2 dims of a 4-D input (1 of a 3-D one), as in torch
    for widths in [(1, 2), (0, 3, 2, 1), (2, 0, 0, 3)] if mode == "constant" else [(0, 3, 2, 1), (2, 0, 0, 3)]:
        got = F.pad(ag.tensor(x), widths, mode=mode)
        pairs = [(0, 0)] * (4 - len(widths) // 2) + [widths[i:i + 2] for i in range(len(widths) - 2, -1, -2)]
        np.testing.assert_array_equal(got.detach().numpy(), np.pad(x, pairs, mode=NUMPY_PAD[mode]))
    filled = F.pad(ag.tensor(x), (1, 1, 1, 1, 1, 0), value=-2.5)
    np.testing.assert_array_equal(filled.detach().numpy(), np.pad(x, [(0, 0), (1, 0), (1, 1), (1, 1)],
                                                                  constant_values=-2.5))


def test_pad_negative_widths_crop():
    x = np.arange(10.0).reshape(2, 5)
    np.testing.assert_array_equal(F.pad(ag.tensor(x), (-1, 2)).numpy(), np.pad(x[:, 1:], [(0, 0), (0, 2)]))
    # reflect about the original edge, circular around what the crop leaves (as torch does)
    row = ag.tensor(np.arange(5.0).reshape(1, 1, 5))
    assert F.pad(row, (-1, 2), mode="reflect").numpy().ravel().tolist() == [1, 2, 3, 4, 3, 2]
    assert F.pad(row, (-1, 2), mode="circular").numpy().ravel().tolist() == [1, 2, 3, 4, 1, 2]
    assert F.pad(row, (2, -2), mode="replicate").numpy().ravel().tolist() == [0, 0, 0, 1, 2]


def test_pad_gradient_adds_up_where_an_element_is_repeated():
    x = ag.tensor(np.arange(4.0).reshape(1, 1, 4), requires_grad=True)
    F.pad(x, (2, 1), mode="replicate").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [3, 1, 1, 2])
    x.grad = None
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 3, 3, 1])  # 2 1 | 0 1 2 3 | 2 1
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = ag.randn(1, 2, 3, 3, dtype=ag.float64, requires_grad=True)
        assert ag.gradgradcheck(lambda y, mode=mode: (F.pad(y, (1, 2, 2, 0), mode=mode) ** 2).sum(), [y])


def test_pad_errors():
    with pytest.raises(ValueError, match=r"pair per dim, got 3 values \(1, 1, 1\)"):
        F.pad(ag.zeros(2, 3), (1, 1, 1))
    with pytest.raises(NotImplementedError, match="'mirror'"):
        F.pad(ag.zeros(1, 2, 3), (1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match=r"reflect padding \(3, 1\).*input length 3.*dim 2 of shape \(1, 1, 3\)"):
        F.pad(ag.zeros(1, 1, 3), (3, 1), mode="reflect")
    with pytest.raises(RuntimeError, match=r"circular padding \(4, 0\).*length 3"):
        F.pad(ag.zeros(1, 1, 3), (4, 0), mode="circular")
    with pytest.raises(NotImplementedError, match=r"2 pairs for an input of shape \(5, 5\)"):
        F.pad(ag.zeros(5, 5), (1, 1, 1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match=r"dim 1 of shape \(1, 3\) padded by \(-2, -2\) would have -1 elements"):
        F.pad(ag.zeros(1, 3), (-2, -2))


# --- unfold and fold -----------------------------------------------------------------------------------


def np_unfold(x, kernel, dilation, padding, stride):
    """Column (i, j) of each sample: the window at output position (i, j), channel by channel."""
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, w = x.shape
    oh = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c * kernel[0] * kernel[1], oh * ow))
    for r, s in itertools.product(range(oh), range(ow)):
        rows = r * stride[0] + dilation[0] * np.arange(kernel[0])
        cols = s * stride[1] + dilation[1] * np.arange(kernel[1])
        out[:, :, r * ow + s] = x[:, :, rows[:, None], cols[None, :]].reshape(n, -1)
    return out


def test_unfold_and_fold_match_numpy_and_are_adjoint():
    x = rng(13).standard_normal((2, 3, 6, 5))
    args = dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1))
    cols = F.unfold(ag.tensor(x), **args)
    np.testing.assert_array_equal(cols.numpy(), np_unfold(x, (3, 2), (1, 2), (1, 0), (2, 1)))
    y = rng(14).standard_normal(cols.shape)
    back = F.fold(ag.tensor(y), (6, 5), **args)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols.numpy() * y), np.sum(x * back.numpy()), rtol=1e-10)
    # fold(unfold(x)) counts each element once per window that holds it
    ones = F.fold(F.unfold(ag.ones(1, 1, 4, 4), 2), (4, 4), 2).numpy()[0, 0]
    np.testing.assert_array_equal(ones, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    layer = nn.Unfold(2, stride=2)
    assert layer(ag.randn(3, 4, 4)).shape == (12, 4) and nn.Fold((4, 4), 2, stride=2)(ag.randn(12, 4)).shape == (
        3, 4, 4)


def test_unfold_fold_errors():
    with pytest.raises(RuntimeError, match=r"no window.*\(0, 4\) windows"):
        F.unfold(ag.randn(1, 1, 1, 5), 2)
    with pytest.raises(RuntimeError, match=r"5 rows, not a multiple of the kernel's 4"):
        F.fold(ag.randn(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match=r"2 \* 2 windows, but input of shape \(1, 4, 5\) has 5 columns"):
        F.fold(ag.randn(1, 4, 5), (3, 3), 2)


# --- against torch, when it is installed ----------------------------------------------------------------


def test_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng(15).standard_normal((2, 4, 9, 8))
    for kwargs in [dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same", padding_mode="reflect"),
                   dict(padding=(2, 1), padding_mode="circular", stride=(1, 2)), dict(padding=1,
                                                                                       padding_mode="replicate")]:
        ours = nn.Conv2d(4, 6, (3, 2), **kwargs).double()
        theirs = torch.nn.Conv2d(4, 6, (3, 2), **kwargs).double()
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
        got, want = ours(ag.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng(16).standard_normal(want.shape)
        got.backward(ag.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-9)
    for kwargs in [dict(stride=2, padding=1, output_padding=1, groups=2), dict(stride=(1, 3), dilation=(2, 1))]:
        ours = nn.ConvTranspose2d(4, 6, 3, **kwargs).double()
        theirs = torch.nn.ConvTranspose2d(4, 6, 3, **kwargs).double()
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
        np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_torch_state_dict_loads():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ConvTranspose2d(8, 2, 2, stride=2))
    ours = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ConvTranspose2d(8, 2, 2, stride=2))
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng(17).standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_pad_unfold_fold_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng(18).standard_normal((2, 3, 5, 6))
    for mode in ("constant", "reflect", "replicate", "circular"):
        for widths in [(1, 2, 3, 0), (-1, 2, 2, -1)]:
            np.testing.assert_array_equal(F.pad(ag.tensor(x), widths, mode=mode).numpy(),
                                          tf.pad(torch.tensor(x), widths, mode=mode).numpy())
    args = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    np.testing.assert_array_equal(F.unfold(ag.tensor(x), **args).numpy(), tf.unfold(torch.tensor(x), **args).numpy())
    cols = rng(19).standard_normal(tf.unfold(torch.tensor(x), **args).shape)
    np.testing.assert_allclose(F.fold(ag.tensor(cols), (5, 6), **args).numpy(),
                               tf.fold(torch.tensor(cols), (5, 6), **args).numpy(), rtol=1e-12)
