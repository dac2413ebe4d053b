"""optim.LBFGS: its first iterations worked by hand in NumPy, convergence on a quadratic and on
Rosenbrock's function (with and without the strong-Wolfe line search), the closure protocol
and its counts, state_dict, bad input, and torch's iterates where torch is installed."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from optim_state_dicts import assert_plain, to_text_keys

import autograd as ag
import optim
from optim.lbfgs import _cubic_minimum, _Point, strong_wolfe


def rosenbrock(x):
    """Rosenbrock's function of a 1-d tensor; its minimum is 0, at x = (1, ..., 1)."""
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


# A convex quadratic 0.5 x.A.x - b.x, minimized at A^-1 b.
A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, -0.3], [0.0, -0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic(x):
    return 0.5 * (x * (ag.tensor(A) @ x)).sum() - (ag.tensor(B) * x).sum()


def quadratic_grad(x):
    return A @ x - B


def closure_for(opt, loss_fn, x):
    """The closure LBFGS calls (ndgrad's or torch's): zero the gradients, compute the loss at
    ``x``, backpropagate, return the loss."""
    def closure():
        opt.zero_grad()
        loss = loss_fn(x)
        loss.backward()
        return loss

    return closure


class Problem:
    """A parameter, an LBFGS over it, and the closure LBFGS needs; counts the closure's calls."""

    def __init__(self, loss_fn, x0, **hp):
        self.x = ag.tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
        self.calls = 0
        self.opt = optim.LBFGS([self.x], **hp)
        self._closure = closure_for(self.opt, loss_fn, self.x)

    def closure(self):
        self.calls += 1
        assert ag.is_grad_enabled(), "LBFGS must call the closure with gradient recording on"
        return self._closure()

    def step(self):
        return self.opt.step(self.closure)

    @property
    def value(self):
        return self.x.detach().numpy().copy()


# --- iterations worked by hand ------------------------------------------------------------------
def test_first_iteration_is_a_gradient_step_scaled_by_the_gradient_size():
    x0 = np.array([1.0, 1.0, 1.0])
    p = Problem(quadratic, x0, lr=0.5, max_iter=1)
    loss = p.step()
    g0 = quadratic_grad(x0)  # [2.5, 0.2, 0.8]: its absolute sum 3.5 > 1, so the step is lr / 3.5
    np.testing.assert_allclose(p.value, x0 - 0.5 / np.abs(g0).sum() * g0, rtol=1e-14)
    assert loss.item() == pytest.approx(0.5 * x0 @ A @ x0 - B @ x0)
    assert p.calls == 1  # the last (here the only) iteration does not evaluate the point it moved to
    state = p.opt.state[p.x]
    assert (state["n_iter"], state["func_evals"]) == (1, 1)


def test_second_iteration_is_the_two_loop_recursion_by_hand():
    x0 = np.linalg.solve(A, B) + [0.1, -0.1, 0.05]  # a small gradient: the first step is lr itself
    p = Problem(quadratic, x0, lr=0.3, max_iter=1)
    p.step()
    p.step()
    # By hand: iteration 1 moved by s = t * d with d = -g0 and t = 0.3 (sum |g0| < 1); then
    # y = g1 - g0, and the new direction is -H g1 for the BFGS matrix H built from (s, y)
    # on the scaled identity (y.s / y.y) I: one pair, so the two loops are one step each.
    g0 = quadratic_grad(x0)
    assert np.abs(g0).sum() < 1
    s = -0.3 * g0
    x1 = x0 + s
    g1 = quadratic_grad(x1)
    y = g1 - g0
    rho = 1 / (y @ s)
    alpha = rho * (s @ -g1)
    q = -g1 - alpha * y
    r = (y @ s) / (y @ y) * q
    beta = rho * (y @ r)
    d1 = r + s * (alpha - beta)
    np.testing.assert_allclose(p.value, x1 + 0.3 * d1, rtol=1e-13)
    # The same direction written as the BFGS update of the inverse Hessian, H = V^T H0 V + rho s s^T:
    v = np.eye(3) - rho * np.outer(y, s)
    h = v.T @ ((y @ s) / (y @ y) * np.eye(3)) @ v + rho * np.outer(s, s)
    np.testing.assert_allclose(d1, -h @ g1, rtol=1e-12)
    state = p.opt.state[p.x]
    assert len(state["old_dirs"]) == 1 and state["n_iter"] == 2
    np.testing.assert_allclose(state["old_dirs"][0].detach().numpy(), y, rtol=1e-14)
    np.testing.assert_allclose(state["old_stps"][0].detach().numpy(), s, rtol=1e-14)
    assert state["H_diag"] == pytest.approx((y @ s) / (y @ y))


def test_history_keeps_the_last_pairs():
    p = Problem(rosenbrock, [-1.2, 1.0], lr=0.1, max_iter=8, history_size=3, tolerance_change=0.0)
    p.step()
    state = p.opt.state[p.x]
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3
    for y, s, ro in zip(state["old_dirs"], state["old_stps"], state["ro"]):
        assert ro == pytest.approx(1 / float(y.dot(s)))


def test_cubic_interpolation_finds_the_minimum_of_a_cubic():
    # f(t) = (t - 2)**2 * (t + 1) has slope 3 t**2 - 6 t = 0 at t = 2 (a minimum): the cubic
    # through f and f' at t = 0 and t = 3 is f itself, so its minimizer is exactly 2.
    f = lambda t: (t - 2) ** 2 * (t + 1)
    df = lambda t: 3 * t**2 - 6 * t
    a, b = (_Point(t, f(t), None, df(t)) for t in (0.0, 3.0))
    assert _cubic_minimum(a, b) == pytest.approx(2.0, abs=1e-12)
    assert _cubic_minimum(b, a) == pytest.approx(2.0, abs=1e-12)
    assert _cubic_minimum(a, b, bounds=(2.5, 10.0)) == 2.5  # clamped into the bounds


@pytest.mark.parametrize("t0", [1e-3, 1.0, 50.0])
def test_strong_wolfe_returns_a_step_meeting_both_conditions(t0):
    # Along d from x0 on the quadratic: whether it starts far too short or far too long.
    x0, d = np.array([3.0, -4.0, 5.0]), -quadratic_grad(np.array([3.0, -4.0, 5.0]))
    g0 = ag.tensor(quadratic_grad(x0))
    direction = ag.tensor(d)

    def evaluate(t):
        x = x0 + t * d
        return float(0.5 * x @ A @ x - B @ x), ag.tensor(quadratic_grad(x))

    f0, gtd0 = float(0.5 * x0 @ A @ x0 - B @ x0), float(quadratic_grad(x0) @ d)
    f, g, t, evals = strong_wolfe(evaluate, t0, direction, f0, g0, gtd0)
    assert f <= f0 + 1e-4 * t * gtd0  # sufficient decrease
    assert abs(float(quadratic_grad(x0 + t * d) @ d)) <= 0.9 * abs(gtd0)  # curvature
    assert f == evaluate(t)[0] and 1 <= evals <= 26
    np.testing.assert_allclose(g.detach().numpy(), quadratic_grad(x0 + t * d))  # the gradient there


# --- convergence ----------------------------------------------------------------------------------
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_converges_on_a_quadratic(line_search_fn):
    p = Problem(quadratic, [3.0, -4.0, 5.0], line_search_fn=line_search_fn)
    for _ in range(5):
        p.step()
    np.testing.assert_allclose(p.value, np.linalg.solve(A, B), atol=1e-6)


def test_converges_on_rosenbrock_with_strong_wolfe():
    p = Problem(rosenbrock, [-1.5, 2.0], line_search_fn="strong_wolfe", max_iter=50)
    first = p.step().item()
    assert first == pytest.approx(12.5)  # 2.5**2 + 100 * (2 - 1.5**2)**2
    # With the default tolerance_change it stops once the loss changes by less than 1e-9.
    np.testing.assert_allclose(p.value, [1.0, 1.0], atol=1e-5)
    p = Problem(rosenbrock, [-1.5, 2.0], line_search_fn="strong_wolfe", max_iter=50, tolerance_grad=1e-10,
                tolerance_change=1e-14)
    p.step()
    np.testing.assert_allclose(p.value, [1.0, 1.0], atol=1e-9)
    assert p.calls < 70


def test_converges_on_rosenbrock_with_a_fixed_step():
    p = Problem(rosenbrock, [-1.5, 2.0], lr=0.2, max_iter=100, max_eval=200, history_size=10)
    for _ in range(10):
        p.step()
    np.testing.assert_allclose(p.value, [1.0, 1.0], atol=1e-4)


def test_several_parameters_are_one_vector_and_one_without_grad_stays():
    w = ag.tensor(np.array([[0.5, -1.0], [2.0, 0.0]]), requires_grad=True)
    b = ag.tensor(np.array([1.0, 1.0]), requires_grad=True)
    unused = ag.tensor(np.array([7.0]), requires_grad=True)
    opt = optim.LBFGS([w, b, unused], line_search_fn="strong_wolfe")
    closure = closure_for(opt, lambda wb: ((wb[0] - 3.0) ** 2).sum() + ((wb[1] + 1.0) ** 2).sum(), (w, b))
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), np.full((2, 2), 3.0), atol=1e-7)
    np.testing.assert_allclose(b.detach().numpy(), [-1.0, -1.0], atol=1e-7)
    assert unused.item() == 7.0 and unused.grad is None
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert set(opt.state) == {w}  # as in torch, the state lives with the first parameter
    assert opt.state[w]["d"].shape == (7,)


