"""Graph semantics of the engine: shared nodes, accumulation, retained graphs, autograd.grad,
higher-order gradients, grad modes, hooks, in-place ops and version counting, user-defined
Functions, very deep graphs, and what the graph keeps alive.

Expected values are derived by hand in each test (or computed with NumPy written here)."""

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag


def leaf(values, dtype=np.float64):
    return ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def val(t):
    return t.detach().numpy()


# --- shared nodes and accumulation -----------------------------------------------------------


def test_node_used_twice():
    a = leaf([1.0, -2.0, 3.0])
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 8 * np.array([1.0, -2.0, 3.0]))


def test_diamond_graph():
    x = leaf([0.5, 2.0])
    top = x * 3.0
    left, right = top.sin(), top * top
    out = (left * right).sum()  # f = sin(3x) * 9x^2
    out.backward()
    xv = np.array([0.5, 2.0])
    expected = 3 * np.cos(3 * xv) * 9 * xv**2 + np.sin(3 * xv) * 18 * xv
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_leaf_used_by_many_ops_and_broadcast():
    w = leaf([[1.0, 2.0]])  # (1, 2), broadcast against (3, 2)
    m = ag.tensor(np.arange(6.0).reshape(3, 2))
    out = (w * m).sum() + (w * w).sum() + w.sum() * 2
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), m.numpy().sum(0, keepdims=True) + 2 * np.array([[1.0, 2.0]]) + 2)
    assert w.grad.shape == w.shape


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 3.0, 4.0 + 3.0])
    grad_object = x.grad
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(grad_object.numpy(), [6.0, 8.0])  # accumulated in place, as torch does
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_accumulated_gradient_does_not_alias_upstream_arrays():
    x = leaf([1.0, 2.0])
    seed = ag.tensor(np.array([1.0, 1.0]))
    (x * 1.0).backward(seed)
    (x * 1.0).backward(seed)
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_with_an_explicit_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(ag.tensor(np.array([1.0, 0.5, -1.0])))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0, 3.0]) * [1.0, 0.5, -1.0])
    z = leaf([2.0])
    (z * 4.0).backward(np.array([3.0]))  # array-likes are accepted as the gradient too
    np.testing.assert_allclose(z.grad.numpy(), [12.0])


def test_backward_from_a_leaf_and_non_scalar_roots():
    x = leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0
    y = leaf([[1.0, 2.0]])
    y.backward(ag.ones(1, 2, dtype=ag.float64))
    np.testing.assert_array_equal(y.grad.numpy(), [[1.0, 1.0]])


def test_branch_that_needs_no_grad_is_skipped():
    x = leaf([1.0, 2.0])
    const = ag.tensor(np.array([5.0, 6.0]))
    out = (x * const + const.exp()).sum()
    out.backward()
    assert const.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 6.0])


def test_partly_used_output_of_max_along_a_dim():
    x = leaf([[3.0, 1.0], [2.0, 5.0]])
    values, _ = x.max(1)
    values[0].backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0], [0.0, 0.0]])


# --- retain_graph ------------------------------------------------------------------------------


def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"freed.*retain_graph=True"):
        y.backward()


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda x: (x * x).sum(), "MulBackward"),  # the sum saved nothing; the product saved x
        (lambda x: x.exp() * 2, "ExpBackward"),
        (lambda x: (x.reshape(1, 1) ** 2).sum(), "PowBackward"),
    ],
)
def test_second_backward_error_names_the_node_that_was_freed(make, name):
    x = leaf([1.0])
    y = make(x)
    y.backward(ag.ones_like(y))
    with pytest.raises(RuntimeError, match=name):
        y.backward(ag.ones_like(y))


@pytest.mark.parametrize(
    "make",
    [lambda x: x + 1, lambda x: (x - 2).sum(), lambda x: (x * 0.5).reshape(2, 1).sum(0), lambda x: -x[1:]],
)
def test_a_graph_that_saved_no_tensors_can_be_walked_again(make):
    # As in torch: nothing was freed, so no retain_graph is needed, and gradients accumulate.
    x = leaf([1.0, 2.0])
    y = make(x)
    y.backward(ag.ones_like(y))
    first = x.grad.numpy().copy()
    y.backward(ag.ones_like(y))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.sin() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.cos(xv) * xv + np.sin(xv)))
    with pytest.raises(RuntimeError, match="freed"):
        y.backward()


