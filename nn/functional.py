"""``nn.functional``: layers and losses as functions of tensors (``import nn.functional as F``).

Everything here is composed from Tensor operations, so gradients of every order come for
free. Four ops have a derivative rule of their own and are ``Function`` subclasses defined
here: ``Softplus`` (log(1 + e^x) without overflow), ``BinaryCrossEntropy`` (whose gradient
must stay finite where a probability is exactly 0 or 1), ``SoftmaxCrossEntropy`` (the common
cross-entropy as one node) and ``ElmanTanh`` (the step of a tanh RNN as one node). Each has a
line in ``nn/op_table.py``, which checks it at first and second order. (``erf`` is autograd's
op, ``Tensor.erf``.)
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, Tensor, ops

from .attention import multi_head_attention_forward, scaled_dot_product_attention  # re-exported, as in torch
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # beside their layers; re-exported, as in torch
from .errors import DomainError, DtypeError, IndexRangeError, ShapeError
from .fold import fold, unfold
from .padding import pad
from .pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from .upsampling import interpolate

REDUCTIONS = ("mean", "sum", "none")

# --- special functions with their own derivative rules -------------------------------------

class Softplus(Op):
    """log(1 + e^x). NOTE: ``np.logaddexp`` never overflows, where exp(x) would for x > 88 in float32."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # a NaN in gives NaN out, without NumPy's warning (as torch)
            return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * ops.Sigmoid.apply(x)


_LOG_FLOOR = -100.0  # log(p) is clamped here so that p = 0 gives a finite loss, as torch does
_PROB_FLOOR = math.exp(_LOG_FLOOR)


class BinaryCrossEntropy(Op):
    """-(y log p + (1 - y) log(1 - p)) elementwise, with each log clamped at -100.

    Composed from ``log`` and ``clamp`` its gradient would be 0/0 = nan wherever p is
    exactly 0 or 1 (a saturated float32 sigmoid); this rule divides by p(1 - p) floored
    at 1e-12 instead and stays finite.
    """

    @staticmethod
    def forward(ctx: Any, p: Any, y: Any) -> Any:
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        return -(y * log_p + (1 - y) * log_q)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        p, y = ctx.saved_tensors
        gp = g * (p - y) / np.maximum(p * (1.0 - p), 1e-12) if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            gy = g * (np.log(np.maximum(1.0 - p, _PROB_FLOOR)) - np.log(np.maximum(p, _PROB_FLOOR)))
        return gp, gy


