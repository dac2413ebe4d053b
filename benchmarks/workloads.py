"""The benchmark workloads; ``run.py`` runs each in a process of its own.

    python benchmarks/workloads.py NAME [--repeat N]

Every workload but the scalar ones (micrograd's demo, the deep chain) is also written by hand
in NumPy (forward and backward derived by hand; the CNN's convolutions by im2col), and each is
run, when installed, with PyTorch or micrograd, from the same initial weights and data, so the
losses printed side by side show that every implementation computes the same thing.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import autograd as ag
import nn
import nn.functional as F
import optim
from common import TINY_OPS, emit, interleaved_medians, median_seconds, optional, tiny_ops_step

torch = optional("torch")
if torch is not None:
    torch.set_num_threads(int(os.environ.get("NDGRAD_BENCH_THREADS", "1")))


def _timed_in_turns(
    impls: list[tuple[str, Any]], repeat: int, warmup: int = 3, rewarm: int = 0, n_ops: int | None = None
) -> list[dict[str, Any]]:
    """A row per (name, step): the loss of its first step, and its median time with the steps
    timed in turns (see ``interleaved_medians``; and the time per op, given the ops of a step)."""
    firsts = [step() for _, step in impls]
    seconds = interleaved_medians([step for _, step in impls], repeat, warmup, rewarm)
    return [row(name, t, first, **({"us_per_op": t / n_ops * 1e6} if n_ops else {}))
            for (name, _), t, first in zip(impls, seconds, firsts)]


def row(impl: str, seconds: float, loss: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"impl": impl, "seconds": seconds, "loss": loss, **extra}


# --- scalar MLP: micrograd's demo -----------------------------------------------------
def two_moons(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper[:, None], np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    x += rng.normal(0, 0.1, x.shape)
    return x, np.where(upper, 1.0, -1.0)


def scalar_mlp_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sizes = [2, 16, 16, 1]
    return [(rng.uniform(-1, 1, (o, i)), np.zeros(o)) for i, o in zip(sizes[:-1], sizes[1:])]


def scalar_step_factory(value_cls: Any, weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                        y: np.ndarray) -> Any:
    """The micrograd demo's step (ReLU MLP 2-16-16-1, SVM hinge loss + 1e-4 L2, SGD) for a
    micrograd-like value class: ``Value`` of micrograd or ``autograd.Scalar``."""
    layers = [([[value_cls(float(w)) for w in w_row] for w_row in W], [value_cls(float(v)) for v in b])
              for W, b in weights]
    params = [p for W, b in layers for p in [*(w for w_row in W for w in w_row), *b]]
    xs = [[float(v) for v in point] for point in x]

    def forward(point: list[Any]) -> Any:
        h: list[Any] = point
        for k, (W, b) in enumerate(layers):
            h = [sum((wi * hi for wi, hi in zip(w_row, h)), bias) for w_row, bias in zip(W, b)]
            if k < len(layers) - 1:
                h = [v.relu() for v in h]
        return h[0]

    def step() -> float:
        scores = [forward(point) for point in xs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= 0.01 * p.grad
        return float(total.data)

    return step


def bench_scalar_mlp(repeat: int) -> list[dict[str, Any]]:
    x, y = two_moons(100)
    rows = []
    impls: list[tuple[str, Any]] = [("ndgrad Scalar", ag.Scalar)]
    micrograd = optional("micrograd.engine")
    if micrograd is not None:
        impls.append(("micrograd", micrograd.Value))
    # NOTE: in blocks, not in turns: micrograd's graphs are reference cycles, and in turns the
    # collector would free them during the next implementation's timed step.
    for name, cls in impls:
        step = scalar_step_factory(cls, scalar_mlp_weights(), x, y)
        first = step()
        rows.append(row(name, median_seconds(step, repeat, warmup=1), first))
    return rows


# --- deep chain ---------------------------------------------------------------------------
def bench_deep_chain(repeat: int) -> list[dict[str, Any]]:
    n = 100_000

    def chain(make: Any, start: Any) -> Any:
        def run() -> float:
            x = make(start)
            y = x
            for _ in range(n):
                y = y * 0.99999 + 1e-6
            y.backward() if not hasattr(y, "sum") else y.sum().backward()
            g = x.grad
            return float(g.item() if hasattr(g, "item") else g)

        return run

    impls = [
        ("ndgrad Tensor", chain(lambda v: ag.tensor([v], dtype="float32", requires_grad=True), 0.5)),
        ("ndgrad Scalar", chain(ag.Scalar, 0.5)),
    ]
    if torch is not None:
        impls.append(("torch", chain(lambda v: torch.tensor([v], requires_grad=True), 0.5)))
    return _timed_in_turns(impls, repeat, warmup=0)


# --- MLP step with Adam ---------------------------------------------------------------------
MLP_SIZES = (784, 256, 128, 10)


def mlp_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)


def engine_mlp(seed: int = 0) -> nn.Module:
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


class NumpyAdam:
    """Adam (torch's update equations, no weight decay), in place, by hand."""

    def __init__(self, params: list[np.ndarray], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v)
            denom /= np.sqrt(c2)
            denom += self.eps
            p -= (self.lr / c1) * m / denom


def numpy_mlp_step_factory(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Any:
    params = [w.copy() for w in weights]
    adam = NumpyAdam(params)

    def step() -> float:
        loss, _, grads = numpy_mlp_head(x, params, y)
        adam.step(grads)
        return float(loss)

    return step


def numpy_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean softmax cross-entropy of logits (N, classes) with labels y, and its gradient."""
    rows = np.arange(len(y))
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    d = np.exp(logp)
    d[rows, y] -= 1
    return float(-logp[rows, y].mean()), d / len(y)


def numpy_mlp_head(x: np.ndarray, params: list[np.ndarray], y: np.ndarray,
                   input_grad: bool = False) -> tuple[float, np.ndarray | None, list[np.ndarray]]:
    """Two relu layers and a linear one on x (N, features), softmax cross-entropy with labels y,
    and its backward by hand: (loss, gradient of x if ``input_grad``, gradients of params)."""
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1.T + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0)
    loss, d = numpy_cross_entropy(h2 @ w3.T + b3, y)
    dw3, db3 = d.T @ h2, d.sum(0)
    d = (d @ w3) * (z2 > 0)
    dw2, db2 = d.T @ h1, d.sum(0)
    d = (d @ w2) * (z1 > 0)
    dw1, db1 = d.T @ x, d.sum(0)
    return float(loss), (d @ w1 if input_grad else None), [dw1, db1, dw2, db2, dw3, db3]


def engine_step_factory(model: nn.Module, x: np.ndarray, y: np.ndarray) -> Any:
    opt = optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = ag.tensor(x), ag.tensor(y)

    def step() -> float:
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_step_factory(model: Any, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Any:
    """The training step (Adam, cross-entropy) of a torch ``model`` given ndgrad's initial ``weights``."""
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def bench_training_step(repeat: int, model: nn.Module, x: np.ndarray, y: np.ndarray, numpy_factory: Any,
                        torch_model: Any) -> list[dict[str, Any]]:
    """NumPy by hand, ndgrad and (when installed) torch eager from the same weights, timed in turns;
    ``torch_model`` makes the torch twin of ``model``."""
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    impls = [("NumPy by hand", numpy_factory(weights, x, y)), ("ndgrad", engine_step_factory(model, x, y))]
    if torch is not None:
        impls.append(("torch eager", torch_step_factory(torch_model(), weights, x, y)))
    return _timed_in_turns(impls, repeat, rewarm=1)


def bench_mlp_step(repeat: int) -> list[dict[str, Any]]:
    x, y = mlp_data()
    def torch_model() -> Any:
        tnn = torch.nn
        return tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))

    return bench_training_step(repeat, engine_mlp(), x, y, numpy_mlp_step_factory, torch_model)


