"""Adam (moment estimates with bias correction, optional AMSGrad) and AdamW (decoupled weight decay)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Group, Optimizer, Params, check_adam_group


class Adam(Optimizer):
    """With ``g`` the gradient (plus ``weight_decay * x``) at step ``t``:
    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2``, and
    ``x -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``; with
    ``amsgrad`` the running maximum of ``v`` takes its place in the denominator."""

    decoupled_weight_decay = False

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        check_adam_group(type(self).__name__, group)

    def _update_group(self, group: Group) -> None:
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        for p, x, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(x)
                state["exp_avg_sq"] = np.zeros_like(x)
            if group["amsgrad"] and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(x)
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            if self.decoupled_weight_decay:
                if weight_decay != 0:
                    p.mul_(1 - lr * weight_decay)
                g = self._effective_grad(x, grad, 0.0, group["maximize"])
            else:
                g = self._effective_grad(x, grad, weight_decay, group["maximize"])
            tmp = self._buffer(x, 1)
            # m moves a fraction (1 - beta1) of the way to g: the same rounding as torch's lerp.
            np.subtract(g, m, out=tmp)
            tmp *= 1 - beta1
            m += tmp
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            if group["amsgrad"]:
                v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            np.sqrt(v, out=tmp)
            tmp /= math.sqrt(1 - beta2**t)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= -lr / (1 - beta1**t)
            p.add_(tmp)


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly, ``x *= 1 - lr * weight_decay``,
    instead of entering the gradient (and so the moment estimates)."""

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused)
