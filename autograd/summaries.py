"""Summaries of a tensor's values that leave the graph: whether two tensors are close
(``allclose``, ``isclose``) and how values are spread (``histc``, ``histogram``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .shapes import broadcast_error
from .variable import Variable, data_of, wrap_array

if TYPE_CHECKING:
    from .tensor import Tensor


class Histogram(NamedTuple):
    """What ``histogram`` returns, as torch does: the count (or density) per bin, and the
    bins' edges (one more than the bins)."""

    hist: Tensor
    bin_edges: Tensor


def _values(x: Any, op: str, name: str) -> np.ndarray:
    if not isinstance(x, Variable):
        raise TypeError(f"{op}: {name} must be a tensor, got {type(x).__name__}")
    return np.asarray(data_of(x))


def _close_pair(input: Any, other: Any, op: str) -> tuple[np.ndarray, np.ndarray]:  # noqa: A002
    a, b = _values(input, op, "input"), _values(other, op, "other")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None
    return a, b


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor)."""
    a, b = _close_pair(input, other, "isclose")
    return wrap_array(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere."""
    a, b = _close_pair(input, other, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _floating_values(input: Any, op: str) -> np.ndarray:  # noqa: A002
    values = _values(input, op, "input")
    if values.dtype.kind != "f":
        raise TypeError(f"{op} counts floating-point values, got dtype {values.dtype}; convert first, e.g. .float()")
    return values


def _bin_count(bins: Any, op: str) -> int:
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool):
        raise TypeError(f"{op}: bins must be an int, got {type(bins).__name__} {bins!r}")
    if bins <= 0:
        raise ValueError(f"{op}: bins must be positive, got {bins}")
    return int(bins)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of values in ``bins`` equal bins from ``min`` to ``max`` (values outside are left
    out); ``min == max`` means the values' own range. The counts have input's dtype."""
    values = _floating_values(input, "histc")
    bins = _bin_count(bins, "histc")
    low, high = float(min), float(max)
    if low > high:
        raise ValueError(f"histc: min must not exceed max, got min={min} and max={max}")
    if low == high and values.size:
        low, high = float(values.min()), float(values.max())
    if low == high:  # one value (or none): a range around it, as torch
        low, high = low - 1, high + 1
    counts, _ = np.histogram(values, bins=bins, range=(low, high))
    return wrap_array(counts.astype(values.dtype))


def histogram(input: Tensor, bins: int | Tensor, *, range: tuple[float, float] | None = None,  # noqa: A002
              weight: Tensor | None = None, density: bool = False) -> Histogram:
    """The histogram of ``input``'s values: ``bins`` equal bins over ``range`` (the values'
    own range if None), or the bins between the increasing edges of a 1-d tensor ``bins``.
    With ``weight`` (input's shape), each value counts its weight; with ``density``, the
    histogram integrates to 1."""
    values = _floating_values(input, "histogram")
    binning: int | np.ndarray  # what np.histogram takes: a count, or the edges
    if isinstance(bins, Variable):
        binning = _floating_values(bins, "histogram")
        if binning.ndim != 1 or binning.size < 2 or np.any(np.diff(binning) < 0):
            raise ValueError(f"histogram: bin edges must be an increasing 1-d tensor of 2 or more, got {binning}")
    else:
        binning = _bin_count(bins, "histogram")
    if range is not None and not range[0] <= range[1]:
        raise ValueError(f"histogram: range must be (min, max) with min <= max, got {range}")
    weights = None
    if weight is not None:
        weights = _values(weight, "histogram", "weight")
        if weights.shape != values.shape:
            raise ValueError(f"histogram: weight has shape {weights.shape}, input {values.shape}; they must match")
    hist, edges = np.histogram(values, bins=binning, range=range, weights=weights, density=density)
    return Histogram(wrap_array(hist.astype(values.dtype)), wrap_array(edges.astype(values.dtype)))
