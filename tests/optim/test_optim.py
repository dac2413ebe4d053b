"""optim: each optimizer against its update equations written out in NumPy (float64), over
several steps and every option; parameter groups, state_dict, bad input, and training."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optim_state_dicts import assert_plain, to_text_keys

import autograd as ag
import optim

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- reference updates: one step on float64 arrays, from the documented equations --------------
def ref_sgd(x, g, state, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    d = -g if maximize else g
    d = d + weight_decay * x
    if momentum != 0:
        b = d if t == 1 else momentum * state["b"] + (1 - dampening) * d
        state["b"] = b
        d = d + momentum * b if nesterov else b
    return x - lr * d


def ref_adam(x, g, state, t, lr, betas, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    d = -g if maximize else g
    if decoupled:
        x = x * (1 - lr * weight_decay)
    else:
        d = d + weight_decay * x
    m = b1 * state.get("m", 0.0) + (1 - b1) * d
    v = b2 * state.get("v", 0.0) + (1 - b2) * d * d
    state["m"], state["v"] = m, v
    if amsgrad:
        # The running maximum is of the raw second moment; bias correction is applied after.
        v = state["vmax"] = np.maximum(state.get("vmax", 0.0), v)
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(x, g, state, t, **hp):
    return ref_adam(x, g, state, t, decoupled=True, **hp)


def ref_rmsprop(x, g, state, t, lr, alpha, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    d = -g if maximize else g
    d = d + weight_decay * x
    s = state["s"] = alpha * state.get("s", 0.0) + (1 - alpha) * d * d
    if centered:
        a = state["a"] = alpha * state.get("a", 0.0) + (1 - alpha) * d
        denom = np.sqrt(s - a * a) + eps
    else:
        denom = np.sqrt(s) + eps
    if momentum > 0:
        b = state["b"] = momentum * state.get("b", 0.0) + d / denom
        return x - lr * b
    return x - lr * d / denom


def ref_adagrad(x, g, state, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    d = -g if maximize else g
    d = d + weight_decay * x
    s = state["s"] = state.get("s", initial_accumulator_value) + d * d
    return x - lr / (1 + (t - 1) * lr_decay) * d / (np.sqrt(s) + eps)


def ref_adadelta(x, g, state, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    d = -g if maximize else g
    d = d + weight_decay * x
    v = state["v"] = rho * state.get("v", 0.0) + (1 - rho) * d * d
    u = state.get("u", 0.0)
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * d
    state["u"] = rho * u + (1 - rho) * delta * delta
    return x - lr * delta


def ref_adamax(x, g, state, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas
    d = -g if maximize else g
    d = d + weight_decay * x
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * d
    u = state["u"] = np.maximum(b2 * state.get("u", 0.0), np.abs(d) + eps)
    return x - lr / (1 - b1**t) * m / u


def decayed(x, d, lr, weight_decay, decoupled):
    """(x, d) after weight decay: x shrunk (decoupled), or the decay term added to the gradient."""
    if decoupled:
        return x * (1 - lr * weight_decay), d
    return x, d + weight_decay * x


def ref_nadam(x, g, state, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    x, d = decayed(x, -g if maximize else g, lr, weight_decay, decoupled_weight_decay)
    mu = lambda k: b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay))
    product = state["product"] = state.get("product", 1.0) * mu(t)  # mu_1 * ... * mu_t
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * d
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * d * d
    denom = np.sqrt(v / (1 - b2**t)) + eps
    return x - lr * (1 - mu(t)) / (1 - product) * d / denom - lr * mu(t + 1) / (1 - product * mu(t + 1)) * m / denom


def ref_radam(x, g, state, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False,
              maximize=False):
    b1, b2 = betas
    x, d = decayed(x, -g if maximize else g, lr, weight_decay, decoupled_weight_decay)
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * d
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * d * d
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho <= 5:
        return x - lr * m_hat
    rect = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return x - lr * m_hat * rect * np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)


OPTIMIZERS = {
    "SGD": (optim.SGD, ref_sgd),
    "Adam": (optim.Adam, ref_adam),
    "AdamW": (optim.AdamW, ref_adamw),
    "RMSprop": (optim.RMSprop, ref_rmsprop),
    "Adagrad": (optim.Adagrad, ref_adagrad),
    "Adadelta": (optim.Adadelta, ref_adadelta),
    "Adamax": (optim.Adamax, ref_adamax),
    "NAdam": (optim.NAdam, ref_nadam),
    "RAdam": (optim.RAdam, ref_radam),
}


def hyperparameters(name: str) -> st.SearchStrategy[dict]:
    """Every option of optimizer ``name``, in ranges where float32 stays well conditioned."""
    lr = st.floats(1e-3, 0.5)
    decay = st.sampled_from([0.0, 0.0, 0.01, 0.3])
    flag = st.booleans()
    if name == "SGD":
        def valid(hp):
            if hp["nesterov"]:
                hp["dampening"] = 0.0
                hp["momentum"] = hp["momentum"] or 0.5
            return hp
        return st.fixed_dictionaries(dict(
            lr=lr, momentum=st.sampled_from([0.0, 0.5, 0.9]), dampening=st.sampled_from([0.0, 0.1, 0.5]),
            weight_decay=decay, nesterov=flag, maximize=flag)).map(valid)
    if name in ("Adam", "AdamW"):
        return st.fixed_dictionaries(dict(
            lr=lr, betas=st.tuples(st.floats(0.0, 0.95), st.floats(0.5, 0.999)), eps=st.floats(1e-8, 1e-3),
            weight_decay=decay, amsgrad=flag, maximize=flag))
    if name == "RMSprop":
        return st.fixed_dictionaries(dict(
            lr=st.floats(1e-3, 0.05), alpha=st.floats(0.5, 0.99), eps=st.floats(1e-8, 1e-3), weight_decay=decay,
            momentum=st.sampled_from([0.0, 0.5, 0.9]), centered=flag, maximize=flag))
    if name == "Adadelta":
        return st.fixed_dictionaries(dict(
            lr=st.floats(0.01, 2.0), rho=st.floats(0.0, 0.99), eps=st.floats(1e-6, 1e-2), weight_decay=decay,
            maximize=flag))
    adam_like = dict(lr=lr, betas=st.tuples(st.floats(0.0, 0.95), st.floats(0.7, 0.999)), eps=st.floats(1e-8, 1e-3),
                     weight_decay=decay, maximize=flag)
    if name == "Adamax":
        return st.fixed_dictionaries(adam_like)
    if name == "NAdam":
        return st.fixed_dictionaries(dict(adam_like, momentum_decay=st.sampled_from([4e-3, 0.0, 0.1]),
                                          decoupled_weight_decay=flag))
    if name == "RAdam":
        return st.fixed_dictionaries(dict(adam_like, decoupled_weight_decay=flag))
    return st.fixed_dictionaries(dict(
        lr=lr, lr_decay=st.sampled_from([0.0, 0.1]), weight_decay=decay,
        initial_accumulator_value=st.sampled_from([0.0, 0.1, 1.0]), eps=st.floats(1e-10, 1e-3), maximize=flag))


shapes = st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=3)
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def make_params(init, dtype, requires_grad=True):
    return [ag.tensor(x.astype(dtype), requires_grad=requires_grad) for x in init]


def run_against_reference(name, hp, init, grads, dtype):
    cls, ref = OPTIMIZERS[name]
    params = make_params(init, dtype)
    arrays = [p.detach().numpy() for p in params]
    opt = cls(params, **hp)
    xs = [x.astype(dtype).astype(np.float64) for x in init]
    states = [{} for _ in xs]
    for t, step_grads in enumerate(grads, start=1):
        for p, g in zip(params, step_grads):
            p.grad = ag.tensor(g.astype(dtype))
        opt.step()
        xs = [ref(x, g.astype(dtype).astype(np.float64), s, t, **hp) for x, g, s, in zip(xs, step_grads, states)]
        for p, x in zip(params, xs):
            np.testing.assert_allclose(p.detach().numpy(), x, **TOL[dtype], err_msg=f"{name} step {t} {hp}")
    for p, a in zip(params, arrays):
        assert p.dtype == dtype and p.detach().numpy() is a, "the update must be in place and keep the dtype"
        assert p.is_leaf and p.requires_grad
        for value in opt.state[p].values():
            if isinstance(value, (np.ndarray, ag.Tensor)):
                assert value.dtype == dtype and value.shape == p.shape
                assert not (isinstance(value, ag.Tensor) and value.requires_grad)


def draw_problem(data, shape_list, max_steps=5):
    seed = data.draw(st.integers(0, 2**32 - 1))
    steps = data.draw(st.integers(1, max_steps))
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s) for s in shape_list]
    grads = [[rng.normal(size=s) for s in shape_list] for _ in range(steps)]
    return init, grads


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(data=st.data(), shape_list=shapes)
def test_matches_reference_equations(name, dtype, data, shape_list):
    hp = data.draw(hyperparameters(name))
    # RAdam's rectified step starts at step 6 at the earliest (rho_t grows no faster than t).
    init, grads = draw_problem(data, shape_list, max_steps=12 if name == "RAdam" else 5)
    run_against_reference(name, hp, init, grads, dtype)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_defaults_match_reference(name):
    cls, ref = OPTIMIZERS[name]
    defaults = {"SGD": dict(lr=1e-3), "Adam": dict(lr=1e-3, betas=(0.9, 0.999)),
                "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-2),
                "RMSprop": dict(lr=1e-2, alpha=0.99), "Adagrad": dict(lr=1e-2)}.get(name, {})  # the later
    # optimizers' references take torch's documented defaults as the defaults of their arguments
    rng = np.random.default_rng(1)
    (p,) = make_params([rng.normal(size=(3, 2))], np.float64)
    x, state = p.detach().numpy().copy(), {}
    opt = cls([p])
    for t in range(1, 9):
        g = rng.normal(size=(3, 2))
        p.grad = ag.tensor(g)
        opt.step()
        x = ref(x, g, state, t, **defaults)
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-12)


def test_sgd_momentum_first_step_takes_the_gradient_undamped():
    p = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([p], lr=0.5, momentum=0.9, dampening=0.5)
    p.grad = ag.tensor([1.0, -2.0], dtype="float64")
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.0, -2.0])
    opt.step()  # b = 0.9 * b + 0.5 * g = 1.4 * g
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.4, -2.8])
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.5 * (1 + 1.4), 2.0 + 0.5 * (2 + 2.8)])


def steps_by_hand(cls, grads, **hp):
    """The parameter [1, -2] after one step of ``cls`` per gradient in ``grads``."""
    p = ag.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    opt = cls([p], **hp)
    for g in grads:
        p.grad = ag.tensor(g, dtype="float64")
        opt.step()
    return p.detach().numpy()


def test_adadelta_first_step_by_hand():
    # v = 0.1 * g**2 = [0.1, 0.4], u = 0: delta = sqrt(1e-6) / sqrt(v + 1e-6) * g.
    x = steps_by_hand(optim.Adadelta, [[1.0, -2.0]])
    np.testing.assert_allclose(x, [1 - 1e-3 / math.sqrt(0.1 + 1e-6), -2 + 2e-3 / math.sqrt(0.4 + 1e-6)], rtol=1e-12)


def test_adamax_two_steps_by_hand():
    # Step 1: m = 0.1 g = [0.1, -0.2], u = |g| = [1, 2], x -= 0.1 / (1 - 0.9) * m / u = [0.1, -0.1].
    # Step 2 (g = [-1, 1]): m = [-0.01, -0.08], u = max(0.999 u, |g|) = [1, 1.998], lr / (1 - 0.81).
    x = steps_by_hand(optim.Adamax, [[1.0, -2.0], [-1.0, 1.0]], lr=0.1, eps=0.0)
    np.testing.assert_allclose(x, [0.9 + 0.1 / 0.19 * 0.01, -1.9 + 0.1 / 0.19 * 0.08 / 1.998], rtol=1e-12)


def test_nadam_first_step_by_hand():
    # Without momentum decay mu_t = 0.9 * (1 - 0.5) = 0.45 at every step. Step 1: m = 0.1 g,
    # sqrt(v / (1 - 0.999)) = |g|, so x -= 0.1 * sign(g) * ((1 - mu) / (1 - mu) + mu / (1 - mu**2) * 0.1).
    x = steps_by_hand(optim.NAdam, [[1.0, -2.0]], lr=0.1, eps=0.0, momentum_decay=0.0)
    step = 0.1 * (1 + 0.045 / (1 - 0.45**2))
    np.testing.assert_allclose(x, [1 - step, -2 + step], rtol=1e-12)


def test_radam_first_steps_are_momentum_by_hand():
    # rho_t <= 5 on the first steps, so x -= lr * m / (1 - 0.9**t): step 1 takes g itself,
    # step 2 (g = [-1, 1]) the bias-corrected average (0.09 g1 + 0.1 g2) / 0.19.
    x = steps_by_hand(optim.RAdam, [[1.0, -2.0], [-1.0, 1.0]], lr=0.1)
    np.testing.assert_allclose(x, [0.9 + 0.1 * 0.01 / 0.19, -1.8 + 0.1 * 0.08 / 0.19], rtol=1e-12)


def test_parameter_groups_use_their_own_hyperparameters():
    rng = np.random.default_rng(2)
    a, b = make_params([rng.normal(size=3), rng.normal(size=(2, 2))], np.float64)
    xa, xb = a.detach().numpy().copy(), b.detach().numpy().copy()
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.2, "amsgrad": True}], lr=0.05, betas=(0.8, 0.9))
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.param_groups[0]["amsgrad"] is False
    sa, sb = {}, {}
    for t in range(1, 4):
        ga, gb = rng.normal(size=3), rng.normal(size=(2, 2))
        a.grad, b.grad = ag.tensor(ga), ag.tensor(gb)
        opt.step()
        xa = ref_adam(xa, ga, sa, t, lr=0.05, betas=(0.8, 0.9))
        xb = ref_adam(xb, gb, sb, t, lr=0.2, betas=(0.8, 0.9), amsgrad=True)
    np.testing.assert_allclose(a.detach().numpy(), xa, rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), xb, rtol=1e-12)


def test_add_param_group_fills_defaults_and_joins_the_step():
    a, b = make_params([np.ones(2), np.ones(3)], np.float64)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 1.0})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 1.0
    a.grad, b.grad = ag.tensor(np.ones(2)), ag.tensor(np.ones(3))
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 0.0)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_parameters_without_grad_are_skipped(name):
    cls, _ = OPTIMIZERS[name]
    a, b = make_params([np.ones(2), np.ones(3)], np.float32)
    opt = cls([a, b], lr=0.1)
    a.grad = ag.tensor(np.ones(2, dtype=np.float32))
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), np.ones(3))
    assert not np.array_equal(a.detach().numpy(), np.ones(2))
    assert opt.state[b].get("step", 0) == 0  # Adagrad creates its state up front, the others on use


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_records_no_graph_and_invalidates_saved_values(name):
    cls, _ = OPTIMIZERS[name]
    (p,) = make_params([np.array([0.5, -1.0, 2.0])], np.float32)
    opt = cls([p], lr=0.1)
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    with ag.enable_grad():  # step() must switch recording off itself
        opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    # The graph saved p before the update; the engine must notice the in-place change.
    with pytest.raises(RuntimeError):
        loss.backward()


def test_step_returns_closure_loss_computed_with_grad_on():
    p = ag.tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.detach().numpy(), [3.0 - 0.25 * 6.0])
    assert opt.step() is None


def test_zero_grad():
    a, b = make_params([np.ones(2), np.ones(3)], np.float32)
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = ag.tensor(np.full(2, 5.0, dtype=np.float32))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.detach().numpy(), [0.0, 0.0])
    assert b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_zero_grad_detaches_a_gradient_built_with_create_graph():
    p = ag.tensor([2.0], requires_grad=True)
    (p * p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    opt = optim.SGD([p], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert not p.grad.requires_grad and p.grad.item() == 0.0


def test_named_parameters():
    a, b = make_params([np.ones(2), np.ones(3)], np.float32)
    opt = optim.Adam([("weight", a), ("bias", b)])
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


# --- state_dict ---------------------------------------------------------------------------------
ALL_OPTIONS = {
    "SGD": dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": dict(lr=0.05, amsgrad=True, weight_decay=0.01),
    "AdamW": dict(lr=0.05, amsgrad=True),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "Adadelta": dict(lr=0.5, rho=0.8, weight_decay=0.01),
    "Adamax": dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01),
    "NAdam": dict(lr=0.05, weight_decay=0.01, momentum_decay=0.01, decoupled_weight_decay=True),
    # beta2 = 0.9: the rectified step begins at step 6, within the runs of the tests below
    "RAdam": dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.01, decoupled_weight_decay=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("via", ["dict", "text_keys", "checkpoint"])
def test_state_dict_round_trip_resumes_bit_for_bit(name, via, tmp_path):
    cls, _ = OPTIMIZERS[name]
    rng = np.random.default_rng(3)
    init = [rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=())]
    grads = [[rng.normal(size=x.shape).astype(np.float32) for x in init] for _ in range(8)]
    params = make_params(init, np.float32)
    frozen = params[2]  # never gets a gradient: no state, and still an index in the groups
    opt = cls([{"params": params[:2]}, {"params": [frozen], "lr": 0.5}], **ALL_OPTIONS[name])

    def train(opt, params, step_grads):
        for gs in step_grads:
            for p, g in zip(params[:2], gs):
                p.grad = ag.tensor(g)
            opt.step()

    train(opt, params, grads[:4])
    saved = opt.state_dict()
    assert_plain(saved)
    assert saved["param_groups"][0]["params"] == [0, 1] and saved["param_groups"][1]["params"] == [2]
    snapshot = [p.detach().numpy().copy() for p in params]
    train(opt, params, grads[4:])

    resumed = make_params(snapshot, np.float32)
    opt2 = cls([{"params": resumed[:2]}, {"params": [resumed[2]]}], lr=123.0)  # hyperparameters come from the load
    if via == "text_keys":
        saved = to_text_keys(saved)
    elif via == "checkpoint":
        import nn

        nn.save(saved, tmp_path / "optimizer.npz")
        saved = nn.load(tmp_path / "optimizer.npz")
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.5
    assert opt2.param_groups[0]["lr"] == ALL_OPTIONS[name]["lr"]
    train(opt2, resumed, grads[4:])
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_is_a_snapshot_and_load_copies():
    (p,) = make_params([np.ones(3)], np.float64)
    opt = optim.Adam([p], lr=0.1)
    p.grad = ag.tensor(np.ones(3))
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"][:] = 99.0
    assert not np.any(opt.state[p]["exp_avg"] == 99.0)
    opt.load_state_dict(saved)
    saved["state"][0]["exp_avg"][:] = -1.0
    np.testing.assert_array_equal(opt.state[p]["exp_avg"], np.full(3, 99.0))
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    (p64,) = make_params([np.ones(3)], np.float64)
    opt64 = optim.RMSprop([p64], momentum=0.9)
    p64.grad = ag.tensor(np.ones(3))
    opt64.step()
    (p32,) = make_params([np.ones(3)], np.float32)
    opt32 = optim.RMSprop([p32], momentum=0.9)
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[p32]["square_avg"].dtype == np.float32
    assert opt32.state[p32]["step"] == 1 and isinstance(opt32.state[p32]["step"], int)


def test_load_state_dict_errors():
    a, b = make_params([np.ones(2), np.ones(3)], np.float32)
    opt = optim.Adam([a, b])
    a.grad = ag.tensor(np.ones(2, dtype=np.float32))
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match=r"2 parameter groups, this optimizer 1"):
        opt.load_state_dict({"state": {}, "param_groups": saved["param_groups"] * 2})
    with pytest.raises(ValueError, match=r"group 0 holds 1 parameters here but 2"):
        optim.Adam([a]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"shape \(2,\) but its parameter has shape \(3,\)"):
        c, d = make_params([np.ones(3), np.ones(2)], np.float32)
        optim.Adam([c, d]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    with pytest.raises(ValueError, match=r"parameter 7"):
        opt.load_state_dict({"state": {7: {}}, "param_groups": saved["param_groups"]})


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_bad_parameter_lists(name):
    cls, _ = OPTIMIZERS[name]
    p = ag.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=f"{name} got an empty parameter list"):
        cls([])
    with pytest.raises(TypeError, match="got int"):
        cls(3)
    with pytest.raises(TypeError, match="single Tensor"):
        cls(p)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        cls([p, np.zeros(2)])
    with pytest.raises(ValueError, match=r"parameter 0 \(shape \(2,\)\) is not a leaf"):
        cls([p * 2])
    with pytest.raises(TypeError, match="not a set"):
        cls({p})
    with pytest.raises(ValueError, match=r"parameter 1 .* same tensor as parameter 0"):
        cls([p, p])
    opt = cls([p])
    with pytest.raises(ValueError, match="already in parameter group 0"):
        opt.add_param_group({"params": [ag.zeros(1, requires_grad=True), p]})
    with pytest.raises(TypeError, match="must be a dict, got list"):
        opt.add_param_group([p])
    with pytest.raises(ValueError, match="'params' entry"):
        opt.add_param_group({"lr": 0.1})


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    [
        (optim.SGD, dict(lr=-0.1), ValueError, r"SGD: lr must be at least 0.0, got -0.1"),
        (optim.SGD, dict(lr=float("nan")), ValueError, r"lr .* got nan"),
        (optim.SGD, dict(lr="0.1"), TypeError, r"lr must be a number, got str '0.1'"),
        (optim.SGD, dict(momentum=-0.5), ValueError, r"momentum must be at least 0.0, got -0.5"),
        (optim.SGD, dict(weight_decay=-1), ValueError, r"weight_decay .* got -1"),
        (optim.SGD, dict(nesterov=True), ValueError, r"nesterov needs momentum > 0 .* momentum=0.0"),
        (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, r"dampening=0.1"),
        (optim.Adam, dict(lr=-1e-3), ValueError, r"Adam: lr .* got -0.001"),
        (optim.Adam, dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\), got 1.0"),
        (optim.Adam, dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be at least 0.0, got -0.1"),
        (optim.Adam, dict(betas=0.9), TypeError, r"betas must be a pair .* got 0.9"),
        (optim.AdamW, dict(eps=-1e-8), ValueError, r"AdamW: eps .* got -1e-08"),
        (optim.AdamW, dict(weight_decay=-0.01), ValueError, r"weight_decay .* got -0.01"),
        (optim.RMSprop, dict(alpha=-0.9), ValueError, r"RMSprop: alpha .* got -0.9"),
        (optim.RMSprop, dict(momentum=-0.1), ValueError, r"momentum .* got -0.1"),
        (optim.Adagrad, dict(lr_decay=-0.1), ValueError, r"Adagrad: lr_decay .* got -0.1"),
        (optim.Adagrad, dict(initial_accumulator_value=-1.0), ValueError, r"initial_accumulator_value .* -1.0"),
        (optim.Adadelta, dict(lr=-1.0), ValueError, r"Adadelta: lr must be at least 0.0, got -1.0"),
        (optim.Adadelta, dict(rho=1.5), ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
        (optim.Adadelta, dict(eps=-1e-6), ValueError, r"eps .* got -1e-06"),
        (optim.Adamax, dict(betas=(0.9, 1.0)), ValueError, r"Adamax: betas\[1\] must be in \[0, 1\), got 1.0"),
        (optim.Adamax, dict(weight_decay=-0.1), ValueError, r"weight_decay .* got -0.1"),
        (optim.NAdam, dict(momentum_decay=-0.004), ValueError, r"NAdam: momentum_decay .* got -0.004"),
        (optim.NAdam, dict(betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be at least 0.0, got -0.1"),
        (optim.RAdam, dict(lr=-0.5), ValueError, r"RAdam: lr .* got -0.5"),
        (optim.RAdam, dict(betas=[0.9]), TypeError, r"betas must be a pair .* got \(0.9,\)"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls([ag.zeros(2, requires_grad=True)], **kwargs)


def test_invalid_hyperparameter_in_a_group():
    with pytest.raises(ValueError, match=r"lr must be at least 0.0, got -2"):
        optim.Adam([{"params": [ag.zeros(2, requires_grad=True)], "lr": -2}])


def test_gradient_of_the_wrong_shape():
    p = ag.zeros(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*shape \(2, 3\)"):
        p.grad = ag.zeros(3, 2)  # refused when assigned, as in torch
    # Replacing .data after the gradient was set is still caught by the step.
    p.grad = ag.zeros(2, 3)
    p.data = ag.zeros(3, 2)
    with pytest.raises(RuntimeError, match=r"shape \(3, 2\) has a gradient of shape \(2, 3\)"):
        optim.SGD([p], lr=0.1).step()


# --- training -----------------------------------------------------------------------------------
def two_moons(n, rng):
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 0, np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return (x + rng.normal(0, 0.1, x.shape)).astype(np.float32), label


def train_mlp(make_optimizer, steps):
    rng = np.random.default_rng(0)
    x_np, y_np = two_moons(200, rng)
    x, onehot = ag.tensor(x_np), ag.tensor(np.eye(2, dtype=np.float32)[y_np])
    sizes = [2, 16, 16, 2]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(ag.tensor(rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, fan_out)), dtype="float32",
                                requires_grad=True))
        params.append(ag.zeros(fan_out, requires_grad=True))
    opt = make_optimizer(params)
    losses = []
    for _ in range(steps):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.tanh()
        loss = -(h.log_softmax(1) * onehot).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.dtype == np.float32 for p in params)
    return losses


@pytest.mark.parametrize(
    "make_optimizer",
    [lambda ps: optim.Adam(ps, lr=0.02), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)],
    ids=["Adam", "SGD-momentum"],
)
def test_training_drives_the_loss_down(make_optimizer):
    losses = train_mlp(make_optimizer, 300)
    assert losses[0] > 0.5
    assert losses[-1] < 0.05, f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"


# --- optional: the same trajectories as torch, when it is installed -----------------------------
@contextlib.contextmanager
def torch_scalars_in_float64(torch):
    """torch keeps some scalar state (NAdam's mu_product) in its default dtype, float32 unless
    changed; ndgrad keeps it as a Python float. Comparisons at float64 precision set torch's
    default to float64 for their duration."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


TORCH_CASES = [(name, dict(ALL_OPTIONS[name], maximize=True)) for name in OPTIMIZERS] + [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=2.0, rho=0.5, eps=1e-3)),
    ("Adamax", dict(lr=0.1, betas=(0.3, 0.9), weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, betas=(0.5, 0.95), weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, momentum_decay=0.0, maximize=True)),
    ("RAdam", dict(lr=0.1, betas=(0.8, 0.95), weight_decay=0.1)),
    ("RAdam", {}),
]


