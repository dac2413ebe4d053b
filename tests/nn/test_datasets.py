"""nn.datasets: shapes, dtypes, labels, determinism, disjoint splits and each set's defining property."""

import inspect
import os
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict

import numpy as np
import pytest

import nn
from nn import datasets
from nn.data import TensorDataset

TOY = {
    "moons": lambda **kw: datasets.moons(**kw),
    "circles": lambda **kw: datasets.circles(**kw),
    "circles3": lambda **kw: datasets.circles(classes=3, **kw),
    "spiral": lambda **kw: datasets.spiral(**kw),
    "spiral2": lambda **kw: datasets.spiral(classes=2, **kw),
    "smiley": lambda **kw: datasets.smiley(**kw),
    "smiley3": lambda **kw: datasets.smiley(classes=3, **kw),
    "smiley4": lambda **kw: datasets.smiley(classes=4, **kw),
}
CLASSES = {"moons": 2, "circles": 2, "circles3": 3, "spiral": 3, "spiral2": 2, "smiley": 2, "smiley3": 3, "smiley4": 4}


def _arrays(split):
    return [np.asarray(a) for a in split]


# --- the 2-D toy problems -----------------------------------------------------------------


@pytest.mark.parametrize("name", TOY)
def test_toy_shapes_dtypes_and_balanced_labels(name):
    split = TOY[name](n_train=101, n_test=40, seed=3)
    x_train, y_train, x_test, y_test = _arrays(split)
    k = CLASSES[name]
    assert split.num_classes == k
    assert x_train.shape == (101, 2) and x_test.shape == (40, 2)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64 and y_test.dtype == np.int64
    for y in (y_train, y_test):
        counts = np.bincount(y, minlength=k)
        assert len(counts) == k and counts.max() - counts.min() <= 1  # every class, in equal numbers
    assert np.isfinite(x_train).all()


@pytest.mark.parametrize("name", TOY)
def test_toy_is_deterministic_under_a_seed(name):
    a, b, c = TOY[name](seed=11), TOY[name](seed=11), TOY[name](seed=12)
    for u, v in zip(_arrays(a), _arrays(b)):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(np.asarray(a.x_train), np.asarray(c.x_train))


@pytest.mark.parametrize("name", TOY)
def test_toy_train_and_test_are_disjoint(name):
    x_train, _, x_test, _ = _arrays(TOY[name](seed=0))
    rows = {tuple(r) for r in x_train.tolist()}
    assert not any(tuple(r) in rows for r in x_test.tolist())
    assert len(rows) == len(x_train)


def test_split_unpacks_and_gives_datasets():
    split = datasets.moons(n_train=10, n_test=6)
    x_train, y_train, x_test, y_test = split
    assert x_train is split.x_train and y_train is split.y_train
    assert x_test is split.x_test and y_test is split.y_test
    assert isinstance(split.train, TensorDataset) and len(split.train) == 10 and len(split.test) == 6


def test_moons_lie_on_their_half_circles_without_noise():
    x, y, _, _ = _arrays(datasets.moons(n_train=300, noise=0.0))
    upper, lower = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1, atol=1e-6)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_circles_radii_without_noise():
    x, y, _, _ = _arrays(datasets.circles(n_train=300, classes=3, factor=0.4, noise=0.0))
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius, np.array([0.16, 0.4, 1.0])[y], atol=1e-6)


def test_spiral_arms_without_noise():
    classes, turns = 4, 1.25
    x, y, _, _ = _arrays(datasets.spiral(n_train=400, classes=classes, turns=turns, noise=0.0))
    x = x.astype(np.float64)
    r = np.hypot(x[:, 0], x[:, 1])
    assert (r <= 1 + 1e-6).all()
    keep = r > 1e-3  # the angle of a point at the centre is meaningless
    expected = 2 * np.pi * y / classes + 2 * np.pi * turns * r
    diff = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - expected)))
    np.testing.assert_allclose(diff[keep], 0, atol=1e-4)