class SoftmaxCrossEntropy(Op):
    """Mean (or sum) of -log softmax(x)[t] over a batch of logits x (N, C) and class indices t,
    as one node: the loss of nearly every classifier, whose composed form takes a dozen ops.

    Its gradient (softmax(x) - onehot(t)) / n is written with softmax as a tensor op, so it is
    differentiable again. Targets equal to ``ignore_index`` count for nothing (and the mean
    is over the others).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, ignore_index: int, mean: bool) -> Any:
        kept = t != ignore_index
        safe = np.where(kept, t, 0)
        # log softmax(x)[t] = (x[t] - max) - log(sum(exp(x - max))): shifted, so exp never
        # overflows; only the picked entries of the first term are computed.
        top = x.max(axis=1, keepdims=True)
        total = np.exp(x - top).sum(axis=1)
        picked = (x[np.arange(x.shape[0]), safe] - top[:, 0]) - np.log(total)
        count = np.count_nonzero(kept) if mean else 1
        # The mean of nothing (every target ignored) is nan, as torch's.
        scale = np.asarray(1.0 / count if count else np.nan, dtype=x.dtype)
        ctx.save_for_backward(x)
        ctx.onehot = (np.arange(x.shape[1]) == safe[:, None]) & kept[:, None]
        ctx.weight = (kept * scale).astype(x.dtype)[:, None]
        return -(picked * kept).sum() * scale

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return (ops.Softmax.apply(x, 1) - ctx.onehot) * (ctx.weight * g), None, None, None


class ElmanTanh(Op):
    """tanh(xw + h W^T): one step of a tanh RNN, given the projection xw of its input (biases
    included), the state h (N, H) and W_hh (H, H), as one node. Composed it takes three nodes
    at every time step (a linear, an add, a tanh); the backward is tanh's rule and linear's
    (``ops.linear_grads``), written on arrays or tensors, so it is differentiable again."""

    @staticmethod
    def forward(ctx: Any, xw: Any, h: Any, w: Any) -> Any:
        out = np.tanh(xw + np.matmul(h, w.T))
        needs = ctx.needs_input_grad
        ctx.save_for_backward(out, h if needs[2] else None, w if needs[1] else None)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, h, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        dz = g * (1.0 - out * out)
        gh, gw, _ = ops.linear_grads(dz, h, w, (needs[1], needs[2], False))
        return dz, gh, gw


def erf(input: Any) -> Tensor:  # noqa: A002
    """The error function, elementwise, differentiable to any order."""
    return _as_tensor(input).erf()  # autograd's op (ops/math.py); here for code that calls F.erf


# --- helpers ---------------------------------------------------------------------------------


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else ag.tensor(x)


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_probability(p: Any, op: str, name: str = "p") -> float:
    """``p`` as a float; anything but a number in [0, 1] (nan, a string) is refused, naming it."""
    # The stubs give numbers.Real no __ge__, which 0.0 <= p falls back to at run time (a Fraction has one).
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:  # type: ignore[operator]
        raise ValueError(f"{op}: probability {name} must be a number in [0, 1], got {p!r}")
    return float(p)


def _warn_if_broadcast(input: Tensor, target: Tensor, op: str) -> None:  # noqa: A002
    if input.shape != target.shape:
        warnings.warn(
            f"{op}: target shape {target.shape} differs from input shape {input.shape}; they will be broadcast, "
            "which is rarely intended (e.g. (N, 1) against (N,) gives an (N, N) loss)",
            UserWarning,
            stacklevel=3,
        )


def _legacy_softmax_dim(ndim: int, op: str) -> int:
    # torch's old implicit choice: the class dim of (C,), (N, C) and (N, C, L) inputs.
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(f"{op} without dim: using dim={dim}; pass dim explicitly", UserWarning, stacklevel=3)
    return dim


# --- layers as functions ---------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` with ``weight`` of shape (out_features, in_features)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        got = input.shape[-1] if input.ndim else "no"
        raise ShapeError(
            f"linear: expected input with {weight.shape[1]} features in its last dim, got {got} "
            f"(input shape {input.shape}, weight shape {weight.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return ag.linear(input, weight, bias)


def rnn_tanh_cell(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One step of a tanh RNN on a batch, h' = tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh), as
    torch's ``rnn_tanh_cell``: input (N, input_size), hx (N, hidden_size), W_ih (hidden_size,
    input_size), W_hh (hidden_size, hidden_size). Its step is ``ElmanTanh``, the node of every
    tanh step of ``nn.RNNCell`` and ``nn.RNN``."""
    if w_hh.ndim != 2 or w_hh.shape[0] != w_hh.shape[1]:
        raise ShapeError(f"rnn_tanh_cell: w_hh must be square (hidden_size, hidden_size), got shape {w_hh.shape}")
    if input.ndim != 2:
        raise ShapeError(f"rnn_tanh_cell: input must be a batch (N, input_size), got shape {input.shape}")
    if hx.shape != (input.shape[0], w_hh.shape[0]):
        raise ShapeError(
            f"rnn_tanh_cell: hx must have shape (N, hidden_size) = {(input.shape[0], w_hh.shape[0])} for input "
            f"{input.shape} and w_hh {w_hh.shape}, got {hx.shape}"
        )
    if w_ih.shape != (w_hh.shape[0], input.shape[1]):
        raise ShapeError(
            f"rnn_tanh_cell: w_ih must be (hidden_size, input_size) = {(w_hh.shape[0], input.shape[1])} for input "
            f"{input.shape} and w_hh {w_hh.shape}, got shape {w_ih.shape}"
        )
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and b.shape != (w_hh.shape[0],):
            raise ShapeError(f"rnn_tanh_cell: {name} must have shape ({w_hh.shape[0]},), got {b.shape}")
    bias = b_ih if b_hh is None else b_hh if b_ih is None else b_ih + b_hh
    return ElmanTanh.apply(ag.linear(input, w_ih, bias), hx, w_hh)  # the shapes are checked above


