"""nn.utils.clip_grad_norm_ and nn.utils.clip_grad_value_ against NumPy, over shapes, norms and dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn

SETTINGS = settings(max_examples=40, deadline=None)
shapes = st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=4)


def with_grads(grads, dtype):
    params = []
    for g in grads:
        p = ag.zeros(*g.shape, dtype=dtype, requires_grad=True)
        p.grad = ag.tensor(g.astype(dtype))
        params.append(p)
    return params


def norm_of_all(grads, norm_type):
    """The norm of every entry of every gradient, taken as one long vector."""
    flat = np.concatenate([np.abs(g.ravel()) for g in grads]).astype(np.float64)
    if norm_type == math.inf:
        return flat.max()
    return (flat**norm_type).sum() ** (1 / norm_type)


@SETTINGS
@given(shape_list=shapes, seed=st.integers(0, 2**32 - 1), norm_type=st.sampled_from([1.0, 2.0, 3.5, math.inf]),
       max_norm=st.floats(0.01, 20.0), dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_grad_norm(shape_list, seed, norm_type, max_norm, dtype):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s).astype(dtype) for s in shape_list]
    params = with_grads(grads, dtype)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected_total = norm_of_all(grads, norm_type)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert isinstance(total, ag.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), expected_total, rtol=rtol)
    scale = min(1.0, max_norm / (expected_total + 1e-6))
    for p, g in zip(params, grads):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=rtol, atol=1e-7)
    if expected_total > max_norm:
        np.testing.assert_allclose(norm_of_all([p.grad.numpy() for p in params], norm_type), max_norm, rtol=1e-4)


def test_clip_grad_norm_by_hand():
    a, b = with_grads([np.array([3.0]), np.array([0.0, 4.0])], np.float64)
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(np.concatenate([a.grad.numpy(), b.grad.numpy()]), [0.6, 0.0, 0.8], rtol=1e-5)


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clipping_takes_torchs_foreach_and_clips_the_same(foreach):
    a, b = with_grads([np.array([3.0]), np.array([0.0, 4.0])], np.float64)
    assert nn.utils.clip_grad_norm_([a, b], max_norm=1.0, foreach=foreach).item() == 5.0
    np.testing.assert_allclose(np.concatenate([a.grad.numpy(), b.grad.numpy()]), [0.6, 0.0, 0.8], rtol=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.7, foreach=foreach)
    np.testing.assert_allclose(np.concatenate([a.grad.numpy(), b.grad.numpy()]), [0.6, 0.0, 0.7], rtol=1e-5)


def test_clip_grad_norm_single_tensor_and_missing_grads():
    (p,) = with_grads([np.array([0.3, -0.4])], np.float64)
    no_grad = ag.zeros(3, requires_grad=True)
    total = nn.utils.clip_grad_norm_([p, no_grad], max_norm=10.0)
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_allclose(p.grad.numpy(), [0.3, -0.4])  # under the limit: untouched
    assert no_grad.grad is None
    assert nn.utils.clip_grad_norm_(p, 0.05).item() == pytest.approx(0.5)
    np.testing.assert_allclose(p.grad.numpy(), [0.03, -0.04], rtol=1e-4)
    assert nn.utils.clip_grad_norm_([no_grad], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    (p,) = with_grads([np.array([1.0, np.inf])], np.float32)
    with pytest.raises(RuntimeError, match=r"total 2\.0-norm of the gradients is inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, np.inf])  # refused before anything changed
    assert math.isinf(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_bad_input():
    (p,) = with_grads([np.ones(2)], np.float32)
    with pytest.raises(ValueError, match=r"max_norm must be at least 0\.0, got -1\.0"):
        nn.utils.clip_grad_norm_([p], -1.0)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        nn.utils.clip_grad_norm_([p, np.ones(2)], 1.0)
    with pytest.raises(TypeError, match="got int"):
        nn.utils.clip_grad_norm_(3, 1.0)


@SETTINGS
@given(shape_list=shapes, seed=st.integers(0, 2**32 - 1), clip=st.floats(0.0, 2.0),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_grad_value(shape_list, seed, clip, dtype):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s).astype(dtype) for s in shape_list]
    params = with_grads(grads, dtype)
    assert nn.utils.clip_grad_value_(params, clip) is None
    for p, g in zip(params, grads):
        assert p.grad.dtype == dtype
        np.testing.assert_array_equal(p.grad.numpy(), np.minimum(np.maximum(g, dtype(-clip)), dtype(clip)))


def test_clip_grad_value_bad_input():
    (p,) = with_grads([np.ones(2)], np.float32)
    with pytest.raises(ValueError, match=r"clip_value must be at least 0\.0, got -0\.5"):
        nn.utils.clip_grad_value_([p], -0.5)
    with pytest.raises(TypeError, match="clip_value must be a number, got str"):
        nn.utils.clip_grad_value_([p], "1")


def test_same_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=s) for s in [(3, 4), (5,), ()]]
    for norm_type in (1.0, 2.0, 3.0, math.inf):
        ours = with_grads(grads, np.float64)
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for q, g in zip(theirs, grads):
            q.grad = torch.tensor(g)
        a = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        assert a.item() == pytest.approx(b.item(), rel=1e-12)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