def _nearest_neighbour_accuracy(x_train, y_train, x_test, y_test):
    d = ((x_test[:, None, :] - x_train[None, :, :]) ** 2).sum(-1)
    return (y_train[d.argmin(1)] == y_test).mean()


def _linear_accuracy(x_train, y_train, x_test, y_test, k):
    # Least squares on one-hot targets with a bias: the best a linear map does, near enough.
    design = np.c_[x_train, np.ones(len(x_train))]
    w = np.linalg.lstsq(design, np.eye(k)[y_train], rcond=None)[0]
    return ((np.c_[x_test, np.ones(len(x_test))] @ w).argmax(1) == y_test).mean()


@pytest.mark.parametrize("name", ["spiral", "spiral2", "circles", "smiley4"])
def test_toy_needs_a_nonlinear_classifier(name):
    arrays = [a.astype(np.float64) if a.dtype == np.float32 else a for a in _arrays(TOY[name](n_train=600, seed=1))]
    assert _nearest_neighbour_accuracy(*arrays) >= 0.95
    assert _linear_accuracy(*arrays, CLASSES[name]) <= 0.8


@pytest.mark.parametrize("classes", [2, 3, 4])
@pytest.mark.parametrize("gap", [0.05, 0.1])
def test_smiley_classes_are_separated_by_an_empty_gap(classes, gap):
    x, y, _, _ = _arrays(datasets.smiley(n_train=600, classes=classes, gap=gap, seed=2))
    x = x.astype(np.float64)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    different = y[:, None] != y[None, :]
    assert d[different].min() >= gap - 1e-6
    assert (np.abs(x) <= 1).all()


def test_smiley_face_layout():
    x, y, _, _ = _arrays(datasets.smiley(n_train=800, classes=4))
    left_eye, right_eye, mouth = x[y == 1], x[y == 2], x[y == 3]
    assert (left_eye[:, 0] < 0).all() and (left_eye[:, 1] > 0).all()
    assert (right_eye[:, 0] > 0).all() and (right_eye[:, 1] > 0).all()
    assert (mouth[:, 1] < 0).all()
    # A smile: the mouth's corners are higher than its middle.
    corners = mouth[np.abs(mouth[:, 0]) > 0.5, 1].mean()
    middle = mouth[np.abs(mouth[:, 0]) < 0.1, 1].mean()
    assert corners > middle + 0.2
    # Labelled 2 ways, the same face: eyes above, mouth below, background everywhere.
    x3, y3, _, _ = _arrays(datasets.smiley(n_train=800, classes=3))
    assert (x3[y3 == 1, 1] > 0).all() and (x3[y3 == 2, 1] < 0).all()
    background = x3[y3 == 0]
    assert background[:, 0].min() < -0.9 and background[:, 0].max() > 0.9


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: datasets.smiley(classes=5), "classes must be 2, 3 or 4, got 5"),
        (lambda: datasets.spiral(classes=1), "classes must be an int >= 2, got 1"),
        (lambda: datasets.moons(n_train=0), "n_train must be a positive int, got 0"),
        (lambda: datasets.circles(factor=1.5), r"factor must lie in \(0, 1\), got 1.5"),
        (lambda: datasets.moons(noise=-1.0), "noise must be a finite number >= 0, got -1.0"),
    ],
)
def test_toy_bad_arguments(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


# --- digits ----------------------------------------------------------------------------------


def test_digits_is_a_seeded_partition_of_the_shipped_images():
    from sklearn.datasets import load_digits

    reference = load_digits()
    split = datasets.digits(test_fraction=0.25, seed=5)
    x_train, y_train, x_test, y_test = _arrays(split)
    assert split.num_classes == 10
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.shape[1] == 64 and len(x_train) + len(x_test) == 1797
    assert len(x_test) == round(1797 * 0.25)
    assert 0 <= x_train.min() and x_train.max() <= 1 and x_train.max() == 1
    assert set(np.unique(y_train)) == set(range(10))
    # Together the splits are exactly the shipped set (each image once), so they are disjoint.
    ours = np.c_[np.r_[x_train, x_test] * 16, np.r_[y_train, y_test]]
    theirs = np.c_[reference.data, reference.target]
    np.testing.assert_array_equal(np.unique(ours, axis=0, return_counts=True)[1],
                                  np.unique(theirs, axis=0, return_counts=True)[1])
    np.testing.assert_array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])
    again, other = datasets.digits(test_fraction=0.25, seed=5), datasets.digits(test_fraction=0.25, seed=6)
    np.testing.assert_array_equal(np.asarray(again.x_test), x_test)
    assert not np.array_equal(np.asarray(other.y_test), y_test)


