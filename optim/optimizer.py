"""``Optimizer``: parameter groups, per-parameter state, and the step every optimizer shares.

A subclass supplies its defaults, ``_check_group`` (refuse bad hyperparameters) and
``_update_group`` (one step for the parameters of one group). The first optimizers (SGD,
Adam, RMSprop, Adagrad) read and write the parameters' NumPy arrays in place with ufuncs
(``out=``), so a step allocates nothing once the state exists; the later ones (Adadelta,
Adamax, NAdam, RAdam, LBFGS) are written with tensor methods (``mul_``, ``add_``, ``copy_``)
on parameters and state tensors, and set ``tensor_state``. Either way the step runs under
``no_grad``, records no graph and keeps each parameter's dtype.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from numbers import Real
from typing import Any, TypeVar, overload

import numpy as np

from autograd import Tensor, enable_grad, no_grad, tensor, zero_grads, zeros_like

Group = dict[str, Any]
# What an optimizer takes: tensors, (name, tensor) pairs, or parameter groups (dicts holding
# them under "params", with hyperparameters of their own).
Params = Iterable[Tensor] | Iterable[tuple[str, Tensor]] | Iterable[dict[str, Any]]
T = TypeVar("T")  # what a step's closure returns (the loss)
# torch's switches between implementations of the same update, accepted so that ported
# scripts run. ``foreach`` only picks a loop (the results are the same), so any value is fine;
# asking for the others with True is refused, since ndgrad has none of what they need.
_UNSUPPORTED_FLAGS = {
    "fused": "ndgrad has no fused kernels (the default update computes the same step)",
    "capturable": "there are no CUDA graphs to capture: ndgrad runs on the CPU",
    "differentiable": "steps update NumPy arrays under no_grad, so they cannot be differentiated",
}
_SET_MESSAGE = ("parameters must come in an ordered collection (a list), not a set: a set's order changes "
                "between runs, and state_dict refers to parameters by position")


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of ``params`` and hyperparameters) and
    ``state`` (per-parameter dicts of arrays or tensors and step counts, created on first use)."""

    # True when the state holds Tensors (updated with tensor methods) rather than NumPy arrays:
    # load_state_dict then restores tensors.
    tensor_state = False
    # State entries that are numbers, not arrays shaped like the parameter (torch saves them as
    # 0-d tensors).
    scalar_state: frozenset[str] = frozenset({"step"})

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_group(self.defaults)
        self._check_flags(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[Group] = []
        self._scratch: dict[tuple[np.dtype, int], np.ndarray] = {}
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{type(self).__name__} takes an iterable of tensors or of parameter-group dicts, got a single "
                f"{type(params).__name__}; wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        try:
            groups: list[Any] = list(params)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__} takes an iterable of tensors or of parameter-group dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k not in ("params", "param_names")]
        return "\n".join(lines) + "\n)"

    # --- what subclasses supply ---------------------------------------------------------
    def _check_group(self, group: Group) -> None:
        """Raise if a hyperparameter of ``group`` is invalid (called for the defaults and every group)."""

    def _check_flags(self, group: Group) -> None:
        for flag, reason in _UNSUPPORTED_FLAGS.items():
            if group.get(flag):
                raise NotImplementedError(f"{type(self).__name__}: {flag}=True is not supported: {reason}; "
                                          "leave it None or False")

    def _update_group(self, group: Group) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update_group (or override step)")

    # --- parameter groups ---------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; hyperparameters it does not give are taken from the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a parameter group needs a 'params' entry, got keys {sorted(param_group)}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        else:
            params = list(params)
        named = [p for p in params if isinstance(p, tuple)]
        if named:
            if len(named) != len(params) or not all(len(p) == 2 and isinstance(p[0], str) for p in named):
                raise ValueError("parameters must be all tensors or all (name, tensor) pairs, not a mix")
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"an optimizer updates tensors, but parameter {i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"parameter {i} (shape {p.shape}) is not a leaf tensor (grad_fn={p.grad_fn!r}); "
                    "optimize the tensors you created, or detach() it first"
                )
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self._check_flags(group)
        seen: dict[int, int] = {}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(f"parameter {i} (shape {p.shape}) is the same tensor as parameter {seen[id(p)]} "
                                 "of this group; each parameter may appear once")
            seen[id(p)] = i
        for g, other in enumerate(self.param_groups):
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError("parameter groups must be all named or all unnamed")
            for p in other["params"]:
                if id(p) in seen:
                    raise ValueError(f"parameter {seen[id(p)]} of the new group (shape {p.shape}) is already in "
                                     f"parameter group {g}; a parameter may belong to one group only")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set each ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    # --- the step -------------------------------------------------------------------------
    @overload
    def step(self, closure: None = None) -> None: ...
    @overload
    def step(self, closure: Callable[[], T]) -> T: ...
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns what ``closure`` (if given,
        called first with grad recording on, to recompute the loss) returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _params_with_grads(self, group: Group) -> Iterator[tuple[Tensor, Tensor]]:
        """(parameter, its gradient, detached) for each parameter of ``group`` that has a gradient."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.shape != p.shape:
                raise RuntimeError(f"{type(self).__name__}: parameter of shape {p.shape} has a gradient of "
                                   f"shape {p.grad.shape}")
            yield p, p.grad.detach()

    def _with_grads(self, group: Group) -> Iterator[tuple[Tensor, np.ndarray, np.ndarray]]:
        """(parameter, its array, its gradient's array) for each parameter of ``group`` that has a gradient."""
        for p, grad in self._params_with_grads(group):
            yield p, p.detach().numpy(), grad.numpy()

    def _gradients(self, group: Group, decoupled_decay: bool = False) -> Iterator[tuple[Tensor, Tensor]]:
        """(parameter, the gradient its update follows) for each parameter of ``group`` that has a
        gradient, for updates written with tensor operations: negated to maximize, plus
        ``weight_decay * p``; with ``decoupled_decay`` the parameter is multiplied by
        ``1 - lr * weight_decay`` instead and the gradient left alone."""
        weight_decay = float(group["weight_decay"])
        for p, grad in self._params_with_grads(group):
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                if decoupled_decay:
                    p.mul_(1 - float(group["lr"]) * weight_decay)
                else:
                    grad = grad + p.detach() * weight_decay
            yield p, grad

    def _count_step(self, p: Tensor, *buffers: str) -> dict[str, Any]:
        """The state of ``p`` with its ``step`` advanced by one; on first use ``step`` starts at 0
        and each of ``buffers`` is a tensor of zeros shaped like ``p``."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            for name in buffers:
                state[name] = zeros_like(p)
        state["step"] += 1
        return state

    def _buffer(self, like: np.ndarray, slot: int) -> np.ndarray:
        """Scratch array shaped like ``like``, reused across parameters and steps (contents undefined).

        One flat array per dtype and slot, as large as the largest parameter, so a step
        allocates nothing; callers use at most a few slots at once.
        """
        key = (like.dtype, slot)
        flat = self._scratch.get(key)
        if flat is None or flat.size < like.size:
            flat = self._scratch[key] = np.empty(like.size, like.dtype)
        return flat[: like.size].reshape(like.shape)

    def _effective_grad(self, x: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
        """The gradient an update follows: negated to maximize, plus the L2 term ``weight_decay * x``."""
        if not maximize and weight_decay == 0:
            return grad
        g = self._buffer(x, 0)
        if weight_decay == 0:
            np.negative(grad, out=g)
        else:
            np.multiply(x, weight_decay, out=g)
            (np.subtract if maximize else np.add)(g, grad, out=g)
        return g

    # --- saving and loading ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the state and the hyperparameters, with parameters named by their
        position across the groups (0, 1, ...). Made of arrays (copies), numbers, strings,
        lists and dicts only, so it can be saved without pickle (state tensors are saved as arrays)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _plain(v) for k, v in s.items()} for p, s in self.state.items() if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take over the state and hyperparameters saved by ``state_dict``, for parameters in
        the same group layout; arrays are copied and cast to each parameter's dtype."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"an optimizer state_dict has the keys 'state' and 'param_groups', got {got}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the state_dict has {len(saved_groups)} parameter groups, this optimizer "
                             f"{len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {i} holds {len(group['params'])} parameters here but "
                                 f"{len(saved['params'])} in the state_dict")
            by_index.update(zip((int(k) for k in saved["params"]), group["params"]))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            k = int(key)  # keys may have become strings on the way through a text format
            if k not in by_index:
                raise ValueError(f"the state_dict has state for parameter {k}, but its groups list only "
                                 f"parameters {sorted(by_index)}")
            p = by_index[k]
            state[p] = {name: self._restore_state(p, name, v) for name, v in values.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            restored = {k: _restore(v) for k, v in saved.items() if k != "params"}
            restored["params"] = group["params"]
            if "param_names" in group and "param_names" not in restored:
                restored["param_names"] = group["param_names"]
            new_groups.append(restored)
        self.state = state
        self.param_groups = new_groups

    def _restore_state(self, p: Tensor, name: str, value: Any) -> Any:
        """A saved state entry of parameter ``p`` as the update uses it: numbers for ``scalar_state``
        (torch's 0-d tensors included), arrays or tensors of ``p``'s shape (floats cast to its dtype)."""
        if name in self.scalar_state:
            return _number(value, integer=name == "step")
        if isinstance(value, (np.ndarray, Tensor)):
            array = _array(value)
            if array.shape != p.shape:
                raise ValueError(f"state {name!r} has shape {array.shape} but its parameter has shape {p.shape}")
            array = array.astype(p.dtype) if array.dtype.kind == "f" else array.copy()
            return tensor(array) if self.tensor_state else array
        return value


# --- hyperparameter checks, shared by the optimizers ------------------------------------------
def check_number(owner: str, name: str, value: Any, minimum: float = 0.0) -> None:
    """Refuse a hyperparameter that is not a real number at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    # The ignore: typeshed gives numbers.Real only < and <=, though every real type also has >=.
    if not value >= minimum:  # type: ignore[operator]  # also refuses nan
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")


def check_int(owner: str, name: str, value: Any, minimum: int) -> None:
    """Refuse a count (an int; not a bool or a float) below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")


def check_fraction(owner: str, name: str, value: Any) -> None:
    """Refuse a hyperparameter outside [0, 1) (a decay rate such as a beta)."""
    check_number(owner, name, value)
    if not value < 1:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value}")


def check_betas(owner: str, betas: Any) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check_fraction(owner, f"betas[{i}]", beta)


# --- arithmetic shared by the updates written with tensor operations -------------------------
def lerp_(start: Tensor, end: Tensor, weight: float) -> Tensor:
    """Move ``start`` a fraction ``weight`` of the way to ``end``, in place (torch's ``lerp_``).

    NOTE: like torch, the step is taken from the nearer end (from ``end`` once ``weight`` is
    0.5 or more), which keeps the rounding small and gives torch's results to the last bit.
    """
    if weight < 0.5:
        return start.add_((end - start) * weight)
    return start.copy_(end - (end - start) * (1 - weight))


def decay_average_(average: Tensor, value: Tensor, decay: float) -> Tensor:
    """``average = decay * average + (1 - decay) * value``, in place: a running mean of ``value``
    (the gradient's square for a second-moment estimate)."""
    return average.mul_(decay).add_(value * (1 - decay))


def check_adam_group(owner: str, group: Group) -> None:
    """Refuse a bad lr, eps, weight_decay or betas: the hyperparameters Adam and its variants share."""
    for name in ("lr", "eps", "weight_decay"):
        check_number(owner, name, group[name])
    check_betas(owner, group["betas"])


# --- state_dict values ----------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, Tensor):
        return np.array(value.detach().numpy(), copy=True)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _restore(value: Any) -> Any:
    # Hyperparameters that are pairs (betas) were saved as lists.
    return tuple(value) if isinstance(value, list) else value




def _array(value: np.ndarray | Tensor) -> np.ndarray:
    return np.asarray(value.detach().numpy() if isinstance(value, Tensor) else value)


def _number(value: Any, integer: bool = False) -> Any:
    """A saved count or scalar as a Python number; a 0-d array or tensor (torch's form, or one
    that went through a checkpoint) or a NumPy scalar becomes an int or float."""
    if isinstance(value, (Tensor, np.ndarray, np.generic, float, int)) and not isinstance(value, bool):
        number = _array(value).item() if isinstance(value, (Tensor, np.ndarray)) else value
        return int(number) if integer else float(number)
    return value
