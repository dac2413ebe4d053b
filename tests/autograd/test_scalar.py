"""autograd.Scalar: micrograd-style values on the shared engine. Expected gradients are
derived by hand with the chain rule (or by central differences in plain Python)."""

import math

import pytest

from autograd import Scalar


def test_arithmetic_values():
    a, b = Scalar(3.0), Scalar(-2.0)
    assert (a + b).data == 1.0
    assert (a - b).data == 5.0
    assert (a * b).data == -6.0
    assert (a / b).data == -1.5
    assert (a**2).data == 9.0
    assert (-a).data == -3.0
    assert (2 + a).data == 5.0 and (a + 2).data == 5.0
    assert (10 - a).data == 7.0 and (a - 10).data == -7.0
    assert (2 * a).data == 6.0
    assert (6 / a).data == 2.0 and (a / 6).data == 0.5
    assert (a**-1).data == pytest.approx(1 / 3)


def test_functions_values():
    x = Scalar(0.5)
    assert x.exp().data == pytest.approx(math.exp(0.5))
    assert x.log().data == pytest.approx(math.log(0.5))
    assert x.tanh().data == pytest.approx(math.tanh(0.5))
    assert x.sigmoid().data == pytest.approx(1 / (1 + math.exp(-0.5)))
    assert x.relu().data == 0.5 and Scalar(-0.5).relu().data == 0.0


@pytest.mark.parametrize(
    ("f", "derivative"),
    [
        (lambda x: x + 3.0, lambda v: 1.0),
        (lambda x: 3.0 - x, lambda v: -1.0),
        (lambda x: x * x, lambda v: 2 * v),
        (lambda x: 1.0 / x, lambda v: -1 / v**2),
        (lambda x: x / 4.0, lambda v: 0.25),
        (lambda x: x**3, lambda v: 3 * v**2),
        (lambda x: x**0.5, lambda v: 0.5 / math.sqrt(v)),
        (lambda x: -x, lambda v: -1.0),
        (lambda x: x.exp(), lambda v: math.exp(v)),
        (lambda x: x.log(), lambda v: 1 / v),
        (lambda x: x.tanh(), lambda v: 1 - math.tanh(v) ** 2),
        (lambda x: x.sigmoid(), lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2),
        (lambda x: x.relu(), lambda v: 1.0 if v > 0 else 0.0),
    ],
)
@pytest.mark.parametrize("v", [0.7, 2.5])
def test_each_op_derivative(f, derivative, v):
    x = Scalar(v)
    f(x).backward()
    assert x.grad == pytest.approx(derivative(v), rel=1e-12)


def test_relu_at_zero_and_negative():
    for v in (0.0, -1.0):
        x = Scalar(v)
        x.relu().backward()
        assert x.grad == 0.0


def test_micrograd_example_intermediate_grads():
    # L = (a*b + c) * f, the example micrograd's lecture works through by hand.
    a, b, c, f = Scalar(2.0, "a"), Scalar(-3.0, "b"), Scalar(10.0, "c"), Scalar(-2.0, "f")
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    assert L.data == -8.0 and L.grad == 1.0
    assert d.grad == -2.0 and f.grad == 4.0  # dL/dd = f, dL/df = d
    assert e.grad == -2.0 and c.grad == -2.0  # + passes the gradient through
    assert a.grad == 6.0 and b.grad == -4.0  # dL/da = f*b, dL/db = f*a


