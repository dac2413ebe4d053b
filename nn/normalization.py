"""``BatchNorm1d`` and ``BatchNorm2d`` (statistics over the batch, per channel), ``LayerNorm``
(per sample) and ``GroupNorm`` (per sample and group of channels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd as ag
from autograd import Tensor

from . import functional as F
from . import init
from .errors import ShapeError
from .module import Module, Parameter, factory_dtype


def _reset_affine(module: Any) -> None:
    """A normalization's scale back to ones and its shift to zeros (those it has)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """What ``BatchNorm1d`` and ``BatchNorm2d`` share; they differ in the input ranks they take."""

    ranks: tuple[int, ...] = ()  # the input ranks a subclass takes
    described = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = factory_dtype(name, device, dtype)
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ag.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(ag.zeros(num_features, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ag.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", ag.tensor(0, dtype=ag.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in self.ranks:
            raise ShapeError(f"{name}: expected a {self.described} input, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}: expected {self.num_features} channels in dim 1, got {input.shape[1]} "
                f"(input shape {input.shape})"
            )
        updating = self.training and self.track_running_stats
        factor = 0.0
        if updating:
            seen = int(self.num_batches_tracked.item()) + 1
            factor = 1.0 / seen if self.momentum is None else self.momentum
        out = F.batch_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training or not self.track_running_stats,
            momentum=factor,
            eps=self.eps,
        )
        if updating:  # counted only once the batch was accepted
            with ag.no_grad():
                self.num_batches_tracked.add_(1)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Normalise each of ``num_features`` channels of an (N, C) or (N, C, L) input over the
    batch (and the length). Training uses the batch's mean and (biased) variance and moves the buffers
    ``running_mean``/``running_var`` towards the batch's mean and unbiased variance:
    r <- (1 - momentum) r + momentum * batch, or a cumulative average of all batches when
    ``momentum`` is None. Evaluation uses the running statistics. ``num_batches_tracked``
    counts training batches. With ``track_running_stats=False`` there are no buffers and
    the batch statistics are used in both modes.
    """

    ranks = (2, 3)
    described = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """``BatchNorm1d`` for images: each of ``num_features`` channels of an (N, C, H, W) input
    normalised over the batch and both spatial dims, with the same buffers and parameters."""

    ranks = (4,)
    described = "4-D (N, C, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its trailing dims ``normalized_shape`` (biased variance), then
    scale by ``weight`` and shift by ``bias`` (both of that shape) if ``elementwise_affine``."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        dtype = factory_dtype("LayerNorm", device, dtype)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got {normalized_shape!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(ag.ones(*shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(ag.zeros(*shape, dtype=dtype)) if elementwise_affine and bias else None

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise an (N, C, *) input per sample over groups of channels: the C channels split into
    ``num_groups`` groups of consecutive ones, each normalised over its channels and all other
    dims (biased variance), then each channel scaled by ``weight`` and shifted by ``bias``
    (ones and zeros of shape (C,), if ``affine``)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        dtype = factory_dtype("GroupNorm", device, dtype)
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(ag.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(ag.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
