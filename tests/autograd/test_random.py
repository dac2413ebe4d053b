"""Random numbers: Generator (seeding, state round trip), generator= on every random function,
the default generator behind manual_seed, and each distribution's shapes, dtypes, moments
and errors (compared with torch's where it is installed)."""

import numpy as np
import pytest

import autograd as ag


def values(t):
    return np.asarray(t.detach())


# Every random function, called with a generator: (name, call).
DRAWS = {
    "rand": lambda g: ag.rand(3, 4, generator=g),
    "randn": lambda g: ag.randn(3, 4, generator=g),
    "randint": lambda g: ag.randint(0, 100, (3, 4), generator=g),
    "randperm": lambda g: ag.randperm(20, generator=g),
    "normal": lambda g: ag.normal(1.0, 2.0, (3, 4), generator=g),
    "normal(tensors)": lambda g: ag.normal(ag.zeros(3, 4), ag.ones(4), generator=g),
    "bernoulli": lambda g: ag.bernoulli(ag.full((3, 4), 0.5), generator=g),
    "multinomial": lambda g: ag.multinomial(ag.ones(2, 10), 5, generator=g),
    "multinomial(replacement)": lambda g: ag.multinomial(ag.ones(2, 10), 5, replacement=True, generator=g),
    "poisson": lambda g: ag.poisson(ag.full((3, 4), 3.0), generator=g),
    "rand_like": lambda g: ag.rand_like(ag.zeros(3, 4), generator=g),
    "randn_like": lambda g: ag.randn_like(ag.zeros(3, 4), generator=g),
    "randint_like": lambda g: ag.randint_like(ag.zeros(3, 4), 100, generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_each_random_function_follows_its_generator(name):
    draw = DRAWS[name]
    first = values(draw(ag.Generator().manual_seed(7)))
    again = values(draw(ag.Generator().manual_seed(7)))
    other = values(draw(ag.Generator().manual_seed(8)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", list(DRAWS))
def test_without_a_generator_each_random_function_uses_the_default_that_manual_seed_seeds(name):
    draw = DRAWS[name]
    ag.manual_seed(11)
    first = values(draw(None))
    ag.manual_seed(11)
    np.testing.assert_array_equal(values(draw(None)), first)
    # and a generator of that seed draws the same numbers.
    np.testing.assert_array_equal(values(draw(ag.Generator().manual_seed(11))), first)


def test_a_generator_of_its_own_leaves_the_default_alone():
    ag.manual_seed(3)
    expected = values(ag.rand(5))
    ag.manual_seed(3)
    ag.rand(100, generator=ag.Generator())
    np.testing.assert_array_equal(values(ag.rand(5)), expected)


def test_generators_start_from_the_same_seed_and_seed_picks_a_fresh_one():
    a, b = ag.Generator(), ag.Generator()
    assert a.initial_seed() == b.initial_seed() == ag.creation.DEFAULT_SEED
    np.testing.assert_array_equal(values(ag.rand(4, generator=a)), values(ag.rand(4, generator=b)))
    chosen = a.seed()
    assert a.initial_seed() == chosen and 0 <= chosen < 2**64
    assert chosen != b.seed()  # two draws of 64-bit entropy
    assert ag.manual_seed(5) is ag.default_generator and ag.initial_seed() == 5
    assert ag.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # negative seeds wrap, as torch's


def test_state_round_trip_replays_the_draws():
    g = ag.Generator().manual_seed(42)
    ag.randn(7, generator=g)  # move away from the start
    state = g.get_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    first = values(ag.randn(3, generator=g)), values(ag.randint(0, 2**40, (3,), generator=g))
    g.set_state(state)
    second = values(ag.randn(3, generator=g)), values(ag.randint(0, 2**40, (3,), generator=g))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # A fresh generator given the state draws the same, and its initial seed comes along.
    other = ag.Generator().set_state(state)
    assert other.initial_seed() == 42
    np.testing.assert_array_equal(values(ag.randn(3, generator=other)), first[0])
    # The default generator's state, through the module functions.
    saved = ag.get_rng_state()
    expected = values(ag.rand(4))
    ag.set_rng_state(saved)
    np.testing.assert_array_equal(values(ag.rand(4)), expected)


def test_state_keeps_numpys_cached_half_word():
    # PCG64 keeps half of a 64-bit draw for the next 32-bit one; the state must carry it.
    g = ag.Generator().manual_seed(1)
    g.rng.integers(0, 2**31, dtype=np.int32)  # leaves a cached 32-bit half
    state = g.get_state()
    expected = g.rng.integers(0, 2**31, size=3, dtype=np.int32)
    g.set_state(state)
    np.testing.assert_array_equal(g.rng.integers(0, 2**31, size=3, dtype=np.int32), expected)


def test_bad_seeds_states_and_generators_are_refused():
    g = ag.Generator()
    with pytest.raises(TypeError, match=r"int, got float 1\.5"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="outside"):
        g.manual_seed(2**64)
    with pytest.raises(TypeError, match=r"uint8 tensor.*got list"):
        g.set_state([1, 2])
    with pytest.raises(TypeError, match="got dtype float32"):
        g.set_state(ag.zeros(3))
    with pytest.raises(RuntimeError, match=r"expected 46 bytes.*\(3,\)"):
        g.set_state(ag.zeros(3, dtype=ag.uint8))
    with pytest.raises(TypeError, match=r"generator must be an autograd\.Generator, got int"):
        ag.rand(2, generator=3)
    with pytest.raises(ValueError, match="'cuda' is not available"):
        ag.Generator(device="cuda")
    assert g.device == "cpu"


# --- distributions: shapes, dtypes, values -----------------------------------------------------


def test_uniform_and_normal_draws_have_the_right_shapes_dtypes_and_moments():
    g = ag.Generator().manual_seed(0)
    u = ag.rand(200_000, generator=g)
    assert u.dtype == np.float32 and u.shape == (200_000,)
    assert 0 <= values(u).min() and values(u).max() < 1
    assert abs(values(u).mean() - 0.5) < 0.005 and abs(values(u).var() - 1 / 12) < 0.002
    n = ag.randn(200_000, generator=g, dtype=ag.float64)
    assert n.dtype == np.float64
    assert abs(values(n).mean()) < 0.01 and abs(values(n).std() - 1) < 0.01
    scaled = ag.normal(3.0, 2.0, size=(100_000,), generator=g)
    assert scaled.dtype == np.float32 and abs(values(scaled).mean() - 3) < 0.03 and abs(values(scaled).std() - 2) < 0.03
    assert ag.randn(2, 3, requires_grad=True).requires_grad


def test_rand_never_rounds_up_to_one():
    # Drawn in float64: values just below 1 must not become 1.0 in float16 or float32.
    g = ag.Generator()
    g.rng.bit_generator.state = np.random.PCG64(0).state
    for dtype in (ag.float16, ag.float32):
        assert values(ag.rand(100_000, generator=g, dtype=dtype)).max() < 1


def test_normal_with_tensors_broadcasts_mean_and_std():
    g = ag.Generator().manual_seed(1)
    mean = ag.tensor([[0.0], [100.0]])
    std = ag.tensor([1.0, 0.0, 2.0], dtype=ag.float64)
    draws = ag.normal(mean, std, generator=g)
    assert draws.shape == (2, 3) and draws.dtype == np.float64
    assert values(draws)[1, 1] == 100.0 and values(draws)[0, 1] == 0.0  # std 0: the mean itself
    many = ag.normal(ag.full((50_000,), -2.0), 0.5, generator=g)
    assert many.dtype == np.float32 and abs(values(many).mean() + 2) < 0.01 and abs(values(many).std() - 0.5) < 0.01
    one_mean = ag.normal(1.0, ag.ones(4), generator=g)
    assert one_mean.shape == (4,)
    requires = ag.zeros(3, requires_grad=True)
    assert not ag.normal(requires, 1.0).requires_grad  # no gradient through the draw (torch's is zero)


def test_normal_errors():
    with pytest.raises(TypeError, match="give the size"):
        ag.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="std must be non-negative"):
        ag.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="std must be non-negative"):
        ag.normal(ag.zeros(2), ag.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        ag.normal(ag.zeros(2, 3), ag.ones(4))
    with pytest.raises(TypeError, match="floating-point tensors, got dtype int64"):
        ag.normal(ag.tensor([1, 2]), 1.0)
    with pytest.raises(TypeError, match="size, dtype and requires_grad"):
        ag.normal(ag.zeros(2), 1.0, size=(2,))
    with pytest.raises(TypeError, match="cannot make dtype int64"):
        ag.normal(0.0, 1.0, (2,), dtype=ag.long)


def test_randint_and_randperm():
    g = ag.Generator().manual_seed(2)
    r = ag.randint(3, 7, (10_000,), generator=g)
    assert r.dtype == np.int64 and set(np.unique(values(r))) == {3, 4, 5, 6}
    high_only = ag.randint(5, (2, 3), generator=g)  # torch's randint(high, size)
    assert high_only.shape == (2, 3) and values(high_only).min() >= 0 and values(high_only).max() < 5
    assert ag.randint(0, 5, (3,), dtype=ag.float32).dtype == np.float32
    like = ag.randint_like(ag.zeros(2, 2, dtype=ag.float64), 3, 5, generator=g)
    assert like.shape == (2, 2) and like.dtype == np.float64 and set(values(like).ravel()) <= {3.0, 4.0}
    p = ag.randperm(50, generator=g)
    assert p.dtype == np.int64 and sorted(values(p)) == list(range(50))
    assert ag.randperm(0).shape == (0,) and ag.randperm(4, dtype=ag.float32).dtype == np.float32
    with pytest.raises(ValueError, match="n must be non-negative, got -1"):
        ag.randperm(-1)
    with pytest.raises(ValueError, match="low=5 and high=3"):
        ag.randint(5, 3, (2,))


def test_bernoulli_and_poisson():
    g = ag.Generator().manual_seed(3)
    probs = ag.tensor([0.0, 0.25, 1.0] * 20_000, dtype=ag.float64)
    draws = values(ag.bernoulli(probs, generator=g)).reshape(-1, 3)
    assert ag.bernoulli(probs).dtype == np.float64
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert draws[:, 0].sum() == 0 and draws[:, 2].min() == 1 and abs(draws[:, 1].mean() - 0.25) < 0.01
    fixed = values(ag.bernoulli(ag.zeros(50_000), 0.75, generator=g))
    assert abs(fixed.mean() - 0.75) < 0.01
    rates = ag.tensor([0.5, 4.0] * 50_000)
    counts = values(ag.poisson(rates, generator=g)).reshape(-1, 2)
    assert ag.poisson(rates).dtype == np.float32
    np.testing.assert_allclose(counts.mean(axis=0), [0.5, 4.0], rtol=0.02)
    np.testing.assert_allclose(counts.var(axis=0), [0.5, 4.0], rtol=0.05)
    with pytest.raises(ValueError, match=r"\[0, 1\], found 1.5"):
        ag.bernoulli(ag.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match=r"\[0, 1\], found 2"):
        ag.bernoulli(ag.zeros(2), 2.0)
    with pytest.raises(TypeError, match="floating-point tensor, got dtype int64"):
        ag.bernoulli(ag.tensor([1, 0]))
    with pytest.raises(ValueError, match="rates must be non-negative, found -1"):
        ag.poisson(ag.tensor([-1.0]))
    with pytest.raises(TypeError, match="takes a tensor, got list"):
        ag.poisson([1.0])


def test_multinomial_with_replacement_follows_the_weights():
    g = ag.Generator().manual_seed(4)
    weights = ag.tensor([1.0, 0.0, 3.0])  # need not sum to 1
    draws = ag.multinomial(weights, 40_000, replacement=True, generator=g)
    assert draws.dtype == np.int64 and draws.shape == (40_000,)
    freq = np.bincount(values(draws), minlength=3) / 40_000
    np.testing.assert_allclose(freq, [0.25, 0.0, 0.75], atol=0.01)
    rows = ag.multinomial(ag.tensor([[0.0, 1.0], [1.0, 0.0]]), 6, replacement=True, generator=g)
    np.testing.assert_array_equal(values(rows), [[1] * 6, [0] * 6])


def test_multinomial_extreme_uniform_draws_stay_on_positive_weights(monkeypatch):
    class Extremes:  # uniform draws at both ends of [0, 1)
        def random(self, shape):
            return np.resize([0.0, np.nextafter(1.0, 0.0)], shape)

    g = ag.Generator()
    monkeypatch.setattr(g, "_rng", Extremes())
    # Weights whose running sum (1.5999999999999999) is below their sum, zero weights at both ends.
    weights = ag.tensor([0.0] + [0.1] * 9 + [0.7, 0.0, 0.0], dtype=ag.float64)
    np.testing.assert_array_equal(values(ag.multinomial(weights, 2, replacement=True, generator=g)), [1, 10])


def test_multinomial_without_replacement_draws_each_category_once():
    g = ag.Generator().manual_seed(5)
    draws = values(ag.multinomial(ag.ones(3, 8), 8, generator=g))
    assert draws.shape == (3, 8) and all(sorted(row) == list(range(8)) for row in draws)
    # Weight-0 categories come only after all the others, as in torch.
    tail = values(ag.multinomial(ag.tensor([0.0, 2.0, 0.0, 1.0]), 4, generator=g))
    assert set(tail[:2]) == {1, 3} and set(tail[2:]) == {0, 2}
    # The first draw is weighted: category 2 (weight 6 of 10) first about 60% of the time.
    firsts = [values(ag.multinomial(ag.tensor([1.0, 3.0, 6.0]), 2, generator=g))[0] for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(firsts, minlength=3) / 4000, [0.1, 0.3, 0.6], atol=0.03)
    # Second draws, given the first: P(second = 1 | first = 2) = 3/4.
    pairs = [tuple(values(ag.multinomial(ag.tensor([1.0, 3.0, 6.0]), 2, generator=g))) for _ in range(4000)]
    after_two = [b for a, b in pairs if a == 2]
    assert abs(np.mean(np.array(after_two) == 1) - 0.75) < 0.04


MULTINOMIAL_ERRORS = [
    (lambda: ag.multinomial(ag.tensor([0.5, 0.5]), 3), ValueError, "cannot draw 3 samples without replacement from 2"),
    (lambda: ag.multinomial(ag.tensor([0.5, 0.5]), 0), ValueError, "num_samples must be positive, got 0"),
    (lambda: ag.multinomial(ag.tensor([-1.0, 2.0]), 1), ValueError, "finite and non-negative, found -1"),
    (lambda: ag.multinomial(ag.tensor([np.inf, 1.0]), 1), ValueError, "found inf"),
    (lambda: ag.multinomial(ag.tensor([np.nan, 1.0]), 1), ValueError, "found nan"),
    (lambda: ag.multinomial(ag.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), ValueError, "row 1 sum to 0"),
    (lambda: ag.multinomial(ag.ones(2, 2, 2), 1), ValueError, r"1-d or 2-d, got shape \(2, 2, 2\)"),
    (lambda: ag.multinomial(ag.tensor(1.0), 1), ValueError, r"got shape \(\)"),
    (lambda: ag.multinomial(ag.tensor([1, 2]), 1), TypeError, "got dtype int64"),
    (lambda: ag.multinomial(ag.ones(3), 1.5), TypeError, "num_samples must be an int, got float 1.5"),
]


@pytest.mark.parametrize("call, kind, message", MULTINOMIAL_ERRORS)
def test_multinomial_errors(call, kind, message):
    with pytest.raises(kind, match=message) as error:
        call()
    if kind is ValueError:  # and a RuntimeError, as torch raises
        assert isinstance(error.value, RuntimeError)


def test_like_functions_take_shape_and_dtype_from_the_input():
    x = ag.zeros(2, 3, dtype=ag.float64)
    for fn in (ag.rand_like, ag.randn_like):
        out = fn(x)
        assert out.shape == (2, 3) and out.dtype == np.float64 and not out.requires_grad
        assert fn(x, dtype=ag.float32).dtype == np.float32
        assert fn(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="cannot make dtype int64"):
        ag.rand_like(ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="takes a tensor, got list"):
        ag.rand_like([1.0])


# --- against torch -----------------------------------------------------------------------------

AGAINST_TORCH = [
    # (our call, torch's call): the same arguments, written for each library.
    (lambda m: m.rand(2, 3), None),
    (lambda m: m.randn(2, 3, dtype=m.float64), None),
    (lambda m: m.randint(0, 5, (4,)), None),
    (lambda m: m.randint(5, (4,)), None),
    (lambda m: m.randperm(6), None),
    (lambda m: m.normal(0.0, 1.0, (2, 3)), None),
    (lambda m: m.normal(m.zeros(2, 3), m.ones(3)), None),
    (lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), 2.0), None),
    (lambda m: m.normal(1.0, m.ones(4)), None),
    (lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64)), None),
    (lambda m: m.poisson(m.ones(2, 2)), None),
    (lambda m: m.multinomial(m.ones(4), 2), None),
    (lambda m: m.multinomial(m.ones(3, 4), 5, True), None),
    (lambda m: m.rand_like(m.zeros(2, dtype=m.float64)), None),
    (lambda m: m.randint_like(m.zeros(2), 3, 5), None),
]


@pytest.mark.parametrize("call", [c for c, _ in AGAINST_TORCH])
def test_shapes_and_dtypes_match_torch(call):
    torch = pytest.importorskip("torch")
    ours, theirs = call(ag), call(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


ERRORS_AGAINST_TORCH = [
    lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3),
    lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0),
    lambda m: m.multinomial(m.tensor([-1.0, 2.0]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m: m.bernoulli(m.tensor([1.5])),
    lambda m: m.poisson(m.tensor([-1.0])),
    lambda m: m.normal(0.0, -1.0, (2,)),
    lambda m: m.Generator().set_state(m.zeros(3, dtype=m.uint8)),
]


@pytest.mark.parametrize("call", ERRORS_AGAINST_TORCH)
def test_errors_are_runtime_errors_as_torchs(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(ag)


def test_type_errors_as_torchs():
    torch = pytest.importorskip("torch")
    for m in (torch, ag):
        with pytest.raises(TypeError):
            m.multinomial(m.ones(3), 1.5)
        with pytest.raises(TypeError):
            m.Generator().set_state(m.zeros(3))
        with pytest.raises(TypeError):
            m.normal(0.0, 1.0)
