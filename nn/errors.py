"""The exceptions ``nn`` raises for bad input, each both a Python built-in and ``RuntimeError``.

torch raises ``RuntimeError`` for most bad input (a wrong feature count, a state_dict with a
missing key, float class targets), where Python's conventions, which ndgrad follows, give
``ValueError``, ``KeyError``, ``TypeError`` or ``IndexError``. Each class here derives from
both, so that ``except RuntimeError`` in a script ported from torch and ``except ValueError``
(or the others) in code written for ndgrad catch the same errors.
"""

from __future__ import annotations

__all__ = ["DomainError", "DtypeError", "IndexRangeError", "ShapeError", "StateDictError"]


class ShapeError(ValueError, RuntimeError):
    """A tensor whose shape does not fit: a wrong feature or channel count, a hidden state or
    a checkpoint entry of the wrong shape."""


class DtypeError(TypeError, RuntimeError):
    """A tensor of the wrong dtype, such as float class indices."""


class DomainError(ValueError, RuntimeError):
    """Values outside what a function takes, such as probabilities above 1."""


class IndexRangeError(IndexError, RuntimeError):
    """An index past the end: a class index, an embedding id."""


class StateDictError(KeyError, RuntimeError):
    """A state_dict whose keys do not match the module's (missing or unexpected keys)."""

    def __str__(self) -> str:
        # KeyError's str() is the repr of its argument, which would quote the whole message.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()
