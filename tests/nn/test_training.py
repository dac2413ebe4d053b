"""Training sanity: whole training runs, written as a PyTorch user writes them, reach known marks.

Each run uses only the public API (``nn.Module``, ``nn.MLP``, ``nn.RNN``, ``F.cross_entropy``,
``optim.Adam``, ``nn.DataLoader``, ``nn.save``/``nn.load``), with fixed seeds. The marks are
independent of this code base: test accuracies that a small network is known to reach on
these problems, the ceiling of any word-count classifier on the negation task, and the
unigram entropy of the text, computed here from character counts.

The SGD/Adam "loss below a threshold in a fixed number of steps" check of the optim issue is
``test_training_drives_the_loss_down`` in ``test_optim.py``; it is not repeated here.

The last section tests ``nn.utils`` (quick, not marked slow).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim

slow = pytest.mark.slow


def accuracy(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> float:
    model.eval()
    with ag.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def fit(model, loader, optimizer, epochs, scheduler=None):
    """The usual loop: forward, cross-entropy, zero_grad, backward, step; returns the batch losses."""
    losses = []
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if scheduler is not None:
            scheduler.step()
    return losses


# --- classifiers ---------------------------------------------------------------------------------


@slow
def test_mlp_classifies_the_spiral_galaxy():
    ag.manual_seed(0)
    data = nn.datasets.spiral()
    model = nn.MLP(2, [64, 64], data.num_classes)
    assert accuracy(model, data.x_test, data.y_test) < 0.6  # the arms wind: an untrained net is near chance
    epochs = 40
    opt = optim.Adam(model.parameters(), lr=0.01)
    fit(model, nn.DataLoader(data.train, batch_size=32, shuffle=True, seed=0), opt, epochs,
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs))
    acc = accuracy(model, data.x_test, data.y_test)
    assert acc >= 0.97, f"test accuracy {acc:.3f} on the spiral galaxy"


@slow
def test_mlp_classifies_8x8_digits():
    ag.manual_seed(0)
    data = nn.datasets.digits()
    model = nn.MLP(64, [128], 10)
    fit(model, nn.DataLoader(data.train, batch_size=32, shuffle=True, seed=0),
        optim.Adam(model.parameters(), lr=3e-3), epochs=10)
    acc = accuracy(model, data.x_test, data.y_test)
    assert acc >= 0.95, f"test accuracy {acc:.3f} on the 8x8 digits"


# --- word order: an RNN against a bag of words ------------------------------------------------------


class BagOfWords(nn.Module):
    """Mean of the word embeddings (padding left out), then a small MLP: blind to word order."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        # NOTE: a linear readout of the mean cannot even learn one-phrase sentences, whose label
        # is an XOR of "not" and the adjective's polarity; the hidden layer lets the baseline
        # reach what word counts allow, so beating it is a statement about word order.
        self.classify = nn.MLP(dim, 32, 2)

    def forward(self, ids: ag.Tensor) -> ag.Tensor:
        words = (ids != 0).float().sum(1, keepdim=True)
        return self.classify(self.embed(ids).sum(1) / words)