def test_shared_subgraph_freed_by_another_root():
    x = leaf([1.0, 2.0])
    h = x.exp()
    a, b = h.sum(), (h * 2).sum()
    a.backward()
    with pytest.raises(RuntimeError, match="ExpBackward"):
        b.backward()


def test_grad_retains_graph_only_when_asked():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g1,) = ag.grad(y, x, retain_graph=True)
    (g2,) = ag.grad(y, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match="freed"):
        ag.grad(y, x)


# --- autograd.grad -----------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    y = (x * w).sum()
    gx, gw = ag.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, -1.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad  # no create_graph: plain values


def test_grad_with_respect_to_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * 3.0 * np.array([1.0, 2.0]))
    assert x.grad is None


def test_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    y1, y2 = x * 2.0, x * x
    (g,) = ag.grad([y1, y2], x, grad_outputs=[ag.ones(2, dtype=ag.float64), ag.tensor(np.array([1.0, -1.0]))])
    np.testing.assert_allclose(g.numpy(), [2.0 + 2.0, 2.0 - 4.0])


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 4.0).sum()
    with pytest.raises(RuntimeError, match=r"input 1 .*not used.*allow_unused=True"):
        ag.grad(y, [x, unused], retain_graph=True)
    gx, gu = ag.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [4.0])
    assert gu is None


def test_grad_create_graph_gives_differentiable_gradients():
    x = leaf([1.0, 2.0])
    (g,) = ag.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(val(g), 3 * np.array([1.0, 4.0]))
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([1.0, 2.0]))


# --- higher order -------------------------------------------------------------------------------


def test_derivatives_of_every_order():
    x = leaf(0.7)
    y = x.sin() * x  # y = x sin x
    d1, = ag.grad(y, x, create_graph=True)
    d2, = ag.grad(d1, x, create_graph=True)
    d3, = ag.grad(d2, x, create_graph=True)
    d4, = ag.grad(d3, x)
    s, c, xv = np.sin(0.7), np.cos(0.7), 0.7
    np.testing.assert_allclose(d1.item(), s + xv * c)
    np.testing.assert_allclose(d2.item(), 2 * c - xv * s)
    np.testing.assert_allclose(d3.item(), -3 * s - xv * c)
    np.testing.assert_allclose(d4.item(), -4 * c + xv * s)


def test_backward_create_graph_then_backward_of_the_grad():
    x = leaf([2.0])
    (x**4).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(val(g), [32.0])
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12 * 4.0])


def test_hessian_vector_product():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    xv, v = rng.standard_normal(4), rng.standard_normal(4)
    x = leaf(xv)
    A = ag.tensor(a)
    f = 0.5 * (x @ (A @ x)) + x.sin().sum() + (x.sum()) ** 2
    (g,) = ag.grad(f, x, create_graph=True)
    np.testing.assert_allclose(val(g), 0.5 * (a + a.T) @ xv + np.cos(xv) + 2 * xv.sum(), rtol=1e-12)
    (hv,) = ag.grad((g * ag.tensor(v)).sum(), x)
    hessian = 0.5 * (a + a.T) - np.diag(np.sin(xv)) + 2 * np.ones((4, 4))
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-10)


def test_gradient_penalty_inside_a_loss():
    # loss(w) = sum((w x)^2) + || d/dx sum(tanh(w x)) ||^2, differentiated w.r.t. w.
    wv, xv = np.array([0.5, -1.5, 2.0]), np.array([1.0, 0.3, -0.4])
    w, x = leaf(wv), leaf(xv)
    (gx,) = ag.grad(((w * x).tanh()).sum(), x, create_graph=True)
    loss = ((w * x) ** 2).sum() + (gx * gx).sum()
    loss.backward()
    t = np.tanh(wv * xv)
    s = 1 - t**2
    expected_w = 2 * wv * xv**2 + 2 * wv * s**2 - 4 * wv**2 * xv * t * s**2
    np.testing.assert_allclose(w.grad.numpy(), expected_w, rtol=1e-10)
    # x receives the gradient of the loss through both terms (the penalty depends on x too).
    expected_x = 2 * wv**2 * xv + wv**2 * 2 * s * (-2 * t * s * wv)
    np.testing.assert_allclose(x.grad.numpy(), expected_x, rtol=1e-10)


