"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` over whole sequences, and their one-step cells.

Shapes, parameter names, gate order and equations follow ``torch.nn``, so a state_dict maps
one to one. Each recurrence is written once, as a step function on a batch, and used by
both the cell and the layer. The layers project the input of every time step in one matmul
before the loop; inside the loop only the hidden-to-hidden matmul and the gates remain.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.device import DeviceLike
from autograd.dtypes import DTypeLike

from . import functional as F
from .errors import ShapeError
from .module import Module, Parameter, factory_dtype

# A step maps (input projection at one time step, state, W_hh, b_hh) to (output, new state).
# NOTE: h @ W_hh^T is linear(h, W_hh), with no transposed copy of W_hh in the graph: that copy's
# gradient was summed into a new H x H buffer at every step (and a cell transposed W_hh at
# every call); W_hh's own gradient accumulates in place in its .grad.
# The state is h for RNN and GRU, the pair (h, c) for LSTM.
Step = Callable[[Tensor, Any, Tensor, Any], tuple[Tensor, Any]]


# --- the recurrences, one time step on a batch (N, features) ---------------------------
def _tanh_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Any) -> tuple[Tensor, Tensor]:
    h = F.ElmanTanh.apply(xw, h, w_hh)
    return h, h


def _relu_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Any) -> tuple[Tensor, Tensor]:
    h = (xw + ag.linear(h, w_hh)).relu()
    return h, h


def _lstm_step(xw: Tensor, state: tuple[Tensor, Tensor], w_hh: Tensor, b_hh: Any) -> tuple[Tensor, Any]:
    h, c = state
    n = h.shape[-1]
    gates = xw + ag.linear(h, w_hh)
    # One sigmoid over all four gate blocks is cheaper than three small ones; the g block's
    # sigmoid is computed and never used.
    s = gates.sigmoid()
    i, f, o = s[:, :n], s[:, n : 2 * n], s[:, 3 * n :]
    g = gates[:, 2 * n : 3 * n].tanh()
    c = f * c + i * g
    h = o * c.tanh()
    return h, (h, c)


def _gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Any) -> tuple[Tensor, Tensor]:
    n = h.shape[-1]
    # b_hh stays inside the loop: the reset gate multiplies W_hn h + b_hn, bias included.
    hw = ag.linear(h, w_hh, b_hh)
    rz = (xw[:, : 2 * n] + hw[:, : 2 * n]).sigmoid()
    r, z = rz[:, :n], rz[:, n:]
    cand = (xw[:, 2 * n :] + r * hw[:, 2 * n :]).tanh()
    h = cand + z * (h - cand)  # (1 - z) * cand + z * h
    return h, h


_MODES: dict[str, tuple[int, Step]] = {
    "RNN_TANH": (1, _tanh_step),
    "RNN_RELU": (1, _relu_step),
    "LSTM": (4, _lstm_step),
    "GRU": (3, _gru_step),
}


def _input_projection(x: Tensor, w_ih: Tensor, b_ih: Any, b_hh: Any, mode: str) -> Tensor:
    """x @ W_ih^T plus the biases that can be added outside the loop (all but GRU's b_hh)."""
    if b_ih is None:
        return ag.linear(x, w_ih)
    return ag.linear(x, w_ih, b_ih if mode == "GRU" else b_ih + b_hh)


