"""RAdam: Adam whose adaptive step is switched on only once the variance of its second-moment
estimate is tractable, and then scaled down by a rectification factor."""

from __future__ import annotations

import math

from .optimizer import Group, Optimizer, Params, check_adam_group, decay_average_, lerp_


class RAdam(Optimizer):
    """With ``g`` the gradient at step ``t``, ``m`` and ``v`` as in Adam, ``m_hat = m / (1 - beta1**t)``,
    ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``:
    while ``rho_t <= 5``, ``x -= lr * m_hat``; after, ``x -= lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)``
    with ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.

    ``weight_decay`` adds ``weight_decay * x`` to ``g``, or with ``decoupled_weight_decay``
    multiplies ``x`` by ``1 - lr * weight_decay`` instead (as AdamW does)."""

    tensor_state = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        check_adam_group("RAdam", group)

    def _update_group(self, group: Group) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        rho_inf = 2 / (1 - beta2) - 1
        for p, g in self._gradients(group, decoupled_decay=group["decoupled_weight_decay"]):
            state = self._count_step(p, "exp_avg", "exp_avg_sq")
            t = state["step"]
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            lerp_(exp_avg, g, 1 - beta1)
            decay_average_(exp_avg_sq, g * g, beta2)
            bias_correction2 = 1 - beta2**t
            step = exp_avg / (1 - beta1**t) * lr
            rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
            # NOTE: rho_t is the length of the simple moving average that v stands for; while it
            # is 4 or less the variance of the adaptive step is infinite, so (with the margin the
            # paper and torch take) the step is plain momentum until rho_t passes 5.
            if rho_t > 5:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                step = step * (math.sqrt(bias_correction2) / (exp_avg_sq.sqrt() + eps)) * rect
            p.sub_(step)
