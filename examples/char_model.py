"""Character-level models of words: bigram counts, then an MLP on three characters of context.

The words are the distinct lowercase words of the standard library's docstrings (ndgrad's
bundled corpus, nothing is downloaded). Each word is read with "." marking its start and end.

1. bigram: count how often each character follows each other, normalise the counts into
   probabilities, and score the words by their mean negative log-likelihood; then learn the
   same table as a 27x27 weight matrix by gradient descent, written by hand.
2. mlp: embed the previous three characters, one tanh hidden layer, a softmax over the next;
   a manual training loop on minibatches that updates each parameter through p.data.

Written for PyTorch's API: with `import torch` in place of `import ndgrad as torch` it runs
under PyTorch. Weights and minibatches come from NumPy seeds, so both libraries take the
same steps. Run with --short for a few steps.
"""

import argparse
import re

import numpy as np

import ndgrad as torch
from nn.datasets import stdlib_docstrings

CONTEXT = 3


def load_words(max_chars):
    text = stdlib_docstrings(max_chars=max_chars).text.lower()
    words = sorted({w for w in re.findall(r"[a-z]+", text) if 3 <= len(w) <= 12})
    np.random.default_rng(0).shuffle(words)
    return words


def bigram_pairs(words, stoi):
    xs, ys = [], []
    for w in words:
        chars = ["."] + list(w) + ["."]
        for a, b in zip(chars, chars[1:]):
            xs.append(stoi[a])
            ys.append(stoi[b])
    return torch.tensor(xs), torch.tensor(ys)


def bigram(words, stoi, itos, steps, every):
    vocab = len(itos)
    counts = torch.zeros((vocab, vocab), dtype=torch.int32)
    xs, ys = bigram_pairs(words, stoi)
    for a, b in zip(xs.tolist(), ys.tolist()):
        counts[a, b] += 1
    probs = (counts + 1).float()  # add-one smoothing: no pair has probability zero
    probs /= probs.sum(1, keepdim=True)
    nll = -probs[xs, ys].log().mean()
    print(f"bigram counts: {len(xs)} pairs, nll {nll.item():.4f}")

    g = torch.Generator().manual_seed(1)
    for _ in range(3):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(probs[ix], num_samples=1, replacement=True, generator=g).item()
            if ix == 0 or len(out) > 20:
                break
            out.append(itos[ix])
        print("bigram sample:", "".join(out))

    # The same table learned: logits = one_hot(x) @ w, so row x of w holds the log-counts.
    rng = np.random.default_rng(2)
    w = torch.tensor(rng.normal(0.0, 1.0, (vocab, vocab)).astype(np.float32), requires_grad=True)
    inputs = torch.nn.functional.one_hot(xs, num_classes=vocab).float()
    for step in range(steps + 1):
        logits = inputs @ w
        loss = torch.nn.functional.cross_entropy(logits, ys) + 0.01 * (w**2).mean()
        if step % every == 0:
            print(f"bigram step {step} loss {loss.item():.6f}")
        w.grad = None
        loss.backward()
        w.data += -50.0 * w.grad


def windows(words, stoi):
    xs, ys = [], []
    for w in words:
        context = [0] * CONTEXT
        for ch in w + ".":
            xs.append(context)
            ys.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(xs), torch.tensor(ys)


def mlp(words, stoi, itos, steps, every, batch_size=32):
    vocab, emb, hidden = len(itos), 10, 100
    split = int(0.9 * len(words))
    x_train, y_train = windows(words[:split], stoi)
    x_val, y_val = windows(words[split:], stoi)

    rng = np.random.default_rng(3)

    def param(*shape, scale):
        return torch.tensor((rng.normal(0.0, 1.0, shape) * scale).astype(np.float32), requires_grad=True)

    table = param(vocab, emb, scale=1.0)
    w1 = param(CONTEXT * emb, hidden, scale=(5 / 3) / (CONTEXT * emb) ** 0.5)
    b1 = param(hidden, scale=0.01)
    w2 = param(hidden, vocab, scale=0.01)
    b2 = param(vocab, scale=0.0)
    parameters = [table, w1, b1, w2, b2]
    print(f"mlp: {sum(p.nelement() for p in parameters)} parameters, {len(x_train)} training windows")

    def loss_on(x, y):
        h = torch.tanh(table[x].view(x.shape[0], -1) @ w1 + b1)
        return torch.nn.functional.cross_entropy(h @ w2 + b2, y)

    for step in range(steps + 1):
        batch = torch.from_numpy(rng.integers(0, len(x_train), batch_size))
        loss = loss_on(x_train[batch], y_train[batch])
        if step % every == 0:
            print(f"mlp step {step} loss {loss.item():.6f}")
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if step < 0.75 * steps else 0.01
        for p in parameters:
            p.data += -lr * p.grad

    with torch.no_grad():
        print(f"mlp validation loss {loss_on(x_val, y_val).item():.4f}")
        g = torch.Generator().manual_seed(4)
        for _ in range(3):
            context, out = [0] * CONTEXT, []
            while len(out) < 20:
                h = torch.tanh(table[torch.tensor([context])].view(1, -1) @ w1 + b1)
                probs = torch.softmax(h @ w2 + b2, dim=1)
                ix = torch.multinomial(probs, num_samples=1, generator=g).item()
                if ix == 0:
                    break
                out.append(itos[ix])
                context = context[1:] + [ix]
            print("mlp sample:", "".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="fewer words and a few steps")
    args = parser.parse_args()
    words = load_words(max_chars=40_000 if args.short else None)
    itos = ["."] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    stoi = {ch: i for i, ch in enumerate(itos)}
    print(f"{len(words)} words, e.g. {', '.join(words[:5])}")
    bigram(words, stoi, itos, steps=20 if args.short else 200, every=5 if args.short else 25)
    mlp(words, stoi, itos, steps=60 if args.short else 20_000, every=10 if args.short else 1000)


if __name__ == "__main__":
    main()
