"""``ndgrad``: the project's command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np

import autograd as ag


def _spiral(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane, labels 0 and 1."""
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    label = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    angle = t + np.pi * label
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1) + rng.normal(0, 0.02, (n, 2))
    return x.astype(np.float32), label


def demo(steps: int = 300, seed: int = 0) -> float:
    """Train a 2-32-32-2 tanh MLP on two spirals with plain SGD; print the loss as it falls."""
    rng = np.random.default_rng(seed)
    x_np, y_np = _spiral(256, rng)
    x = ag.tensor(x_np)
    onehot = ag.tensor(np.eye(2, dtype=np.float32)[y_np])
    sizes = [2, 32, 32, 2]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weight = rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, fan_out))
        params.append(ag.tensor(weight, dtype="float32", requires_grad=True))
        params.append(ag.zeros(fan_out, requires_grad=True))
    loss_value = float("nan")
    for step in range(steps + 1):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.tanh()
        loss = -(h.log_softmax(1) * onehot).sum(1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p -= 0.5 * p.grad
        loss_value = loss.item()
        if step % 50 == 0:
            accuracy = float((h.argmax(1).numpy() == y_np).mean())
            print(f"step {step:4d}  loss {loss_value:.4f}  accuracy {accuracy:.3f}")
    return loss_value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ndgrad", description="ndgrad: a small autograd engine on NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train a small MLP on two spirals and print its loss falling")
    p_demo.add_argument("--steps", type=int, default=300)
    p_demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.steps < 0:
            parser.error(f"--steps must be non-negative, got {args.steps}")
        demo(args.steps, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
