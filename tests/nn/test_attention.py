"""Attention: ``F.scaled_dot_product_attention``, ``F.multi_head_attention_forward`` and
``nn.MultiheadAttention``, against small cases computed by hand, a NumPy reference written
here, finite differences (first and second order, float64), and torch when it is installed
(its state_dict loaded, outputs and weights compared in evaluation mode)."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def val(t):
    return t.detach().numpy()


def dtensor(a, requires_grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def sdpa(q, k, v, **kwargs):
    return F.scaled_dot_product_attention(dtensor(q), dtensor(k), dtensor(v), **kwargs)


# --- a NumPy reference ---------------------------------------------------------------------------------


def np_softmax_rows(scores):
    """softmax over the last dim; rows whose scores are all -inf give 0."""
    top = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isneginf(top), 0.0, top))
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def np_mha(query, key, value, p, heads, blocked=None, added=None):
    """Multi-head attention on batch-first arrays (N, L, E), (N, S, kdim), (N, S, vdim), from
    torch's documented equations. ``p`` holds q_w, k_w, v_w, q_b, k_b, v_b, out_w, out_b;
    ``blocked`` (bool) and ``added`` (float) broadcast to the scores (N, heads, L, S)."""
    q = query @ p["q_w"].T + p["q_b"]
    k = key @ p["k_w"].T + p["k_b"]
    v = value @ p["v_w"].T + p["v_b"]
    n, length, e = q.shape
    d = e // heads
    split = lambda t: t.reshape(n, t.shape[1], heads, d).transpose(0, 2, 1, 3)
    scores = split(q) @ split(k).transpose(0, 1, 3, 2) / math.sqrt(d)
    if added is not None:
        scores = scores + added
    if blocked is not None:
        scores = np.where(blocked, -np.inf, scores)
    w = np_softmax_rows(scores)
    out = (w @ split(v)).transpose(0, 2, 1, 3).reshape(n, length, e)
    return out @ p["out_w"].T + p["out_b"], w


def mha_params(mha):
    """The module's parameters as the arrays np_mha takes."""
    e = mha.embed_dim
    if mha.in_proj_weight is not None:
        w = val(mha.in_proj_weight)
        q_w, k_w, v_w = w[:e], w[e : 2 * e], w[2 * e :]
    else:
        q_w, k_w, v_w = val(mha.q_proj_weight), val(mha.k_proj_weight), val(mha.v_proj_weight)
    b = np.zeros(3 * e) if mha.in_proj_bias is None else val(mha.in_proj_bias)
    out_b = np.zeros(e) if mha.out_proj.bias is None else val(mha.out_proj.bias)
    return {"q_w": q_w, "k_w": k_w, "v_w": v_w, "q_b": b[:e], "k_b": b[e : 2 * e], "v_b": b[2 * e :],
            "out_w": val(mha.out_proj.weight), "out_b": out_b}


def randomize(module, rng):
    """Every parameter drawn again, so that zero-initialised biases count too."""
    with ag.no_grad():
        for p in module.parameters():
            p.copy_(rng.standard_normal(p.shape) * 0.5)
    return module


# --- scaled_dot_product_attention: cases by hand -------------------------------------------------------


def test_sdpa_one_query_by_hand():
    # scores q.k * scale = [1, 0]: weights e/(e+1) and 1/(e+1) on the two values
    out = sdpa([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]], scale=1.0)
    w0 = math.e / (math.e + 1)
    np.testing.assert_allclose(val(out), [[w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4]], rtol=1e-14)


def test_sdpa_default_scale_is_one_over_sqrt_of_features(rng):
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    np.testing.assert_allclose(val(sdpa(q, k, v)), val(sdpa(q, k, v, scale=0.5)), rtol=1e-14)
    expected = np_softmax_rows(q @ k.T * 0.25) @ v
    np.testing.assert_allclose(val(sdpa(q, k, v, scale=0.25)), expected, rtol=1e-13)