def test_digits_images_unscaled():
    split = datasets.digits(flatten=False, scale=False)
    assert split.x_train.shape[1:] == (8, 8) and float(np.asarray(split.x_train).max()) == 16.0


def test_digits_falls_back_to_load_digits_when_the_file_moves(monkeypatch):
    expected = datasets.digits(seed=2)
    real_isfile = os.path.isfile
    monkeypatch.setattr(os.path, "isfile", lambda p: not str(p).endswith("digits.csv.gz") and real_isfile(p))
    for a, b in zip(datasets.digits(seed=2), expected):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_digits_without_scikit_learn_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.digits()


# --- vocabularies and the character corpus -----------------------------------------------------


def test_vocab_encode_decode():
    chars = datasets.Vocab("abc ")
    ids = chars.encode("cab a")
    assert ids.dtype == np.int64 and ids.tolist() == [2, 0, 1, 3, 0]
    assert chars.decode(ids) == "cab a" and len(chars) == 4
    words = datasets.Vocab(["good", "not"], separator=" ", pad="<pad>")
    assert words.pad_id == 0 and words.encode("not good").tolist() == [2, 1]
    assert words.decode([0, 0, 2, 1]) == "not good"
    with pytest.raises(ValueError, match=r"\['x', 'z'\]"):
        chars.encode("zax")
    with pytest.raises(ValueError, match="4"):
        chars.decode([1, 4])
    with pytest.raises(ValueError, match="'a' appears twice"):
        datasets.Vocab("aba")


@pytest.fixture(scope="module")
def corpus():
    return datasets.stdlib_docstrings()


def test_corpus_is_the_stdlib_docstrings(corpus):
    import json
    import textwrap as textwrap_module

    assert 150_000 < len(corpus.text) < 400_000
    docs = (json.__doc__, json.dumps.__doc__, textwrap_module.dedent.__doc__, textwrap_module.TextWrapper.wrap.__doc__)
    for doc in docs:
        assert inspect.cleandoc(doc) in corpus.text
    assert corpus.text.index(inspect.cleandoc(json.__doc__)) < corpus.text.index(
        inspect.cleandoc(textwrap_module.dedent.__doc__))  # modules in the documented order
    assert all(c == "\n" or (c.isascii() and c.isprintable()) for c in set(corpus.text))


def test_corpus_is_deterministic_and_splits_the_text(corpus):
    again = datasets.stdlib_docstrings()
    assert again.text == corpus.text and again.vocab.itos == corpus.vocab.itos
    assert corpus.vocab.itos == sorted(set(corpus.text))
    ids = np.r_[np.asarray(corpus.train), np.asarray(corpus.test)]
    assert ids.dtype == np.int64
    assert corpus.vocab.decode(ids) == corpus.text
    assert abs(len(corpus.test) - 0.1 * len(ids)) <= 1


