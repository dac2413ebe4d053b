"""Whether operations record a graph: a per-thread switch, like torch's grad mode."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    # A threading.local subclass: every new thread starts with recording on.
    enabled: bool = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record a graph (in this thread)."""
    return _state.enabled


class _GradMode:
    """A mode usable as a context manager and as a decorator."""

    mode: bool

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _state.enabled
            _state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Inside, no op records a graph: parameter updates, evaluation."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off.

    As a plain call it takes effect at once (as in torch); as a context manager it
    restores the previous mode on exit; as a decorator it leaves the caller's mode alone.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self) -> None:
        pass  # already switched in __init__; __exit__ restores self.prev

    def __call__(self, fn: F) -> F:
        _state.enabled = self.prev
        return super().__call__(fn)