# --- Adam step alone ---------------------------------------------------------------------------
def bench_adam_step(repeat: int) -> list[dict[str, Any]]:
    """One optimizer step on the MLP's parameters with fixed gradients: the cost of the update
    equations alone. Every implementation takes the same number of steps, and the "loss"
    column is then the sum of its parameters, so an update that differs shows there."""
    model = engine_mlp()
    rng = np.random.default_rng(1)
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    grads = [rng.normal(0, 1e-2, w.shape).astype(np.float32) for w in weights]
    for p, g in zip(model.parameters(), grads):
        p.grad = ag.tensor(g)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    reference = NumpyAdam([w.copy() for w in weights])
    impls: list[tuple[str, Any, Any]] = [
        ("NumPy by hand", lambda: reference.step(grads), lambda: reference.params),
        ("ndgrad", opt.step, lambda: [p.detach().numpy() for p in model.parameters()]),
    ]
    if torch is not None:
        params = [torch.tensor(w, requires_grad=True) for w in weights]
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g)
        impls.append(("torch", torch.optim.Adam(params, lr=1e-3).step, lambda: [p.detach().numpy() for p in params]))
    seconds = interleaved_medians([update for _, update, _ in impls], repeat, rewarm=1)
    # Every implementation took the same steps: its parameters must be NumPy's, element by element.
    for name, _, arrays in impls[1:]:
        worst = max(float(np.abs(a - r).max()) for a, r in zip(arrays(), reference.params))
        if worst > 1e-5:
            raise SystemExit(f"adam_step: {name}'s parameters differ from NumPy's by up to {worst:.3g}")
    return [row(name, t, float(sum(a.sum(dtype=np.float64) for a in arrays())))
            for (name, _, arrays), t in zip(impls, seconds)]


