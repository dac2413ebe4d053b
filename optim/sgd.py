"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

import numpy as np

from .optimizer import Group, Optimizer, Params, check_number


class SGD(Optimizer):
    """``x -= lr * d`` where ``d`` is the gradient (plus ``weight_decay * x``), or with
    ``momentum`` the buffer ``b = momentum * b + (1 - dampening) * g`` (``b = g`` on the
    first step), or with ``nesterov`` the look-ahead ``g + momentum * b``."""

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        for name in ("lr", "momentum", "weight_decay"):
            check_number("SGD", name, group[name])
        check_number("SGD", "dampening", group["dampening"], minimum=-float("inf"))
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov needs momentum > 0 and dampening 0, got momentum={group['momentum']} "
                             f"and dampening={group['dampening']}")

    def _update_group(self, group: Group) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, nesterov = float(group["dampening"]), group["nesterov"]
        for p, x, grad in self._with_grads(group):
            d = self._effective_grad(x, grad, float(group["weight_decay"]), group["maximize"])
            tmp = self._buffer(x, 1)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = d.astype(x.dtype, copy=True)
                else:
                    buf *= momentum
                    if dampening == 0:
                        buf += d
                    else:
                        np.multiply(d, 1 - dampening, out=tmp)
                        buf += tmp
                if nesterov:
                    np.multiply(buf, momentum, out=tmp)
                    d = np.add(d, tmp, out=tmp)
                else:
                    d = buf
            np.multiply(d, -lr, out=tmp)
            p.add_(tmp)
