"""Gradients exactly at kinks and ties, fixed as regression tests with the conventions the
engine documents (PyTorch's), and numerical stability for extreme logits.

Finite differences are meaningless at these points, so every expected value is the
documented convention worked out by hand."""

import warnings

import numpy as np
import pytest

import autograd as ag


def grad_of(f, values, dtype=np.float32):
    x = ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    f(x).sum().backward()
    return x.grad.numpy()


@pytest.fixture(autouse=True)
def warnings_are_errors():
    # Every test here must run without NumPy warnings (overflow, divide by zero, invalid value).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- kinks ----------------------------------------------------------------------------------


def test_relu_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_of(lambda x: x.relu(), [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad_of(ag.relu, [0.0, -0.0]), [0.0, 0.0])


def test_abs_derivative_at_zero_is_zero():
    np.testing.assert_array_equal(grad_of(lambda x: x.abs(), [-3.0, 0.0, 2.0]), [-1.0, 0.0, 1.0])


def test_clamp_passes_the_gradient_on_its_closed_interval():
    values = [-2.0, -1.0, 0.0, 1.0, 3.0]
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(-1.0, 1.0), values), [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(min=0.0), values), [0.0, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(max=0.0), values), [1.0, 1.0, 1.0, 0.0, 0.0])
    # lo == hi: every element sits on a bound or outside it
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(0.0, 0.0), values), [0.0, 0.0, 1.0, 0.0, 0.0])


def test_clamp_with_tensor_bounds_sends_the_rest_to_the_bounds():
    x = ag.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    lo = ag.tensor([-1.0, -1.0, -1.0], requires_grad=True)
    hi = ag.tensor([1.0, 0.5, 1.0], requires_grad=True)
    x.clamp(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])  # 0.5 sits on hi: x keeps it
    np.testing.assert_array_equal(lo.grad.numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad.numpy(), [0.0, 0.0, 1.0])


# --- ties -------------------------------------------------------------------------------------


def test_full_max_and_min_split_the_gradient_among_ties():
    np.testing.assert_allclose(grad_of(lambda x: x.max(), [1.0, 3.0, 3.0, 2.0]), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(grad_of(lambda x: x.min(), [1.0, 3.0, 1.0, 1.0]), [1 / 3, 0.0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(grad_of(lambda x: x.max(), [[2.0, 2.0], [2.0, 2.0]]), np.full((2, 2), 0.25))
    np.testing.assert_allclose(grad_of(lambda x: x.max() * 4.0, [5.0, 1.0]), [4.0, 0.0])


@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_a_dim_send_the_gradient_to_the_returned_index(keepdim):
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [4.0, 4.0, 4.0]], dtype=np.float32)
    for op in ("max", "min"):
        x = ag.tensor(values, requires_grad=True)
        out, indices = getattr(x, op)(1, keepdim=keepdim)
        out.sum().backward()
        expected = np.zeros_like(values)
        expected[np.arange(3), indices.numpy().reshape(3)] = 1.0
        np.testing.assert_array_equal(x.grad.numpy(), expected)
        assert x.grad.numpy().sum(1).tolist() == [1.0, 1.0, 1.0]  # all of it, to exactly one element


def test_maximum_and_minimum_split_ties_half_and_half():
    a = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ag.tensor([1.0, 0.0, 5.0], requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0, 1.0])
    a.grad = b.grad = None
    ag.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])


def test_maximum_tie_with_a_broadcast_scalar():
    x = ag.tensor([0.0, 0.0, 1.0], requires_grad=True)
    floor = ag.tensor(0.0, requires_grad=True)
    x.maximum(floor).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5, 1.0])
    assert floor.grad.item() == 1.0  # two halves from the ties, summed over the broadcast


# --- pow and prod at zero --------------------------------------------------------------------------


def test_pow_with_exponent_zero_at_zero():
    np.testing.assert_array_equal(grad_of(lambda x: x**0, [0.0, 2.0]), [0.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x**0.0, [0.0, -1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x ** ag.tensor([0.0, 0.0]), [0.0, 2.0]), [0.0, 0.0])


def test_pow_with_tensor_exponent_at_zero_base():
    # d(0^b)/db = 0^b log 0 -> 0 for b > 0 (the limit, not 0 * -inf).
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    (ag.tensor([0.0, 0.0]) ** b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0])
    c = ag.tensor([1.0, 2.0], requires_grad=True)
    (np.array([0.0, 3.0], dtype=np.float32) ** c).sum().backward()  # a constant base
    np.testing.assert_allclose(c.grad.numpy(), [0.0, 9.0 * np.log(3.0)], rtol=1e-6)


def test_pow_exponent_one_and_two_at_zero():
    np.testing.assert_array_equal(grad_of(lambda x: x**1, [0.0]), [1.0])
    np.testing.assert_array_equal(grad_of(lambda x: x**2, [0.0]), [0.0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),  # one zero: only it gets the product of the others
        ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),  # two zeros: every product of the others has a zero
        ([0.0], [1.0]),
        ([2.0, 5.0, 3.0], [15.0, 6.0, 10.0]),
    ],
)
def test_prod_with_zeros(values, expected):
    np.testing.assert_array_equal(grad_of(lambda x: x.prod(), values), expected)


def test_prod_along_a_dim_with_zeros():
    values = [[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]]
    expected = [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]]
    np.testing.assert_array_equal(grad_of(lambda x: x.prod(1), values), expected)
    np.testing.assert_array_equal(grad_of(lambda x: x.prod(0), np.array(values).T), np.array(expected).T)


