"""Fit a cubic to a curve four ways, each doing by hand less than the one before.

1. tensors: the gradient of the loss written out with tensor arithmetic, no autograd.
2. autograd: the coefficients require grad; backward() finds the gradient.
3. function: the polynomial is a custom autograd.Function with its own backward.
4. nn: a Linear layer on the features (x, x^2, x^3), trained by an optimizer.

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. The coefficients start from a NumPy seed, so both libraries start from the
same loss. Run with --short for a few steps of each.
"""

import argparse

import numpy as np

import ndgrad as torch

DEGREE = 3


def make_data(n=200):
    x = np.linspace(-1.5, 1.5, n, dtype=np.float32)
    y = 0.5 * np.sin(2.0 * x) + 0.25 * x
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))


def initial_coefficients():
    return np.random.default_rng(0).normal(0.0, 0.1, DEGREE + 1).astype(np.float32)


def report(part, step, loss, every):
    if step % every == 0:
        print(f"{part} step {step} loss {loss:.6f}")


def fit_with_tensors(x, y, steps, lr, every):
    """The gradient of the mean squared error, derived by hand: d/dc_k = mean(2 * residual * x^k)."""
    c = torch.from_numpy(initial_coefficients())
    powers = torch.stack([x**k for k in range(DEGREE + 1)], dim=1)  # (n, 4): 1, x, x^2, x^3
    for step in range(steps + 1):
        residual = powers @ c - y
        loss = (residual**2).mean()
        report("tensors", step, loss.item(), every)
        grad = 2.0 * (powers.t() @ residual) / len(x)
        c -= lr * grad


def fit_with_autograd(x, y, steps, lr, every):
    c = torch.tensor(initial_coefficients(), requires_grad=True)
    for step in range(steps + 1):
        prediction = c[0] + c[1] * x + c[2] * x**2 + c[3] * x**3
        loss = ((prediction - y) ** 2).mean()
        report("autograd", step, loss.item(), every)
        loss.backward()
        with torch.no_grad():
            c -= lr * c.grad
            c.grad.zero_()


class Polynomial(torch.autograd.Function):
    """p(x) = sum_k c_k x^k for every x, differentiable in the coefficients c (not in x)."""

    @staticmethod
    def forward(ctx, x, c):
        powers = torch.stack([x**k for k in range(len(c))], dim=1)
        ctx.save_for_backward(powers)
        return powers @ c

    @staticmethod
    def backward(ctx, grad_output):
        (powers,) = ctx.saved_tensors
        return None, powers.t() @ grad_output


def fit_with_function(x, y, steps, lr, every):
    c = torch.tensor(initial_coefficients(), requires_grad=True)
    for step in range(steps + 1):
        loss = ((Polynomial.apply(x, c) - y) ** 2).mean()
        report("function", step, loss.item(), every)
        loss.backward()
        with torch.no_grad():
            c.sub_(lr * c.grad)
            c.grad = None


def fit_with_nn(x, y, steps, lr, every):
    features = torch.stack([x, x**2, x**3], dim=1)
    model = torch.nn.Linear(DEGREE, 1)
    c = initial_coefficients()
    with torch.no_grad():
        model.bias.copy_(torch.from_numpy(c[:1]))
        model.weight.copy_(torch.from_numpy(c[1:]).reshape(1, DEGREE))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.MSELoss()
    for step in range(steps + 1):
        loss = loss_fn(model(features).squeeze(1), y)
        report("nn", step, loss.item(), every)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    w = model.weight.detach().reshape(-1).tolist()
    print(f"nn fit: y = {model.bias.item():.3f} + {w[0]:.3f} x + {w[1]:.3f} x^2 + {w[2]:.3f} x^3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a few steps of each fit")
    args = parser.parse_args()
    steps, every = (40, 10) if args.short else (2000, 250)
    x, y = make_data()
    fit_with_tensors(x, y, steps, lr=0.1, every=every)
    fit_with_autograd(x, y, steps, lr=0.1, every=every)
    fit_with_function(x, y, steps, lr=0.1, every=every)
    fit_with_nn(x, y, steps, lr=0.05, every=every)


if __name__ == "__main__":
    main()
