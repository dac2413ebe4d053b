"""nn.init: gains, the fans read from a weight's shape, the bounds and spread of each scheme
(checked on tensors large enough that the sample std is within a fraction of a percent),
orthogonality, in-place filling of parameters, seeding, and refusals."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def values(t):
    return t.detach().numpy().astype(np.float64)


@pytest.fixture(autouse=True)
def seeded():
    ag.manual_seed(2024)


# --- calculate_gain ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "param", "expected"),
    [
        ("linear", None, 1.0),
        ("conv1d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_refuses_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="'steep'"):
        init.calculate_gain("leaky_relu", "steep")


# --- simple fills ------------------------------------------------------------------------------


def test_uniform_and_normal_statistics():
    t = ag.zeros(300, 400)
    assert init.uniform_(t, -2.0, 3.0) is t
    v = values(t)
    assert v.min() >= -2.0 and v.max() < 3.0
    assert v.mean() == pytest.approx(0.5, abs=0.02)
    assert v.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    assert init.normal_(t, mean=1.5, std=0.5) is t
    v = values(t)
    assert v.mean() == pytest.approx(1.5, abs=0.005)
    assert v.std() == pytest.approx(0.5, rel=0.01)
    one_dim = init.normal_(ag.zeros(1000))  # no fans needed: any shape works
    assert values(one_dim).std() > 0.5


def test_constant_zeros_ones_keep_dtype():
    t = ag.zeros(3, 2, dtype="float64")
    assert init.constant_(t, 0.25) is t and t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), 0.25)
    np.testing.assert_array_equal(init.ones_(t).numpy(), 1.0)
    np.testing.assert_array_equal(init.zeros_(t).numpy(), 0.0)


def test_bad_arguments_to_simple_fills():
    with pytest.raises(ValueError, match=r"a=2.0, b=1.0"):
        init.uniform_(ag.zeros(3), 2.0, 1.0)
    with pytest.raises(ValueError, match="-1"):
        init.normal_(ag.zeros(3), std=-1.0)
    with pytest.raises(TypeError, match="ndarray"):
        init.zeros_(np.zeros(3))
    with pytest.raises(TypeError, match="int64"):
        init.ones_(ag.zeros(3, dtype="int64"))


# --- fan-based schemes -------------------------------------------------------------------------

# (shape, fan_in, fan_out): a Linear weight, and a Conv1d weight whose kernel multiplies both fans
SHAPES = [((256, 512), 512, 256), ((128, 32, 5), 160, 640)]


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
def test_xavier_uniform(shape, fan_in, fan_out):
    t = ag.zeros(*shape)
    assert init.xavier_uniform_(t, gain=2.0) is t
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    v = values(t)
    assert np.abs(v).max() <= bound * (1 + 1e-6) and np.abs(v).max() > 0.99 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.015)


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
def test_xavier_normal(shape, fan_in, fan_out):
    t = init.xavier_normal_(ag.zeros(*shape), gain=init.calculate_gain("tanh"))
    v = values(t)
    assert v.std() == pytest.approx(5 / 3 * math.sqrt(2 / (fan_in + fan_out)), rel=0.015)
    assert abs(v.mean()) < 0.01 * v.std()


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform(shape, fan_in, fan_out, mode):
    t = init.kaiming_uniform_(ag.zeros(*shape), a=0.1, mode=mode)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = math.sqrt(3) * math.sqrt(2 / (1 + 0.1**2)) / math.sqrt(fan)
    v = values(t)
    assert np.abs(v).max() <= bound * (1 + 1e-6) and np.abs(v).max() > 0.99 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.015)


@pytest.mark.parametrize(("shape", "fan_in", "fan_out"), SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal(shape, fan_in, fan_out, mode):
    t = init.kaiming_normal_(ag.zeros(*shape), mode=mode, nonlinearity="relu")
    fan = fan_in if mode == "fan_in" else fan_out
    assert values(t).std() == pytest.approx(math.sqrt(2 / fan), rel=0.015)


def test_kaiming_keeps_relu_activations_at_unit_scale():
    # What He initialisation is for: through ten relu layers the mean square does not vanish or explode.
    h = ag.randn(512, 256)
    for _ in range(10):
        w = init.kaiming_normal_(ag.zeros(256, 256), nonlinearity="relu")
        h = (h @ w.T).relu()
    assert 0.5 < float((h * h).mean().item()) < 2.0


def test_fan_based_schemes_refuse_fewer_than_two_dims():
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
               init.orthogonal_):
        with pytest.raises(ValueError, match=r"2 dims.*\(5,\)"):
            fn(ag.zeros(5))
        with pytest.raises(ValueError, match=r"\(\)"):
            fn(ag.tensor(1.0))


def test_kaiming_bad_mode_and_nonlinearity():
    with pytest.raises(ValueError, match="'fan_avg'"):
        init.kaiming_uniform_(ag.zeros(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="'softsign'"):
        init.kaiming_normal_(ag.zeros(2, 2), nonlinearity="softsign")


def test_empty_tensors_are_left_alone():
    for fn in (init.xavier_uniform_, init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_):
        t = ag.zeros(0, 3)
        assert fn(t) is t and t.shape == (0, 3)


# --- orthogonal_ -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 6), (3, 7), (7, 3), (4, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    t = init.orthogonal_(ag.zeros(*shape, dtype="float64"), gain=1.5)
    m = values(t).reshape(shape[0], -1) / 1.5
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_is_not_always_the_same_matrix():
    a = values(init.orthogonal_(ag.zeros(4, 4)))
    b = values(init.orthogonal_(ag.zeros(4, 4)))
    assert not np.allclose(a, b)


# --- in place, on parameters, and reproducible -------------------------------------------------


def test_init_fills_parameters_in_place_without_recording_a_graph():
    layer = nn.Linear(4, 3)
    weight = layer.weight
    before = weight.detach().numpy()
    assert init.xavier_uniform_(layer.weight) is weight
    assert layer.weight is weight and weight.requires_grad and weight.grad_fn is None
    assert weight.detach().numpy() is before  # the same array, overwritten
    out = layer(ag.ones(1, 4)).sum()
    out.backward()
    assert weight.grad is not None


def test_init_draws_from_the_seeded_generator():
    draws = []
    for _ in range(2):
        ag.manual_seed(11)
        draws.append(np.concatenate([
            values(init.kaiming_uniform_(ag.zeros(3, 4))).ravel(),
            values(init.normal_(ag.zeros(5))).ravel(),
            values(init.orthogonal_(ag.zeros(3, 3))).ravel(),
        ]))
    np.testing.assert_array_equal(draws[0], draws[1])
    ag.manual_seed(12)
    assert not np.array_equal(values(init.kaiming_uniform_(ag.zeros(3, 4))).ravel(), draws[0][:12])


def test_init_is_reachable_as_nn_init():
    assert nn.init is init
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
