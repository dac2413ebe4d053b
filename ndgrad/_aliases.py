"""Submodules of ``autograd``, ``nn`` and ``optim`` importable under the names torch gives them
(``import ndgrad.nn.functional as F``): the same module objects, registered under a second name."""

from __future__ import annotations

import sys
from collections.abc import Container
from types import ModuleType


def mirror_submodules(package: ModuleType, alias: str, skip: Container[str] = ()) -> None:
    """Make every submodule of ``package`` that is loaded (``optim.sgd``, ...) importable as
    ``alias.<name>``, except the names in ``skip`` (which ``alias`` defines itself).

    Without this, ``import ndgrad.optim.optimizer`` would fail, and an alias of a package
    could load a second copy of a submodule, with classes that are not the first copy's.
    """
    prefix = package.__name__ + "."
    for name, module in list(sys.modules.items()):
        child = name[len(prefix) :] if name.startswith(prefix) else ""
        if child and "." not in child and child not in skip:
            sys.modules[f"{alias}.{child}"] = module


def register(alias: str, module: object) -> None:
    """Make ``import <alias>`` give ``module`` (a module or a namespace of attributes)."""
    sys.modules[alias] = module  # type: ignore[assignment]