def test_second_order_through_matmul_softmax_and_broadcast():
    rng = np.random.default_rng(2)
    xv, wv = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    w = leaf(wv)
    x = ag.tensor(xv)

    def loss(w):
        return (x @ w).log_softmax(-1)[:, 0].sum() + (w * w).sum() * 0.1

    (g,) = ag.grad(loss(w), w, create_graph=True)
    (hv,) = ag.grad((g * g).sum(), w)

    # The same quantity by central differences of the analytic gradient: d/dw |g(w)|^2.
    def grad_at(values):
        t = leaf(values)
        (gw,) = ag.grad(loss(t), t)
        return gw.numpy()

    eps, numeric = 1e-6, np.zeros_like(wv)
    for i in np.ndindex(wv.shape):
        up, down = wv.copy(), wv.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = ((grad_at(up) ** 2).sum() - (grad_at(down) ** 2).sum()) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-5, atol=1e-7)


# --- grad modes ------------------------------------------------------------------------------------


def test_no_grad_context_manager():
    x = leaf([1.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with ag.no_grad():
        with ag.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_modes_as_decorators():
    x = leaf([1.0])

    @ag.no_grad()
    def frozen(t):
        return t * 2, ag.is_grad_enabled()

    @ag.enable_grad()
    def tracked(t):
        return t * 2

    @ag.set_grad_enabled(False)
    def off(t):
        return t * 2

    y, enabled = frozen(x)
    assert not y.requires_grad and not enabled
    assert ag.is_grad_enabled()
    with ag.no_grad():
        assert tracked(x).requires_grad
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()  # defining the decorator did not switch the mode
    assert not off(x).requires_grad and ag.is_grad_enabled()
    assert frozen.__name__ == "frozen"


def test_set_grad_enabled_as_call_and_context_manager():
    x = leaf([1.0])
    try:
        ag.set_grad_enabled(False)
        assert not ag.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()
    with ag.no_grad(), ag.set_grad_enabled(True):
        assert (x * 2).requires_grad
    assert ag.is_grad_enabled()


def test_modes_restore_after_an_exception():
    with pytest.raises(ZeroDivisionError), ag.no_grad():
        1 / 0
    assert ag.is_grad_enabled()

    @ag.no_grad()
    def fails():
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert ag.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = leaf([1.0])
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ag.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (x * 2).requires_grad

    def fresh():
        seen["fresh"] = ag.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad  # while the worker is inside no_grad
    with ag.no_grad():
        other = threading.Thread(target=fresh)  # a new thread starts with recording on
        other.start()
        other.join()
    release.set()
    t.join()
    assert seen == {"worker": False, "main": True, "fresh": True}


# --- retain_grad and hooks -------------------------------------------------------------------------


def test_non_leaf_grad_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    kept = x * 2.0
    kept.retain_grad()
    ((h * h).sum() + (kept * kept).sum()).backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad.numpy(), 2 * val(kept))
    x.retain_grad()  # a leaf keeps its gradient anyway
    np.testing.assert_allclose(x.grad.numpy(), 18 * np.array([1.0, 2.0]) + 8 * np.array([1.0, 2.0]))


def test_retain_grad_accumulates_over_uses():
    x = leaf([1.0])
    h = x * 2.0
    h.retain_grad()
    (h * 3.0 + h * 4.0).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [7.0])


def test_hook_on_a_leaf_sees_and_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(val(g).copy()) or g * 10.0)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1
    handle.remove()  # removing twice is harmless


def test_hook_on_a_non_leaf_changes_what_flows_on():
    x = leaf([1.0, 2.0])
    h = x * x
    seen = []
    handle = h.register_hook(lambda g: seen.append(val(g).copy()))  # returns None: gradient unchanged
    double = h.register_hook(lambda g: g * 2.0)
    (h * 5.0).sum().backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * 5.0 * 2 * np.array([1.0, 2.0]))
    handle.remove()
    double.remove()
    x.grad = None
    (h * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 5.0 * 2 * np.array([1.0, 2.0]))
    assert len(seen) == 1