def test_keeps_float32():
    x = ag.tensor(np.array([-1.5, 2.0], dtype=np.float32), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")
    for _ in range(5):
        opt.step(closure_for(opt, rosenbrock, x))
    assert x.dtype == np.float32 and opt.state[x]["d"].dtype == np.float32
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-3)


# --- stopping rules and counts --------------------------------------------------------------------
def test_evaluations_are_counted_and_capped_by_max_eval():
    p = Problem(rosenbrock, [-1.5, 2.0], lr=1e-3, max_iter=10, tolerance_change=0.0)
    p.step()
    state = p.opt.state[p.x]
    # One evaluation to start, one after each iteration but the last.
    assert p.calls == state["func_evals"] == 10 and state["n_iter"] == 10
    p = Problem(rosenbrock, [-1.5, 2.0], line_search_fn="strong_wolfe", max_iter=100, max_eval=7)
    p.step()
    # The line search may overshoot the cap within its last search, never start another past it.
    assert 7 <= p.calls == p.opt.state[p.x]["func_evals"] < 7 + 25


def test_max_eval_defaults_to_five_quarters_of_max_iter():
    assert optim.LBFGS([ag.zeros(1, requires_grad=True)], max_iter=9).defaults["max_eval"] == 11


def test_a_stationary_point_returns_at_once():
    p = Problem(quadratic, np.linalg.solve(A, B), tolerance_grad=1e-9)
    before = p.value
    loss = p.step()
    assert p.calls == 1 and np.array_equal(p.value, before)
    assert loss.item() == pytest.approx(-0.5 * B @ np.linalg.solve(A, B))
    assert p.opt.state[p.x] == {"func_evals": 1, "n_iter": 0}


