"""A GRU that reads sentences in order, on sentiment that a bag of words cannot decide.

In "the plot was not good and the cast was bad" the words alone do not give the label; which
adjective "not" comes before does (ndgrad's bundled negation_sentiment set; no classifier of
word counts beats 75% on it). The model embeds the words, runs a GRU over them and classifies
its last state. Training uses a Dataset, a DataLoader, Adam and a learning-rate schedule;
the trained weights are saved with torch.save, loaded into a new model, and the loaded model
is scored on the test sentences.

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights and the order of the batches come from NumPy seeds, so both libraries
take the same steps. Run with --short for a few steps.
"""

import argparse
import os
import tempfile

import numpy as np

import ndgrad as torch
from nn.datasets import negation_sentiment

nn = torch.nn
F = torch.nn.functional
data = torch.utils.data


class SentimentGRU(nn.Module):
    def __init__(self, vocab, embedding=16, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding, padding_idx=0)
        self.gru = nn.GRU(embedding, hidden, batch_first=True)
        self.classify = nn.Linear(hidden, 2)

    def forward(self, tokens):
        _, last = self.gru(self.embed(tokens))  # sentences are padded on the left: the last step is a word
        return self.classify(last[0])


def init_from_numpy(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 1.0 if name.startswith("embed") else 1.0 / np.sqrt(p.shape[-1])
            p.copy_(torch.from_numpy(rng.uniform(-scale, scale, tuple(p.shape)).astype(np.float32)))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="fewer sentences and one epoch")
    args = parser.parse_args()
    n_train, epochs = (1024, 3) if args.short else (2000, 6)

    split = negation_sentiment(n_train=n_train, n_test=300, seed=0)

    def to_tensor(values):
        return torch.from_numpy(np.asarray(values))

    x_train, y_train = to_tensor(split.x_train), to_tensor(split.y_train)
    x_test, y_test = to_tensor(split.x_test), to_tensor(split.y_test)
    train_set = data.TensorDataset(x_train, y_train)
    print(f"{len(train_set)} sentences of {x_train.shape[1]} tokens, vocabulary of {len(split.vocab)}")

    model = SentimentGRU(len(split.vocab))
    init_from_numpy(model, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
    rng = np.random.default_rng(1)

    step = 0
    for epoch in range(epochs):
        model.train()
        # A new order each epoch, drawn from NumPy so that both libraries see the same batches.
        order = rng.permutation(len(train_set)).tolist()
        for tokens, labels in data.DataLoader(data.Subset(train_set, order), batch_size=64):
            loss = F.cross_entropy(model(tokens), labels)
            if step % 6 == 0:
                print(f"gru step {step} loss {loss.item():.6f}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
        scheduler.step()
        print(f"epoch {epoch + 1}: test accuracy {accuracy(model, x_test, y_test):.3f}")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "sentiment.pt")
        torch.save(model.state_dict(), path)
        restored = SentimentGRU(len(split.vocab))
        restored.load_state_dict(torch.load(path))
    print(f"restored from {os.path.basename(path)}: test accuracy {accuracy(restored, x_test, y_test):.3f}")


if __name__ == "__main__":
    main()
