"""``torch.optim``: everything in ``optim`` (the same objects), and its submodules under torch's
names (``ndgrad.optim.lr_scheduler``, ``ndgrad.optim.optimizer``, ...)."""

import optim as _optim
from optim import *  # noqa: F403

from ._aliases import mirror_submodules

__all__ = _optim.__all__
mirror_submodules(_optim, __name__)
