"""Making tensors: from data, filled, ranges, and random (one seeded generator)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import DEFAULT_FLOAT, Tensor, _shape_arg, as_array, to_dtype

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator behind rand, randn and nn's initialisation, for reproducible runs."""
    global _rng
    _rng = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The generator that ``manual_seed`` seeds (for code that draws its own random numbers)."""
    return _rng


def _sizes(size: tuple[Any, ...]) -> tuple[int, ...]:
    shape = _shape_arg(size)
    if any(s < 0 for s in shape):
        raise ValueError(f"sizes must be non-negative, got {shape}")
    return shape


def _count(value: Any, name: str, op: str) -> int:
    """A count argument (eye's n, linspace's steps): a non-negative int."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value}")
    return int(value)


def _make(data: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    dtype = to_dtype(dtype)
    t = Tensor._wrap(data if dtype is None else data.astype(dtype, copy=False))
    return t.requires_grad_(requires_grad) if requires_grad else t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy needs an ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_sizes(size), dtype=to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_sizes(size), dtype=to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    data = np.full(_sizes((size,)), fill_value, dtype=to_dtype(dtype) or as_array(fill_value).dtype)
    return _make(data, None, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    n = _count(n, "n", "eye")
    m = n if m is None else _count(m, "m", "eye")
    return _make(np.eye(n, m, dtype=to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Integers give int64, any float argument gives float32 (as torch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    floating = any(isinstance(v, float) for v in (start, end, step))
    default = DEFAULT_FLOAT if floating else np.dtype(np.int64)
    return _make(np.arange(start, end, step, dtype=to_dtype(dtype) or default), None, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    steps = _count(steps, "steps", "linspace")
    return _make(np.linspace(start, end, steps, dtype=to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    data = _rng.random(_sizes(size), dtype=np.float64)
    return _make(data.astype(to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    data = _rng.standard_normal(_sizes(size))
    return _make(data.astype(to_dtype(dtype) or DEFAULT_FLOAT), None, requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None) -> Tensor:
    if high is None:
        low, high = 0, low
    if not low < high:
        raise ValueError(f"randint: low must be less than high, got low={low} and high={high}")
    return _make(_rng.integers(low, high, _sizes((size,))), dtype or np.int64, False)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
