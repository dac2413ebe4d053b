"""The activations of ``nn.functional`` for ``autograd.testing.check_op``, in the format of
``nn/op_table.py`` (which adds these lines to its own): each checked at first and second order
on values kept away from its kinks (the conventions at the kinks themselves are pinned by
tests/nn/test_activations.py). They are composed from tensor ops, so no Function of their own
needs a ``COVERED_BY`` entry. Needs hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from autograd.op_table import OpCase, case
from autograd.testing import dims, elements, shapes

from . import functional as F

__all__ = ["CASES"]

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
OFF_ZERO = elements(avoid=[0.0])
WIDE_OFF_KINKS = elements(-5.0, 5.0, avoid=[-3.0, 3.0])  # hardsigmoid and hardswish bend at -3 and 3
ND = shapes(min_dims=1)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@st.composite
def prelu_shapes(draw):
    """An input (N, C, ...) or (N,) and a weight of one slope or one per channel."""
    batch = draw(st.integers(1, 3))
    if draw(st.booleans()):
        return (batch,), (1,)
    channels = draw(st.integers(1, 3))
    rest = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    return (batch, channels, *rest), (draw(st.sampled_from([1, channels])),)


def np_prelu(x, w):
    slope = w.reshape(()) if w.size == 1 else w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, slope * x)


@st.composite
def even_dim_shapes(draw):
    """A shape with an even size in at least one dim (for glu to halve)."""
    shape = list(draw(shapes(min_dims=1)))
    shape[draw(st.integers(0, len(shape) - 1))] = 2 * draw(st.integers(1, 2))
    return tuple(shape)


def np_glu(x, dim):
    a, b = np.split(x, 2, axis=dim)
    return a * np_sigmoid(b)


def np_normalize(x, p, dim):
    norm = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / np.maximum(norm, 1e-12)


CASES: list[OpCase] = [
    case("silu", F.silu, lambda x: x * np_sigmoid(x)),
    case("silu_inplace", lambda x: F.silu(x * 1.0, inplace=True), lambda x: x * np_sigmoid(x)),
    case("mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0.0, x))),
    case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))),
    case("elu", lambda x, alpha: F.elu(x, alpha), np_elu, elements=OFF_ZERO,
         kwargs={"alpha": st.sampled_from([0.5, 1.0, 2.0])}),
    case("elu_inplace", lambda x: F.elu(x * 1.0, 0.5, inplace=True), lambda x: np_elu(x, 0.5), elements=OFF_ZERO),
    case("selu", F.selu, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA), elements=OFF_ZERO),
    case("celu", lambda x, alpha: F.celu(x, alpha), lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(
         np.minimum(x, 0.0) / alpha)), elements=OFF_ZERO, kwargs={"alpha": st.sampled_from([0.5, 2.0])}),
    case("leaky_relu", lambda x, negative_slope: F.leaky_relu(x, negative_slope),
         lambda x, negative_slope: np.where(x > 0, x, negative_slope * x), elements=OFF_ZERO,
         kwargs={"negative_slope": st.sampled_from([0.01, 0.2, -0.5])}),
    case("prelu", F.prelu, np_prelu, shapes=prelu_shapes(), elements=[OFF_ZERO, elements()]),
    case("relu6", F.relu6, lambda x: np.clip(x, 0.0, 6.0), elements=elements(-2.0, 8.0, avoid=[0.0, 6.0])),
    case("hardtanh", lambda x: F.hardtanh(x, -1.5, 2.0), lambda x: np.clip(x, -1.5, 2.0),
         elements=elements(avoid=[-1.5, 2.0])),
    case("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0), elements=WIDE_OFF_KINKS),
    case("hardswish", F.hardswish, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0, elements=WIDE_OFF_KINKS),
    case("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0),
         elements=elements(avoid=[0.5])),
    case("hardshrink", lambda x: F.hardshrink(x, 0.7), lambda x: np.where(np.abs(x) > 0.7, x, 0.0),
         elements=elements(avoid=[-0.7, 0.7])),
    case("softshrink", lambda x: F.softshrink(x, 0.7), lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.7, 0.0),
         elements=elements(avoid=[-0.7, 0.7])),
    case("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x)),
    case("softsign", F.softsign, lambda x: x / (1.0 + np.abs(x)), elements=OFF_ZERO),  # |x|'' is not there at 0
    case("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0.0, -x)),
    case("softplus_threshold", lambda x: F.softplus(x, 2.0, 1.0),
         lambda x: np.where(2.0 * x > 1.0, x, np.logaddexp(0.0, 2.0 * x) / 2.0), elements=elements(avoid=[0.5])),
    case("glu", lambda x, dim: F.glu(x, dim), np_glu, shapes=even_dim_shapes(),
         kwargs=lambda s: {"dim": st.sampled_from([d for d in range(-len(s), len(s)) if s[d] % 2 == 0])}),
    case("softmin", lambda x, dim: F.softmin(x, dim), lambda x, dim: np_softmax(-x, dim),
         kwargs=lambda s: {"dim": dims(s)}),
    case("normalize", lambda x, p, dim: F.normalize(x, p, dim), np_normalize, shapes=ND, elements=OFF_ZERO,
         kwargs=lambda s: {"p": st.sampled_from([1.0, 2.0, 3.0]), "dim": dims(s)}),
]