# --- shared helpers --------------------------------------------------------------------
def _positive_int(value: Any, name: str, owner: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return int(value)


def _uniform_parameter(shape: tuple[int, ...], bound: float, dtype: np.dtype) -> Parameter:
    data = ag.generator().uniform(-bound, bound, size=shape).astype(dtype)
    return Parameter(data)


def _check_tensor(value: Any, what: str, owner: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{owner}: {what} must be a Tensor, got {type(value).__name__}")
    return value


def _check_hidden(value: Any, expected: tuple[int, ...], what: str, owner: str, input_shape: Any) -> Tensor:
    value = _check_tensor(value, what, owner)
    if value.shape != expected:
        raise ShapeError(
            f"{owner}: {what} has shape {value.shape}, expected {expected} for an input of shape {input_shape}"
        )
    return value


def _state_dtype(x: Tensor, weight: Tensor) -> np.dtype:
    return np.result_type(x.dtype, weight.dtype)


# --- cells ---------------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the three cells share: parameters ``weight_ih`` (G*H, input_size), ``weight_hh``
    (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H), drawn from U(-1/sqrt(H), 1/sqrt(H))."""

    _mode = "RNN_TANH"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = factory_dtype(name, device, dtype)
        self.input_size = _positive_int(input_size, "input_size", name)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", name)
        self.bias = bool(bias)
        gates = num_chunks * self.hidden_size
        bound = 1.0 / math.sqrt(self.hidden_size)
        self.weight_ih = _uniform_parameter((gates, self.input_size), bound, dtype)
        self.weight_hh = _uniform_parameter((gates, self.hidden_size), bound, dtype)
        if self.bias:
            self.bias_ih = _uniform_parameter((gates,), bound, dtype)
            self.bias_hh = _uniform_parameter((gates,), bound, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self._mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        return s

    def _batched_input(self, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
        """The input as (N, input_size), and whether it came with a batch dim."""
        name = type(self).__name__
        x = _check_tensor(input, "input", name)
        if x.ndim not in (1, 2):
            raise ShapeError(f"{name}: expected a 1-D (unbatched) or 2-D (batched) input, got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {x.shape[-1]} features (shape {x.shape}), expected input_size={self.input_size}"
            )
        batched = x.ndim == 2
        return (x if batched else x.unsqueeze(0)), batched

    def _batched_hidden(self, hx: Any, x: Tensor, batched: bool, what: str) -> Tensor:
        """A given hidden tensor checked and made (N, H), or zeros."""
        n = x.shape[0]
        if hx is None:
            return ag.zeros(n, self.hidden_size, dtype=_state_dtype(x, self.weight_hh))
        expected = (n, self.hidden_size) if batched else (self.hidden_size,)
        shown = x.shape if batched else x.shape[1:]
        hx = _check_hidden(hx, expected, what, type(self).__name__, shown)
        return hx if batched else hx.unsqueeze(0)

    def _step(self, x: Tensor, state: Any) -> tuple[Tensor, Any]:
        _, step = _MODES[self._mode]
        xw = _input_projection(x, self.weight_ih, self.bias_ih, self.bias_hh, self._mode)
        return step(xw, state, self.weight_hh, self.bias_hh)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu.

    ``cell(input, hx=None)``: input (N, input_size) or (input_size,), hx of the matching
    shape (N, hidden_size) or (hidden_size,), zeros when omitted. Returns h'.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = _rnn_mode(nonlinearity, "RNNCell")

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, batched = self._batched_input(input)
        h = self._batched_hidden(hx, x, batched, "hx")
        h, _ = self._step(x, h)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM, gates in torch's order (input, forget, cell, output)::

        i, f, o = sigmoid(...), g = tanh(...)     # each W_i* x + b_i* + W_h* h + b_h*
        c' = f * c + i * g
        h' = o * tanh(c')

    ``cell(input, hx=None)`` with hx a pair (h, c); returns the pair (h', c').
    """

    _mode = "LSTM"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: DeviceLike = None, dtype: DTypeLike = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched = self._batched_input(input)
        h_0: Tensor | None = None
        c_0: Tensor | None = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
            h_0, c_0 = hx
        h = self._batched_hidden(h_0, x, batched, "h_0")
        c = self._batched_hidden(c_0, x, batched, "c_0")
        _, (h, c) = self._step(x, (h, c))
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of a GRU, gates in torch's order (reset, update, new)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    ``cell(input, hx=None)``; returns h'.
    """

    _mode = "GRU"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: DeviceLike = None, dtype: DTypeLike = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, batched = self._batched_input(input)
        h = self._batched_hidden(hx, x, batched, "hx")
        h, _ = self._step(x, h)
        return h if batched else h.squeeze(0)


def _rnn_mode(nonlinearity: Any, owner: str) -> str:
    if nonlinearity == "tanh":
        return "RNN_TANH"
    if nonlinearity == "relu":
        return "RNN_RELU"
    raise ValueError(f"{owner}: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")


# --- layers over sequences -----------------------------------------------------------------
class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, the time loop,
    bidirectional concatenation, dropout between layers, and the shape conventions.

    Input (L, N, input_size), or (N, L, input_size) with ``batch_first``, or unbatched
    (L, input_size). Output (L, N, D * hidden_size) (batch first likewise) with D = 2 when
    bidirectional; final states (num_layers * D, N, hidden_size), index layer * D + direction.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = factory_dtype(name, device, dtype)
        self.mode = mode
        self.input_size = _positive_int(input_size, "input_size", name)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", name)
        self.num_layers = _positive_int(num_layers, "num_layers", name)
        F._check_probability(dropout, name, "dropout")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} has no effect with num_layers=1 (it acts between layers)",
                stacklevel=2,
            )
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        num_directions = 2 if self.bidirectional else 1
        gates = _MODES[mode][0] * self.hidden_size
        bound = 1.0 / math.sqrt(self.hidden_size)
        # The order of registration is torch's: per layer, per direction, w_ih, w_hh, b_ih, b_hh.
        self._flat_weights_names: list[str] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gates, layer_input)), ("weight_hh", (gates, self.hidden_size))
                ]
                if self.bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for kind, shape in shapes:
                    setattr(self, kind + suffix, _uniform_parameter(shape, bound, dtype))
                    self._flat_weights_names.append(kind + suffix)

    def flatten_parameters(self) -> None:
        """Does nothing: torch packs the weights into one buffer for cuDNN, which ndgrad has no use for."""

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as torch's ``all_weights``."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # --- checks --------------------------------------------------------------------
    def _time_major(self, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
        """The input as (L, N, input_size), and whether it had a batch dim."""
        name = type(self).__name__
        x = _check_tensor(input, "input", name)
        if x.ndim not in (2, 3):
            raise ShapeError(f"{name}: expected a 2-D (unbatched) or 3-D (batched) input, got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {x.shape[-1]} features in its last dim (shape {x.shape}), "
                f"expected input_size={self.input_size}"
            )
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ShapeError(f"{name}: the input sequence (shape {input.shape}) has length 0")
        return x, batched

    def _initial(self, hx: Any, x: Tensor, batched: bool, input_shape: Any, what: str) -> Tensor:
        """One initial state tensor as (num_layers * D, N, H): checked, or zeros."""
        n = x.shape[1]
        count = self.num_layers * self.num_directions
        if hx is None:
            return ag.zeros(count, n, self.hidden_size, dtype=_state_dtype(x, self.weight_hh_l0))
        expected = (count, n, self.hidden_size) if batched else (count, self.hidden_size)
        hx = _check_hidden(hx, expected, what, type(self).__name__, input_shape)
        return hx if batched else hx.unsqueeze(1)

    def _initial_states(self, hx: Any, x: Tensor, batched: bool, input_shape: Any) -> list[Any]:
        """The initial state of every (layer, direction), in the order of h_n."""
        h0 = self._initial(hx, x, batched, input_shape, "hx")
        return list(h0.unbind(0))

    # --- the computation -------------------------------------------------------------
    def _run(self, input: Any, hx: Any) -> tuple[Tensor, list[Any], bool]:  # noqa: A002
        """Output (time-major, batched) and the final state of every (layer, direction)."""
        x, batched = self._time_major(input)
        states = self._initial_states(hx, x, batched, input.shape)
        _, step = _MODES[self.mode]
        finals: list[Any] = []
        all_weights = self.all_weights
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                weights = all_weights[index]
                w_ih, w_hh = weights[0], weights[1]
                b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
                seq, final = _run_direction(x, states[index], step, self.mode, w_ih, w_hh, b_ih, b_hh, direction == 1)
                outputs.append(seq)
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else ag.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        return x, finals, batched

    def _output(self, x: Tensor, batched: bool) -> Tensor:
        if not batched:
            return x.squeeze(1)
        return x.transpose(0, 1) if self.batch_first else x

    @staticmethod
    def _final(states: list[Tensor], batched: bool) -> Tensor:
        h = ag.stack(states)
        return h if batched else h.squeeze(1)


def _run_direction(
    x: Tensor, state: Any, step: Step, mode: str, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, reverse: bool
) -> tuple[Tensor, Any]:
    """One layer in one direction over x (L, N, features): outputs (L, N, H), final state."""
    length, n, features = x.shape
    xw = _input_projection(x.reshape(length * n, features), w_ih, b_ih, b_hh, mode)
    steps = xw.reshape(length, n, xw.shape[-1]).unbind(0)
    b_loop = b_hh if mode == "GRU" else None
    outputs: list[Any] = [None] * length
    for t in range(length - 1, -1, -1) if reverse else range(length):
        outputs[t], state = step(steps[t], state, w_hh, b_loop)
    return ag.stack(outputs), state


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``; ``rnn(input, hx=None)`` returns
    ``(output, h_n)``. The Elman network of the lectures, s_t = tanh(W^s s_{t-1} + W^x x_t)
    and p_t = softmax(W^o s_t), is ``RNN(..., bias=False)`` followed by a linear map and softmax.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            _rnn_mode(nonlinearity, "RNN"), input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device, dtype,
        )
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, finals, batched = self._run(input, hx)
        return self._output(x, batched), self._final(finals, batched)


class LSTM(RNNBase):
    """A multi-layer LSTM (gates i, f, g, o, as ``LSTMCell``).

    ``lstm(input, hx=None)`` with hx a pair (h_0, c_0) returns ``(output, (h_n, c_n))``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        if proj_size:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} is not supported (only proj_size=0)")
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        )

    def _initial_states(self, hx: Any, x: Tensor, batched: bool, input_shape: Any) -> list[Any]:
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTM: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        h0 = self._initial(hx[0], x, batched, input_shape, "h_0")
        c0 = self._initial(hx[1], x, batched, input_shape, "c_0")
        return list(zip(h0.unbind(0), c0.unbind(0)))

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, finals, batched = self._run(input, hx)
        h_n = self._final([h for h, _ in finals], batched)
        c_n = self._final([c for _, c in finals], batched)
        return self._output(x, batched), (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer GRU (gates r, z, n, as ``GRUCell``); ``gru(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: DeviceLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        )

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, finals, batched = self._run(input, hx)
        return self._output(x, batched), self._final(finals, batched)