def test_hooks_run_in_registration_order_and_in_grad():
    x = leaf([1.0])
    order = []
    x.register_hook(lambda g: order.append("first") or g + 1.0)
    x.register_hook(lambda g: order.append("second") or g * 3.0)
    (g,) = ag.grad((x * 2.0).sum(), x)
    assert order == ["first", "second"]
    np.testing.assert_allclose(g.numpy(), [(2.0 + 1.0) * 3.0])


# --- in-place ops and version counting ----------------------------------------------------------


def test_inplace_on_a_saved_input_is_detected_naming_the_op():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = h * h  # saves h
    h.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"MulBackward.*modified in place"):
        y.sum().backward()


def test_inplace_on_a_saved_output_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()  # saves its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"ExpBackward.*modified in place.*version 0 when saved, 1 now"):
        y.sum().backward()


@pytest.mark.parametrize(
    "modify",
    [
        lambda t: t.add_(1.0),
        lambda t: t.sub_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(3.0),
        lambda t: t.copy_(ag.tensor(np.array([7.0, 8.0]))),
        lambda t: t.__setitem__(0, 5.0),
    ],
    ids=["add_", "sub_", "mul_", "zero_", "fill_", "copy_", "setitem"],
)
def test_every_inplace_op_bumps_the_version(modify):
    x = leaf([0.5, 1.5])
    h = x * 1.0
    y = h.sin()  # saves h
    modify(h)
    with pytest.raises(RuntimeError, match="SinBackward"):
        y.sum().backward()
    z = (x * 1.0).sin()
    y2 = z.cos()
    modify(z.detach())  # unrecorded, through a detached alias: it shares the version counter
    with pytest.raises(RuntimeError, match="CosBackward"):
        y2.sum().backward()


def test_inplace_on_a_value_nobody_saved_is_fine():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    y = h + 1.0  # Add saves nothing
    h.add_(5.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_inplace_on_a_view_is_seen_through_the_base():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 1.0
    y = h.sin()
    view = h[:2]
    with ag.no_grad():
        view.mul_(2.0)  # unrecorded, but it changes h's memory, which SinBackward saved
    with pytest.raises(RuntimeError, match="SinBackward"):
        y.sum().backward()


@pytest.mark.parametrize("through", ["view", "base"])
def test_recorded_inplace_on_memory_shared_with_a_view_is_refused(through):
    # Recording it would leave the other tensor's history stale: gradients silently wrong.
    x = leaf([1.0, 2.0, 3.0])
    h = x * 1.0
    view = h[:2]
    target = view if through == "view" else h
    with pytest.raises(RuntimeError, match=r"mul_.*shape \((2|3),\).*shares memory"):
        target.mul_(2.0)


def test_recorded_mul_inplace_by_a_tensor_that_requires_grad():
    x, y = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    h = x * 1.0
    h.mul_(y)
    h /= 2.0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.5, 3.0])
    np.testing.assert_allclose(y.grad.numpy(), [0.5, 1.0, 1.5])


@pytest.mark.parametrize(
    "modify",
    [
        lambda t: t.add_(1.0),
        lambda t: t.sub_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(3.0),
        lambda t: t.copy_(ag.ones(2, dtype=ag.float64)),
        lambda t: t.__setitem__(0, 5.0),
        lambda t: t.__iadd__(1.0),
    ],
    ids=["add_", "sub_", "mul_", "zero_", "fill_", "copy_", "__setitem__", "+="],
)
def test_inplace_on_a_leaf_that_requires_grad(modify):
    name = ["add_", "sub_", "mul_", "fill_", "copy_", "__setitem__"]
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=rf"({'|'.join(name)}).*leaf tensor of shape \(2,\).*no_grad"):
        modify(x)
    np.testing.assert_array_equal(val(x), [1.0, 2.0])  # refused before anything changed
    with ag.no_grad():
        modify(x)
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert not np.array_equal(val(x), [1.0, 2.0])


def test_recorded_inplace_ops_give_correct_gradients():
    xv = np.array([1.0, 2.0, 3.0])
    x = leaf(xv)
    h = x * 1.0
    h.mul_(2.0)  # 2x
    h.add_(x * x, alpha=3.0)  # 2x + 3x^2
    h.sub_(x * x * x)  # 2x + 3x^2 - x^3
    h /= 4.0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (2 + 6 * xv - 3 * xv**2) / 4)
    assert repr(h.grad_fn) == "<DivBackward>"


