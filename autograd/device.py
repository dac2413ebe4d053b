"""Devices, for scripts ported from torch: ndgrad computes on the CPU with NumPy, so "cpu"
(as a string or a ``device``) is accepted everywhere a device is, and any other device is
refused with an error that names it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

# The device types torch knows: one of these that is not the CPU is refused as unavailable,
# anything else as unknown (a typo), as torch tells the two apart.
_KNOWN_TYPES = frozenset(("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia", "vulkan", "lazy"))


class DeviceError(ValueError, RuntimeError):
    """A device other than the CPU. A ValueError by ndgrad's conventions, and a RuntimeError,
    which is what ``except`` clauses in scripts written for torch catch."""


class device:
    """Where a tensor lives: always the CPU here. ``device("cpu")``, ``device("cpu:0")`` and
    ``device("cpu", 0)`` are accepted; ``device("cuda")`` and the like raise ``DeviceError``.
    A device equals another device of the same type and index, and the string that names it."""

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, type: DeviceLike, index: int | None = None) -> None:  # noqa: A002 (torch's name)
        spec = type
        if isinstance(spec, device):
            index = spec.index if index is None else index
            spec = spec.type
        if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            spec, index = "cuda", int(spec)  # torch reads a bare ordinal as a CUDA device
        if not isinstance(spec, str):
            raise TypeError(f"device() takes a device name such as 'cpu', got {spec!r}")
        name, colon, ordinal = spec.partition(":")
        if colon:
            if index is not None or not ordinal.isdigit():
                raise DeviceError(f"device {spec!r}: expected a name such as 'cpu' or 'cpu:0'")
            index = int(ordinal)
        if name not in _KNOWN_TYPES:
            raise DeviceError(f"unknown device type {name!r} in {spec!r}: ndgrad computes on 'cpu'")
        if name != "cpu":
            shown = spec if index is None or colon else f"{spec}:{index}"
            raise DeviceError(f"device {shown!r} is not available: ndgrad computes on the CPU (with NumPy) only")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")

# What a ``device=`` argument may be: a device, its name ("cpu", "cpu:0"), or None for the default.
# An int is accepted as torch does, to be refused as a CUDA ordinal.
DeviceLike = device | str | int | None


def check_device(name: DeviceLike) -> device:
    """``name`` as a device (None means the default, the CPU); any other device is refused."""
    return CPU if name is None or name is CPU else device(name)


def _is_device_name(arg: Any) -> bool:
    return isinstance(arg, str) and arg.partition(":")[0] in _KNOWN_TYPES


def split_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype in a ``.to(...)`` call (None if only a device was given), devices checked.
    As in torch, the arguments are a device, a dtype, both, or another tensor (whose dtype is
    taken)."""
    dtype = kwargs.pop("dtype", None)
    check_device(kwargs.pop("device", None))
    for ignored in ("non_blocking", "copy", "memory_format"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, device) or _is_device_name(a):
            check_device(a)
            continue
        if isinstance(getattr(a, "dtype", None), np.dtype) and hasattr(a, "device"):  # a tensor: its dtype and device
            check_device(a.device)
            a = a.dtype
        if dtype is not None:
            raise TypeError(f"to() got two dtypes: {dtype!r} and {a!r}")
        dtype = a
    return dtype


def set_default_device(name: DeviceLike) -> None:
    """``torch.set_default_device``: only the CPU (or None, meaning it) is accepted."""
    check_device(name)


def get_default_device() -> device:
    return CPU


# What ported scripts ask of torch.cuda: there is no GPU backend here, and seeding it is a no-op.
cuda = SimpleNamespace(
    is_available=lambda: False,
    device_count=lambda: 0,
    manual_seed=lambda seed: None,
    manual_seed_all=lambda seed: None,
    empty_cache=lambda: None,
)
