"""Making tensors: from data, filled, ranges, and random.

Every factory takes torch's ``device=`` (the CPU only: see ``device.py``), and floating ones
default to the default dtype (float32 unless ``set_default_dtype`` changed it).

Random numbers come from a ``Generator`` (torch's, on NumPy's PCG64). Every random function
draws from the default generator, which ``manual_seed`` seeds, unless given ``generator=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import shapes
from .device import DeviceLike, check_device
from .dtypes import DTypeLike, as_array, to_dtype
from .random_state import (  # noqa: F401 (the random functions' names, re-exported)
    DEFAULT_SEED,
    Generator,
    SamplingError,
    _rng,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .shapes import broadcast_error
from .tensor import Tensor, _shape_arg

# --- defaults -----------------------------------------------------------------------------------


def set_default_dtype(dtype: DTypeLike) -> None:
    """The dtype of floating tensors made without one: factories, ``tensor([1.5])``, and the
    results of float ops on integers. Floating dtypes only (float16, float32, float64)."""
    resolved = to_dtype(dtype)
    if resolved is None or resolved.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {dtype!r}")
    shapes.set_default_float(resolved)


def get_default_dtype() -> np.dtype:
    return shapes.DEFAULT_FLOAT


# --- from data, filled, ranges ------------------------------------------------------------------


def _sizes(size: tuple[int | Sequence[int], ...]) -> tuple[int, ...]:
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


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    """``dtype``, or the default float dtype if it is None."""
    return to_dtype(dtype) or shapes.DEFAULT_FLOAT


def _make(data: np.ndarray, dtype: DTypeLike, requires_grad: bool, device: DeviceLike = None) -> Tensor:
    check_device(device)
    dtype = to_dtype(dtype)
    t = Tensor._wrap(data if dtype is None else data.astype(dtype, copy=False))
    return t.requires_grad_(requires_grad) if requires_grad else t


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False, *, device: DeviceLike = None) -> Tensor:
    check_device(device)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """``data`` itself if it is a tensor of that dtype (cast otherwise), else a new tensor."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy needs an ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size: int | Sequence[int], dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_sizes(size), dtype=_float_dtype(dtype)), None, requires_grad, device)


def ones(*size: int | Sequence[int], dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_sizes(size), dtype=_float_dtype(dtype)), None, requires_grad, device)


def empty(*size: int | Sequence[int], dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor whose values are whatever the memory held (fill it before reading it)."""
    return _make(np.empty(_sizes(size), dtype=_float_dtype(dtype)), None, requires_grad, device)


def full(size: int | Sequence[int], fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False, *,
         device: DeviceLike = None) -> Tensor:
    data = np.full(_sizes((size,)), fill_value, dtype=to_dtype(dtype) or as_array(fill_value).dtype)
    return _make(data, None, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: DTypeLike = None, requires_grad: bool = False, *,
        device: DeviceLike = None) -> Tensor:
    n = _count(n, "n", "eye")
    m = n if m is None else _count(m, "m", "eye")
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: DTypeLike = None,
           requires_grad: bool = False, *, device: DeviceLike = None) -> Tensor:
    """Integers give int64, any float argument gives the default float dtype (as torch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    floating = any(isinstance(v, float) for v in (start, end, step))
    default = shapes.DEFAULT_FLOAT if floating else np.dtype(np.int64)
    return _make(np.arange(start, end, step, dtype=to_dtype(dtype) or default), None, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: DTypeLike = None, requires_grad: bool = False, *,
             device: DeviceLike = None) -> Tensor:
    steps = _count(steps, "steps", "linspace")
    return _make(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), None, requires_grad, device)


# --- like another tensor ------------------------------------------------------------------------


def _like(input: Any, op: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op} takes a tensor, got {type(input).__name__}")
    return input


def zeros_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
               device: DeviceLike = None) -> Tensor:
    t = _like(input, "zeros_like")
    return zeros(*t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
              device: DeviceLike = None) -> Tensor:
    t = _like(input, "ones_like")
    return ones(*t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
               device: DeviceLike = None) -> Tensor:
    t = _like(input, "empty_like")
    return empty(*t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
              device: DeviceLike = None) -> Tensor:
    t = _like(input, "full_like")
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
              generator: Generator | None = None, device: DeviceLike = None) -> Tensor:
    t = _like(input, "rand_like")
    return rand(*t.shape, generator=generator, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, *,  # noqa: A002
               generator: Generator | None = None, device: DeviceLike = None) -> Tensor:
    t = _like(input, "randn_like")
    return randn(*t.shape, generator=generator, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,  # noqa: A002
                 generator: Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
                 requires_grad: bool = False) -> Tensor:
    """``randint_like(x, high)`` or ``randint_like(x, low, high)``: the dtype is x's unless given."""
    t = _like(input, "randint_like")
    return randint(low, high, t.shape, generator=generator, dtype=dtype or t.dtype, device=device,
                   requires_grad=requires_grad)


