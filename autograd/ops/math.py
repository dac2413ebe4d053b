"""Elementwise math beyond the primitives of ``elementwise.py``: inverse trigonometric and
hyperbolic functions, logarithms of other bases, the error function and its relatives, the
binary ops atan2, logaddexp, hypot and remainder, and the locally constant functions (floor,
sign, ...), whose derivative is 0 wherever it exists.

What composes well from other ops (frac, rsqrt, exp2, lerp, copysign, logaddexp2, ...) is
composed in ``Tensor``'s methods instead. Each op here has a reason to be one: NumPy computes
its value more accurately than a composition would (log10(1000) is exactly 3, sinh of a tiny
x is not lost to cancellation, hypot does not overflow), or no composition exists (erf).

Conventions where a derivative is undefined (as in torch): floor, ceil, round, trunc and sign
pass a gradient of 0 everywhere, atan2's gradient at (0, 0) is 0, and the remainder's gradient
with respect to the divisor is minus the integer quotient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..dtypes import _describe
from ..function import Op
from ..variable import data_of
from .elementwise import Sigmoid, select

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
LN2, _LN10 = math.log(2.0), math.log(10.0)


class Elementwise(Op):
    """A unary function given as ``value`` (on arrays) and its ``derivative``, a function of the
    input, or of the output when ``of_output``. Backward multiplies the gradient by the
    derivative; written with NumPy functions, the derivative is itself differentiable, which
    gives the second and higher derivatives (see ``function.py``)."""

    of_output = False
    value: Callable[[Any], Any]
    derivative: Callable[[Any], Any]

    @classmethod
    def forward(cls, ctx: Any, a: Any) -> Any:
        out = cls.value(a)
        # Only what the derivative reads is saved, so that changing the other in place is allowed.
        ctx.save_for_backward(out if cls.of_output else a)
        return out

    @classmethod
    def backward(cls, ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * cls.derivative(x)


class Tan(Elementwise):
    of_output = True
    value = staticmethod(np.tan)
    derivative = staticmethod(lambda y: 1.0 + y * y)


class Asin(Elementwise):
    value = staticmethod(np.arcsin)
    derivative = staticmethod(lambda x: 1.0 / np.sqrt(1.0 - x * x))


class Acos(Elementwise):
    value = staticmethod(np.arccos)
    derivative = staticmethod(lambda x: -1.0 / np.sqrt(1.0 - x * x))


class Atan(Elementwise):
    value = staticmethod(np.arctan)
    derivative = staticmethod(lambda x: 1.0 / (1.0 + x * x))


class Sinh(Elementwise):
    value = staticmethod(np.sinh)
    derivative = staticmethod(lambda x: Cosh.apply(x))


class Cosh(Elementwise):
    value = staticmethod(np.cosh)
    derivative = staticmethod(lambda x: Sinh.apply(x))


class Asinh(Elementwise):
    value = staticmethod(np.arcsinh)
    # NOTE: hypot(x, 1), not sqrt(x^2 + 1), whose square overflows for |x| > 1e19 in float32.
    derivative = staticmethod(lambda x: 1.0 / np.hypot(x, 1.0))


class Acosh(Elementwise):
    value = staticmethod(np.arccosh)
    # NOTE: x - 1 is exact near 1, where x^2 - 1 would lose the digits that matter.
    derivative = staticmethod(lambda x: 1.0 / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0)))


class Atanh(Elementwise):
    value = staticmethod(np.arctanh)
    derivative = staticmethod(lambda x: 1.0 / ((1.0 - x) * (1.0 + x)))


def _in_float64(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` computed in float64 and rounded to the input's dtype: NumPy's float32 log10 of 1000 is
    3.0000002, where the point of log10 is to be exact at powers of 10."""
    return lambda x: fn(np.asarray(x, dtype=np.float64)).astype(np.asarray(x).dtype, copy=False)


class Log2(Elementwise):
    value = staticmethod(_in_float64(np.log2))
    derivative = staticmethod(lambda x: 1.0 / (x * LN2))


class Log10(Elementwise):
    value = staticmethod(_in_float64(np.log10))
    derivative = staticmethod(lambda x: 1.0 / (x * _LN10))


class Log1p(Elementwise):
    value = staticmethod(np.log1p)
    derivative = staticmethod(lambda x: 1.0 / (1.0 + x))


class Expm1(Elementwise):
    value = staticmethod(np.expm1)
    # exp(x), not out + 1: for x below -37 out is -1.0 and out + 1 would be 0.
    derivative = staticmethod(np.exp)


