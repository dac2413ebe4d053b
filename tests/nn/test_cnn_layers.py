"""The layers a CNN is built of besides convolution and pooling: interpolate and Upsample,
BatchNorm2d, GroupNorm, Dropout1d and Dropout2d, Unflatten; against NumPy written here and
against torch when it is installed. Ends with a small CNN trained end to end."""

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def rng(seed=0):
    return np.random.default_rng(seed)


# --- interpolate ---------------------------------------------------------------------------------------


def np_resize(x, mode, out_size, ratios=None, align_corners=False):
    """Each output position from its source coordinate, one spatial dim after the other."""
    out = x
    for axis, n_out in enumerate(out_size, start=2):
        n_in = x.shape[axis]
        ratio = n_in / n_out if ratios is None else ratios[axis - 2]
        rows = []
        for i in range(n_out):
            if mode in ("nearest", "nearest-exact"):
                shift = 0.5 if mode == "nearest-exact" else 0.0
                rows.append(np.take(out, min(math.floor((i + shift) * ratio), n_in - 1), axis=axis))
                continue
            if align_corners:
                source = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                source = max((i + 0.5) * ratio - 0.5, 0.0)
            low = min(math.floor(source), n_in - 1)
            high, t = min(low + 1, n_in - 1), source - low
            rows.append(np.take(out, low, axis=axis) * (1 - t) + np.take(out, high, axis=axis) * t)
        out = np.stack(rows, axis=axis)
    return out


@pytest.mark.parametrize("size", [(8, 6), (3, 5), (4, 3), (1, 7)])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bilinear-corners"])
def test_interpolate_matches_numpy(size, mode):
    x = rng(1).standard_normal((2, 3, 4, 3))
    corners = mode == "bilinear-corners"
    mode = "bilinear" if corners else mode
    got = F.interpolate(ag.tensor(x), size=size, mode=mode, align_corners=True if corners else None)
    np.testing.assert_allclose(got.numpy(), np_resize(x, mode, size, align_corners=corners), rtol=1e-12)


def test_interpolate_scale_factor_and_other_modes():
    x = rng(2).standard_normal((1, 2, 5, 4))
    got = F.interpolate(ag.tensor(x), scale_factor=1.5, mode="bilinear")
    np.testing.assert_allclose(got.numpy(), np_resize(x, "bilinear", (7, 6), ratios=(1 / 1.5, 1 / 1.5)), rtol=1e-12)
    recomputed = F.interpolate(ag.tensor(x), scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)
    np.testing.assert_allclose(recomputed.numpy(), np_resize(x, "bilinear", (7, 6)), rtol=1e-12)
    doubled = F.interpolate(ag.tensor(x), scale_factor=2)
    np.testing.assert_array_equal(doubled.numpy(), x.repeat(2, axis=2).repeat(2, axis=3))
    area = F.interpolate(ag.tensor(x), size=(2, 2), mode="area")
    np.testing.assert_allclose(area.numpy(), F.adaptive_avg_pool2d(ag.tensor(x), 2).numpy())
    line = rng(3).standard_normal((2, 3, 5))
    np.testing.assert_allclose(F.interpolate(ag.tensor(line), size=8, mode="linear").numpy(),
                               np_resize(line[:, :, None], "bilinear", (1, 8))[:, :, 0], rtol=1e-12)


def test_interpolate_gradients_first_and_second_order():
    x = ag.randn(1, 2, 3, 4, dtype=ag.float64, requires_grad=True)
    for kwargs in [dict(size=(5, 7), mode="bilinear"), dict(scale_factor=2, mode="bilinear", align_corners=True),
                   dict(size=(5, 3), mode="nearest")]:
        assert ag.gradgradcheck(lambda x, kw=kwargs: (F.interpolate(x, **kw) ** 2).sum(), [x])


def test_upsample_layers_and_repr():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == (
        "Upsample(size=(3, 4), mode='bilinear')")
    x = ag.randn(1, 2, 3, 3)
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(scale_factor=2)(x).numpy(),
                                  F.interpolate(x, scale_factor=2).numpy())
    np.testing.assert_array_equal(nn.UpsamplingBilinear2d(size=5)(x).numpy(),
                                  F.interpolate(x, size=5, mode="bilinear", align_corners=True).numpy())


def test_interpolate_errors():
    x = ag.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners only applies"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(RuntimeError, match=r"mode 'linear' needs a 3-D input, got shape \(1, 1, 4, 4\)"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="'bicubic'"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(RuntimeError, match=r"scale_factor 0.1 leaves input of spatial size \(4, 4\) empty"):
        F.interpolate(x, scale_factor=0.1)


def test_interpolate_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng(4).standard_normal((2, 3, 5, 7))
    for kwargs in [dict(size=(9, 4)), dict(scale_factor=2.5), dict(size=(3, 11), mode="nearest-exact"),
                   dict(size=(8, 3), mode="bilinear"), dict(size=(8, 13), mode="bilinear", align_corners=True),
                   dict(scale_factor=(1.5, 0.5), mode="bilinear"), dict(size=(2, 3), mode="area"),
                   dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)]:
        a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        got, want = F.interpolate(a, **kwargs), torch.nn.functional.interpolate(t, **kwargs)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
        g = rng(5).standard_normal(want.shape)
        got.backward(ag.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-14)


# --- BatchNorm2d and GroupNorm ---------------------------------------------------------------------------