# --- activations -----------------------------------------------------------------------------
# Composed from differentiable tensor ops, so right to every order. At the points where a
# piece ends, the gradient is torch's: the flat pieces of hardtanh, relu6, hardsigmoid,
# hardswish, softshrink, hardshrink and threshold pass none at their ends (hardtanh'(max_val)
# is 0, where clamp passes the gradient on its closed interval), relu'(0) = 0, and elu, celu,
# selu, leaky_relu and prelu take the slope of their left piece at 0. A NaN stays NaN.
# ``inplace=True`` writes the result into the input and returns it, as torch does.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _activate(input: Tensor, fn: Any, inplace: bool) -> Tensor:  # noqa: A002
    """``fn(input)``, or with ``inplace`` that result written into ``input`` (refused, as in torch,
    for a leaf that requires grad, and for a result the input's dtype cannot hold)."""
    if not inplace:
        return fn(input)
    # The math reads a copy, so what it saves for backward is not the memory overwritten.
    result = fn(input.clone())
    if result.dtype != input.dtype:
        raise DtypeError(f"in-place activation: the result has dtype {result.dtype}, which a tensor of dtype "
                         f"{input.dtype} cannot hold; use inplace=False")
    return input.copy_(result)


def _float(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` as the operand of a function of floats: bool and integer tensors in the default float dtype."""
    return input if input.dtype.kind == "f" else input.to(ag.get_default_dtype())


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x)."""
    return _activate(input, Tensor.relu, inplace)


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """``relu`` in place."""
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(0, x), 6): ``hardtanh`` between 0 and 6."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x clamped to [min_val, max_val], with no gradient at either end (torch's convention)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val ({max_val})")

    def fn(x: Tensor) -> Tensor:
        if x.dtype.kind != "f":  # no gradient to place: integers stay integers, as in torch
            return x.clamp(min_val, max_val).to(x.dtype)
        return ag.where((x > min_val) & (x < max_val), x, x.detach().clamp(min_val, max_val))

    return _activate(input, fn, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``hardtanh`` in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between."""
    return _activate(input, lambda x: relu6(_float(x) + 3.0) / 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * relu6(x + 3) / 6."""
    return _activate(input, lambda x: x * hardsigmoid(x), inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) (also called swish)."""
    return _activate(input, lambda x: x * x.sigmoid(), inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))."""
    return _activate(input, lambda x: x * Softplus.apply(_float(x)).tanh(), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else alpha * (e^x - 1)."""
    # NOTE: expm1 of min(x, 0): e^x itself would overflow to inf for a large x, and the gradient
    # the unused branch gets there (0 times inf) would be NaN.
    return _activate(input, lambda x: ag.where(x > 0, x, _float(x).clamp(max=0.0).expm1() * alpha), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``elu`` in place."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalizing constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    return _activate(input, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """``selu`` in place."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else alpha * (e^(x / alpha) - 1): an elu whose slope at 0 is 1 for any alpha."""
    if alpha == 0:
        raise DomainError("celu: alpha must not be 0 (it divides x)")
    return _activate(input, lambda x: ag.where(x > 0, x, (_float(x).clamp(max=0.0) / alpha).expm1() * alpha), inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``celu`` in place."""
    return celu(input, alpha, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else negative_slope * x."""
    return _activate(input, lambda x: ag.where(x > 0, x, x * negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``leaky_relu`` in place."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x for x > 0, else weight * x, with one learned slope, or one per channel (dim 1 of the input)."""
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.ndim != 1 or n != channels:
            raise ShapeError(f"prelu: weight of shape {tuple(weight.shape)} needs one slope or one per channel; "
                             f"an input of shape {tuple(input.shape)} has {channels} (its dim 1)")
    slope = weight.reshape(()) if n == 1 else weight.reshape((n,) + (1,) * (input.ndim - 2))
    return ag.where(input > 0, input, input * slope)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold, else ``value``."""
    return _activate(input, lambda x: ag.where(x <= threshold, value, x), inplace)


_threshold = threshold  # for threshold_, whose argument takes the name


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``threshold`` in place."""
    return _threshold(input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0."""
    return ag.where((input >= -lambd) & (input <= lambd), 0.0, _float(input))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if not lambd >= 0:
        raise DomainError(f"softshrink: lambd must be at least 0, got {lambd}")
    x = _float(input)
    return ag.where(x > lambd, x - lambd, ag.where(x < -lambd, x + lambd, x * 0.0))  # x * 0: a NaN stays NaN


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """x - tanh(x)."""
    return input - input.tanh()


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    return input / (input.abs() + 1.0)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), which stays finite for x far below 0."""
    return -Softplus.apply(-_float(input))


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """a * sigmoid(b), for a and b the two halves of ``input`` along ``dim`` (gated linear unit)."""
    if input.ndim == 0:
        raise ShapeError("glu: a 0-d tensor has no dim to halve")
    n = input.shape[dim]
    if n % 2:
        raise ShapeError(f"glu: dim {dim} of shape {tuple(input.shape)} has odd size {n}; it must halve")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x Phi(x), Phi the standard normal CDF: exact through erf, or torch's tanh approximation."""
    x = _float(input)
    if approximate == "none":
        return x * 0.5 * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = (x + 0.044715 * x * x * x) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """tanh(x), elementwise."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + e^-x), elementwise."""
    return input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + e^{beta x}) / beta, and x itself where beta x > threshold (as torch)."""
    x = _float(input)
    scaled = x * beta if beta != 1 else x
    smooth = Softplus.apply(scaled)
    if beta != 1:
        smooth = smooth / beta
    return ag.where(scaled > threshold, x, smooth)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """e^x / sum(e^x) along ``dim``, computed in ``dtype`` if given."""
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_legacy_softmax_dim(x.ndim, "softmax") if dim is None else dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax(-x) along ``dim``: the smallest element gets the largest weight."""
    x = input if dtype is None else input.to(dtype)
    return (-x).softmax(_legacy_softmax_dim(x.ndim, "softmin") if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed without forming the softmax."""
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_legacy_softmax_dim(x.ndim, "log_softmax") if dim is None else dim)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None  # noqa: A002
) -> Tensor:
    """x divided by its p-norm along ``dim``, the norm taken as at least ``eps`` (so a zero
    vector stays zero); written into ``out`` if given."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    return result if out is None else out.copy_(result)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), so that the
    expected value is unchanged and evaluation needs no rescaling. Identity when not training."""
    _check_probability(p, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = ag.generator().random(input.shape) >= p
    return input * (keep * (1.0 / (1.0 - p))).astype(input.dtype)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: each (sample, channel) row of an (N, C, L) or (C, L) input with
    probability ``p``, the rest scaled by 1/(1-p). Identity when not training."""
    if input.ndim not in (2, 3):
        raise ShapeError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {input.shape}")
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: each (sample, channel) plane of an (N, C, H, W) input with
    probability ``p``, the rest scaled by 1/(1-p). A 3-D input is taken as (N, C, L), with a
    warning, as torch does for now. Identity when not training."""
    if input.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected a 3-D or 4-D (N, C, H, W) input, got shape {input.shape}")
    if input.ndim == 3:
        warnings.warn("dropout2d: a 3-D input is taken as (N, C, L) and its channels dropped (use dropout1d "
                      "for that); torch plans to read it as an unbatched (C, H, W) instead", stacklevel=2)
    return _channel_dropout(input, p, training, input.ndim - 2 if input.ndim == 4 else 1, "dropout2d")


def _channel_dropout(input: Tensor, p: float, training: bool, spatial_dims: int, op: str) -> Tensor:  # noqa: A002
    """Dropout with one draw per channel, shared by its trailing ``spatial_dims`` dims."""
    _check_probability(p, op)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = ag.generator().random(input.shape[: input.ndim - spatial_dims] + (1,) * spatial_dims) >= p
    return input * (keep * (1.0 / (1.0 - p))).astype(input.dtype)


def _check_indices(indices: Tensor, num: int, op: str, what: str) -> np.ndarray:
    idx = indices.detach().numpy()
    if idx.dtype.kind not in "iu":
        raise DtypeError(f"{op}: indices must be an integer tensor, got dtype {idx.dtype} (use .long())")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        culprit = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexRangeError(f"{op}: index {culprit} is out of range for {num} {what} (valid indices 0 to {num - 1})")
    return idx


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``; shape input.shape + (dim,).

    The row at ``padding_idx`` is looked up like any other but receives no gradient.
    """
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    idx = _check_indices(_as_tensor(input), weight.shape[0], "embedding", "embeddings")
    rows = weight[idx]
    if padding_idx is None:
        return rows
    padding_idx = _normalize_padding_idx(padding_idx, weight.shape[0])
    # Same values either way; only the first branch carries gradient back to the weight.
    trainable = np.expand_dims(idx != padding_idx, -1)
    return ag.where(trainable, rows, weight.detach()[idx])


def _normalize_padding_idx(padding_idx: int, num_embeddings: int) -> int:
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx {padding_idx} is out of range for {num_embeddings} embeddings")
    return padding_idx % num_embeddings


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer classes of any shape to a 0/1 int64 tensor with a last dim of ``num_classes``
    (one more than the largest class when -1)."""
    t = _as_tensor(tensor)
    if t.dtype.kind not in "iu":
        raise DtypeError(f"one_hot: classes must be an integer tensor, got dtype {t.dtype}")
    if num_classes == -1:
        if t.numel() == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(t.max()) + 1
    elif num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    idx = _check_indices(t, num_classes, "one_hot", "classes")
    return ag.from_numpy((np.expand_dims(idx, -1) == np.arange(num_classes)).astype(np.int64))


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) over ``axes`` with the biased variance; also returns the
    mean and variance for the caller's running statistics."""
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    return centered / (var + eps).sqrt(), mean, var


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing dims ``normalized_shape`` of each sample, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or input.shape[input.ndim - k :] != shape:
        raise ShapeError(
            f"layer_norm: the input's trailing dims must be normalized_shape {shape}, got input shape {input.shape}"
        )
    out, _, _ = _normalize(input, tuple(range(input.ndim - k, input.ndim)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample of an (N, C, *) input over groups of ``C / num_groups`` consecutive
    channels (and every other dim), with the biased variance; then scale and shift each channel."""
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected an input with a channel dim (N, C, ...), got shape {input.shape}")
    n, channels = input.shape[:2]
    if not isinstance(num_groups, int) or num_groups <= 0 or channels % num_groups:
        raise ShapeError(f"group_norm: the {channels} channels of input {input.shape} do not split into "
                         f"num_groups={num_groups} equal groups")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"group_norm: {name} has shape {t.shape}, expected ({channels},)")
    out, _, _ = _normalize(input.reshape(n, num_groups, -1), (2,), eps)
    out = out.reshape(input.shape)
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of an (N, C) or (N, C, L) input over the other dims.

    In training (or without running statistics) the batch's own mean and biased variance are
    used, and ``running_mean``/``running_var``, when given, move towards the batch's mean and
    unbiased variance by ``momentum``: r <- (1 - momentum) r + momentum * batch. In evaluation
    the running statistics are used instead.
    """
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected an input with a channel dim (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    stats_shape = (1, channels) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"batch_norm: {name} has shape {t.shape}, expected ({channels},) for input {input.shape}")
    axes = (0, *range(2, input.ndim))
    per_channel = input.numel() // max(channels, 1)
    if training or running_mean is None or running_var is None:
        if training and per_channel <= 1:
            raise ShapeError(
                f"batch_norm: training needs more than one value per channel to estimate a variance, "
                f"got input of shape {input.shape}"
            )
        out, mean, var = _normalize(input, axes, eps)
        if training and running_mean is not None and running_var is not None:
            with ag.no_grad():
                unbiased = var.detach().reshape(channels) * (per_channel / (per_channel - 1))
                running_mean.mul_(1.0 - momentum).add_(mean.detach().reshape(channels) * momentum)
                running_var.mul_(1.0 - momentum).add_(unbiased * momentum)
    else:
        mean = running_mean.detach().reshape(stats_shape)
        var = running_var.detach().reshape(stats_shape)
        out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(stats_shape)
    if bias is not None:
        out = out + bias.reshape(stats_shape)
    return out


# --- losses ----------------------------------------------------------------------------------


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """(input - target)^2, reduced."""
    _check_reduction(reduction, "mse_loss")
    target = _as_tensor(target)
    _warn_if_broadcast(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """|input - target|, reduced."""
    _check_reduction(reduction, "l1_loss")
    target = _as_tensor(target)
    _warn_if_broadcast(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """0.5 d^2 / beta where |d| < beta, else |d| - beta/2 (d = input - target); beta = 0 is l1."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    target = _as_tensor(target)
    _warn_if_broadcast(input, target, "smooth_l1_loss")
    diff = input - target
    a = diff.abs()
    return _reduce(ag.where(a < beta, diff * diff * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2): smooth_l1 times delta."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _as_tensor(target)
    _warn_if_broadcast(input, target, "huber_loss")
    diff = input - target
    a = diff.abs()
    return _reduce(ag.where(a < delta, diff * diff * 0.5, (a - 0.5 * delta) * delta), reduction)


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:  # noqa: A002
    if input.shape != target.shape:
        raise ShapeError(f"{op}: target shape {target.shape} must equal the input shape {input.shape}")


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p = input in [0, 1].

    Prefer ``binary_cross_entropy_with_logits`` on the logits: it is exact where the
    sigmoid has already rounded to 0 or 1.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    target = _as_tensor(target)
    _check_same_shape(input, target, "binary_cross_entropy")
    p = input.detach().numpy()
    if p.size and not (np.min(p) >= 0 and np.max(p) <= 1):  # written so that nan fails too
        bad = p[~((p >= 0) & (p <= 1))].reshape(-1)[0]
        raise DomainError(f"binary_cross_entropy: input must hold probabilities in [0, 1], found {bad}")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits without forming the sigmoid.

    With y the target and w+ the ``pos_weight`` (one per class, on the last dim):
    loss = -(w+ y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
         = (1 - y) x + (1 + (w+ - 1) y) softplus(-x),
    and softplus never overflows, so large logits of either sign are exact.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_tensor(target)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    target = target.to(input.dtype)
    log_sigmoid_neg = softplus(-input)  # -log sigmoid(x)
    if pos_weight is None:
        loss = (1.0 - target) * input + log_sigmoid_neg
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * log_sigmoid_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_dim(x: Tensor, op: str) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{op}: input must have a class dim: (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    return 0 if x.ndim == 1 else 1


def _check_class_weight(weight: Tensor | None, classes: int, op: str) -> None:
    if weight is not None and weight.shape != (classes,):
        raise ShapeError(f"{op}: weight must have one entry per class, shape ({classes},), got {weight.shape}")


def _class_indices(input: Tensor, target: Tensor, ignore_index: int | None, op: str) -> np.ndarray:  # noqa: A002
    """The target as validated class indices: integer, of the input's shape without the class dim, in range
    (or equal to ``ignore_index``)."""
    classes = input.shape[_class_dim(input, op)]
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if target.dtype.kind not in "iu":
        raise DtypeError(
            f"{op}: class-index targets must be integers, got dtype {target.dtype} with shape {target.shape} "
            f"for input of shape {input.shape}; use target.long(), or give class probabilities of the input's shape"
        )
    if target.shape != expected:
        raise ShapeError(f"{op}: target shape {target.shape} does not fit input shape {input.shape}; "
                         f"class indices need shape {expected}")
    t = target.detach().numpy()
    out_of_range = (t < 0) | (t >= classes)
    if ignore_index is not None:
        out_of_range &= t != ignore_index
    if np.any(out_of_range):
        allowed = "" if ignore_index is None else f", or ignore_index={ignore_index}"
        raise IndexRangeError(
            f"{op}: target {int(t[out_of_range].reshape(-1)[0])} is out of range for {classes} classes "
            f"(valid 0 to {classes - 1}{allowed})"
        )
    return t


def _classes_last(x: Tensor) -> Tensor:
    """(C,) -> (1, C) and (N, C, d1, ...) -> (N * d1 * ..., C): one row per prediction."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _weighted_nll(
    log_probs: Tensor, t: np.ndarray, weight: Tensor | None, ignore_index: int
) -> tuple[Tensor, Tensor, np.ndarray]:
    """Per-prediction -w[t] log p[t] (0 where ignored), flat; the per-prediction weights
    (the denominator of a weighted mean); and the mask of predictions not ignored."""
    rows = _classes_last(log_probs)
    flat = t.reshape(-1)
    kept = flat != ignore_index
    safe = np.where(kept, flat, 0)
    picked = rows[np.arange(rows.shape[0]), safe]
    mask = kept.astype(log_probs.dtype)
    w = ag.from_numpy(mask) if weight is None else weight[safe] * mask
    return -picked * w, w, kept


def _reduce_weighted(per: Tensor, w: Tensor, shape: tuple[int, ...], reduction: str) -> Tensor:
    if reduction == "mean":
        # NOTE: a weighted mean (sum of w), not a count; if every target is ignored this is 0/0 = nan, as torch.
        return per.sum() / w.sum()
    if reduction == "sum":
        return per.sum()
    return per.reshape(shape)


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """-weight[t] * input[t] for log-probabilities ``input`` of shape (C,), (N, C) or (N, C, d1, ...)
    and class indices ``t``; targets equal to ``ignore_index`` contribute nothing."""
    _check_reduction(reduction, "nll_loss")
    target = _as_tensor(target)
    t = _class_indices(input, target, ignore_index, "nll_loss")
    _check_class_weight(weight, input.shape[_class_dim(input, "nll_loss")], "nll_loss")
    per, w, _ = _weighted_nll(input, t, weight, ignore_index)
    return _reduce_weighted(per, w, t.shape, reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) over dim 1 (dim 0 for a (C,) input) and the target.

    The target is either class indices (integers, the input's shape without the class dim)
    or class probabilities (floats, the input's shape). ``label_smoothing`` e mixes the
    target with the uniform distribution: (1 - e) target + e / C. With ``weight`` and class
    indices the mean divides by the summed weights of the targets; with probabilities it
    divides by the number of predictions.
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _as_tensor(target)
    cdim = _class_dim(input, op)
    classes = input.shape[cdim]
    _check_class_weight(weight, classes, op)
    if (input.ndim == 2 and weight is None and label_smoothing == 0 and reduction != "none"
            and target.ndim == 1 and target.dtype.kind in "iu"):
        # The common case (a batch of logits, class indices) as one op: see SoftmaxCrossEntropy.
        t = _class_indices(input, target, ignore_index, op)
        return SoftmaxCrossEntropy.apply(input, t, ignore_index, reduction == "mean")
    log_probs = input.log_softmax(cdim)  # NOTE: never forms softmax then log, which underflows to -inf
    w_shape = (classes,) + (1,) * (input.ndim - cdim - 1)

    if target.shape == input.shape and (target.dtype.kind == "f" or input.ndim > 1):
        if target.dtype.kind != "f":
            raise DtypeError(
                f"{op}: a target of the input's shape {input.shape} holds class probabilities and must be "
                f"floating point, got dtype {target.dtype}"
            )
        probs = target if label_smoothing == 0 else target * (1.0 - label_smoothing) + label_smoothing / classes
        terms = log_probs * probs if weight is None else log_probs * probs * weight.reshape(w_shape)
        per = -terms.sum(cdim)
        if reduction == "mean":
            return per.sum() / (input.numel() // classes)
        return _reduce(per, reduction)

    t = _class_indices(input, target, ignore_index, op)
    per, w, kept = _weighted_nll(log_probs, t, weight, ignore_index)
    if label_smoothing > 0:
        # The uniform part of the smoothed target: -sum_c w_c log p_c / C per prediction.
        rows = _classes_last(log_probs)
        if weight is not None:
            rows = rows * weight
        uniform = -rows.sum(1) * kept.astype(input.dtype)
        per = per * (1.0 - label_smoothing) + uniform * (label_smoothing / classes)
    return _reduce_weighted(per, w, t.shape, reduction)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge loss: for scores x of shape (N, C) or (C,) and class y,
    sum over i != y of max(0, margin - x[y] + x[i])^p, divided by C (times weight[y])."""
    op = "multi_margin_loss"
    _check_reduction(reduction, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: p must be 1 or 2, got {p}")
    if input.ndim not in (1, 2):
        raise ShapeError(f"{op}: input must be (C,) or (N, C), got shape {input.shape}")
    target = _as_tensor(target)
    t = _class_indices(input, target, None, op)
    classes = input.shape[-1]
    _check_class_weight(weight, classes, op)
    rows = input.reshape(1, -1) if input.ndim == 1 else input
    flat = t.reshape(-1)
    correct = rows[np.arange(rows.shape[0]), flat].unsqueeze(1)
    # relu'(0) = 0: a margin met exactly gives no gradient, as torch's rule (z > 0) does.
    hinge = (rows - correct + margin).relu()
    if p == 2:
        hinge = hinge * hinge
    others = (np.arange(classes) != flat[:, None]).astype(input.dtype)
    per = (hinge * others).sum(1) * (1.0 / classes)
    if weight is not None:
        per = per * weight[flat]
    return _reduce(per.reshape(t.shape), reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:  # noqa: A002
    """x where y = 1 and max(0, margin - x) where y = -1, elementwise (as torch).

    The lectures' hinge loss max(0, 1 - y f(x)) for labels y in {-1, 1} is this loss of the
    agreements y * f(x) with targets of -1: ``hinge_embedding_loss(y * f, -ones)``.
    """
    _check_reduction(reduction, "hinge_embedding_loss")
    target = _as_tensor(target)
    y = target.detach().numpy()
    # NOTE: both terms apply to targets other than 1 and -1, as in torch's definition.
    margin_term = ag.where(y != 1, (margin - input).clamp(min=0.0), 0.0)
    self_term = ag.where(y != -1, input, 0.0)
    return _reduce(margin_term + self_term, reduction)


__all__ = [
    "BinaryCrossEntropy", "ElmanTanh", "SoftmaxCrossEntropy", "Softplus", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "cross_entropy", "dropout", "embedding", "erf", "gelu",
    "hinge_embedding_loss", "huber_loss", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "mse_loss",
    "multi_head_attention_forward", "multi_margin_loss", "nll_loss", "one_hot", "relu", "rnn_tanh_cell",
    "scaled_dot_product_attention", "sigmoid", "smooth_l1_loss", "softmax", "softplus", "tanh",
]

# Convolution, pooling, padding and resizing, defined in modules of their own (imported above).
__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
    "avg_pool2d", "conv2d", "conv_transpose1d", "conv_transpose2d", "dropout1d", "dropout2d", "fold", "group_norm",
    "interpolate", "max_pool1d", "max_pool2d", "max_unpool1d", "max_unpool2d", "pad", "unfold",
]
