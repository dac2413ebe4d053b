"""``Module``: the base class of layers and models, and ``Parameter``, the tensors it trains.

A module registers what is assigned to its attributes: a ``Parameter`` becomes a
parameter, a ``Module`` a submodule, and ``register_buffer`` adds state that is saved but
not trained (running statistics). Names are dotted paths (``layers.0.weight``), as in
``torch.nn``, so that a state_dict maps one to one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.device import DeviceLike, check_device, split_to_args
from autograd.dtypes import DTypeLike

from .errors import DtypeError, ShapeError, StateDictError


class Parameter(Tensor):
    """A tensor that a module trains: a leaf that requires grad.

    ``Parameter(t)`` shares ``t``'s memory; results of operations on a parameter are
    ordinary tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        if isinstance(data, Tensor):
            super().__init__(0.0)
            self.data = data.data
        else:
            super().__init__(data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def factory_dtype(owner: str, device: DeviceLike = None, dtype: DTypeLike = None) -> np.dtype:
    """The dtype of the parameters a layer creates, from torch's factory arguments: autograd's
    default float dtype unless ``dtype`` says otherwise, and ``device`` the CPU (or None)."""
    if device is not None:
        check_device(device)
    resolved = ag.zeros(0, dtype=dtype).dtype  # autograd's reading of a dtype (None, float, names)
    if resolved.kind != "f":
        raise DtypeError(f"{owner}: dtype must be a floating-point type (parameters are trained), got {resolved}")
    return resolved


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` reports: keys the module has that the dict lacks, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _HookHandle:
    def __init__(self, hooks: dict[int, Any], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


M = TypeVar("M", bound="Module")  # the module a method returns itself as (``model.train()`` stays a model)


class Module:
    """Base class of every layer and model: subclass it and write ``forward``."""

    training: bool
    _next_hook_id = 0

    def __init__(self) -> None:
        # Set through object.__setattr__: our __setattr__ needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # --- registration --------------------------------------------------------------
    def _check_ready(self) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning attributes"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        self._check_ready()
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to parameter '{name}' of {type(self).__name__}; "
                    "wrap it in nn.Parameter (or assign None)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule '{name}' (a Module or None)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer '{name}' must be a Tensor or None, got {type(value).__name__}")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: Any = None) -> None:
        # ``keep`` is the registry about to receive ``name``: an existing entry there is
        # overwritten in place, so that replacing a layer keeps its position (and forward order).
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def _check_free(self, name: str, store: dict[str, Any]) -> None:
        """Refuse to register ``name`` over an attribute of another kind (as torch does): a buffer
        named like a parameter would silently replace it."""
        self._check_ready()
        _check_name(name, self)
        # Past this check ``name`` is in ``store`` or nowhere: nothing elsewhere to forget.
        if name not in store and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists in {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_free(name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}'): expected a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State that is not trained but belongs to the module (saved in state_dict if persistent)."""
        self._check_free(name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer('{name}'): expected a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_free(name, self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): expected a Module or None, got {type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule '{part}' (looking up '{target}')")
            module = module._modules[part]
        return module

    # --- traversal -----------------------------------------------------------------
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, each once (unless told otherwise)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True) -> Iterator[Any]:
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs: this module's own first, then its children's; shared ones
        once, unless ``remove_duplicate=False`` lists them under every name."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes and bulk operations -------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) takes a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self: M) -> M:
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set each parameter's ``.grad`` to None (default), or zero it in place."""
        ag.zero_grads(self.parameters(), set_to_none)

    def apply(self: M, fn: Callable[[Module], Any]) -> M:
        """Call ``fn`` on every submodule and then on this module: each child's subtree in
        order, then its parent (post-order, as torch), each module once."""
        seen: set[int] = set()
        stack: list[tuple[Module, bool]] = [(self, False)]
        while stack:
            module, expanded = stack.pop()
            if expanded:
                fn(module)
                continue
            if id(module) in seen:
                continue
            seen.add(id(module))
            stack.append((module, True))
            stack.extend((child, False) for child in reversed(list(module.children())))
        return self

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """Cast floating parameters and buffers to a dtype in place (the objects stay the same).
        A device argument must be "cpu"; ``model.to(device)`` alone changes nothing."""
        dtype = split_to_args(args, kwargs)
        if dtype is None:
            return self
        target = np.dtype(dtype)
        for t in [*self.parameters(), *self.buffers()]:
            if t.dtype.kind == "f" and t.dtype != target:
                t.data = t.data.to(target)
                if t.grad is not None:
                    t.grad = t.grad.to(target)
        return self

    def cpu(self: M) -> M:
        return self

    def float(self: M) -> M:
        return self.to(np.float32)

    def double(self: M) -> M:
        return self.to(np.float64)

    # --- hooks ---------------------------------------------------------------------
    def register_forward_hook(self, hook: Callable[..., Any]) -> _HookHandle:
        """``hook(module, inputs, output)`` runs after forward; a returned value replaces the output."""
        return self._add_hook(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> _HookHandle:
        """``hook(module, inputs)`` runs before forward; a returned value replaces the inputs."""
        return self._add_hook(self._forward_pre_hooks, hook)

    @staticmethod
    def _add_hook(hooks: dict[int, Any], hook: Callable[..., Any]) -> _HookHandle:
        key = Module._next_hook_id
        Module._next_hook_id += 1
        hooks[key] = hook
        return _HookHandle(hooks, key)

    # --- state ---------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (detached tensors sharing memory)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        # Every name of a shared submodule gets its entries, as in torch, so state_dicts map one to one.
        for module_prefix, module in self.named_modules(prefix, remove_duplicate=False):
            items = list(module._parameters.items()) + [
                (n, b) for n, b in module._buffers.items() if n not in module._non_persistent
            ]
            for name, value in items:
                if value is not None:
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    out[key] = value if keep_vars else value.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, in place.

        A shape mismatch is always an error (``ShapeError``); missing and unexpected keys are
        errors when ``strict`` (``StateDictError``, a KeyError), and are reported either way.
        Both errors are also RuntimeErrors, as torch's. ``assign=True`` (torch's way to fill
        modules built on the meta device) is refused: every module here holds real arrays.
        """
        if assign:
            raise NotImplementedError(
                "load_state_dict(assign=True) is not supported: ndgrad copies the values into the module's own "
                "tensors (there is no meta device to build modules on); use assign=False"
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                shape = tuple(np.shape(state_dict[key]))
                if shape != target.shape:
                    mismatched.append(f"'{key}': checkpoint has shape {shape}, the module {target.shape}")
        problems = []
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        if problems:
            raise (ShapeError if mismatched else StateDictError)(
                f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
            )
        with ag.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(np.asarray(state_dict[key], dtype=target.dtype))
        return IncompatibleKeys(missing, unexpected)

    # --- repr ----------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr line."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        if extra:
            lines = ["  " + line for line in extra.split("\n")] + lines
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def draw_graph(
        self, *inputs: Any, depth: int | None = None, collapse_repeats: bool = True, **kwargs: Any
    ) -> ag.render.Drawing:
        """Run ``self(*inputs)`` once and draw its graph, each module call a cluster (see ``nn.draw``)."""
        # Drawing is built on top of Module (its hooks, autograd's renderer) and is no part of what a
        # module is, so it is imported where it is used; nn.draw imports nothing from here.
        from .draw import draw

        return draw(self, *inputs, depth=depth, collapse_repeats=collapse_repeats, **kwargs)


def _check_name(name: str, module: Module) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{type(module).__name__}: invalid name {name!r} (a non-empty string without '.')")
