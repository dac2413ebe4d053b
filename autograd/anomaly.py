"""Anomaly detection: find the op whose gradient first turned NaN or infinite.

While ``detect_anomaly()`` is on, every recorded op notes where in the user's code it
was created; during backward the engine checks each gradient an op returns, and the first
one holding NaN or inf raises ``AnomalyError`` naming the op, its input shapes and that
line. Off (the default), the only cost is one flag test per recorded op and per node.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

# Frames from these directories are the library's own; the creation site is the first other one.
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name) + os.sep
    for name in ("autograd", "nn", "optim")
)


class _AnomalyState:
    enabled = False
    check_nan = True


state = _AnomalyState()


class AnomalyError(RuntimeError):
    """A gradient computed during backward holds NaN or inf (raised only under detect_anomaly)."""


def is_anomaly_enabled() -> bool:
    return state.enabled


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on (for the whole process).

    ``check_nan=False`` records creation sites (for error messages) without checking values.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def creation_site() -> tuple[str, int, str]:
    """(file, line, function) of the innermost frame outside the library."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ("<unknown>", 0, "")
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def check_gradients(node: Any, results: tuple[Any, ...]) -> None:
    """Raise AnomalyError if any gradient ``node.backward`` returned holds NaN or inf."""
    for i, g in enumerate(results):
        if g is None:
            continue
        values = np.asarray(getattr(g, "data", g))
        if values.dtype.kind in "fc" and not np.isfinite(values).all():
            kind = "NaN" if np.isnan(values).any() else "inf"
            site = node.__dict__.get("_anomaly_site")
            shapes = [edge[2] for edge in node.next_edges if edge is not None]
            where = (
                f"{site[0]}, line {site[1]}, in {site[2]}: {_source_line(site[0], site[1])}"
                if site
                else "unknown (the op was created before detect_anomaly() was switched on)"
            )
            raise AnomalyError(
                f"{node.name()} returned a gradient with {kind} for its input {i} "
                f"(gradient shape {tuple(values.shape)}; input shapes {shapes}). "
                f"The op was created at {where}"
            )


def _source_line(filename: str, lineno: int) -> str:
    import linecache

    return linecache.getline(filename, lineno).strip() or "<source not available>"
