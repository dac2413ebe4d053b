"""``torch.nn``: everything in ``nn`` (the same objects), with ``functional``, ``init`` and
``utils`` (clipping, parameter vectors, and ``utils.rnn`` for padding and packing sequences)."""

from importlib import import_module

import nn as _nn
from nn import *  # noqa: F403

from .._aliases import mirror_submodules

# torch's nn.utils (nn's own, with rnn added) in place of the nn.utils that the line above brought.
utils = import_module(f"{__name__}.utils")
mirror_submodules(_nn, __name__, skip={"utils"})
