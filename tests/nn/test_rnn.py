"""nn.rnn: RNN, LSTM, GRU and their cells against NumPy loops written here, finite
differences, torch's parameter naming scheme, and torch itself when it is installed."""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --- NumPy references ----------------------------------------------------------------------
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_cell(mode, x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step on a batch x (N, I), following the equations in torch's documentation."""
    h = state[0] if mode == "LSTM" else state
    gi = x @ w_ih.T + (0.0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0.0 if b_hh is None else b_hh)
    if mode == "RNN_TANH":
        return np.tanh(gi + gh)
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0)
    if mode == "LSTM":
        c = state[1]
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c_new), c_new
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1.0 - z) * n + z * h


def np_layers(mode, params, x, h0, c0, num_layers, bidirectional, mask=None):
    """The stacked (bi)directional recurrence on time-major x (L, N, I).

    ``params`` maps torch's parameter names to arrays; ``mask[k]`` (optional) multiplies the
    output of layer k before it enters layer k + 1 (dropout)."""
    dirs = 2 if bidirectional else 1
    length = x.shape[0]
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            b_ih, b_hh = params.get("bias_ih" + sfx), params.get("bias_hh" + sfx)
            k = layer * dirs + d
            state = (h0[k], c0[k]) if mode == "LSTM" else h0[k]
            seq = [None] * length
            for t in reversed(range(length)) if d else range(length):
                state = np_cell(mode, x[t], state, w_ih, w_hh, b_ih, b_hh)
                seq[t] = state[0] if mode == "LSTM" else state
            outs.append(np.stack(seq))
            h_n.append(state[0] if mode == "LSTM" else state)
            if mode == "LSTM":
                c_n.append(state[1])
        x = np.concatenate(outs, axis=-1)
        if mask is not None and layer < num_layers - 1:
            x = x * mask[layer]
    return x, np.stack(h_n), (np.stack(c_n) if mode == "LSTM" else None)


# --- helpers -------------------------------------------------------------------------------
def make_layer(mode, *args, **kwargs):
    if mode.startswith("RNN"):
        return nn.RNN(*args, nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **kwargs)
    return {"LSTM": nn.LSTM, "GRU": nn.GRU}[mode](*args, **kwargs)


def make_cell(mode, *args, **kwargs):
    if mode.startswith("RNN"):
        return nn.RNNCell(*args, nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **kwargs)
    return {"LSTM": nn.LSTMCell, "GRU": nn.GRUCell}[mode](*args, **kwargs)


def numpy_params(module):
    return {name: p.detach().numpy().astype(np.float64) for name, p in module.named_parameters()}


def run_layer(module, x, hx):
    out, h = module(x, hx)
    return (out, *h) if isinstance(h, tuple) else (out, h)


def rng_array(rng, *shape):
    return rng.standard_normal(shape)


