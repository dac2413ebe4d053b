"""Adadelta: steps whose size is the ratio of two running root-mean-squares, of past updates
and of past gradients, so that the units of the update match those of the parameters."""

from __future__ import annotations

from .optimizer import Group, Optimizer, Params, check_number, decay_average_


class Adadelta(Optimizer):
    """With ``g`` the gradient (plus ``weight_decay * x``): ``v = rho * v + (1 - rho) * g**2``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho * u + (1 - rho) * delta**2`` and
    ``x -= lr * delta``, where ``v`` and ``u`` start at zero."""

    tensor_state = True

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        for name in ("lr", "rho", "eps", "weight_decay"):
            check_number("Adadelta", name, group[name])
        if group["rho"] > 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']}")

    def _update_group(self, group: Group) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        for p, g in self._gradients(group):
            state = self._count_step(p, "square_avg", "acc_delta")
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            decay_average_(square_avg, g * g, rho)
            delta = (acc_delta + eps).sqrt() / (square_avg + eps).sqrt() * g
            decay_average_(acc_delta, delta * delta, rho)
            p.add_(delta, alpha=-lr)
