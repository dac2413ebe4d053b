"""1-D convolution: ``Conv1d`` and the functional ``conv1d``, as in ``torch.nn``.

Written as im2col: one gather (indexing the input with a precomputed integer array) lays
every window out as a row, and one matmul applies the kernel to all of them. Both are
existing tensor ops, so the convolution is differentiated (to any order) for free.
Padding is part of the same gather: a padded position either points into the input
(reflect, replicate, circular) or at one zero column appended to it (zeros).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .errors import ShapeError
from .module import Module, Parameter, factory_dtype

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """Cross-correlate ``input`` (N, C_in, L) or (C_in, L) with ``weight`` (C_out, C_in / groups, K).

    out[n, o, t] = bias[o] + sum_{c, k} weight[o, c, k] * padded[n, g(o) * C_in / groups + c,
    t * stride + k * dilation]. ``padding`` is an int (zeros on both sides), ``'valid'`` (none)
    or ``'same'`` (output length = input length; stride 1 only). Output (N, C_out, L_out)
    with L_out = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1.
    """
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise ValueError(f"conv1d: padding must be an int, 'same' or 'valid', got {padding!r}")
    stride_ = _single(stride, "stride", "conv1d")
    if padding == "same" and stride_ != 1:
        raise RuntimeError(f"conv1d: padding='same' needs stride 1, got stride={stride_}")
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, "zeros")


def _conv1d(
    input: Any,  # noqa: A002
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: str,
) -> Tensor:
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"conv1d: input and weight must be Tensors, got {type(input).__name__} and {type(weight).__name__}"
        )
    stride = _single(stride, "stride", "conv1d")
    dilation = _single(dilation, "dilation", "conv1d")
    groups = _single(groups, "groups", "conv1d")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"conv1d: expected a 2-D (unbatched, (C, L)) or 3-D (batched, (N, C, L)) input, got shape {input.shape}"
        )
    if weight.ndim != 3:
        raise ShapeError(f"conv1d: weight must be 3-D (out_channels, in_channels / groups, kernel), "
                           f"got shape {weight.shape}")
    out_channels, group_channels, kernel = weight.shape
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    n, channels, length = x.shape
    if out_channels % groups:
        raise ShapeError(f"conv1d: weight of shape {weight.shape} has {out_channels} output channels, "
                           f"not divisible by groups={groups}")
    if channels != group_channels * groups:
        raise ShapeError(
            f"conv1d: input of shape {input.shape} has {channels} channels, but weight of shape {weight.shape} "
            f"with groups={groups} expects {group_channels * groups}"
        )
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"conv1d: bias must be a Tensor or None, got {type(bias).__name__}")
        if bias.shape != (out_channels,):
            raise ShapeError(f"conv1d: bias has shape {bias.shape}, expected ({out_channels},)")
    left, right = _padding(padding, kernel, dilation)
    padded, span = length + left + right, dilation * (kernel - 1) + 1
    if padded < span:
        raise ShapeError(
            f"conv1d: the kernel spans {span} positions (kernel_size={kernel}, dilation={dilation}) but the "
            f"padded input has only {padded} (length {length} + padding {left} + {right})"
        )
    if padding_mode == "reflect" and max(left, right) >= length:
        raise ShapeError(f"conv1d: reflect padding ({left}, {right}) must be smaller than the input length {length}")
    if padding_mode == "circular" and max(left, right) > length:
        raise ShapeError(f"conv1d: circular padding ({left}, {right}) must not exceed the input length {length}")

    index = _window_index(length, kernel, stride, dilation, left, right, padding_mode)
    if padding_mode == "zeros" and (left or right):
        x = ag.cat([x, ag.zeros(n, channels, 1, dtype=x.dtype)], dim=2)
    # Windows: (N, G, C/G, L_out, K) -> rows (N, G, L_out, C/G * K), one per output position.
    windows = x.reshape(n, groups, group_channels, x.shape[2])[:, :, :, index]
    length_out = index.shape[0]
    rows = windows.permute(0, 1, 3, 2, 4).reshape(n, groups, length_out, group_channels * kernel)
    kernels = weight.reshape(groups, out_channels // groups, group_channels * kernel).mT
    out = (rows @ kernels).permute(0, 1, 3, 2).reshape(n, out_channels, length_out)
    if bias is not None:
        out = out + bias.reshape(out_channels, 1)
    return out if batched else out.squeeze(0)


@lru_cache(maxsize=64)
def _window_index(length: int, kernel: int, stride: int, dilation: int, left: int, right: int, mode: str) -> Any:
    """(L_out, K) positions in the input of every window element; for zero padding, positions
    outside the input point at index ``length`` (the appended zero column)."""
    starts = np.arange(0, length + left + right - dilation * (kernel - 1), stride)
    source = starts[:, None] + dilation * np.arange(kernel)[None, :] - left
    if mode == "zeros":
        source = np.where((source >= 0) & (source < length), source, length)
    elif mode == "reflect":
        source = np.abs(source)
        source = np.where(source >= length, 2 * (length - 1) - source, source)
    elif mode == "replicate":
        source = np.clip(source, 0, length - 1)
    else:  # circular
        source = source % length
    source.flags.writeable = False  # shared through the cache
    return source


def _padding(padding: Any, kernel: int, dilation: int) -> tuple[int, int]:
    """(left, right) zeros; 'same' puts the odd one on the right, as torch does."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2
    p = _single(padding, "padding", "conv1d", minimum=0)
    return p, p


def _single(value: Any, name: str, owner: str, minimum: int = 1) -> int:
    """An int given as ``3`` or ``(3,)``, at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{owner}: {name} for a 1-D convolution takes one value, got {value!r}")
        value = value[0]
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)


class Conv1d(Module):
    """A 1-D convolution layer over (N, C_in, L) or (C_in, L) inputs.

    ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)``. ``weight`` is (out_channels,
    in_channels / groups, kernel_size), ``bias`` (out_channels,), both drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kernel_size
    (torch's default: Kaiming uniform with a = sqrt(5)). ``padding`` is an int, ``'valid'``
    or ``'same'``; ``padding_mode`` says what the padded positions hold.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = "Conv1d"
        dtype = factory_dtype(name, device, dtype)
        self.in_channels = _single(in_channels, "in_channels", name)
        self.out_channels = _single(out_channels, "out_channels", name)
        self.groups = _single(groups, "groups", name)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv1d: in_channels={self.in_channels} and out_channels={self.out_channels} must both be "
                f"divisible by groups={self.groups}"
            )
        self.kernel_size = (_single(kernel_size, "kernel_size", name),)
        self.stride = (_single(stride, "stride", name),)
        self.dilation = (_single(dilation, "dilation", name),)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv1d: padding must be an int, 'same' or 'valid', got {padding!r}")
            if padding == "same" and self.stride[0] != 1:
                raise ValueError(f"Conv1d: padding='same' needs stride 1, got stride={self.stride[0]}")
            self.padding: Any = padding
        else:
            self.padding = (_single(padding, "padding", name, minimum=0),)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv1d: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode

        fan_in = self.in_channels // self.groups * self.kernel_size[0]
        bound = 1.0 / math.sqrt(fan_in)
        rng = ag.generator()
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size[0])
        self.weight = Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, size=(self.out_channels,)).astype(dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _conv1d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, self.padding_mode
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
