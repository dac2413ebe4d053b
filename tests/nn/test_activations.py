"""The activations of nn.functional and their modules: torch's conventions at the kinks, NaN,
extreme values, integer inputs, inplace=True, constructor arguments and reprs, bad input, and
a comparison with torch (values and gradients, kinks included) where it is installed.

Gradients at first and second order away from the kinks are in nn/op_table_activations.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn.errors import DomainError, DtypeError, ShapeError

SELU_SCALE_ALPHA = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def values_and_grad(fn, points):
    x = ag.tensor(np.array(points, dtype=np.float64), requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def grad_at(fn, points):
    return values_and_grad(fn, points)[1]


# --- the gradient at the kinks: torch's conventions -----------------------------------------------

KINKS = [
    ("relu", F.relu, [0.0], [0.0]),
    ("relu6", F.relu6, [0.0, 6.0], [0.0, 0.0]),
    ("hardtanh", F.hardtanh, [-1.0, 1.0], [0.0, 0.0]),  # clamp would pass 1 at both ends
    ("hardtanh_custom", lambda x: F.hardtanh(x, -2.0, 3.0), [-2.0, 3.0], [0.0, 0.0]),
    ("hardsigmoid", F.hardsigmoid, [-3.0, 3.0], [0.0, 0.0]),
    ("hardswish", F.hardswish, [-3.0, 3.0], [0.0, 1.0]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), [0.0], [0.2]),
    ("elu", lambda x: F.elu(x, 0.5), [0.0], [0.5]),
    ("selu", F.selu, [0.0], [SELU_SCALE_ALPHA]),
    ("celu", lambda x: F.celu(x, 2.0), [0.0], [1.0]),
    ("softshrink", F.softshrink, [-0.5, 0.5], [0.0, 0.0]),
    ("hardshrink", F.hardshrink, [-0.5, 0.5], [0.0, 0.0]),
    ("threshold", lambda x: F.threshold(x, 1.0, 7.0), [1.0], [0.0]),
    ("softsign", F.softsign, [0.0], [1.0]),
    ("prelu", lambda x: F.prelu(x, ag.tensor([0.25], dtype=ag.float64)), [0.0], [0.25]),
]


@pytest.mark.parametrize(("fn", "points", "expected"), [pytest.param(f, p, e, id=n) for n, f, p, e in KINKS])
def test_gradient_at_the_kinks_is_torchs(fn, points, expected):
    np.testing.assert_allclose(grad_at(fn, points), expected, rtol=1e-15)


def test_values_at_the_kinks():
    assert values_and_grad(F.relu6, [0.0, 6.0])[0].tolist() == [0.0, 6.0]
    assert values_and_grad(F.hardsigmoid, [-3.0, 3.0])[0].tolist() == [0.0, 1.0]
    assert values_and_grad(F.hardswish, [-3.0, 3.0])[0].tolist() == [0.0, 3.0]
    assert values_and_grad(lambda x: F.threshold(x, 1.0, 7.0), [1.0])[0].tolist() == [7.0]  # x <= threshold
    assert values_and_grad(F.hardshrink, [-0.5, 0.5])[0].tolist() == [0.0, 0.0]


def test_normalize_of_a_zero_vector_is_zero_with_gradient_one_over_eps():
    values, grad = values_and_grad(lambda x: F.normalize(x.reshape(1, 2)), [0.0, 0.0])
    assert values.tolist() == [[0.0, 0.0]]
    np.testing.assert_allclose(grad, [1e12, 1e12])


def test_second_derivative_across_hardtanh_is_zero():
    x = ag.tensor(np.array([-1.0, -0.5, 1.0]), requires_grad=True)
    (g,) = ag.grad((F.hardtanh(x) ** 3).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [0.0, -3.0, 0.0])  # d2/dx2 x^3 = 6x inside, and nothing at the ends


# --- NaN, extreme values, dtypes --------------------------------------------------------------------

ELEMENTWISE = {
    "silu": F.silu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "elu": F.elu,
    "selu": F.selu, "celu": F.celu, "relu": F.relu, "relu6": F.relu6, "hardtanh": F.hardtanh,
    "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "mish": F.mish, "softsign": F.softsign,
    "logsigmoid": F.logsigmoid, "softplus": F.softplus, "leaky_relu": F.leaky_relu, "tanhshrink": F.tanhshrink,
    "softshrink": F.softshrink, "hardshrink": F.hardshrink, "threshold": lambda x: F.threshold(x, 0.0, 5.0),
    "prelu": lambda x: F.prelu(x, ag.tensor([0.25])), "sigmoid": F.sigmoid, "tanh": F.tanh,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_nan_stays_nan(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and quietly, as in torch
        out = ELEMENTWISE[name](ag.tensor([math.nan, 1.0]))
    assert math.isnan(out.numpy()[0])
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "mish", "softplus", "silu", "logsigmoid"])
def test_far_from_zero_nothing_overflows(name):
    values, grad = values_and_grad(ELEMENTWISE[name], [-1000.0, 1000.0])
    assert np.isfinite(grad).all(), grad
    assert np.isfinite(values[1])
    x = ag.tensor(np.array([-100.0, 100.0], dtype=np.float32), requires_grad=True)  # e^100 overflows float32
    ELEMENTWISE[name](x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_logsigmoid_far_below_zero_is_the_input():
    assert F.logsigmoid(ag.tensor([-1000.0], dtype=ag.float64)).item() == -1000.0


def test_integer_inputs():
    x = ag.tensor([1, 7, -2])
    assert F.relu6(x).numpy().tolist() == [1, 6, 0] and F.relu6(x).dtype == np.int64
    assert F.hardtanh(x).numpy().tolist() == [1, 1, -1] and F.hardtanh(x).dtype == np.int64
    for name in ("silu", "elu", "hardsigmoid", "mish", "logsigmoid", "softplus", "softshrink", "hardshrink", "gelu"):
        assert ELEMENTWISE[name](x).dtype == np.float32, name


def test_float64_stays_float64():
    x = ag.tensor([0.5, -1.5], dtype=ag.float64)
    for name, fn in ELEMENTWISE.items():
        assert fn(x).dtype == np.float64, name


# --- inplace=True ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "silu", "mish", "elu",
                                  "selu", "celu", "leaky_relu", "threshold"])
def test_inplace_writes_into_the_input_and_returns_it(name):
    fn = getattr(F, name)
    args = (0.0, 5.0) if name == "threshold" else ()
    data = np.array([-1.5, 0.25, 2.0], dtype=np.float32)
    expected = fn(ag.tensor(data), *args).numpy()
    x = ag.tensor(data)
    out = fn(x, *args, inplace=True)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), expected)


def test_the_underscore_forms_are_inplace():
    for fn, args in ((F.relu_, ()), (F.elu_, (1.0,)), (F.selu_, ()), (F.celu_, (1.0,)), (F.leaky_relu_, (0.1,)),
                     (F.hardtanh_, (-1.0, 1.0)), (F.threshold_, (0.0, 3.0))):
        x = ag.tensor([-2.0, 2.0])
        assert fn(x, *args) is x
        assert x.numpy()[1] != 0.0 and x.numpy()[0] != -2.0


def test_inplace_on_an_intermediate_result_keeps_the_gradient_right():
    w = ag.tensor(np.array([0.5, -2.0, 3.0]), requires_grad=True)
    h = w * 2.0
    out = F.silu(h, inplace=True)
    assert out is h
    out.sum().backward()
    s = 1.0 / (1.0 + np.exp(-2.0 * w.detach().numpy()))
    np.testing.assert_allclose(w.grad.numpy(), 2.0 * (s + 2.0 * w.detach().numpy() * s * (1.0 - s)))


def test_inplace_refuses_a_leaf_that_requires_grad_and_a_result_the_dtype_cannot_hold():
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(ag.tensor([1.0], requires_grad=True), inplace=True)
    with pytest.raises(DtypeError, match="int64"):
        F.silu(ag.tensor([1, -2]), inplace=True)
    with pytest.raises(RuntimeError):  # DtypeError is a RuntimeError too, as torch's
        F.elu(ag.tensor([1, -2]), inplace=True)


def test_module_inplace_argument_is_used():
    x = ag.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.numpy().tolist() == [0.0, 2.0]
    y = ag.tensor([-1.0, 2.0])
    assert nn.ReLU()(y) is not y and y.numpy().tolist() == [-1.0, 2.0]


# --- the other functions ----------------------------------------------------------------------------


def test_prelu_per_channel_and_shapes():
    x = ag.tensor([[-1.0, 2.0], [-3.0, -4.0]])
    np.testing.assert_allclose(F.prelu(x, ag.tensor([0.5, 0.1])).numpy(), [[-0.5, 2.0], [-1.5, -0.4]])
    assert F.prelu(ag.tensor(-1.0), ag.tensor([0.5])).shape == ()
    images = ag.tensor(-np.ones((2, 3, 4, 5)))
    np.testing.assert_allclose(F.prelu(images, ag.tensor([1.0, 2.0, 3.0])).numpy()[0, :, 0, 0], [-1.0, -2.0, -3.0])
    with pytest.raises(ShapeError, match="channel"):
        F.prelu(ag.ones(2, 3), ag.ones(2))
    with pytest.raises(RuntimeError):
        F.prelu(ag.ones(3), ag.ones(3))  # a 1-D input has one channel


def test_glu_halves_along_dim():
    x = ag.tensor([[1.0, 2.0, 0.0, 100.0]])
    np.testing.assert_allclose(F.glu(x).numpy(), [[0.5, 2.0]])
    np.testing.assert_allclose(F.glu(x.T, 0).numpy(), [[0.5], [2.0]])
    with pytest.raises(ShapeError, match="odd size 3"):
        F.glu(ag.ones(2, 3))
    with pytest.raises(ShapeError, match="0-d"):
        F.glu(ag.tensor(1.0))


def test_softmin_weights_the_smallest_most():
    np.testing.assert_allclose(F.softmin(ag.tensor([1.0, 2.0]), 0).numpy(), [0.7310586, 0.2689414], rtol=1e-6)
    with pytest.warns(UserWarning, match="softmin"):
        F.softmin(ag.ones(2, 3))


def test_normalize():
    np.testing.assert_allclose(F.normalize(ag.tensor([3.0, 4.0]), dim=0).numpy(), [0.6, 0.8])
    np.testing.assert_allclose(F.normalize(ag.tensor([[3.0, 4.0]]), p=1).numpy(), [[3 / 7, 4 / 7]], rtol=1e-6)
    out = ag.zeros(1, 2)
    assert F.normalize(ag.tensor([[0.0, 2.0]]), out=out) is out
    assert out.numpy().tolist() == [[0.0, 1.0]]
    with pytest.raises(IndexError):
        F.normalize(ag.ones(3))  # dim=1 by default


def test_bad_arguments():
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(ag.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(DomainError, match="lambd"):
        F.softshrink(ag.ones(2), -1.0)
    with pytest.raises(DomainError, match="alpha"):
        F.celu(ag.ones(2), 0.0)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(ag.ones(2), approximate="erf")
    with pytest.raises(ValueError, match="num_parameters"):
        nn.PReLU(0)


def test_one_hot():
    out = F.one_hot(ag.tensor([0, 2, 1]), 4)
    assert out.dtype == np.int64 and out.shape == (3, 4)
    assert out.numpy().tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert F.one_hot(ag.tensor([[1], [0]])).shape == (2, 1, 2)
    with pytest.raises(RuntimeError, match="3"):
        F.one_hot(ag.tensor([3]), 2)
    with pytest.raises(RuntimeError, match="-1"):
        F.one_hot(ag.tensor([-1]), 2)
    with pytest.raises(RuntimeError, match="integer"):
        F.one_hot(ag.tensor([1.0]))


# --- modules ---------------------------------------------------------------------------------------

REPRS = [
    (nn.SiLU(inplace=True), "SiLU(inplace=True)"), (nn.SiLU(), "SiLU()"),
    (nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)"), (nn.SELU(True), "SELU(inplace=True)"),
    (nn.CELU(2.0), "CELU(alpha=2.0)"), (nn.ReLU6(True), "ReLU6(inplace=True)"),
    (nn.Hardtanh(-2, 3), "Hardtanh(min_val=-2, max_val=3)"), (nn.Hardsigmoid(True), "Hardsigmoid()"),
    (nn.Hardswish(), "Hardswish()"), (nn.Mish(), "Mish()"), (nn.Softsign(), "Softsign()"),
    (nn.LogSigmoid(), "LogSigmoid()"), (nn.PReLU(3), "PReLU(num_parameters=3)"), (nn.GLU(), "GLU(dim=-1)"),
    (nn.Softmin(1), "Softmin(dim=1)"), (nn.Tanhshrink(), "Tanhshrink()"), (nn.Softshrink(0.3), "Softshrink(0.3)"),
    (nn.Hardshrink(), "Hardshrink(0.5)"), (nn.Threshold(0.1, 20.0), "Threshold(threshold=0.1, value=20.0)"),
    (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"), (nn.ReLU(True), "ReLU(inplace=True)"),
    (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"), (nn.GELU("tanh"), "GELU(approximate='tanh')"),
]


@pytest.mark.parametrize(("module", "text"), [pytest.param(m, r, id=r) for m, r in REPRS])
def test_reprs_are_torchs(module, text):
    assert repr(module) == text


MODULES = [
    (nn.SiLU(), F.silu), (nn.ELU(0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu),
    (nn.CELU(2.0), lambda x: F.celu(x, 2.0)), (nn.ReLU6(), F.relu6),
    (nn.Hardtanh(-2, 3), lambda x: F.hardtanh(x, -2, 3)),
    (nn.Hardsigmoid(), F.hardsigmoid), (nn.Hardswish(), F.hardswish), (nn.Mish(), F.mish),
    (nn.Softsign(), F.softsign), (nn.LogSigmoid(), F.logsigmoid), (nn.GLU(0), lambda x: F.glu(x, 0)),
    (nn.Softmin(1), lambda x: F.softmin(x, 1)), (nn.Tanhshrink(), F.tanhshrink),
    (nn.Softshrink(0.3), lambda x: F.softshrink(x, 0.3)), (nn.Hardshrink(0.3), lambda x: F.hardshrink(x, 0.3)),
    (nn.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0)), (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
]


@pytest.mark.parametrize(("module", "fn"), [pytest.param(m, f, id=type(m).__name__) for m, f in MODULES])
def test_each_module_applies_its_function(module, fn):
    x = ag.tensor(np.linspace(-4.0, 4.0, 8).reshape(2, 4))
    np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert list(module.parameters()) == []


def test_prelu_module_learns_its_slopes():
    m = nn.PReLU(2, init=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert m.weight.shape == (2,) and m.weight.dtype == np.float32
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.1, 0.1], rtol=1e-7)
    x = ag.tensor([[-1.0, -2.0], [3.0, -4.0]])
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-1.0, -6.0])  # sum of the negative inputs of each channel
    assert nn.PReLU(dtype=ag.float64).weight.dtype == np.float64
    assert nn.PReLU().weight.detach().numpy().tolist() == [0.25]


# --- against torch ------------------------------------------------------------------------------------

FUNCTIONS = [
    "silu", "gelu", "elu", "selu", "celu", "relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish",
    "softsign", "logsigmoid", "softplus", "leaky_relu", "tanhshrink", "softshrink", "hardshrink",
]
WITH_ARGS = [
    ("gelu", {"approximate": "tanh"}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}), ("softplus", {"beta": 2.0, "threshold": 1.0}),
    ("leaky_relu", {"negative_slope": 0.2}), ("softshrink", {"lambd": 1.0}), ("hardshrink", {"lambd": 1.0}),
    ("threshold", {"threshold": 1.0, "value": -3.0}), ("softmin", {"dim": 1}), ("glu", {"dim": 1}),
    ("normalize", {"p": 3.0, "dim": 0}), ("normalize", {}),
]
# the kinks of every function above, and values far out
POINTS = np.array([[-1000.0, -6.0, -3.0, -2.0, -1.0, -0.5, -0.25, 0.0],
                   [0.25, 0.5, 0.7, 1.0, 2.0, 3.0, 6.0, 1000.0]])


@pytest.mark.parametrize(("name", "kwargs"), [(n, {}) for n in FUNCTIONS] + WITH_ARGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_against_torch(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x = ag.tensor(POINTS.astype(dtype), requires_grad=True)
    tx = torch.tensor(POINTS.astype(dtype), requires_grad=True)
    ours, theirs = getattr(F, name)(x, **kwargs), getattr(torch.nn.functional, name)(tx, **kwargs)
    tol = {"rtol": 1e-6, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    if name in ("hardsigmoid", "hardswish") and dtype == "float64":
        tol = {"rtol": 1e-7, "atol": 0.0}  # torch's backward has 1/6 in float32 precision
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
    weights = np.linspace(-1.0, 2.0, ours.numel()).reshape(ours.shape).astype(dtype)
    (ours * ag.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


def test_prelu_against_torch_and_its_state_dict_loads():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.PReLU(2, init=0.3)
    ours = nn.PReLU(2)
    ours.load_state_dict({"weight": ag.tensor(theirs.weight.detach().numpy())})
    data = np.array([[[-1.0, 0.0], [2.0, -3.0]], [[0.5, -0.5], [-2.0, 4.0]]], dtype=np.float32)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours(x).sum().backward()
    theirs(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


def test_one_hot_against_torch():
    torch = pytest.importorskip("torch")
    classes = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(ag.tensor(classes)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(classes)).numpy())
