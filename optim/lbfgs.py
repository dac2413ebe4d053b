"""L-BFGS: a quasi-Newton method. Each step builds its direction from the last
``history_size`` changes of the parameters and of the gradient (an implicit approximation of
the inverse Hessian), and moves either by a fixed ``lr`` or by a strong-Wolfe line search.
It evaluates the loss several times per ``step``, through a closure.

All parameters are handled as one flat vector (their values in order, as ``cat`` of the
flattened tensors), the way the algorithm is stated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple, NoReturn, overload

import numpy as np

from autograd import Tensor, cat, enable_grad, no_grad, tensor, zeros

from .optimizer import Group, Optimizer, Params, T, _array, _number, check_int, check_number

LINE_SEARCHES = (None, "strong_wolfe")
# State entries that are counts (the others are numbers, flat tensors or lists of either).
_COUNTS = ("func_evals", "n_iter")


class LBFGS(Optimizer):
    """Minimize the loss that ``step(closure)`` evaluates; one ``step`` runs up to ``max_iter``
    iterations and ``max_eval`` evaluations of the closure (default ``max_iter * 5 // 4``).

    Each iteration moves along ``d = -H g`` (``H`` from the stored pairs of parameter and
    gradient changes, scaled by their last curvature; ``d = -g`` at the very first one) by
    ``lr`` (the first step of all by ``min(1, 1 / sum|g|) * lr``), or by the step a strong-Wolfe
    line search finds when ``line_search_fn="strong_wolfe"``. It stops early when the largest
    gradient entry is at most ``tolerance_grad``, or the move or the change of the loss is
    below ``tolerance_change``. State carries over between calls of ``step``.

    Takes one parameter group; parameters without a gradient count as a zero gradient.
    """

    tensor_state = True

    def __init__(self, params: Params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_int("LBFGS", "max_iter", max_iter, minimum=1)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _check_group(self, group: Group) -> None:
        check_number("LBFGS", "lr", group["lr"])
        for name in ("max_iter", "max_eval", "history_size"):
            check_int("LBFGS", name, group[name], minimum=1)
        for name in ("tolerance_grad", "tolerance_change"):
            check_number("LBFGS", name, group[name])
        if group["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS takes one parameter group (it keeps one history for all its parameters), "
                             "so parameters cannot be added in a second group")
        super().add_param_group(param_group)

    # --- the step -------------------------------------------------------------------------
    @overload
    def step(self, closure: None = None) -> NoReturn: ...
    @overload
    def step(self, closure: Callable[[], T]) -> T: ...
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` iterations; returns the loss ``closure`` gave at the starting point.

        ``closure`` must zero the gradients, compute the loss, call ``backward()`` and return
        the loss; it is called with gradient recording on.
        """
        if closure is None:
            raise TypeError("LBFGS.step needs a closure: a function that zeroes the gradients, computes the "
                            "loss, calls backward() and returns the loss")
        with no_grad():
            return self._iterate(closure)

    def _iterate(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr, history_size = float(group["lr"]), group["history_size"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = float(group["tolerance_grad"]), float(group["tolerance_change"])
        # As in torch, the state lives with the first parameter.
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss, g = self._loss_and_grad(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        if _max_abs(g) <= tolerance_grad:
            return first_loss  # already stationary: nothing to do, and no state to change

        d, t = state.get("d"), state.get("t")
        # torch's names: old_dirs holds the gradient changes y, old_stps the parameter changes s.
        grad_changes, moves, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_g, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        for iteration in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                grad_changes, moves, ro, h_diag = [], [], [], 1.0
            else:  # the history an earlier iteration left, in this step or (through the state) an earlier one
                assert d is not None and t is not None and prev_g is not None and h_diag is not None
                assert grad_changes is not None and moves is not None and ro is not None
                y, s = g - prev_g, d * t
                ys = y.dot(s).item()
                # NOTE: a pair is kept only if it shows positive curvature: otherwise the
                # implied inverse Hessian is not positive definite and d may not descend.
                if ys > 1e-10:
                    if len(grad_changes) == history_size:
                        del grad_changes[0], moves[0], ro[0]
                    grad_changes.append(y)
                    moves.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y).item()
                al = state.setdefault("al", [None] * history_size)
                d = _two_loop(g, grad_changes, moves, ro, h_diag, al)
            prev_g, prev_loss = g, loss
            # The very first move is scaled down when the gradient is large (nothing is known
            # yet of the curvature); later ones take the step the quasi-Newton model proposes.
            t = min(1.0, 1.0 / g.abs().sum().item()) * lr if state["n_iter"] == 1 else lr
            gtd = g.dot(d).item()
            if gtd > -tolerance_change:
                break  # d does not lead downhill (by more than the tolerance)
            converged, new_evals = False, 0
            if group["line_search_fn"] == "strong_wolfe":
                start = [p.detach().clone() for p in self._params]
                along_d = partial(self._loss_and_grad_at, closure, start, d=d)
                loss, g, t, new_evals = strong_wolfe(along_d, t, d, loss, g, gtd)
                self._move(t, d)
                converged = _max_abs(g) <= tolerance_grad
            else:
                self._move(t, d)
                if iteration != max_iter:  # the last iteration's loss would not be used
                    out, g = self._loss_and_grad(closure)
                    loss, new_evals = float(out), 1
                    converged = _max_abs(g) <= tolerance_grad
            evals += new_evals
            state["func_evals"] += new_evals
            if iteration == max_iter or evals >= max_eval or converged:
                break
            if _max_abs(d) * t <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # the move or the change of the loss is negligible
        state.update(d=d, t=t, old_dirs=grad_changes, old_stps=moves, ro=ro, H_diag=h_diag, prev_flat_grad=prev_g,
                     prev_loss=prev_loss)
        return first_loss

    # --- the parameters as one vector -------------------------------------------------------
    def _loss_and_grad(self, closure: Callable[[], Any]) -> tuple[Any, Tensor]:
        with enable_grad():
            loss = closure()
        return loss, self._flat_grad()

    def _flat_grad(self) -> Tensor:
        return cat([zeros(p.numel(), dtype=p.dtype) if p.grad is None else p.grad.detach().reshape(-1)
                    for p in self._params])

    def _move(self, t: float, d: Tensor) -> None:
        """x += t * d, with the flat ``d`` cut into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].reshape(p.shape), alpha=t)
            offset += n

    def _loss_and_grad_at(self, closure: Callable[[], Any], start: list[Tensor], t: float,
                          d: Tensor) -> tuple[float, Tensor]:
        """The loss and flat gradient at ``start + t * d``; the parameters are put back at ``start``."""
        self._move(t, d)
        loss, g = self._loss_and_grad(closure)
        for p, x in zip(self._params, start):
            p.copy_(x)
        return float(loss), g

    # --- saving and loading -----------------------------------------------------------------
    def _restore_state(self, p: Tensor, name: str, value: Any) -> Any:
        """Counts as ints, scalars (``t``, ``ro``, ``H_diag``, ...; torch's 0-d tensors too) as
        floats, vectors as flat tensors of the parameters' length and dtype, lists item by item."""
        if isinstance(value, (list, tuple)):
            return [self._restore_state(p, name, v) for v in value]
        if isinstance(value, (Tensor, np.ndarray)) and _array(value).ndim > 0:
            array = _array(value)
            size = sum(q.numel() for q in self._params)
            if array.shape != (size,):
                raise ValueError(f"LBFGS state {name!r} has shape {array.shape}, but the parameters hold {size} "
                                 "values in all")
            return tensor(array, dtype=np.result_type(*(q.dtype for q in self._params)))
        return _number(value, integer=name in _COUNTS)


def _max_abs(x: Tensor) -> float:
    return float(x.abs().max().item())


def _two_loop(g: Tensor, grad_changes: list[Tensor], moves: list[Tensor], ro: list[float], h_diag: float,
              al: list[Any]) -> Tensor:
    """``-H g``, for the inverse-Hessian approximation ``H`` that starts from ``h_diag * I`` and
    takes in each pair (move s, gradient change y) in turn; ``ro`` holds ``1 / (y . s)``.
    This is the two-loop recursion (Nocedal & Wright, Algorithm 7.4); ``al`` receives the
    coefficients of the first loop."""
    q = -g
    for i in reversed(range(len(grad_changes))):
        al[i] = moves[i].dot(q).item() * ro[i]
        q.sub_(grad_changes[i], alpha=al[i])
    r = q * h_diag
    for i in range(len(grad_changes)):
        beta = grad_changes[i].dot(r).item() * ro[i]
        r.add_(moves[i], alpha=al[i] - beta)
    return r


class _Point(NamedTuple):
    """A trial step ``t`` of a line search, with the loss ``f``, flat gradient ``g`` and slope ``gtd = g . d`` there."""

    t: float
    f: float
    g: Tensor
    gtd: float


def strong_wolfe(evaluate: Callable[[float], tuple[float, Tensor]], t: float, d: Tensor, f: float, g: Tensor,
                 gtd: float, c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, Tensor, float, int]:
    """Search along ``d``, from step ``t``, for a step that satisfies the strong Wolfe conditions:
    sufficient decrease ``f(t) <= f + c1 * t * gtd`` and a flattened slope
    ``|g(t) . d| <= c2 * |gtd|``, where ``f``, ``g`` and ``gtd`` are the loss, gradient and
    slope at step 0 and ``evaluate(t)`` gives the loss and gradient at step ``t``.

    First the step grows until an interval is known to hold such a point, then the interval
    shrinks around it, each new trial at the minimum of the cubic that fits the losses and
    slopes at the interval's ends (Nocedal & Wright, Algorithms 3.5 and 3.6). At most
    ``max_ls`` evaluations past the first; returns (loss, gradient, step, evaluations).
    """
    d_norm = _max_abs(d)
    evals = 0

    def trial(step: float) -> _Point:
        nonlocal evals
        evals += 1
        loss, grad = evaluate(step)
        return _Point(step, loss, grad, grad.dot(d).item())

    def too_high(p: _Point) -> bool:
        return p.f > f + c1 * p.t * gtd

    def flat_enough(p: _Point) -> bool:
        return abs(p.gtd) <= -c2 * gtd

    start = _Point(0.0, f, g, gtd)
    prev, new = start, trial(t)
    for ls_iter in range(max_ls):
        if too_high(new) or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]  # the loss went up: a point of the kind sought lies in between
            break
        if flat_enough(new):
            return new.f, new.g, new.t, evals
        if new.gtd >= 0:
            bracket = [prev, new]  # the slope turned: likewise
            break
        # Still going down steeply: try further, at least a little past the last step, at most ten times it.
        bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        prev, new = new, trial(_cubic_minimum(prev, new, bounds))
    else:
        best = start if start.f <= new.f else new  # out of evaluations: the better end
        return best.f, best.g, best.t, evals

    # Shrink the bracket; `low` indexes its end with the lower loss.
    low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
    insufficient_progress = False
    while evals <= max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        step = _cubic_minimum(bracket[0], bracket[1])
        lo, hi = sorted((bracket[0].t, bracket[1].t))
        margin = 0.1 * (hi - lo)
        # NOTE: a trial at an end of the bracket (or, as the cubic's minimum can be, outside it)
        # shrinks it little. Once is allowed; the next time, or at once when the trial is outside,
        # it is moved a tenth of the bracket inside from the nearer end.
        if min(hi - step, step - lo) < margin:
            if insufficient_progress or step >= hi or step <= lo:
                step = hi - margin if abs(step - hi) < abs(step - lo) else lo + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = trial(step)
        if too_high(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        found = flat_enough(new)
        if not found and new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the slope at new points back towards low: keep that side
        bracket[low] = new
        if found:
            break
    best = bracket[low]
    return best.f, best.g, best.t, evals


def _cubic_minimum(a: _Point, b: _Point, bounds: tuple[float, float] | None = None) -> float:
    """The step minimizing the cubic that has the losses and slopes of ``a`` and ``b``, kept
    within ``bounds`` (by default the interval between them); the middle of the bounds when
    that cubic has no minimum (Nocedal & Wright, equation 3.59)."""
    a, b = sorted((a, b), key=lambda p: p.t)
    lo, hi = bounds if bounds is not None else (a.t, b.t)
    d1 = a.gtd + b.gtd - 3 * (a.f - b.f) / (a.t - b.t)
    d2_square = d1 * d1 - a.gtd * b.gtd
    if d2_square < 0:
        return (lo + hi) / 2
    d2 = math.sqrt(d2_square)
    t = b.t - (b.t - a.t) * ((b.gtd + d2 - d1) / (b.gtd - a.gtd + 2 * d2))
    return min(max(t, lo), hi)
