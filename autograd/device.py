"""Devices, for scripts ported from torch: ndgrad computes on the CPU with NumPy, so "cpu"
is accepted everywhere a device is and anything else is refused with a clear error."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

CPU = "cpu"


def device(name: Any = CPU) -> str:
    """``torch.device`` stand-in: returns ``"cpu"``, or raises for any other device."""
    return check_device(name)


def check_device(name: Any) -> str:
    text = str(name)
    if text.split(":")[0] != CPU:
        raise ValueError(f"device {text!r} is not available: ndgrad computes on the CPU (with NumPy) only")
    return CPU


def split_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype in a ``.to(...)`` call (None if only a device was given), devices checked."""
    dtype = kwargs.pop("dtype", None)
    if "device" in kwargs:
        check_device(kwargs.pop("device"))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
            check_device(a)
        elif dtype is None:
            dtype = a
        else:
            raise TypeError(f"to() got two dtypes: {dtype!r} and {a!r}")
    return dtype


# ``torch.cuda.is_available()`` in ported scripts: there is no GPU backend here.
cuda = SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)
