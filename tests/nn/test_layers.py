"""The layers of nn: parameter names, shapes and initialisation as torch lays them out,
forward values against NumPy written here, gradients (first order for every layer, second
order for Linear and MLP), train/eval behaviour, shapes over generated sizes, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def val(t):
    return t.detach().numpy()


def dtensor(a, requires_grad=True):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def check_module_gradients(module, x, second_order=False):
    """gradcheck (and gradgradcheck) of module(x) in float64 with respect to x and every parameter."""
    module.double()
    params = list(module.parameters())
    fn = lambda x, *ps: module(x)
    assert ag.gradcheck(fn, [x, *params])
    if second_order:
        assert ag.gradgradcheck(fn, [x, *params])


# --- Linear ------------------------------------------------------------------------------------


def test_linear_parameters_named_and_shaped_like_torch():
    layer = nn.Linear(3, 5)
    assert [(n, p.shape, p.dtype) for n, p in layer.named_parameters()] == [
        ("weight", (5, 3), np.float32),
        ("bias", (5,), np.float32),
    ]
    assert all(p.requires_grad and isinstance(p, nn.Parameter) for p in layer.parameters())
    no_bias = nn.Linear(3, 5, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert list(no_bias.state_dict()) == ["weight"]
    assert nn.Linear(2, 2, dtype="float64").weight.dtype == np.float64


def test_linear_default_initialisation_is_uniform_within_one_over_sqrt_fan_in():
    ag.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has std a/sqrt(3); 120000 draws pin it to well under 1%.
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used, not a narrower one
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)


def test_linear_initialisation_follows_manual_seed():
    ag.manual_seed(3)
    a = nn.Linear(4, 2)
    ag.manual_seed(3)
    b = nn.Linear(4, 2)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert not np.array_equal(a.weight.detach().numpy(), nn.Linear(4, 2).weight.detach().numpy())


def test_linear_forward_and_gradients(rng):
    layer = nn.Linear(3, 2).double()
    x = rng.standard_normal((4, 3))
    expected = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(val(layer(ag.tensor(x))), expected, rtol=1e-13)
    check_module_gradients(layer, dtensor(rng.standard_normal((2, 3))), second_order=True)


def test_linear_wrong_feature_size_names_expected_and_got():
    with pytest.raises(ValueError, match=r"expected input with 3 features.*got 4.*\(2, 4\)"):
        nn.Linear(3, 2)(ag.zeros(2, 4))


def test_linear_bad_sizes_and_repr():
    with pytest.raises(ValueError, match="-1"):
        nn.Linear(-1, 2)
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"


# --- Identity and Flatten ----------------------------------------------------------------------


def test_identity_returns_its_input_and_ignores_arguments():
    x = ag.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x
    assert list(nn.Identity().parameters()) == []


def test_flatten(rng):
    x = ag.tensor(rng.standard_normal((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    np.testing.assert_array_equal(nn.Flatten(1, 2)(x).numpy(), x.numpy().reshape(2, 12, 5))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    check_module_gradients(nn.Flatten(), dtensor(rng.standard_normal((2, 2, 3))))


# --- activation modules ------------------------------------------------------------------------

ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0), "ReLU()"),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReLU(negative_slope=0.2)"),
    (nn.Tanh(), np.tanh, "Tanh()"),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "Sigmoid()"),
    (nn.GELU(approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), "GELU(approximate='tanh')"),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x)), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), "Softmax(dim=1)"),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)), "LogSoftmax(dim=1)"),
]


@pytest.mark.parametrize(("module", "ref", "text"), ACTIVATIONS, ids=[a[2] for a in ACTIVATIONS])
def test_activation_modules(module, ref, text, rng):
    x = rng.uniform(-3, 3, (3, 4))
    x = np.where(np.abs(x) < 0.1, 0.5, x)
    np.testing.assert_allclose(module(ag.tensor(x)).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    assert repr(module) == text
    assert list(module.parameters()) == []
    check_module_gradients(module, dtensor(x[:2, :3]))


def test_activation_module_reprs_with_options():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"


# --- MLP ---------------------------------------------------------------------------------------


def test_mlp_structure_and_parameter_names():
    model = nn.MLP(2, [4, 5], 3, activation="tanh", dropout=0.1)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert [(n, p.shape) for n, p in model.named_parameters()] == [
        ("0.weight", (4, 2)), ("0.bias", (4,)), ("3.weight", (5, 4)), ("3.bias", (5,)),
        ("6.weight", (3, 5)), ("6.bias", (3,)),
    ]
    assert model[2].p == 0.1


def test_mlp_shallow_deep_and_linear_forms():
    assert [type(m).__name__ for m in nn.MLP(2, 8, 1)] == ["Linear", "ReLU", "Linear"]
    assert [type(m).__name__ for m in nn.MLP(2, [], 1)] == ["Linear"]
    deep = nn.MLP(3, [8, 8, 8, 8], 2, bias=False)
    assert len(deep) == 9 and all(m.bias is None for m in deep if isinstance(m, nn.Linear))


@pytest.mark.parametrize("activation", ["gelu", nn.Tanh, nn.LeakyReLU(0.3), lambda: nn.LeakyReLU(0.3)])
def test_mlp_activation_forms(activation):
    model = nn.MLP(2, [3, 3], 1, activation=activation)
    acts = [model[1], model[3]]
    assert acts[0] is not acts[1]  # each hidden layer gets its own module
    assert all(isinstance(a, nn.Module) and not isinstance(a, nn.Linear) for a in acts)


def test_mlp_forward_matches_numpy(rng):
    model = nn.MLP(3, [4, 2], 2, activation="tanh").double()
    x = rng.standard_normal((5, 3))
    h = x
    layers = [m for m in model if isinstance(m, nn.Linear)]
    for i, layer in enumerate(layers):
        h = h @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        if i < len(layers) - 1:
            h = np.tanh(h)
    np.testing.assert_allclose(val(model(ag.tensor(x))), h, rtol=1e-12)


def test_mlp_gradients_first_and_second_order(rng):
    ag.manual_seed(0)
    model = nn.MLP(2, 2, 1, activation="tanh")
    check_module_gradients(model, dtensor(rng.standard_normal((2, 2))), second_order=True)


def test_mlp_dropout_only_in_training():
    ag.manual_seed(0)
    model = nn.MLP(4, [64], 3, dropout=0.5)
    x = ag.randn(8, 4)
    assert not np.array_equal(val(model(x)), val(model(x)))
    model.eval()
    np.testing.assert_array_equal(val(model(x)), val(model(x)))


def test_mlp_bad_arguments():
    with pytest.raises(ValueError, match="'swish'"):
        nn.MLP(2, 3, 1, activation="swish")
    with pytest.raises(TypeError, match="int"):
        nn.MLP(2, 3, 1, activation=3)
    with pytest.raises(ValueError, match=r"1\.5"):
        nn.MLP(2, 3, 1, dropout=1.5)
    with pytest.raises(ValueError, match=r"-0\.1"):
        nn.MLP(2, [], 1, dropout=-0.1)
    with pytest.raises(ValueError, match=r"\[3, 0\]"):
        nn.MLP(2, [3, 0], 1)


# --- Dropout -----------------------------------------------------------------------------------


def test_dropout_module_train_and_eval():
    ag.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = ag.ones(100, 100)
    y = layer(x).numpy()
    assert abs((y == 0).mean() - 0.25) < 0.015
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(x).numpy() == 0).any()
    assert repr(layer) == "Dropout(p=0.25, inplace=False)"


@pytest.mark.parametrize("p", [-0.5, 1.01, "half"])
def test_dropout_module_refuses_bad_p(p):
    with pytest.raises(ValueError, match=str(p)):
        nn.Dropout(p)


def test_dropout_gradient_check_with_fixed_mask(rng):
    layer = nn.Dropout(0.5)
    x = dtensor(rng.standard_normal((3, 3)))
    fn = lambda x: (ag.manual_seed(5), layer(x))[1]  # the same mask at every evaluation
    assert ag.gradcheck(fn, [x])


# --- BatchNorm1d -------------------------------------------------------------------------------


def bn_train_ref(x, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps), axes


def test_batchnorm_parameters_and_buffers_like_torch():
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(bn.weight.detach().numpy(), 1.0)
    np.testing.assert_array_equal(bn.bias.detach().numpy(), 0.0)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0.0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1.0)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 0
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert repr(bn) == "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_training_and_running_statistics(shape, rng):
    bn = nn.BatchNorm1d(3, momentum=0.2).double()
    with ag.no_grad():
        bn.weight.copy_(rng.standard_normal(3))
        bn.bias.copy_(rng.standard_normal(3))
    mean_ref, var_ref = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal(shape) * 3 + 2
        norm, axes = bn_train_ref(x)
        out = bn(ag.tensor(x))
        bshape = (1, 3) + (1,) * (len(shape) - 2)
        expected = norm * bn.weight.detach().numpy().reshape(bshape) + bn.bias.detach().numpy().reshape(bshape)
        np.testing.assert_allclose(val(out), expected, rtol=1e-12)
        mean_ref = 0.8 * mean_ref + 0.2 * x.mean(axes)
        var_ref = 0.8 * var_ref + 0.2 * x.var(axes, ddof=1)  # unbiased, as torch
        np.testing.assert_allclose(bn.running_mean.numpy(), mean_ref, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), var_ref, rtol=1e-12)
        assert bn.num_batches_tracked.item() == step + 1
    bn.eval()
    x = rng.standard_normal(shape)
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    expected = (x - mean_ref.reshape(bshape)) / np.sqrt(var_ref.reshape(bshape) + 1e-5)
    expected = expected * bn.weight.detach().numpy().reshape(bshape) + bn.bias.detach().numpy().reshape(bshape)
    np.testing.assert_allclose(val(bn(ag.tensor(x))), expected, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3  # evaluation does not count


def test_batchnorm_momentum_none_is_a_cumulative_average(rng):
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((5, 2)) + i for i in range(4)]
    for x in batches:
        bn(ag.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], 0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], 0), rtol=1e-12)


def test_batchnorm_without_affine_or_running_statistics(rng):
    bn = nn.BatchNorm1d(3, affine=False)
    assert list(bn.parameters()) == [] and bn.weight is None
    bare = nn.BatchNorm1d(3, track_running_stats=False).double()
    assert bare.running_mean is None and list(bare.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((4, 3))
    bare.eval()  # no running statistics: the batch's own are used in evaluation too
    np.testing.assert_allclose(val(bare(ag.tensor(x))), bn_train_ref(x)[0], rtol=1e-12)


def test_batchnorm_train_eval_changes_the_output(rng):
    bn = nn.BatchNorm1d(2).double()
    x = ag.tensor(rng.standard_normal((8, 2)) * 5 + 3)
    train_out = val(bn(x))
    bn.eval()
    assert not np.allclose(val(bn(x)), train_out)  # running stats have moved only 10% of the way


def test_batchnorm_refuses_a_batch_of_one_in_training():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 3\)"):
        bn(ag.zeros(1, 3))
    assert bn.num_batches_tracked.item() == 0  # the refused batch did not count
    assert bn(ag.randn(1, 3, 2)).shape == (1, 3, 2)
    bn.eval()
    assert bn(ag.zeros(1, 3)).shape == (1, 3)


def test_batchnorm_bad_shapes():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"expected 3 channels in dim 1, got 4.*\(2, 4\)"):
        bn(ag.zeros(2, 4))
    with pytest.raises(ValueError, match=r"\(2, 3, 4, 5\)"):
        bn(ag.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)


def test_batchnorm_gradients_in_training_and_evaluation(rng):
    bn = nn.BatchNorm1d(2)
    with ag.no_grad():
        bn.running_var.copy_([0.5, 2.0])
    check_module_gradients(bn, dtensor(rng.standard_normal((3, 2, 2))))
    bn.eval()
    check_module_gradients(bn, dtensor(rng.standard_normal((3, 2))))


def test_batchnorm_state_dict_round_trip(rng):
    a = nn.BatchNorm1d(2)
    a(ag.tensor(rng.standard_normal((4, 2))))
    b = nn.BatchNorm1d(2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.running_mean.numpy(), a.running_mean.numpy())
    assert b.num_batches_tracked.item() == 1


# --- LayerNorm ---------------------------------------------------------------------------------


def test_layernorm_values_parameters_and_gradients(rng):
    ln = nn.LayerNorm([2, 3]).double()
    assert [(n, p.shape) for n, p in ln.named_parameters()] == [("weight", (2, 3)), ("bias", (2, 3))]
    with ag.no_grad():
        ln.weight.copy_(rng.standard_normal((2, 3)))
        ln.bias.copy_(rng.standard_normal((2, 3)))
    x = rng.standard_normal((4, 2, 3))
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * ln.weight.detach().numpy() + ln.bias.detach().numpy()
    np.testing.assert_allclose(val(ln(ag.tensor(x))), expected, rtol=1e-12)
    check_module_gradients(nn.LayerNorm(3), dtensor(rng.standard_normal((2, 3))))


def test_layernorm_options_repr_and_errors():
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 5\)"):
        nn.LayerNorm(4)(ag.zeros(2, 5))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm([])


# --- Embedding ---------------------------------------------------------------------------------


def test_embedding_weight_initialisation_and_lookup():
    ag.manual_seed(0)
    emb = nn.Embedding(1000, 50)
    w = emb.weight.detach().numpy()
    assert w.shape == (1000, 50) and w.dtype == np.float32
    assert abs(w.mean()) < 0.01 and w.std() == pytest.approx(1.0, rel=0.01)  # N(0, 1), 50000 draws
    idx = np.array([[3, 999], [0, 3]])
    np.testing.assert_array_equal(val(emb(ag.tensor(idx))), w[idx])
    assert repr(emb) == "Embedding(1000, 50)"


def test_embedding_padding_idx_zero_row_without_gradient(rng):
    emb = nn.Embedding(5, 3, padding_idx=2).double()
    np.testing.assert_array_equal(emb.weight.detach().numpy()[2], 0.0)
    out = emb(ag.tensor([[2, 1], [2, 4]]))
    np.testing.assert_array_equal(val(out)[0, 0], 0.0)
    (out * ag.tensor(rng.standard_normal((2, 2, 3)))).sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[2], 0.0)
    assert np.all(g[[1, 4]] != 0) and np.all(g[[0, 3]] == 0)
    assert repr(emb) == "Embedding(5, 3, padding_idx=2)"
    assert nn.Embedding(5, 3, padding_idx=-1).padding_idx == 4


def test_embedding_gradients(rng):
    # The padding row is looked up but by design gets no gradient, so it is not looked up here.
    emb = nn.Embedding(4, 2, padding_idx=0).double()
    idx = ag.tensor([[2, 1], [3, 1]])
    assert ag.gradcheck(lambda w: emb(idx), [emb.weight])


def test_embedding_bad_indices_and_arguments():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range for 10 embeddings"):
        emb(ag.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1"):
        emb(ag.tensor([-1]))
    with pytest.raises(TypeError, match="float32"):
        emb(ag.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx 10"):
        nn.Embedding(10, 3, padding_idx=10)


def test_embedding_from_pretrained(rng):
    table = ag.tensor(rng.standard_normal((4, 2)))
    frozen = nn.Embedding.from_pretrained(table)
    np.testing.assert_array_equal(frozen.weight.detach().numpy(), table.numpy())
    assert not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with ag.no_grad():
        table.mul_(0.0)
    assert np.any(frozen.weight.detach().numpy() != 0)  # a copy, not a view


# --- shapes over generated sizes ---------------------------------------------------------------

small = st.integers(1, 4)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(2, 5), n_in=small, n_out=small, length=small, hidden=st.lists(small, max_size=3))
def test_every_layer_over_generated_sizes(batch, n_in, n_out, length, hidden):
    x = ag.randn(batch, n_in)
    seq = ag.randn(batch, n_in, length)
    assert nn.Linear(n_in, n_out)(x).shape == (batch, n_out)
    assert nn.Linear(n_in, n_out)(seq.transpose(1, 2)).shape == (batch, length, n_out)
    assert nn.MLP(n_in, hidden, n_out, dropout=0.2)(x).shape == (batch, n_out)
    assert nn.BatchNorm1d(n_in)(x).shape == (batch, n_in)
    assert nn.BatchNorm1d(n_in)(seq).shape == (batch, n_in, length)
    assert nn.LayerNorm(length)(seq).shape == seq.shape
    assert nn.LayerNorm([n_in, length])(seq).shape == seq.shape
    assert nn.Dropout(0.5)(seq).shape == seq.shape
    assert nn.Flatten()(seq).shape == (batch, n_in * length)
    assert nn.Identity()(seq).shape == seq.shape
    for act in (nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.Softmax(1), nn.LogSoftmax(-1)):
        assert act(seq).shape == seq.shape
    idx = ag.randint(0, n_in, (batch, length))
    assert nn.Embedding(n_in, n_out)(idx).shape == (batch, length, n_out)
    for cell in (nn.RNNCell(n_in, n_out), nn.RNNCell(n_in, n_out, nonlinearity="relu"), nn.GRUCell(n_in, n_out)):
        assert cell(x).shape == (batch, n_out)
        assert cell(x[0], ag.zeros(n_out)).shape == (n_out,)
    h, c = nn.LSTMCell(n_in, n_out)(x)
    assert h.shape == c.shape == (batch, n_out)
    h, c = nn.LSTMCell(n_in, n_out)(x[0], (ag.zeros(n_out), ag.zeros(n_out)))
    assert h.shape == c.shape == (n_out,)


# --- torch's factory arguments: device and dtype ---------------------------------------------------

# Each layer that creates parameters, with an input for it.
FACTORIES = {
    "Linear": (lambda **kw: nn.Linear(3, 2, **kw), lambda dt: ag.ones(2, 3, dtype=dt)),
    "BatchNorm1d": (lambda **kw: nn.BatchNorm1d(3, **kw), lambda dt: ag.randn(4, 3).to(dt)),
    "LayerNorm": (lambda **kw: nn.LayerNorm([2, 3], **kw), lambda dt: ag.randn(4, 2, 3).to(dt)),
    "Embedding": (lambda **kw: nn.Embedding(5, 2, padding_idx=0, **kw), lambda dt: ag.tensor([0, 4])),
    "Conv1d": (lambda **kw: nn.Conv1d(3, 2, 2, **kw), lambda dt: ag.ones(1, 3, 4, dtype=dt)),
    "RNNCell": (lambda **kw: nn.RNNCell(3, 2, **kw), lambda dt: ag.ones(2, 3, dtype=dt)),
    "LSTMCell": (lambda **kw: nn.LSTMCell(3, 2, **kw), lambda dt: ag.ones(2, 3, dtype=dt)),
    "GRUCell": (lambda **kw: nn.GRUCell(3, 2, **kw), lambda dt: ag.ones(2, 3, dtype=dt)),
    "RNN": (lambda **kw: nn.RNN(3, 2, num_layers=2, **kw), lambda dt: ag.ones(4, 1, 3, dtype=dt)),
    "LSTM": (lambda **kw: nn.LSTM(3, 2, bidirectional=True, **kw), lambda dt: ag.ones(4, 1, 3, dtype=dt)),
    "GRU": (lambda **kw: nn.GRU(3, 2, batch_first=True, **kw), lambda dt: ag.ones(1, 4, 3, dtype=dt)),
}


def floating_state(module):
    return {k: v for k, v in module.state_dict().items() if v.dtype.kind == "f"}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_layers_take_device_and_dtype_as_torch_does(name):
    make, example = FACTORIES[name]
    ag.manual_seed(5)
    default = make()
    assert {v.dtype for v in floating_state(default).values()} == {np.dtype(np.float32)}
    ag.manual_seed(5)
    double = make(device="cpu", dtype=ag.float64)
    state = floating_state(double)
    assert {v.dtype for v in state.values()} == {np.dtype(np.float64)}  # parameters and float buffers alike
    for key, value in floating_state(default).items():  # the same draws, in more precision
        np.testing.assert_allclose(state[key].numpy(), value.numpy(), rtol=1e-6, atol=1e-7)
    out = double(example(np.float64))
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float64
    for kw in ({"device": None, "dtype": "float64"}, {"device": ag.device("cpu"), "dtype": np.float64}):
        assert {v.dtype for v in floating_state(make(**kw)).values()} == {np.dtype(np.float64)}
    with pytest.raises(ValueError, match="'cuda:0' is not available"):
        make(device="cuda:0")
    with pytest.raises(TypeError, match=f"{name}: dtype must be a floating-point type.*int64"):
        make(dtype=ag.int64)


# --- against torch, when it is installed -------------------------------------------------------


def test_layers_match_torch_given_the_same_parameters(rng):
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.GELU(),
                                 torch.nn.LayerNorm(4), torch.nn.Linear(4, 2)).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for _ in range(2):
        x = rng.standard_normal((5, 3))
        np.testing.assert_allclose(val(ours(ag.tensor(x))), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours[1].running_var.numpy(), theirs[1].running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(val(ours(ag.tensor(x))), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