# --- tiny ops ---------------------------------------------------------------------------------
def bench_tiny_ops(repeat: int) -> list[dict[str, Any]]:
    data = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    impls = [("ndgrad", tiny_ops_step(ag.tensor(data, requires_grad=True)))]
    # Anomaly mode off must cost nothing measurable; on, it records a source line per op.
    impls.append(("ndgrad, detect_anomaly on", ag.detect_anomaly()(tiny_ops_step(ag.tensor(data, requires_grad=True)))))
    if torch is not None:
        impls.append(("torch eager", tiny_ops_step(torch.tensor(data, requires_grad=True))))

    def numpy_step() -> float:
        # Forward keeping what backward needs, then backward by hand.
        y, outs = data, []
        for _ in range(200):
            y = np.tanh(y * 0.9 + 0.1)
            outs.append(y)
        g = np.ones_like(y)
        for out in reversed(outs):
            g = g * (1 - out * out) * 0.9
        return float(y.sum())

    impls.insert(0, ("NumPy by hand", numpy_step))
    return _timed_in_turns(impls, repeat, n_ops=TINY_OPS)


# --- RNN step ---------------------------------------------------------------------------------
V, H, L, B = 64, 128, 50, 32


def rnn_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, V, (L + 1, B))
    onehot = np.eye(V, dtype=np.float32)[tokens[:-1]]
    return onehot, tokens[1:]