def test_setitem_with_a_value_that_requires_grad():
    x = leaf([1.0, 2.0, 3.0])
    buf = ag.zeros(3, dtype=ag.float64)
    buf[1] = x[2] * 2.0
    buf[0] = x[0] ** 2
    assert buf.requires_grad and not buf.is_leaf
    (buf * ag.tensor(np.array([1.0, 10.0, 100.0]))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 20.0])


def test_setitem_overwrites_gradient_paths():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 3.0
    h[1] = 0.0
    h[2:] = x[:1] * 7.0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 7.0, 0.0, 0.0])


def test_fill_zero_and_copy_cut_the_old_history():
    x, src = leaf([1.0, 2.0]), leaf([4.0, 5.0])
    h = x * 2.0
    h.zero_()
    (h + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    x.grad = None
    h = x * 2.0
    h.copy_(src * 3.0)
    (h * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 15.0])
    np.testing.assert_allclose(src.grad.numpy(), [3.0, 6.0])


def test_copy_into_a_plain_buffer_records_the_source():
    src = leaf([4.0, 5.0])
    buf = ag.zeros(2, dtype=ag.float64)
    buf.copy_(src)
    (buf * buf).sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), [8.0, 10.0])


# --- autograd.Function ------------------------------------------------------------------------------


class Cube(ag.Function):
    """k * x^3, with a backward in tensor ops, so it can be differentiated again."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return k * x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3.0 * ctx.k * x * x, None


class Product(ag.Function):
    needs_seen: list = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        Product.needs_seen.append(ctx.needs_input_grad)
        return (g * b if ctx.needs_input_grad[0] else None), (g * a if ctx.needs_input_grad[1] else None)


class SortWithIndices(ag.Function):
    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x)
        ctx.order = order
        ctx.mark_non_differentiable(order)
        return x[order], order

    @staticmethod
    def backward(ctx, g, g_order):
        return g[np.argsort(ctx.order)]


class Halves(ag.Function):
    """Two differentiable outputs: the first and the second half of a vector."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        return x[:n].clone(), x[n:].clone()

    @staticmethod
    def backward(ctx, g_first, g_second):
        return ag.cat([g_first, g_second])


def test_user_function_with_two_outputs_one_unused():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    first, second = Halves.apply(x)
    assert first.grad_fn is second.grad_fn
    (first * ag.tensor(np.array([5.0, 6.0]))).sum().backward()  # the second output gets zeros
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0, 0.0, 0.0])
    x.grad = None
    first, second = Halves.apply(x)
    (first.sum() * 2.0 + (second * second).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 6.0, 8.0])


def test_user_function_forward_backward_and_higher_order():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert repr(y.grad_fn) == "<CubeBackward>"
    np.testing.assert_allclose(val(y), [2.0, 16.0])
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(val(g), 6 * np.array([1.0, 4.0]))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 12 * np.array([1.0, 2.0]))


def test_user_function_needs_input_grad():
    Product.needs_seen.clear()
    a, b = leaf([2.0]), ag.tensor(np.array([5.0]))
    Product.apply(a, b).sum().backward()
    Product.apply(b, a).sum().backward()
    assert Product.needs_seen == [(True, False), (False, True)]
    np.testing.assert_allclose(a.grad.numpy(), [10.0])
    assert b.grad is None


def test_user_function_without_grad_records_nothing():
    out = Product.apply(ag.tensor([2.0]), ag.tensor([3.0]))
    assert not out.requires_grad and out.grad_fn is None
    with ag.no_grad():
        assert Product.apply(leaf([2.0]), leaf([3.0])).grad_fn is None


def test_user_function_mark_non_differentiable():
    x = leaf([3.0, 1.0, 2.0])
    values, order = SortWithIndices.apply(x)
    assert values.requires_grad
    assert not order.requires_grad and order.grad_fn is None
    assert order.tolist() == [1, 2, 0]
    (values * ag.tensor(np.array([1.0, 10.0, 100.0]))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 1.0, 10.0])


def test_user_function_saved_tensors_check_versions():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = Cube.apply(h, 1.0)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="CubeBackward"):
        y.sum().backward()


