"""The named results of ops that return several tensors, as torch's ``return_types``."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What ``max``/``min``/``sort``/``topk`` along a dim return, as torch does: values and their indices."""

    values: Tensor
    indices: Tensor


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as torch does: the smallest and the largest values."""

    min: Tensor
    max: Tensor
