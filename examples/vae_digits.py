"""A variational autoencoder of 8x8 handwritten digits.

The encoder maps an image to the mean and log-variance of a 4-d Gaussian; a sample from it,
drawn with the reparameterisation trick, is decoded back into pixel intensities. The loss
is the evidence lower bound: the binary cross-entropy of the reconstruction plus the KL
divergence of the code's Gaussian from the standard normal, per image. The digits are the
1797 images that ship inside scikit-learn (ndgrad's bundled copy: nothing is downloaded).

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights, minibatches and the noise of the samples come from NumPy seeds, so
both libraries take the same steps. Run with --short for a few steps.
"""

import argparse

import numpy as np

import ndgrad as torch
from nn.datasets import digits

nn = torch.nn
F = torch.nn.functional

PIXELS, HIDDEN, LATENT = 64, 48, 4


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(PIXELS, HIDDEN), nn.ReLU())
        self.mean = nn.Linear(HIDDEN, LATENT)
        self.log_var = nn.Linear(HIDDEN, LATENT)
        self.decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, PIXELS))

    def forward(self, x, noise):
        h = self.encoder(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * noise  # a sample of N(mean, var), differentiable in both
        return torch.sigmoid(self.decoder(z)), mean, log_var


def elbo_loss(reconstruction, x, mean, log_var):
    """Negative evidence lower bound per image: reconstruction error plus KL(q(z|x) || N(0, I))."""
    bce = F.binary_cross_entropy(reconstruction, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
    return (bce + kl) / x.shape[0]


def init_from_numpy(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                bound = 1.0 / np.sqrt(module.in_features)
                for p in (module.weight, module.bias):
                    p.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a few steps")
    args = parser.parse_args()
    steps, every, batch_size = (40, 10, 64) if args.short else (3000, 250, 64)

    split = digits(seed=0)  # pixels scaled to [0, 1]: probabilities for the cross-entropy
    x_train, x_test = torch.from_numpy(np.asarray(split.x_train)), torch.from_numpy(np.asarray(split.x_test))
    model = VAE()
    init_from_numpy(model, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(1)

    def noise(n):
        # torch.randn_like(mean) would do; drawn from NumPy so that both libraries use the same noise.
        return torch.from_numpy(rng.standard_normal((n, LATENT)).astype(np.float32))

    model.train()
    for step in range(steps + 1):
        x = x_train[torch.from_numpy(rng.integers(0, len(x_train), batch_size))]
        reconstruction, mean, log_var = model(x, noise(batch_size))
        loss = elbo_loss(reconstruction, x, mean, log_var)
        if step % every == 0:
            print(f"vae step {step} loss {loss.item():.6f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    with torch.no_grad():
        reconstruction, mean, log_var = model(x_test, torch.zeros(len(x_test), LATENT))
        test_loss = elbo_loss(reconstruction, x_test, mean, log_var).item()
        samples = torch.sigmoid(model.decoder(torch.from_numpy(rng.standard_normal((2, LATENT)).astype(np.float32))))
    print(f"test loss (decoding each image's mean code) {test_loss:.4f}")
    for image in samples:
        rows = image.reshape(8, 8).tolist()
        print("\n".join("".join(" .:-=+*#%@"[min(int(v * 10), 9)] for v in row) for row in rows), end="\n\n")


if __name__ == "__main__":
    main()
