"""allclose, isclose, histc and histogram: values against hand-computed ones and torch's."""

import numpy as np
import pytest

import autograd as ag


def test_allclose_and_isclose():
    a = ag.tensor([1.0, 2.0, np.nan])
    b = ag.tensor([1.0, 2.000001, np.nan])
    assert not ag.allclose(a, b) and ag.allclose(a, b, equal_nan=True)
    assert ag.isclose(a, b).tolist() == [True, True, False]
    assert ag.isclose(a, b, equal_nan=True).dtype == np.bool_
    assert ag.allclose(ag.tensor([1.0, 1.0]), ag.tensor(1.0))  # broadcast
    assert not ag.allclose(ag.tensor([1.0]), ag.tensor([1.1]))
    assert ag.allclose(ag.tensor([1.0]), ag.tensor([1.1]), rtol=0.1) and ag.allclose(ag.tensor([1.0]), ag.tensor([1.1]),
                                                                                     atol=0.2)
    x = ag.ones(2, requires_grad=True)
    assert ag.allclose(x * 2, ag.full((2,), 2.0)) is True  # a plain bool, outside the graph


def test_allclose_errors():
    with pytest.raises(TypeError, match="other must be a tensor, got list"):
        ag.allclose(ag.ones(2), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\)"):
        ag.allclose(ag.ones(2), ag.ones(3))


def test_histc():
    x = ag.tensor([1.0, 2.0, 1.0, 5.0])
    np.testing.assert_array_equal(ag.histc(x, bins=4, min=0, max=3).numpy(), [0, 2, 1, 0])  # 5 is outside
    auto = ag.histc(x, bins=4)  # min == max: the values' own range, [1, 5]
    np.testing.assert_array_equal(auto.numpy(), [2, 1, 0, 1])
    assert auto.dtype == np.float32 and ag.histc(x.double(), bins=2).dtype == np.float64
    np.testing.assert_array_equal(ag.histc(ag.tensor([1.0, 1.0]), bins=4).numpy(), [0, 0, 2, 0])  # around 1: [0, 2]
    np.testing.assert_array_equal(ag.histc(ag.tensor([]), bins=2).numpy(), [0, 0])
    with pytest.raises(ValueError, match="min must not exceed max, got min=3 and max=1"):
        ag.histc(x, bins=2, min=3, max=1)
    with pytest.raises(ValueError, match="bins must be positive, got 0"):
        ag.histc(x, bins=0)
    with pytest.raises(TypeError, match="floating-point values, got dtype int64"):
        ag.histc(ag.tensor([1, 2]))


def test_histogram():
    x = ag.tensor([1.0, 2.0, 1.0])
    hist, edges = ag.histogram(x, bins=4, range=(0.0, 3.0))
    np.testing.assert_array_equal(hist.numpy(), [0, 2, 1, 0])
    np.testing.assert_allclose(edges.numpy(), [0, 0.75, 1.5, 2.25, 3])
    result = ag.histogram(x, ag.tensor([0.0, 1.5, 3.0]))
    assert isinstance(result, ag.Histogram)
    np.testing.assert_array_equal(result.hist.numpy(), [2, 1])
    np.testing.assert_array_equal(result.bin_edges.numpy(), [0, 1.5, 3])
    weighted = ag.histogram(x, bins=2, weight=ag.tensor([1.0, 2.0, 3.0]), density=True)
    np.testing.assert_allclose(weighted.hist.numpy(), [4 / 3, 2 / 3], rtol=1e-6)  # integrates to 1 over [1, 2]
    with pytest.raises(ValueError, match="increasing 1-d"):
        ag.histogram(x, ag.tensor([2.0, 1.0]))
    with pytest.raises(ValueError, match=r"min <= max, got \(2.0, 1.0\)"):
        ag.histogram(x, bins=2, range=(2.0, 1.0))
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), input \(3,\)"):
        ag.histogram(x, bins=2, weight=ag.ones(2))


HISTOGRAMS = [
    lambda m: m.histc(m.tensor([1.0, 2.0, 1.0, 5.0]), bins=4, min=0, max=3),
    lambda m: m.histc(m.tensor([1.0, 2.0, 1.0, 5.0]), bins=4),
    lambda m: m.histc(m.tensor([1.0, 1.0]), bins=4),
    lambda m: m.histc(m.tensor([], dtype=m.float64), bins=3),
    lambda m: m.histogram(m.tensor([1.0, 2.0, 1.0]), bins=4),
    lambda m: m.histogram(m.tensor([1.0, 1.0]), bins=2),
    lambda m: m.histogram(m.tensor([1.0, 2.0, 7.0]), bins=3, range=(0.0, 6.0)),
    lambda m: m.histogram(m.tensor([1.0, 2.0, 1.0]), m.tensor([0.0, 1.5, 3.0])),
    lambda m: m.histogram(m.tensor([1.0, 2.0, 1.0]), bins=2, weight=m.tensor([1.0, 2.0, 3.0]), density=True),
]


@pytest.mark.parametrize("call", HISTOGRAMS)
def test_histograms_against_torch(call):
    torch = pytest.importorskip("torch")
    ours, theirs = call(ag), call(torch)
    pairs = zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]
    for a, b in pairs:
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_allclose_against_torch():
    torch = pytest.importorskip("torch")
    for m in (ag, torch):
        assert m.allclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.000001]))
        assert not m.allclose(m.tensor([1.0, np.nan]), m.tensor([1.0, np.nan]))
        assert m.isclose(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])).tolist() == [True, False]
        with pytest.raises(TypeError):
            m.allclose(m.ones(2), [1.0, 1.0])
