"""Convolution over one or two spatial dims, as in ``torch.nn``: the functions ``conv1d``,
``conv2d``, ``conv_transpose1d``, ``conv_transpose2d`` and their layers.

A convolution is im2col and one matmul: ``Windows`` (``nn/windows.py``) copies every window of
the (zero-padded) input out as a column, (N, C * prod(kernel), L), and the weight, reshaped to
(C_out, C * prod(kernel)), multiplies all of them at once (one matmul per group). A transposed
convolution is the same product the other way round followed by ``WindowsSum``, the adjoint of
``Windows``: it is the gradient of a convolution with respect to its input. Both are written
for any number of spatial dims; the 1-D and 2-D functions and layers differ only in that number.
The other padding modes (reflect, replicate, circular) pad first, with ``nn.padding``.
"""

from __future__ import annotations

import math
from typing import Any

import autograd as ag
from autograd import Tensor

from .errors import ShapeError
from .module import Module, Parameter, factory_dtype
from .padding import padded
from .windows import Windows, WindowsSum, spatial, window_counts

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
    return _functional_conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """Cross-correlate ``input`` (N, C_in, H, W) or (C_in, H, W) with ``weight`` (C_out, C_in / groups, kH, kW).

    As ``conv1d`` along each of the two spatial dims: ``stride``, ``padding`` and ``dilation``
    are an int for both or a pair (height, width); ``padding`` may also be ``'valid'`` or
    ``'same'`` (stride 1 only; an odd total goes to the bottom and right, as in torch).
    """
    return _functional_conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose of ``conv1d`` (its gradient with respect to the input), for ``input``
    (N, C_in, L) or (C_in, L) and ``weight`` (C_in, C_out / groups, K).

    Each input position spreads ``weight`` over a window of the output, windows ``stride`` apart
    (where they overlap, contributions add up); ``padding`` crops that many positions from both
    ends of the result and ``output_padding`` adds that many at the end, so that
    L_out = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose of ``conv2d`` for ``input`` (N, C_in, H, W) or (C_in, H, W) and ``weight``
    (C_in, C_out / groups, kH, kW); as ``conv_transpose1d`` along each spatial dim."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# --- the computation, for any number of spatial dims ---------------------------------------------


def _functional_conv(op: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any,  # noqa: A002
                     padding: Any, dilation: Any, groups: Any) -> Tensor:
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise ValueError(f"{op}: padding must be an int, a tuple of ints, 'same' or 'valid', got {padding!r}")
    stride_ = spatial(stride, dims, "stride", op)
    if padding == "same" and any(s != 1 for s in stride_):
        raise RuntimeError(f"{op}: padding='same' needs stride 1, got stride={stride!r}")
    return _conv(op, dims, input, weight, bias, stride_, padding, dilation, groups, "zeros")


