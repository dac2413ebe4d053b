"""NAdam: Adam with Nesterov momentum (the step looks ahead along the next momentum), and a
momentum coefficient that warms up over the first steps."""

from __future__ import annotations

from .optimizer import Group, Optimizer, Params, check_adam_group, check_number, decay_average_, lerp_


class NAdam(Optimizer):
    """With ``g`` the gradient at step ``t`` and ``mu_t = beta1 * (1 - 0.96**(t * momentum_decay) / 2)``:
    ``m`` and ``v`` as in Adam, ``d = sqrt(v / (1 - beta2**t)) + eps``, and
    ``x -= lr * ((1 - mu_t) / (1 - P_t) * g / d + mu_{t+1} / (1 - P_{t+1}) * m / d)``, where
    ``P_t`` is the product ``mu_1 * ... * mu_t`` (state ``mu_product``).

    ``weight_decay`` adds ``weight_decay * x`` to ``g``, or with ``decoupled_weight_decay``
    multiplies ``x`` by ``1 - lr * weight_decay`` instead (as AdamW does)."""

    tensor_state = True
    scalar_state = frozenset({"step", "mu_product"})

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        check_adam_group("NAdam", group)
        check_number("NAdam", "momentum_decay", group["momentum_decay"])

    def _update_group(self, group: Group) -> None:
        lr, eps, psi = float(group["lr"]), float(group["eps"]), float(group["momentum_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        for p, g in self._gradients(group, decoupled_decay=group["decoupled_weight_decay"]):
            state = self._count_step(p, "exp_avg", "exp_avg_sq")
            t = state["step"]
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            state["mu_product"] = state.get("mu_product", 1.0) * mu
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            lerp_(exp_avg, g, 1 - beta1)
            decay_average_(exp_avg_sq, g * g, beta2)
            denom = (exp_avg_sq / (1 - beta2**t)).sqrt() + eps
            p.add_(g / denom, alpha=-lr * (1 - mu) / (1 - state["mu_product"]))
            p.add_(exp_avg / denom, alpha=-lr * mu_next / (1 - state["mu_product"] * mu_next))
