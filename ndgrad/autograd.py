"""``torch.autograd``: custom ops (``Function``), gradients (``grad``), gradient checks
(``gradcheck``, ``gradgradcheck``), derivatives of whole functions (``functional``: jacobian,
hessian, vjp, jvp, ...), the grad modes and anomaly detection; all from ``autograd``.

NOTE: torch's ``autograd.backward(tensors, grad_tensors)`` is not here: ``autograd`` has no
such function yet (it is being added); ``tensor.backward(gradient)`` does the same for one tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import (
    Context,
    Function,
    detect_anomaly,
    enable_grad,
    functional,
    grad,
    gradcheck,
    gradgradcheck,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

from ._aliases import register

register(f"{__name__}.functional", functional)

__all__ = [
    "Context", "Function", "detect_anomaly", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
    "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
]


class inference_mode:
    """``torch.inference_mode``: here the same as ``no_grad`` (ndgrad has no tensors reserved for
    inference); ``inference_mode(False)`` leaves the mode as it is. A context manager and a
    decorator, with or without parentheses."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # @inference_mode without parentheses
            return no_grad()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self._inner: no_grad | None = None

    def __enter__(self) -> None:
        if self.mode:
            self._inner = no_grad()
            self._inner.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._inner is not None:
            self._inner.__exit__(*exc)
            self._inner = None

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return no_grad()(fn) if self.mode else fn
