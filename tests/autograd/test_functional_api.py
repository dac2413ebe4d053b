"""autograd.functional (torch.autograd.functional): jacobian, hessian, vjp, jvp, vhp, hvp,
checked against central finite differences, and against torch where it is installed."""

import numpy as np
import pytest

import autograd as ag
from autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

RNG = np.random.default_rng(0)


def t64(a, requires_grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def numeric_jacobian(f, x, eps=1e-6):
    """d f(x) / d x for NumPy f, x, by central differences: shape f(x).shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


# Each function is written once on tensors; numpy() of it gives the version for finite differences.
def curve(x):
    return (x.tanh() * (x * x).sum()).reshape(2, 2)


def energy(x):
    return (x**3).sum() + x[0] * x[1] * x[2] + (x * x).sum().exp() * 0.1


def on_arrays(f):
    return lambda a: f(t64(a)).numpy()


def test_jacobian_of_one_input_and_output_has_shape_out_by_in_and_matches_differences():
    x = RNG.normal(size=4)
    jac = jacobian(curve, t64(x))
    assert jac.shape == (2, 2, 4) and jac.dtype == np.float64 and not jac.requires_grad
    np.testing.assert_allclose(jac.numpy(), numeric_jacobian(on_arrays(curve), x), rtol=1e-6, atol=1e-8)


def test_jacobian_of_tuples_is_per_output_per_input():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=3)

    def f(x, y):
        return x @ y, (x * x).sum() + y.sum()

    jac = jacobian(f, (t64(a), t64(b)))
    assert len(jac) == 2 and all(len(row) == 2 for row in jac)
    assert [[block.shape for block in row] for row in jac] == [[(2, 2, 3), (2, 3)], [(2, 3), (3,)]]
    np.testing.assert_allclose(jac[0][0].numpy(), numeric_jacobian(lambda x: x @ b, a), atol=1e-8)
    np.testing.assert_allclose(jac[0][1].numpy(), a, atol=1e-12)  # d(a @ b)/db = a
    np.testing.assert_allclose(jac[1][0].numpy(), 2 * a, atol=1e-12)
    np.testing.assert_allclose(jac[1][1].numpy(), np.ones(3), atol=1e-12)
    # One tuple side only: a tuple over that side.
    per_input = jacobian(lambda x, y: x @ y, (t64(a), t64(b)))
    assert isinstance(per_input, tuple) and [j.shape for j in per_input] == [(2, 2, 3), (2, 3)]
    per_output = jacobian(lambda x: (x.sum(), 2 * x), t64(b))
    assert isinstance(per_output, tuple) and [j.shape for j in per_output] == [(3,), (3, 3)]
    np.testing.assert_allclose(per_output[1].numpy(), 2 * np.eye(3))


def test_an_output_that_does_not_depend_on_an_input_gives_zeros_or_is_refused_when_strict():
    x, y = t64([1.0, 2.0]), t64([3.0])
    jac = jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_array_equal(jac[1].numpy(), np.zeros((2, 1)))
    constant = jacobian(lambda a: ag.ones(3, dtype=ag.float64), x)
    np.testing.assert_array_equal(constant.numpy(), np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="input 1"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="strict"):
        vjp(lambda a, b: (a * 2).sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="strict"):
        jvp(lambda a: ag.ones(2, dtype=ag.float64), x, t64([1.0, 1.0]), strict=True)


def test_hessian_matches_differences_of_the_gradient_and_is_symmetric():
    x = RNG.normal(size=3) * 0.5
    hess = hessian(energy, t64(x))
    assert hess.shape == (3, 3) and not hess.requires_grad

    def gradient(a):
        t = t64(a, requires_grad=True)
        energy(t).backward()
        return t.grad.numpy()

    np.testing.assert_allclose(hess.numpy(), numeric_jacobian(gradient, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hess.numpy(), hess.numpy().T, atol=1e-12)


def test_hessian_of_tuple_inputs_has_the_cross_blocks():
    a, b = t64([1.0, 2.0]), t64([3.0])
    blocks = hessian(lambda x, y: (x * x).sum() * y.sum() + y.sum() ** 3, (a, b))
    np.testing.assert_allclose(blocks[0][0].numpy(), 2 * 3.0 * np.eye(2))  # d2/dx2 = 2y
    np.testing.assert_allclose(blocks[0][1].numpy(), [[2.0], [4.0]])  # d2/dxdy = 2x
    np.testing.assert_allclose(blocks[1][0].numpy(), [[2.0, 4.0]])
    np.testing.assert_allclose(blocks[1][1].numpy(), [[6 * 3.0]])  # d2/dy2 of y^3
    linear = hessian(lambda x: (3 * x).sum(), a)  # a gradient that is constant: zero curvature
    np.testing.assert_array_equal(linear.numpy(), np.zeros((2, 2)))


def test_vjp_and_jvp_are_the_products_with_the_jacobian():
    x = RNG.normal(size=4)
    jac = numeric_jacobian(on_arrays(curve), x)  # (2, 2, 4)
    v_out, v_in = RNG.normal(size=(2, 2)), RNG.normal(size=4)
    value, back = vjp(curve, t64(x), t64(v_out))
    np.testing.assert_allclose(value.numpy(), on_arrays(curve)(x))
    np.testing.assert_allclose(back.numpy(), np.einsum("ij,ijk->k", v_out, jac), rtol=1e-6, atol=1e-8)
    value, forward = jvp(curve, t64(x), t64(v_in))
    assert forward.shape == (2, 2) and not forward.requires_grad and not value.requires_grad
    np.testing.assert_allclose(forward.numpy(), jac @ v_in, rtol=1e-6, atol=1e-8)


def test_jvp_of_tuples_and_of_the_identity():
    a, b = t64([1.0, 2.0]), t64([0.5, -1.0])
    _, products = jvp(lambda x, y: (x * y, x.sum() + 0 * y.sum()), (a, b), (t64([1.0, 0.0]), t64([0.0, 1.0])))
    np.testing.assert_allclose(products[0].numpy(), [0.5, 2.0])  # y * dx + x * dy
    np.testing.assert_allclose(products[1].numpy(), 1.0)
    _, same = jvp(lambda x: x, a, b)
    np.testing.assert_allclose(same.numpy(), b.numpy())


def test_vhp_and_hvp_are_the_products_with_the_hessian():
    x, v = RNG.normal(size=3) * 0.5, RNG.normal(size=3)
    hess = hessian(energy, t64(x)).numpy()
    for product in (vhp, hvp):
        value, hv = product(energy, t64(x), t64(v))
        assert value.shape == () and hv.shape == (3,)
        np.testing.assert_allclose(value.item(), energy(t64(x)).item())
        np.testing.assert_allclose(hv.numpy(), hess @ v, rtol=1e-10)


def test_create_graph_makes_the_results_differentiable_with_respect_to_the_inputs():
    x0 = RNG.normal(size=3)
    x = t64(x0, requires_grad=True)
    jac = jacobian(lambda a: a.sin() * a.sum(), x, create_graph=True)
    assert jac.requires_grad
    jac.sum().backward()

    def total(a):
        return numeric_jacobian(lambda b: np.sin(b) * b.sum(), a).sum()

    np.testing.assert_allclose(x.grad.numpy(), numeric_jacobian(total, x0, eps=1e-4), rtol=1e-5, atol=1e-6)
    y = t64(x0, requires_grad=True)
    _, back = vjp(lambda a: (a**3).sum(), y, create_graph=True)
    back.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 6 * x0)  # d/dx sum(3x^2)
    z = t64(x0, requires_grad=True)
    _, forward = jvp(lambda a: a**3, z, t64(np.ones(3)), create_graph=True)
    forward.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 6 * x0)


def test_the_caller_tensors_are_left_alone():
    x = t64([1.0, 2.0], requires_grad=True)
    jacobian(lambda a: a * a, x)
    hessian(lambda a: (a**3).sum(), x)
    assert x.grad is None and x.requires_grad


def test_v_may_be_none_only_for_a_single_one_element_tensor():
    x = t64([1.0, 2.0])
    _, back = vjp(lambda a: (a * a).sum(), x)
    np.testing.assert_allclose(back.numpy(), [2.0, 4.0])
    _, forward = jvp(lambda a: a * 3, t64([2.0]))
    np.testing.assert_allclose(forward.numpy(), [3.0])
    with pytest.raises(RuntimeError, match="v may be None only"):
        vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="v may be None only"):
        jvp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"v\[0\] has shape \(3,\).*\(2,\)"):
        vjp(lambda a: a * 2, x, t64([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="v has 2 tensors for 1"):
        jvp(lambda a: a * 2, x, (x, x))


def test_bad_functions_and_inputs_are_refused():
    with pytest.raises(TypeError, match=r"inputs must be a tensor or a tuple of tensors, got list \(item 0\)"):
        jacobian(lambda a: a, ([1.0, 2.0],))
    with pytest.raises(TypeError, match=r"outputs of the function must be a tensor.*float"):
        jacobian(lambda a: 2.0, t64([1.0]))
    with pytest.raises(RuntimeError, match=r"single tensor of one element, got \(2,\)"):
        hessian(lambda a: a * a, t64([1.0, 2.0]))
    with pytest.raises(ValueError, match="strategy"):
        jacobian(lambda a: a, t64([1.0]), strategy="sideways")
    # torch's options that change nothing here are accepted.
    jac = jacobian(lambda a: a * 2, t64([1.0]), vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(jac.numpy(), [[2.0]])


def test_against_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    x = RNG.normal(size=4)
    ours = jacobian(curve, t64(x))
    theirs = TF.jacobian(lambda a: (a.tanh() * (a * a).sum()).reshape(2, 2), torch.tensor(x))
    assert tuple(theirs.shape) == ours.shape
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)

    def torch_energy(a):
        return (a**3).sum() + a[0] * a[1] * a[2] + (a * a).sum().exp() * 0.1

    y, v = RNG.normal(size=3) * 0.5, RNG.normal(size=3)
    np.testing.assert_allclose(hessian(energy, t64(y)).numpy(), TF.hessian(torch_energy, torch.tensor(y)).numpy(),
                               rtol=1e-10)
    for ours_fn, theirs_fn in ((vhp, TF.vhp), (hvp, TF.hvp)):
        np.testing.assert_allclose(ours_fn(energy, t64(y), t64(v))[1].numpy(),
                                   theirs_fn(torch_energy, torch.tensor(y), torch.tensor(v))[1].numpy(), rtol=1e-10)
    pair = (t64([1.0, 2.0]), t64([3.0]))
    ours_blocks = jacobian(lambda a, b: (a * b.sum(), b * 2), pair)
    theirs_blocks = TF.jacobian(lambda a, b: (a * b.sum(), b * 2), (torch.tensor([1.0, 2.0]), torch.tensor([3.0])))
    assert [[tuple(t.shape) for t in row] for row in theirs_blocks] == [[b.shape for b in row] for row in ours_blocks]
    _, forward = jvp(curve, t64(x), t64(np.ones(4)))
    _, theirs_forward = TF.jvp(lambda a: (a.tanh() * (a * a).sum()).reshape(2, 2), torch.tensor(x),
                               torch.ones(4, dtype=torch.float64))
    np.testing.assert_allclose(forward.numpy(), theirs_forward.numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError):
        TF.vjp(lambda a: a * 2, torch.ones(2))
    with pytest.raises(RuntimeError):
        vjp(lambda a: a * 2, t64([1.0, 1.0]))
