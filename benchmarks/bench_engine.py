"""Engine overhead against hand-written NumPy, measured in one run.

    python benchmarks/bench_engine.py [--repeat 30]

1. One training step of a 784-256-128-10 ReLU MLP (batch 128, float32, softmax
   cross-entropy, plain SGD under no_grad) with the engine (``autograd.linear`` layers), and the same step written by
   hand in NumPy (forward and backward derived by hand). Prints both medians and the ratio.
2. Tiny ops: a 4x4 tensor through 200 x tanh(y * 0.9 + 0.1), a sum and backward; the time
   per op (forward plus backward) is the total over 601 ops.
The losses of both MLP versions are printed side by side: a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import THREAD_VARIABLES, TINY_OPS, interleaved_medians, median_seconds, tiny_ops_step

# One BLAS thread, as benchmarks/run.py gives every library (read when NumPy loads, so set
# before it): on a shared 2-core machine more threads make small matmuls stall.
for _variable in THREAD_VARIABLES:
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return x, y, params


def numpy_step(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> float:
    """Forward, backward by hand, SGD update in place; returns the loss."""
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean()
    dlogits = np.exp(logp)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    dw3 = h2.T @ dlogits
    db3 = dlogits.sum(0)
    dh2 = dlogits @ w3.T
    dz2 = dh2 * (z2 > 0)
    dw2 = h1.T @ dz2
    db2 = dz2.sum(0)
    dh1 = dz2 @ w2.T
    dz1 = dh1 * (z1 > 0)
    dw1 = x.T @ dz1
    db1 = dz1.sum(0)
    for p, g in zip(params, (dw1, db1, dw2, db2, dw3, db3)):
        p -= LR * g
    return float(loss)


def engine_step(x: ag.Tensor, onehot: ag.Tensor, params: list[ag.Tensor]) -> float:
    w1, b1, w2, b2, w3, b3 = params  # weights (out, in), as nn.Linear keeps them
    h = ag.linear(x, w1, b1).relu()
    h = ag.linear(h, w2, b2).relu()
    logits = ag.linear(h, w3, b3)
    loss = -(logits.log_softmax(1) * onehot).sum() * (1.0 / x.shape[0])
    for p in params:
        p.grad = None
    loss.backward()
    with ag.no_grad():
        for p in params:
            p -= LR * p.grad
    return loss.item()


def bench_mlp(repeat: int) -> dict[str, float]:
    x, y, params_np = make_data()
    params_engine = [ag.tensor(np.ascontiguousarray(p.T), requires_grad=True) for p in params_np]
    x_t = ag.tensor(x)
    onehot = ag.tensor(np.eye(SIZES[-1], dtype=np.float32)[y])
    # Same starting point, same data: the losses must agree step for step.
    losses = [(numpy_step(x, y, params_np), engine_step(x_t, onehot, params_engine)) for _ in range(3)]
    t_numpy, t_engine = interleaved_medians(
        [lambda: numpy_step(x, y, params_np), lambda: engine_step(x_t, onehot, params_engine)], repeat, rewarm=1
    )
    return {"numpy_ms": t_numpy * 1e3, "engine_ms": t_engine * 1e3, "ratio": t_engine / t_numpy,
            "loss_numpy": losses[-1][0], "loss_engine": losses[-1][1]}


def bench_tiny_ops(repeat: int) -> dict[str, float]:
    x = ag.tensor(np.random.default_rng(0).standard_normal((4, 4)), dtype="float32", requires_grad=True)
    t = median_seconds(tiny_ops_step(x), repeat)
    return {"total_ms": t * 1e3, "us_per_op": t / TINY_OPS * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    mlp = bench_mlp(args.repeat)
    tiny = bench_tiny_ops(args.repeat)
    print(f"numpy {np.__version__}; medians over {args.repeat} runs after warm-up")
    print(f"MLP step 784-256-128-10, batch {BATCH}, float32:")
    print(f"  hand-written NumPy {mlp['numpy_ms']:8.3f} ms   loss {mlp['loss_numpy']:.6f}")
    print(f"  ndgrad             {mlp['engine_ms']:8.3f} ms   loss {mlp['loss_engine']:.6f}")
    print(f"  ratio ndgrad / NumPy: {mlp['ratio']:.3f}x")
    print("Tiny ops, 4x4 tensor, 200 x tanh(y * 0.9 + 0.1), sum, backward:")
    print(f"  {tiny['total_ms']:.3f} ms in all, {tiny['us_per_op']:.2f} us per op (forward + backward)")


if __name__ == "__main__":
    main()