def test_sdpa_bool_mask_true_attends_and_float_mask_adds(rng):
    q, k = rng.standard_normal((2, 3)), rng.standard_normal((3, 3))
    eye = np.eye(3)  # with the identity as values, each output row is that query's weights
    keep = np.array([[True, False, True], [False, False, True]])
    weights = val(sdpa(q, k, eye, attn_mask=keep))
    assert weights[0, 1] == 0 and np.all(weights[1, :2] == 0) and weights[1, 2] == 1
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-14)
    as_float = np.where(keep, 0.0, -np.inf)
    np.testing.assert_allclose(val(sdpa(q, k, eye, attn_mask=as_float)), weights, rtol=1e-14)
    bias = rng.standard_normal((2, 3))
    np.testing.assert_allclose(val(sdpa(q, k, eye, attn_mask=bias)),
                               np_softmax_rows(q @ k.T / math.sqrt(3) + bias), rtol=1e-13)


def test_sdpa_is_causal_is_aligned_top_left(rng):
    q, k = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    weights = val(sdpa(q, k, np.eye(3), is_causal=True))
    np.testing.assert_allclose(weights[0], [1.0, 0.0, 0.0])
    assert weights[1, 2] == 0 and weights[1, 0] > 0 and weights[1, 1] > 0
    square = val(sdpa(k, k, np.eye(3), is_causal=True))
    assert np.all(np.triu(square, 1) == 0)


def test_sdpa_query_with_every_key_masked_gets_zero_and_finite_gradients(rng):
    q = dtensor(rng.standard_normal((2, 3)), requires_grad=True)
    k = dtensor(rng.standard_normal((4, 3)), requires_grad=True)
    v = dtensor(rng.standard_normal((4, 2)), requires_grad=True)
    keep = np.ones((2, 4), dtype=bool)
    keep[0] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    np.testing.assert_array_equal(val(out)[0], 0.0)
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    np.testing.assert_array_equal(q.grad.numpy()[0], 0.0)
    float_mask = np.where(keep, 0.0, -np.inf)  # the same through a float mask
    np.testing.assert_array_equal(val(F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask)), val(out))


def test_sdpa_leading_dims_broadcast(rng):
    q, k, v = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 6, 4)), rng.standard_normal((5, 6, 2))
    out = val(sdpa(q, k, v))
    assert out.shape == (2, 5, 3, 2)
    np.testing.assert_allclose(out[1, 4], np_softmax_rows(q[1, 0] @ k[4].T / 2) @ v[4], rtol=1e-13)


def test_sdpa_grouped_query_attention_repeats_each_key_head(rng):
    q, k, v = rng.standard_normal((1, 6, 3, 4)), rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((1, 2, 5, 3))
    out = val(sdpa(q, k, v, enable_gqa=True))
    np.testing.assert_allclose(out, val(sdpa(q, np.repeat(k, 3, axis=1), np.repeat(v, 3, axis=1))), rtol=1e-14)
    # query heads 0-2 share key head 0, heads 3-5 key head 1
    np.testing.assert_allclose(out[0, 4], val(sdpa(q[0, 4], k[0, 1], v[0, 1])), rtol=1e-14)


def test_sdpa_dropout_zeroes_weights_and_scales_the_rest(rng):
    q, k = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    plain = val(sdpa(q, k, np.eye(5)))
    ag.manual_seed(0)
    dropped = val(sdpa(q, k, np.eye(5), dropout_p=0.5))
    kept = dropped != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(dropped[kept], 2 * plain[kept], rtol=1e-14)
    np.testing.assert_array_equal(val(sdpa(q, k, np.eye(5), dropout_p=1.0)), 0.0)


def test_sdpa_float32_in_float32_out(rng):
    q = ag.tensor(rng.standard_normal((2, 3)), dtype=ag.float32)
    assert F.scaled_dot_product_attention(q, q, q, attn_mask=np.zeros((2, 2))).dtype == np.float32


