"""``Embedding``: a trainable lookup table from integer ids to vectors."""

from __future__ import annotations

from typing import Any

import autograd as ag
from autograd import Tensor
from autograd.device import DeviceLike
from autograd.dtypes import DTypeLike

from . import functional as F
from . import init
from .errors import ShapeError
from .module import Module, Parameter, factory_dtype


class Embedding(Module):
    """Row i of ``weight`` (num_embeddings, embedding_dim) for each id i in the input.

    ``weight`` starts as N(0, 1). The row at ``padding_idx`` starts at zero and receives no
    gradient, so it stays whatever it is set to (a "no token" vector).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        dtype = factory_dtype("Embedding", device, dtype)
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        if padding_idx is not None:
            padding_idx = F._normalize_padding_idx(padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(ag.zeros(num_embeddings, embedding_dim, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ag.no_grad():
                self.weight[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of the 2-D ``embeddings``; ``freeze`` stops it from training."""
        if embeddings.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {embeddings.shape}")
        rows, dim = embeddings.shape
        module = cls(rows, dim, padding_idx=padding_idx, dtype=embeddings.dtype)
        with ag.no_grad():
            module.weight.copy_(embeddings)
        module.weight.requires_grad_(not freeze)
        return module

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