@pytest.mark.parametrize(("name", "hp"), TORCH_CASES)
def test_same_trajectory_as_torch(name, hp):
    torch = pytest.importorskip("torch")
    cls, _ = OPTIMIZERS[name]
    rng = np.random.default_rng(4)
    init = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    ours = make_params(init, np.float64)
    theirs = [torch.tensor(x, requires_grad=True) for x in init]
    with torch_scalars_in_float64(torch):
        opt, ref = cls(ours, **hp), getattr(torch.optim, name)(theirs, **hp)
        trajectories_match(torch, opt, ref, ours, theirs, rng)


def trajectories_match(torch, opt, ref, ours, theirs, rng, steps=10):
    for _ in range(steps):
        for p, q in zip(ours, theirs):
            g = rng.normal(size=p.shape)
            p.grad, q.grad = ag.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert math.isclose(opt.param_groups[0]["lr"], ref.param_groups[0]["lr"])
    assert sorted(opt.state[ours[0]]) == sorted(ref.state[theirs[0]])  # the same state, by torch's names


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resumes_from_a_torch_optimizer_state_and_torch_resumes_from_ours(name):
    # torch keeps the step count as a 0-d tensor, which used to reach Adam's update as a Tensor
    # after conversion: TypeError: operand 'Tensor' does not support ufuncs.
    torch = pytest.importorskip("torch")
    from nn import checkpoint

    cls, hp = getattr(optim, name), ALL_OPTIONS[name]
    rng = np.random.default_rng(8)
    init = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    grads = [[rng.normal(size=x.shape) for x in init] for _ in range(8)]

    def steps(opt, params, gs, wrap):
        for step_grads in gs:
            for p, g in zip(params, step_grads):
                p.grad = wrap(g.copy())
            opt.step()

    def torch_run(values, gs, state=None):
        params = [torch.tensor(x, requires_grad=True) for x in values]
        opt = getattr(torch.optim, name)(params, **hp)
        if state is not None:
            opt.load_state_dict(state)
        steps(opt, params, gs, torch.tensor)
        return [q.detach().numpy() for q in params], opt

    def our_run(values, gs, state=None):
        params = make_params(values, np.float64)
        opt = cls(params, **hp)
        if state is not None:
            opt.load_state_dict(state)
        steps(opt, params, gs, ag.tensor)
        return [p.detach().numpy().copy() for p in params], opt

    with torch_scalars_in_float64(torch):
        whole, _ = torch_run(init, grads)
        half, torch_opt = torch_run(init, grads[:4])
        ours, _ = our_run(half, grads[4:], checkpoint.from_torch_state_dict(torch_opt.state_dict()))
        for a, b in zip(ours, whole):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        half, our_opt = our_run(init, grads[:4])
        theirs, _ = torch_run(half, grads[4:], checkpoint.to_torch_state_dict(our_opt.state_dict()))
        for a, b in zip(theirs, whole):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("step", [ag.tensor(3.0), np.array(3.0, dtype=np.float32), np.float32(3.0), 3.0, 3])
