"""``Dropout``: zeroes random elements while training, the identity in evaluation;
``Dropout1d`` and ``Dropout2d`` zero whole channels."""

from __future__ import annotations

from autograd import Tensor

from . import functional as F
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the survivors by
    1/(1-p) ("inverted" dropout), so that ``eval()`` needs no rescaling."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p, self.inplace = F._check_probability(p, "Dropout"), inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of an (N, C, L) or (C, L) input in training, each with probability
    ``p``, and scale the rest by 1/(1-p) (``F.dropout1d``)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """Zero whole channels of an (N, C, H, W) input in training, each with probability ``p``,
    and scale the rest by 1/(1-p) (``F.dropout2d``)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training)
