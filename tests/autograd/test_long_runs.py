"""Long runs and memory: training for thousands of steps holds memory flat, a training step
leaves no reference cycles among engine objects, and work under ``no_grad`` builds no graph.

The long runs are marked slow (CI runs them). Memory is measured with ``tracemalloc``, which
slows allocation-heavy code about threefold, so it traces only from shortly before step 1,000
on, and the models are small enough for 5,000 steps to take well under 40 seconds.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd import Context, Tensor

STEPS = 5_000
FIRST = 1_000
# One leaked float32 scalar tensor per step would be ~100 bytes x 4,000 steps: far above this.
MARGIN = 64 * 1024
ENGINE_PACKAGES = ("autograd", "nn", "optim")


class Trainer:
    """A model, its Adam optimizer and a fixed batch: ``loss()`` is the forward pass,
    ``step()`` one training step (returning the loss)."""

    def __init__(self, model: nn.Module, loss: Callable[[], Tensor]) -> None:
        self.model, self.loss = model, loss
        self.opt = optim.Adam(model.parameters(), lr=1e-2)

    def step(self) -> float:
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        self.opt.step()
        return loss.item()


def mlp_trainer(seed: int = 0) -> Trainer:
    """A 4-16-3 ReLU MLP with cross-entropy on a batch of 16."""
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 3, 16))
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loss_fn = nn.CrossEntropyLoss()
    return Trainer(model, lambda: loss_fn(model(x), y))


def rnn_trainer(seed: int = 0) -> Trainer:
    """A tanh RNN (3 inputs, 6 hidden, 4 time steps, batch of 2) with a linear read-out."""
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xs = ag.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    target = ag.tensor(rng.standard_normal((2, 1)).astype(np.float32))
    model = nn.ModuleDict({"rnn": nn.RNN(3, 6), "head": nn.Linear(6, 1)})

    def loss() -> Tensor:
        _, h = model["rnn"](xs)
        return ((model["head"](h[0]) - target) ** 2).mean()

    return Trainer(model, loss)


def traced_memory() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def memory_at(step: Callable[[], float], checkpoints: list[int]) -> tuple[list[int], list[float]]:
    """Run ``step`` up to the last checkpoint; traced memory and loss at each checkpoint."""
    memory, losses = [], []
    trace_from = max(checkpoints[0] - 100, 0)  # warm-up (optimizer state, caches) is not traced
    try:
        for i in range(1, checkpoints[-1] + 1):
            if i == trace_from + 1:
                tracemalloc.start()
            loss = step()
            if i in checkpoints:
                memory.append(traced_memory())
                losses.append(loss)
    finally:
        tracemalloc.stop()
    return memory, losses


@pytest.mark.slow
@pytest.mark.parametrize("make", [mlp_trainer, rnn_trainer], ids=["mlp", "rnn"])
def test_memory_is_flat_over_5000_steps(make):
    trainer = make()
    with ag.no_grad():
        loss_start = trainer.loss().item()
    (at_first, at_last), (_, loss_last) = memory_at(trainer.step, [FIRST, STEPS])
    assert abs(at_last - at_first) < MARGIN, (
        f"traced memory grew from {at_first} bytes at step {FIRST} to {at_last} at step {STEPS}")
    # It trained and stayed trained. Not "lower at 5,000 than at 1,000": the RNN fits its two
    # targets exactly, and a loss of 0.0 at both checkpoints is a success, not a stall.
    assert np.isfinite(loss_last) and loss_last < 0.1 * loss_start, (loss_start, loss_last)
    assert all(np.isfinite(p.detach().numpy()).all() for p in trainer.model.parameters())


@pytest.mark.slow
def test_the_memory_check_sees_a_leak():
    # The same measurement over a short run that keeps every loss (and so its graph) alive.
    trainer = mlp_trainer()
    kept: list[Tensor] = []

    def leaky_step() -> float:
        value = trainer.step()
        kept.append(ag.tensor([value]) * ag.ones(1, requires_grad=True))
        return value

    (first, last), _ = memory_at(leaky_step, [200, 600])
    assert last - first > 400 * 100  # at least ~100 bytes for each of the 400 steps between


# --- reference cycles ----------------------------------------------------------------------------


def is_engine_object(o: object) -> bool:
    return (isinstance(o, (Tensor, Context, nn.Module, optim.Optimizer, np.ndarray))
            or type(o).__module__.split(".")[0] in ENGINE_PACKAGES)


def engine_objects_in_cycles(work: Callable[[], None]) -> list[str]:
    """Run ``work``, then collect: the engine objects that only the cyclic collector could free."""
    gc.collect()
    previous = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # unreachable objects go to gc.garbage instead of being freed
    try:
        work()
        gc.collect()
        found = [type(o).__name__ for o in gc.garbage if is_engine_object(o)]
    finally:
        gc.set_debug(previous)
        gc.garbage.clear()
    return found


@pytest.mark.parametrize("make", [mlp_trainer, rnn_trainer], ids=["mlp", "rnn"])
def test_a_training_step_leaves_no_reference_cycles(make):
    trainer = make()
    trainer.step()  # the optimizer's state is made on the first step
    assert engine_objects_in_cycles(trainer.step) == []


def test_graph_features_leave_no_reference_cycles():
    def work() -> None:
        x = ag.randn(3, 4, requires_grad=True)
        h = x.tanh()
        h.retain_grad()
        h.register_hook(lambda g: g * 1.0)
        parts = h.unbind(1)  # a node with several outputs
        values, _ = h.max(0)  # and one whose second output carries no gradient
        loss = (parts[0] * parts[1]).sum() + values.sum()
        (g,) = ag.grad(loss, x, create_graph=True)  # a differentiable backward graph
        g.sum().backward()
        with ag.detect_anomaly():
            (x.exp() * 2.0).sum().backward()

    assert engine_objects_in_cycles(work) == []


def test_the_cycle_check_sees_a_cycle():
    class Holder(nn.Module):
        pass

    def work() -> None:
        a, b = Holder(), Holder()
        a.other, b.other = b, a  # two modules that refer to each other
        a.x = ag.ones(2)

    assert {"Holder", "Tensor"} <= set(engine_objects_in_cycles(work))


# --- no graph under no_grad --------------------------------------------------------------------------


def live_contexts() -> int:
    return sum(isinstance(o, Context) for o in gc.get_objects())


@pytest.mark.parametrize("make", [mlp_trainer, rnn_trainer], ids=["mlp", "rnn"])
def test_no_grad_allocates_no_graph_nodes(make):
    trainer = make()
    trainer.step()
    gc.collect()
    before = live_contexts()
    with ag.no_grad():
        loss = trainer.loss()  # held, with every intermediate it would keep alive
        updated = [p * 0.9 + 0.1 for p in trainer.model.parameters()]
        assert live_contexts() == before
    assert loss.grad_fn is None and not loss.requires_grad
    assert all(u.grad_fn is None for u in updated)
    # The same forward with recording on does make nodes: the count can see them.
    recorded = trainer.loss()
    assert recorded.grad_fn is not None and live_contexts() >= before + 4