def test_load_state_dict_takes_a_step_count_in_any_numeric_form(step):
    # Without torch: the forms a step count takes in a converted torch state (a 0-d Tensor), an
    # nn.load'ed one (a 0-d array or NumPy scalar) and JSON (a float).
    (p,) = make_params([np.ones(3)], np.float64)
    opt = optim.Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = ag.tensor(np.ones(3))
        opt.step()
    saved = opt.state_dict()
    saved["state"][0]["step"] = step
    (q,) = make_params([p.detach().numpy().copy()], np.float64)
    resumed = optim.Adam([q], lr=0.1)
    resumed.load_state_dict(saved)
    assert resumed.state[q]["step"] == 3 and type(resumed.state[q]["step"]) is int
    for opt_, param in ((opt, p), (resumed, q)):
        param.grad = ag.tensor(np.ones(3))
        opt_.step()
    np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())


# torch's switches between implementations of one update: accepted, the update unchanged.
FLAGS = {
    "SGD": ("foreach", "differentiable", "fused"),
    "Adam": ("foreach", "capturable", "differentiable", "fused"),
    "AdamW": ("foreach", "capturable", "differentiable", "fused"),
    "RMSprop": ("foreach", "capturable", "differentiable"),
    "Adagrad": ("foreach", "differentiable", "fused"),
    "Adadelta": ("foreach", "capturable", "differentiable"),
    "Adamax": ("foreach", "differentiable", "capturable"),
    "NAdam": ("foreach", "capturable", "differentiable"),
    "RAdam": ("foreach", "capturable", "differentiable"),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_torch_implementation_flags_are_accepted_and_change_nothing(name):
    cls, hp = OPTIMIZERS[name][0], ALL_OPTIONS[name]
    rng = np.random.default_rng(2)
    init, grads = [rng.normal(size=(2, 3))], [[rng.normal(size=(2, 3))] for _ in range(3)]
    off = {flag: None if flag in ("foreach", "fused") else False for flag in FLAGS[name]}
    runs = []
    for flags in ({}, off, {**off, "foreach": True}, dict.fromkeys(FLAGS[name], False)):
        params = make_params(init, np.float64)
        opt = cls(params, **hp, **flags)
        assert all(opt.param_groups[0][f] == flags.get(f, off[f]) for f in FLAGS[name])  # kept, as torch
        for gs in grads:
            params[0].grad = ag.tensor(gs[0])
            opt.step()
        runs.append(params[0].detach().numpy().copy())
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])


@pytest.mark.parametrize(("name", "flag"), [(n, f) for n, fs in FLAGS.items() for f in fs if f != "foreach"])
def test_torch_implementation_flags_ndgrad_cannot_honour_are_refused(name, flag):
    cls, p = OPTIMIZERS[name][0], ag.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{name}: {flag}=True is not supported"):
        cls([p], **{flag: True})
    opt = cls([p])
    with pytest.raises(NotImplementedError, match=f"{flag}=True"):
        opt.add_param_group({"params": [ag.zeros(2, requires_grad=True)], flag: True})


def test_every_keyword_of_torchs_optimizers_is_accepted():
    torch = pytest.importorskip("torch")
    import inspect

    # decoupled_weight_decay turns torch's Adam into AdamW; ndgrad keeps the two classes apart.
    not_taken = {"Adam": {"decoupled_weight_decay"}}
    for name in OPTIMIZERS:
        theirs = set(inspect.signature(getattr(torch.optim, name)).parameters)
        ours = set(inspect.signature(getattr(optim, name)).parameters)
        assert theirs - ours == not_taken.get(name, set()), name
