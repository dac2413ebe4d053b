"""Elementwise math beyond the primitives (autograd/ops/math.py and the Tensor methods composed
from it): values at the points that matter, the conventions where a derivative is undefined
(worked out by hand, as in test_conventions.py), dtypes, errors, bits and logic, the in-place
forms with their version checks, and ``Tensor.view(dtype)``.

Gradients on generic values are checked at first and second order by the op table
(autograd/op_table.py); torch, where installed, is compared at the end of the file."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd.ops.math import IntegerDivisionError


def grad_of(f, values, dtype=np.float64):
    x = ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    f(x).sum().backward()
    return x.grad.numpy()


def second_grad_of(f, values):
    x = ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    (g,) = ag.grad(f(x).sum(), [x], create_graph=True)
    if not g.requires_grad:  # a constant first derivative: the second is 0
        return np.zeros_like(x.detach().numpy())
    (gg,) = ag.grad(g.sum(), [x], allow_unused=True)
    return np.zeros_like(x.detach().numpy()) if gg is None else gg.numpy()


def values(t):
    return t.detach().numpy()


# --- locally constant ops: gradient 0, kept in the graph ---------------------------------------

LOCALLY_CONSTANT = {
    "floor": lambda x: x.floor(),
    "ceil": ag.ceil,
    "round": lambda x: x.round(),
    "round_decimals": lambda x: x.round(decimals=1),
    "trunc": ag.trunc,
    "sign": lambda x: x.sign(),
    "floor_divide": lambda x: x // 0.7,
    "div_trunc": lambda x: x.div(-0.7, rounding_mode="trunc"),
}


@pytest.mark.parametrize("f", LOCALLY_CONSTANT.values(), ids=LOCALLY_CONSTANT.keys())
def test_locally_constant_ops_pass_zero_gradient_even_at_their_jumps(f):
    points = [-2.0, -1.5, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 2.5]  # integers, halves and zeros: the jumps
    x = ag.tensor(points, dtype=ag.float64, requires_grad=True)
    y = f(x)
    assert y.grad_fn is not None  # in the graph, so that backward through it works
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(len(points)))
    np.testing.assert_array_equal(second_grad_of(f, points), np.zeros(len(points)))


def test_zero_gradients_keep_an_upstream_nan_out():
    x = ag.tensor([1.5, 2.5], requires_grad=True)
    (x.floor() * ag.tensor([float("nan"), 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # selected zeros, not nan * 0


def test_rounding_values():
    x = ag.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7])
    np.testing.assert_array_equal(values(x.round()), [-2, -2, -0, 0, 2, 2, 3, -3])  # half to even
    np.testing.assert_array_equal(values(x.floor()), [-3, -2, -1, 0, 1, 2, 2, -3])
    np.testing.assert_array_equal(values(x.ceil()), [-2, -1, -0, 1, 2, 3, 3, -2])
    np.testing.assert_array_equal(values(x.trunc()), [-2, -1, -0, 0, 1, 2, 2, -2])
    np.testing.assert_allclose(values(ag.tensor([1.25, 1.35, -1.35]).round(decimals=1)), [1.2, 1.4, -1.4], rtol=1e-6)
    np.testing.assert_array_equal(values(ag.tensor([1234.5, -1250.0]).round(decimals=-2)), [1200.0, -1200.0])
    np.testing.assert_array_equal(values(ag.round(ag.tensor([0.125], dtype=ag.float64), decimals=2)), [0.12])


def test_sign_is_zero_at_nan_and_at_negative_zero():
    s = values(ag.tensor([-3.0, -0.0, 0.0, 2.0, float("nan"), -float("inf")]).sign())
    np.testing.assert_array_equal(s, [-1, 0, 0, 1, 0, -1])
    assert not np.signbit(s[1])  # +0, as torch (NumPy's sign gives -0.0 and nan)
    np.testing.assert_array_equal(values(ag.sgn(ag.tensor([-2, 0, 5]))), [-1, 0, 1])
    b = ag.tensor([True, False])
    assert b.sign().dtype == np.bool_ and values(b.sign()).tolist() == [True, False]


def test_frac_has_the_sign_of_x_and_gradient_one():
    np.testing.assert_allclose(values(ag.tensor([2.25, -2.25, 3.0]).frac()), [0.25, -0.25, 0.0])
    np.testing.assert_array_equal(grad_of(ag.frac, [2.25, -2.25, 3.0]), [1.0, 1.0, 1.0])


def test_rounding_of_integer_tensors_is_a_copy_and_bools_are_refused():
    i = ag.tensor([3, -4], dtype=ag.int32)
    for f in (ag.floor, ag.ceil, ag.trunc, ag.round):
        out = f(i)
        assert out.dtype == np.int32 and values(out).tolist() == [3, -4]
        assert not np.shares_memory(out.numpy(), i.numpy())
    with pytest.raises(TypeError, match="bool"):
        ag.tensor([True]).floor()
    with pytest.raises(TypeError, match="int64"):
        ag.tensor([1]).frac()
    with pytest.raises(TypeError, match=r"round\(decimals=1\).*int64"):
        ag.tensor([1]).round(decimals=1)
    with pytest.raises(TypeError, match="decimals must be an int"):
        ag.tensor([1.0]).round(decimals=1.5)


# --- conventions of the differentiable ops ---------------------------------------------------------


def test_atan2_values_by_quadrant_and_zero_gradient_at_the_origin():
    y = ag.tensor([1.0, 1.0, -1.0, -1.0, 0.0, 0.0], dtype=ag.float64)
    x = ag.tensor([1.0, -1.0, -1.0, 1.0, -1.0, 1.0], dtype=ag.float64)
    pi = math.pi
    np.testing.assert_allclose(values(y.atan2(x)), [pi / 4, 3 * pi / 4, -3 * pi / 4, -pi / 4, pi, 0.0])
    a = ag.tensor([0.0, 3.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([0.0, 4.0], dtype=ag.float64, requires_grad=True)
    ag.atan2(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 4 / 25])  # torch's 0 at (0, 0)
    np.testing.assert_allclose(b.grad.numpy(), [0.0, -3 / 25])


def test_hypot_does_not_overflow_and_has_no_gradient_at_the_origin():
    big = ag.tensor([3e30], dtype=ag.float32)
    np.testing.assert_allclose(values(big.hypot(ag.tensor([4e30]))), [5e30], rtol=1e-6)
    a = ag.tensor([0.0, 3.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        a.hypot(ag.tensor([0.0, 4.0])).sum().backward()
    assert np.isnan(a.grad.numpy()[0]) and a.grad.numpy()[1] == pytest.approx(0.6)  # nan at 0, as torch


def test_copysign_uses_the_sign_bit_and_passes_no_gradient_to_the_sign():
    a = ag.tensor([0.0, 2.0, -3.0, 1.0], requires_grad=True)
    b = ag.tensor([-1.0, -0.0, 0.0, float("-nan")], requires_grad=True)
    out = a.copysign(b)
    np.testing.assert_array_equal(values(out), [-0.0, -2.0, 3.0, -1.0])
    assert np.signbit(values(out)[0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, -1.0, -1.0, -1.0])  # d|a|/da * sign: 0 at a = 0
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 0.0, 0.0])
    assert ag.tensor([2, -3]).copysign(-1).dtype == np.float32  # integers give floats, as torch
    np.testing.assert_array_equal(values(ag.tensor([2.0]).copysign(np.array([-5.0]))), [-2.0])


def test_remainder_follows_the_divisor_and_fmod_the_dividend():
    a = ag.tensor([5.5, -5.5, 5.5, -5.5], dtype=ag.float64)
    b = ag.tensor([2.0, 2.0, -2.0, -2.0], dtype=ag.float64)
    np.testing.assert_array_equal(values(a % b), [1.5, 0.5, -0.5, -1.5])
    np.testing.assert_array_equal(values(a.fmod(b)), [1.5, -1.5, 1.5, -1.5])
    np.testing.assert_array_equal(values(a // b), [2.0, -3.0, -3.0, 2.0])
    np.testing.assert_array_equal(values(a.div(b, rounding_mode="trunc")), [2.0, -2.0, -2.0, 2.0])
    np.testing.assert_array_equal(values(ag.tensor([-1e-20], dtype=ag.float64) % 2.0), [2.0])  # as Python's %


def test_remainder_gradient_is_minus_the_quotient_that_was_used():
    a = ag.tensor([5.5, -5.5, 1.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([2.0, 2.0, 0.1], dtype=ag.float64, requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0, 1.0])
    # 1 % 0.1 is 0.0999...: the quotient is 9 (as 1.0 // 0.1), not round(1 / 0.1) = 10
    np.testing.assert_array_equal(b.grad.numpy(), [-2.0, 3.0, -9.0])
    a.grad = b.grad = None
    a.fmod(b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [-2.0, 2.0, -9.0])
    assert (ag.tensor(1.0, dtype=ag.float64) // 0.1).item() == 9.0


def test_logaddexp_never_overflows_and_halves_the_gradient_on_ties():
    big = ag.tensor([1000.0, -1000.0], requires_grad=True)
    out = big.logaddexp(ag.tensor([1000.0, -1000.0]))
    np.testing.assert_allclose(values(out), [1000.0 + math.log(2.0), -1000.0 + math.log(2.0)], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(big.grad.numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(values(ag.tensor([-float("inf")]).logaddexp(-float("inf"))), [-float("inf")])
    np.testing.assert_allclose(values(ag.logaddexp2(ag.tensor([3.0, 200.0]), ag.tensor([3.0, 0.0]))), [4.0, 200.0])


def test_lerp_reaches_its_end_exactly_and_differentiates_in_the_weight():
    start = ag.tensor([0.1, -3.7], requires_grad=True)
    end = ag.tensor([0.3, 11.3], requires_grad=True)
    weight = ag.tensor([1.0, 0.25], requires_grad=True)
    out = start.lerp(end, weight)
    assert values(out)[0] == np.float32(0.3)
    out.sum().backward()
    np.testing.assert_allclose(start.grad.numpy(), [0.0, 0.75])
    np.testing.assert_allclose(end.grad.numpy(), [1.0, 0.25])
    np.testing.assert_allclose(weight.grad.numpy(), [0.2, 15.0], rtol=1e-6)
    assert values(ag.tensor([0.1]).lerp(ag.tensor([0.3]), 1.0))[0] == np.float32(0.3)


def test_nan_to_num_defaults_and_gradient():
    x = ag.tensor([float("nan"), float("inf"), -float("inf"), 1.5], requires_grad=True)
    out = x.nan_to_num()
    info = np.finfo(np.float32)
    np.testing.assert_array_equal(values(out), [0.0, info.max, info.min, 1.5])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(values(x.nan_to_num(nan=1.0, posinf=2.0, neginf=-2.0)), [1.0, 2.0, -2.0, 1.5])
    half = ag.tensor([float("inf")], dtype=ag.half).nan_to_num()
    assert half.dtype == np.float16 and values(half)[0] == np.finfo(np.float16).max
    assert values(ag.tensor([3]).nan_to_num()).tolist() == [3]


def test_derivatives_at_the_ends_of_the_domains_are_infinite_as_in_torch():
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(grad_of(ag.asin, [1.0, -1.0]), [np.inf, np.inf])
        np.testing.assert_array_equal(grad_of(ag.acos, [1.0]), [-np.inf])
        np.testing.assert_array_equal(grad_of(ag.acosh, [1.0]), [np.inf])
        np.testing.assert_array_equal(grad_of(ag.atanh, [1.0]), [np.inf])
        np.testing.assert_array_equal(grad_of(ag.rsqrt, [0.0]), [-np.inf])
    with np.errstate(over="ignore", invalid="ignore"):  # inf + -inf in the sum
        x = ag.tensor([1.0, -1.0], dtype=ag.float64, requires_grad=True)
        out = x.erfinv()
        np.testing.assert_array_equal(values(out), [np.inf, -np.inf])
        out.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [np.inf, np.inf])
    assert np.isnan(values(ag.tensor([1.5, -2.0]).erfinv())).all()


def test_values_that_a_composition_would_get_wrong():
    assert values(ag.tensor([1000.0]).log10())[0] == 3.0  # log(1000) / log(10) is 2.9999999999999996
    assert values(ag.tensor([8.0], dtype=ag.float64).log2())[0] == 3.0
    assert values(ag.exp2(ag.tensor([10.0])))[0] == 1024.0
    tiny = ag.tensor([1e-10], dtype=ag.float64)
    assert values(tiny.sinh())[0] == 1e-10  # (e^x - e^-x) / 2 would lose it
    assert values(tiny.log1p())[0] == pytest.approx(1e-10, rel=1e-15)
    assert values(tiny.expm1())[0] == pytest.approx(1e-10, rel=1e-15)
    np.testing.assert_allclose(values(ag.tensor([-40.0], dtype=ag.float64).expm1()), [-1.0])
    # expm1' is e^x, not expm1(x) + 1, which would be 0 here
    assert grad_of(ag.expm1, [-40.0])[0] == pytest.approx(math.exp(-40.0), rel=1e-12)
    big = ag.tensor([1e20], dtype=ag.float32, requires_grad=True)
    big.asinh().sum().backward()
    assert big.grad.item() == pytest.approx(1e-20, rel=1e-6)  # 1 / sqrt(x^2 + 1) would square into inf


def test_erf_erfc_and_erfinv_against_math():
    x = np.linspace(-7.0, 7.0, 281)
    np.testing.assert_allclose(values(ag.tensor(x).erf()), [math.erf(v) for v in x], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(values(ag.tensor(x).erfc()), [math.erfc(v) for v in x], rtol=1e-12)
    # erfc keeps its digits where 1 - erf(x) is 0
    assert values(ag.tensor([10.0], dtype=ag.float64).erfc())[0] == pytest.approx(math.erfc(10.0), rel=1e-13)
    y = np.concatenate([np.linspace(-0.999, 0.999, 201), 1.0 - np.logspace(-15, -2, 14)])
    inverse = values(ag.tensor(y).erfinv())
    np.testing.assert_allclose([math.erf(v) for v in inverse], y, rtol=0, atol=1e-15)
    # near 1 erf's inverse is ill-conditioned: compare in erfc, whose digits survive
    near_one = y > 0.99
    np.testing.assert_allclose([math.erfc(v) for v in inverse[near_one]], 1.0 - y[near_one], rtol=1e-12)
    erf32 = ag.tensor([0.5], dtype=ag.float32).erf()
    assert erf32.dtype == np.float32 and values(erf32)[0] == np.float32(math.erf(0.5))


def test_nn_functional_erf_is_autograds():
    x = ag.tensor([0.3, -1.2], requires_grad=True)
    out = F.erf(x)
    assert type(out.grad_fn).__name__ == type(x.erf().grad_fn).__name__
    np.testing.assert_array_equal(values(out), values(x.erf()))
    assert not hasattr(F, "Erf")
    assert values(F.erf([0.5]))[0] == pytest.approx(math.erf(0.5), rel=1e-6)


def test_numpy_hypot_on_tensors_is_recorded():
    # Asinh's derivative is written with np.hypot, which must therefore be differentiable on tensors.
    x = ag.tensor([3.0], dtype=ag.float64, requires_grad=True)
    out = np.hypot(x, 4.0)
    assert isinstance(out, ag.Tensor) and out.grad_fn is not None and out.item() == 5.0
    out.backward()
    assert x.grad.item() == pytest.approx(0.6)
    assert second_grad_of(lambda t: t.asinh(), [0.5])[0] == pytest.approx(-0.5 / 1.25**1.5)


# --- dtypes --------------------------------------------------------------------------------------


FLOAT_ONLY = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2", "log10", "log1p",
              "expm1", "exp2", "rsqrt", "reciprocal", "erf", "erfc", "erfinv"]


@pytest.mark.parametrize("name", FLOAT_ONLY)
def test_float_ops_take_integers_and_bools_as_float32_and_keep_float_dtypes(name):
    for given in (ag.tensor([1, 2]), ag.tensor([True, False])):
        with np.errstate(all="ignore"):
            assert getattr(given, name)().dtype == np.float32
    for dtype in (ag.float16, ag.float32, ag.float64):
        with np.errstate(all="ignore"):
            assert getattr(ag.tensor([0.5], dtype=dtype), name)().dtype == dtype


def test_binary_ops_promote_as_torch():
    i, f = ag.tensor([1, 2]), ag.tensor([1.0, 2.0])
    assert ag.atan2(i, i).dtype == np.float32
    assert ag.hypot(f, i).dtype == np.float32
    assert ag.logaddexp(f.double(), f).dtype == np.float64
    assert (i % 3).dtype == np.int64 and (i % 2.5).dtype == np.float32
    assert (ag.tensor([5], dtype=ag.int32) % ag.tensor([2])).dtype == np.int64
    assert (i // 2).dtype == np.int64 and (i // 2.0).dtype == np.float32
    assert i.div(2).dtype == np.float32 and i.div(2, rounding_mode="floor").dtype == np.int64
    assert i.fmod(2.5).dtype == np.float32 and ag.remainder(i, 2).dtype == np.int64


def test_integer_division_rounds_as_python_and_refuses_a_zero_divisor():
    a = ag.tensor([7, -7, 7, -7])
    b = ag.tensor([2, 2, -2, -2])
    assert values(a // b).tolist() == [7 // 2, -7 // 2, 7 // -2, -7 // -2]
    assert values(a % b).tolist() == [7 % 2, -7 % 2, 7 % -2, -7 % -2]
    assert values(a.div(b, rounding_mode="trunc")).tolist() == [3, -3, -3, 3]
    assert values(a.fmod(b)).tolist() == [math.fmod(7, 2), math.fmod(-7, 2), math.fmod(7, -2), math.fmod(-7, -2)]
    assert values(7 // ag.tensor([2, -2])).tolist() == [3, -4] and values(7 % ag.tensor([2, -2])).tolist() == [1, -1]
    big = ag.tensor([2**62 + 1])
    assert values(big.div(3, rounding_mode="trunc")).tolist() == [(2**62 + 1) // 3]  # exact, not through floats
    for divide in (lambda: a // 0, lambda: a % ag.tensor([1, 0, 1, 1]), lambda: a.fmod(0),
                   lambda: a.div(0, rounding_mode="trunc"), lambda: 3 // ag.tensor([0])):
        with pytest.raises(IntegerDivisionError, match="division by zero"):
            divide()
    assert issubclass(IntegerDivisionError, ZeroDivisionError) and issubclass(IntegerDivisionError, RuntimeError)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(values(ag.tensor([5.5, -5.5, 0.0]) // 0), [np.inf, -np.inf, np.nan])
        assert np.isnan(values(ag.tensor([5.0]) % 0)).all()


def test_division_errors():
    with pytest.raises(ValueError, match="'round'"):
        ag.tensor([1.0]).div(2, rounding_mode="round")
    with pytest.raises(TypeError, match="bool"):
        ag.tensor([True]) // ag.tensor([True])


# --- bits and logic ----------------------------------------------------------------------------


def test_bitwise_ops_and_their_dtypes():
    i = ag.tensor([12, 10, -1])
    assert values(i & 6).tolist() == [4, 2, 6] and values(i | 1).tolist() == [13, 11, -1]
    assert values(i ^ 5).tolist() == [9, 15, -6] and values(~i).tolist() == [-13, -11, 0]
    assert values(3 & i).tolist() == [0, 2, 3] and values(3 ^ i).tolist() == [15, 9, -4]
    assert values(ag.bitwise_and(i, ag.tensor([True, False, True]))).tolist() == [0, 0, 1]
    int8 = ag.tensor([1, 2], dtype=ag.int8)
    assert (int8 & 1).dtype == np.int8 and (int8 << 2).dtype == np.int8
    assert (ag.tensor([1], dtype=ag.int32) & ag.tensor([1])).dtype == np.int64
    b = ag.tensor([True, False])
    assert (b & b).dtype == np.bool_ and values(b ^ True).tolist() == [False, True]
    assert values(~b).tolist() == [False, True] and values(b.bitwise_not()).tolist() == [False, True]
    assert (b << 1).dtype == np.int64 and values(b << 1).tolist() == [2, 0]


def test_shifts_past_the_width_as_torch():
    i = ag.tensor([-8, 8, 1])
    assert values(i << 2).tolist() == [-32, 32, 4] and values(i >> 1).tolist() == [-4, 4, 0]
    assert values(i << 64).tolist() == [0, 0, 0] and values(i >> 64).tolist() == [-1, 0, 0]
    assert values(i << -1).tolist() == [0, 0, 0] and values(i >> -1).tolist() == [-1, 0, 0]
    assert values(1 << ag.tensor([0, 3])).tolist() == [1, 8] and values(64 >> ag.tensor([0, 3])).tolist() == [64, 8]
    assert values(ag.bitwise_left_shift(ag.tensor([1], dtype=ag.int8), 9)).tolist() == [0]
    assert values(ag.tensor([5]).bitwise_right_shift(ag.tensor([1]))).tolist() == [2]


@pytest.mark.parametrize("op", [lambda a, b: a & b, lambda a, b: b | a, lambda a, b: a ^ b, lambda a, b: a << b,
                                lambda a, b: b >> a, lambda a, b: ag.bitwise_and(a, b)])
def test_bitwise_ops_refuse_floats(op):
    with pytest.raises(TypeError, match="bool or integer"):
        op(ag.tensor([1.0]), ag.tensor([1]))
    with pytest.raises(TypeError, match="float"):
        op(ag.tensor([1]), 1.5)
    with pytest.raises(TypeError, match="bool or integer"):
        ~ag.tensor([1.0])


def test_logical_ops_take_any_dtype_and_give_bools_outside_the_graph():
    f = ag.tensor([0.0, 1.5, -2.0, 0.0], requires_grad=True)
    i = ag.tensor([0, 0, 3, 1])
    cases = {ag.logical_and: [False, False, True, False], ag.logical_or: [False, True, True, True],
             ag.logical_xor: [False, True, False, True]}
    for op, expected in cases.items():
        out = op(f, i)
        assert out.dtype == np.bool_ and values(out).tolist() == expected and out.grad_fn is None
    assert values(f.logical_not()).tolist() == [True, False, False, True]
    assert values(i.logical_and(1)).tolist() == [False, False, True, True]


def test_value_tests_and_closeness_methods():
    x = ag.tensor([1.0, float("nan"), float("inf"), -float("inf")], requires_grad=True)
    assert values(x.isnan()).tolist() == [False, True, False, False]
    assert values(ag.isinf(x)).tolist() == [False, False, True, True]
    assert values(x.isfinite()).tolist() == [True, False, False, False]
    assert x.isnan().grad_fn is None and not x.isnan().requires_grad
    assert values(ag.tensor([1, 2]).isfinite()).tolist() == [True, True]
    a = ag.tensor([1.0, 2.0])
    assert values(a.isclose(a + 1e-9)).tolist() == [True, True]
    assert a.allclose(a + 1e-9) is True and a.allclose(a + 1.0) is False
    assert values(ag.tensor([float("nan")]).isclose(ag.tensor([float("nan")]), equal_nan=True)).tolist() == [True]


def test_clamp_min_and_max_and_tensor_bounds():
    x = ag.tensor([-2.0, 0.5, 3.0])
    assert values(x.clamp_min(0.0)).tolist() == [0.0, 0.5, 3.0]
    assert values(ag.clamp_max(x, 1.0)).tolist() == [-2.0, 0.5, 1.0]
    assert values(x.clamp(ag.tensor([-1.0, 1.0, 0.0]), ag.tensor(2.0))).tolist() == [-1.0, 1.0, 2.0]
    assert ag.tensor([1, 5]).clamp(1.5).dtype == np.float32  # a float bound makes an int tensor float


# --- in-place forms --------------------------------------------------------------------------------

# name -> (arguments, values in the op's domain)
IN_PLACE = {
    "exp_": ((), [0.5, -1.0]), "log_": ((), [0.5, 2.0]), "sqrt_": ((), [0.5, 2.0]), "abs_": ((), [-0.5, 2.0]),
    "neg_": ((), [0.5, -2.0]), "square_": ((), [0.5, -2.0]), "sin_": ((), [0.5, -2.0]), "cos_": ((), [0.5, -2.0]),
    "tan_": ((), [0.5, -1.0]), "tanh_": ((), [0.5, -2.0]), "sigmoid_": ((), [0.5, -2.0]), "relu_": ((), [0.5, -2.0]),
    "asin_": ((), [0.5, -0.2]), "arcsin_": ((), [0.5, -0.2]), "acos_": ((), [0.5, -0.2]),
    "atan_": ((), [0.5, -2.0]), "sinh_": ((), [0.5, -2.0]), "cosh_": ((), [0.5, -2.0]),
    "asinh_": ((), [0.5, -2.0]), "acosh_": ((), [1.5, 2.0]), "atanh_": ((), [0.5, -0.2]),
    "log2_": ((), [0.5, 2.0]), "log10_": ((), [0.5, 2.0]), "log1p_": ((), [0.5, 2.0]), "expm1_": ((), [0.5, -2.0]),
    "exp2_": ((), [0.5, -2.0]), "rsqrt_": ((), [0.5, 2.0]), "reciprocal_": ((), [0.5, -2.0]),
    "erf_": ((), [0.5, -2.0]), "erfc_": ((), [0.5, -2.0]), "erfinv_": ((), [0.5, -0.2]),
    "floor_": ((), [0.5, -2.5]), "ceil_": ((), [0.5, -2.5]), "trunc_": ((), [0.5, -2.5]), "fix_": ((), [1.5, -2.5]),
    "frac_": ((), [1.5, -2.25]), "sign_": ((), [0.5, -2.5]), "sgn_": ((), [0.5, -2.5]),
    "nan_to_num_": ((), [float("nan"), 1.0]), "clamp_": ((-1.0, 1.0), [0.5, -2.5]), "clip_": ((0.0, None), [0.5, -2.5]),
    "clamp_min_": ((0.0,), [0.5, -2.5]), "clamp_max_": ((0.0,), [0.5, -2.5]), "pow_": ((2.0,), [0.5, -2.5]),
    "atan2_": ((ag.tensor(2.0),), [0.5, -2.5]), "hypot_": ((3.0,), [0.5, -2.5]), "copysign_": ((-1.0,), [0.5, -2.5]),
    "fmod_": ((0.7,), [1.5, -2.5]), "remainder_": ((0.7,), [1.5, -2.5]), "floor_divide_": ((0.7,), [1.5, -2.5]),
    "true_divide_": ((4.0,), [1.5, -2.5]), "lerp_": ((ag.tensor([1.0, 2.0]), 0.3), [1.5, -2.5]),
}


@pytest.mark.parametrize(("name", "case"), IN_PLACE.items(), ids=IN_PLACE.keys())
def test_in_place_form_writes_the_out_of_place_result_and_bumps_the_version(name, case):
    args, data = case
    x = ag.tensor(data)
    expected = values(getattr(x, name[:-1])(*args))
    counter = x._counter()
    before = counter[0]
    memory = x.numpy()
    out = getattr(x, name)(*args)
    assert out is x and x.numpy() is memory
    np.testing.assert_array_equal(values(x), expected)
    assert counter[0] == before + 1


def test_in_place_rounding_and_division_keywords():
    x = ag.tensor([1.26, -7.5])
    x.round_(decimals=1)
    np.testing.assert_allclose(values(x), [1.3, -7.5], rtol=1e-6)
    i = ag.tensor([7, -7])
    i.div_(2, rounding_mode="floor")
    assert values(i).tolist() == [3, -4]
    y = ag.tensor([7.0, -7.0])
    y.div_(2, rounding_mode="trunc")
    assert values(y).tolist() == [3.0, -3.0]


def test_in_place_operators_keep_the_tensor():
    i = ag.tensor([12, 10])
    memory = i.numpy()
    i &= 6
    i |= 1
    i ^= 2
    i <<= 2
    i >>= 1
    i //= 3
    i %= 5
    i **= 2
    assert i.numpy() is memory
    expected = [12, 10]
    for k in range(2):
        v = expected[k]
        v = (((((v & 6) | 1) ^ 2) << 2) >> 1) // 3 % 5
        expected[k] = v**2
    assert values(i).tolist() == expected
    b = ag.tensor([True, False])
    b.logical_xor_(ag.tensor([True, True]))
    assert b.dtype == np.bool_ and values(b).tolist() == [False, True]
    f = ag.tensor([1.5, 0.0])
    f.logical_not_()
    assert f.dtype == np.float32 and values(f).tolist() == [0.0, 1.0]  # the result cast to the tensor's dtype


def test_in_place_refuses_a_result_the_dtype_cannot_hold_and_leaves_it_unchanged():
    i = ag.tensor([1, 2])
    for change in (i.exp_, i.sqrt_, i.sigmoid_, lambda: i.clamp_(0.5, 1.5), lambda: i.atan2_(1), lambda: i.div_(2)):
        with pytest.raises(TypeError, match="int64"):
            change()
    assert values(i).tolist() == [1, 2]
    b = ag.tensor([True])
    with pytest.raises(TypeError, match="bool"):
        b.bitwise_left_shift_(1)  # bool << 1 is int64, which a bool tensor cannot hold
    with pytest.raises(TypeError, match="int64"):
        ag.tensor([4]).pow_(0.5)
    assert values(ag.tensor([3]).pow_(2)).tolist() == [9] and values(ag.tensor([-3]).abs_()).tolist() == [3]


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = ag.tensor([0.5, -1.5], requires_grad=True)
    for change in (w.exp_, w.floor_, w.erf_, lambda: w.clamp_(0.0, 1.0), lambda: w.atan2_(1.0)):
        with pytest.raises(RuntimeError, match="leaf"):
            change()
    with ag.no_grad():
        w.clamp_(0.0, 1.0)
        w.floor_()
    assert w.requires_grad and w.grad_fn is None and values(w).tolist() == [0.0, 0.0]


def test_in_place_on_a_recorded_tensor_records_the_op():
    x = ag.tensor([0.3, -0.8], dtype=ag.float64, requires_grad=True)
    y = x * 2.0
    y.sinh_()
    y.atan2_(ag.tensor([1.5], dtype=ag.float64))
    y.floor_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.grad = None
    z = x * 2.0
    z.sinh_().lerp_(x, 0.25)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.75 * 2.0 * np.cosh(2.0 * values(x)) + 0.25)


def test_changing_a_saved_tensor_in_place_is_caught_in_backward():
    x = ag.tensor([0.3, 0.5], requires_grad=True)
    y = x.asin()  # saves its input
    x2 = x * 1.0
    z = x2.asin()
    x2.cos_()
    with pytest.raises(RuntimeError, match="modified"):
        z.sum().backward()
    w = x.tan()  # saves its output
    w.expm1_()
    with pytest.raises(RuntimeError, match="modified"):
        w.sum().backward()
    v = x.erfinv()  # saves its output: but the output of erfinv_ below is fine
    v2 = v * 1.0
    v2.erfinv_()
    y.sum().backward()
    (v + v2).sum().backward()


def test_in_place_through_a_view_of_a_recorded_tensor_is_refused():
    x = ag.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    y = x * 1.0
    row = y[0]
    with pytest.raises(RuntimeError, match="shares memory"):
        row.exp_()


def test_addcmul_addcdiv_and_torchs_other_names():
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal(values(x.addcmul(ag.tensor([2.0, 3.0]), 4.0, value=0.5)), [5.0, 8.0])
    np.testing.assert_array_equal(values(ag.addcdiv(x, ag.tensor([2.0, 3.0]), ag.tensor([4.0, 6.0]))), [1.5, 2.5])
    x.addcmul_(x, x, value=-1.0)
    np.testing.assert_array_equal(values(x), [0.0, -2.0])
    assert values(ag.negative(ag.tensor([1, -2]))).tolist() == [-1, 2]
    assert values(ag.tensor([-1.5]).absolute()).tolist() == [1.5]
    assert values(ag.multiply(ag.tensor([2.0]), 3.0)).tolist() == [6.0]
    assert values(ag.tensor([2.0]).subtract(3.0, alpha=2.0)).tolist() == [-4.0]
    y = ag.tensor([-1.5, 2.0])
    y.absolute_().negative_().multiply_(2.0).subtract_(1.0)
    assert values(y).tolist() == [-4.0, -5.0]


def test_random_fills_in_place():
    ag.manual_seed(3)
    w = ag.zeros(400, 5, dtype=ag.float64, requires_grad=True)
    with ag.no_grad():  # as an init: the leaf keeps requiring grad
        w.uniform_(-0.5, 0.25)
    assert w.requires_grad and w.grad_fn is None and w.dtype == np.float64
    assert -0.5 <= values(w).min() and values(w).max() < 0.25 and values(w).std() > 0.2
    ag.manual_seed(3)
    again = ag.zeros(400, 5, dtype=ag.float64).uniform_(-0.5, 0.25)
    np.testing.assert_array_equal(values(again), values(w))  # the same seed, the same values
    normal = ag.empty(20000).normal_(2.0, 0.5, generator=ag.Generator().manual_seed(1))
    assert normal.dtype == np.float32
    assert abs(values(normal).mean() - 2.0) < 0.02 and abs(values(normal).std() - 0.5) < 0.02
    rate = ag.empty(20000, dtype=ag.float16).exponential_(4.0)
    assert rate.dtype == np.float16 and values(rate).min() >= 0 and abs(values(rate).astype(float).mean() - 0.25) < 0.02
    coins = ag.zeros(2, 10000, dtype=ag.int64).bernoulli_(ag.tensor([[0.0], [1.0]]))
    assert values(coins)[0].sum() == 0 and values(coins)[1].sum() == 10000
    assert 0.45 < values(ag.zeros(10000).bernoulli_()).mean() < 0.55
    with pytest.raises(RuntimeError, match="leaf"):
        w.normal_()
    with pytest.raises(TypeError, match="int64"):
        ag.zeros(3, dtype=ag.int64).uniform_()
    counter = w._counter()
    before = counter[0]
    with ag.no_grad():
        w.normal_()
    assert counter[0] == before + 1


def test_a_random_fill_of_a_recorded_tensor_cuts_the_old_values_off():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = x * 3.0
    y.uniform_()
    assert y.grad_fn is not None
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values(y))  # d(y x)/dx with y drawn: no path through 3x


# --- dtypes: casts and views ---------------------------------------------------------------------


def test_casts_by_name():
    x = ag.tensor([1.7, -2.2])
    assert x.half().dtype == np.float16 and x.short().dtype == np.int16
    assert x.char().dtype == np.int8 and values(x.char()).tolist() == [1, -2]
    assert ag.tensor([200.0]).byte().dtype == np.uint8 and values(ag.tensor([200.0]).byte()).tolist() == [200]
    assert x.int().dtype == np.int32
    w = ag.tensor([1.5], requires_grad=True)
    h = w.half()
    assert h.grad_fn is not None  # a float cast stays in the graph
    h.sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.item() == 1.0


def test_view_as_a_dtype_of_the_same_size_reads_the_bits():
    x = ag.tensor([1.0, -2.0])
    bits = x.view(ag.int32)
    assert bits.dtype == np.int32 and bits.shape == (2,)
    assert values(bits).tolist() == np.array([1.0, -2.0], dtype=np.float32).view(np.int32).tolist()
    assert np.shares_memory(bits.numpy(), x.numpy())
    with ag.no_grad():
        bits.fill_(0)
    assert values(x).tolist() == [0.0, 0.0]  # one memory
    assert x.view(dtype=ag.float32) is x and x.view(np.float32) is x
    assert x.view(2, 1).shape == (2, 1) and x.view((1, 2)).shape == (1, 2) and x.view(-1).shape == (2,)
    assert ag.tensor(1.0).view(ag.int32).shape == ()
    assert values(ag.tensor([1.0, 2.0], dtype=ag.float64).view("int64")).tolist() == [4607182418800017408,
                                                                                     4611686018427387904]


def test_view_as_a_dtype_of_another_size_resizes_the_last_dim():
    x = ag.zeros(2, 4)
    assert x.view(ag.float64).shape == (2, 2) and x.view(ag.float16).shape == (2, 8)
    assert x.view(ag.uint8).shape == (2, 16) and x.view(ag.bool).shape == (2, 16)
    halves = ag.tensor([1.0, 2.0]).view(ag.float16)
    assert values(halves).tolist() == [0.0, 1.875, 0.0, 2.0]  # the two 16-bit halves of each float32
    with pytest.raises(RuntimeError, match=r"last dim of 3 elements"):
        ag.zeros(3).view(ag.float64)
    with pytest.raises(RuntimeError, match="0-d"):
        ag.tensor(1.0).view(ag.float16)
    with pytest.raises(RuntimeError, match="not contiguous"):
        ag.zeros(4, 2).t().view(ag.float64)
    with pytest.raises(TypeError, match="not both"):
        x.view(2, dtype=ag.int32)


def test_view_as_another_dtype_is_a_constant_that_shares_the_version():
    x = ag.tensor([0.5, 1.5], requires_grad=True)
    y = x * 2.0
    bits = y.view(ag.int32)
    assert bits.grad_fn is None and not bits.requires_grad
    assert x.view(ag.float16).grad_fn is None and not x.view(ag.float16).requires_grad
    z = y.exp()  # saves its output, not y; sin saves y
    s = y.sin()
    bits.add_(1)
    with pytest.raises(RuntimeError, match="modified"):
        s.sum().backward()
    z.sum().backward()


# --- against torch -----------------------------------------------------------------------------------

UNARY = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2", "log10", "log1p", "expm1",
         "exp2", "rsqrt", "reciprocal", "erf", "erfc", "erfinv", "floor", "ceil", "round", "trunc", "frac", "sign",
         "sgn", "nan_to_num", "isnan", "isinf", "isfinite", "logical_not"]
BINARY = ["atan2", "logaddexp", "logaddexp2", "hypot", "copysign", "fmod", "remainder", "floor_divide", "true_divide",
          "logical_and", "logical_or", "logical_xor"]


def _torch_and_ours(torch, values_, dtype="float64", requires_grad=True):
    t = torch.tensor(values_, dtype=getattr(torch, dtype), requires_grad=requires_grad)
    a = ag.tensor(np.asarray(values_, dtype=dtype), requires_grad=requires_grad)
    return t, a


def _assert_same(theirs, ours, rtol=1e-12, where=None):
    theirs = theirs.detach().numpy(force=True)  # force: torch's zero gradients may be a ZeroTensor
    ours = np.asarray(values(ours))
    assert ours.dtype == theirs.dtype
    if where is not None:
        theirs, ours = theirs[where], ours[where]
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-300, equal_nan=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_torch_in_value_and_gradient(name):
    torch = pytest.importorskip("torch")
    data = [-2.7, -1.0, -0.5, -1e-8, 0.0, 0.25, 0.5, 0.999, 1.0, 1.5, 3.5, float("nan"), float("inf")]
    t, a = _torch_and_ours(torch, data)
    with np.errstate(all="ignore"):
        theirs, ours = getattr(t, name)(), getattr(a, name)()
        _assert_same(theirs, ours)
        if theirs.requires_grad:
            theirs.sum().backward()
            ours.sum().backward()
            # Where the value is NaN (outside the domain) the derivative means nothing: torch's
            # formula gives acosh'(-2.7) a number, ndgrad's NaN.
            _assert_same(t.grad, a.grad, where=~np.isnan(theirs.detach().numpy()))
    for dtype in ("float32", "int64", "bool"):
        given = [0, 1, 2] if dtype != "bool" else [True, False, True]
        t, a = _torch_and_ours(torch, given, dtype, requires_grad=False)
        try:
            theirs = getattr(t, name)()
        except (RuntimeError, NotImplementedError):  # torch refuses the dtype: so does ndgrad
            with pytest.raises(TypeError):
                getattr(a, name)()
            continue
        with np.errstate(all="ignore"):
            _assert_same(theirs, getattr(a, name)(), rtol=1e-6)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_match_torch_in_value_and_gradient(name):
    torch = pytest.importorskip("torch")
    left = [-2.7, -1.0, 0.0, 0.3, 1.0, 1.5, 5.5, -5.5, 4.0]
    right = [1.3, -0.5, 0.0, 0.3, -2.0, 0.7, 2.0, 2.0, 0.3]
    (ta, tb), (a, b) = zip(_torch_and_ours(torch, left), _torch_and_ours(torch, right))
    with np.errstate(all="ignore"):
        theirs, ours = getattr(ta, name)(tb), getattr(a, name)(b)
        _assert_same(theirs, ours)
        if name == "floor_divide":  # torch has no derivative for it: compare with its equal, the rounded div
            theirs = torch.div(ta, tb, rounding_mode="floor")
        if theirs.requires_grad:
            (theirs * torch.arange(1.0, 10.0, dtype=torch.float64)).sum().backward()
            (ours * ag.arange(1.0, 10.0, dtype=ag.float64)).sum().backward()
            _assert_same(ta.grad, a.grad)
            if tb.grad is not None:
                _assert_same(tb.grad, b.grad)


def test_integer_division_and_bits_match_torch():
    torch = pytest.importorskip("torch")
    ints = [-7, -3, 0, 5, 12]
    divisors = [2, -2, 3, -5, 7]
    ti, i = torch.tensor(ints), ag.tensor(ints)
    td, d = torch.tensor(divisors), ag.tensor(divisors)
    pairs = [(ti // td, i // d), (ti % td, i % d), (torch.fmod(ti, td), ag.fmod(i, d)),
             (torch.div(ti, td, rounding_mode="trunc"), ag.div(i, d, rounding_mode="trunc")),
             (ti & td, i & d), (ti | 3, i | 3), (ti ^ td, i ^ d), (~ti, ~i), (ti << 3, i << 3), (ti >> 1, i >> 1),
             (ti.to(torch.int8) << 6, i.char() << 6), (torch.tensor([True]) << 2, ag.tensor([True]) << 2)]
    for theirs, ours in pairs:
        assert values(ours).tolist() == theirs.tolist()
        assert values(ours).dtype == theirs.numpy().dtype
    with pytest.raises(RuntimeError):
        ti // 0
    with pytest.raises(RuntimeError):
        i // 0


def test_view_dtype_and_casts_match_torch():
    torch = pytest.importorskip("torch")
    data = [[1.0, -2.5, 3.25, 0.0]]
    t, a = torch.tensor(data), ag.tensor(data)
    for theirs, ours in [(t.view(torch.int32), a.view(ag.int32)), (t.view(torch.float16), a.view(ag.float16)),
                         (t.view(torch.float64), a.view(ag.float64)), (t.view(torch.uint8), a.view(ag.uint8)),
                         (t.half(), a.half()), (t.short(), a.short()), (t.char(), a.char()), (t.byte(), a.byte())]:
        assert values(ours).dtype == theirs.numpy().dtype and values(ours).shape == tuple(theirs.shape)
        np.testing.assert_array_equal(values(ours), theirs.numpy())
