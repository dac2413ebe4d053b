"""optim.lr_scheduler: each schedule's learning rates, step by step, against the closed
forms and hand-worked sequences; resuming from state_dict mid-schedule; bad input."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import optim
from optim import lr_scheduler as sched
from optim.lr_scheduler import CYCLIC_MODES

SETTINGS = settings(max_examples=30, deadline=None)


def make_sgd(lrs=(0.1,), momentum=0.0):
    groups = [{"params": [ag.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0, momentum=momentum)


def lr_sequence(scheduler, epochs, metrics=None):
    """Learning rates of every group after construction and after each of ``epochs`` steps."""
    seq = [scheduler.get_last_lr()]
    for e in range(epochs):
        scheduler.optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[e])
        seq.append(scheduler.get_last_lr())
        assert seq[-1] == [g["lr"] for g in scheduler.optimizer.param_groups]
    return np.array(seq)


def expected(bases, fn, epochs):
    return np.array([[fn(base, e) for base in bases] for e in range(epochs + 1)])


base_lrs = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)


# --- sequences against closed forms ---------------------------------------------------------------
@SETTINGS
@given(bases=base_lrs, step_size=st.integers(1, 5), gamma=st.floats(0.1, 0.99))
def test_step_lr(bases, step_size, gamma):
    s = sched.StepLR(make_sgd(bases), step_size=step_size, gamma=gamma)
    np.testing.assert_allclose(lr_sequence(s, 20), expected(bases, lambda b, e: b * gamma ** (e // step_size), 20),
                               rtol=1e-12)


@SETTINGS
@given(bases=base_lrs, milestones=st.lists(st.integers(0, 15), max_size=5), gamma=st.floats(0.1, 0.99))
def test_multistep_lr(bases, milestones, gamma):
    s = sched.MultiStepLR(make_sgd(bases), milestones=milestones, gamma=gamma)
    # Construction is epoch 0, so a milestone at 0 already applies to the first lr (as in torch).
    ref = expected(bases, lambda b, e: b * gamma ** sum(m <= e for m in milestones), 20)
    np.testing.assert_allclose(lr_sequence(s, 20), ref, rtol=1e-12)


def test_multistep_lr_repeated_milestone_by_hand():
    s = sched.MultiStepLR(make_sgd([1.0]), milestones=[3, 1, 3], gamma=0.5)
    np.testing.assert_allclose(lr_sequence(s, 4)[:, 0], [1.0, 0.5, 0.5, 0.125, 0.125])


@SETTINGS
@given(bases=base_lrs, gamma=st.floats(0.5, 1.0))
def test_exponential_lr(bases, gamma):
    s = sched.ExponentialLR(make_sgd(bases), gamma=gamma)
    np.testing.assert_allclose(lr_sequence(s, 20), expected(bases, lambda b, e: b * gamma**e, 20), rtol=1e-12)


@SETTINGS
@given(bases=base_lrs, t_max=st.integers(1, 8), eta_min=st.sampled_from([0.0, 1e-5, 1e-3]))
def test_cosine_annealing_lr_follows_the_cosine_past_t_max(bases, t_max, eta_min):
    s = sched.CosineAnnealingLR(make_sgd(bases), T_max=t_max, eta_min=eta_min)
    ref = expected(bases, lambda b, e: eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2, 30)
    np.testing.assert_allclose(lr_sequence(s, 30), ref, rtol=1e-9, atol=1e-12)


def test_cosine_annealing_lr_by_hand():
    s = sched.CosineAnnealingLR(make_sgd([1.0]), T_max=2)
    np.testing.assert_allclose(lr_sequence(s, 5)[:, 0], [1.0, 0.5, 0.0, 0.5, 1.0, 0.5], atol=1e-15)


@SETTINGS
@given(bases=base_lrs, power=st.floats(0.1, 2.0))
def test_lambda_lr(bases, power):
    factor = lambda e: 1.0 / (1 + e) ** power
    s = sched.LambdaLR(make_sgd(bases), lr_lambda=factor)
    np.testing.assert_allclose(lr_sequence(s, 12), expected(bases, lambda b, e: b * factor(e), 12), rtol=1e-12)


def test_lambda_lr_one_function_per_group():
    s = sched.LambdaLR(make_sgd([1.0, 2.0]), lr_lambda=[lambda e: e, lambda e: 0.5**e])
    np.testing.assert_allclose(lr_sequence(s, 3), [[0, 2.0], [1, 1.0], [2, 0.5], [3, 0.25]])


@SETTINGS
@given(bases=base_lrs, start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total=st.integers(1, 10))
def test_linear_lr(bases, start, end, total):
    s = sched.LinearLR(make_sgd(bases), start_factor=start, end_factor=end, total_iters=total)
    ref = expected(bases, lambda b, e: b * (start + (end - start) * min(e, total) / total), 15)
    np.testing.assert_allclose(lr_sequence(s, 15), ref, rtol=1e-9, atol=1e-15)


def one_cycle_reference(step, top, total, pct, div, final_div, three_phase, strategy, low_m, high_m):
    """(lr, momentum) at ``step`` of the 1cycle policy as documented: anneal between the listed
    values over phases ending at steps pct*total - 1 (, 2*pct*total - 2) and total - 1."""
    initial = top / div
    bottom = initial / final_div
    if strategy == "cos":
        anneal = lambda a, b, f: b + (a - b) * (1 + math.cos(math.pi * f)) / 2
    else:
        anneal = lambda a, b, f: a + (b - a) * f
    up = pct * total - 1
    if three_phase:
        phases = [(up, initial, top, high_m, low_m), (2 * pct * total - 2, top, initial, low_m, high_m),
                  (total - 1, initial, bottom, high_m, high_m)]
    else:
        phases = [(up, initial, top, high_m, low_m), (total - 1, top, bottom, low_m, high_m)]
    begin = 0.0
    for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            f = (step - begin) / (end - begin)
            return anneal(lr0, lr1, f), anneal(m0, m1, f)
        begin = end
    raise AssertionError


@SETTINGS
@given(top=st.floats(0.01, 2.0), total=st.integers(10, 40), pct=st.floats(0.15, 0.45), three_phase=st.booleans(),
       strategy=st.sampled_from(["cos", "linear"]), use_adam=st.booleans())
def test_one_cycle_lr(top, total, pct, three_phase, strategy, use_adam):
    params = [ag.zeros(2, requires_grad=True)]
    opt = optim.Adam(params, betas=(0.9, 0.99)) if use_adam else optim.SGD(params, lr=0.1, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=top, total_steps=total, pct_start=pct, anneal_strategy=strategy,
                         three_phase=three_phase, div_factor=10.0, final_div_factor=100.0)
    for step in range(total):
        lr, momentum = one_cycle_reference(step, top, total, pct, 10.0, 100.0, three_phase, strategy, 0.85, 0.95)
        group = opt.param_groups[0]
        assert math.isclose(s.get_last_lr()[0], lr, rel_tol=1e-9), (step, s.get_last_lr(), lr)
        assert math.isclose(group["betas"][0] if use_adam else group["momentum"], momentum, rel_tol=1e-9)
        if use_adam:
            assert group["betas"][1] == 0.99
        if step < total - 1:
            opt.step()
            s.step()


def test_one_cycle_lr_landmarks_by_hand():
    opt = make_sgd([0.1], momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.2, div_factor=4.0, final_div_factor=5.0)
    seq = lr_sequence(s, 10)[:, 0]
    # Starts at 1 / 4 with momentum 0.95; warm-up ends at step 0.2 * 11 - 1 = 1.2, so the peak
    # itself is never hit; the last step, 10, ends at 1 / 4 / 5 with momentum back at 0.95.
    assert seq[0] == pytest.approx(0.25)
    assert 0.25 < seq[1] < 1.0 and 0.25 < seq[2] < 1.0
    assert np.all(np.diff(seq[2:]) < 0)
    assert seq[10] == pytest.approx(0.05)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    s.step()  # as in torch, one step past the end is still allowed
    with pytest.raises(ValueError, match="stepped 12 times, but total_steps is 11"):
        s.step()


def test_one_cycle_lr_epochs_and_steps_per_epoch():
    a = sched.OneCycleLR(make_sgd(momentum=0.9), max_lr=0.5, epochs=3, steps_per_epoch=4)
    b = sched.OneCycleLR(make_sgd(momentum=0.9), max_lr=0.5, total_steps=12)
    np.testing.assert_array_equal(lr_sequence(a, 11), lr_sequence(b, 11))


@SETTINGS
@given(bases=base_lrs, factor=st.floats(0.01, 1.0), total=st.integers(1, 8))
def test_constant_lr(bases, factor, total):
    s = sched.ConstantLR(make_sgd(bases), factor=factor, total_iters=total)
    ref = expected(bases, lambda b, e: b * (factor if e < total else 1.0), 12)
    np.testing.assert_allclose(lr_sequence(s, 12), ref, rtol=1e-12)


def test_constant_lr_by_hand():
    s = sched.ConstantLR(make_sgd([1.0]), factor=0.5, total_iters=3)
    np.testing.assert_allclose(lr_sequence(s, 5)[:, 0], [0.5, 0.5, 0.5, 1.0, 1.0, 1.0])


@SETTINGS
@given(bases=base_lrs, total=st.integers(1, 8), power=st.floats(0.5, 3.0))
def test_polynomial_lr(bases, total, power):
    s = sched.PolynomialLR(make_sgd(bases), total_iters=total, power=power)
    ref = expected(bases, lambda b, e: b * (1 - min(e, total) / total) ** power, 12)
    np.testing.assert_allclose(lr_sequence(s, 12), ref, rtol=1e-9, atol=1e-15)


def test_polynomial_lr_by_hand():
    s = sched.PolynomialLR(make_sgd([1.0]), total_iters=4, power=2.0)
    # (1 - e/4)**2 for e = 0..4, then it stays at 0.
    np.testing.assert_allclose(lr_sequence(s, 6)[:, 0], [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0, 0.0], atol=1e-15)


def cyclic_reference(e, base, top, up, down, mode, gamma):
    """The lr of CyclicLR at step ``e``, from its description: a triangle wave of period
    up + down between base and top, whose height is scaled per cycle or per step."""
    period = up + down
    cycle, pos = divmod(e, period)
    rise = pos / up if pos <= up else (period - pos) / down
    scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**e}[mode]
    return base + (top - base) * rise * scale


@SETTINGS
@given(bases=base_lrs, up=st.integers(1, 5), down=st.integers(1, 5), mode=st.sampled_from(CYCLIC_MODES),
       gamma=st.floats(0.8, 1.0), use_adam=st.booleans())
def test_cyclic_lr(bases, up, down, mode, gamma, use_adam):
    groups = [{"params": [ag.zeros(2, requires_grad=True)], "lr": lr} for lr in bases]
    opt = optim.Adam(groups, betas=(0.5, 0.99)) if use_adam else optim.SGD(groups, lr=1.0, momentum=0.5)
    tops = [3 * b for b in bases]
    s = sched.CyclicLR(opt, base_lr=bases, max_lr=tops, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma,
                       base_momentum=0.8, max_momentum=0.9)
    for e in range(3 * (up + down) + 1):
        lrs = [cyclic_reference(e, b, t, up, down, mode, gamma) for b, t in zip(bases, tops)]
        np.testing.assert_allclose(s.get_last_lr(), lrs, rtol=1e-9)
        # The momentum runs the other way: from 0.9 down to 0.8 (scaled alike) and back.
        momentum = cyclic_reference(e, 0.9, 0.8, up, down, mode, gamma)
        for group in opt.param_groups:
            if use_adam:
                assert group["betas"][1] == 0.99
            assert math.isclose(group["betas"][0] if use_adam else group["momentum"], momentum, rel_tol=1e-9)
        opt.step()
        s.step()


def test_cyclic_lr_by_hand():
    opt = make_sgd([5.0], momentum=0.5)
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.9  # set by construction
    # Up in two steps, down in two; the second cycle reaches half the height (0.1 + 0.9 / 2).
    np.testing.assert_allclose(lr_sequence(s, 8)[:, 0], [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9)


def test_cyclic_lr_scale_fn_of_the_user():
    opt = make_sgd([1.0])
    s = sched.CyclicLR(opt, 0.0, 1.0, step_size_up=1, scale_fn=lambda x: 1 / (x + 1), scale_mode="iterations",
                       cycle_momentum=False)
    # Peaks at the odd steps, scaled by 1 / (step + 1).
    np.testing.assert_allclose(lr_sequence(s, 5)[:, 0], [0.0, 1 / 2, 0.0, 1 / 4, 0.0, 1 / 6])
    assert opt.param_groups[0]["momentum"] == 0.0 and "max_momentum" not in opt.param_groups[0]


def warm_restarts_reference(epoch, t_0, t_mult, eta_min, base):
    """The lr at (possibly fractional) ``epoch``: walk through the periods T_0, T_0 * T_mult, ..."""
    start, period = 0.0, t_0
    while epoch >= start + period:
        start, period = start + period, period * t_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (epoch - start) / period)) / 2


@SETTINGS
@given(bases=base_lrs, t_0=st.integers(1, 5), t_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 1e-4]))
def test_cosine_annealing_warm_restarts(bases, t_0, t_mult, eta_min):
    s = sched.CosineAnnealingWarmRestarts(make_sgd(bases), T_0=t_0, T_mult=t_mult, eta_min=eta_min)
    ref = expected(bases, lambda b, e: warm_restarts_reference(e, t_0, t_mult, eta_min, b), 25)
    np.testing.assert_allclose(lr_sequence(s, 25), ref, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(t_0=st.integers(1, 5), t_mult=st.integers(1, 3),
       epochs=st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=8))
def test_cosine_annealing_warm_restarts_jumps_to_fractional_epochs(t_0, t_mult, epochs):
    s = sched.CosineAnnealingWarmRestarts(make_sgd([1.0]), T_0=t_0, T_mult=t_mult, eta_min=0.01)
    for epoch in epochs:
        s.step(epoch)
        assert math.isclose(s.get_last_lr()[0], warm_restarts_reference(epoch, t_0, t_mult, 0.01, 1.0),
                            rel_tol=1e-6, abs_tol=1e-9), epoch
        assert s.last_epoch == math.floor(epoch)


def test_cosine_annealing_warm_restarts_by_hand():
    s = sched.CosineAnnealingWarmRestarts(make_sgd([1.0]), T_0=2, T_mult=2)
    # Periods of 2 then 4 epochs: cos^2 half-waves restarting at epochs 2 and 6.
    c4, c8 = 0.5 * math.cos(math.pi / 4), 0.5 * math.cos(math.pi / 8)
    np.testing.assert_allclose(lr_sequence(s, 7)[:, 0], [1.0, 0.5, 1.0, 0.5 + c4, 0.5, 0.5 - c4, 1.0, 0.5 + c8])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # step(epoch) is this scheduler's documented use: no deprecation warning
        s.step(2.5)  # half an epoch into the second period
    assert s.get_last_lr() == [pytest.approx(0.5 + c8)]
    assert (s.T_i, s.T_cur, s.last_epoch) == (4, 0.5, 2)
    s.step()  # counting on from epoch 2
    assert s.last_epoch == 3


def test_sequential_lr_by_hand():
    opt = make_sgd([1.0])
    s = sched.SequentialLR(opt, [sched.ConstantLR(opt, factor=0.1, total_iters=10), sched.ExponentialLR(opt, 0.5)],
                           milestones=[3])
    # ConstantLR for epochs 0-2; from epoch 3, ExponentialLR starting again at its own epoch 0.
    np.testing.assert_allclose(lr_sequence(s, 5)[:, 0], [0.1, 0.1, 0.1, 1.0, 0.5, 0.25])


def test_sequential_lr_milestone_at_zero_starts_with_the_second_schedule():
    opt = make_sgd([1.0])
    s = sched.SequentialLR(opt, [sched.ConstantLR(opt, 0.1), sched.StepLR(opt, 2, 0.5)], milestones=[0])
    np.testing.assert_allclose(lr_sequence(s, 4)[:, 0], [1.0, 1.0, 0.5, 0.5, 0.25])


def test_chained_scheduler_by_hand():
    opt = make_sgd([1.0])
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.5, total_iters=2), sched.ExponentialLR(opt, 0.9)])
    # The factors multiply: 0.9**e times 0.5 for the first two epochs.
    np.testing.assert_allclose(lr_sequence(s, 4)[:, 0], [0.5, 0.45, 0.81, 0.729, 0.6561])


# --- ReduceLROnPlateau, worked by hand ------------------------------------------------------------
def test_reduce_lr_on_plateau_patience_and_threshold():
    s = sched.ReduceLROnPlateau(make_sgd([1.0]), factor=0.5, patience=2, threshold=0.1)
    # 1.0 sets the best; 0.95 is not 10% better, so epochs 2-4 are bad and the third of them
    # (more than patience=2) halves the lr; the count restarts, and 0.5 (better than 0.9 * 1.0)
    # becomes the best.
    metrics = [1.0, 0.95, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5]
    seq = lr_sequence(s, len(metrics), metrics)[:, 0]
    np.testing.assert_allclose(seq, [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25])
    assert s.best == 0.5


def test_reduce_lr_on_plateau_cooldown_min_lr_and_max_mode():
    s = sched.ReduceLROnPlateau(make_sgd([1.0, 0.1]), mode="max", factor=0.1, patience=0, cooldown=1,
                                threshold=0.0, threshold_mode="abs", min_lr=[0.0, 0.05])
    # patience 0: every epoch without a new maximum cuts the lr, except the one after a cut (cooldown).
    metrics = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    seq = lr_sequence(s, len(metrics), metrics)
    np.testing.assert_allclose(seq[:, 0], [1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.001])
    np.testing.assert_allclose(seq[:, 1], [0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05])


def test_reduce_lr_on_plateau_skips_changes_below_eps():
    s = sched.ReduceLROnPlateau(make_sgd([1e-9]), patience=0, eps=1e-8)
    lr_sequence(s, 3, [1.0, 1.0, 1.0])
    assert s.get_last_lr() == [1e-9]


# --- resuming ---------------------------------------------------------------------------------
class Warmup:
    """A callable object: its attributes are saved by LambdaLR.state_dict."""

    def __init__(self, length):
        self.length = length

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.length)


SCHEDULES = {
    "StepLR": (lambda o: sched.StepLR(o, 3, 0.5), None),
    "MultiStepLR": (lambda o: sched.MultiStepLR(o, [2, 5, 5, 8]), None),
    "ExponentialLR": (lambda o: sched.ExponentialLR(o, 0.9), None),
    "CosineAnnealingLR": (lambda o: sched.CosineAnnealingLR(o, 4, 0.001), None),
    "LambdaLR": (lambda o: sched.LambdaLR(o, Warmup(6)), None),
    "LinearLR": (lambda o: sched.LinearLR(o, 0.2, 1.0, 6), None),
    "OneCycleLR": (lambda o: sched.OneCycleLR(o, [1.0, 0.5], total_steps=12), None),
    "ReduceLROnPlateau": (lambda o: sched.ReduceLROnPlateau(o, patience=1, cooldown=1),
                          [3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]),
    "ConstantLR": (lambda o: sched.ConstantLR(o, 0.25, 7), None),
    "PolynomialLR": (lambda o: sched.PolynomialLR(o, 8, 1.5), None),
    "CyclicLR": (lambda o: sched.CyclicLR(o, [0.01, 0.02], [0.1, 0.4], step_size_up=3, step_size_down=2,
                                          mode="triangular2"), None),
    "CyclicLR-exp_range": (lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9,
                                                    base_momentum=0.7, max_momentum=0.95), None),
    "CosineAnnealingWarmRestarts": (lambda o: sched.CosineAnnealingWarmRestarts(o, 2, 2, 0.001), None),
    "SequentialLR": (lambda o: sched.SequentialLR(o, [sched.LinearLR(o, 0.1, total_iters=3),
                                                      sched.CosineAnnealingWarmRestarts(o, 3),
                                                      sched.PolynomialLR(o, 4)], [3, 7]), None),
    "ChainedScheduler": (lambda o: sched.ChainedScheduler([sched.ConstantLR(o, 0.5, 3), sched.ExponentialLR(o, 0.9),
                                                           sched.StepLR(o, 4, 0.1)]), None),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_round_trip_mid_schedule(name):
    build, metrics = SCHEDULES[name]
    opt_whole = make_sgd([0.1, 0.3], momentum=0.9)
    whole = lr_sequence(build(opt_whole), 11, metrics)

    opt = make_sgd([0.1, 0.3], momentum=0.9)
    s = build(opt)
    first = lr_sequence(s, 5, metrics)
    saved_opt, saved_sched = opt.state_dict(), s.state_dict()
    json.dumps(saved_sched)  # only plain values: numbers, strings, lists, dicts
    assert "optimizer" not in saved_sched

    opt2 = make_sgd([7.0, 7.0], momentum=0.5)
    s2 = build(opt2)  # as in torch: build the scheduler first, then load both states
    if name == "LambdaLR":
        s2.lr_lambdas[0].length = 99
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(json.loads(json.dumps(saved_sched)))
    assert s2.get_last_lr() == list(first[-1])
    rest = lr_sequence(s2, 6, None if metrics is None else metrics[5:])
    np.testing.assert_array_equal(np.concatenate([first, rest[1:]]), whole)
    assert opt2.param_groups[0]["momentum"] == opt_whole.param_groups[0]["momentum"]


def test_lambda_lr_does_not_save_plain_functions():
    s = sched.LambdaLR(make_sgd([1.0, 1.0]), [lambda e: 1.0, Warmup(3)])
    assert s.state_dict()["lr_lambdas"] == [None, {"length": 3}]


def test_resume_with_last_epoch_continues_the_closed_form():
    opt = make_sgd([0.1])
    opt.param_groups[0]["initial_lr"] = 0.8
    s = sched.ExponentialLR(opt, gamma=0.5, last_epoch=2)
    assert s.last_epoch == 3 and s.base_lrs == [0.8]
    s.step()
    assert s.get_last_lr() == [0.05]


def test_step_with_epoch_uses_the_closed_form():
    s = sched.StepLR(make_sgd([1.0]), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(7)
    assert s.get_last_lr() == [0.125] and s.last_epoch == 7


def test_scheduled_lr_drives_the_optimizer():
    p = ag.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = ag.tensor([1.0], dtype="float64")
        opt.step()
        s.step()
    np.testing.assert_allclose(p.detach().numpy(), [-(1.0 + 0.5 + 0.25)])


def test_get_last_lr_is_a_copy():
    s = sched.StepLR(make_sgd([1.0]), 2)
    s.get_last_lr().append(3.0)
    assert s.get_last_lr() == [1.0]


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda o: sched.StepLR(object(), 1), TypeError, "optim.Optimizer, got object"),
        (lambda o: sched.StepLR(o, 0), ValueError, "step_size must be at least 1, got 0"),
        (lambda o: sched.StepLR(o, 2.5), TypeError, "step_size must be an int, got float 2.5"),
        (lambda o: sched.MultiStepLR(o, [1, "3"]), TypeError, r"milestones\[1\] must be an int, got str"),
        (lambda o: sched.CosineAnnealingLR(o, 0), ValueError, "T_max must be positive, got 0"),
        (lambda o: sched.LinearLR(o, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\], got 0.0"),
        (lambda o: sched.LinearLR(o, end_factor=1.5), ValueError, r"end_factor must be in \[0, 1\], got 1.5"),
        (lambda o: sched.LambdaLR(o, [lambda e: 1, lambda e: 1]), ValueError,
         "lr_lambda has 2 entries but the optimizer has 1 parameter groups"),
        (lambda o: sched.LambdaLR(o, 0.5), TypeError, r"lr_lambda\[0\] must be callable, got float"),
        (lambda o: sched.ExponentialLR(o, 0.5, last_epoch=3), KeyError, r"needs 'initial_lr' in param_groups\[0\]"),
        (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor must be below 1.0, got 1.0"),
        (lambda o: sched.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be 'min' or 'max', got 'up'"),
        (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "got 'x'"),
        (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "min_lr has 2 entries"),
        (lambda o: sched.OneCycleLR(o, 1.0), ValueError, "give total_steps, or both epochs and steps_per_epoch"),
        (lambda o: sched.OneCycleLR(o, 1.0, total_steps=0), ValueError, "total_steps must be at least 1, got 0"),
        (lambda o: sched.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError,
         r"pct_start must be in \[0, 1\], got 1.5"),
        (lambda o: sched.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
         "anneal_strategy must be 'cos' or 'linear', got 'exp'"),
        (lambda o: sched.OneCycleLR(optim.Adagrad([ag.zeros(1, requires_grad=True)]), 1.0, total_steps=10),
         ValueError, "Adagrad has neither"),
        (lambda o: sched.OneCycleLR(o, 1.0, total_steps=10, pct_start=0.1), ValueError, "phase 0 .* no steps"),
        (lambda o: sched.ConstantLR(o, factor=1.5), ValueError, r"factor must be in \[0, 1\], got 1.5"),
        (lambda o: sched.ConstantLR(o, total_iters=0), ValueError, "total_iters must be at least 1, got 0"),
        (lambda o: sched.PolynomialLR(o, total_iters=0), ValueError, "total_iters must be at least 1, got 0"),
        (lambda o: sched.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError, "mode must be one of .* got 'sawtooth'"),
        (lambda o: sched.CyclicLR(o, 0.1, 1.0, scale_mode="epochs", scale_fn=abs), ValueError, "got 'epochs'"),
        (lambda o: sched.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError, "step_size_up must be positive, got 0"),
        (lambda o: sched.CyclicLR(o, [0.1, 0.2], 1.0), ValueError, "base_lr has 2 entries"),
        (lambda o: sched.CyclicLR(optim.Adadelta([ag.zeros(1, requires_grad=True)]), 0.1, 1.0), ValueError,
         "Adadelta has neither"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, 0), ValueError, "T_0 must be at least 1, got 0"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, 2.5), TypeError, "T_0 must be an int, got float 2.5"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError, "T_mult must be at least 1, got 0"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, 2).step(-1), ValueError, "epoch must be at least 0, got -1"),
        (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o), sched.ConstantLR(o)], [2, 4]), ValueError,
         r"2 schedulers need 1 milestones, got 2: \[2, 4\]"),
        (lambda o: sched.SequentialLR(o, [], []), ValueError, "needs at least one scheduler, got none"),
        (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o), sched.ReduceLROnPlateau(o)], [2]), ValueError,
         "scheduler 1 is a ReduceLROnPlateau"),
        (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o), "StepLR"], [2]), TypeError,
         "scheduler 1 is a str, not an LRScheduler"),
        (lambda o: sched.SequentialLR(o, [sched.ConstantLR(make_sgd())], []), ValueError,
         "scheduler 0 .* another optimizer"),
        (lambda o: sched.ChainedScheduler([sched.ConstantLR(o), sched.ExponentialLR(make_sgd(), 0.9)]), ValueError,
         r"scheduler 1 \(ExponentialLR\) schedules another optimizer"),
        (lambda o: sched.ChainedScheduler([]), ValueError, "needs at least one scheduler"),
    ],
)
def test_bad_input(build, error, message):
    with pytest.raises(error, match=message):
        build(make_sgd(momentum=0.9))


# --- optional: the same sequences as torch, when it is installed --------------------------------
@pytest.mark.parametrize("name", [n for n in SCHEDULES if n != "LambdaLR"])
def test_same_sequence_as_torch(name):
    torch = pytest.importorskip("torch")
    build, metrics = SCHEDULES[name]
    our_opt = make_sgd([0.1, 0.3], momentum=0.9)
    ours = lr_sequence(build(our_opt), 11, metrics)
    params = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.3)]
    opt = torch.optim.SGD(params, lr=1.0, momentum=0.9)
    lr_scheduler = torch.optim.lr_scheduler
    theirs_sched = getattr(lr_scheduler, name.split("-")[0])
    # The same constructor arguments as in SCHEDULES, given to torch's class.
    s = {
        "StepLR": lambda: theirs_sched(opt, 3, 0.5),
        "MultiStepLR": lambda: theirs_sched(opt, [2, 5, 5, 8]),
        "ExponentialLR": lambda: theirs_sched(opt, 0.9),
        "CosineAnnealingLR": lambda: theirs_sched(opt, 4, 0.001),
        "LinearLR": lambda: theirs_sched(opt, 0.2, 1.0, 6),
        "OneCycleLR": lambda: theirs_sched(opt, [1.0, 0.5], total_steps=12),
        "ReduceLROnPlateau": lambda: theirs_sched(opt, patience=1, cooldown=1),
        "ConstantLR": lambda: theirs_sched(opt, 0.25, 7),
        "PolynomialLR": lambda: theirs_sched(opt, 8, 1.5),
        "CyclicLR": lambda: theirs_sched(opt, [0.01, 0.02], [0.1, 0.4], step_size_up=3, step_size_down=2,
                                         mode="triangular2"),
        "CyclicLR-exp_range": lambda: theirs_sched(opt, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9,
                                                   base_momentum=0.7, max_momentum=0.95),
        "CosineAnnealingWarmRestarts": lambda: theirs_sched(opt, 2, 2, 0.001),
        "SequentialLR": lambda: theirs_sched(opt, [lr_scheduler.LinearLR(opt, 0.1, total_iters=3),
                                                   lr_scheduler.CosineAnnealingWarmRestarts(opt, 3),
                                                   lr_scheduler.PolynomialLR(opt, 4)], [3, 7]),
        "ChainedScheduler": lambda: theirs_sched([lr_scheduler.ConstantLR(opt, 0.5, 3),
                                                  lr_scheduler.ExponentialLR(opt, 0.9),
                                                  lr_scheduler.StepLR(opt, 4, 0.1)]),
    }[name]()
    seq = [s.get_last_lr()]
    for e in range(11):
        opt.step()
        s.step() if metrics is None else s.step(metrics[e])
        seq.append(s.get_last_lr())
    np.testing.assert_array_equal(ours, np.array(seq))
    assert [g["momentum"] for g in our_opt.param_groups] == [g["momentum"] for g in opt.param_groups]
