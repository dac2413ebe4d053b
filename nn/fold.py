"""``unfold`` (im2col: every sliding window of a batch as a column) and ``fold`` (its adjoint:
columns added back into an image), with their layers, as in ``torch.nn``. They are the two ops
of ``nn/windows.py`` behind torch's (N, C * prod(kernel_size), L) layout."""

from __future__ import annotations

import math
from typing import Any

from autograd import Tensor

from .errors import ShapeError
from .module import Module
from .windows import Windows, WindowsSum, spatial, window_counts


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:  # noqa: A002
    """The sliding windows of ``input`` (N, C, H, W) or (C, H, W), zero-padded by ``padding``, as
    the columns of (N, C * kH * kW, L): row c * kH * kW + i * kW + j holds element (i, j) of
    channel c of each window, and the L windows are in row-major order of their positions."""
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise ShapeError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {input.shape}")
    kernel, dilation, pads, stride = _arguments("unfold", kernel_size, dilation, padding, stride)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    count = window_counts(x.shape[2:], kernel, stride, dilation, pads)
    if min(count) < 1:
        raise ShapeError(f"unfold: input of shape {input.shape} has no window of kernel_size {kernel} (dilation "
                         f"{dilation}, padding {padding}): {count} windows along (H, W)")
    cols = Windows.apply(x, kernel, stride, dilation, pads, count)
    out = cols.reshape(x.shape[0], x.shape[1] * math.prod(kernel), math.prod(count))
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """The adjoint of ``unfold``: add the columns of ``input`` (N, C * kH * kW, L) or
    (C * kH * kW, L) back into an (N, C, *output_size) image, where windows overlap adding up
    their entries, and drop the padding."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected a 2-D (C * kH * kW, L) or 3-D (N, C * kH * kW, L) input, "
                         f"got shape {input.shape}")
    size = spatial(output_size, 2, "output_size", "fold")
    kernel, dilation, pads, stride = _arguments("fold", kernel_size, dilation, padding, stride)
    x = input if input.ndim == 3 else input.unsqueeze(0)
    rows, columns = x.shape[1:]
    if rows % math.prod(kernel):
        raise ShapeError(f"fold: input of shape {input.shape} has {rows} rows, not a multiple of the kernel's "
                         f"{math.prod(kernel)} elements (kernel_size {kernel})")
    count = window_counts(size, kernel, stride, dilation, pads)
    if min(count) < 1 or math.prod(count) != columns:
        raise ShapeError(f"fold: output_size {size} with kernel_size {kernel}, dilation {dilation}, padding "
                         f"{padding} and stride {stride} has {count[0]} * {count[1]} windows, but input of shape "
                         f"{input.shape} has {columns} columns")
    cols = x.reshape(x.shape[0], rows // math.prod(kernel), *kernel, *count)
    out = WindowsSum.apply(cols, size, kernel, stride, dilation, pads)
    return out if input.ndim == 3 else out.squeeze(0)


def _arguments(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple[Any, ...]:
    """kernel_size, dilation, (before, after) padding and stride, each per spatial dim."""
    return (spatial(kernel_size, 2, "kernel_size", op), spatial(dilation, 2, "dilation", op),
            tuple((p, p) for p in spatial(padding, 2, "padding", op, minimum=0)), spatial(stride, 2, "stride", op))


class Unfold(Module):
    """``unfold`` as a layer: ``Unfold(kernel_size, dilation=1, padding=0, stride=1)``."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """``fold`` as a layer: ``Fold(output_size, kernel_size, dilation=1, padding=0, stride=1)``."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