def _check_operands(op: str, dims: int, input: Any, weight: Any, bias: Any) -> None:  # noqa: A002
    """Types and ranks shared by convolution and its transpose."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"{op}: input and weight must be Tensors, got {type(input).__name__} and {type(weight).__name__}"
        )
    if input.ndim not in (dims + 1, dims + 2):
        names = "L" if dims == 1 else "H, W"
        raise ShapeError(
            f"{op}: expected a {dims + 1}-D (unbatched, (C, {names})) or {dims + 2}-D (batched, (N, C, {names})) "
            f"input, got shape {input.shape}"
        )
    if weight.ndim != dims + 2:
        raise ShapeError(f"{op}: weight must be {dims + 2}-D (channels, channels / groups, *kernel), "
                         f"got shape {weight.shape}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{op}: bias must be a Tensor or None, got {type(bias).__name__}")


def _check_groups(op: str, input: Tensor, weight: Tensor, groups: int, channels: int, per_group: int,  # noqa: A002
                  divided: int, what: str) -> None:
    """``channels`` (the input's) must be ``per_group * groups``, and ``divided`` (the weight's
    ``what`` channels) divisible by ``groups``."""
    if divided % groups:
        raise ShapeError(f"{op}: weight of shape {weight.shape} has {divided} {what} channels, "
                         f"not divisible by groups={groups}")
    if channels != per_group * groups:
        raise ShapeError(
            f"{op}: input of shape {input.shape} has {channels} channels, but weight of shape {weight.shape} "
            f"with groups={groups} expects {per_group * groups}"
        )


def _check_bias(op: str, bias: Tensor | None, channels: int) -> None:
    if bias is not None and bias.shape != (channels,):
        raise ShapeError(f"{op}: bias has shape {bias.shape}, expected ({channels},)")


def _conv(op: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,  # noqa: A002
          dilation: Any, groups: Any, padding_mode: str) -> Tensor:
    _check_operands(op, dims, input, weight, bias)
    stride = spatial(stride, dims, "stride", op)
    dilation = spatial(dilation, dims, "dilation", op)
    groups = spatial(groups, 1, "groups", op)[0]
    batched = input.ndim == dims + 2
    x = input if batched else input.unsqueeze(0)
    out_channels, group_channels, *kernel = weight.shape
    _check_groups(op, input, weight, groups, x.shape[1], group_channels, out_channels, "output")
    _check_bias(op, bias, out_channels)
    pads = _padding(padding, tuple(kernel), dilation, op)
    for axis, (size, k, dl, (before, after)) in enumerate(zip(x.shape[2:], kernel, dilation, pads), start=2):
        span = dl * (k - 1) + 1
        if size + before + after < span:
            raise ShapeError(
                f"{op}: along dim {axis} the kernel spans {span} positions (kernel_size={k}, dilation={dl}) but "
                f"the padded input has only {size + before + after} (length {size} + padding {before} + {after})"
            )
    if padding_mode != "zeros" and any(any(p) for p in pads):
        x = padded(x, pads, padding_mode, op)
        pads = ((0, 0),) * dims
    count = window_counts(x.shape[2:], kernel, stride, dilation, pads)
    n, rows, positions = x.shape[0], group_channels * math.prod(kernel), math.prod(count)
    cols = Windows.apply(x, tuple(kernel), stride, dilation, pads, count)
    if groups == 1:
        out = weight.reshape(out_channels, rows) @ cols.reshape(n, rows, positions)
    else:  # one matmul per group, as a batch: (G, C_out / G, rows) @ (N, G, rows, L)
        out = weight.reshape(groups, out_channels // groups, rows) @ cols.reshape(n, groups, rows, positions)
    out = out.reshape(n, out_channels, *count)
    if bias is not None:
        out = out + bias.reshape(out_channels, *(1,) * dims)
    return out if batched else out.squeeze(0)


def _padding(padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], op: str) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial dim; 'same' puts an odd one out after, as torch does."""
    if padding == "valid":
        return ((0, 0),) * len(kernel)
    if padding == "same":
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in spatial(padding, len(kernel), "padding", op, minimum=0))


