"""Whether operations record a graph: a per-thread switch, like torch's grad mode."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="_BareDecorator")


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
        return _decorate(fn, self.mode)


class _BareDecorator(_GradMode):
    """A mode that also decorates without parentheses (``@no_grad``), as in torch."""

    @overload
    def __new__(cls: type[M], fn: None = None) -> M: ...
    @overload  # @no_grad without parentheses: the function itself comes back, decorated, which
    def __new__(cls, fn: F) -> F: ...  # type: ignore[misc]  # Python allows and mypy refuses
    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        mode = super().__new__(cls)
        return mode if fn is None else mode(fn)


def _decorate(fn: F, mode: bool) -> F:
    """``fn`` run in the mode; a generator function runs each step of its body in the mode,
    and the code that consumes it in whatever mode it has."""
    if not callable(fn):
        raise TypeError(f"a grad mode decorates a function, got {type(fn).__name__} {fn!r}")

    def step(resume: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        prev = _state.enabled
        _state.enabled = mode
        try:
            return resume(*args, **kwargs)
        finally:
            _state.enabled = prev

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            gen = fn(*args, **kwargs)
            try:
                response = step(gen.send, None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        step(gen.close)
                        raise
                    except BaseException as error:  # thrown in by the consumer: the body handles it
                        response = step(gen.throw, error)
                    else:
                        response = step(gen.send, request)
            except StopIteration as stop:
                return stop.value

        return cast(F, generator)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return step(fn, *args, **kwargs)

    return cast(F, wrapper)


class no_grad(_BareDecorator):
    """Inside, no op records a graph: parameter updates, evaluation."""

    mode = False


class enable_grad(_BareDecorator):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off.

    As a plain call it takes effect at once (as in torch); as a context manager it
    restores the previous mode on exit; as a decorator it leaves the caller's mode alone.
    """

    def __init__(self, mode: bool) -> None:
        if callable(mode):
            raise TypeError("set_grad_enabled(mode) takes a bool; to decorate, write @set_grad_enabled(False)")
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self) -> None:
        pass  # already switched in __init__; __exit__ restores self.prev

    def __call__(self, fn: F) -> F:
        _state.enabled = self.prev
        return super().__call__(fn)
