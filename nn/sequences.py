"""Batching sequences of different lengths (torch's ``nn.utils.rnn``): pad them to a common
length, or pack them so that each time step holds only the sequences still running.

A packed batch (``PackedSequence``) lists, time step after time step, the entries of the
sequences that are that long, longest sequence first; ``batch_sizes[t]`` says how many there
are at step t. Everything here is built from indexing, ``cat`` and ``stack``, so gradients
flow back to the sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

import autograd as ag
from autograd import Tensor

from .errors import DomainError, ShapeError

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence"]


class PackedSequence(NamedTuple):
    """A packed batch: ``data`` (the entries, step by step), ``batch_sizes`` (int64, entries per
    step), and the permutation that sorted the batch by decreasing length with its inverse
    (None when the batch came sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _pad_to(sequences: Sequence[Tensor], length: int, batch_first: bool, padding_value: float,
            padding_side: str, op: str) -> Tensor:
    if padding_side not in ("right", "left"):
        raise ValueError(f"{op}: padding_side must be 'right' or 'left', got {padding_side!r}")
    if not sequences:
        raise ShapeError(f"{op}: no sequences given")
    trailing = None
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"{op}: sequence {i} is a {type(s).__name__}, not a tensor")
        if s.ndim == 0 or (trailing is not None and s.shape[1:] != trailing):
            raise ShapeError(f"{op}: sequences must be (length, *) with the same trailing dims, got shapes "
                             f"{[tuple(s.shape) for s in sequences]}")
        trailing = s.shape[1:]
    padded = []
    for s in sequences:
        gap = length - s.shape[0]
        if gap:
            fill = ag.full((gap, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = ag.cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return ag.stack(padded, dim=0 if batch_first else 1)


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Tensors of shapes (L_i, *) stacked into (max L_i, batch, *), or (batch, max L_i, *) with
    ``batch_first``, the shorter ones padded with ``padding_value`` on ``padding_side``."""
    sequences = list(sequences)
    longest = max((s.shape[0] for s in sequences if isinstance(s, Tensor) and s.ndim), default=0)
    return _pad_to(sequences, longest, batch_first, padding_value, padding_side, "pad_sequence")


def _lengths(lengths: Any, batch: int, steps: int) -> np.ndarray:
    values = np.asarray(lengths.detach() if isinstance(lengths, Tensor) else lengths)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise TypeError(f"pack_padded_sequence: lengths must be a 1-d list or tensor of ints, got {lengths!r}")
    if len(values) != batch:
        raise ShapeError(f"pack_padded_sequence: {len(values)} lengths for a batch of {batch}")
    if np.any(values <= 0):
        raise DomainError(f"pack_padded_sequence: every length must be positive, got {values.tolist()}")
    if np.any(values > steps):
        raise ShapeError(f"pack_padded_sequence: lengths {values.tolist()} exceed the input's {steps} steps")
    return values.astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths: Tensor | Sequence[int] | np.ndarray,  # noqa: A002
                         batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (steps, batch, *) (or (batch, steps, *) with ``batch_first``) whose
    sequence b has ``lengths[b]`` entries. ``enforce_sorted`` expects lengths in decreasing
    order; with False the batch is sorted here and the permutation kept in the result."""
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ShapeError(f"pack_padded_sequence: input must be a tensor of 2 or more dims, got {input!r}")
    batch_dim = 0 if batch_first else 1
    lengths = _lengths(lengths, input.shape[batch_dim], input.shape[1 - batch_dim])
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise DomainError(f"pack_padded_sequence: lengths {lengths.tolist()} are not in decreasing order; "
                              "sort the batch or pass enforce_sorted=False")
        order, sorted_indices, unsorted_indices = np.arange(len(lengths)), None, None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices, unsorted_indices = ag.tensor(order), ag.tensor(np.argsort(order))
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]).sum(axis=1)
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    members = order[np.concatenate([np.arange(n) for n in batch_sizes])]
    data = input[members, steps] if batch_first else input[steps, members]
    return PackedSequence(data, ag.tensor(batch_sizes.astype(np.int64)), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: the padded batch (in the original order) and the
    lengths (int64). ``total_length`` pads to that many steps (at least the longest)."""
    data, batch_sizes, _, unsorted_indices = sequence
    sizes = np.asarray(batch_sizes.detach())
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter than the longest "
                             f"sequence ({steps} steps)")
        steps = total_length
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # where each step's entries begin in data
    lengths = (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(axis=1)  # per sequence, longest first
    sequences = [data[starts[:n] + rank] for rank, n in enumerate(lengths)]
    padded = _pad_to(sequences, steps, batch_first, padding_value, "right", "pad_packed_sequence")
    if unsorted_indices is not None:
        order = np.asarray(unsorted_indices.detach())
        padded = padded[order] if batch_first else padded[:, order]
        lengths = lengths[order]
    return padded, ag.tensor(lengths.astype(np.int64))


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack tensors of shapes (L_i, *): ``pad_sequence`` then ``pack_padded_sequence``."""
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