def test_sdpa_bad_input_is_refused_naming_shapes(rng):
    q, k, v = (dtensor(rng.standard_normal(s)) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 6)])
    with pytest.raises(RuntimeError, match=r"query \(2, 3, 4\) and key \(2, 5, 3\)"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(RuntimeError, match=r"key \(2, 5, 4\) and value \(2, 4, 6\)"):
        F.scaled_dot_product_attention(q, k, v[:, :4])
    with pytest.raises(RuntimeError, match=r"query \(2, 3, 4\), key \(3, 5, 4\)"):
        F.scaled_dot_product_attention(q, dtensor(rng.standard_normal((3, 5, 4))), v)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\).*\(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.zeros((4, 5)))
    with pytest.raises(TypeError, match="attn_mask must be bool or floating point, got dtype int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.zeros((3, 5), dtype=np.int64))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), dtype=bool), is_causal=True)
    with pytest.raises(ValueError, match=r"dropout probability must be a number in \[0, 1\], got 1.5"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match=r"at least 2 dims.*\(4,\)"):
        F.scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0])
    with pytest.raises(RuntimeError, match="2 heads must divide query's 3 heads"):
        F.scaled_dot_product_attention(dtensor(np.ones((3, 2, 4))), dtensor(np.ones((2, 5, 4))),
                                       dtensor(np.ones((2, 5, 4))), enable_gqa=True)
    with pytest.raises(TypeError, match="query must be floating point, got dtype int64"):
        F.scaled_dot_product_attention(ag.tensor([[1, 2]]), k[0], v[0])
    with pytest.raises(TypeError, match="key must be a Tensor, got list"):
        F.scaled_dot_product_attention(q, [[1.0]], v)


def test_sdpa_gradients_first_and_second_order(rng):
    q, k, v = (dtensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    keep = rng.random((3, 5)) > 0.3
    keep[1] = False  # one query attends to nothing
    bias = dtensor(rng.standard_normal((2, 1, 5)), requires_grad=True)  # a learned additive mask has a gradient too
    for fn, inputs in [
        (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep), [q, k, v]),
        (lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b, scale=0.3), [q, k, v, bias]),
        (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [q, k, v]),
    ]:
        assert ag.gradcheck(fn, inputs)
        assert ag.gradgradcheck(fn, inputs)
    q4 = dtensor(rng.standard_normal((1, 4, 2, 3)), requires_grad=True)
    k2, v2 = (dtensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True) for _ in range(2))
    gqa = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    assert ag.gradcheck(gqa, [q4, k2, v2])
    assert ag.gradgradcheck(gqa, [q4, k2, v2])


# --- MultiheadAttention: parameters ------------------------------------------------------------------