# --- deep graphs -------------------------------------------------------------------------------------


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
def test_million_op_chain():
    x = ag.tensor([0.5], requires_grad=True)
    y, expected = x, 0.5
    for i in range(1_000_000):
        # Additions are the cheapest node; a few negations (an even number) check the sign.
        if i % 100_000 == 0:
            y, expected = -y, -expected
        else:
            y, expected = y + 1.0, expected + 1.0
    assert y.item() == expected  # exact in float32: every partial sum is a half-integer below 2**20
    y.backward()
    assert x.grad.item() == 1.0


def test_dropping_a_deep_graph_without_backward():
    x = ag.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y + 1.0
    node = weakref.ref(y.grad_fn)
    del y  # freeing a long chain of nodes must not overflow the C stack
    assert node() is None


def test_rnn_unrolled_over_ten_thousand_steps():
    rng = np.random.default_rng(3)
    steps, n = 10_000, 4
    wv = rng.standard_normal((n, n)) * 0.3
    xs = rng.standard_normal((steps, n)) * 0.5
    w = leaf(wv)
    inputs = ag.tensor(xs)
    h = ag.zeros(n, dtype=ag.float64)
    for t in range(steps):
        h = (h @ w + inputs[t]).tanh()
    h.sum().backward()

    # Backpropagation through time by hand, in NumPy.
    hs = [np.zeros(n)]
    for t in range(steps):
        hs.append(np.tanh(hs[-1] @ wv + xs[t]))
    grad_w, grad_h = np.zeros_like(wv), np.ones(n)
    for t in range(steps, 0, -1):
        pre = grad_h * (1 - hs[t] ** 2)
        grad_w += np.outer(hs[t - 1], pre)
        grad_h = pre @ wv.T
    np.testing.assert_allclose(w.grad.numpy(), grad_w, rtol=1e-9, atol=1e-12)


# --- memory -----------------------------------------------------------------------------------------


def test_saved_buffers_are_released_after_backward():
    x = leaf(np.ones(1000))
    h = x.exp()
    buffer = weakref.ref(h.detach().numpy())
    y = h.sin().sum()  # SinBackward saves h
    del h
    assert buffer() is not None
    y.backward()
    assert buffer() is None


def test_retain_graph_keeps_saved_buffers_until_the_graph_goes():
    x = leaf(np.ones(10))
    h = x.exp()
    buffer = weakref.ref(h.detach().numpy())
    y = h.sin().sum()
    del h
    y.backward(retain_graph=True)
    assert buffer() is not None
    y.backward()
    assert buffer() is None


def _build_graph():
    x = leaf(np.linspace(-1, 1, 6))
    w = leaf(np.ones((6, 6)) * 0.1)
    h = (w @ x).tanh()
    h.retain_grad()
    h.register_hook(lambda g: g * 1.0)
    v, i = h.max(0)
    loss = (h * h).sum() + x.softmax(0).logsumexp(0) + v + ag.cat([h[:2], x[i:]]).prod() + h.sigmoid().mean()
    return loss, [weakref.ref(loss.grad_fn), weakref.ref(h), weakref.ref(h.detach().numpy())]


@pytest.mark.parametrize("run_backward", [False, True])
def test_no_reference_cycles_keep_a_graph_alive(run_backward):
    gc.collect()
    gc.disable()  # only reference counting may free the graph: no cycle collector
    try:
        loss, refs = _build_graph()
        if run_backward:
            loss.backward()
        del loss
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_gc_finds_no_garbage_from_a_dropped_graph():
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        # (backward(create_graph=True) is left out: a leaf whose .grad is a graph leading back
        # to the leaf is a cycle by construction, as in torch.)
        for create_graph in (False, True):
            loss, _ = _build_graph()
            x = leaf([1.0, 2.0])
            (g,) = ag.grad((x.tanh() ** 3).sum(), x, create_graph=create_graph)
            (gg,) = ag.grad(g.sum(), x) if create_graph else (None,)
            loss.backward()
            del loss, g, gg, x
        gc.collect()
        ours = [o for o in gc.garbage if type(o) in (ag.Tensor, ag.Context)]
        assert ours == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("order", ["x * x.detach()", "x.detach() * x"])
def test_saved_detached_operand_stays_detached(order):
    # Regression: both operands hold the same array; the saved detached one must not be
    # wired back to x, or second derivatives gain a term.
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = x * x.detach() if order == "x * x.detach()" else x.detach() * x
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [1.0, 2.0])
    assert not g.requires_grad
