"""``nn.utils``: gradient clipping, and flattening parameters into one vector and back."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor, cat, no_grad

from .errors import ShapeError

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def tensor_list(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    """``parameters`` (one tensor or an iterable of them) as a list, each checked to be a tensor."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{fn} takes a tensor or an iterable of tensors, got {type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameter {i} is a {type(p).__name__}, not a tensor")
    return params


# --- gradient clipping -----------------------------------------------------------------------
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their total norm (the norm of
    the per-parameter norms, of type ``norm_type``, ``inf`` for the largest entry) is at most
    ``max_norm``. Returns the total norm before clipping, as a 0-d tensor. ``foreach`` (torch's
    choice of loop) is accepted and changes nothing."""
    _check_limit("clip_grad_norm_", "max_norm", max_norm)
    norm_type = float(norm_type)
    if math.isnan(norm_type):
        raise ValueError("clip_grad_norm_: norm_type must be a number or inf, got nan")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return ag.tensor(0.0)
    dtype = np.result_type(*(g.dtype for g in grads))
    total = _vector_norm(np.array([_vector_norm(g.detach().numpy(), norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}, so they "
                           "cannot be clipped; pass error_if_nonfinite=False to clip anyway")
    # NOTE: the small constant keeps the scale finite for an all-zero gradient; always
    # scaling (by 1.0 when under the limit) matches torch, which never branches on the value.
    scale = min(max_norm / (total + 1e-6), 1.0)
    # With a non-finite total (and no error asked for), inf * 0 gives nan quietly, as in torch.
    with no_grad(), np.errstate(invalid="ignore"):
        for g in grads:
            g.mul_(scale)
    return ag.tensor(total, dtype=dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry of ``parameters`` to ``[-clip_value, clip_value]``, in place
    (``foreach`` is accepted, as in torch, and changes nothing)."""
    _check_limit("clip_grad_value_", "clip_value", clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        with no_grad():
            g.copy_(np.clip(g.detach().numpy(), -clip_value, clip_value))


def _check_limit(fn: str, name: str, value: Any) -> None:
    """Refuse a clipping limit that is not a real number >= 0 (nan included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__} {value!r}")
    # The ignore: typeshed gives numbers.Real only < and <=, though every real type also has >=.
    if not value >= 0:  # type: ignore[operator]  # also refuses nan
        raise ValueError(f"{fn}: {name} must be at least 0.0, got {value}")


def _grads(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    return [p.grad for p in tensor_list(parameters, fn) if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float) -> float:
    """The ``norm_type``-norm of all entries of ``x`` taken as one vector, in float64."""
    a = np.abs(x.ravel()).astype(np.float64)
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(a.max())
    if norm_type == -math.inf:
        return float(a.min())
    if norm_type == 0:
        return float(np.count_nonzero(a))
    if norm_type == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float(np.sum(a**norm_type) ** (1.0 / norm_type))


# --- parameters as one vector ----------------------------------------------------------------
def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """All entries of ``parameters`` in one 1-d tensor, each parameter flattened in row-major
    order, in the order given. The result is part of the graph: gradients flow back to the
    parameters."""
    params = tensor_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Overwrite ``parameters`` in place with consecutive slices of the 1-d tensor ``vec``,
    the inverse of ``parameters_to_vector``. The copy is not recorded in the graph, and each
    parameter keeps its dtype."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeError(f"vector_to_parameters: vec must be 1-d, got shape {vec.shape}")
    params = tensor_list(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.shape[0] != total:
        shapes = ", ".join(str(tuple(p.shape)) for p in params)
        raise ShapeError(f"vector_to_parameters: vec has {vec.shape[0]} entries but the parameters (shapes {shapes}) "
                         f"hold {total}")
    start = 0
    with no_grad():
        for p in params:
            p.copy_(vec[start : start + p.numel()].reshape(p.shape))
            start += p.numel()