def test_mha_parameters_have_torchs_names_and_shapes():
    mha = nn.MultiheadAttention(6, 2)
    assert [(n, p.shape) for n, p in mha.named_parameters()] == [
        ("in_proj_weight", (18, 6)), ("in_proj_bias", (18,)), ("out_proj.weight", (6, 6)), ("out_proj.bias", (6,)),
    ]
    separate = nn.MultiheadAttention(6, 3, kdim=4, vdim=5, add_bias_kv=True)
    assert [(n, p.shape) for n, p in separate.named_parameters()] == [
        ("q_proj_weight", (6, 6)), ("k_proj_weight", (6, 4)), ("v_proj_weight", (6, 5)), ("in_proj_bias", (18,)),
        ("bias_k", (1, 1, 6)), ("bias_v", (1, 1, 6)), ("out_proj.weight", (6, 6)), ("out_proj.bias", (6,)),
    ]
    assert separate.in_proj_weight is None and separate.head_dim == 2
    assert list(nn.MultiheadAttention(4, 1, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]
    assert nn.MultiheadAttention(4, 2, dtype=ag.float64).in_proj_weight.dtype == np.float64


def test_mha_initialisation_follows_torch():
    ag.manual_seed(1)
    mha = nn.MultiheadAttention(40, 4, add_bias_kv=True)
    w = val(mha.in_proj_weight)
    bound = math.sqrt(6 / (40 + 120))  # Xavier-uniform over the packed (3E, E) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(val(mha.in_proj_bias) == 0) and np.all(val(mha.out_proj.bias) == 0)
    assert np.abs(val(mha.out_proj.weight)).max() <= 1 / math.sqrt(40)  # Linear's own initialisation
    assert val(mha.bias_k).std() > 0


def test_mha_bad_construction():
    with pytest.raises(ValueError, match="embed_dim 6 is not divisible by num_heads 4"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="num_heads must be a positive int, got 0"):
        nn.MultiheadAttention(6, 0)
    with pytest.raises(ValueError, match=r"dropout.*got 2"):
        nn.MultiheadAttention(6, 2, dropout=2)


# --- MultiheadAttention: values against NumPy ----------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False}])
def test_mha_matches_numpy_reference(rng, options):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, **options), rng)
    n, length, source = 2, 3, 5
    query = rng.standard_normal((n, length, 4))
    key = rng.standard_normal((n, source, mha.kdim))
    value = rng.standard_normal((n, source, mha.vdim))
    padding = rng.random((n, source)) > 0.6
    blocked = rng.random((length, source)) > 0.7
    expected, weights = np_mha(query, key, value, mha_params(mha), 2, blocked | padding[:, None, None, :])
    layout = (lambda a: a) if mha.batch_first else (lambda a: a.transpose(1, 0, 2))
    out, w = mha(*(dtensor(layout(a)) for a in (query, key, value)), key_padding_mask=padding, attn_mask=blocked,
                 average_attn_weights=False)
    np.testing.assert_allclose(val(out), layout(expected), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(val(w), weights, rtol=1e-12, atol=1e-14)


def test_mha_masks_per_head_and_float(rng):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, batch_first=True), rng)
    x = rng.standard_normal((2, 3, 4))
    per_head = rng.standard_normal((2 * 2, 3, 3))  # (N * heads, L, S), float: added
    padding = rng.standard_normal((2, 3))  # a float key_padding_mask is added too
    expected, weights = np_mha(x, x, x, mha_params(mha), 2, added=per_head.reshape(2, 2, 3, 3) + padding[:, None, None])
    out, w = mha(dtensor(x), dtensor(x), dtensor(x), attn_mask=per_head, key_padding_mask=padding)
    np.testing.assert_allclose(val(out), expected, rtol=1e-12)
    np.testing.assert_allclose(val(w), weights.mean(1), rtol=1e-12)


def test_mha_bias_kv_and_zero_attn_append_keys(rng):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, add_bias_kv=True, add_zero_attn=True,
                                          batch_first=True), rng)
    x = rng.standard_normal((1, 3, 4))
    padding = np.array([[False, True, False]])
    p = mha_params(mha)
    # The learned key/value enter after the projection, the zero key/value after the heads split: so as
    # raw inputs, the bias is bias minus the projection's bias run backwards; simpler to extend the
    # projected arrays directly.
    q = x @ p["q_w"].T + p["q_b"]
    k = np.concatenate([x @ p["k_w"].T + p["k_b"], val(mha.bias_k)], 1)
    v = np.concatenate([x @ p["v_w"].T + p["v_b"], val(mha.bias_v)], 1)
    split = lambda t: t.reshape(1, t.shape[1], 2, 2).transpose(0, 2, 1, 3)
    zeros = np.zeros((1, 2, 1, 2))
    ks, vs = np.concatenate([split(k), zeros], 2), np.concatenate([split(v), zeros], 2)
    blocked = np.array([False, True, False, False, False])  # the appended keys are never masked
    w = np_softmax_rows(np.where(blocked, -np.inf, split(q) @ ks.transpose(0, 1, 3, 2) / math.sqrt(2)))
    expected = (w @ vs).transpose(0, 2, 1, 3).reshape(1, 3, 4) @ p["out_w"].T + p["out_b"]
    out, weights = mha(dtensor(x), dtensor(x), dtensor(x), key_padding_mask=padding)
    np.testing.assert_allclose(val(out), expected, rtol=1e-12)
    assert weights.shape == (1, 3, 5)


