"""Time one ``optim.Adam`` step on the parameters of a 784-256-128-10 MLP (float32) against
the same step written by hand in NumPy. Target: within 1.2x of the hand-written step.

    .venv/bin/python benchmarks/bench_optim.py [--repeats N]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import autograd as ag
import optim

SHAPES = [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8


class NumpyAdam:
    """The Adam step as one would write it directly on arrays, updating in place."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        step_size = LR / (1 - BETA1**self.t)
        bc2_sqrt = math.sqrt(1 - BETA2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= BETA1
            m += (1 - BETA1) * g
            v *= BETA2
            v += (1 - BETA2) * (g * g)
            p -= step_size * m / (np.sqrt(v) / bc2_sqrt + EPS)


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: state and scratch buffers are created on the first step
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    init = [rng.normal(0, 0.05, s).astype(np.float32) for s in SHAPES]
    grads = [rng.normal(0, 1e-2, s).astype(np.float32) for s in SHAPES]

    params = [ag.tensor(x.copy(), requires_grad=True) for x in init]
    for p, g in zip(params, grads):
        p.grad = ag.tensor(g)
    adam = optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS)
    reference = NumpyAdam([x.copy() for x in init])

    ours = median_time(adam.step, args.repeats)
    theirs = median_time(lambda: reference.step(grads), args.repeats)
    ratio = ours / theirs
    # Both took the same number of steps on the same gradients: a fast wrong step cannot pass.
    drift = max(float(np.max(np.abs(p.data - q))) for p, q in zip(params, reference.params))
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"Adam step, 784-256-128-10 MLP ({n} float32 parameters), median of {args.repeats}:")
    print(f"  optim.Adam        {ours * 1e3:8.3f} ms")
    print(f"  hand-written NumPy {theirs * 1e3:7.3f} ms")
    print(f"  ratio             {ratio:8.2f}x  (target <= 1.2x)")
    print(f"  largest difference between the two parameter sets: {drift:.2e}")
    if drift > 1e-5:
        raise SystemExit(f"optim.Adam and the NumPy step disagree by {drift}")
    return ratio


if __name__ == "__main__":
    main()
