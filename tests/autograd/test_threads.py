"""Threads: grad mode is per thread, and models trained in separate threads at the same time
end exactly (bitwise) where they end when trained one after the other."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
import nn
import optim


def run_in_threads(*targets: Callable[[], Any], timeout: float = 60.0) -> list[Any]:
    """Run each target in its own thread; return their results, re-raising the first error."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i: int, target: Callable[[], Any]) -> None:
        try:
            results[i] = target()
        except BaseException as e:  # handed back to the test thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread did not finish (deadlock?)"
    if errors:
        raise errors[0]
    return results


def test_grad_mode_is_per_thread():
    inside = threading.Event()
    checked = threading.Event()
    x = ag.ones(3, requires_grad=True)

    def under_no_grad() -> tuple[bool, bool]:
        with ag.no_grad():
            inside.set()
            assert checked.wait(10)
            y = x * 2  # still off here, whatever the other thread did meanwhile
            return ag.is_grad_enabled(), y.requires_grad

    def recording() -> tuple[bool, bool]:
        assert inside.wait(10)  # the other thread is inside no_grad now
        y = x * 2
        result = ag.is_grad_enabled(), y.requires_grad
        checked.set()
        return result

    off, on = run_in_threads(under_no_grad, recording)
    assert off == (False, False)
    assert on == (True, True)
    assert ag.is_grad_enabled()


def test_a_new_thread_starts_with_recording_on_and_set_grad_enabled_stays_in_its_thread():
    ag.set_grad_enabled(False)
    try:
        (seen,) = run_in_threads(ag.is_grad_enabled)
        assert seen is True
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)

    def switch_off() -> bool:
        ag.set_grad_enabled(False)
        return ag.is_grad_enabled()

    assert run_in_threads(switch_off) == [False]
    assert ag.is_grad_enabled()


def make_trainer(kind: str, seed: int) -> tuple[Callable[[int], list[float]], nn.Module]:
    """A model, its optimizer and data, all made from ``seed``; ``train(n)`` runs n steps."""
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        model: nn.Module = nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Linear(12, 3))
        x = ag.tensor(rng.standard_normal((20, 5)).astype(np.float32))
        y = ag.tensor(rng.integers(0, 3, 20))
        loss_fn = nn.CrossEntropyLoss()

        def loss() -> Any:
            return loss_fn(model(x), y)

        opt: optim.Optimizer = optim.Adam(model.parameters(), lr=1e-2)
    else:
        model = nn.ModuleDict({"rnn": nn.GRU(3, 5), "head": nn.Linear(5, 1)})
        xs = ag.tensor(rng.standard_normal((6, 4, 3)).astype(np.float32))
        target = ag.tensor(rng.standard_normal((4, 1)).astype(np.float32))

        def loss() -> Any:
            _, h = model["rnn"](xs)
            return ((model["head"](h[0]) - target) ** 2).mean()

        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def train(steps: int) -> list[float]:
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            value = loss()
            value.backward()
            opt.step()
            losses.append(value.item())
        return losses

    return train, model


def state(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_two_models_trained_at_once_match_training_one_after_the_other():
    steps = 150
    # One after the other.
    sequential = []
    for kind, seed in [("mlp", 1), ("rnn", 2)]:
        train, model = make_trainer(kind, seed)
        sequential.append((train(steps), state(model)))
    # Both at once: the models are made first (initialisation draws from the shared generator),
    # then trained in two threads that start together.
    (train_a, model_a), (train_b, model_b) = make_trainer("mlp", 1), make_trainer("rnn", 2)
    barrier = threading.Barrier(2)

    def run(train: Callable[[int], list[float]]) -> Callable[[], list[float]]:
        def go() -> list[float]:
            barrier.wait(10)
            return train(steps)

        return go

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads every few bytecodes, inside ops and backward walks
    try:
        losses_a, losses_b = run_in_threads(run(train_a), run(train_b))
    finally:
        sys.setswitchinterval(interval)
    for (want_losses, want_state), losses, model in zip(sequential, [losses_a, losses_b], [model_a, model_b]):
        assert losses == want_losses  # exactly: the same float operations in the same order
        got = state(model)
        assert got.keys() == want_state.keys()
        for key in want_state:
            np.testing.assert_array_equal(got[key], want_state[key], err_msg=key)
    assert gc.isenabled(), "concurrent backward passes left the cyclic collector paused"


def test_concurrent_backward_passes_leave_the_collector_on():
    # The engine pauses the (process-wide) cyclic collector during backward; overlapping passes
    # in several threads must still leave it switched on at the end.
    def work() -> None:
        x = ag.randn(8, 8, requires_grad=True)
        for _ in range(200):
            (x @ x).tanh().sum().backward()

    run_in_threads(work, work, work)
    assert gc.isenabled()


def test_anomaly_mode_is_process_wide():
    # Documented in the README: unlike grad mode, detect_anomaly() is seen by every thread.
    with ag.detect_anomaly():
        assert run_in_threads(ag.is_anomaly_enabled) == [True]
    assert run_in_threads(ag.is_anomaly_enabled) == [False]
