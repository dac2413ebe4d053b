"""``pad``: widen (or, with negative widths, crop) the trailing dims of a tensor, as
``torch.nn.functional.pad``, in four modes: ``constant`` (a fill value), ``reflect`` (mirrored
about the edge element, which is not repeated), ``replicate`` (the edge element repeated) and
``circular`` (wrapped around from the other end).

All four are composed of existing tensor ops, so their derivatives of every order come free:
a constant pad joins blocks of the fill value to each side (``cat``, whose backward slices),
and the other modes gather the input along each padded dim with an integer index that says
where each output position comes from (whose backward adds the gradients of positions that
came from the same element).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .errors import ShapeError

MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims of ``input``: ``pad`` = (before, after) for the last dim,
    then (before, after) for the one before it, and so on. Negative widths crop.

    ``constant`` pads any number of dims with ``value`` (0 by default). The other modes pad the
    last 1, 2 or 3 dims of an input with one or two dims more (a batch dim being optional), as
    torch does: reflect needs each width smaller than its dim, circular at most its dim.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(pad, (tuple, list)) or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise ValueError(f"pad: pad needs a (before, after) pair per dim, got {len(pad)} values {tuple(pad)}")
    if mode not in MODES:
        raise NotImplementedError(f"pad: mode must be one of {MODES}, got {mode!r}")
    dims = len(pad) // 2
    if dims > input.ndim:
        raise ValueError(f"pad: {dims} (before, after) pairs for an input of {input.ndim} dims {input.shape}")
    widths = tuple((int(pad[2 * i]), int(pad[2 * i + 1])) for i in reversed(range(dims)))
    if mode == "constant":
        return _constant(input, widths, 0.0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: a fill value ({value}) only applies to mode 'constant', not {mode!r}")
    if not 1 <= dims <= 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of an input with one or two dims more, "
            f"got {dims} pairs for an input of shape {input.shape}"
        )
    return padded(input, widths, mode, "pad")


def padded(x: Tensor, widths: tuple[tuple[int, int], ...], mode: str, op: str) -> Tensor:
    """``x`` padded along its last ``len(widths)`` dims, (before, after) each, in a mode other
    than constant."""
    first = x.ndim - len(widths)
    for axis, (before, after) in enumerate(widths, start=first):
        if before == after == 0:
            continue
        size = x.shape[axis]
        if mode == "circular":
            # torch wraps around what is left after a crop: crop first, then wrap.
            x = _crop(x, axis, before, after)
            size, before, after = x.shape[axis], max(before, 0), max(after, 0)
        _check_width(mode, before, after, size, axis, x.shape, op)
        x = x[(slice(None),) * axis + (source_positions(size, before, after, mode),)]
    return x


def source_positions(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of a dim of ``size`` padded by (before, after): the input position it
    shows, in a mode other than constant."""
    position = np.arange(-before, size + after)
    if mode == "reflect":
        position = np.abs(position)
        return np.where(position >= size, 2 * (size - 1) - position, position)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    return position % size  # circular


def _check_width(mode: str, before: int, after: int, size: int, axis: int, shape: tuple[int, ...], op: str) -> None:
    if mode == "reflect" and max(before, after) >= size:
        raise ShapeError(
            f"{op}: reflect padding ({before}, {after}) must be smaller than the input length {size} "
            f"(dim {axis} of shape {shape})"
        )
    if mode == "circular" and max(before, after) > size:
        raise ShapeError(
            f"{op}: circular padding ({before}, {after}) must not exceed the input length {size} "
            f"(dim {axis} of shape {shape}): it would wrap around more than once"
        )
    if size == 0:
        raise ShapeError(f"{op}: {mode} padding of dim {axis} needs at least one element, got shape {shape}")


def _constant(x: Tensor, widths: tuple[tuple[int, int], ...], value: Any) -> Tensor:
    first = x.ndim - len(widths)
    for axis, (before, after) in enumerate(widths, start=first):
        size = x.shape[axis]
        if size + before + after < 0:
            raise ShapeError(
                f"pad: dim {axis} of shape {x.shape} padded by ({before}, {after}) would have "
                f"{size + before + after} elements"
            )
        if before < 0 or after < 0:
            x = _crop(x, axis, before, after)
        pieces = [p for p in (_block(x, axis, before, value), x, _block(x, axis, after, value)) if p is not None]
        x = pieces[0] if len(pieces) == 1 else ag.cat(pieces, axis)
    return x


def _block(x: Tensor, axis: int, width: int, value: Any) -> Tensor | None:
    """A block of ``value``, ``width`` long along ``axis`` and as large as ``x`` elsewhere."""
    if width <= 0:
        return None
    return ag.full(x.shape[:axis] + (width,) + x.shape[axis + 1:], value, dtype=x.dtype)


def _crop(x: Tensor, axis: int, before: int, after: int) -> Tensor:
    """``x`` without the elements that negative widths remove from the ends of ``axis``."""
    return x[(slice(None),) * axis + (slice(max(-before, 0), x.shape[axis] - max(-after, 0)),)]
