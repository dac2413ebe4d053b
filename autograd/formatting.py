"""How a tensor's values are printed: torch's format, so that a ported script prints what it did."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

_PRECISION, _THRESHOLD, _EDGEITEMS = 4, 1000, 3
LINEWIDTH = 80


def format_array(data: np.ndarray) -> str:
    """The body of a tensor's repr in torch's format: one width for all elements; floats as
    integers with a point (``1.``) when all are integral, else with 4 decimals, or in scientific
    notation when their magnitudes span more than 1000x (or exceed 1e8, or go below 1e-4);
    more than 1000 elements summarised by the first and last 3 along each dim."""
    summarize = data.size > _THRESHOLD
    format_value, width = _value_formatter(_summarized(data) if summarize else data)
    return _format_nested(data, format_value, width, len("tensor("), summarize)


def _value_formatter(data: np.ndarray) -> tuple[Callable[[Any], str], int]:
    """How to print each element, and the width they share (nan and inf may exceed it)."""
    values = data.reshape(-1)
    if data.dtype.kind != "f":
        width = max(len(str(v)) for v in values.tolist())
        return (lambda v: str(v).rjust(width)), width
    finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
    if finite.size == 0:
        mode, width = "int", 1
    else:
        big, small = np.abs(finite).max(), np.abs(finite).min()
        integral = bool(np.all(finite == np.ceil(finite)))
        scientific = big / small > 1000.0 or big > 1.0e8 or (not integral and small < 1.0e-4)
        mode = "sci" if scientific else "int" if integral else "fixed"
        formatted = [_format_float(v, mode) for v in finite.tolist()]
        width = max(len(f) for f in formatted)
    return (lambda v: _format_float(v, mode).rjust(width)), width


def _format_float(value: float, mode: str) -> str:
    if mode == "sci":
        return f"{value:.{_PRECISION}e}"
    if mode == "fixed":
        return f"{value:.{_PRECISION}f}"
    return f"{value:.0f}" + ("" if np.isinf(value) or np.isnan(value) else ".")


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements a summarised repr shows: the first and last few along each dim."""
    for axis, n in enumerate(data.shape):
        if n > 2 * _EDGEITEMS:
            keep = np.r_[0:_EDGEITEMS, n - _EDGEITEMS : n]
            data = np.take(data, keep, axis=axis)
    return data


def _format_nested(
    data: np.ndarray, format_value: Callable[[Any], str], width: int, indent: int, summarize: bool
) -> str:
    """One dim at a time: elements wrapped at the line width, rows one to a line, blocks of
    higher dims apart by blank lines, and ``...`` for what a summary leaves out."""
    if data.ndim == 0:
        return format_value(data.item())
    n = data.shape[0]
    shown = [*range(_EDGEITEMS), None, *range(n - _EDGEITEMS, n)] if summarize and n > 2 * _EDGEITEMS else range(n)
    if data.ndim == 1:
        items = data.tolist()
        parts = [" ..." if i is None else format_value(items[i]) for i in shown]
        per_line = max(1, (LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(parts[k : k + per_line]) for k in range(0, len(parts), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    slices = [
        "..." if i is None else _format_nested(data[i], format_value, width, indent + 1, summarize) for i in shown
    ]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(slices) + "]"
