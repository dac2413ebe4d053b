"""Adamax: Adam with the infinity norm in place of the root-mean-square of the gradients."""

from __future__ import annotations

from .optimizer import Group, Optimizer, Params, check_adam_group, lerp_


class Adamax(Optimizer):
    """With ``g`` the gradient (plus ``weight_decay * x``) at step ``t``:
    ``m = beta1 * m + (1 - beta1) * g``, ``u = max(beta2 * u, |g| + eps)`` and
    ``x -= lr / (1 - beta1**t) * m / u``."""

    tensor_state = True

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        check_adam_group("Adamax", group)

    def _update_group(self, group: Group) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        for p, g in self._gradients(group):
            state = self._count_step(p, "exp_avg", "exp_inf")
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            lerp_(exp_avg, g, 1 - beta1)
            exp_inf.copy_((exp_inf * beta2).maximum(g.abs() + eps))
            p.add_(exp_avg / exp_inf, alpha=-lr / (1 - beta1 ** state["step"]))