def test_mha_key_padding_mask_ignores_the_padded_values(rng):
    mha = nn.MultiheadAttention(4, 2, dtype=ag.float64)
    q, kv = rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))
    padding = np.zeros((2, 5), dtype=bool)
    padding[0, 3:] = True
    out = val(mha(dtensor(q), dtensor(kv), dtensor(kv), key_padding_mask=padding)[0])
    changed = kv.copy()
    changed[3:, 0] += 10.0  # only sequence 0's padded positions
    out2, w = mha(dtensor(q), dtensor(changed), dtensor(changed), key_padding_mask=padding)
    np.testing.assert_allclose(val(out2), out, rtol=1e-13)
    assert np.all(val(w)[0, :, 3:] == 0)


def test_mha_shapes_of_outputs_and_weights(rng):
    mha = nn.MultiheadAttention(6, 3)
    q, kv = ag.randn(4, 2, 6), ag.randn(5, 2, 6)
    out, w = mha(q, kv, kv)
    assert out.shape == (4, 2, 6) and w.shape == (2, 4, 5)
    np.testing.assert_allclose(val(w).sum(-1), 1.0, rtol=1e-5)
    assert mha(q, kv, kv, average_attn_weights=False)[1].shape == (2, 3, 4, 5)
    assert mha(q, kv, kv, need_weights=False)[1] is None
    out, w = mha(q[:, 0], kv[:, 0], kv[:, 0], key_padding_mask=np.zeros(5, dtype=bool))  # unbatched
    assert out.shape == (4, 6) and w.shape == (4, 5)
    assert mha(q[:, 0], kv[:, 0], kv[:, 0], attn_mask=np.zeros((3, 4, 5)), average_attn_weights=False)[1].shape \
        == (3, 4, 5)


def test_mha_unbatched_equals_a_batch_of_one(rng):
    mha = nn.MultiheadAttention(4, 2, dtype=ag.float64)
    q, kv = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    one, w1 = mha(dtensor(q), dtensor(kv), dtensor(kv))
    batch, wb = mha(dtensor(q[:, None]), dtensor(kv[:, None]), dtensor(kv[:, None]))
    np.testing.assert_allclose(val(one), val(batch)[:, 0], rtol=1e-14)
    np.testing.assert_allclose(val(w1), val(wb)[0], rtol=1e-14)


def test_mha_is_causal_is_a_hint_about_attn_mask(rng):
    mha = nn.MultiheadAttention(4, 2, dtype=ag.float64)
    x = dtensor(rng.standard_normal((3, 1, 4)))
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64)
    with pytest.raises(ValueError, match="attn_mask must be given too"):
        mha(x, x, x, is_causal=True)
    reference = val(mha(x, x, x, attn_mask=causal)[0])
    np.testing.assert_allclose(val(mha(x, x, x, attn_mask=causal, is_causal=True)[0]), reference, rtol=1e-14)
    # As torch: without weights or key padding, the hint is trusted over the mask's contents.
    hinted = mha(x, x, x, attn_mask=np.zeros((3, 3)), is_causal=True, need_weights=False)[0]
    np.testing.assert_allclose(val(hinted), reference, rtol=1e-14)


