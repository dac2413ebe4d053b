"""Modules that hold other modules or parameters: Sequential, ModuleList, ModuleDict, ParameterList,
ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from autograd import Tensor

from .module import Module, Parameter, _check_name

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


class _NamedContainer(Module):
    """What ModuleDict and ParameterDict share: entries by string key, in insertion order, kept
    in one of the module's registries (``_store``), so that they are named "<key>" in the
    owner's parameters and state_dict. Neither has a forward."""

    _store_name: str  # "_modules" or "_parameters"
    _noun: str  # what an entry is, for messages

    def __init__(self, entries: Any = None) -> None:
        super().__init__()
        if entries is not None:
            self.update(entries)

    @property
    def _store(self) -> OrderedDict[str, Any]:
        return getattr(self, self._store_name)

    def _put(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"{type(self).__name__} keys are strings, got {type(key).__name__} {key!r}")
        return key

    def _check_present(self, key: Any) -> str:
        if self._check_key(key) not in self._store:
            raise KeyError(f"{type(self).__name__} has no {self._noun} '{key}' (keys: {list(self._store)})")
        return key

    def __getitem__(self, key: str) -> Any:
        return self._store[self._check_present(key)]

    def __setitem__(self, key: str, value: Any) -> None:
        self._put(self._check_key(key), value)

    def __delitem__(self, key: str) -> None:
        del self._store[self._check_present(key)]

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._store.keys()

    def values(self) -> Iterable[Any]:
        """The entries, in insertion order."""
        return self._store.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        """(key, entry) pairs, in insertion order."""
        return self._store.items()

    def pop(self, key: str) -> Any:
        """Remove the entry under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every entry."""
        self._store.clear()

    def update(self, entries: Any) -> None:
        """Add or replace entries from a mapping or from (key, entry) pairs."""
        if isinstance(entries, (Mapping, _NamedContainer)):
            pairs: Iterable[Any] = self._mapping_items(entries)
        elif isinstance(entries, Iterable) and not isinstance(entries, str):
            pairs = entries
        else:
            raise TypeError(f"{type(self).__name__}.update takes a mapping or (key, value) pairs, "
                            f"got {type(entries).__name__}")
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"{type(self).__name__}.update: element {i} is not a (key, value) pair: {pair!r}")
            self[pair[0]] = pair[1]

    def _mapping_items(self, entries: Any) -> Iterable[tuple[str, Any]]:
        return entries.items()


class ModuleDict(_NamedContainer):
    """Modules by name, in insertion order. It has no forward."""

    _store_name, _noun = "_modules", "module"

    def _put(self, key: str, module: Any) -> None:
        self.add_module(key, module)


class _ParameterContainer(Module):
    """What ParameterList and ParameterDict share: their entries, Parameters (or None), printed
    one a line as torch prints them."""

    def extra_repr(self) -> str:
        lines = []
        for name, p in self._parameters.items():
            what = "None" if p is None else f"Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
            lines.append(f"({name}): {what}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        # Module's repr would put a single line of extra_repr inside the parentheses.
        lines = self.extra_repr().split("\n") if self._parameters else []
        return f"{type(self).__name__}(" + "".join(f"\n  {line}" for line in lines) + ("\n)" if lines else ")")


class ParameterList(_ParameterContainer):
    """Parameters in a list, registered as "0", "1", ... (so that an owner names them
    "<list>.0", ...). A plain tensor is made a Parameter sharing its memory. It has no forward."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(values[index])
        return values[_position(index, len(values), "ParameterList")]

    def __setitem__(self, index: int, value: Any) -> None:
        self._parameters[str(_position(index, len(self), "ParameterList"))] = _as_parameter(value, "ParameterList")

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add a parameter (or a tensor, made a Parameter) at the end."""
        self._parameters[str(len(self))] = _as_parameter(value, "ParameterList")
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values``."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend takes an iterable of parameters, got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self


class ParameterDict(_NamedContainer, _ParameterContainer):
    """Parameters by name (string keys), in insertion order; a plain tensor is made a Parameter
    sharing its memory. As in torch, a plain dict given to the constructor or ``update`` is
    taken in sorted key order (an OrderedDict or a ParameterDict keeps its own). It has no
    forward."""

    _store_name, _noun = "_parameters", "parameter"

    def _put(self, key: str, value: Any) -> None:
        _check_name(key, self)
        self._parameters[key] = _as_parameter(value, "ParameterDict")

    def _mapping_items(self, entries: Any) -> Iterable[tuple[str, Any]]:
        if isinstance(entries, (OrderedDict, ParameterDict)):
            return entries.items()
        return sorted(entries.items(), key=lambda item: item[0])

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``, or ``default``."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``, first set to ``default`` if there is none."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last (key, parameter) pair."""
        if not self._parameters:
            raise KeyError("popitem(): ParameterDict is empty")
        return self._parameters.popitem()

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters (not copies of them)."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with each of ``keys`` set to ``default``."""
        return ParameterDict(OrderedDict((key, default) for key in keys))

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._parameters))

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self


def _as_parameter(value: Any, owner: str) -> Parameter | None:
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{owner} holds Parameters (or tensors, made Parameters), got {type(value).__name__}")


def _position(index: int, length: int, owner: str) -> int:
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for length {length}")
    return index % length