# --- cells: values ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=15, deadline=None)
@given(bias=st.booleans(), batched=st.booleans(), given_state=st.booleans(), batch=st.integers(1, 3),
       features=st.integers(1, 4), hidden=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_cell_matches_numpy(mode, bias, batched, given_state, batch, features, hidden, seed):
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cell = make_cell(mode, features, hidden, bias=bias).double()
    p = numpy_params(cell)
    n = batch if batched else 1
    x = rng_array(rng, n, features)
    h = rng_array(rng, n, hidden) if given_state else np.zeros((n, hidden))
    c = rng_array(rng, n, hidden) if given_state else np.zeros((n, hidden))
    state = (h, c) if mode == "LSTM" else h
    expected = np_cell(mode, x, state, p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"))

    def fit(a):
        return ag.tensor(a if batched else a[0])

    hx = None
    if given_state:
        hx = (fit(h), fit(c)) if mode == "LSTM" else fit(h)
    got = cell(fit(x), hx)
    if mode == "LSTM":
        expected_h, expected_c = expected
        got_h, got_c = got
        expected_c = expected_c if batched else expected_c[0]
        np.testing.assert_allclose(got_c.detach().numpy(), expected_c, rtol=1e-10, atol=1e-12)
    else:
        expected_h, got_h = expected, got
    np.testing.assert_allclose(got_h.detach().numpy(), expected_h if batched else expected_h[0], rtol=1e-10, atol=1e-12)


# --- layers: values over generated configurations -------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(MODES),
    length=st.integers(1, 4),
    batch=st.integers(1, 3),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    batched=st.booleans(),
    bias=st.booleans(),
    given_state=st.booleans(),
    features=st.integers(1, 4),
    hidden=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_layer_matches_numpy(mode, length, batch, num_layers, bidirectional, batch_first, batched, bias,
                             given_state, features, hidden, seed):
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layer = make_layer(mode, features, hidden, num_layers=num_layers, bias=bias, batch_first=batch_first,
                       bidirectional=bidirectional).double()
    dirs = 2 if bidirectional else 1
    n = batch if batched else 1
    x = rng_array(rng, length, n, features)  # time-major, batched: the reference's layout
    h0 = rng_array(rng, num_layers * dirs, n, hidden) if given_state else np.zeros((num_layers * dirs, n, hidden))
    c0 = rng_array(rng, num_layers * dirs, n, hidden) if given_state else np.zeros((num_layers * dirs, n, hidden))
    out_ref, h_ref, c_ref = np_layers(mode, numpy_params(layer), x, h0, c0, num_layers, bidirectional)

    if batched:
        x_in = x.transpose(1, 0, 2) if batch_first else x
        out_ref = out_ref.transpose(1, 0, 2) if batch_first else out_ref
        h_in, c_in = h0, c0
    else:
        x_in, out_ref, h_ref = x[:, 0], out_ref[:, 0], h_ref[:, 0]
        c_ref = None if c_ref is None else c_ref[:, 0]
        h_in, c_in = h0[:, 0], c0[:, 0]
    hx = None
    if given_state:
        hx = (ag.tensor(h_in), ag.tensor(c_in)) if mode == "LSTM" else ag.tensor(h_in)
    got = run_layer(layer, ag.tensor(x_in), hx)

    expected_shape = (length, dirs * hidden)
    if batched:
        expected_shape = (n, length, dirs * hidden) if batch_first else (length, n, dirs * hidden)
    assert got[0].shape == expected_shape
    np.testing.assert_allclose(got[0].detach().numpy(), out_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1].detach().numpy(), h_ref, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(got[2].detach().numpy(), c_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_is_batch_of_one(mode):
    ag.manual_seed(3)
    layer = make_layer(mode, 2, 3, num_layers=2, bidirectional=True)
    x = ag.randn(4, 2)
    single = run_layer(layer, x, None)
    batch = run_layer(layer, x.unsqueeze(1), None)
    for a, b in zip(single, batch):  # output (L, D*H) and final states (layers*D, H): batch dim 1 removed
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy()[:, 0])


def test_final_state_is_last_output_of_each_direction():
    ag.manual_seed(4)
    rnn = nn.GRU(2, 3, bidirectional=True)
    out, h_n = rnn(ag.randn(5, 2, 2))
    # The forward direction ends at the last step, the backward one at the first.
    np.testing.assert_array_equal(h_n.detach().numpy()[0], out.detach().numpy()[-1, :, :3])
    np.testing.assert_array_equal(h_n.detach().numpy()[1], out.detach().numpy()[0, :, 3:])


# --- the Elman network of the lectures --------------------------------------------------------
def test_elman_rnn_is_rnn_plus_output_projection():
    """s_t = tanh(W^s s_{t-1} + W^x x_t), p_t = softmax(W^o s_t) as nn.RNN and a matmul."""
    ag.manual_seed(5)
    rng = np.random.default_rng(5)
    vocab, hidden, length = 4, 3, 6
    rnn = nn.RNN(vocab, hidden, bias=False).double()
    w_o = nn.Parameter(rng.standard_normal((vocab, hidden)))
    x = np.eye(vocab)[rng.integers(0, vocab, length)][:, None, :]  # one-hot, (L, 1, vocab)

    states, _ = rnn(ag.tensor(x))
    probs = (states @ w_o.T).softmax(dim=-1)

    w_s, w_x = rnn.weight_hh_l0.detach().numpy(), rnn.weight_ih_l0.detach().numpy()
    s = np.zeros(hidden)
    for t in range(length):
        s = np.tanh(w_s @ s + w_x @ x[t, 0])
        logits = w_o.detach().numpy() @ s
        p = np.exp(logits - logits.max())
        np.testing.assert_allclose(probs.detach().numpy()[t, 0], p / p.sum(), rtol=1e-10)

    # and it trains: the gradient of a log-likelihood reaches every weight
    targets = rng.integers(0, vocab, length)
    loss = -probs[np.arange(length), 0, targets].log().sum()
    loss.backward()
    for p in (rnn.weight_hh_l0, rnn.weight_ih_l0, w_o):
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0


# --- gradients --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_cell_gradcheck(mode):
    ag.manual_seed(6)
    cell = make_cell(mode, 2, 3).double()
    x = ag.randn(2, 2, dtype=ag.float64, requires_grad=True)
    h = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
    c = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
    params = list(cell.parameters())
    if mode == "LSTM":
        ag.gradcheck(lambda x, h, c, *p: cell(x, (h, c)), [x, h, c, *params])
    else:
        ag.gradcheck(lambda x, h, *p: cell(x, h), [x, h, *params])


@pytest.mark.parametrize("mode", MODES)
def test_layer_gradcheck(mode):
    """Every output and final-state element with respect to the input, h0 (and c0) and every weight."""
    ag.manual_seed(7)
    layer = make_layer(mode, 2, 3).double()
    x = ag.randn(3, 2, 2, dtype=ag.float64, requires_grad=True)
    h0 = ag.randn(1, 2, 3, dtype=ag.float64, requires_grad=True)
    c0 = ag.randn(1, 2, 3, dtype=ag.float64, requires_grad=True)
    params = list(layer.parameters())
    if mode == "LSTM":
        ag.gradcheck(lambda x, h, c, *p: run_layer(layer, x, (h, c)), [x, h0, c0, *params])
    else:
        ag.gradcheck(lambda x, h, *p: run_layer(layer, x, h), [x, h0, *params])


@pytest.mark.parametrize("mode", MODES)
def test_deep_bidirectional_gradcheck(mode):
    """Two bidirectional layers, batch first: a random projection of the output to a scalar,
    which checks the gradient of every input and weight in one direction of output space."""
    ag.manual_seed(8)
    layer = make_layer(mode, 2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = ag.randn(2, 3, 2, dtype=ag.float64, requires_grad=True)
    proj_out = ag.randn(2, 3, 4, dtype=ag.float64)
    proj_h = ag.randn(4, 2, 2, dtype=ag.float64)

    def f(x, *p):
        out = run_layer(layer, x, None)
        return (out[0] * proj_out).sum() + (out[1] * proj_h).sum()

    ag.gradcheck(f, [x, *layer.parameters()])


def test_rnn_gradgradcheck():
    ag.manual_seed(9)
    rnn = nn.RNN(2, 3).double()
    x = ag.randn(3, 2, 2, dtype=ag.float64, requires_grad=True)
    h0 = ag.randn(1, 2, 3, dtype=ag.float64, requires_grad=True)
    proj = ag.randn(3, 2, 3, dtype=ag.float64)
    ag.gradgradcheck(lambda x, h, *p: (rnn(x, h)[0] * proj).sum(), [x, h0, *rnn.parameters()])


def test_long_unroll_backpropagates_without_recursion_error():
    """10,000 steps; the gradient of W_hh matches backpropagation through time done in NumPy."""
    ag.manual_seed(10)
    rng = np.random.default_rng(10)
    length = 10_000
    rnn = nn.RNN(2, 4).double()
    x = rng.standard_normal((length, 1, 2))
    out, _ = rnn(ag.tensor(x))
    out.sum().backward()

    p = numpy_params(rnn)
    w_ih, w_hh, b = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"]
    hs = [np.zeros((1, 4))]
    for t in range(length):
        hs.append(np.tanh(x[t] @ w_ih.T + hs[-1] @ w_hh.T + b))
    grad_w_hh, grad_w_ih = np.zeros_like(w_hh), np.zeros_like(w_ih)
    carry = np.zeros((1, 4))
    for t in reversed(range(length)):
        d_pre = (1.0 + carry) * (1.0 - hs[t + 1] ** 2)  # d loss / d (pre-activation at step t)
        grad_w_hh += d_pre.T @ hs[t]
        grad_w_ih += d_pre.T @ x[t]
        carry = d_pre @ w_hh
    np.testing.assert_allclose(rnn.weight_hh_l0.grad.numpy(), grad_w_hh, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(rnn.weight_ih_l0.grad.numpy(), grad_w_ih, rtol=1e-8, atol=1e-10)


# --- parameters: torch's names, shapes, order and initialisation ---------------------------------
def test_parameter_names_follow_torch():
    # From torch's documentation: per layer k and direction, weight_ih_l{k}, weight_hh_l{k},
    # bias_ih_l{k}, bias_hh_l{k}, the backward direction with the suffix _reverse.
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    expected = [
        ("weight_ih_l0", (80, 10)), ("weight_hh_l0", (80, 20)), ("bias_ih_l0", (80,)), ("bias_hh_l0", (80,)),
        ("weight_ih_l0_reverse", (80, 10)), ("weight_hh_l0_reverse", (80, 20)),
        ("bias_ih_l0_reverse", (80,)), ("bias_hh_l0_reverse", (80,)),
        ("weight_ih_l1", (80, 40)), ("weight_hh_l1", (80, 20)), ("bias_ih_l1", (80,)), ("bias_hh_l1", (80,)),
        ("weight_ih_l1_reverse", (80, 40)), ("weight_hh_l1_reverse", (80, 20)),
        ("bias_ih_l1_reverse", (80,)), ("bias_hh_l1_reverse", (80,)),
    ]
    assert [(n, p.shape) for n, p in lstm.named_parameters()] == expected
    assert list(lstm.state_dict()) == [n for n, _ in expected]

    gru = nn.GRU(5, 6)
    assert [(n, p.shape) for n, p in gru.named_parameters()] == [
        ("weight_ih_l0", (18, 5)), ("weight_hh_l0", (18, 6)), ("bias_ih_l0", (18,)), ("bias_hh_l0", (18,)),
    ]
    rnn = nn.RNN(4, 3, num_layers=2, bias=False)
    assert [(n, p.shape) for n, p in rnn.named_parameters()] == [
        ("weight_ih_l0", (3, 4)), ("weight_hh_l0", (3, 3)), ("weight_ih_l1", (3, 3)), ("weight_hh_l1", (3, 3)),
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_parameter_names(mode, bias):
    cell = make_cell(mode, 5, 7, bias=bias)
    g = GATES[mode] * 7
    expected = [("weight_ih", (g, 5)), ("weight_hh", (g, 7))] + ([("bias_ih", (g,)), ("bias_hh", (g,))] if bias else [])
    assert [(n, p.shape) for n, p in cell.named_parameters()] == expected
    if not bias:
        assert cell.bias_ih is None and cell.bias_hh is None


@pytest.mark.parametrize("mode", MODES)
def test_initialisation_is_uniform_within_one_over_sqrt_hidden(mode):
    ag.manual_seed(11)
    hidden = 16
    layer = make_layer(mode, 8, hidden, num_layers=2)
    bound = 1.0 / math.sqrt(hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert all(p.dtype == np.float32 for p in layer.parameters())
    assert values.min() >= -bound and values.max() <= bound
    # U(-b, b) has standard deviation b / sqrt(3) and fills the interval
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert values.min() < -0.95 * bound and values.max() > 0.95 * bound
    cell = make_cell(mode, 8, hidden)
    cell_values = np.concatenate([p.detach().numpy().ravel() for p in cell.parameters()])
    assert cell_values.min() >= -bound and cell_values.max() <= bound


def test_initialisation_follows_manual_seed():
    ag.manual_seed(12)
    a = nn.LSTM(3, 4, num_layers=2)
    ag.manual_seed(12)
    b = nn.LSTM(3, 4, num_layers=2)
    c = nn.LSTM(3, 4, num_layers=2)
    for (_, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        assert not np.array_equal(q.detach().numpy(), r.detach().numpy())


def test_state_dict_round_trip_gives_same_outputs():
    ag.manual_seed(13)
    a = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    b = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    b.load_state_dict(a.state_dict())
    x = ag.randn(5, 2, 3)
    np.testing.assert_array_equal(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())


@pytest.mark.parametrize("mode", MODES)
def test_flatten_parameters_is_accepted_and_changes_nothing(mode):
    # torch scripts call it after moving a model (it packs the weights for cuDNN).
    layer = make_layer(mode, 3, 4, num_layers=2)
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    params = list(layer.parameters())
    assert layer.flatten_parameters() is None
    assert len(list(layer.parameters())) == len(params)
    assert all(a is b for a, b in zip(layer.parameters(), params))
    assert all(np.array_equal(v.numpy(), before[k]) for k, v in layer.state_dict().items())


def test_reprs():
    assert repr(nn.RNN(3, 4)) == "RNN(3, 4)"
    assert (
        repr(nn.LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True))
        == "LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    )
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# --- dropout between layers ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_dropout_masks_between_layers_in_training(mode):
    """Inverted dropout on every layer's output but the last: the same masks, drawn from the
    seeded generator in layer order, applied in the NumPy reference give the same result."""
    ag.manual_seed(14)
    layer = make_layer(mode, 2, 3, num_layers=3, dropout=0.4, bidirectional=True).double()
    x = np.random.default_rng(14).standard_normal((4, 2, 2))
    zeros = np.zeros((6, 2, 3))
    ag.manual_seed(99)
    out = layer(ag.tensor(x))[0]
    ag.manual_seed(99)
    masks = [(ag.generator().random((4, 2, 6)) >= 0.4) / 0.6 for _ in range(2)]
    expected, _, _ = np_layers(mode, numpy_params(layer), x, zeros, zeros, 3, True, mask=masks)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    no_dropout, _, _ = np_layers(mode, numpy_params(layer), x, zeros, zeros, 3, True)
    assert not np.allclose(out.detach().numpy(), no_dropout)

    layer.eval()
    np.testing.assert_allclose(layer(ag.tensor(x))[0].detach().numpy(), no_dropout, rtol=1e-10, atol=1e-12)


def test_dropout_one_cuts_the_lower_layers_off():
    ag.manual_seed(15)
    rnn = nn.RNN(2, 3, num_layers=2, dropout=1.0)
    x = ag.randn(4, 2, 2, requires_grad=True)
    out, _ = rnn(x)
    out.sum().backward()
    zeros = np.zeros((2, 2, 3))
    x_values = x.detach().numpy()
    expected, _, _ = np_layers("RNN_TANH", numpy_params(rnn), x_values, zeros, zeros, 2, False, mask=[np.zeros(1)])
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


@pytest.mark.parametrize("p", [-0.1, 1.5, True, "0.5", None])
def test_dropout_outside_unit_interval_is_refused(p):
    with pytest.raises(ValueError, match=re.escape(repr(p))):
        nn.LSTM(2, 3, num_layers=2, dropout=p)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(2, 3, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(2, 3, num_layers=2, dropout=0.2)


# --- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_wrong_input_feature_size(mode):
    layer = make_layer(mode, 3, 4)
    with pytest.raises(RuntimeError, match=r"5 features.*input_size=3"):
        layer(ag.randn(2, 1, 5))
    cell = make_cell(mode, 3, 4)
    with pytest.raises(RuntimeError, match=r"5 features.*input_size=3"):
        cell(ag.randn(2, 5))


@pytest.mark.parametrize("mode", MODES)
def test_wrong_hidden_shape(mode):
    layer = make_layer(mode, 3, 4, num_layers=2)
    x = ag.randn(5, 2, 3)
    bad = ag.zeros(1, 2, 4)
    good = ag.zeros(2, 2, 4)
    name = "h_0" if mode == "LSTM" else "hx"
    with pytest.raises(RuntimeError, match=rf"{name} has shape \(1, 2, 4\), expected \(2, 2, 4\)"):
        layer(x, (bad, good) if mode == "LSTM" else bad)
    if mode == "LSTM":
        with pytest.raises(RuntimeError, match=r"c_0 has shape \(2, 2, 5\), expected \(2, 2, 4\)"):
            layer(x, (good, ag.zeros(2, 2, 5)))
    # unbatched input wants an unbatched state
    with pytest.raises(RuntimeError, match=r"has shape \(2, 1, 4\), expected \(2, 4\)"):
        layer(ag.randn(5, 3), (ag.zeros(2, 1, 4), ag.zeros(2, 1, 4)) if mode == "LSTM" else ag.zeros(2, 1, 4))

    cell = make_cell(mode, 3, 4)
    with pytest.raises(RuntimeError, match=r"has shape \(3, 4\), expected \(2, 4\)"):
        cell(ag.randn(2, 3), (ag.zeros(3, 4), ag.zeros(2, 4)) if mode == "LSTM" else ag.zeros(3, 4))


@pytest.mark.parametrize("mode", MODES)
def test_wrong_number_of_dims(mode):
    layer = make_layer(mode, 3, 4)
    with pytest.raises(ValueError, match=r"2-D \(unbatched\) or 3-D \(batched\).*\(3,\)"):
        layer(ag.randn(3))
    with pytest.raises(ValueError, match=r"\(1, 2, 5, 3\)"):
        layer(ag.randn(1, 2, 5, 3))
    cell = make_cell(mode, 3, 4)
    with pytest.raises(ValueError, match=r"1-D \(unbatched\) or 2-D \(batched\).*\(1, 2, 3\)"):
        cell(ag.randn(1, 2, 3))


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="'sigmoid'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="'gelu'"):
        nn.RNNCell(2, 3, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be positive, got 0"):
        nn.GRU(2, 0)
    with pytest.raises(TypeError, match=r"num_layers must be an int, got float 1\.5"):
        nn.LSTM(2, 3, num_layers=1.5)
    with pytest.raises(TypeError, match="pair"):
        nn.LSTM(2, 3)(ag.randn(4, 1, 2), ag.zeros(1, 1, 3))
    with pytest.raises(TypeError, match="pair"):
        nn.LSTMCell(2, 3)(ag.randn(1, 2), ag.zeros(1, 3))
    with pytest.raises(TypeError, match="must be a Tensor, got ndarray"):
        nn.RNN(2, 3)(np.zeros((4, 1, 2)))
    with pytest.raises(ValueError, match=r"length 0"):
        nn.RNN(2, 3)(ag.zeros(0, 1, 2))
    with pytest.raises(NotImplementedError, match="proj_size=2"):
        nn.LSTM(2, 3, proj_size=2)


# --- against torch, when it is installed -------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_matches_torch(mode):
    torch = pytest.importorskip("torch")
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True)
    ours = make_layer(mode, 3, 4, **kwargs).double()
    if mode.startswith("RNN"):
        theirs = torch.nn.RNN(3, 4, nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **kwargs)
    else:
        theirs = getattr(torch.nn, mode)(3, 4, **kwargs)
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(16).standard_normal((2, 5, 3))
    xt = torch.tensor(x, requires_grad=True)
    got = run_layer(ours, ag.tensor(x, requires_grad=True), None)
    out, h = theirs(xt)
    want = (out, *h) if isinstance(h, tuple) else (out, h)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum(g.sum() for g in got).backward()
    sum(w.sum() for w in want).backward()
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-11)
