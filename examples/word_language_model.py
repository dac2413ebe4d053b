"""A word-level language model: an LSTM that predicts the next word.

The text is the standard library's docstrings (ndgrad's bundled corpus: nothing is
downloaded), lowercased and split into words and punctuation; the most common words form
the vocabulary and the rest become "<unk>". The token stream is cut into parallel streams,
one per batch row, read in windows; the LSTM's state carries over from one window to the
next, detached, so that gradients flow back through one window only (truncated
backpropagation through time). Loss and perplexity on held-out text at the end.

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights come from a NumPy seed, so both libraries start from the same loss.
Run with --short for a few steps.
"""

import argparse
import math
import re
from collections import Counter

import numpy as np

import ndgrad as torch
from nn.datasets import stdlib_docstrings

nn = torch.nn
F = torch.nn.functional


def tokenize(max_chars, vocab_size):
    words = re.findall(r"[a-z]+|[.,:()]", stdlib_docstrings(max_chars=max_chars).text.lower())
    itos = ["<unk>"] + [w for w, _ in Counter(words).most_common(vocab_size - 1)]
    stoi = {w: i for i, w in enumerate(itos)}
    ids = torch.tensor([stoi.get(w, 0) for w in words])
    return ids, itos


def streams(ids, batch_size):
    """The token ids as ``batch_size`` rows, each a contiguous run of the text."""
    n = len(ids) // batch_size
    return ids[: n * batch_size].view(batch_size, n)


class WordModel(nn.Module):
    def __init__(self, vocab, embedding=32, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True)
        self.decode = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        out, state = self.lstm(self.embed(tokens), state)
        return self.decode(out), state


def init_from_numpy(model, seed, scale=0.1):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-scale, scale, tuple(p.shape)).astype(np.float32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="less text and a few steps")
    args = parser.parse_args()
    max_chars, epochs, window, batch_size = (30_000, 1, 16, 16) if args.short else (None, 4, 24, 32)
    every = 4 if args.short else 50
    vocab_size = 400 if args.short else 2000

    ids, itos = tokenize(max_chars, vocab_size)
    split = int(0.9 * len(ids))
    train, test = streams(ids[:split], batch_size), streams(ids[split:], batch_size)
    print(f"{len(ids)} tokens, vocabulary of {len(itos)}: {' '.join(itos[1:9])} ...")

    model = WordModel(len(itos))
    init_from_numpy(model, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

    step = 0
    for epoch in range(epochs):
        model.train()
        state = None
        for start in range(0, train.shape[1] - 1, window):
            inputs = train[:, start : start + window]
            targets = train[:, start + 1 : start + 1 + window]
            inputs = inputs[:, : targets.shape[1]]
            if state is not None:
                state = tuple(s.detach() for s in state)  # keep the values, cut the graph
            logits, state = model(inputs, state)
            loss = F.cross_entropy(logits.reshape(-1, len(itos)), targets.reshape(-1))
            if step % every == 0:
                print(f"words step {step} loss {loss.item():.6f}")
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            step += 1

        model.eval()
        with torch.no_grad():
            logits, _ = model(test[:, :-1])
            test_loss = F.cross_entropy(logits.reshape(-1, len(itos)), test[:, 1:].reshape(-1)).item()
        print(f"epoch {epoch + 1}: test loss {test_loss:.4f}, perplexity {math.exp(test_loss):.1f}")


if __name__ == "__main__":
    main()
