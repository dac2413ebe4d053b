"""Every built-in op through ``autograd.testing.check_op``: the forward against NumPy, and
first- and second-order gradients against central differences, in float64, on generated
shapes (broadcast pairs included) and values kept inside each op's domain and away from
its kinks. Adding an op means adding one line to ``CASES`` (``nn.op_table.CASES`` for the
ops of ``nn``, which autograd's table cannot import).

Exact kinks and ties are not differentiable by finite differences; the conventions there
are pinned by fixed tests in ``test_conventions.py``. ``Scalar`` ops are checked the same way
through ``autograd.grad(create_graph=True)``. Regression tests for bugs the table found close
the file.
"""

from __future__ import annotations

import importlib
import math
import pkgutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd.op_table import CASES, COVERED_BY, NONZERO, OFF_ZERO, POSITIVE, run_case
from autograd.testing import elements
from nn import op_table as nn_table


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_op_gradients(case):
    run_case(case)


def test_every_function_in_ops_has_a_case():
    """Adding an op to autograd/ops means adding a line to CASES (and naming it here)."""
    functions = [n for n in ag.ops.__all__ if isinstance(getattr(ag.ops, n), type)]
    assert sorted(COVERED_BY) == sorted(functions)
    ids = {c.name for c in CASES}
    assert {name: i for name, i in COVERED_BY.items() if i not in ids} == {}


# --- nn's own ops (nn/op_table.py) ------------------------------------------------------------------

@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in nn_table.CASES])
def test_nn_op_gradients(case):
    run_case(case)


def nn_functions():
    """The names of every Function subclass defined in a module of nn."""
    found = set()
    for info in pkgutil.iter_modules(nn.__path__):
        for value in vars(importlib.import_module(f"nn.{info.name}")).values():
            if isinstance(value, type) and issubclass(value, ag.Function) and value.__module__.startswith("nn."):
                found.add(value.__name__)
    return found


def test_every_function_in_nn_has_a_case():
    """A Function subclass added anywhere in nn needs a line in nn/op_table.py (named in its COVERED_BY)."""
    assert sorted(nn_table.COVERED_BY) == sorted(nn_functions())
    ids = {c.name for c in nn_table.CASES}
    assert {name: i for name, i in nn_table.COVERED_BY.items() if i not in ids} == {}


# --- Scalar ops -------------------------------------------------------------------------------------

SCALAR_CASES = [
    ("add", lambda x, y: x + y, [elements(), elements()]),
    ("sub", lambda x, y: x - y, [elements(), elements()]),
    ("mul", lambda x, y: x * y, [elements(), elements()]),
    ("div", lambda x, y: x / y, [elements(), NONZERO]),
    ("number_ops", lambda x: (2.0 - x) * 3.0 / 2.0 + 1.0, [elements()]),
    ("reflected_div", lambda x: 2.0 / x, [NONZERO]),
    ("neg", lambda x: -x, [elements()]),
    ("pow", lambda x: x**3, [elements()]),
    ("pow_float", lambda x: x**-1.5, [POSITIVE]),
    ("exp", lambda x: x.exp(), [elements()]),
    ("log", lambda x: x.log(), [POSITIVE]),
    ("tanh", lambda x: x.tanh(), [elements()]),
    ("sigmoid", lambda x: x.sigmoid(), [elements()]),
    ("relu", lambda x: x.relu() * x, [OFF_ZERO]),
    ("chain", lambda x, y: (x * y + y.exp()).tanh() * x - y / (x * x + 1.0), [elements(), elements()]),
]


def _scalar_first(fn, values, create_graph):
    xs = [ag.Scalar(v) for v in values]
    y = fn(*xs)
    return xs, ag.grad(y, xs, create_graph=create_graph, allow_unused=True)


def _value(s):
    return 0.0 if s is None else s.data


@pytest.mark.parametrize(("fn", "domains"), [pytest.param(f, d, id=n) for n, f, d in SCALAR_CASES])
def test_scalar_ops_first_and_second_order(fn, domains):
    h = 1e-6

    @given(st.tuples(*domains))
    def check(values):
        values = list(values)
        xs, firsts = _scalar_first(fn, values, create_graph=True)
        for i in range(len(values)):
            up, down = list(values), list(values)
            up[i] += h
            down[i] -= h
            numerical = (fn(*map(ag.Scalar, up)).data - fn(*map(ag.Scalar, down)).data) / (2 * h)
            assert math.isclose(_value(firsts[i]), numerical, rel_tol=1e-5, abs_tol=1e-7), (i, values)
            # Second order: differentiate the (graph-carrying) first derivative once more.
            seconds = [0.0] * len(values)
            if firsts[i] is not None and firsts[i].requires_grad:
                seconds = [_value(g) for g in ag.grad(firsts[i], xs, retain_graph=True, allow_unused=True)]
            for j in range(len(values)):
                up, down = list(values), list(values)
                up[j] += h
                down[j] -= h
                d_up = _value(_scalar_first(fn, up, create_graph=False)[1][i])
                d_down = _value(_scalar_first(fn, down, create_graph=False)[1][i])
                assert math.isclose(seconds[j], (d_up - d_down) / (2 * h), rel_tol=1e-5, abs_tol=1e-6), (i, j, values)

    check()


# --- regressions found by the table --------------------------------------------------------------


def test_clamp_bounds_may_broadcast_the_input():
    # Backward used to build its mask in the input's shape and failed when the bounds were larger.
    x = ag.tensor(np.array(0.5), requires_grad=True)
    lo = ag.tensor(np.array([0.0, 1.0]), requires_grad=True)
    x.clamp(lo, 2.0).sum().backward()
    assert x.grad.item() == 1.0  # inside [0, 2] for the first bound, below the second
    np.testing.assert_array_equal(lo.grad.numpy(), [0.0, 1.0])


def test_clamp_with_crossed_bounds_gives_every_element_to_max():
    # min(max(x, lo), hi) is hi everywhere when lo > hi (as in torch), so hi takes the gradient.
    x = ag.tensor(np.array([-1.0, 1.5, 3.0]), requires_grad=True)
    lo = ag.tensor(np.array(2.0), requires_grad=True)
    hi = ag.tensor(np.array(1.0), requires_grad=True)
    out = x.clamp(lo, hi)
    np.testing.assert_array_equal(out.detach().numpy(), [1.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert (lo.grad.item(), hi.grad.item()) == (0.0, 3.0)
