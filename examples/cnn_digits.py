"""A small convolutional network that reads 8x8 handwritten digits.

Two convolutions with ReLU and 2x2 max pooling, then a linear layer over the ten classes,
trained with Adam on minibatches; the test accuracy at the end. The digits are the 1797
images that ship inside scikit-learn (ndgrad's bundled copy of them: nothing is downloaded).

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights and minibatches come from NumPy seeds, so both libraries start from
the same loss. Run with --short for a few steps.
"""

import argparse

import numpy as np

import ndgrad as torch
from nn.datasets import digits

nn = torch.nn
F = torch.nn.functional


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)  # 8x8 -> 8x8, pooled to 4x4
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)  # 4x4 -> 4x4, pooled to 2x2
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def init_from_numpy(model, seed):
    """Uniform in +-1/sqrt(fan_in), as torch's default, but drawn from NumPy."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                bound = 1.0 / np.sqrt(np.prod(module.weight.shape[1:]))
                for p in (module.weight, module.bias):
                    p.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def load():
    split = digits(flatten=False, seed=0)

    def to_tensor(values):
        return torch.from_numpy(np.asarray(values))

    x_train, y_train = to_tensor(split.x_train).unsqueeze(1), to_tensor(split.y_train)
    x_test, y_test = to_tensor(split.x_test).unsqueeze(1), to_tensor(split.y_test)
    return x_train, y_train, x_test, y_test


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a few steps")
    args = parser.parse_args()
    steps, every, batch_size = (30, 5, 64) if args.short else (1500, 100, 64)

    x_train, y_train, x_test, y_test = load()
    model = DigitNet()
    init_from_numpy(model, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(1)
    print(f"{len(x_train)} training images of shape {tuple(x_train.shape[1:])}, "
          f"{sum(p.numel() for p in model.parameters())} parameters")

    model.train()
    for step in range(steps + 1):
        batch = torch.from_numpy(rng.integers(0, len(x_train), batch_size))
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        if step % every == 0:
            print(f"cnn step {step} loss {loss.item():.6f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"test accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
