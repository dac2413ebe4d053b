"""Resizing the spatial dims of a batch: ``interpolate`` and the ``Upsample`` layers, as in
``torch.nn``, in the modes ``nearest``, ``nearest-exact``, ``linear`` (one spatial dim),
``bilinear`` (two) and ``area`` (adaptive average pooling).

Every mode works one spatial dim at a time, composed of existing tensor ops, so derivatives of
every order come free: nearest gathers the source element of each output position; the
linear modes gather the two neighbours of each output position's source coordinate and
weight them (bilinear is linear along the height, then along the width, which is the same
sum of four weighted neighbours).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor

from .errors import ShapeError
from .module import Module
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "area": None}  # mode -> its spatial dims


def interpolate(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, L) or (N, C, H, W) to ``size``, or to
    floor(size * ``scale_factor``).

    ``nearest`` takes the element at floor(i * in / out) (``nearest-exact``: at
    floor((i + 0.5) * in / out)); ``linear``/``bilinear`` weight the neighbours of the
    source coordinate (i + 0.5) * in / out - 0.5, or i * (in - 1) / (out - 1) with
    ``align_corners`` (the corner pixels of input and output then coincide); ``area`` averages
    over windows, as adaptive average pooling. When ``scale_factor`` is given and
    ``recompute_scale_factor`` is not True, coordinates use 1 / scale_factor rather than in / out, as torch does.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a Tensor, got {type(input).__name__}")
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {tuple(MODES)}, got {mode!r}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ValueError(f"interpolate: align_corners only applies to the modes linear and bilinear, not {mode!r}")
    dims = input.ndim - 2
    if dims not in (1, 2):
        raise ShapeError(f"interpolate: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape {input.shape}")
    needed = MODES[mode]
    if needed is not None and needed != dims:
        raise ShapeError(f"interpolate: mode {mode!r} needs a {needed + 2}-D input, got shape {input.shape}")
    sizes, scales = _output_size(input.shape[2:], size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, sizes)
    out = input
    for axis, (n_in, n_out, scale) in enumerate(zip(input.shape[2:], sizes, scales), start=2):
        lead = (slice(None),) * axis
        trailing = (1,) * (input.ndim - axis - 1)
        if not linear:
            out = out[lead + (_nearest(n_in, n_out, scale, mode == "nearest-exact"),)]
            continue
        low, high, weight = _linear(n_in, n_out, scale, bool(align_corners))
        w = weight.astype(input.dtype).reshape((n_out,) + trailing)
        out = out[lead + (low,)] * (1 - w) + out[lead + (high,)] * w
    return out


def _output_size(spatial: tuple[int, ...], size: Any, scale_factor: Any,
                 recompute: bool | None) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The output's spatial size, and per dim the scale to use for source coordinates (None: in / out)."""
    dims = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims or not all(isinstance(s, (int, np.integer)) and s > 0 for s in sizes):
            raise ValueError(f"interpolate: size must be a positive int or {dims} of them, got {size!r}")
        return tuple(int(s) for s in sizes), (None,) * dims
    factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * dims
    if len(factors) != dims or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be a positive number or {dims} of them, got {scale_factor!r}")
    sizes = tuple(math.floor(n * float(f)) for n, f in zip(spatial, factors))
    if min(sizes) < 1:
        raise ShapeError(f"interpolate: scale_factor {scale_factor} leaves input of spatial size {spatial} empty")
    return sizes, ((None,) * dims if recompute else tuple(1.0 / float(f) for f in factors))


def _nearest(n_in: int, n_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """The source position of each output position; float32 arithmetic, as torch's kernels
    (which copy outright when the size stays and repeat each element when it doubles)."""
    if not exact and n_out in (n_in, 2 * n_in):
        return np.arange(n_out) // (n_out // n_in)
    ratio = np.float32(n_in) / np.float32(n_out) if scale is None else np.float32(scale)
    i = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(i * ratio).astype(np.int64), n_in - 1)


def _linear(n_in: int, n_out: int, scale: float | None, align_corners: bool) -> tuple[np.ndarray, np.ndarray, Any]:
    """The neighbours (low, high) of each output position's source coordinate, and the weight of high."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        source = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        ratio = n_in / n_out if scale is None else scale
        source = np.maximum((i + 0.5) * ratio - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), n_in - 1)
    return low, np.minimum(low + 1, n_in - 1), source - low


class Upsample(Module):
    """``interpolate`` as a layer: ``Upsample(size=None, scale_factor=None, mode='nearest',
    align_corners=None, recompute_scale_factor=None)``."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = None if scale_factor is None else float(scale_factor)
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        described = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{described}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample`` in mode ``nearest``: ``UpsamplingNearest2d(size=None, scale_factor=None)``."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` in mode ``bilinear`` with ``align_corners=True``:
    ``UpsamplingBilinear2d(size=None, scale_factor=None)``."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
