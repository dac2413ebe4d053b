"""nn.functional's activations and layer functions: values against NumPy written here,
gradients against finite differences (first and second order), and bad input."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F

_erf_ref = np.frompyfunc(math.erf, 1, 1)


def erf_ref(x):
    return _erf_ref(np.asarray(x, dtype=np.float64)).astype(np.float64)


def dtensor(a, requires_grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --- erf -------------------------------------------------------------------------------------


def test_erf_matches_math_erf_to_double_precision():
    # Dense over both branches (power series below 2.5, continued fraction above) and the tails.
    x = np.concatenate([np.linspace(-7, 7, 40001), [0.0, -0.0, 1e-300, 2.5, -2.5, 2.4999999, 30.0, -30.0]])
    got = F.erf(ag.tensor(x)).numpy()
    np.testing.assert_allclose(got, erf_ref(x), rtol=0, atol=3e-15)
    # Relative accuracy near zero, where erf(x) ~ 2x/sqrt(pi).
    small = np.geomspace(1e-12, 1e-1, 50)
    np.testing.assert_allclose(F.erf(ag.tensor(small)).numpy(), erf_ref(small), rtol=1e-14)


def test_erf_special_values_and_dtype():
    got = F.erf(ag.tensor([np.inf, -np.inf, np.nan], dtype="float64")).numpy()
    assert got[0] == 1.0 and got[1] == -1.0 and np.isnan(got[2])
    assert F.erf(ag.tensor([0.5, 1.0])).dtype == np.float32
    assert F.erf(ag.tensor([[0.5]], dtype="float64")).shape == (1, 1)


def test_erf_gradient_first_and_second_order(rng):
    x = dtensor(rng.uniform(-3.5, 3.5, 7))
    assert ag.gradcheck(F.erf, [x])
    assert ag.gradgradcheck(F.erf, [x])
    (g,) = ag.grad(F.erf(x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), 2 / math.sqrt(math.pi) * np.exp(-(x.detach().numpy()**2)), rtol=1e-14)


# --- activations -----------------------------------------------------------------------------

ACTIVATION_REFS = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "tanh": (F.tanh, np.tanh),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "gelu": (F.gelu, lambda x: x * 0.5 * (1 + erf_ref(x / math.sqrt(2)))),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "softplus": (F.softplus, lambda x: np.log1p(np.exp(x))),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2),
    "softmax": (lambda x: F.softmax(x, dim=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    "log_softmax": (
        lambda x: F.log_softmax(x, dim=0),
        lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)),
    ),
}


def _away_from_kinks(rng, shape):
    x = rng.uniform(-3, 3, shape)
    return np.where(np.abs(x) < 0.1, x + 0.3, x)  # relu/leaky_relu have a kink at 0


@pytest.mark.parametrize("name", ACTIVATION_REFS)
def test_activation_values(name, rng):
    fn, ref = ACTIVATION_REFS[name]
    x = _away_from_kinks(rng, (3, 4))
    np.testing.assert_allclose(fn(ag.tensor(x)).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    out32 = fn(ag.tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.numpy(), ref(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ACTIVATION_REFS)
def test_activation_gradients(name, rng):
    fn, _ = ACTIVATION_REFS[name]
    x = dtensor(_away_from_kinks(rng, (2, 3)))
    assert ag.gradcheck(fn, [x])
    assert ag.gradgradcheck(fn, [x])


def test_gelu_derivative_is_phi_plus_x_times_density(rng):
    x = dtensor(rng.uniform(-4, 4, 9))
    (g,) = ag.grad(F.gelu(x).sum(), [x])
    xv = x.detach().numpy()
    expected = 0.5 * (1 + erf_ref(xv / math.sqrt(2))) + xv * np.exp(-(xv**2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-13)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="'sigmoid'"):
        F.gelu(ag.tensor([1.0]), approximate="sigmoid")
    with pytest.raises(ValueError, match="'fast'"):
        nn.GELU("fast")


def test_softplus_is_stable_and_linear_past_threshold():
    x = ag.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype="float64", requires_grad=True)
    y = F.softplus(x)
    assert np.all(np.isfinite(y.detach().numpy()))
    expected = [0.0, math.exp(-50.0), math.log(2.0), 50.0, 1000.0]
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-15, atol=0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, math.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)
    # beta * x above threshold is returned unchanged (the identity, as torch).
    z = ag.tensor([3.0, 30.0], dtype="float64")
    np.testing.assert_array_equal(F.softplus(z, beta=1.0, threshold=5.0).numpy()[1], 30.0)


def test_softmax_without_dim_warns_and_uses_the_class_dim(rng):
    x = rng.standard_normal((2, 3))
    with pytest.warns(UserWarning, match="dim=1"):
        y = F.softmax(ag.tensor(x))
    np.testing.assert_allclose(y.numpy().sum(1), 1.0, rtol=1e-6)
    with pytest.warns(UserWarning, match="dim=0"):
        F.log_softmax(ag.tensor(x[0]))


def test_softmax_dtype_argument_casts_first():
    y = F.softmax(ag.tensor([1.0, 2.0]), dim=0, dtype="float64")
    assert y.dtype == np.float64


def test_leaky_relu_slope_below_zero_including_zero():
    x = dtensor([-2.0, 0.0, 3.0])
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1.0])


# --- linear ----------------------------------------------------------------------------------


def test_linear_values_and_gradients(rng):
    x, w = dtensor(rng.standard_normal((3, 4))), dtensor(rng.standard_normal((2, 4)))
    b = dtensor(rng.standard_normal(2))
    xv, wv, bv = x.detach().numpy(), w.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(F.linear(x, w, b).detach().numpy(), xv @ wv.T + bv, rtol=1e-13)
    np.testing.assert_allclose(F.linear(x, w).detach().numpy(), xv @ wv.T, rtol=1e-13)
    assert ag.gradcheck(F.linear, [x, w, b])
    assert ag.gradgradcheck(F.linear, [x, w, b])


def test_linear_accepts_any_leading_dims(rng):
    w = ag.tensor(rng.standard_normal((5, 3)))
    assert F.linear(ag.tensor(rng.standard_normal(3)), w).shape == (5,)
    assert F.linear(ag.tensor(rng.standard_normal((2, 4, 3))), w).shape == (2, 4, 5)


def test_linear_names_expected_and_actual_features():
    with pytest.raises(ValueError, match=r"expected input with 3 features.*got 4.*\(2, 4\)"):
        F.linear(ag.zeros(2, 4), ag.zeros(5, 3))
    with pytest.raises(ValueError, match=r"weight must be 2-D.*\(3,\)"):
        F.linear(ag.zeros(2, 3), ag.zeros(3))


# --- dropout ---------------------------------------------------------------------------------


def test_dropout_zeroes_about_p_and_scales_survivors():
    ag.manual_seed(0)
    x = ag.ones(200, 100)
    y = F.dropout(x, p=0.3).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01  # 20000 draws: the standard error is 0.0032
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_gradient_is_the_same_mask_scaled():
    ag.manual_seed(1)
    x = dtensor(np.ones((4, 5)))
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # both 2 where kept, 0 where dropped


def test_dropout_identity_when_not_training_or_p_zero_and_zero_at_p_one():
    x = ag.tensor([1.0, 2.0, 3.0])
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0.0)


def test_dropout_is_reproducible_under_manual_seed():
    ag.manual_seed(7)
    a = F.dropout(ag.ones(50), 0.5).numpy()
    ag.manual_seed(7)
    b = F.dropout(ag.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "a", None, True])
def test_dropout_refuses_p_outside_unit_interval(p):
    # A string used to fail inside the comparison, with a TypeError that named neither p nor dropout.
    with pytest.raises(ValueError, match=rf"dropout: probability p must be a number in \[0, 1\], got {p!r}"):
        F.dropout(ag.ones(3), p)


# --- one_hot ---------------------------------------------------------------------------------


def test_one_hot_values_shape_and_inferred_classes():
    idx = np.array([[0, 2], [1, 3]])
    out = F.one_hot(ag.tensor(idx), 5)
    assert out.dtype == np.int64 and out.shape == (2, 2, 5)
    np.testing.assert_array_equal(out.numpy(), np.eye(5, dtype=np.int64)[idx])
    assert F.one_hot(ag.tensor(idx)).shape == (2, 2, 4)


def test_one_hot_bad_input():
    with pytest.raises(IndexError, match=r"index 3 is out of range for 3 classes"):
        F.one_hot(ag.tensor([0, 3]), 3)
    with pytest.raises(IndexError, match="-1"):
        F.one_hot(ag.tensor([0, -1]), 3)
    with pytest.raises(TypeError, match="float32"):
        F.one_hot(ag.tensor([0.0, 1.0]))


# --- layer_norm and batch_norm ---------------------------------------------------------------


def layer_norm_ref(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    return out * (1 if w is None else w) + (0 if b is None else b)


def test_layer_norm_values_and_gradients(rng):
    x = dtensor(rng.standard_normal((2, 3, 4)))
    w, b = dtensor(rng.standard_normal((3, 4))), dtensor(rng.standard_normal((3, 4)))
    expected = layer_norm_ref(x.detach().numpy(), 2, w.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(F.layer_norm(x, (3, 4), w, b).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.layer_norm(x, 4).detach().numpy(), layer_norm_ref(x.detach().numpy(), 1), rtol=1e-12)
    small = dtensor(rng.standard_normal((2, 3)))
    ws, bs = dtensor(rng.standard_normal(3)), dtensor(rng.standard_normal(3))
    fn = lambda x, w, b: F.layer_norm(x, 3, w, b)
    assert ag.gradcheck(fn, [small, ws, bs])
    assert ag.gradgradcheck(fn, [small, ws, bs])


def test_layer_norm_shape_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(5,\).*\(2, 4\)"):
        F.layer_norm(ag.zeros(2, 4), 5)


def batch_norm_ref(x, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
def test_batch_norm_training_values_and_running_update(shape, rng):
    x = rng.standard_normal(shape) * 2 + 1
    rm, rv = ag.zeros(3, dtype="float64"), ag.ones(3, dtype="float64")
    out = F.batch_norm(ag.tensor(x), rm, rv, training=True, momentum=0.25)
    np.testing.assert_allclose(out.numpy(), batch_norm_ref(x), rtol=1e-12)
    axes = (0,) + tuple(range(2, x.ndim))
    np.testing.assert_allclose(rm.numpy(), 0.25 * x.mean(axes), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * x.var(axes, ddof=1), rtol=1e-12)


def test_batch_norm_eval_uses_running_statistics(rng):
    x = rng.standard_normal((4, 3))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    out = F.batch_norm(ag.tensor(x), ag.tensor(rm), ag.tensor(rv), ag.tensor(w), ag.tensor(b), training=False)
    np.testing.assert_allclose(out.numpy(), (x - rm) / np.sqrt(rv + 1e-5) * w + b, rtol=1e-12)


def test_batch_norm_gradients_in_both_modes(rng):
    x = dtensor(rng.standard_normal((4, 2, 3)))
    w, b = dtensor(rng.standard_normal(2)), dtensor(rng.standard_normal(2))
    train = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)
    assert ag.gradcheck(train, [x, w, b])
    assert ag.gradgradcheck(train, [dtensor(rng.standard_normal((3, 2))), w, b])
    rm, rv = ag.tensor(rng.standard_normal(2)), ag.tensor(rng.uniform(0.5, 2, 2))
    evaluate = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False)
    assert ag.gradcheck(evaluate, [x, w, b])


def test_batch_norm_refuses_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 3\)"):
        F.batch_norm(ag.zeros(1, 3), None, None, training=True)
    # One sample with a length dim is fine, and so is evaluation.
    F.batch_norm(ag.randn(1, 3, 4), None, None, training=True)
    F.batch_norm(ag.zeros(1, 3), ag.zeros(3), ag.ones(3), training=False)


def test_batch_norm_statistics_shape_checked():
    with pytest.raises(ValueError, match=r"running_mean has shape \(4,\), expected \(3,\)"):
        F.batch_norm(ag.zeros(2, 3), ag.zeros(4), ag.ones(3), training=True)


# --- embedding -------------------------------------------------------------------------------


def test_embedding_lookup_and_gradient_accumulates_repeats(rng):
    w = dtensor(rng.standard_normal((5, 3)))
    idx = np.array([[0, 4, 4], [2, 0, 4]])
    out = F.embedding(ag.tensor(idx), w)
    np.testing.assert_array_equal(out.detach().numpy(), w.detach().numpy()[idx])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], np.bincount(idx.ravel(), minlength=5))
    assert ag.gradcheck(lambda w: F.embedding(ag.tensor(idx), w), [dtensor(rng.standard_normal((5, 2)))])


def test_embedding_padding_row_gets_no_gradient(rng):
    w = dtensor(rng.standard_normal((4, 2)))
    idx = ag.tensor([1, 2, 1, 3])
    out = F.embedding(idx, w, padding_idx=1)
    np.testing.assert_array_equal(out.detach().numpy(), w.detach().numpy()[[1, 2, 1, 3]])  # still looked up
    (out * out).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[1], 0.0)
    np.testing.assert_allclose(w.grad.numpy()[2], 2 * w.detach().numpy()[2])
    F.embedding(idx, w, padding_idx=-3)  # negative counts from the end, as torch


def test_embedding_bad_indices():
    w = ag.zeros(5, 2)
    with pytest.raises(IndexError, match=r"index 5 is out of range for 5 embeddings"):
        F.embedding(ag.tensor([0, 5]), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(ag.tensor([-1]), w)
    with pytest.raises(TypeError, match="float32"):
        F.embedding(ag.tensor([1.0]), w)


# --- shapes over generated sizes -------------------------------------------------------------

sizes = st.integers(1, 5)


@settings(max_examples=25, deadline=None)
@given(batch=sizes, features=sizes, extra=st.lists(sizes, max_size=2))
def test_shape_preserving_functions_keep_shape(batch, features, extra):
    shape = (batch, features, *extra)
    x = ag.randn(*shape)
    for fn in (F.relu, F.tanh, F.sigmoid, F.gelu, F.softplus, lambda t: F.leaky_relu(t, 0.1),
               lambda t: F.softmax(t, dim=1), lambda t: F.log_softmax(t, dim=-1), lambda t: F.dropout(t, 0.5),
               lambda t: F.layer_norm(t, shape[-1])):
        assert fn(x).shape == shape
    if batch * int(np.prod(extra)) > 1:
        assert F.batch_norm(x, None, None, training=True).shape == shape


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(sizes, min_size=0, max_size=3), n_in=sizes, n_out=sizes)
def test_linear_and_embedding_shapes(batch, n_in, n_out):
    assert F.linear(ag.randn(*batch, n_in), ag.randn(n_out, n_in)).shape == (*batch, n_out)
    idx = ag.randint(0, n_in, tuple(batch))
    assert F.embedding(idx, ag.randn(n_in, n_out)).shape == (*batch, n_out)
    assert F.one_hot(idx, n_in).shape == (*batch, n_in)


# --- against torch, when it is installed ----------------------------------------------------


def test_activations_match_torch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng.standard_normal((4, 5)) * 4
    t = torch.tensor(x)
    pairs = [
        (F.gelu, tf.gelu), (lambda v: F.gelu(v, "tanh"), lambda v: tf.gelu(v, approximate="tanh")),
        (F.erf, torch.erf), (lambda v: F.softplus(v, 2.0, 5.0), lambda v: tf.softplus(v, 2.0, 5.0)),
        (lambda v: F.leaky_relu(v, 0.2), lambda v: tf.leaky_relu(v, 0.2)),
        (lambda v: F.layer_norm(v, 5), lambda v: tf.layer_norm(v, (5,))),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours(ag.tensor(x)).numpy(), theirs(t).numpy(), rtol=1e-12, atol=1e-14)


def test_conv1d_is_reachable_as_F_conv1d():
    assert F.conv1d is nn.conv1d


# --- rnn_tanh_cell ------------------------------------------------------------------------------


@pytest.mark.parametrize("biases", [(True, True), (True, False), (False, True), (False, False)])
def test_rnn_tanh_cell_is_the_cells_step_and_numpys(biases, rng):
    n, i, h = 3, 4, 5
    x, hx = rng.standard_normal((n, i)), rng.standard_normal((n, h))
    w_ih, w_hh = rng.standard_normal((h, i)), rng.standard_normal((h, h))
    b_ih = rng.standard_normal(h) if biases[0] else None
    b_hh = rng.standard_normal(h) if biases[1] else None
    expected = np.tanh(x @ w_ih.T + (0 if b_ih is None else b_ih) + hx @ w_hh.T + (0 if b_hh is None else b_hh))
    as_t = lambda a: None if a is None else dtensor(a)
    got = F.rnn_tanh_cell(dtensor(x), dtensor(hx), dtensor(w_ih), dtensor(w_hh), as_t(b_ih), as_t(b_hh))
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12, atol=1e-12)

    cell = nn.RNNCell(i, h, bias=True, dtype=ag.float64)
    with ag.no_grad():
        for name, value in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)):
            getattr(cell, name).copy_(ag.tensor(np.zeros(h) if value is None else value))
    np.testing.assert_allclose(cell(dtensor(x), dtensor(hx)).detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_rnn_tanh_cell_refuses_a_bias_of_the_wrong_shape():
    args = ag.zeros(2, 3), ag.zeros(2, 4), ag.zeros(4, 3), ag.zeros(4, 4)
    with pytest.raises(nn.ShapeError, match=r"b_hh must have shape \(4,\), got \(1,\)"):
        F.rnn_tanh_cell(*args, ag.zeros(4), ag.zeros(1))