class SentenceReader(nn.Module):
    """Embedding, an Elman RNN over the (left-padded) sentence, a linear map of its last state."""

    def __init__(self, vocab_size: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.rnn = nn.RNN(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, ids: ag.Tensor) -> ag.Tensor:
        _, h_n = self.rnn(self.embed(ids))
        return self.out(h_n[-1])


@slow
def test_rnn_reads_negation_that_a_bag_of_words_cannot():
    ag.manual_seed(0)
    data = nn.datasets.negation_sentiment()
    bound = data.bag_of_words_bound
    results = {}
    for name, model, epochs in [("bag of words", BagOfWords(len(data.vocab), 16), 10),
                                ("rnn", SentenceReader(len(data.vocab), 16, 32), 3)]:
        loader = nn.DataLoader(data.train, batch_size=32, shuffle=True, seed=0)
        fit(model, loader, optim.Adam(model.parameters(), lr=0.01), epochs)
        results[name] = accuracy(model, data.x_test, data.y_test)
    bow, rnn = results["bag of words"], results["rnn"]
    # The baseline must have learned what counts can tell, or beating it would say nothing.
    assert bow >= bound - 0.1, f"bag of words reached only {bow:.3f}; word counts allow {bound}"
    assert rnn >= bound + 0.15, f"rnn {rnn:.3f} is not clearly above the bag-of-words bound {bound}"
    assert rnn >= bow + 0.15, f"rnn {rnn:.3f} does not clearly beat the bag of words {bow:.3f}"


# --- a character-level language model --------------------------------------------------------------


class CharLM(nn.Module):
    """The lectures' RNN language model: s_t = tanh(W s_{t-1} + U x_t), next-character logits from s_t."""

    def __init__(self, vocab_size: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.rnn = nn.RNN(dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids, h=None):
        out, h = self.rnn(self.embed(ids), h)
        return self.head(out), h


def streams(ids: np.ndarray, batch: int) -> tuple[ag.Tensor, ag.Tensor]:
    """Cut the text into ``batch`` contiguous streams (rows), inputs and next-character targets,
    so that chunk k+1 of a row continues chunk k and the hidden state can be carried over."""
    n = (len(ids) - 1) // batch
    return ag.from_numpy(ids[: n * batch].reshape(batch, n)), ag.from_numpy(ids[1 : n * batch + 1].reshape(batch, n))


def mean_loss(model: CharLM, x: ag.Tensor, y: ag.Tensor, chunk: int) -> float:
    """Mean next-character cross-entropy (nats) over all of x, the state carried across chunks."""
    model.eval()
    total, h = 0.0, None
    with ag.no_grad():
        for start in range(0, x.shape[1], chunk):
            logits, h = model(x[:, start : start + chunk], h)
            target = y[:, start : start + chunk]
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="sum").item()
    return total / y.numel()


@slow
def test_char_rnn_falls_well_below_the_unigram_entropy():
    corpus = nn.datasets.stdlib_docstrings(max_chars=100_000)
    vocab_size = len(corpus.vocab)
    train, test = np.asarray(corpus.train), np.asarray(corpus.test)
    p = np.bincount(train, minlength=vocab_size) / len(train)
    p = p[p > 0]
    unigram_entropy = float(-(p * np.log(p)).sum())  # nats per character, from the training text

    ag.manual_seed(0)
    model = CharLM(vocab_size, 32, 64)
    opt = optim.Adam(model.parameters(), lr=5e-3)
    chunk = 32  # truncated backpropagation through time: gradients stop at chunk boundaries
    x, y = streams(train, 32)
    x_test, y_test = streams(test, 8)
    before = mean_loss(model, x_test, y_test, chunk)
    for _ in range(3):
        model.train()
        h = None
        for start in range(0, x.shape[1], chunk):
            logits, h = model(x[:, start : start + chunk], h)  # teacher forcing: the true text is the input
            h = h.detach()
            loss = F.cross_entropy(logits.reshape(-1, vocab_size), y[:, start : start + chunk].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    after = mean_loss(model, x_test, y_test, chunk)
    assert before > unigram_entropy, f"untrained loss {before:.3f} already below the unigram {unigram_entropy:.3f}"
    assert after < unigram_entropy - 1.0, (
        f"test loss {after:.3f} nats/char is not well below the unigram entropy {unigram_entropy:.3f}")


# --- checkpoints in the middle of training -------------------------------------------------------------


def make_run(seed: int):
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Linear(32, 2))
    opt = optim.Adam(model.parameters(), lr=0.02, amsgrad=True)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    return model, opt, scheduler


def train_steps(model, opt, scheduler, batches):
    losses = []
    model.train()
    for x, y in batches:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


@slow
def test_checkpoint_mid_training_resumes_bit_for_bit(tmp_path):
    data = nn.datasets.moons(n_train=256)
    loader = nn.DataLoader(data.train, batch_size=32, shuffle=True, seed=0)
    batches = [batch for _ in range(3) for batch in loader]  # the same data stream for both runs
    half = len(batches) // 2

    model, opt, scheduler = make_run(seed=0)
    uninterrupted = train_steps(model, opt, scheduler, batches)

    first, first_opt, first_scheduler = make_run(seed=0)
    before = train_steps(first, first_opt, first_scheduler, batches[:half])
    nn.save({"model": first.state_dict(), "optimizer": first_opt.state_dict(),
             "scheduler": first_scheduler.state_dict()}, tmp_path / "checkpoint.npz")
    del first, first_opt, first_scheduler

    resumed, resumed_opt, resumed_scheduler = make_run(seed=1)  # other initial weights: the load must replace them
    checkpoint = nn.load(tmp_path / "checkpoint.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    after = train_steps(resumed, resumed_opt, resumed_scheduler, batches[half:])

    assert before + after == uninterrupted
    assert resumed_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"] < 0.02
    for (name, p), (_, q) in zip(model.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q), err_msg=name)  # BatchNorm's buffers too
    np.testing.assert_array_equal(np.asarray(model.eval()(data.x_test)), np.asarray(resumed.eval()(data.x_test)))


# --- nn.utils ---------------------------------------------------------------------------------------


def test_clipping_lives_in_nn_utils_as_in_torch():
    assert nn.utils.clip_grad_norm_.__module__ == nn.utils.clip_grad_value_.__module__ == "nn.utils"
    # optim keeps no copy: it sits beside nn and does not import it
    assert not hasattr(optim, "clip_grad_norm_") and not hasattr(optim, "clip_grad_value_")


def small_model():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, bias=False))


