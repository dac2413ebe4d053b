"""Forgetting the gradients that backward accumulated on leaves: what ``Module.zero_grad`` and
``Optimizer.zero_grad`` both do, kept here so that ``nn`` and ``optim`` need not know each other."""

from __future__ import annotations

from collections.abc import Iterable

from .grad_mode import no_grad
from .tensor import Tensor


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget the gradients of ``params``: set each ``.grad`` to None, or fill it with zeros in
    place, as torch does (the same tensor object, detached first if it carries a graph)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
            continue
        if p.grad.requires_grad:  # a gradient built with create_graph: keep its values, drop its history
            p.grad = p.grad.detach()
        with no_grad():
            p.grad.zero_()
