"""``nn.utils``: gradient clipping (from ``optim``) and flattening parameters into one vector.

The clipping functions live in ``optim/clip.py``; they are re-exported here because
PyTorch users call them as ``nn.utils.clip_grad_norm_``.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograd import Tensor, cat, no_grad
from optim.clip import clip_grad_norm_, clip_grad_value_, tensor_list

from .errors import ShapeError

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


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
        shapes = ", ".join(str(p.shape) for p in params)
        raise ShapeError(f"vector_to_parameters: vec has {vec.shape[0]} entries but the parameters (shapes {shapes}) "
                         f"hold {total}")
    start = 0
    with no_grad():
        for p in params:
            p.copy_(vec[start : start + p.numel()].reshape(p.shape))
            start += p.numel()
