"""Anomaly detection: find the op whose gradient first turned NaN or infinite.

While ``detect_anomaly()`` is on, every recorded op notes where in the user's code it
was created and the shapes of its inputs; during backward the engine checks each gradient
an op returns for an input that needs one, and the first one holding NaN or inf raises
``AnomalyError`` naming the op, its input shapes and that line. An error raised inside an
op's backward (a value modified in place, a graph already freed, a user Function's own
bug) gets a note naming the line that created the op, as torch's anomaly mode prints the
forward traceback. Off (the default), the only cost is one flag test per recorded op and
per node.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, TypeVar, cast

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames from these directories are the library's own; the creation site is the first other one.
_LIBRARY_DIRS = tuple(os.path.join(_ROOT, name) + os.sep for name in ("autograd", "nn", "optim", "ndgrad"))
_CLI_DIR = _LIBRARY_DIRS[-1]
# The ways into the command line: code reached only through them is the CLI's own training
# loop (`ndgrad train`), which is then the closest thing to the user's code there is.
_CLI_ENTRIES = (os.path.join(_CLI_DIR, "cli.py"), os.path.join(_CLI_DIR, "__main__.py"))
# Python 3.11 attaches notes to exceptions; 3.10 gets the note appended to the message.
_HAS_NOTES = hasattr(BaseException, "add_note")


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

    ``check_nan=False`` records creation sites without checking values: errors raised inside
    a backward still name the line that created the op.
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

        return cast(F, wrapper)


Site = tuple[str, int, str, tuple[Any, ...]]


def creation_site(args: Sequence[Any]) -> Site:
    """(file, line, function, input shapes) of the op being recorded, called by ``Function.apply``.

    The line is the innermost frame outside the library (autograd, nn, optim, ndgrad), unless
    that frame reached the library only through the ndgrad command line: then it is the
    innermost ndgrad frame. ``args`` are the op's positional arguments; each gets its shape,
    or None if it is not a tensor (or array).
    """
    frame: FrameType | None = sys._getframe(1)
    shapes = tuple(_shape(a) for a in args)
    cli: FrameType | None = None
    inside: FrameType | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS):
            break
        if cli is None and filename.startswith(_CLI_DIR):
            cli = frame
        inside = frame
        frame = frame.f_back
    if cli is not None and (frame is None or (inside is not None and inside.f_code.co_filename in _CLI_ENTRIES)):
        frame = cli
    if frame is None:
        return ("<unknown>", 0, "", shapes)
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, shapes)


def _shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, np.ndarray):
        return value.shape
    data = getattr(value, "_data", None)
    if isinstance(data, np.ndarray):  # a Tensor
        return data.shape
    if isinstance(data, float) and hasattr(value, "grad_fn"):  # a Scalar
        return ()
    return None


def check_gradients(node: Any, results: tuple[Any, ...]) -> None:
    """Raise AnomalyError if a gradient ``node.backward`` returned for an input that needs one
    holds NaN or inf (what it returns for the others is never used)."""
    edges = node.edges()
    for i, g in enumerate(results):
        if g is None or edges[i] is None:
            continue
        values = np.asarray(getattr(g, "_data", g))
        if values.dtype.kind in "fc" and not np.isfinite(values).all():
            kind = "NaN" if np.isnan(values).any() else "inf"
            raise AnomalyError(
                f"{node.name()} returned a gradient with {kind} for its input {i} "
                f"(gradient shape {tuple(values.shape)}; input shapes {_input_shapes(node)}). "
                f"The op was created at {_where(node)}"
            )


def note_backward_error(error: BaseException, node: Any) -> None:
    """Add to ``error``, raised while ``node`` was backpropagated, the line that created it."""
    if isinstance(error, AnomalyError):
        return  # it names the op already
    note = (
        f"(anomaly mode) raised while backpropagating through {node.name()} (input shapes {_input_shapes(node)}), "
        f"whose op was created at {_where(node)}"
    )
    if _HAS_NOTES:
        error.add_note(note)  # type: ignore[attr-defined]  # Python 3.11+, as _HAS_NOTES checked
    elif len(error.args) == 1 and isinstance(error.args[0], str):
        error.args = (f"{error.args[0]}\n{note}",)
    else:  # an exception with other arguments: keep them, and the note where 3.11 would put it
        error.__notes__ = [*getattr(error, "__notes__", ()), note]  # type: ignore[attr-defined]  # 3.11's field


def _input_shapes(node: Any) -> list[Any]:
    """The shapes of all the op's inputs (None for one that is not a tensor), as recorded; for an
    op created before anomaly mode was on, those of the inputs that need a gradient."""
    site = node.creation_site()
    if site is not None:
        return list(site[3])
    return [None if edge is None else edge[2] for edge in node.edges()]


def _where(node: Any) -> str:
    site = node.creation_site()
    if not site:
        return "unknown (the op was created before detect_anomaly() was switched on)"
    return f"{site[0]}, line {site[1]}, in {site[2]}: {_source_line(site[0], site[1])}"


def _source_line(filename: str, lineno: int) -> str:
    return linecache.getline(filename, lineno).strip() or "<source not available>"
