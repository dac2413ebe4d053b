"""torch's NumPy-style keyword names: ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``.

torch takes either spelling wherever an op has a ``dim`` (``x.sum(axis=0, keepdims=True)``,
``torch.cumsum(x, axis=1)``); a method decorated with ``numpy_names`` does too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

_F = TypeVar("_F", bound=Callable[..., Any])
_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def numpy_names(method: _F) -> _F:
    """``method`` accepting ``axis=`` and ``keepdims=`` as the names of its ``dim`` and ``keepdim``."""

    @functools.wraps(method)
    def accepting(*args: Any, **kwargs: Any) -> Any:
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for alias, name in _ALIASES:
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{method.__name__}() got both {name}= and its alias {alias}=; pass one")
                    kwargs[name] = kwargs.pop(alias)
        return method(*args, **kwargs)

    return cast(_F, accepting)