def test_mha_dropout_only_in_training(rng):
    mha = nn.MultiheadAttention(4, 1, dropout=0.5, dtype=ag.float64, batch_first=True)
    x = dtensor(rng.standard_normal((1, 6, 4)))
    ag.manual_seed(0)
    _, dropped = mha(x, x, x)
    mha.eval()
    _, plain = mha(x, x, x)
    kept = val(dropped) != 0
    assert (~kept).any()
    np.testing.assert_allclose(val(dropped)[kept], 2 * val(plain)[kept], rtol=1e-13)
    np.testing.assert_array_equal(val(mha(x, x, x)[1]), val(plain))


def test_mha_functional_form_equals_the_module(rng):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, kdim=3, vdim=3), rng)
    q, kv = dtensor(rng.standard_normal((2, 1, 4))), dtensor(rng.standard_normal((3, 1, 3)))
    out, w = F.multi_head_attention_forward(
        q, kv, kv, 4, 2, None, mha.in_proj_bias, None, None, False, 0.0, mha.out_proj.weight, mha.out_proj.bias,
        use_separate_proj_weight=True, q_proj_weight=mha.q_proj_weight, k_proj_weight=mha.k_proj_weight,
        v_proj_weight=mha.v_proj_weight)
    ours, ours_w = mha(q, kv, kv)
    np.testing.assert_array_equal(val(out), val(ours))
    np.testing.assert_array_equal(val(w), val(ours_w))


def test_mha_static_key_and_value_replace_the_projections(rng):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64), rng)
    q = dtensor(rng.standard_normal((3, 1, 4)))
    static_k, static_v = rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 5, 2))  # (N * heads, S, head_dim)
    p = mha_params(mha)
    qs = (val(q)[:, 0] @ p["q_w"].T + p["q_b"]).reshape(3, 2, 2).transpose(1, 0, 2)
    heads = np_softmax_rows(qs @ static_k.transpose(0, 2, 1) / math.sqrt(2)) @ static_v
    expected = heads.transpose(1, 0, 2).reshape(3, 4) @ p["out_w"].T + p["out_b"]
    out, _ = F.multi_head_attention_forward(
        q, q, q, 4, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0, mha.out_proj.weight,
        mha.out_proj.bias, static_k=dtensor(static_k), static_v=dtensor(static_v))
    np.testing.assert_allclose(val(out)[:, 0], expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"static_k must have shape.*\(2, S, 2\), got \(3, 5, 2\)"):
        F.multi_head_attention_forward(q, q, q, 4, 2, mha.in_proj_weight, None, None, None, False, 0.0,
                                       mha.out_proj.weight, None, static_k=dtensor(np.ones((3, 5, 2))))


def test_mha_bad_input_names_shapes():
    mha = nn.MultiheadAttention(4, 2, kdim=3, vdim=3)
    q, kv = ag.randn(2, 1, 4), ag.randn(5, 1, 3)
    with pytest.raises(RuntimeError, match=r"expected query with 4 features in its last dim, got shape \(2, 1, 3\)"):
        mha(kv[:2], kv, kv)
    with pytest.raises(RuntimeError, match=r"key and value must agree.*\(5, 1, 3\) and \(4, 1, 3\)"):
        mha(q, kv, kv[:4])
    with pytest.raises(RuntimeError, match=r"different batch sizes: shapes \(2, 1, 4\) and \(5, 2, 3\)"):
        mha(q, ag.randn(5, 2, 3), ag.randn(5, 2, 3))
    with pytest.raises(RuntimeError, match=r"batched 3-D or unbatched 2-D, got shape \(1, 2, 1, 4\)"):
        mha(q[None], kv[None], kv[None])
    with pytest.raises(RuntimeError, match=r"attn_mask must have shape \(2, 5\) or \(2, 2, 5\).*got \(5, 2\)"):
        mha(q, kv, kv, attn_mask=np.zeros((5, 2), dtype=bool))
    with pytest.raises(RuntimeError, match=r"key_padding_mask must have shape \(1, 5\).*got \(5,\)"):
        mha(q, kv, kv, key_padding_mask=np.zeros(5, dtype=bool))
    with pytest.raises(TypeError, match="key_padding_mask must be bool or floating point, got dtype int64"):
        mha(q, kv, kv, key_padding_mask=np.zeros((1, 5), dtype=np.int64))