def test_stops_when_the_loss_stops_changing():
    p = Problem(quadratic, [3.0, -4.0, 5.0], line_search_fn="strong_wolfe", tolerance_change=1e-3)
    p.step()
    loose = p.opt.state[p.x]["n_iter"]
    p = Problem(quadratic, [3.0, -4.0, 5.0], line_search_fn="strong_wolfe", tolerance_change=1e-12)
    p.step()
    assert loose < p.opt.state[p.x]["n_iter"] < 20


# --- state_dict --------------------------------------------------------------------------------
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("via", ["dict", "text_keys", "checkpoint"])
def test_state_dict_round_trip_resumes_bit_for_bit(line_search_fn, via, tmp_path):
    hp = dict(lr=0.5, max_iter=3, history_size=4, line_search_fn=line_search_fn)
    p = Problem(rosenbrock, [-1.5, 2.0, 0.5], **hp)
    for _ in range(3):
        p.step()
    saved = p.opt.state_dict()
    assert_plain(saved)
    json.dumps(saved["param_groups"])
    assert sorted(saved["state"][0]) == ["H_diag", "al", "d", "func_evals", "n_iter", "old_dirs", "old_stps",
                                         "prev_flat_grad", "prev_loss", "ro", "t"]
    snapshot = p.value
    for _ in range(3):
        p.step()

    q = Problem(rosenbrock, snapshot, lr=9.0)  # the hyperparameters come from the load
    if via == "text_keys":
        saved = to_text_keys(saved)
    elif via == "checkpoint":
        import nn

        nn.save(saved, tmp_path / "lbfgs.npz")
        saved = nn.load(tmp_path / "lbfgs.npz")
    q.opt.load_state_dict(saved)
    assert q.opt.param_groups[0]["history_size"] == 4 and q.opt.param_groups[0]["lr"] == 0.5
    for _ in range(3):
        q.step()
    np.testing.assert_array_equal(q.value, p.value)
    assert q.opt.state[q.x]["func_evals"] == p.opt.state[p.x]["func_evals"]


