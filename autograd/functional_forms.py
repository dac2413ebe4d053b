"""The function forms of Tensor methods (``autograd.exp(x)``, ``torch.sum(x, dim=0)``), with the
name torch gives the tensor argument, so that ``torch.sum(input=x, dim=0)`` and
``torch.matmul(input=a, other=b)`` work as they do in torch. The other arguments keep the
method's names, which are torch's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


def function_form(method: Callable[..., Any], first: str = "input") -> Callable[..., Any]:
    """``method`` as a function whose first argument, the tensor, may be passed as ``first=``."""
    name = method.__name__.strip("_")  # pow, not __pow__

    @functools.wraps(method)
    def form(*args: Any, **kwargs: Any) -> Any:
        if first in kwargs:
            if args:
                raise TypeError(f"{name}() got multiple values for argument '{first}'")
            args = (kwargs.pop(first),)
        return method(*args, **kwargs)

    form.__name__ = form.__qualname__ = name
    # What help() shows: the method's parameters, ``self`` renamed.
    signature = inspect.signature(method)
    params = list(signature.parameters.values())
    form.__signature__ = signature.replace(parameters=[params[0].replace(name=first), *params[1:]])  # type: ignore[attr-defined]
    return form