def test_prod_second_derivative_with_one_zero():
    # f = x0 x1 x2 at (2, 0, 3): the Hessian is [[0, x2, x1], [x2, 0, x0], [x1, x0, 0]].
    x = ag.tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    (g,) = ag.grad(x.prod(), x, create_graph=True)
    (h_row,) = ag.grad(g[1], x)
    np.testing.assert_array_equal(h_row.numpy(), [3.0, 0.0, 2.0])


# --- std and norm at zero ----------------------------------------------------------------------------


def test_std_gradient_at_zero_spread_is_zero():
    # The root's derivative is infinite there; torch defines the gradient as 0 (not nan).
    np.testing.assert_array_equal(grad_of(lambda x: x.std(), [1.0, 1.0, 1.0]), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: ag.std(x, correction=0), [2.0, 2.0]), [0.0, 0.0])
    # along a dim, only the row without spread gets zeros
    np.testing.assert_allclose(grad_of(lambda x: x.std(1), [[1.0, 1.0], [3.0, 4.0]]),
                               [[0.0, 0.0], [-np.sqrt(0.5), np.sqrt(0.5)]], rtol=1e-6)


@pytest.mark.parametrize("p", [2, 3, 1, float("inf")])
def test_norm_gradient_at_a_zero_vector_is_zero(p):
    np.testing.assert_array_equal(grad_of(lambda x: x.norm(p), [0.0, 0.0]), [0.0, 0.0])


def test_norm_along_a_dim_with_a_zero_row():
    np.testing.assert_allclose(grad_of(lambda x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]]),
                               [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)


def test_plain_sqrt_keeps_an_infinite_derivative_at_zero():
    x = ag.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        x.sqrt().sum().backward()
    assert x.grad.item() == np.inf  # as in torch; only std and norm define it as 0


def test_second_derivatives_of_std_and_norm_at_zero_are_zero():
    # torch gives 0 for std; for norm it gives nan, from its own masking. Here both are 0.
    for f, values in [(lambda x: x.std(), [1.0, 1.0, 1.0]), (lambda x: x.norm(), [0.0, 0.0])]:
        x = ag.tensor(np.array(values), requires_grad=True)
        (g,) = ag.grad(f(x), x, create_graph=True)
        (h,) = ag.grad(g.sum(), x)
        np.testing.assert_array_equal(g.detach().numpy(), np.zeros(len(values)))
        np.testing.assert_array_equal(h.numpy(), np.zeros(len(values)))


def test_std_and_norm_keep_their_derivatives_away_from_zero():
    x = ag.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    assert ag.gradcheck(lambda t: t.std(), [x])
    assert ag.gradgradcheck(lambda t: t.std(), [x])
    assert ag.gradcheck(lambda t: t.norm(3), [x])
    assert ag.gradgradcheck(lambda t: t.norm(), [x])


# --- numerical stability -------------------------------------------------------------------------

EXTREME = [-1000.0, 0.0, 1000.0]


def test_softmax_of_extreme_logits():
    x = ag.tensor(EXTREME, requires_grad=True)
    y = x.softmax(0)
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0, 1.0])
    (y * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.0], atol=1e-30)  # s_i (w_i - sum s w), s one-hot
    ties = ag.tensor([1000.0, 1000.0, -1000.0]).softmax(0)
    np.testing.assert_array_equal(ties.numpy(), [0.5, 0.5, 0.0])


def test_log_softmax_of_extreme_logits():
    x = ag.tensor(EXTREME, requires_grad=True)
    y = x.log_softmax(0)
    np.testing.assert_array_equal(y.detach().numpy(), [-2000.0, -1000.0, 0.0])
    (y * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0 - 6.0])  # w - softmax * sum(w)


def test_logsumexp_of_extreme_logits():
    x = ag.tensor(EXTREME, requires_grad=True)
    y = x.logsumexp(0)
    assert y.item() == 1000.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])
    rows = ag.tensor(np.array([[1000.0, 1000.0], [-1000.0, -1000.0]]), requires_grad=True)
    out = rows.logsumexp(1)
    np.testing.assert_allclose(out.detach().numpy(), [1000.0 + np.log(2.0), -1000.0 + np.log(2.0)], rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(rows.grad.numpy(), np.full((2, 2), 0.5), rtol=1e-12)  # 1000 + log 2 is rounded


def test_sigmoid_of_extreme_logits():
    for dtype in (np.float32, np.float64):
        x = ag.tensor(np.array(EXTREME, dtype=dtype), requires_grad=True)
        y = x.sigmoid()
        np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.5, 1.0])
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.25, 0.0])


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x.softmax(-1),
        lambda x: x.log_softmax(-1),
        lambda x: x.logsumexp(-1),
        lambda x: x.sigmoid(),
        lambda x: x.tanh(),
    ],
    ids=["softmax", "log_softmax", "logsumexp", "sigmoid", "tanh"],
)
def test_second_derivatives_stay_finite_for_extreme_logits(f):
    x = ag.tensor(np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]]), requires_grad=True)
    weights = ag.tensor(np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
    y = f(x)
    (g,) = ag.grad((y * weights[..., : y.shape[-1]] if y.ndim == 2 else y).sum(), x, create_graph=True)
    (gg,) = ag.grad((g * g).sum(), x)
    assert np.all(np.isfinite(g.detach().numpy())) and np.all(np.isfinite(gg.numpy()))


def test_cross_entropy_style_loss_of_extreme_logits():
    logits = ag.tensor(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=np.float32), requires_grad=True)
    target = np.array([1, 1])
    loss = -logits.log_softmax(1)[np.arange(2), target].mean()
    assert loss.item() == 1000.0  # (2000 + 0) / 2
    loss.backward()
    np.testing.assert_array_equal(logits.grad.numpy(), [[0.5, -0.5], [0.0, 0.0]])
