"""nn.conv: Conv1d and conv1d against a direct NumPy loop over output positions, finite
differences, torch's conventions (shapes, initialisation, padding rules), and torch itself
when it is installed."""

import math

import numpy as np
import pytest
from conv_reference import check_layer, np_conv, same_padding
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd as ag
import nn


def np_conv1d(x, w, b, stride=1, padding=(0, 0), dilation=1, groups=1, padding_mode="zeros"):
    """The definition (conv_reference.np_conv) on a batched x (N, C, L)."""
    return np_conv(x, w, b, (stride,), (padding,), (dilation,), groups, padding_mode)


@settings(max_examples=80, deadline=None)
@given(
    groups=st.integers(1, 3),
    in_per_group=st.integers(1, 2),
    out_per_group=st.integers(1, 2),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])),
    dilation=st.integers(1, 3),
    length=st.integers(1, 8),
    batch=st.integers(1, 2),
    batched=st.booleans(),
    bias=st.booleans(),
    padding_mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    seed=st.integers(0, 2**16),
)
def test_conv1d_matches_numpy(groups, in_per_group, out_per_group, kernel, stride, padding, dilation, length, batch,
                              batched, bias, padding_mode, seed):
    assume(not (padding == "same" and stride != 1))
    ag.manual_seed(seed)
    conv = nn.Conv1d(groups * in_per_group, groups * out_per_group, kernel, stride=stride, padding=padding,
                     dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode).double()
    if padding == "same":
        (pads,) = same_padding((kernel,), (dilation,))
    else:
        pads = (0, 0) if padding == "valid" else (padding, padding)
    x = np.random.default_rng(seed).standard_normal((batch, groups * in_per_group, length))
    got = check_layer(conv, x, batched, (pads,), padding_mode)
    if got is not None and padding == "same":
        assert got.shape[-1] == length


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, 3, "same"])
def test_padding_modes_match_numpy(padding_mode, padding):
    """Both edges padded, every padded position inside some window."""
    ag.manual_seed(7)
    conv = nn.Conv1d(2, 3, 4, padding=padding, padding_mode=padding_mode).double()
    x = np.random.default_rng(7).standard_normal((2, 2, 5))
    pads = same_padding((4,), (1,))[0] if padding == "same" else (padding, padding)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    expected = np_conv1d(x, w, b, padding=pads, padding_mode=padding_mode)
    np.testing.assert_allclose(conv(ag.tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_functional_conv1d_matches_numpy():
    rng = np.random.default_rng(1)
    x, b = rng.standard_normal((2, 4, 9)), rng.standard_normal(6)
    for kwargs, pads in [
        (dict(stride=2, padding=1, dilation=2, groups=2), (1, 1)),
        (dict(padding="same", dilation=3, groups=2), (3, 3)),
        (dict(padding="valid"), (0, 0)),
    ]:
        w = rng.standard_normal((6, 4 // kwargs.get("groups", 1), 3))
        got = nn.conv1d(ag.tensor(x), ag.tensor(w), ag.tensor(b), **kwargs)
        np_kwargs = {k: v for k, v in kwargs.items() if k != "padding"}
        np.testing.assert_allclose(got.detach().numpy(), np_conv1d(x, w, b, padding=pads, **np_kwargs), rtol=1e-10)
    # even kernel with 'same': the extra zero goes on the right, so the output keeps the length
    w_even = rng.standard_normal((3, 4, 4))
    got = nn.conv1d(ag.tensor(x), ag.tensor(w_even), padding="same")
    np.testing.assert_allclose(got.detach().numpy(), np_conv1d(x, w_even, None, padding=(1, 2)), rtol=1e-10)
    assert got.shape == (2, 3, 9)


def test_conv_is_translation_equivariant():
    """The lectures' locality and symmetry: shifting the input by the stride shifts the output by one."""
    ag.manual_seed(2)
    conv = nn.Conv1d(2, 3, 3, stride=2).double()
    x = np.random.default_rng(2).standard_normal((1, 2, 13))
    full = conv(ag.tensor(x)).detach().numpy()
    shifted = conv(ag.tensor(x[:, :, 2:])).detach().numpy()
    np.testing.assert_allclose(shifted, full[:, :, 1:], rtol=1e-12)
    # locality: an output depends only on the inputs under its window
    x2 = x.copy()
    x2[:, :, 12] += 1.0
    np.testing.assert_array_equal(conv(ag.tensor(x2)).detach().numpy()[:, :, :5], full[:, :, :5])


# --- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(stride=2, padding=2, dilation=2),
        dict(padding="same", groups=2),
        dict(padding=1, padding_mode="reflect"),
        dict(padding=2, padding_mode="circular", bias=False),
    ],
)
def test_conv1d_gradcheck(kwargs):
    ag.manual_seed(3)
    conv = nn.Conv1d(2, 2, 3, **kwargs).double()
    x = ag.randn(2, 2, 5, dtype=ag.float64, requires_grad=True)
    ag.gradcheck(lambda x, *p: conv(x), [x, *conv.parameters()])


def test_conv1d_gradgradcheck():
    ag.manual_seed(4)
    x = ag.randn(1, 2, 4, dtype=ag.float64, requires_grad=True)
    w = ag.randn(2, 2, 2, dtype=ag.float64, requires_grad=True)
    b = ag.randn(2, dtype=ag.float64, requires_grad=True)
    proj = ag.randn(1, 2, 5, dtype=ag.float64)
    # tanh makes the output non-linear in (x, w), so the second derivatives are not all zero
    ag.gradgradcheck(lambda x, w, b: (nn.conv1d(x, w, b, padding=1).tanh() * proj).sum(), [x, w, b])


# --- parameters ----------------------------------------------------------------------------------
def test_parameters_shapes_and_initialisation():
    ag.manual_seed(5)
    conv = nn.Conv1d(8, 12, 5, groups=2)
    assert [(n, p.shape) for n, p in conv.named_parameters()] == [("weight", (12, 4, 5)), ("bias", (12,))]
    assert conv.weight.dtype == np.float32
    bound = 1.0 / math.sqrt(4 * 5)  # fan_in = in_channels / groups * kernel_size
    for p in conv.parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
    w = conv.weight.detach().numpy().ravel()
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert w.min() < -0.9 * bound and w.max() > 0.9 * bound
    assert nn.Conv1d(2, 3, 1, bias=False).bias is None
    assert nn.Conv1d(2, 3, 1).kernel_size == (1,) and nn.Conv1d(2, 3, 1, stride=2).stride == (2,)


def test_repr():
    assert repr(nn.Conv1d(2, 4, 3)) == "Conv1d(2, 4, kernel_size=(3,), stride=(1,))"
    assert (
        repr(nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect"))
        == "Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, bias=False, "
        "padding_mode=reflect)"
    )
    assert repr(nn.Conv1d(2, 4, 3, padding="same")) == "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same)"


# --- bad input -----------------------------------------------------------------------------------
def test_kernel_larger_than_padded_input():
    conv = nn.Conv1d(2, 3, 5, padding=1)
    with pytest.raises(RuntimeError, match=r"spans 5 positions.*only 4 \(length 2 \+ padding 1 \+ 1\)"):
        conv(ag.randn(1, 2, 2))
    with pytest.raises(RuntimeError, match=r"spans 7 positions \(kernel_size=4, dilation=2\)"):
        nn.conv1d(ag.randn(1, 2, 6), ag.randn(3, 2, 4), dilation=2)


def test_wrong_channels_and_dims():
    conv = nn.Conv1d(4, 2, 3, groups=2)
    with pytest.raises(RuntimeError, match=r"\(1, 3, 8\) has 3 channels.*groups=2 expects 4"):
        conv(ag.randn(1, 3, 8))
    with pytest.raises(RuntimeError, match=r"2-D.*3-D.*got shape \(1, 1, 4, 8\)"):
        conv(ag.randn(1, 1, 4, 8))
    with pytest.raises(RuntimeError, match=r"weight must be 3-D.*\(3, 2\)"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(3, 2))
    with pytest.raises(RuntimeError, match=r"bias has shape \(2,\), expected \(3,\)"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(3, 2, 1), ag.randn(2))
    with pytest.raises(RuntimeError, match=r"3 output channels, not divisible by groups=2"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(3, 1, 1), groups=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"in_channels=3 and out_channels=4.*groups=2"):
        nn.Conv1d(3, 4, 1, groups=2)
    with pytest.raises(ValueError, match="'full'"):
        nn.Conv1d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="'full'"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(2, 2, 3), padding="full")
    with pytest.raises(ValueError, match="stride=2"):
        nn.Conv1d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="stride=2"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(2, 2, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="'mirror'"):
        nn.Conv1d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding must be at least 0, got -1"):
        nn.Conv1d(2, 2, 3, padding=-1)
    with pytest.raises(ValueError, match="stride must be at least 1, got 0"):
        nn.conv1d(ag.randn(1, 2, 8), ag.randn(2, 2, 3), stride=0)
    with pytest.raises(TypeError, match=r"kernel_size must be an int, got float 2\.5"):
        nn.Conv1d(2, 2, 2.5)
    with pytest.raises(ValueError, match=r"one value, got \(3, 3\)"):
        nn.Conv1d(2, 2, (3, 3))
    with pytest.raises(RuntimeError, match=r"reflect padding \(3, 3\).*input length 3"):
        nn.Conv1d(1, 1, 3, padding=3, padding_mode="reflect")(ag.randn(1, 1, 3))


# --- against torch, when it is installed -------------------------------------------------------
def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for kwargs in [dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same", padding_mode="reflect")]:
        ours = nn.Conv1d(4, 6, 3, **kwargs).double()
        theirs = torch.nn.Conv1d(4, 6, 3, **kwargs).double()
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
        x = rng.standard_normal((2, 4, 9))
        got, want = ours(ag.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10, atol=1e-12)
        got.sum().backward()
        want.sum().backward()
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