class Erf(Elementwise):
    value = staticmethod(lambda x: _same_dtype(_erf(x), x))
    derivative = staticmethod(lambda x: np.exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(Elementwise):
    value = staticmethod(lambda x: _same_dtype(_erfc(x), x))
    derivative = staticmethod(lambda x: np.exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class Erfinv(Elementwise):
    of_output = True
    value = staticmethod(lambda y: _same_dtype(_erfinv(y), y))
    derivative = staticmethod(lambda x: np.exp(x * x) * (1.0 / _TWO_OVER_SQRT_PI))


# --- binary ----------------------------------------------------------------------------------


class Atan2(Op):
    """The angle of the point (b, a): atan(a / b) in the right quadrant."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        r = a * a + b * b
        origin = (data_of(a) == 0) & (data_of(b) == 0)
        if np.any(origin):
            # At (0, 0) both numerators below are 0; dividing them by 1 gives torch's gradient 0 there.
            r = np.where(origin, 1.0, r)
        s = g / r
        return (s * b if ctx.needs_input_grad[0] else None), (-s * a if ctx.needs_input_grad[1] else None)


class LogAddExp(Op):
    """log(e^a + e^b). NOTE: NumPy's logaddexp never overflows, where the composition would
    for a > 88 in float32; its derivative, a sigmoid of a - b, never does either."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (g * Sigmoid.apply(a - b) if needs[0] else None), (g * Sigmoid.apply(b - a) if needs[1] else None)


class Hypot(Op):
    """sqrt(a^2 + b^2). NOTE: NumPy's hypot scales before squaring, which would overflow for
    values above 1e19 in float32 (1e154 in float64)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b, out = ctx.saved_tensors
        s = g / out  # nan at (0, 0), as in torch: the cone has no derivative at its tip
        return (s * a if ctx.needs_input_grad[0] else None), (s * b if ctx.needs_input_grad[1] else None)


class Remainder(Op):
    """``a - q * b`` for the integer quotient q of a / b rounded toward -inf (``rounding="floor"``:
    torch's remainder and ``%``, with the sign of b) or toward 0 (``"trunc"``: fmod, with the sign
    of a). Its gradient is 1 for a and -q for b."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, rounding: str) -> Any:
        out = (np.remainder if rounding == "floor" else np.fmod)(a, b)
        if ctx.needs_input_grad[1]:
            # The quotient that makes a = q b + out, which np.floor(a / b) need not be: the
            # division rounds (1 % 0.1 is 0.0999..., for q = 9, while 1 / 0.1 is exactly 10).
            ctx.quotient = np.rint((a - out) / b)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, (-g * ctx.quotient if ctx.needs_input_grad[1] else None), None


# --- locally constant ------------------------------------------------------------------------


class LocallyConstant(Op):
    """``value(*args)`` for a function that is constant around almost every point (floor, round,
    sign, a rounded division): its gradient is 0 for every argument, as in torch. Kept in the
    graph, so that backward through it gives zeros rather than failing."""

    @staticmethod
    def forward(ctx: Any, value: Callable[..., Any], *args: Any) -> Any:
        return value(*args)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        # Zeros selected, not g * 0: a NaN or inf arriving from upstream stays out, as in torch.
        return (None, *(select(False, g) if needs else None for needs in ctx.needs_input_grad[1:]))


def sign_of(a: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 in a's dtype; 0 for NaN and for -0.0, as torch has it (NumPy gives NaN and -0.0)."""
    if a.dtype.kind == "b":
        return a.copy()
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


def copysign_factor(b: np.ndarray) -> np.ndarray:
    """-1 where b's sign bit is set (-0.0 and NaNs with it included), else 1, in b's dtype."""
    return np.where(np.signbit(b), -1.0, 1.0).astype(b.dtype)


def rounded(a: np.ndarray, decimals: int) -> np.ndarray:
    """``a`` rounded half to even to ``decimals`` decimal places (negative: to tens, hundreds, ...)."""
    if decimals == 0:
        return np.rint(a)
    # As torch: scale by the power of ten, round, and undo the scaling by the same operation's inverse.
    scale = np.asarray(10.0 ** abs(decimals), dtype=a.dtype)
    return np.rint(a * scale) / scale if decimals > 0 else np.rint(a / scale) * scale


class IntegerDivisionError(ZeroDivisionError, RuntimeError):
    """An integer division or remainder with a zero divisor (NumPy would give 0 with a warning).
    A ZeroDivisionError as in Python, and a RuntimeError as torch raises."""


def integer_divisor_checked(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    """``a`` and ``b``, the operands of a division of ``op`` (already of the result's dtype), checked:
    integer division by zero and division of bools are refused."""
    kind = np.result_type(data_of(a), data_of(b)).kind
    if kind == "b":
        raise TypeError(f"{op} of two bool operands; convert one first, e.g. .long()")
    if kind in "iu" and np.any(np.asarray(data_of(b)) == 0):
        raise IntegerDivisionError(f"{op}: integer division by zero (the divisor, {_describe(b)}, has a 0)")
    return a, b


def floor_divided(a: Any, b: Any) -> Any:
    """a / b rounded toward -inf; for floats as Python's ``//`` (1.0 // 0.1 is 9.0)."""
    return np.floor_divide(a, b)


def trunc_divided(a: Any, b: Any) -> Any:
    """a / b rounded toward 0: exact for integers (no pass through floats)."""
    if np.result_type(a, b).kind in "iu":
        return np.floor_divide(a - np.fmod(a, b), b)
    return np.trunc(np.divide(a, b))


# --- the error function and its inverse, on float64 arrays ---------------------------------------

_SERIES_LIMIT = 1.5  # below it a power series converges fast; above it a continued fraction does


def _same_dtype(values: np.ndarray, like: Any) -> np.ndarray:
    return values.astype(np.asarray(like).dtype, copy=False)


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| < 1.5, to about 1e-16: 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)).
    Every term is positive, so unlike the alternating Maclaurin series nothing cancels."""
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(60):  # 27 terms reach double precision at |x| = 1.5
        term *= 2.0 * x2 / (2 * n + 3)
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _erfc_tail(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 1.5 (inf and NaN carried through), to about 1e-16 relative:
    e^{-a^2} / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))), from the tail up."""
    with np.errstate(invalid="ignore", over="ignore"):
        f = a.copy()
        for k in range(100, 0, -1):  # 100 levels give double precision for a >= 1.5
            f = a + (0.5 * k) / f
        return np.exp(-a * a) / (math.sqrt(math.pi) * f)


def _by_region(x: Any, central: Callable[[np.ndarray], np.ndarray],
               tail: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``central`` where |x| < 1.5, ``tail`` elsewhere (also at NaN), on float64 values."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = np.abs(x) < _SERIES_LIMIT
    if np.any(small):
        out[small] = central(x[small])
    if not np.all(small):
        out[~small] = tail(x[~small])
    return out


def _erf(x: Any) -> np.ndarray:
    return _by_region(x, _erf_series, lambda t: np.copysign(1.0 - _erfc_tail(np.abs(t)), t))


def _erfc(x: Any) -> np.ndarray:
    # Below 1.5, 1 - erf loses at most 2 of the 16 digits (erfc(1.5) is 0.03); above, the tail keeps
    # them all, where 1 - erf(x) would be 0 from x = 6 on.
    return _by_region(x, lambda t: 1.0 - _erf_series(t), lambda t: np.where(t > 0, _erfc_tail(np.abs(t)),
                                                                           2.0 - _erfc_tail(np.abs(t))))


def _erfinv(y: Any) -> np.ndarray:
    """The x with erf(x) = y: an approximation to single precision refined by Newton steps.

    The start is M. Giles's polynomial in w = -log(1 - y^2) ("Approximating the erfinv function",
    GPU Computing Gems, 2011). Newton's step solves erf(x) = |y| in the centre; in the tails it
    solves log erfc(x) = log(1 - |y|) instead, whose residual keeps its digits where erf(x) is
    indistinguishable from 1 and whose steps cannot overshoot far (log erfc is nearly quadratic).
    """
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - a) * (1.0 + a))
        x = np.where(w < 5.0, _giles_central(w - 2.5), _giles_tail(np.sqrt(w) - 3.0)) * a
        tail = a >= 0.5
        for _ in range(4):  # the start is good to 1e-2 at worst (beyond float32's range): 4 steps suffice
            derivative = _TWO_OVER_SQRT_PI * np.exp(-x * x)
            erfc = np.where(tail, _erfc(x), 0.0)
            step = np.where(
                tail,
                (np.log(1.0 - a) - np.log(erfc)) * erfc / derivative,  # d(log erfc)/dx is -derivative / erfc
                (_erf(x) - a) / derivative,
            )
            x = np.where(np.isfinite(step), x - step, x)
    x = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, x))
    return np.copysign(x, y)


