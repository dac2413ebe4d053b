"""Built-in datasets, generated or loaded offline (nothing is ever downloaded).

Two-dimensional toy problems for classifiers you can plot:

- ``moons``: two interleaving half circles.
- ``circles``: concentric rings, one class per ring.
- ``spiral``: the spiral "galaxy", one class per arm.
- ``smiley``: the smiley of the lectures: eyes and a smiling mouth with straight edges.

Real and sequence data:

- ``digits``: the 8x8 handwritten digits that scikit-learn ships inside its wheel.
- ``stdlib_docstrings``: a character-level corpus from the docstrings of the standard library.
- ``negation_sentiment``: sentences whose sentiment hinges on word order ("not good").

Classification sets come as a ``Split``, which unpacks as
``x_train, y_train, x_test, y_test = nn.datasets.spiral(seed=0)``: features are float32
tensors, labels int64 tensors of class indices ``0 .. num_classes - 1``. Every generator
takes a ``seed`` and gives the same tensors for the same arguments; train and test are
drawn separately (generated sets) or are disjoint parts of one shuffle (digits).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .data import TensorDataset

__all__ = [
    "STDLIB_MODULES", "SequenceSplit", "Split", "TextCorpus", "Vocab", "circles", "digits", "moons",
    "negation_sentiment", "smiley", "spiral", "stdlib_docstrings",
]


@dataclass(frozen=True)
class Split:
    """Train and test tensors of a classification dataset.

    Unpacks as ``(x_train, y_train, x_test, y_test)``; ``train`` and ``test`` give them as
    ``TensorDataset`` s ready for a ``DataLoader``.
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    num_classes: int

    def __iter__(self) -> Iterator[Tensor]:
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    @property
    def train(self) -> TensorDataset:
        return TensorDataset(self.x_train, self.y_train)

    @property
    def test(self) -> TensorDataset:
        return TensorDataset(self.x_test, self.y_test)

    def __repr__(self) -> str:
        parts = [f"{name} {getattr(self, name).shape} {getattr(self, name).dtype}"
                 for name in ("x_train", "y_train", "x_test", "y_test")]
        return f"{type(self).__name__}({', '.join(parts)}, num_classes={self.num_classes})"


@dataclass(frozen=True, repr=False)
class SequenceSplit(Split):
    """A ``Split`` of padded token-id sequences ``(N, max_len)``, with their vocabulary.

    ``lengths_train``/``lengths_test`` hold each sequence's length before padding;
    ``bag_of_words_bound``, when known, is the best expected accuracy that a classifier
    of word counts (ignoring order) can reach.
    """

    vocab: Vocab
    lengths_train: Tensor
    lengths_test: Tensor
    bag_of_words_bound: float | None = None

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", vocab of {len(self.vocab)})"


# --- two-dimensional toy problems ------------------------------------------------------


def moons(n_train: int = 200, n_test: int = 200, noise: float = 0.1, seed: int | None = 0) -> Split:
    """Two interleaving half circles in 2-D, one class each (a classic that no line separates).

    Class 0 is the upper half of the unit circle, class 1 the lower half of a unit circle
    centred at (1, 0.5); points are spread uniformly along each arc, then Gaussian noise
    of standard deviation ``noise`` is added to both coordinates. Both splits hold the two
    classes in equal numbers (one more of class 0 when the count is odd).
    """
    _check_counts(n_train, n_test, "moons")
    _check_nonneg(noise, "noise", "moons")

    def make(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, 2, rng)
        t = rng.uniform(0.0, np.pi, n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)
        lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        x = np.where((y == 0)[:, None], upper, lower)
        return x + noise * rng.standard_normal((n, 2)), y

    return _generated(make, n_train, n_test, 2, seed)


