"""``var_mean`` and ``std_mean``: a spread together with the mean it is measured from, as torch
returns them (functions only; torch's Tensor has no such methods)."""

from __future__ import annotations

from typing import Any

from .aliases import numpy_names
from .tensor import Tensor


@numpy_names
def var_mean(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,  # noqa: A002
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """The variance over ``dim`` (with ``correction``, as ``Tensor.var``) and the mean, as a pair."""
    return input.var(dim, correction=correction, keepdim=keepdim, unbiased=unbiased), input.mean(dim, keepdim)


@numpy_names
def std_mean(input: Tensor, dim: Any = None, *, correction: int = 1, keepdim: bool = False,  # noqa: A002
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """The standard deviation over ``dim`` (with ``correction``, as ``Tensor.std``) and the mean, as a pair."""
    return input.std(dim, correction=correction, keepdim=keepdim, unbiased=unbiased), input.mean(dim, keepdim)