def engine_rnn(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    ag.manual_seed(seed)
    return nn.RNN(V, H), nn.Linear(H, V)


def bench_rnn_step(repeat: int) -> list[dict[str, Any]]:
    x, targets = rnn_data()
    rnn, head = engine_rnn()
    named = [*rnn.named_parameters(), *(("out." + n, p) for n, p in head.named_parameters())]
    weights = {k: v.detach().numpy().copy() for k, v in named}
    xt, tt = ag.tensor(x), ag.tensor(targets)

    def engine_layer_factory() -> Any:
        params = [*rnn.parameters(), *head.parameters()]
        opt = optim.Adam(params, lr=1e-3)

        def step() -> float:
            out, _ = rnn(xt)
            loss = F.cross_entropy(head(out).reshape(L * B, V), tt.reshape(L * B))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def engine_cell_factory() -> Any:
        ag.manual_seed(1)
        cell, out_layer = nn.RNNCell(V, H), nn.Linear(H, V)
        with ag.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(weights[name + "_l0"])
            out_layer.weight.copy_(weights["out.weight"])
            out_layer.bias.copy_(weights["out.bias"])
        opt = optim.Adam([*cell.parameters(), *out_layer.parameters()], lr=1e-3)
        steps = [xt[t] for t in range(L)]

        def step() -> float:
            h = ag.zeros(B, H)
            total = None
            for t in range(L):
                h = cell(steps[t], h)
                term = F.cross_entropy(out_layer(h), tt[t])
                total = term if total is None else total + term
            loss = total * (1.0 / L)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def numpy_factory() -> Any:
        params = [weights[k].copy() for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                              "out.weight", "out.bias")]
        adam = NumpyAdam(params)
        flat_targets = targets.reshape(-1)

        def step() -> float:
            w_ih, w_hh, b_ih, b_hh, w_o, b_o = params
            xw = x @ w_ih.T + (b_ih + b_hh)
            hs = np.empty((L + 1, B, H), dtype=np.float32)
            hs[0] = 0
            for t in range(L):
                hs[t + 1] = np.tanh(xw[t] + hs[t] @ w_hh.T)
            hflat = hs[1:].reshape(L * B, H)
            logits = hflat @ w_o.T + b_o
            loss, d = numpy_cross_entropy(logits, flat_targets)
            dw_o, db_o = d.T @ hflat, d.sum(0)
            dh_all = (d @ w_o).reshape(L, B, H)
            dw_hh = np.zeros_like(w_hh)
            dz_all = np.empty_like(dh_all)
            carry = np.zeros((B, H), dtype=np.float32)
            for t in reversed(range(L)):
                dz = (dh_all[t] + carry) * (1 - hs[t + 1] ** 2)
                dz_all[t] = dz
                dw_hh += dz.T @ hs[t]
                carry = dz @ w_hh
            dz_flat = dz_all.reshape(L * B, H)
            dw_ih = dz_flat.T @ x.reshape(L * B, V)
            db = dz_flat.sum(0)
            adam.step([dw_ih, dw_hh, db, db, dw_o, db_o])
            return float(loss)

        return step

    def torch_cell_factory() -> Any:
        cell, out_layer = torch.nn.RNNCell(V, H), torch.nn.Linear(H, V)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(torch.from_numpy(weights[name + "_l0"]))
            out_layer.weight.copy_(torch.from_numpy(weights["out.weight"]))
            out_layer.bias.copy_(torch.from_numpy(weights["out.bias"]))
        opt = torch.optim.Adam([*cell.parameters(), *out_layer.parameters()], lr=1e-3)
        xs, ts = torch.from_numpy(x), torch.from_numpy(targets)

        def step() -> float:
            h = torch.zeros(B, H)
            total = 0
            for t in range(L):
                h = cell(xs[t], h)
                total = total + torch.nn.functional.cross_entropy(out_layer(h), ts[t])
            loss = total / L
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        return step

    impls = [("NumPy BPTT by hand", numpy_factory()), ("ndgrad nn.RNN", engine_layer_factory()),
             ("ndgrad RNNCell loop", engine_cell_factory())]
    if torch is not None:
        impls.append(("torch RNNCell loop", torch_cell_factory()))
    return _timed_in_turns(impls, repeat, rewarm=1)