def circles(
    n_train: int = 200, n_test: int = 200, classes: int = 2, factor: float = 0.5, noise: float = 0.05,
    seed: int | None = 0,
) -> Split:
    """Concentric circles in 2-D, one class per circle.

    Class ``k`` lies on the circle of radius ``factor ** (classes - 1 - k)``: the outermost
    class has radius 1 and each circle inside it is ``factor`` times smaller. Angles are
    uniform; Gaussian noise of standard deviation ``noise`` is added to both coordinates.
    """
    _check_counts(n_train, n_test, "circles")
    _check_classes(classes, "circles")
    _check_nonneg(noise, "noise", "circles")
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must lie in (0, 1), got {factor}")

    def make(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, classes, rng)
        radius = factor ** (classes - 1 - y)
        t = rng.uniform(0.0, 2 * np.pi, n)
        x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
        return x + noise * rng.standard_normal((n, 2)), y

    return _generated(make, n_train, n_test, classes, seed)


def spiral(
    n_train: int = 300, n_test: int = 300, classes: int = 3, noise: float = 0.2, turns: float = 0.75,
    seed: int | None = 0,
) -> Split:
    """The spiral "galaxy": ``classes`` arms winding out of the origin, one class per arm.

    A point of arm ``k`` at radius ``r`` (uniform in [0, 1]) sits at angle
    ``2 pi k / classes + 2 pi turns r``, plus Gaussian angular noise of standard deviation
    ``noise`` radians. The arms are ``2 pi / classes`` apart at every radius, so with a
    small ``noise`` the classes are separable, but only by a boundary that winds with
    them: a linear model is near chance, a small MLP can classify almost perfectly.
    """
    _check_counts(n_train, n_test, "spiral")
    _check_classes(classes, "spiral")
    _check_nonneg(noise, "noise", "spiral")

    def make(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = _balanced_labels(n, classes, rng)
        r = rng.uniform(0.0, 1.0, n)
        angle = 2 * np.pi * y / classes + 2 * np.pi * turns * r + noise * rng.standard_normal(n)
        return r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1), y

    return _generated(make, n_train, n_test, classes, seed)


# The smiley's parts, as (centre x, centre y, half-diagonal) for the diamond eyes and the
# V-shaped band of the mouth: y between SLOPE*|x| - LOW and SLOPE*|x| - HIGH for |x| <= WIDTH.
_EYES = ((-0.45, 0.35, 0.22), (0.45, 0.35, 0.22))
_MOUTH_SLOPE, _MOUTH_LOW, _MOUTH_HIGH, _MOUTH_WIDTH = 0.6, 0.8, 0.45, 0.7


