"""An LSTM that learns to continue sine waves, trained with L-BFGS.

Each training sequence is a sine wave with its own phase and frequency. The model reads a
sequence one step at a time and predicts the next value; L-BFGS with a strong-Wolfe line
search fits it on the whole training set at once. The test extrapolates: fed the first part
of unseen waves, the model continues them on its own predictions.

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights and data come from NumPy seeds, so both libraries start from the
same loss. Run with --short for a few steps.
"""

import argparse

import numpy as np

import ndgrad as torch

nn = torch.nn


class NextValue(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, future=0):
        """Predictions for each step of x (batch, time), then ``future`` steps fed back."""
        out, state = self.lstm(x.unsqueeze(2))
        predictions = self.head(out).squeeze(2)
        last = predictions[:, -1:]
        extra = []
        for _ in range(future):
            out, state = self.lstm(last.unsqueeze(2), state)
            last = self.head(out).squeeze(2)
            extra.append(last)
        return torch.cat([predictions, *extra], dim=1)


def waves(n, length, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    frequency = rng.uniform(0.15, 0.3, (n, 1))
    return torch.from_numpy(np.sin(frequency * t + phase).astype(np.float32))


def init_from_numpy(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            bound = 1.0 / np.sqrt(model.lstm.hidden_size)
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="fewer and shorter waves, a few steps")
    args = parser.parse_args()
    n, length, steps = (16, 30, 4) if args.short else (64, 60, 12)

    train, test = waves(n, length, seed=0), waves(8, length + 20, seed=1)
    model = NextValue()
    init_from_numpy(model, seed=2)
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=10, history_size=10,
                                  line_search_fn="strong_wolfe")
    loss_fn = nn.MSELoss()
    inputs, targets = train[:, :-1], train[:, 1:]

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss

    for step in range(steps + 1):
        with torch.no_grad():
            print(f"lstm step {step} loss {loss_fn(model(inputs), targets).item():.6f}")
        if step < steps:
            optimizer.step(closure)

    seen = length // 2
    with torch.no_grad():
        continued = model(test[:, :seen], future=test.shape[1] - seen - 1)
        error = loss_fn(continued[:, seen - 1 :], test[:, seen:]).item()
    print(f"extrapolation error over {test.shape[1] - seen} unseen steps: {error:.4f}")


if __name__ == "__main__":
    main()
