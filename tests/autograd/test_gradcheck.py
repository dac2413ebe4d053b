"""gradcheck and gradgradcheck: they pass correct ops, and every check fails, naming what is
wrong and where, for a deliberately broken ``Function`` (a checker that cannot fail is a defect)."""

import inspect

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GradcheckError, Tensor, gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def leaf(values):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def randn(*shape):
    return leaf(RNG.standard_normal(shape))


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sigmoid()


class SinConstantBackward(Function):
    """sin with the right first derivative, computed from raw NumPy: a constant to the graph."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x.detach().numpy())


def scaled_sin(factor):
    """sin whose backward is off by ``factor``."""

    class ScaledSin(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos() * factor

    return ScaledSin


# --- correct ops pass --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_correct_custom_function_passes_first_and_second_order(mode):
    x = randn(3, 4)
    assert gradcheck(Softplus.apply, [x], mode=mode)
    assert gradgradcheck(Softplus.apply, [x], mode=mode)


def test_several_inputs_outputs_and_passed_through_arguments():
    def fn(a, scale, name, b, idx):
        assert (scale, name) == (2.5, "passed through")
        values, indices = (a * b).max(1)
        return values * scale, (a - b).exp().sum(), indices, idx

    a, b = randn(3, 4), randn(4)
    idx = ag.tensor([0, 2])  # an integer tensor: passed through, never differentiated
    assert gradcheck(fn, [a, 2.5, "passed through", b, idx])
    assert gradgradcheck(fn, (a, 2.5, "passed through", b, idx))


def test_a_single_tensor_may_stand_for_the_input_list():
    assert gradcheck(Tensor.tanh, randn(2, 2))


def test_the_same_tensor_twice_and_a_non_leaf_input():
    x = randn(3)
    assert gradcheck(lambda a, b: a * b.sin(), [x, x])
    y = x * 2.0  # not a leaf: its gradient comes from autograd.grad all the same
    assert gradcheck(lambda a: a.exp(), [y])


def test_parameters_used_through_a_closure_are_checked():
    """fn may use the tensors it is given through a closure (as a layer uses its weights):
    inputs are perturbed in place, so a wrong weight gradient is still found."""
    w = randn(3, 2)

    class BadWeightGrad(Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x @ w

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g @ w.T, (x.T @ g) * 1.01

    layer = lambda x: BadWeightGrad.apply(x, w)
    with pytest.raises(GradcheckError, match=r"d\(output 0\)/d\(input 1\)") as info:
        gradcheck(lambda x, *params: layer(x), [randn(2, 3), w])
    assert info.value.input_index == 1


def test_inputs_and_existing_grads_are_left_as_they_were():
    x = randn(2, 3)
    before = x.detach().numpy().copy()
    x.grad = ag.tensor(np.full((2, 3), 7.0))
    kept = x.grad
    assert gradcheck(lambda a: (a * a).sum(1), [x], mode="full")
    assert np.array_equal(x.detach().numpy(), before)  # bitwise: perturbations are undone exactly
    assert x.grad is kept and np.all(kept.numpy() == 7.0)


def test_defaults_are_the_documented_numbers():
    params = inspect.signature(gradcheck).parameters
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == (1e-6, 1e-5, 1e-3)
    assert params["mode"].default == "full" and params["seed"].default == 0
    assert repr(inspect.signature(gradgradcheck).parameters["eps"].default) == "1e-06"


# --- the Jacobian check ---------------------------------------------------------------------------


def test_tolerance_is_atol_plus_rtol_times_the_numerical_value():
    """|numerical - analytical| <= atol + rtol * |numerical|: at the default rtol=1e-3 a
    relative error of 5e-4 passes and one of 2e-3 fails."""
    x = leaf([0.3, 1.1, -0.7])
    assert gradcheck(scaled_sin(1.0005).apply, [x])
    with pytest.raises(GradcheckError):
        gradcheck(scaled_sin(1.002).apply, [x])


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_gradient_off_by_a_factor_of_1_001_is_reported_precisely(mode):
    x = leaf([0.3, 1.1, -0.7])
    with pytest.raises(GradcheckError) as info:
        gradcheck(scaled_sin(1.001).apply, [x], rtol=1e-4, mode=mode)
    err = info.value
    assert err.check == "jacobian"
    assert (err.output_index, err.input_index) == (0, 0)
    # The worst entry is the diagonal entry with the largest derivative, cos(0.3).
    assert err.output_element == err.input_element == (0,)
    assert err.numerical == pytest.approx(np.cos(0.3), rel=1e-8)
    assert err.analytical == pytest.approx(1.001 * np.cos(0.3), rel=1e-12)
    assert err.rel_error == pytest.approx(1e-3, rel=1e-4)
    message = str(err)
    for part in ["d(output 0)/d(input 0)", "3 of 9 entries", "output element (0,), input element (0,)",
                 f"numerical {np.cos(0.3):.10g}", f"analytical {1.001 * np.cos(0.3):.10g}", "worst abs error",
                 "worst rel error 0.001"]:
        assert part in message, part
    if mode == "fast":
        assert "found by fast mode" in message


def test_wrong_element_of_one_input_among_several_is_located():
    class MulWrongAt(Function):
        """a * b, whose gradient for b is wrong at element (1, 0) only."""

        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            wrong = np.ones(b.shape)
            wrong[1, 0] = 2.0
            return g * b, g * a * wrong

    a, b = randn(2, 3), randn(2, 3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(MulWrongAt.apply, [a, b])
    err = info.value
    assert (err.output_index, err.input_index, err.output_element, err.input_element) == (0, 1, (1, 0), (1, 0))
    assert err.numerical == pytest.approx(a.detach().numpy()[1, 0], rel=1e-7)
    assert err.analytical == pytest.approx(2 * a.detach().numpy()[1, 0], rel=1e-12)
    assert "1 of 36 entries" in str(err) and "input element (1, 0)" in str(err)


def test_second_output_is_checked_and_named():
    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x), np.exp(x)

        @staticmethod
        def backward(ctx, g_sin, g_exp):
            (x,) = ctx.saved_tensors
            return g_sin * x.cos() + g_exp * x.exp() * 0.5

    with pytest.raises(GradcheckError, match=r"d\(output 1\)/d\(input 0\)") as info:
        gradcheck(TwoOutputs.apply, [randn(3)])
    assert info.value.output_index == 1


def test_missing_or_wrong_broadcast_reduction():
    """An op that reduces the gradient of a broadcast operand itself, wrongly."""

    def broadcast_add(reduce):
        class BroadcastAdd(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g, reduce(g)

        return BroadcastAdd.apply

    a, b = randn(2, 3), randn(3)
    assert gradcheck(broadcast_add(lambda g: g.sum(0)), [a, b])  # the right reduction passes
    for wrong in [lambda g: g.mean(0), lambda g: g[0]]:
        with pytest.raises(GradcheckError, match=r"d\(output 0\)/d\(input 1\)") as info:
            gradcheck(broadcast_add(wrong), [a, b])
        assert info.value.input_index == 1
    # A gradient in a shape that cannot be reduced to b's is refused where the engine meets it.
    refused = r"backward raised RuntimeError: .* shape \(3, 2\) for an input of shape \(3,\)"
    with pytest.raises(GradcheckError, match=refused) as info:
        gradcheck(broadcast_add(lambda g: g.T), [a, b])
    assert info.value.check == "backward"


def test_transposed_gradient():
    w = RNG.standard_normal((3, 3))

    class TimesW(Function):
        """x @ w, with the gradient g @ w where g @ w.T is right."""

        @staticmethod
        def forward(ctx, x):
            return x @ w

        @staticmethod
        def backward(ctx, g):
            return g @ Tensor(w)

    with pytest.raises(GradcheckError) as info:
        gradcheck(TimesW.apply, [randn(2, 3)])
    err = info.value
    i, j = err.output_element[1], err.input_element[1]
    assert err.output_element[0] == err.input_element[0]  # rows do not mix
    assert err.numerical == pytest.approx(w[j, i], rel=1e-7)
    assert err.analytical == pytest.approx(w[i, j], rel=1e-12)


# --- the other checks -----------------------------------------------------------------------------


def test_upstream_gradient_ignored():
    class SumSquares(Function):
        """sum(x**2) whose backward forgets to multiply by the upstream gradient. With a
        scalar output every one-hot upstream gradient is 1, so the Jacobian looks right."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sum(x * x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x * 2.0

    with pytest.raises(GradcheckError, match="with a zero upstream gradient, backward gives the gradient of input 0") \
            as info:
        gradcheck(SumSquares.apply, [leaf([1.0, -2.0, 0.5])])
    assert info.value.check == "zero_upstream"
    assert info.value.input_element == (1,)  # the largest value, 2 * -2.0