def test_batch_norm_2d_normalises_each_channel_over_batch_and_space():
    x = rng(6).standard_normal((4, 3, 5, 6)) * 3.0 + 2.0
    bn = nn.BatchNorm2d(3).double()
    out = bn(ag.tensor(x)).detach().numpy()
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean.ravel(), rtol=1e-10)
    n = 4 * 5 * 6
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var.ravel() * n / (n - 1), rtol=1e-10)
    bn.eval()
    np.testing.assert_allclose(bn(ag.tensor(x)).detach().numpy(),
                               (x - bn.running_mean.numpy()[:, None, None]) / np.sqrt(
                                   bn.running_var.numpy()[:, None, None] + 1e-5), rtol=1e-10)
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected a 4-D \(N, C, H, W\) input, got shape \(4, 3, 5\)"):
        bn(ag.randn(4, 3, 5))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected 3 channels in dim 1, got 2"):
        bn(ag.randn(4, 2, 5, 5))
    assert repr(nn.BatchNorm2d(3)) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                                       "track_running_stats=True)")


def test_group_norm_matches_numpy_and_its_layer():
    x = rng(7).standard_normal((2, 6, 4, 3))
    w, b = rng(8).standard_normal(6), rng(9).standard_normal(6)
    groups = x.reshape(2, 3, -1)
    expected = ((groups - groups.mean(2, keepdims=True)) / np.sqrt(groups.var(2, keepdims=True) + 1e-5)).reshape(
        x.shape) * w[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(F.group_norm(ag.tensor(x), 3, ag.tensor(w), ag.tensor(b)).numpy(), expected,
                               rtol=1e-10)
    layer = nn.GroupNorm(3, 6).double()
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [("weight", (6,)), ("bias", (6,))]
    np.testing.assert_allclose(layer(ag.tensor(x)).detach().numpy(), F.group_norm(ag.tensor(x), 3).numpy())
    assert repr(layer) == "GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)"
    y = ag.randn(2, 4, 3, dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda y: (F.group_norm(y, 2) ** 3).sum(), [y])
    with pytest.raises(RuntimeError, match=r"6 channels of input \(2, 6, 4, 3\) do not split into num_groups=4"):
        F.group_norm(ag.tensor(x), 4)
    with pytest.raises(ValueError, match="num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)


def test_norms_match_torch():
    torch = pytest.importorskip("torch")
    x = rng(10).standard_normal((3, 4, 5, 2))
    ours, theirs = nn.BatchNorm2d(4, momentum=0.3).double(), torch.nn.BatchNorm2d(4, momentum=0.3).double()
    for _ in range(2):
        np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10)
    g_ours, g_theirs = nn.GroupNorm(2, 4).double(), torch.nn.GroupNorm(2, 4).double()
    with torch.no_grad():
        g_theirs.weight.copy_(torch.tensor(rng(11).standard_normal(4)))
    g_ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in g_theirs.state_dict().items()})
    np.testing.assert_allclose(g_ours(ag.tensor(x)).detach().numpy(), g_theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


# --- channel dropout and Unflatten --------------------------------------------------------------------


def test_dropout2d_zeros_whole_channels():
    ag.manual_seed(0)
    x = ag.ones(8, 16, 3, 3)
    out = nn.Dropout2d(0.25)(x).numpy()
    per_channel = out.reshape(8, 16, 9)
    np.testing.assert_allclose(np.unique(per_channel), [0.0, 1 / 0.75], rtol=1e-6)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # a channel is all kept or all dropped
    assert 0.1 < (per_channel[:, :, 0] == 0).mean() < 0.4
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    one_d = nn.Dropout1d(0.5)(ag.ones(4, 32, 5)).numpy()
    assert (one_d.min(axis=2) == one_d.max(axis=2)).all() and 0 < (one_d[:, :, 0] == 0).mean() < 1
    unbatched = F.dropout1d(ag.ones(32, 5), 0.5).numpy()
    assert (unbatched.min(axis=1) == unbatched.max(axis=1)).all()
    with pytest.warns(UserWarning, match=r"3-D input is taken as \(N, C, L\)"):
        F.dropout2d(ag.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"dropout1d: expected a 2-D \(C, L\) or 3-D.*got shape \(1, 2, 3, 4\)"):
        F.dropout1d(ag.ones(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"1\.5"):
        nn.Dropout2d(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(ag.ones(2, 3, 4, 4), training=False)


def test_unflatten_inverts_flatten():
    x = ag.randn(2, 12, 5)
    out = nn.Unflatten(1, (3, -1, 2))(x)
    assert out.shape == (2, 3, 2, 2, 5)
    np.testing.assert_array_equal(nn.Flatten(1, 3)(out).numpy(), x.numpy())
    assert nn.Unflatten(-1, (5, 1))(x).shape == (2, 12, 5, 1)
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        nn.Unflatten(3, (2, 3))(x)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 6)


# --- a small CNN, end to end -------------------------------------------------------------------------


def test_a_small_cnn_learns_to_tell_vertical_from_horizontal_bars():
    data = np.zeros((64, 1, 8, 8), dtype=np.float32)
    labels = np.arange(64) % 2
    positions = rng(12).integers(1, 7, 64)
    for i, (label, p) in enumerate(zip(labels, positions)):
        if label:
            data[i, 0, :, p] = 1.0
        else:
            data[i, 0, p, :] = 1.0
    data += 0.1 * rng(13).standard_normal(data.shape).astype(np.float32)
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    import optim
    opt = optim.Adam(model.parameters(), lr=0.05)
    x, y = ag.tensor(data), ag.tensor(labels)
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with ag.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy == 1.0, accuracy
