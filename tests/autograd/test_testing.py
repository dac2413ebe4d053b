"""autograd.testing: the strategies draw what they promise, and check_op passes correct ops and
fails, with a reproducible report, for deliberately broken ones."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Function, GradcheckError, Tensor
from autograd.testing import (
    PROFILE_VARIABLE,
    PROFILES,
    broadcastable_shapes,
    check_op,
    dim_kwargs,
    dims,
    elements,
    grid,
    load_profile,
    shapes,
    tensors,
)

ROOT = Path(__file__).resolve().parents[2]

# For the checks that must fail: stop at the first failure, shrink it, skip hypothesis's slow
# "explain" phase, and never replay examples saved by an earlier run.
FAILING = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


# --- strategies ---------------------------------------------------------------------------------


@given(shapes(min_dims=1, max_dims=2, min_side=2, max_side=4))
def test_shapes_stay_in_bounds(shape):
    assert 1 <= len(shape) <= 2 and all(2 <= n <= 4 for n in shape)


@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shape_list):
    assert len(shape_list) == 3
    np.broadcast_shapes(*shape_list)


def test_broadcastable_shapes_refuses_a_bad_count():
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        broadcastable_shapes(0)


@given(elements(-2.0, 5.0, avoid=[0.0, 1.0], margin=0.25))
def test_elements_are_bounded_and_keep_away_from_the_given_points(x):
    assert -2.0 <= x <= 5.0 and np.isfinite(x)
    assert abs(x) >= 0.25 and abs(x - 1.0) >= 0.25


def test_elements_refuses_an_empty_domain():
    with pytest.raises(ValueError, match=r"low < high, got low=1.0, high=1.0"):
        elements(1.0, 1.0)
    with pytest.raises(ValueError, match=r"nothing of \[0, 1\] is at least 1 away from \[0.5\]"):
        elements(0, 1, avoid=[0.5], margin=1)


@given(grid(-1.0, 1.0, 0.1), grid(-1.0, 1.0, 0.1, offset=0.05))
def test_grids_with_different_offsets_never_meet(a, b):
    assert -1.0 <= a <= 1.0 + 1e-12 and -1.0 <= b <= 1.0 + 1e-12
    assert abs(a - b) >= 0.05 - 1e-9


@given(tensors(shape=(2, 3), elements=elements(0.5, 1.0)))
def test_tensors_have_the_shape_dtype_and_values_asked_for(t):
    assert isinstance(t, Tensor) and t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad
    values = t.detach().numpy()
    assert np.all((values >= 0.5) & (values <= 1.0))


@given(tensors(shapes(max_dims=2), dtype=np.float32, requires_grad=False))
def test_tensors_in_float32(t):
    assert t.dtype == np.float32 and not t.requires_grad and t.ndim <= 2


@given(tensors(dtype=np.int64))
def test_integer_tensors_never_require_grad(t):
    assert t.dtype == np.int64 and not t.requires_grad


@given(tensors(shape=shapes(min_dims=1), distinct=True, gap=0.1))
def test_distinct_tensors_have_no_ties_or_near_ties(t):
    values = np.sort(t.detach().numpy().reshape(-1))
    assert np.all(np.diff(values) >= 0.1 - 1e-12)


@given(st.data())
def test_dims_and_dim_kwargs_are_valid_for_the_shape(data):
    shape = data.draw(shapes())
    dim = data.draw(dims(shape, allow_none=True, allow_tuple=True))
    reduced = ag.zeros(shape).sum(dim)  # raises for an invalid dim
    assert reduced.ndim <= len(shape)
    kwargs = data.draw(dim_kwargs(shape))
    assert set(kwargs) == {"dim", "keepdim"} and isinstance(kwargs["dim"], int)
    assert -max(len(shape), 1) <= kwargs["dim"] < max(len(shape), 1)


# --- check_op passes correct ops ---------------------------------------------------------------


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sigmoid()


def test_check_op_passes_a_correct_custom_function():
    check_op(Softplus.apply, lambda a: np.logaddexp(0.0, a))


def test_check_op_kwargs_forms():
    ref = lambda a, dim, keepdim: np.sum(a, axis=dim, keepdims=keepdim)
    op = lambda x, dim, keepdim: x.sum(dim, keepdim)
    check_op(op, ref, shapes=(2, 3), kwargs={"dim": 1, "keepdim": True}, max_examples=3)
    check_op(op, ref, shapes=(2, 3), kwargs={"dim": st.sampled_from([0, -1]), "keepdim": False}, max_examples=3)
    check_op(op, ref, shapes=shapes(min_dims=1), kwargs=dim_kwargs, max_examples=5)
    check_op(op, ref, shapes=shapes(min_dims=1), kwargs=lambda s: dim_kwargs(s, allow_tuple=True), max_examples=5)


def test_check_op_counts_the_examples_it_runs():
    calls = []
    check_op(lambda x: calls.append(1) or x * 2.0, max_examples=4, second_order=False,
             hypothesis_settings=settings(derandomize=True, database=None))
    assert len(calls) >= 4  # each example calls the op several times


# --- check_op fails broken ops, precisely -----------------------------------------------------------


def fails(op, reference=None, match=None, error=GradcheckError, **options):
    with pytest.raises(error, match=match) as info:
        check_op(op, reference, hypothesis_settings=FAILING, **options)
    return info.value


def test_off_by_a_factor_of_1_001_fails_at_the_default_tolerances():
    class ScaledSin(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos() * 1.001

    err = fails(ScaledSin.apply, np.sin, match=r"d\(output 0\)/d\(input 0\) disagrees")
    assert err.analytical == pytest.approx(1.001 * err.numerical, rel=1e-6)
    notes = "\n".join(getattr(err, "__notes__", []))
    assert "reproduce with: autograd.gradcheck(ScaledSin.apply, [autograd.tensor(np.array(" in notes


class MulForward(Function):
    """a * b, saving a and b; the deliberately wrong ops below give it their backward."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b


