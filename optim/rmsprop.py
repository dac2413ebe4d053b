"""RMSprop: steps scaled by a running root-mean-square of the gradient."""

from __future__ import annotations

import numpy as np

from .optimizer import Group, Optimizer, Params, check_number


class RMSprop(Optimizer):
    """With ``g`` the gradient (plus ``weight_decay * x``): ``s = alpha * s + (1 - alpha) * g**2``,
    ``d = sqrt(s) + eps`` (``centered``: ``sqrt(s - a**2) + eps`` with ``a`` the running mean
    of ``g``), then ``x -= lr * g / d``, or with ``momentum`` ``b = momentum * b + g / d``
    and ``x -= lr * b``."""

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize, capturable=capturable, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_number("RMSprop", name, group[name])

    def _update_group(self, group: Group) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum = float(group["momentum"])
        for p, x, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(x)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(x)
            if group["centered"] and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(x)
            state["step"] += 1
            g = self._effective_grad(x, grad, float(group["weight_decay"]), group["maximize"])
            tmp = self._buffer(x, 1)
            s = state["square_avg"]
            s *= alpha
            np.multiply(g, g, out=tmp)
            tmp *= 1 - alpha
            s += tmp
            if group["centered"]:
                a = state["grad_avg"]
                np.subtract(g, a, out=tmp)  # a moves (1 - alpha) of the way to g
                tmp *= 1 - alpha
                a += tmp
                np.multiply(a, a, out=tmp)
                np.subtract(s, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += tmp
                np.multiply(buf, -lr, out=tmp)
            else:
                tmp *= -lr
            p.add_(tmp)
