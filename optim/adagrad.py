"""Adagrad: per-coordinate steps shrinking with the sum of all squared gradients so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Group, Optimizer, Params, check_number


class Adagrad(Optimizer):
    """With ``g`` the gradient (plus ``weight_decay * x``) at step ``t``: ``s += g**2`` (``s``
    starts at ``initial_accumulator_value``) and ``x -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``."""

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # The accumulators exist from the start (as in torch), so state_dict() shows them before any step.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _check_group(self, group: Group) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", name, group[name])

    def _init_state(self, p: Tensor, group: Group) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.detach().numpy(), group["initial_accumulator_value"])
        return state

    def _update_group(self, group: Group) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        for p, x, grad in self._with_grads(group):
            state = self._init_state(p, group)
            state["step"] += 1
            g = self._effective_grad(x, grad, float(group["weight_decay"]), group["maximize"])
            tmp = self._buffer(x, 1)
            s = state["sum"]
            np.multiply(g, g, out=tmp)
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            tmp *= -lr / (1 + (state["step"] - 1) * lr_decay)
            p.add_(tmp)