def _conv_transpose(op: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any,  # noqa: A002
                    padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    _check_operands(op, dims, input, weight, bias)
    stride = spatial(stride, dims, "stride", op)
    padding = spatial(padding, dims, "padding", op, minimum=0)
    output_padding = spatial(output_padding, dims, "output_padding", op, minimum=0)
    dilation = spatial(dilation, dims, "dilation", op)
    groups = spatial(groups, 1, "groups", op)[0]
    for extra, s, dl in zip(output_padding, stride, dilation):
        if extra >= max(s, dl):
            raise ValueError(f"{op}: output_padding {output_padding} must be smaller than the stride {stride} "
                             f"or the dilation {dilation} in each dim")
    batched = input.ndim == dims + 2
    x = input if batched else input.unsqueeze(0)
    in_channels, group_out, *kernel = weight.shape
    _check_groups(op, input, weight, groups, x.shape[1], in_channels // groups, in_channels, "input")
    out_channels = group_out * groups
    _check_bias(op, bias, out_channels)
    n, length = x.shape[0], x.shape[2:]
    size = tuple((m - 1) * s - 2 * p + dl * (k - 1) + extra + 1
                 for m, s, p, dl, k, extra in zip(length, stride, padding, dilation, kernel, output_padding))
    if min(size) < 1:
        raise ShapeError(f"{op}: input of shape {input.shape} with kernel {tuple(kernel)}, stride {stride}, "
                         f"padding {padding} gives an output of size {size}")
    positions, columns = math.prod(length), group_out * math.prod(kernel)
    if groups == 1:
        cols = weight.reshape(in_channels, columns).mT @ x.reshape(n, in_channels, positions)
    else:
        per_group = weight.reshape(groups, in_channels // groups, columns).mT
        cols = per_group @ x.reshape(n, groups, in_channels // groups, positions)
    cols = cols.reshape(n, out_channels, *kernel, *length)
    out = WindowsSum.apply(cols, size, tuple(kernel), stride, dilation, tuple((p, p) for p in padding))
    if bias is not None:
        out = out + bias.reshape(out_channels, *(1,) * dims)
    return out if batched else out.squeeze(0)


# --- layers --------------------------------------------------------------------------------------


class _ConvNd(Module):
    """What the convolution layers share: arguments checked as torch does, weight and bias
    drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torch's default, Kaiming uniform with
    a = sqrt(5)), fan_in being the weight's dim 1 times the kernel's size."""

    dims = 1
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, padding_mode: str, device: Any, dtype: Any,
                 output_padding: Any = 0) -> None:
        super().__init__()
        name, dims = type(self).__name__, self.dims
        dtype = factory_dtype(name, device, dtype)
        self.in_channels = spatial(in_channels, 1, "in_channels", name)[0]
        self.out_channels = spatial(out_channels, 1, "out_channels", name)[0]
        self.groups = spatial(groups, 1, "groups", name)[0]
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: in_channels={self.in_channels} and out_channels={self.out_channels} must both be "
                f"divisible by groups={self.groups}"
            )
        self.kernel_size = spatial(kernel_size, dims, "kernel_size", name)
        self.stride = spatial(stride, dims, "stride", name)
        self.dilation = spatial(dilation, dims, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self.transposed:
                allowed = "an int or a tuple of ints" + ("" if self.transposed else ", 'same' or 'valid'")
                raise ValueError(f"{name}: padding must be {allowed}, got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1, got stride={stride!r}")
            self.padding: Any = padding
        else:
            self.padding = spatial(padding, dims, "padding", name, minimum=0)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode 'zeros' is supported, got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.output_padding = spatial(output_padding, dims, "output_padding", name, minimum=0)
        first, second = (in_channels, out_channels // self.groups) if self.transposed else (
            out_channels, in_channels // self.groups)
        shape = (first, second, *self.kernel_size)
        self.weight = Parameter(ag.zeros(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(ag.zeros(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)
        rng = ag.generator()
        with ag.no_grad():
            self.weight.copy_(rng.uniform(-bound, bound, size=self.weight.shape))
            if self.bias is not None:
                self.bias.copy_(rng.uniform(-bound, bound, size=self.bias.shape))

    def extra_repr(self) -> str:
        dims = self.dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _conv(f"conv{self.dims}d", self.dims, input, self.weight, self.bias, self.stride, self.padding,
                     self.dilation, self.groups, self.padding_mode)


class Conv1d(_Conv):
    """A 1-D convolution layer over (N, C_in, L) or (C_in, L) inputs.

    ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True, padding_mode='zeros', device=None, dtype=None)``. ``weight`` is (out_channels,
    in_channels / groups, kernel_size), ``bias`` (out_channels,), both drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kernel_size
    (torch's default: Kaiming uniform with a = sqrt(5)). ``padding`` is an int, ``'valid'``
    or ``'same'``; ``padding_mode`` says what the padded positions hold.
    """

    dims = 1


class Conv2d(_Conv):
    """A 2-D convolution layer over (N, C_in, H, W) or (C_in, H, W) inputs.

    Arguments as ``Conv1d``'s, each spatial one an int for both dims or a pair (height,
    width). ``weight`` is (out_channels, in_channels / groups, kH, kW), initialised as
    ``Conv1d``'s with fan_in = in_channels / groups * kH * kW, so a torch state_dict loads as is.
    """

    dims = 2


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        """``output_size`` (the spatial size, optionally after N and C) picks the output
        padding when several output sizes give the input's size."""
        extra = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return _conv_transpose(f"conv_transpose{self.dims}d", self.dims, input, self.weight, self.bias, self.stride,
                               self.padding, extra, self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:  # noqa: A002
        name, dims = type(self).__name__, self.dims
        wanted = tuple(output_size)[-dims:]
        extra = []
        for size, want, s, p, dl, k in zip(input.shape[-dims:], wanted, self.stride, self.padding, self.dilation,
                                           self.kernel_size):
            smallest = (size - 1) * s - 2 * p + dl * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(f"{name}: output_size {tuple(output_size)} is not reachable from input of shape "
                                 f"{input.shape}: each spatial size must lie in [{smallest}, {smallest + s - 1}]")
            extra.append(want - smallest)
        return tuple(extra)


class ConvTranspose1d(_ConvTranspose):
    """The transpose of ``Conv1d`` (used to upsample), over (N, C_in, L) or (C_in, L) inputs.

    ``ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None,
    dtype=None)``. ``weight`` is (in_channels, out_channels / groups, kernel_size), initialised
    with fan_in = out_channels / groups * kernel_size, as torch does.
    """

    dims = 1


class ConvTranspose2d(_ConvTranspose):
    """The transpose of ``Conv2d``, over (N, C_in, H, W) or (C_in, H, W) inputs; arguments as
    ``ConvTranspose1d``'s, each spatial one an int or a pair. ``weight`` is (in_channels,
    out_channels / groups, kH, kW)."""

    dims = 2