def test_missing_broadcast_reduction_fails():
    class BroadcastMul(MulForward):
        """a * b that reduces b's gradient itself, with a mean where a sum belongs."""

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            gb = g * a
            while gb.ndim > b.ndim:
                gb = gb.mean(0)
            for d, n in enumerate(b.shape):
                if n == 1 and gb.shape[d] != 1:
                    gb = gb.mean(d, keepdim=True)
            return g * b, gb

    err = fails(BroadcastMul.apply, np.multiply, shapes=broadcastable_shapes(2), match=r"d\(output 0\)/d\(input 1\)")
    # A mean over k broadcast copies is the sum divided by k.
    k = err.numerical / err.analytical
    assert k >= 2 and k == pytest.approx(round(k))


def test_transposed_gradient_fails():
    class Matmul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a @ b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g @ b, a.T @ g  # the first should be g @ b.T

    square = st.integers(2, 3).map(lambda n: ((n, n), (n, n)))
    err = fails(Matmul.apply, np.matmul, shapes=square, match=r"d\(output 0\)/d\(input 0\)")
    assert err.input_index == 0


def test_upstream_gradient_ignored_fails():
    class SinIgnoringUpstream(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x.cos()

    err = fails(lambda x: SinIgnoringUpstream.apply(x).sum(), lambda a: np.sin(a).sum())
    assert err.check == "zero_upstream"


def test_input_mutated_in_place_fails():
    class ExpInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            np.exp(x, out=x)
            ctx.save_for_backward(x)
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    with pytest.raises(AssertionError, match=r"op modified input 0 \(shape .*\) in place"):
        check_op(ExpInPlace.apply, hypothesis_settings=FAILING)


def test_wrong_forward_fails_against_the_reference():
    fails(lambda x: x.sin(), np.cos, error=AssertionError, match="output 0 differs from the reference at element")


def test_output_cut_from_the_graph_fails():
    fails(lambda x: Tensor(x.detach().numpy() * 2.0), lambda a: a * 2.0, error=AssertionError,
          match=r"output 0 \(shape .*\) does not require grad although every input does")


def test_output_requiring_grad_without_inputs_that_do_fails():
    w = ag.tensor([1.0], dtype="float64", requires_grad=True)
    fails(lambda x: x * w, error=AssertionError, match="output 0 requires grad although no input does")


# Two operands of one shape, so that the Functions below need no broadcast reduction.
SAME_SHAPES = shapes().map(lambda s: (s, s))


def test_a_gradient_landing_on_the_wrong_input_fails():
    class MulPackingItsGradients(MulForward):
        """a * b whose backward returns the gradients it computed first: when only b needs one,
        it lands on a (which needs none, so the engine drops it)."""

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            grads = [gr for gr, needed in zip((g * b, g * a), ctx.needs_input_grad) if needed]
            return (*grads, *[None] * (2 - len(grads)))

    fails(MulPackingItsGradients.apply, np.multiply, shapes=SAME_SHAPES, error=AssertionError,
          match="input 1 gets no gradient when it alone requires grad, but one when every input does")


def test_an_output_cut_from_the_graph_when_only_the_second_input_requires_grad_fails():
    def mul_with_a_fast_path(a, b):
        if not a.requires_grad:  # the fast path forgets that b may require grad
            return Tensor(a.detach().numpy() * b.detach().numpy())
        return a * b

    fails(mul_with_a_fast_path, np.multiply, shapes=broadcastable_shapes(2), error=AssertionError,
          match=r"output 0 \(shape .*\) does not require grad when only input 1 does")


def test_a_gradient_that_changes_when_its_input_alone_requires_grad_fails():
    class MulWithAShortcut(MulForward):
        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            if not ctx.needs_input_grad[0]:
                return None, a  # the shortcut for "only b" forgets the upstream gradient
            return g * b, g * a

    fails(MulWithAShortcut.apply, np.multiply, shapes=SAME_SHAPES, error=AssertionError,
          match=r"input 1: its gradient when it alone requires grad differs from the one when every input "
                r"does at element \(.*\): ")


def test_each_input_alone_passes_ops_that_use_an_input_only_in_part_of_the_graph():
    # b reaches the output through one branch only, a through a reduction and a broadcast
    check_op(lambda a, b, c: (a.sum() * c + b.exp()).tanh(), lambda a, b, c: np.tanh(a.sum() * c + np.exp(b)),
             shapes=broadcastable_shapes(2).map(lambda s: (s[0], *s)), max_examples=10)


def test_second_order_is_checked_unless_turned_off():
    class SinConstantBackward(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * np.cos(x.detach().numpy())  # right, but a constant to the graph

    fails(SinConstantBackward.apply, np.sin, match=r"gradgradcheck \(second order\)")
    check_op(SinConstantBackward.apply, np.sin, second_order=False, max_examples=5)


def test_check_op_argument_errors():
    with pytest.raises(ValueError, match="2 element strategies given for 1 inputs"):
        check_op(Tensor.sin, elements=[elements(), elements()], max_examples=1)
    with pytest.raises(TypeError, match="shapes must draw a shape or a tuple of shapes, drew 'abc'"):
        check_op(Tensor.sin, shapes="abc", max_examples=1)
    with pytest.raises(TypeError, match="op must be callable, got int"):
        check_op(3)


# --- packaging and profiles ---------------------------------------------------------------------------


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter; an ``env`` value of None removes that variable."""
    merged = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={k: v for k, v in merged.items() if v is not None}, timeout=60)


def test_autograd_imports_without_hypothesis_and_testing_says_what_is_missing():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"  # makes `import hypothesis` fail
        "import autograd\n"
        "assert autograd.gradcheck(autograd.Tensor.sin, [autograd.randn(2, dtype=autograd.float64, "
        "requires_grad=True)])\n"
        "print('autograd works')\n"
        "import autograd.testing\n"
    )
    result = run_python(code)
    assert result.stdout == "autograd works\n"
    assert result.returncode != 0 and "autograd.testing needs hypothesis" in result.stderr


def test_the_hypothesis_profile_comes_from_the_environment():
    chosen = os.environ.get("NDGRAD_HYPOTHESIS_PROFILE", "ci")
    assert settings.default.max_examples == PROFILES[chosen]["max_examples"]
    assert settings.default.deadline is None
    result = run_python("import runpy; runpy.run_path('tests/conftest.py')", NDGRAD_HYPOTHESIS_PROFILE="fastest")
    assert "NDGRAD_HYPOTHESIS_PROFILE='fastest' is not a hypothesis profile" in result.stderr
    assert "dev, ci, thorough" in result.stderr


SHOW_PROFILES = (
    "from hypothesis import settings\n"
    "from autograd.testing import load_profile\n"
    "for name in [None, 'dev', 'ci', 'thorough']:\n"
    "    chosen = load_profile(name)\n"
    "    s = settings.default\n"
    "    print(chosen, s.max_examples, s.derandomize, s.deadline, s.print_blob)\n"
)


@pytest.mark.parametrize(("variable", "first"), [(None, "ci 30 True"), ("dev", "dev 5 False"),
                                                 ("thorough", "thorough 300 False")])
def test_load_profile_gives_users_the_profiles_of_the_test_suite(variable, first):
    result = run_python(SHOW_PROFILES, **{PROFILE_VARIABLE: variable})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{first} None True", "dev 5 False None True", "ci 30 True None True", "thorough 300 False None True"
    ]


def test_load_profile_refuses_an_unknown_name_and_lists_the_valid_ones(monkeypatch):
    before = settings.default
    with pytest.raises(ValueError, match=r"^load_profile: 'fastest' is not a hypothesis profile of autograd.testing; "
                                         r"choose one of dev, ci, thorough$"):
        load_profile("fastest")
    monkeypatch.setenv(PROFILE_VARIABLE, "")
    with pytest.raises(ValueError, match=r"^NDGRAD_HYPOTHESIS_PROFILE='' is not a hypothesis profile"):
        load_profile()
    assert settings.default is before  # nothing was loaded