def test_parameters_to_vector_concatenates_in_order_and_carries_gradients():
    model = small_model()
    params = list(model.parameters())
    vec = nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(np.asarray(vec), np.concatenate([np.asarray(p).ravel() for p in params]))
    weights = np.arange(vec.shape[0], dtype=np.float32)
    (vec * ag.from_numpy(weights)).sum().backward()
    start = 0
    for p in params:
        np.testing.assert_array_equal(np.asarray(p.grad), weights[start : start + p.numel()].reshape(p.shape))
        start += p.numel()


def test_vector_to_parameters_is_the_inverse():
    model = small_model()
    params = list(model.parameters())
    sizes = [p.numel() for p in params]
    new = np.random.default_rng(0).normal(size=sum(sizes))  # float64: each parameter keeps its float32
    nn.utils.vector_to_parameters(ag.tensor(new, requires_grad=True), model.parameters())
    for p, chunk in zip(params, np.split(new, np.cumsum(sizes)[:-1])):
        assert p.dtype == np.float32 and p.is_leaf and p.requires_grad
        np.testing.assert_array_equal(np.asarray(p), chunk.astype(np.float32).reshape(p.shape))
    np.testing.assert_array_equal(np.asarray(nn.utils.parameters_to_vector(params)), new.astype(np.float32))


def test_vector_utilities_refuse_bad_input():
    params = list(small_model().parameters())
    total = sum(p.numel() for p in params)
    with pytest.raises(ValueError, match=rf"vec has {total + 1} entries .* hold {total}"):
        nn.utils.vector_to_parameters(ag.zeros(total + 1), params)
    with pytest.raises(ValueError, match=r"1-d, got shape \(2, 3\)"):
        nn.utils.vector_to_parameters(ag.zeros(2, 3), params)
    with pytest.raises(TypeError, match="vec must be a Tensor, got ndarray"):
        nn.utils.vector_to_parameters(np.zeros(total), params)
    with pytest.raises(TypeError, match="parameter 1 is a str"):
        nn.utils.parameters_to_vector([params[0], "weight"])
    with pytest.raises(TypeError, match="got int"):
        nn.utils.parameters_to_vector(3)
    with pytest.raises(ValueError, match="no parameters"):
        nn.utils.parameters_to_vector([])
