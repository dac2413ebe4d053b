"""``torch.nn.utils``: gradient clipping and parameter vectors (from ``nn.utils``), and ``rnn``
(``nn.sequences``: padding and packing sequences of different lengths)."""

from nn import sequences as rnn
from nn.utils import *  # noqa: F403
from nn.utils import __all__ as _utils_names

from .._aliases import register

register(f"{__name__}.rnn", rnn)

__all__ = [*_utils_names, "rnn"]
