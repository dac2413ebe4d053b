"""PyTorch's autograd contract where ndgrad used to differ: each case was found by porting
tests of torch's own autograd, and the expected values are what torch gives."""

import numpy as np
import pytest

import autograd as ag
from autograd import Function


def leaf(values):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_grad_stops_at_its_inputs_and_leaves_the_graph_below_them_usable():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    h = w * ag.tensor([3.0, 4.0])
    (g,) = ag.grad((h * h).sum(), [h])
    np.testing.assert_allclose(g.numpy(), [6.0, 16.0])
    assert w.grad is None  # nothing below h ran
    h.backward(g)  # MulBackward's saved values are still there
    np.testing.assert_allclose(w.grad.numpy(), [18.0, 64.0])


def test_grad_does_not_run_the_hooks_of_nodes_below_its_inputs():
    w = leaf([1.0, 2.0])
    seen = []
    h = w * 2.0
    h.register_hook(lambda g: seen.append("h"))
    z = h.exp()
    z.register_hook(lambda g: seen.append("z"))
    ag.grad(z.sum(), [z], retain_graph=True)
    assert seen == ["z"]  # the input's own hooks run (as in torch), h's node does not
    ag.grad(z.sum(), [h])
    assert seen == ["z", "z", "h"]


def test_retain_grad_keeps_the_gradient_of_the_value_after_an_in_place_op():
    a = ag.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0])
    assert a.retains_grad


def test_mark_non_differentiable_on_a_single_output():
    calls = []

    class Indices(Function):
        @staticmethod
        def forward(ctx, x):
            out = (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            calls.append(g)
            return g

    x = leaf([1.0, -1.0])
    y = Indices.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    (x * 2 + y).sum().backward()
    assert calls == []
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_hook_on_an_output_that_received_no_gradient_is_not_called():
    x = leaf([1.0, 2.0])
    xs = x.unbind()
    called = []
    xs[0].register_hook(lambda g: called.append(0))
    xs[1].register_hook(lambda g: called.append(1))
    xs[1].backward()
    assert called == [1]
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_grad_with_no_inputs_is_refused():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="inputs is empty"):
        ag.grad((x * 2).sum(), [])


def test_in_place_change_of_a_view_of_a_leaf_that_requires_grad_is_refused_at_the_op():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shares memory|views a leaf"):
        w[0:1].mul_(2.0)
    with ag.no_grad():
        view = w[0:1]
    with pytest.raises(RuntimeError, match=r"\(1,\) that views a leaf"):
        view.mul_(2.0)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])  # refused before any change
    w.detach().mul_(2.0)  # detach() shares memory too, and may change it, as in torch
    np.testing.assert_array_equal(w.detach().numpy(), [2.0, 4.0])
    w[:1].detach().add_(1.0)  # so may the detach() of a view (found by the fuzzer)
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 4.0])


def test_a_function_returning_one_tensor_twice_gives_one_output_twice():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            return y, y

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + g2

    x = leaf([1.0, 2.0])
    a, b = Twice.apply(x)
    assert a is b
    (a.sum() + 3 * b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])  # torch's: 1 + 3 reach the one output


def test_autograd_backward_and_backward_inputs_and_detach_():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    ag.backward([(x * y).sum(), (x * x).sum()], [ag.tensor(1.0, dtype=np.float64), None])
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    np.testing.assert_allclose(y.grad.numpy(), [3.0])
    x.grad = y.grad = None
    (x * y).sum().backward(inputs=[y])
    assert x.grad is None
    np.testing.assert_allclose(y.grad.numpy(), [3.0])
    z = x * 2
    assert z.detach_() is z and z.grad_fn is None and not z.requires_grad
    with pytest.raises(RuntimeError, match="inputs is empty"):
        (x * y).sum().backward(inputs=[])


def test_custom_function_forward_receives_tensors_and_can_use_their_methods():
    class ClampExp(Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(x, ag.Tensor)
            out = x.clamp(min=0).exp()
            ctx.save_for_backward(x, out)
            return out.clone()

        @staticmethod
        def backward(ctx, g):
            x, out = ctx.saved_tensors
            assert isinstance(g, ag.Tensor)
            return g * out * (x > 0).to(g.dtype)

    x = leaf([-1.0, 0.5, 2.0])
    y = ClampExp.apply(x)
    assert not ag.is_grad_enabled() or y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, np.exp(0.5), np.exp(2.0)])
    assert ag.gradcheck(ClampExp.apply, [leaf([0.3, 1.2])])


def test_custom_function_forward_may_still_pass_arrays_through_numpy():
    class Softplus(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0.0, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.sigmoid()

    assert ag.gradcheck(Softplus.apply, [leaf([-2.0, 0.1, 3.0])])


def test_mark_dirty_gives_the_input_the_nodes_history():
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2.0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    a = leaf([1.0, 3.0])
    b = a * 1.0
    out = DoubleInPlace.apply(b)
    assert out is b and b.grad_fn.name() == "DoubleInPlaceBackward"
    np.testing.assert_array_equal(b.detach().numpy(), [2.0, 6.0])
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_wrong_gradient_shapes_are_runtime_errors_naming_the_shapes():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return ag.ones(5, dtype=np.float64)

    with pytest.raises(RuntimeError, match=r"\(5,\).*\(2, 3\)"):
        WrongShape.apply(ag.ones(2, 3, dtype=np.float64, requires_grad=True)).sum().backward()
    y = ag.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        ag.grad(y, [y], grad_outputs=ag.ones(3))


def test_power_at_a_zero_base_has_the_ieee_limit_as_its_exponent_gradient():
    e = leaf([1.0, 2.0, 0.0, -1.0, -0.5])
    with np.errstate(divide="ignore", invalid="ignore"):
        (0.0 ** e).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), [0.0, 0.0, 0.0, -np.inf, -np.inf])
    b, e = leaf([0.0] * 5), leaf([1.0, 2.0, 0.0, -1.0, -0.5])
    with np.errstate(divide="ignore", invalid="ignore"):
        (b**e).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), [0.0, 0.0, 0.0, -np.inf, -np.inf])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 0.0, 0.0, -np.inf, -np.inf])


def test_first_order_backward_builds_no_tensor_and_no_node():
    """The rules run on arrays when no graph is wanted: backward makes no Tensor at all."""
    x = leaf(np.linspace(-1, 1, 6).reshape(2, 3))
    y = ((x * 2.0 + 1.0).tanh() @ leaf(np.ones((3, 2)))).sum()
    made = []
    original = ag.Tensor._wrap

    def counting(*args, **kwargs):
        made.append(args)
        return original(*args, **kwargs)

    ag.Tensor._wrap = staticmethod(counting)
    try:
        y.backward()
    finally:
        ag.Tensor._wrap = staticmethod(original)
    assert len(made) == 2  # only the two gradients that land in the leaves' .grad