def test_backward_not_linear_in_the_upstream_gradient():
    class AbsUpstream(Function):
        """sin whose backward uses |g|: right for every one-hot and for zero, wrong for a mix."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g.abs() * x.cos()

    with pytest.raises(GradcheckError, match="not linear in the upstream gradient: for input 0") as info:
        gradcheck(AbsUpstream.apply, [randn(4)])
    assert info.value.check == "linearity"


def test_input_mutated_in_place_by_forward():
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x *= 2.0  # writes into the caller's tensor
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    x = leaf([1.0, 3.0])
    with pytest.raises(GradcheckError, match=r"fn modified input 0 in place: element \(0,\) was 1\.0, is now 2\.0") \
            as info:
        gradcheck(DoubleInPlace.apply, [x])
    assert (info.value.check, info.value.input_index, info.value.input_element) == ("mutation", 0, (0,))


def test_input_mutated_in_place_by_backward():
    class ZeroesItsInput(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 3.0

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            x.data[...] = 0.0
            return g * 3.0

    with pytest.raises(GradcheckError, match=r"backward modified input 0 in place: element \(0,\) was 1\.5"):
        gradcheck(ZeroesItsInput.apply, [leaf([1.5, 2.0])])


def test_backward_that_changes_between_runs():
    class Drifting(Function):
        calls = 0

        @staticmethod
        def forward(ctx, x):
            return 2.0 * x

        @staticmethod
        def backward(ctx, g):
            Drifting.calls += 1
            return g * (2.0 + 1e-3 * Drifting.calls)

    with pytest.raises(GradcheckError, match="running backward twice with the same upstream gradient") as info:
        gradcheck(Drifting.apply, [randn(3)])
    assert info.value.check == "reentrant"


def test_nondeterministic_fn():
    rng = np.random.default_rng(0)
    with pytest.raises(GradcheckError, match="fn gave different values for the same inputs") as info:
        gradcheck(lambda x: x * float(rng.uniform(1, 2)), [randn(3)])
    assert info.value.check == "forward"


def test_gradient_of_the_wrong_dtype_or_shape():
    # A hook on the leaf can replace its gradient with anything; the check notices.
    x = randn(3)
    x.register_hook(lambda g: g.float())
    with pytest.raises(GradcheckError, match="the gradient of input 0 has dtype float32, but the input has dtype "
                                             "float64") as info:
        gradcheck(Tensor.sin, [x])
    assert info.value.check == "dtype"
    y = randn(3)
    y.register_hook(lambda g: g.sum())
    with pytest.raises(GradcheckError, match=r"the gradient of input 0 has shape \(\), but the input has shape \(3,\)"):
        gradcheck(Tensor.sin, [y])


def test_grad_sharing_memory_is_found(monkeypatch):
    """The engine copies a gradient into .grad; an engine that stored the tensor it was handed
    would let ``a + b`` give a and b the same .grad array. The check must see that."""

    def store_without_copy(self, g, create_graph, owned=False):
        g = g if isinstance(g, Tensor) else Tensor._wrap(g)
        self.grad = g if self.grad is None else self.grad + g

    monkeypatch.setattr(Tensor, "_accumulate_grad", store_without_copy)
    with pytest.raises(GradcheckError, match=r"\.grad of input 0 shares memory with \.grad of input 1") as info:
        gradcheck(lambda a, b: a + b, [randn(3), randn(3)])
    assert info.value.check == "grad_memory"
    with pytest.raises(GradcheckError, match=r"\.grad of input 0 shares memory with the upstream gradient of output 0"):
        gradcheck(lambda a: a.clone(), [randn(3)])


# --- second order ---------------------------------------------------------------------------------


def test_gradgradcheck_finds_a_backward_that_leaves_the_graph():
    x = randn(3)
    assert gradcheck(SinConstantBackward.apply, [x])
    with pytest.raises(GradcheckError, match=r"gradgradcheck \(second order\): d\(the gradient of input 0\)/"
                                             r"d\(input 0\) disagrees") as info:
        gradgradcheck(SinConstantBackward.apply, [x])
    err = info.value
    # The missing term, d/dx (v cos x) = -v sin x, sits on the diagonal.
    assert err.output_element == err.input_element
    assert err.analytical == 0.0 and abs(err.numerical) > 1e-3


def test_gradgradcheck_checks_the_derivative_with_respect_to_the_upstream_gradient():
    class DetachedUpstream(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g.detach() * x.cos()

    with pytest.raises(GradcheckError, match=r"d\(the gradient of input 0\)/d\(the upstream gradient of output 0\)"):
        gradgradcheck(DetachedUpstream.apply, [randn(3)])


def test_gradgradcheck_on_a_gradient_that_does_not_depend_on_the_input():
    assert gradgradcheck(lambda a, b: a * 2.0 + b.sum(), [randn(2), randn(3)])


# --- precision and bad arguments ------------------------------------------------------------------


def test_float32_input_is_refused_with_the_reason_and_the_fix():
    x = ag.randn(3, requires_grad=True)
    with pytest.raises(TypeError) as info:
        gradcheck(Tensor.sin, [x])
    message = str(info.value)
    for part in ["input 0 has dtype float32", "rounding noise", ".double()", "eps, atol and rtol explicitly"]:
        assert part in message, part
    with pytest.raises(TypeError, match="input 0 has dtype float32"):
        gradgradcheck(Tensor.sin, [x])
    with pytest.raises(TypeError, match="input 0 has dtype float32"):
        gradcheck(Tensor.sin, [x], eps=1e-3)  # all three must be chosen for float32


def test_float32_output_is_refused_too():
    with pytest.raises(TypeError, match="output 0 has dtype float32"):
        gradcheck(lambda a: a.float() * 2.0, [randn(3)])


def test_float32_with_explicit_tolerances_runs_and_still_finds_errors():
    x = ag.tensor(RNG.uniform(-1, 1, 5).astype(np.float32), requires_grad=True)
    options = dict(eps=1e-2, atol=1e-3, rtol=1e-2)
    assert gradcheck(Softplus.apply, [x], **options)
    with pytest.raises(GradcheckError):
        gradcheck(scaled_sin(1.1).apply, [x], **options)


def test_raise_exception_false_returns_false():
    assert gradcheck(scaled_sin(1.1).apply, [randn(3)], raise_exception=False) is False
    assert gradcheck(scaled_sin(1.0).apply, [randn(3)], raise_exception=False) is True
    # A constant factor is consistent to second order; a backward that leaves the graph is not.
    assert gradgradcheck(scaled_sin(1.1).apply, [randn(3)], raise_exception=False) is True
    assert gradgradcheck(SinConstantBackward.apply, [randn(3)], raise_exception=False) is False


def test_bad_arguments():
    x = randn(2)
    with pytest.raises(ValueError, match="mode must be 'full' or 'fast', got 'quick'"):
        gradcheck(Tensor.sin, [x], mode="quick")
    with pytest.raises(ValueError, match="eps must be positive, got 0"):
        gradcheck(Tensor.sin, [x], eps=0.0, atol=1e-5, rtol=1e-3)
    with pytest.raises(ValueError, match=r"no input requires grad \(inputs: Tensor, float\)"):
        gradcheck(lambda a, s: a * s, [ag.tensor([1.0, 2.0], dtype="float64"), 2.0])
    with pytest.raises(ValueError, match="fn returned no floating-point tensor to check"):
        gradcheck(lambda a: a.argmax(), [x])
    with pytest.raises(TypeError, match="inputs must be a tensor or a list/tuple of arguments, got dict"):
        gradcheck(Tensor.sin, {"x": x})


def test_output_whose_shape_depends_on_the_values():
    # Elements exactly at the threshold flip in and out of the mask under a perturbation.
    x = leaf([0.0, 1.0, -1.0])
    with pytest.raises(GradcheckError, match=r"output 0 has shape \(1,\) at the given inputs but \(2,\)"):
        gradcheck(lambda a: a[a.detach() > 0], [x])