def _horner(coefficients: tuple[float, ...], t: np.ndarray) -> np.ndarray:
    total = np.zeros_like(t)
    for c in coefficients:
        total = total * t + c
    return total


def _giles_central(t: np.ndarray) -> np.ndarray:
    return _horner((2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941), t)


def _giles_tail(t: np.ndarray) -> np.ndarray:
    return _horner((-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682), t)


# --- bits ------------------------------------------------------------------------------------


def bitwise(ufunc: Any, a: Any, b: Any, op: str) -> np.ndarray:
    """``ufunc`` (np.bitwise_and, np.left_shift, ...) on the raw values of ``a`` and ``b`` (None for a
    unary one), which must be bool or integer. Python numbers stay as they are, so that NumPy keeps
    the tensor's dtype (int8 & 1 is int8), as torch does. NumPy's shifts past the width give 0
    (or -1, shifting a negative number right), as torch's do."""
    operands = (a,) if b is None else (a, b)
    for x in operands:
        kind = x.dtype.kind if hasattr(x, "dtype") else "i" if isinstance(x, int) else ""  # bool is an int
        if kind not in ("b", "i", "u"):
            raise TypeError(f"{op} needs bool or integer operands, got {_describe(x)}")
    return np.asarray(ufunc(*(data_of(x) for x in operands)))
