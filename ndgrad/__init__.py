"""``import ndgrad as torch``: ndgrad under the names PyTorch gives things.

Every tensor function, factory, dtype and grad mode of ``autograd`` is here (``ndgrad.zeros``,
``ndgrad.float``, ``ndgrad.Generator``, ``ndgrad.no_grad``), with torch's submodules:
``nn`` (and ``nn.functional``, ``nn.init``, ``nn.utils``, ``nn.utils.rnn``), ``optim`` (and
``optim.lr_scheduler``), ``utils.data``, ``autograd`` (and ``autograd.functional``),
``cuda``, ``backends`` and ``accelerator``; ``save`` and ``load`` are ``nn.save`` and
``nn.load``. They are the objects of ``autograd``, ``nn`` and ``optim`` themselves, which do
not import ndgrad. ``import ndgrad.nn as nn`` and ``from ndgrad.utils.data import DataLoader``
work as with torch.

The ``ndgrad`` command is ``ndgrad.cli``.
"""

from autograd import *  # noqa: F403
from autograd import __all__ as _autograd_names
from nn import load, save

from . import accelerator, autograd, backends, nn, optim, utils
from .autograd import inference_mode

__all__ = [*_autograd_names, "accelerator", "autograd", "backends", "inference_mode", "load", "nn", "optim", "save",
           "utils"]

# torch's dtypes that NumPy cannot hold: asking for one says so, rather than "no attribute".
_MISSING_DTYPES = {
    "bfloat16": "NumPy has no bfloat16; use float32 (ndgrad.float) or float16 (ndgrad.half)",
    "complex64": "ndgrad's tensors hold real numbers only",
    "complex128": "ndgrad's tensors hold real numbers only",
    "cfloat": "ndgrad's tensors hold real numbers only",
    "cdouble": "ndgrad's tensors hold real numbers only",
}


def __getattr__(name: str) -> object:
    if name in _MISSING_DTYPES:
        raise AttributeError(f"ndgrad has no dtype {name}: {_MISSING_DTYPES[name]}")
    raise AttributeError(f"module 'ndgrad' has no attribute {name!r}")