def smiley(
    n_train: int = 400, n_test: int = 400, classes: int = 2, gap: float = 0.05, seed: int | None = 0
) -> Split:
    """The smiley of the lectures: a face in the square [-1, 1]^2 whose parts have straight edges.

    Two diamond-shaped eyes sit in the upper half, a smiling mouth (a V-shaped band) in
    the lower half. ``classes`` chooses the labelling:

    - 2: background 0, face parts (eyes and mouth) 1;
    - 3: background 0, eyes 1, mouth 2;
    - 4: background 0, left eye 1, right eye 2, mouth 3.

    Every boundary is a straight line, so a shallow ReLU network can fit the data
    exactly. Points closer than ``gap / 2`` to a boundary are left out, so a thin band of
    width ``gap`` with no points separates the classes (points of different classes are
    at least ``gap`` apart). Points are drawn uniformly within each class, with the
    classes in equal numbers.
    """
    _check_counts(n_train, n_test, "smiley")
    if classes not in (2, 3, 4):
        raise ValueError(f"smiley: classes must be 2, 3 or 4, got {classes}")
    _check_nonneg(gap, "gap", "smiley")
    if gap >= 0.2:
        raise ValueError(f"smiley: gap {gap} would swallow the eyes and mouth; use a gap below 0.2")

    def make(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.bincount(_balanced_labels(n, classes, rng), minlength=classes)
        chosen: list[list[np.ndarray]] = [[] for _ in range(classes)]
        have = np.zeros(classes, dtype=np.int64)
        while (have < wanted).any():
            # Rejection sampling: draw in the square, keep points of classes still short.
            points = rng.uniform(-1.0, 1.0, (4096, 2))
            labels, clearance = _smiley_parts(points, classes)
            points, labels = points[clearance >= gap / 2], labels[clearance >= gap / 2]
            for k in range(classes):
                take = points[labels == k][: wanted[k] - have[k]]
                chosen[k].append(take)
                have[k] += len(take)
        x = np.concatenate([np.concatenate(c) for c in chosen])
        y = np.repeat(np.arange(classes), wanted)
        order = rng.permutation(n)
        return x[order], y[order]

    return _generated(make, n_train, n_test, classes, seed)


def _smiley_parts(points: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels of ``points`` and a lower bound on their distance to the nearest boundary.

    Each part is an intersection or union of half-planes; the signed distance to a
    half-plane is linear, and min/max of such functions stay 1-Lipschitz, so the absolute
    value of the combined function never exceeds the true distance to the part's edge.
    """
    x, y = points[:, 0], points[:, 1]
    eyes = [(size - np.abs(x - cx) - np.abs(y - cy)) / np.sqrt(2) for cx, cy, size in _EYES]
    norm = np.sqrt(1 + _MOUTH_SLOPE**2)
    above_low = (y - _MOUTH_SLOPE * np.abs(x) + _MOUTH_LOW) / norm  # above a V: both half-planes
    below_high = np.maximum(  # below a V: either half-plane
        (_MOUTH_SLOPE * x - _MOUTH_HIGH - y) / norm, (-_MOUTH_SLOPE * x - _MOUTH_HIGH - y) / norm
    )
    mouth = np.minimum(np.minimum(above_low, below_high), _MOUTH_WIDTH - np.abs(x))
    part_ids = {2: (1, 1, 1), 3: (1, 1, 2), 4: (1, 2, 3)}[classes]
    labels = np.zeros(len(points), dtype=np.int64)
    for field, label in zip([*eyes, mouth], part_ids):
        labels[field > 0] = label
    clearance = np.min(np.abs(np.stack([*eyes, mouth])), axis=0)
    return labels, clearance


# --- 8x8 digits --------------------------------------------------------------------------


def digits(test_fraction: float = 0.2, seed: int | None = 0, flatten: bool = True, scale: bool = True) -> Split:
    """The 1797 handwritten digits (8x8 pixels, classes 0-9) that ship with scikit-learn.

    The images come from the UCI "optical recognition of handwritten digits" set, and are
    read from the copy inside the installed scikit-learn package (``pip install
    scikit-learn``, or ``pip install -e '.[test]'``); nothing is downloaded. A seeded
    shuffle puts ``test_fraction`` of them in the test split. Pixels are intensities 0-16,
    divided by 16 when ``scale``; ``flatten`` gives features ``(N, 64)``, otherwise
    images ``(N, 8, 8)``.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must lie in (0, 1), got {test_fraction}")
    images, y = _shipped_digits()
    images = images.astype(np.float32)
    if scale:
        images = images / np.float32(16.0)
    x = images.reshape(len(images), -1) if flatten else images
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return Split(ag.from_numpy(x[train]), ag.from_numpy(y[train]), ag.from_numpy(x[test]),
                 ag.from_numpy(y[test]), 10)


def _shipped_digits() -> tuple[np.ndarray, np.ndarray]:
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ImportError(
            "nn.datasets.digits() reads the 8x8 digits shipped with scikit-learn, which is not installed; "
            "install it with `pip install scikit-learn` (or `pip install -e '.[test]'`)"
        )
    # Read the file that sklearn.datasets.load_digits reads, without importing scikit-learn
    # (seconds, for scipy and friends); if a release moves it, ask load_digits.
    for location in spec.submodule_search_locations or []:
        path = os.path.join(location, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target, dtype=np.int64)


# --- vocabularies --------------------------------------------------------------------------


class Vocab:
    """A bijection between tokens and ids ``0 .. len(vocab) - 1``.

    ``Vocab(tokens, separator="", pad=None)``: with ``separator=""`` the tokens are
    characters and ``encode("abc")`` reads one per character; with ``separator=" "`` they
    are words and ``encode`` splits text on whitespace. ``decode`` joins with the
    separator. ``pad``, if given, is a token with id 0 that ``decode`` leaves out.
    """

    def __init__(self, tokens: Iterable[str], separator: str = "", pad: str | None = None) -> None:
        self.separator = separator
        self.pad = pad
        self.itos: list[str] = []
        self.stoi: dict[str, int] = {}
        for token in [*([pad] if pad is not None else []), *tokens]:
            if not isinstance(token, str):
                raise TypeError(f"Vocab: tokens must be strings, got {token!r}")
            if token in self.stoi:
                raise ValueError(f"Vocab: token {token!r} appears twice")
            self.stoi[token] = len(self.itos)
            self.itos.append(token)

    @property
    def pad_id(self) -> int | None:
        return None if self.pad is None else 0

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def tokenize(self, text: str) -> list[str]:
        return list(text) if self.separator == "" else text.split()

    def encode(self, text: str | Sequence[str]) -> Tensor:
        """Ids of ``text`` (a string, or a sequence of tokens) as a 1-d int64 tensor."""
        tokens = self.tokenize(text) if isinstance(text, str) else list(text)
        unknown = sorted({t for t in tokens if t not in self.stoi})
        if unknown:
            raise ValueError(f"Vocab.encode: tokens not in the vocabulary of {len(self)}: {unknown[:10]}")
        return ag.tensor(np.fromiter((self.stoi[t] for t in tokens), dtype=np.int64, count=len(tokens)))

    def decode(self, ids: Tensor | Sequence[int] | np.ndarray) -> str:
        """Text of a 1-d sequence of ids (a tensor, array or list); padding is left out."""
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ValueError(f"Vocab.decode: expects a 1-d sequence of ids, got shape {arr.shape}")
        if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= len(self)):
            raise ValueError(f"Vocab.decode: ids must be ints in [0, {len(self) - 1}], got {arr.tolist()[:10]}...")
        return self.separator.join(self.itos[i] for i in arr.tolist() if self.pad is None or i != 0)

    def __repr__(self) -> str:
        shown = ", ".join(repr(t) for t in self.itos[:8])
        return f"Vocab({len(self)} tokens: {shown}{', ...' if len(self) > 8 else ''})"


# --- character-level corpus -------------------------------------------------------------------

STDLIB_MODULES = (
    "abc", "argparse", "base64", "bisect", "calendar", "collections", "colorsys", "contextlib", "copy", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "enum", "fnmatch", "fractions", "functools", "getopt",
    "gettext", "glob", "heapq", "hmac", "html", "inspect", "ipaddress", "json", "keyword", "linecache", "numbers",
    "operator", "optparse", "pprint", "queue", "random", "reprlib", "sched", "secrets", "shlex", "statistics",
    "string", "struct", "textwrap", "timeit", "tokenize", "traceback", "types", "typing", "unittest", "uuid",
    "warnings", "weakref", "zipfile",
)  # pure-Python or cross-platform modules, so the text does not depend on the operating system


@dataclass(frozen=True)
class TextCorpus:
    """Text for a character-level language model, encoded.

    ``text`` is the whole corpus; ``train`` and ``test`` are 1-d int64 tensors of character
    ids (the first and last parts of the text); ``vocab`` encodes and decodes.
    """

    text: str
    vocab: Vocab
    train: Tensor
    test: Tensor

    def __repr__(self) -> str:
        return (f"TextCorpus({len(self.text)} characters, {len(self.vocab)} distinct; train {len(self.train)}, "
                f"test {len(self.test)})")

    def windows(self, seq_len: int, split: str = "train", stride: int | None = None) -> tuple[Tensor, Tensor]:
        """Inputs and next-character targets ``(x, y)``, each ``(N, seq_len)`` int64.

        ``x[i]`` is ``seq_len`` characters starting at ``i * stride`` (default: ``seq_len``,
        non-overlapping windows) and ``y[i]`` is the same window shifted one character on,
        the teacher-forced targets of the lectures' RNN language model.
        """
        if split not in ("train", "test"):
            raise ValueError(f"windows: split must be 'train' or 'test', got {split!r}")
        stride = seq_len if stride is None else stride
        if seq_len < 1 or stride < 1:
            raise ValueError(f"windows: seq_len and stride must be positive, got {seq_len} and {stride}")
        ids = np.asarray(self.train if split == "train" else self.test)
        if len(ids) < seq_len + 1:
            raise ValueError(f"windows: the {split} split has {len(ids)} characters, too few for seq_len {seq_len}")
        starts = np.arange(0, len(ids) - seq_len, stride)
        positions = starts[:, None] + np.arange(seq_len)
        return ag.from_numpy(ids[positions]), ag.from_numpy(ids[positions + 1])


def stdlib_docstrings(
    modules: Sequence[str] = STDLIB_MODULES, test_fraction: float = 0.1, ascii_only: bool = True,
    max_chars: int | None = None,
) -> TextCorpus:
    """A character corpus from the docstrings of standard-library modules (about 220,000 characters).

    For each module in ``modules``, in order: the module's docstring, then the docstrings
    of its public classes and functions (sorted by name; a class followed by its public
    methods), each cleaned of indentation and separated by blank lines. The text is the
    same on every run and platform for a given Python version; it needs no download,
    only docstrings, which ``python -OO`` strips (then this raises RuntimeError).
    ``ascii_only`` drops characters other than printable ASCII and newlines;
    ``max_chars`` truncates. The last ``test_fraction`` of the text is the test split.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"stdlib_docstrings: test_fraction must lie in (0, 1), got {test_fraction}")
    if sys.flags.optimize >= 2:
        raise RuntimeError("stdlib_docstrings: Python runs with -OO, which strips the docstrings this corpus is "
                           "made of; run without -OO")
    parts = []
    for name in modules:
        module = importlib.import_module(name)
        docs = [module.__doc__]
        with warnings.catch_warnings():
            # Merely looking at some deprecated aliases (typing.io) warns.
            warnings.simplefilter("ignore", DeprecationWarning)
            for attr, obj in sorted(vars(module).items()):
                if attr.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                    continue
                if obj.__module__ != name:
                    continue
                docs.append(obj.__doc__)
                if inspect.isclass(obj):
                    for method_name, method in sorted(vars(obj).items()):
                        if not method_name.startswith("_") and inspect.isfunction(method):
                            docs.append(method.__doc__)
        parts.append("\n\n".join(inspect.cleandoc(d) for d in docs if d))
    text = "\n\n".join(p for p in parts if p)
    if ascii_only:
        text = "".join(c for c in text if c == "\n" or (c.isascii() and c.isprintable()))
    if max_chars is not None:
        text = text[:max_chars]
    if len(text) < 2:
        raise ValueError(f"stdlib_docstrings: the modules {list(modules)} have no docstrings")
    vocab = Vocab(sorted(set(text)))
    ids = np.asarray(vocab.encode(text))
    n_train = len(ids) - max(1, round(len(ids) * test_fraction))
    return TextCorpus(text, vocab, ag.from_numpy(ids[:n_train]), ag.from_numpy(ids[n_train:]))


# --- synthetic sentiment with negation ------------------------------------------------------------

_LEADS = ("", "honestly", "overall", "frankly", "basically", "well")
_ASPECTS = ("movie", "film", "plot", "acting", "cast", "script", "music", "ending", "story", "dialogue", "pacing",
            "soundtrack")
_VERBS = ("was", "is", "seemed", "felt", "looked", "sounded")
_INTENSIFIERS = ("", "really", "very", "truly", "quite", "so")
_POSITIVE = ("good", "great", "excellent", "fun", "wonderful", "brilliant", "enjoyable", "superb")
_NEGATIVE = ("bad", "awful", "boring", "terrible", "dull", "weak", "poor", "dreadful")
_SENTIMENT_MAX_LEN = 14  # lead + "the A V not I adj" + "and" + "the A V not I adj"


def negation_sentiment(
    n_train: int = 2000, n_test: int = 500, ambiguous: float = 0.5, max_len: int = _SENTIMENT_MAX_LEN,
    padding: str = "left", seed: int | None = 0,
) -> SequenceSplit:
    """Movie-review sentences whose sentiment (0 negative, 1 positive) depends on word order.

    A *phrase* is ``the <aspect> <verb> [not] [<intensifier>] <adjective>``; its polarity is
    the adjective's, flipped by "not" ("the plot was not really good" is negative). A
    sentence is an optional neutral lead word and

    - one phrase (a fraction ``1 - ambiguous`` of sentences), labelled by its polarity; or
    - two phrases joined by "and" (a fraction ``ambiguous``), one with a positive and one
      with a negative adjective and exactly one "not": "the plot was not good and the cast
      was bad" is negative, "the plot was good and the cast was not bad" positive. Both
      phrases agree, and the label is decided by which adjective the "not" precedes.

    A bag of words sees the same words in both kinds of two-phrase sentence, with either
    label equally likely, so no classifier of word counts beats ``1 - ambiguous / 2``
    expected accuracy (0.75 by default; the result's ``bag_of_words_bound``), while a model that reads
    in order (an RNN) can reach 100%. Aspects, verbs, intensifiers and lead words are drawn
    independently of the label. No sentence occurs twice, so train and test are disjoint.

    Sequences are token ids padded with id 0 to ``max_len`` on the left by default, so
    that an RNN's last step sees the last word (``padding="right"`` pads at the end).
    """
    _check_counts(n_train, n_test, "negation_sentiment")
    if not 0 <= ambiguous <= 1:
        raise ValueError(f"negation_sentiment: ambiguous must lie in [0, 1], got {ambiguous}")
    if padding not in ("left", "right"):
        raise ValueError(f"negation_sentiment: padding must be 'left' or 'right', got {padding!r}")
    if max_len < _SENTIMENT_MAX_LEN:
        raise ValueError(f"negation_sentiment: max_len {max_len} is shorter than the longest sentence "
                         f"({_SENTIMENT_MAX_LEN} words)")
    rng = np.random.default_rng(seed)
    n_double = [round(n * ambiguous) for n in (n_train, n_test)]
    n_single = [n - d for n, d in zip((n_train, n_test), n_double)]
    capacity = len(_LEADS) * len(_ASPECTS) * len(_VERBS) * 2 * len(_INTENSIFIERS) * (len(_POSITIVE) + len(_NEGATIVE))
    if sum(n_single) > capacity // 2:
        raise ValueError(f"negation_sentiment: {sum(n_single)} one-phrase sentences asked for, more than half of the "
                         f"{capacity} distinct ones; lower n_train/n_test or raise ambiguous")
    seen: set[tuple[str, ...]] = set()
    splits = []
    for singles, doubles in zip(n_single, n_double):
        sentences = _unique(_one_phrase, singles, rng, seen) + _unique(_two_phrases, doubles, rng, seen)
        order = rng.permutation(len(sentences))
        splits.append([sentences[i] for i in order])
    known = {"the", "not", "and", *_ASPECTS, *_VERBS, *_POSITIVE, *_NEGATIVE, *_LEADS, *_INTENSIFIERS} - {""}
    vocab = Vocab(sorted(known), separator=" ", pad="<pad>")
    tensors = []
    for sentences in splits:
        ids = np.zeros((len(sentences), max_len), dtype=np.int64)
        lengths = np.array([len(words) for words, _ in sentences], dtype=np.int64)
        for i, (words, _) in enumerate(sentences):
            row = [vocab.stoi[w] for w in words]
            if padding == "left":
                ids[i, max_len - len(row) :] = row
            else:
                ids[i, : len(row)] = row
        labels = np.array([label for _, label in sentences], dtype=np.int64)
        tensors.append((ag.from_numpy(ids), ag.from_numpy(labels), ag.from_numpy(lengths)))
    (x_tr, y_tr, len_tr), (x_te, y_te, len_te) = tensors
    return SequenceSplit(x_tr, y_tr, x_te, y_te, 2, vocab, len_tr, len_te, bag_of_words_bound=1 - ambiguous / 2)


def _phrase(rng: np.random.Generator, adjective: str, negated: bool) -> list[str]:
    intensifier = _pick(rng, _INTENSIFIERS)
    return ["the", _pick(rng, _ASPECTS), _pick(rng, _VERBS), *(["not"] if negated else []),
            *([intensifier] if intensifier else []), adjective]


def _lead(rng: np.random.Generator) -> list[str]:
    lead = _pick(rng, _LEADS)
    return [lead] if lead else []


def _one_phrase(rng: np.random.Generator) -> tuple[list[str], int]:
    positive_word, negated = bool(rng.integers(2)), bool(rng.integers(2))
    adjective = _pick(rng, _POSITIVE if positive_word else _NEGATIVE)
    return _lead(rng) + _phrase(rng, adjective, negated), int(positive_word != negated)


def _two_phrases(rng: np.random.Generator) -> tuple[list[str], int]:
    label = int(rng.integers(2))
    good = _phrase(rng, _pick(rng, _POSITIVE), negated=label == 0)  # "not good" makes it negative
    bad = _phrase(rng, _pick(rng, _NEGATIVE), negated=label == 1)  # "not bad" makes it positive
    first, second = (good, bad) if rng.integers(2) else (bad, good)
    return _lead(rng) + first + ["and"] + second, label


def _unique(
    make: Callable[[np.random.Generator], tuple[list[str], int]], n: int, rng: np.random.Generator,
    seen: set[tuple[str, ...]],
) -> list[tuple[list[str], int]]:
    out: list[tuple[list[str], int]] = []
    while len(out) < n:
        words, label = make(rng)
        if tuple(words) not in seen:
            seen.add(tuple(words))
            out.append((words, label))
    return out


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


# --- helpers ------------------------------------------------------------------------------------


def _generated(
    make: Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]], n_train: int, n_test: int,
    num_classes: int, seed: int | None,
) -> Split:
    rng = np.random.default_rng(seed)
    x_train, y_train = make(n_train, rng)
    x_test, y_test = make(n_test, rng)
    return Split(
        ag.from_numpy(x_train.astype(np.float32)), ag.from_numpy(y_train.astype(np.int64)),
        ag.from_numpy(x_test.astype(np.float32)), ag.from_numpy(y_test.astype(np.int64)), num_classes,
    )


def _balanced_labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels with the classes as equal in number as possible, in random order."""
    return rng.permutation(np.arange(n) % classes)


def _check_counts(n_train: Any, n_test: Any, who: str) -> None:
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {n!r}")


def _check_classes(classes: Any, who: str) -> None:
    if not isinstance(classes, (int, np.integer)) or isinstance(classes, bool) or classes < 2:
        raise ValueError(f"{who}: classes must be an int >= 2, got {classes!r}")


def _check_nonneg(value: float, name: str, who: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{who}: {name} must be a finite number >= 0, got {value!r}")