# --- LeNet-style CNN step --------------------------------------------------------------------------
def cnn_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A batch of 64 images of 28x28 (noise: the step's cost does not depend on the pixels) and labels."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def engine_cnn(seed: int = 0) -> nn.Module:
    """conv 5x5 (1 -> 6), relu, 2x2 max pool, conv 5x5 (6 -> 16), relu, 2x2 max pool, then 256-120-84-10."""
    ag.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def numpy_cnn_step_factory(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Any:
    """The CNN step by hand: im2col (one strided view, copied) and a matmul per convolution,
    col2im (a loop over the 25 kernel offsets) in its backward; max pooling through argmax
    over each 2x2 window, its backward a scatter to the argmax."""
    params = [w.copy() for w in weights]
    adam = NumpyAdam(params)
    n = x.shape[0]

    def im2col(a: np.ndarray, k: int) -> np.ndarray:
        b, c, h, w = a.shape
        s = a.strides
        view = np.lib.stride_tricks.as_strided(a, (b, c, k, k, h - k + 1, w - k + 1), (*s, s[2], s[3]))
        return np.ascontiguousarray(view).reshape(b, c * k * k, (h - k + 1) * (w - k + 1))

    def col2im(cols: np.ndarray, shape: tuple[int, ...], k: int) -> np.ndarray:
        b, c, h, w = shape
        oh, ow = h - k + 1, w - k + 1
        cols = cols.reshape(b, c, k, k, oh, ow)
        out = np.zeros(shape, dtype=cols.dtype)
        for i in range(k):
            for j in range(k):
                out[:, :, i:i + oh, j:j + ow] += cols[:, :, i, j]
        return out

    def conv(a: np.ndarray, w: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = w.shape[-1]
        cols = im2col(a, k)
        side = a.shape[2] - k + 1
        out = (w.reshape(w.shape[0], -1) @ cols + bias[:, None]).reshape(a.shape[0], w.shape[0], side, side)
        return out, cols

    def conv_grads(g: np.ndarray, cols: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = g.reshape(g.shape[0], g.shape[1], -1)
        dw = (g @ cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
        return dw, g.sum((0, 2)), w.reshape(w.shape[0], -1).T @ g

    def pool(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, c, h, w = a.shape
        windows = a.reshape(b, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h // 2, w // 2, 4)
        arg = windows.argmax(-1)[..., None]
        return np.take_along_axis(windows, arg, -1)[..., 0], arg

    def pool_grad(g: np.ndarray, arg: np.ndarray) -> np.ndarray:
        b, c, h2, w2 = g.shape
        windows = np.zeros((b, c, h2, w2, 4), dtype=g.dtype)
        np.put_along_axis(windows, arg, g[..., None], -1)
        return windows.reshape(b, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, 2 * h2, 2 * w2)

    def step() -> float:
        cw1, cb1, cw2, cb2 = params[:4]
        z1, cols1 = conv(x, cw1, cb1)
        p1, arg1 = pool(np.maximum(z1, 0))
        z2, cols2 = conv(p1, cw2, cb2)
        p2, arg2 = pool(np.maximum(z2, 0))
        loss, d, head_grads = numpy_mlp_head(p2.reshape(n, -1), params[4:], y, input_grad=True)
        d = pool_grad(d.reshape(p2.shape), arg2) * (z2 > 0)
        dcw2, dcb2, dcols = conv_grads(d, cols2, cw2)
        d = pool_grad(col2im(dcols, p1.shape, cw2.shape[-1]), arg1) * (z1 > 0)
        dcw1, dcb1, _ = conv_grads(d, cols1, cw1)
        adam.step([dcw1, dcb1, dcw2, dcb2, *head_grads])
        return float(loss)

    return step


def bench_cnn_step(repeat: int) -> list[dict[str, Any]]:
    x, y = cnn_data()
    def torch_model() -> Any:
        tnn = torch.nn
        return tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(),
                              tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(256, 120), tnn.ReLU(), tnn.Linear(120, 84),
                              tnn.ReLU(), tnn.Linear(84, 10))

    return bench_training_step(repeat, engine_cnn(), x, y, numpy_cnn_step_factory, torch_model)


# --- memory -----------------------------------------------------------------------------------
def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory_one(impl: str) -> dict[str, Any]:
    x, y = mlp_data()
    model = engine_mlp()
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    step = numpy_mlp_step_factory(weights, x, y) if impl == "numpy" else engine_step_factory(model, x, y)
    del weights
    baseline = rss_bytes()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    at_100 = 0
    for i in range(1, 201):
        step()
        if i == 100:
            at_100 = rss_bytes()
    at_200 = rss_bytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"impl": impl, "peak_above_baseline": max(peak, peak_before) - baseline, "growth_100_200": at_200 - at_100}


WORKLOADS = {
    "scalar_mlp": bench_scalar_mlp,
    "deep_chain": bench_deep_chain,
    "mlp_step": bench_mlp_step,
    "adam_step": bench_adam_step,
    "tiny_ops": bench_tiny_ops,
    "rnn_step": bench_rnn_step,
    "cnn_step": bench_cnn_step,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=[*WORKLOADS, "memory_numpy", "memory_ndgrad"])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    if args.workload.startswith("memory_"):
        emit({"workload": args.workload, "rows": [bench_memory_one(args.workload.split("_")[1])]})
    else:
        rows = WORKLOADS[args.workload](args.repeat)
        emit({"workload": args.workload, "rows": rows, "wall": time.perf_counter() - started})


if __name__ == "__main__":
    main()