def test_load_state_dict_checks_the_vector_length():
    p = Problem(rosenbrock, [-1.5, 2.0, 0.5], max_iter=3)
    p.step()
    q = Problem(rosenbrock, [-1.5, 2.0], max_iter=3)
    with pytest.raises(ValueError, match=r"state 'd' has shape \(3,\), but the parameters hold 2 values"):
        q.opt.load_state_dict(p.opt.state_dict())


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(lr=-1.0), ValueError, r"LBFGS: lr must be at least 0.0, got -1.0"),
        (dict(line_search_fn="armijo"), ValueError, r"line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
        (dict(max_iter=0), ValueError, r"max_iter must be at least 1, got 0"),
        (dict(max_iter=2.5), TypeError, r"max_iter must be an int, got float 2.5"),
        (dict(max_eval=0), ValueError, r"max_eval must be at least 1, got 0"),
        (dict(history_size=0), ValueError, r"history_size must be at least 1, got 0"),
        (dict(tolerance_grad=-1e-5), ValueError, r"tolerance_grad must be at least 0.0, got -1e-05"),
        (dict(tolerance_change="small"), TypeError, r"tolerance_change must be a number, got str 'small'"),
    ],
)
def test_invalid_hyperparameters(kwargs, error, message):
    with pytest.raises(error, match=message):
        optim.LBFGS([ag.zeros(2, requires_grad=True)], **kwargs)


def test_one_parameter_group_only():
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="takes one parameter group"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="takes one parameter group"):
        opt.add_param_group({"params": [b]})


def test_step_needs_a_closure():
    with pytest.raises(TypeError, match=r"LBFGS\.step needs a closure"):
        optim.LBFGS([ag.zeros(2, requires_grad=True)]).step()


# --- optional: torch's iterates, when it is installed ---------------------------------------------
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 2])
def test_same_iterates_as_torch(line_search_fn, history_size):
    torch = pytest.importorskip("torch")
    x0 = np.array([-1.5, 2.0, 0.5, -0.3])
    hp = dict(lr=1.0 if line_search_fn else 0.05, max_iter=6, history_size=history_size,
              line_search_fn=line_search_fn)
    ours = Problem(rosenbrock, x0, **hp)
    q = torch.tensor(x0, requires_grad=True)
    theirs = torch.optim.LBFGS([q], **hp)
    for _ in range(6):
        ours_loss, their_loss = ours.step(), theirs.step(closure_for(theirs, rosenbrock, q))
        assert ours_loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
        np.testing.assert_allclose(ours.value, q.detach().numpy(), rtol=1e-12, atol=1e-14)
        mine, torchs = ours.opt.state[ours.x], theirs.state[q]
        assert (mine["func_evals"], mine["n_iter"]) == (torchs["func_evals"], torchs["n_iter"])
        assert sorted(mine) == sorted(torchs)


def test_resumes_from_a_torch_state_and_torch_resumes_from_ours():
    torch = pytest.importorskip("torch")
    from nn import checkpoint

    x0 = np.array([-1.5, 2.0, 0.5])
    hp = dict(max_iter=4, history_size=5, line_search_fn="strong_wolfe")

    def torch_run(x, steps, state=None):
        q = torch.tensor(x, requires_grad=True)
        opt = torch.optim.LBFGS([q], **hp)
        if state is not None:
            opt.load_state_dict(state)
        for _ in range(steps):
            opt.step(closure_for(opt, rosenbrock, q))
        return q.detach().numpy().copy(), opt

    def our_run(x, steps, state=None):
        p = Problem(rosenbrock, x, **hp)
        if state is not None:
            p.opt.load_state_dict(state)
        for _ in range(steps):
            p.step()
        return p.value, p.opt

    whole, _ = torch_run(x0, 4)
    half, torch_opt = torch_run(x0, 2)
    # Not to the last bit: NumPy's and torch's dot products add up in different orders, and the
    # line search's interpolations magnify such last-bit differences over the iterations.
    ours, _ = our_run(half, 2, checkpoint.from_torch_state_dict(torch_opt.state_dict()))
    np.testing.assert_allclose(ours, whole, rtol=1e-10)
    half, our_opt = our_run(x0, 2)
    theirs, _ = torch_run(half, 2, checkpoint.to_torch_state_dict(our_opt.state_dict()))
    np.testing.assert_allclose(theirs, whole, rtol=1e-10)


def test_every_keyword_of_torchs_lbfgs_is_accepted():
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(torch.optim.LBFGS).parameters
    ours = inspect.signature(optim.LBFGS).parameters
    assert list(theirs) == list(ours)
    assert all(theirs[k].default == ours[k].default for k in theirs)