def test_mha_gradients_first_and_second_order(rng):
    mha = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, add_bias_kv=True, kdim=3, vdim=2), rng)
    q = dtensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = dtensor(rng.standard_normal((3, 1, 3)), requires_grad=True)
    v = dtensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    padding = np.array([[False, True, False]])
    fn = lambda q, k, v, *params: mha(q, k, v, key_padding_mask=padding)[0]
    inputs = [q, k, v, *mha.parameters()]
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)
    packed = randomize(nn.MultiheadAttention(4, 2, dtype=ag.float64, add_zero_attn=True), rng)
    fn = lambda q, *params: packed(q, q, q, attn_mask=np.tril(np.ones((2, 2))) == 0)[0]
    assert ag.gradcheck(fn, [q, *packed.parameters()])
    assert ag.gradgradcheck(fn, [q, *packed.parameters()])


# --- against torch ------------------------------------------------------------------------------------


def test_sdpa_matches_torch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    q, k, v = rng.standard_normal((2, 4, 3, 5)), rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((2, 2, 6, 3))
    keep = rng.random((3, 6)) > 0.4
    keep[0] = False
    float_mask = rng.standard_normal((2, 1, 3, 6))
    for kwargs in [{}, {"is_causal": True}, {"scale": 0.3}, {"attn_mask": keep}, {"attn_mask": float_mask}]:
        ours = sdpa(q, k, v, enable_gqa=True, **kwargs)
        t_kwargs = {n: torch.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kwargs.items()}
        theirs = tf.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), enable_gqa=True, **t_kwargs)
        np.testing.assert_allclose(val(ours), theirs.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.filterwarnings("ignore:Support for mismatched")  # torch's, about mixing bool and float masks
@pytest.mark.parametrize("options", [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False},
                                     {"add_bias_kv": True, "add_zero_attn": True}])
def test_mha_matches_torch_with_its_state_dict(rng, options):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **options).double().eval()
    ours = nn.MultiheadAttention(8, 2, dtype=ag.float64, **options).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    n, length, source = 3, 4, 5
    shape = (lambda seq, d: (n, seq, d)) if ours.batch_first else (lambda seq, d: (seq, n, d))
    x = rng.standard_normal(shape(length, 8))
    key, value = rng.standard_normal(shape(source, ours.kdim)), rng.standard_normal(shape(source, ours.vdim))
    padding = rng.random((n, source)) > 0.7
    padding[:, 0] = False  # torch's weights are nan for a query with no key left
    masks = [{}, {"key_padding_mask": padding}, {"attn_mask": rng.random((length, source)) > 0.8},
             {"attn_mask": rng.standard_normal((n * 2, length, source)), "key_padding_mask": padding}]
    for mask in masks:
        for average in (True, False):
            out, w = ours(*(dtensor(a) for a in (x, key, value)), average_attn_weights=average, **mask)
            t_out, t_w = theirs(*(torch.tensor(a) for a in (x, key, value)), average_attn_weights=average,
                                **{name: torch.tensor(m) for name, m in mask.items()})
            np.testing.assert_allclose(val(out), t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(val(w), t_w.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_mha_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    ours = nn.MultiheadAttention(4, 2, batch_first=True, dtype=ag.float64)
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 3, 4))
    xt = torch.tensor(x, requires_grad=True)
    xo = dtensor(x, requires_grad=True)
    theirs(xt, xt, xt)[0].square().sum().backward()
    ours(xo, xo, xo)[0].square().sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-11)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs.get_parameter(name).grad.numpy(), rtol=1e-11, atol=1e-14)