def test_corpus_windows_are_teacher_forced_pairs(corpus):
    x, y = corpus.windows(16)
    ids = np.asarray(corpus.train)
    assert x.shape == y.shape == ((len(ids) - 1) // 16, 16) and x.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(x)[3], ids[48:64])
    np.testing.assert_array_equal(np.asarray(y)[3], ids[49:65])
    xs, ys = corpus.windows(8, split="test", stride=3)
    test_ids = np.asarray(corpus.test)
    np.testing.assert_array_equal(np.asarray(xs)[2], test_ids[6:14])
    np.testing.assert_array_equal(np.asarray(ys)[:, :-1], np.asarray(xs)[:, 1:])
    with pytest.raises(ValueError, match="'valid'"):
        corpus.windows(8, split="valid")


def test_corpus_options():
    short = datasets.stdlib_docstrings(modules=("json", "textwrap"), max_chars=5000, test_fraction=0.2)
    assert len(short.text) == 5000 and len(short.test) == 1000
    with pytest.raises(ValueError, match=r"test_fraction.*1.5"):
        datasets.stdlib_docstrings(test_fraction=1.5)


def test_corpus_under_python_oo_explains_the_missing_docstrings():
    code = textwrap.dedent("""
        import nn
        try:
            nn.datasets.stdlib_docstrings()
        except RuntimeError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "-OO" in out.stdout


# --- the negation sentiment task ----------------------------------------------------------------

POSITIVE = {"good", "great", "excellent", "fun", "wonderful", "brilliant", "enjoyable", "superb"}
NEGATIVE = {"bad", "awful", "boring", "terrible", "dull", "weak", "poor", "dreadful"}


def _sentences(data, split="train"):
    x = np.asarray(data.x_train if split == "train" else data.x_test)
    y = np.asarray(data.y_train if split == "train" else data.y_test)
    return [data.vocab.decode(row).split() for row in x], y


def _read_in_order(words):
    """Polarity of the first phrase: its adjective, flipped by a 'not' earlier in the phrase."""
    negated = False
    for w in words:
        if w == "not":
            negated = True
        if w in POSITIVE or w in NEGATIVE:
            return int((w in POSITIVE) != negated)
    raise AssertionError(f"no adjective in {words}")


@pytest.fixture(scope="module")
def sentiment():
    return datasets.negation_sentiment(n_train=4000, n_test=4000, seed=0)


def test_sentiment_shapes_padding_and_lengths(sentiment):
    x, y = np.asarray(sentiment.x_train), np.asarray(sentiment.y_train)
    assert x.shape == (4000, 14) and x.dtype == np.int64 and y.dtype == np.int64
    assert sentiment.x_test.shape == (4000, 14) and sentiment.num_classes == 2
    assert set(np.unique(y)) == {0, 1} and abs(y.mean() - 0.5) < 0.05
    lengths = np.asarray(sentiment.lengths_train)
    np.testing.assert_array_equal(lengths, (x != 0).sum(1))
    # Left padding: every sequence ends with its last word.
    assert (x[:, -1] != 0).all()
    assert all((row[: 14 - n] == 0).all() for row, n in zip(x, lengths))
    assert sentiment.vocab.pad_id == 0 and x.max() < len(sentiment.vocab)


def test_sentiment_right_padding_holds_the_same_sentences():
    left = datasets.negation_sentiment(n_train=50, n_test=10, seed=4)
    right = datasets.negation_sentiment(n_train=50, n_test=10, seed=4, padding="right", max_len=20)
    assert right.x_train.shape == (50, 20) and (np.asarray(right.x_train)[:, 0] != 0).all()
    assert _sentences(left)[0] == _sentences(right)[0]


def test_sentiment_is_deterministic_and_splits_are_disjoint(sentiment):
    again = datasets.negation_sentiment(n_train=4000, n_test=4000, seed=0)
    np.testing.assert_array_equal(np.asarray(again.x_train), np.asarray(sentiment.x_train))
    np.testing.assert_array_equal(np.asarray(again.y_test), np.asarray(sentiment.y_test))
    other = datasets.negation_sentiment(n_train=4000, n_test=4000, seed=1)
    assert not np.array_equal(np.asarray(other.x_train), np.asarray(sentiment.x_train))
    train = {tuple(r) for r in np.asarray(sentiment.x_train).tolist()}
    test = {tuple(r) for r in np.asarray(sentiment.x_test).tolist()}
    assert len(train) == 4000 and len(test) == 4000 and not train & test


def test_sentiment_labels_follow_word_order(sentiment):
    for split in ("train", "test"):
        words, y = _sentences(sentiment, split)
        assert [_read_in_order(w) for w in words] == y.tolist()


def _bag_features(data, split):
    x = np.asarray(data.x_train if split == "train" else data.x_test)
    counts = np.zeros((len(x), len(data.vocab)))
    np.add.at(counts, (np.arange(len(x))[:, None], x), 1)
    counts[:, 0] = 0  # padding is not a word
    return counts


def test_sentiment_bag_of_words_cannot_beat_its_bound(sentiment):
    bound = sentiment.bag_of_words_bound
    assert bound == 0.75
    y_train, y_test = np.asarray(sentiment.y_train), np.asarray(sentiment.y_test)
    words, _ = _sentences(sentiment)

    # 1. The rule that, for each set of sentiment words ("not" and the adjectives, order
    # ignored), predicts the label most frequent in train; scored on test.
    def key(sentence):
        return tuple(sorted(w for w in sentence if w in POSITIVE | NEGATIVE | {"not"}))

    groups = defaultdict(Counter)
    for sentence, label in zip(words, y_train):
        groups[key(sentence)][label] += 1
    test_words, _ = _sentences(sentiment, "test")
    predicted = [groups[key(s)].most_common(1)[0][0] if key(s) in groups else 1 for s in test_words]
    assert bound - 0.03 <= np.mean(np.array(predicted) == y_test) <= bound + 0.03

    # 2. A classifier of all word counts and their pairwise products (it can represent
    # "not" x adjective): ridge regression onto the labels, fitted on train, scored on test.
    rows, cols = np.triu_indices(len(sentiment.vocab))

    def features(split):
        counts = _bag_features(sentiment, split)
        return np.c_[counts, counts[:, rows] * counts[:, cols], np.ones(len(counts))]

    f_train, f_test = features("train"), features("test")
    w = np.linalg.solve(f_train.T @ f_train + 1e-3 * np.eye(f_train.shape[1]), f_train.T @ (y_train - 0.5))
    train_acc = ((f_train @ w > 0) == y_train).mean()
    test_acc = ((f_test @ w > 0) == y_test).mean()
    assert train_acc >= bound - 0.02  # strong enough to find all a bag of words can know ...
    assert test_acc <= bound + 0.03  # ... and no more


@pytest.mark.parametrize("ambiguous", [0.0, 1.0])
def test_sentiment_ambiguity_sets_the_bound(ambiguous):
    data = datasets.negation_sentiment(n_train=1000, n_test=10, ambiguous=ambiguous, seed=3)
    assert data.bag_of_words_bound == 1 - ambiguous / 2
    words, y = _sentences(data)
    n_phrases = np.array([sum(w in POSITIVE | NEGATIVE for w in s) for s in words])
    assert (n_phrases == (2 if ambiguous else 1)).all()
    keys = [tuple(sorted(w for w in s if w in POSITIVE | NEGATIVE | {"not"})) for s in words]
    groups = defaultdict(Counter)
    for key, label in zip(keys, y):
        groups[key][label] += 1
    best = sum(c.most_common(1)[0][1] for c in groups.values()) / len(keys)
    if ambiguous == 0:
        assert best == 1.0
    else:
        assert best < 0.6


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"ambiguous": 1.5}, r"ambiguous must lie in \[0, 1\], got 1.5"),
        ({"padding": "middle"}, "'middle'"),
        ({"max_len": 10}, "max_len 10.*14"),
        ({"n_train": 60000, "ambiguous": 0.0}, "60500 one-phrase sentences"),
    ],
)
def test_sentiment_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        datasets.negation_sentiment(**kwargs)


def test_exported_from_nn():
    assert nn.datasets is datasets