def test_neuron_chain_rule():
    # o = tanh(x1 w1 + x2 w2 + b), as in micrograd's neuron.
    x1, x2, w1, w2 = Scalar(2.0), Scalar(0.0), Scalar(-3.0), Scalar(1.0)
    b = Scalar(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    dn = 1 - math.tanh(n.data) ** 2
    assert n.grad == pytest.approx(dn)
    assert w1.grad == pytest.approx(dn * 2.0) and x1.grad == pytest.approx(dn * -3.0)
    assert w2.grad == pytest.approx(0.0) and x2.grad == pytest.approx(dn * 1.0)
    assert b.grad == pytest.approx(dn)


def test_value_used_several_times_accumulates():
    a = Scalar(3.0)
    b = a + a  # db/da = 2
    b.backward()
    assert a.grad == 2.0
    x = Scalar(-2.0)
    y = x * x * x + x.exp() * x  # 3x^2 + e^x (1 + x)
    y.backward()
    assert x.grad == pytest.approx(3 * 4 + math.exp(-2.0) * (1 - 2.0))


def test_composite_against_central_differences():
    def f(x, y):
        return ((x * y).tanh() + (x / y) ** 2 - (y.exp() + 1.0).log() * x.sigmoid()).relu() * 3.0

    def plain(x, y):
        return f(Scalar(x), Scalar(y)).data

    x, y = Scalar(0.8), Scalar(1.3)
    f(x, y).backward()
    h = 1e-6
    assert x.grad == pytest.approx((plain(0.8 + h, 1.3) - plain(0.8 - h, 1.3)) / (2 * h), rel=1e-6)
    assert y.grad == pytest.approx((plain(0.8, 1.3 + h) - plain(0.8, 1.3 - h)) / (2 * h), rel=1e-6)


def test_gradients_accumulate_across_backward_calls():
    x = Scalar(2.0)
    (x * 3.0).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_second_backward_without_retain_graph():
    x = Scalar(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match=r"MulBackward.*retain_graph=True"):
        y.backward()
    z = x.exp()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad == pytest.approx(4.0 + 2 * math.exp(2.0))


def test_second_derivative_with_create_graph():
    x = Scalar(2.0)
    (x**3).backward(create_graph=True)
    first = x.grad
    assert first.data == pytest.approx(12.0)
    x.grad = 0.0
    first.backward()
    assert x.grad == pytest.approx(12.0)  # d/dx 3x^2 = 6x


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
def test_deep_graph_of_100k_ops():
    x = Scalar(0.3)
    y = x
    value, derivative = 0.3, 1.0
    for _ in range(50_000):  # two ops per step
        y = (y * 0.99).tanh()
        value = math.tanh(value * 0.99)
        derivative *= 0.99 * (1 - value**2)
    y.backward()
    assert y.data == pytest.approx(value)
    assert x.grad == pytest.approx(derivative, rel=1e-9)


def test_leaf_that_does_not_require_grad():
    x, c = Scalar(2.0), Scalar(5.0, requires_grad=False)
    (x * c).backward()
    assert x.grad == 5.0 and c.grad == 0.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.backward()


def test_repr():
    assert repr(Scalar(1.5)) == "Scalar(data=1.5, grad=0)"
    w = Scalar(-2.0, label="w")
    (w * 3.0).backward()
    assert repr(w) == "Scalar(w: data=-2, grad=3)"
    assert repr(Scalar(1 / 3)) == "Scalar(data=0.3333, grad=0)"


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda: Scalar("abc"), ["str", "'abc'"]),
        (lambda: Scalar(None), ["NoneType"]),
        (lambda: Scalar(1.0) + "x", ["str"]),
        (lambda: Scalar(1.0) * [1.0], ["list"]),
        (lambda: Scalar(2.0) ** Scalar(3.0), ["Scalar"]),
        (lambda: Scalar(2.0) ** True, ["bool"]),
    ],
)
def test_bad_operands_are_type_errors(make, names):
    with pytest.raises(TypeError) as info:
        make()
    for name in names:
        assert name in str(info.value)


def test_poles_and_overflow_follow_ieee_as_tensors_do():
    # inf and nan with a RuntimeWarning, as NumPy (and so a Tensor) gives them; never a
    # ZeroDivisionError, OverflowError or complex number from Python's float arithmetic.
    cases = [
        (lambda: 1 / Scalar(0.0), math.inf),
        (lambda: Scalar(-1.0) / 0.0, -math.inf),
        (lambda: Scalar(0.0) / Scalar(0.0), math.nan),
        (lambda: Scalar(0.0) ** -1, math.inf),
        (lambda: Scalar(-1.0) ** 0.5, math.nan),
        (lambda: Scalar(10.0) ** 400, math.inf),
        (lambda: Scalar(0.0).log(), -math.inf),
    ]
    for make, expected in cases:
        with pytest.warns(RuntimeWarning):
            y = make()
        assert type(y.data) is float
        assert y.data == expected or (math.isnan(expected) and math.isnan(y.data))


@pytest.mark.parametrize(
    ("f", "expected"),
    [(lambda x: x**0.5, math.inf), (lambda x: x.log(), math.inf), (lambda x: 1.0 / x, -math.inf)],
)
def test_derivatives_at_a_pole_are_infinite(f, expected):
    x = Scalar(0.0)
    with pytest.warns(RuntimeWarning):
        f(x).backward()
    assert type(x.grad) is float and x.grad == expected


def test_relu_blocks_a_nan_from_upstream():
    x = Scalar(-1.0)
    (x.relu() * math.nan).backward()  # relu passes nothing back at x < 0, not 0 * nan
    assert x.grad == 0.0
