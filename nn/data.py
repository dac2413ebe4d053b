"""Feeding data to a model: ``TensorDataset``, ``Subset``, ``random_split`` and ``DataLoader``.

A dataset is anything with ``__len__`` and ``__getitem__(i)``; a ``DataLoader`` walks it in
batches. A dataset may also offer ``get_batch(indices)``, returning the whole batch at once;
``TensorDataset`` and ``Subset`` do, so a batch of them costs one fancy-index per tensor
instead of one ``__getitem__`` per sample and a stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

import autograd as ag
from autograd import Tensor

from .errors import ShapeError

__all__ = ["DataLoader", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset(Protocol):
    """What the classes here take as a dataset: anything with a length and samples by position
    (a list, a ``TensorDataset``, a class of your own)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class TensorDataset:
    """Samples made of rows of tensors: item ``i`` is ``(t[i] for t in tensors)``.

    Every tensor must have the same size in its first dim (the number of samples).
    NumPy arrays are accepted and wrapped without a copy.
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        converted = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = ag.from_numpy(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not a Tensor or ndarray")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; every tensor needs a first dim of samples")
            converted.append(t)
        sizes = [t.shape[0] for t in converted]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in converted)
            raise ShapeError(f"TensorDataset: tensors differ in their first dim (number of samples): shapes {shapes}")
        self.tensors: tuple[Tensor, ...] = tuple(converted)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The samples at ``indices`` (an int array), each tensor indexed once."""
        return tuple(t[indices] for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({len(self)} samples; shapes {shapes})"


class Subset:
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        _check_dataset(dataset, "Subset")
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a 1-d sequence of ints, got shape {idx.shape} dtype {idx.dtype}")
        idx = idx.astype(np.int64)
        n = len(dataset)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise IndexError(f"Subset: index {bad} is out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices = idx

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray) -> Any:
        mapped = self.indices[indices]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(mapped)
        return default_collate([self.dataset[int(i)] for i in mapped])

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], seed: int | None = None,
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into disjoint subsets of the given sizes.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1
    (the samples left over by rounding down go one each to the first subsets). The
    shuffle comes from ``seed``, or ``generator``, or autograd's global generator
    (``autograd.manual_seed``).
    """
    _check_dataset(dataset, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths):
        if any(not 0 <= x <= 1 for x in lengths) or not math.isclose(sum(lengths), 1.0, abs_tol=1e-9):
            raise ValueError(f"random_split: fractions {lengths} must each lie in [0, 1] and add up to 1")
        counts = [math.floor(n * x) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    elif all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts) or sum(counts) != n:
            raise ValueError(
                f"random_split: lengths {counts} must be non-negative and add up to the dataset's {n} samples"
            )
    else:
        raise TypeError(f"random_split: lengths must be all ints or all floats, got {lengths}")
    order = _rng(seed, generator, "random_split").permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


class DataLoader:
    """Iterate over a dataset in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
    generator=None, collate_fn=None, num_workers=0, pin_memory=False)``

    Each batch has the structure of one sample with every field stacked along a new first
    dim: a ``TensorDataset`` of ``(x, y)`` gives ``(x_batch, y_batch)`` tuples of Tensors.
    With ``shuffle`` every pass over the loader (every epoch) draws a new order; the
    orders come from ``seed`` (each loader then repeats the same sequence of epochs run
    after run), or from ``generator`` (a ``numpy.random.Generator``), or else from autograd's
    global generator, which ``autograd.manual_seed`` seeds. ``drop_last`` skips a final
    batch smaller than ``batch_size``. ``collate_fn`` turns a list of samples into a
    batch; when it is not given, datasets with ``get_batch`` build the batch themselves.
    ``num_workers`` and ``pin_memory`` are accepted for scripts ported from torch and change
    nothing: batches are always loaded in the calling process, into ordinary (CPU) memory.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        _check_dataset(dataset, "DataLoader")
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(num_workers, (int, np.integer)) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        self.num_workers, self.pin_memory = int(num_workers), bool(pin_memory)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        # Created once, so that successive epochs continue one random stream; None means the
        # global generator, looked up at each epoch since manual_seed replaces it.
        self._generator = None if seed is None and generator is None else _rng(seed, generator, "DataLoader")

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if self.shuffle:
            rng = self._generator if self._generator is not None else ag.generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        # The fast path: a dataset that builds its batches itself, when no collate_fn is given.
        get_batch = getattr(self.dataset, "get_batch", None) if self.collate_fn is None else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start : start + self.batch_size]
            if get_batch is not None:
                yield get_batch(indices)
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )


def default_collate(samples: list[Any]) -> Any:
    """Stack a list of samples into one batch with the samples' structure.

    Tensors are stacked along a new first dim (through the graph when any requires grad),
    NumPy arrays and numbers become tensors, tuples, lists and dicts are collated field by
    field, strings are kept as a list. Python numbers follow torch, which goes by the first
    sample: floats give float64, ints int64 (float32 if a float follows), bools bool.
    """
    if not samples:
        raise ValueError("default_collate: no samples to collate")
    first = samples[0]
    if isinstance(first, Tensor):
        tensors = [_expect(s, Tensor, samples) for s in samples]
        if any(t.requires_grad for t in tensors):
            return ag.stack(tensors)
        return ag.from_numpy(_stack_arrays([np.asarray(t) for t in tensors]))
    if isinstance(first, (np.ndarray, np.generic)):
        return ag.from_numpy(_stack_arrays([np.asarray(s) for s in samples]))
    if isinstance(first, bool):
        return ag.tensor([_expect(s, bool, samples) for s in samples])
    if isinstance(first, (int, float)):
        values = [_expect(s, (int, float), samples) for s in samples]
        if isinstance(first, float):
            return ag.tensor(values, dtype=np.float64)
        return ag.tensor(values, dtype=np.float32 if any(isinstance(v, float) for v in values) else np.int64)
    if isinstance(first, str):
        return [_expect(s, str, samples) for s in samples]
    if isinstance(first, Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        width = len(first)
        for s in samples:
            if not isinstance(s, (tuple, list)) or len(s) != width:
                raise ValueError(f"default_collate: samples differ in structure: {_summary(first)} and {_summary(s)}")
        return tuple(default_collate([s[i] for s in samples]) for i in range(width))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; pass a collate_fn")


def _stack_arrays(arrays: list[np.ndarray]) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: samples have different shapes {sorted(shapes)}; they cannot be stacked")
    return np.stack(arrays)


def _expect(value: Any, kind: Any, samples: list[Any]) -> Any:
    if not isinstance(value, kind):
        raise TypeError(
            f"default_collate: samples mix types {type(samples[0]).__name__} and {type(value).__name__}"
        )
    return value


def _summary(sample: Any) -> str:
    if isinstance(sample, (tuple, list)):
        return f"a {type(sample).__name__} of {len(sample)} fields"
    return f"a {type(sample).__name__}"


def _check_dataset(dataset: Any, who: str) -> None:
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(f"{who}: a dataset needs __len__ and __getitem__; got a {type(dataset).__name__}")


def _rng(seed: int | None, generator: np.random.Generator | None, who: str) -> np.random.Generator:
    if seed is not None and generator is not None:
        raise ValueError(f"{who}: give seed or generator, not both")
    if seed is not None:
        return np.random.default_rng(seed)
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{who}: generator must be a numpy.random.Generator, got {type(generator).__name__}")
    return generator if generator is not None else ag.generator()
