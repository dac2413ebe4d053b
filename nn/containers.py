"""Modules that hold other modules: Sequential, ModuleList, ModuleDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from .module import Module

_Seq = TypeVar("_Seq", bound="_ModuleSequence")


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules in order, numbered "0", "1", ... (a
    Sequential may have names of its own), with torch's list methods."""

    def __delitem__(self, index: int | slice) -> None:
        """Remove modules by position; numbered names are renumbered 0, 1, ... afterwards (as
        torch), so that the next ``append`` cannot overwrite a module under a stale number."""
        items = list(self._modules.items())
        owner = type(self).__name__
        doomed = range(len(items))[index] if isinstance(index, slice) else [_position(index, len(items), owner)]
        gone = set(doomed)
        kept = [(name, m) for i, (name, m) in enumerate(items) if i not in gone]
        if all(name.isdigit() for name, _ in items):
            self._renumber([m for _, m in kept])
        else:
            self._modules.clear()
            self._modules.update(kept)

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(modules))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self: _Seq, module: Module) -> _Seq:
        self.add_module(str(len(self)), module)
        return self

    def extend(self: _Seq, modules: Iterable[Module]) -> _Seq:
        for module in modules:
            self.append(module)
        return self

    def insert(self: _Seq, index: int, module: Module) -> _Seq:
        """Put ``module`` before position ``index`` (``len(self)`` appends) and renumber."""
        owner = type(self).__name__
        if not all(name.isdigit() for name in self._modules):
            raise ValueError(f"{owner}.insert renumbers its modules, but they have names {list(self._modules)}; "
                             "use add_module")
        if not -len(self) <= index <= len(self):
            raise IndexError(f"{owner}.insert: index {index} is out of range for length {len(self)}")
        if not isinstance(module, Module):
            raise TypeError(f"{owner}.insert: expected a Module, got {type(module).__name__}")
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)
        return self

    def pop(self, index: int | slice) -> Any:
        """Remove and return the module at ``index`` (a container of the same kind for a slice)."""
        module = self[index]  # type: ignore[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Calls its modules in order, each on the previous one's output.

    ``Sequential(a, b, c)`` names them "0", "1", "2"; ``Sequential(OrderedDict(...))`` uses
    the given names. Indexing with an int gives a module, with a slice a new Sequential.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(index, len(items), "Sequential")][1]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[_position(index, len(self), "Sequential")]
        self.add_module(name, module)


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters belong to the list's owner. It has no forward."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_position(index, len(values), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_position(index, len(self), "ModuleList")), module)


class ModuleDict(Module):
    """Modules by name, in insertion order. It has no forward."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module '{key}' (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self.add_module(key, module)


def _position(index: int, length: int, owner: str) -> int:
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for length {length}")
    return index % length