# --- random -------------------------------------------------------------------------------------


def _floating_draw(dtype: DTypeLike, op: str) -> np.dtype:
    """The dtype of draws that are not integers: floating, the default unless given."""
    resolved = _float_dtype(dtype)
    if resolved.kind != "f":
        raise TypeError(f"{op}: draws floating-point numbers, cannot make dtype {resolved}")
    return resolved


def _floating_input(input: Any, op: str) -> np.ndarray:  # noqa: A002
    """The values of a tensor of floating-point parameters (probabilities, rates)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op} takes a tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op} takes a floating-point tensor, got dtype {input.dtype}")
    return np.asarray(input.detach())


def rand(*size: int | Sequence[int], generator: Generator | None = None, dtype: DTypeLike = None,
         device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _floating_draw(dtype, "rand")
    data = _rng(generator, "rand").random(_sizes(size)).astype(dtype)
    # NOTE: drawn in float64 (so a seed gives the same numbers in every dtype); rounding to a
    # narrower dtype can reach 1.0, which [0, 1) excludes.
    np.minimum(data, np.nextafter(dtype.type(1), dtype.type(0)), out=data)
    return _make(data, None, requires_grad, device)


def randn(*size: int | Sequence[int], generator: Generator | None = None, dtype: DTypeLike = None,
          device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    dtype = _floating_draw(dtype, "randn")
    return _make(_rng(generator, "randn").standard_normal(_sizes(size)), dtype, requires_grad, device)


def randint(low: int, high: int | Sequence[int] | None = None, size: int | Sequence[int] | None = None, *,
            generator: Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``;
    int64 unless ``dtype`` says otherwise."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        high, size = None, high
    if high is None:
        low, high = 0, low
    if isinstance(high, Sequence):
        raise TypeError(f"randint: high must be an int, got {high!r}; the size comes after it")
    if not low < high:
        raise ValueError(f"randint: low must be less than high, got low={low} and high={high}")
    data = _rng(generator, "randint").integers(low, high, _sizes(() if size is None else (size,)))
    return _make(data, dtype or np.int64, requires_grad, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless ``dtype`` says otherwise)."""
    n = _count(n, "n", "randperm")
    return _make(_rng(generator, "randperm").permutation(n), dtype or np.int64, requires_grad, device)


