"""``torch.utils``: ``data`` is ``nn.data`` (``DataLoader``, ``TensorDataset``, ``Subset``,
``random_split``)."""

from nn import data

from ._aliases import register

register(f"{__name__}.data", data)

__all__ = ["data"]