def normal(mean: float | Tensor = 0.0, std: float | Tensor = 1.0, size: int | Sequence[int] | None = None, *,
           generator: Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """Normal draws, in torch's forms: ``normal(mean, std, size)`` with numbers, or with a tensor
    mean and/or std (of floats, broadcast together), one draw per element.

    As in torch, no gradient reaches a tensor mean or std through the draws; for that, write
    ``mean + std * randn_like(std)``.
    """
    rng = _rng(generator, "normal")
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    std_values = np.asarray(std.detach()) if isinstance(std, Tensor) else std
    if np.any(np.asarray(std_values) < 0):
        raise SamplingError(f"normal: std must be non-negative, got {std!r}")
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: with a number mean and std, give the size, e.g. normal(0.0, 1.0, size=(2, 3))")
        data = mean + std * rng.standard_normal(_sizes((size,)))
        return _make(data, _floating_draw(dtype, "normal"), requires_grad, device)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError("normal: size, dtype and requires_grad go with a number mean and std, not tensors")
    check_device(device)
    for t in tensors:
        if t.dtype.kind != "f":
            raise TypeError(f"normal takes floating-point tensors, got dtype {t.dtype}")
    values = [np.asarray(x.detach()) if isinstance(x, Tensor) else x for x in (mean, std)]
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    except ValueError:
        raise broadcast_error("normal", *(np.shape(v) for v in values)) from None
    data = values[0] + values[1] * rng.standard_normal(shape)
    return Tensor._wrap(data.astype(shapes.result_dtype(*tensors), copy=False))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (elementwise), else 0, in input's shape and dtype; with
    ``p``, every element has probability ``p``."""
    probs = _floating_input(input, "bernoulli")
    if p is not None:
        probs = np.full(probs.shape, p)
    if not np.all((probs >= 0) & (probs <= 1)):
        bad = probs[~((probs >= 0) & (probs <= 1))].flat[0]
        raise SamplingError(f"bernoulli: probabilities must be in [0, 1], found {bad}")
    draws = _rng(generator, "bernoulli").random(probs.shape) < probs
    return Tensor._wrap(draws.astype(input.dtype))


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Poisson draws with the rates in ``input``, in its shape and dtype."""
    rates = _floating_input(input, "poisson")
    if not np.all(rates >= 0):
        raise SamplingError(f"poisson: rates must be non-negative, found {rates[~(rates >= 0)].flat[0]}")
    return Tensor._wrap(_rng(generator, "poisson").poisson(rates).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None) -> Tensor:
    """Indices drawn from the categories of the last dim, weighted by ``input`` (non-negative,
    not necessarily summing to 1): one row of ``num_samples`` per row of a 2-d ``input``. Without
    replacement, each category is drawn at most once (weight-0 ones only after all others)."""
    weights = _floating_input(input, "multinomial").astype(np.float64)
    if weights.ndim not in (1, 2):
        raise SamplingError(f"multinomial: input must be 1-d or 2-d, got shape {input.shape}")
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool):
        raise TypeError(f"multinomial: num_samples must be an int, got {type(num_samples).__name__} {num_samples!r}")
    rows = weights.reshape(-1, weights.shape[-1])
    categories = rows.shape[1]
    if num_samples <= 0:
        raise SamplingError(f"multinomial: num_samples must be positive, got {num_samples}")
    if not replacement and num_samples > categories:
        raise SamplingError(
            f"multinomial: cannot draw {num_samples} samples without replacement from {categories} categories"
        )
    if not np.all(np.isfinite(rows) & (rows >= 0)):
        raise SamplingError("multinomial: weights must be finite and non-negative, found "
                            f"{rows[~(np.isfinite(rows) & (rows >= 0))].flat[0]}")
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise SamplingError(f"multinomial: the weights of row {int(np.argmax(totals <= 0))} sum to 0")
    rng = _rng(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        # NOTE: scaled by cdf's own last entry (not the pairwise sum above, which can round
        # higher), u * cdf[-1] < cdf[-1], so the search never lands past the last positive weight.
        u = rng.random((len(rows), num_samples)) * cdf[:, -1:]
        picks = np.array([np.searchsorted(c, ur, side="right") for c, ur in zip(cdf, u)], dtype=np.int64)
        picks = picks.reshape(len(rows), num_samples)
    else:
        # The categories with the smallest Exp(1) / weight are a weighted draw without replacement;
        # the second key orders the weight-0 categories (all inf) at random after the others.
        noise = rng.standard_exponential(rows.shape)
        with np.errstate(divide="ignore"):
            keys = np.where(rows > 0, noise / rows, np.inf)
        picks = np.lexsort((noise, keys), axis=-1)[:, :num_samples]
    return Tensor._wrap(picks.reshape(*weights.shape[:-1], num_samples).astype(np.int64))
