"""The convolution by its definition, for the tests of nn.conv (test_conv.py, test_conv2d.py):
one output element at a time, in any number of spatial dims, and which inputs a layer refuses."""

import itertools

import numpy as np
import pytest

import autograd as ag

NUMPY_PAD = {"zeros": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}


def np_conv(x, w, b, stride, padding, dilation, groups=1, mode="zeros"):
    """x (N, C, *size) padded by ``padding`` ((before, after) per dim, in ``mode``), cross-correlated
    with w (C_out, C / groups, *kernel): each output element as the sum over its window."""
    x = np.pad(x, ((0, 0), (0, 0), *padding), mode=NUMPY_PAD[mode])
    out_channels, group_channels, *kernel = w.shape
    per_group = out_channels // groups
    counts = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation)]
    out = np.zeros((x.shape[0], out_channels, *counts))
    for i, o, *position in itertools.product(range(x.shape[0]), range(out_channels), *map(range, counts)):
        first = (o // per_group) * group_channels
        total = 0.0 if b is None else b[o]
        for c, *offset in itertools.product(range(group_channels), *map(range, kernel)):
            source = tuple(p * s + k * d for p, s, k, d in zip(position, stride, offset, dilation))
            total += w[(o, c, *offset)] * x[(i, first + c, *source)]
        out[(i, o, *position)] = total
    return out


def same_padding(kernel, dilation):
    """(before, after) per dim for padding='same': an odd total puts the extra one after, as torch."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def refusal(sizes, padding, dilation, kernel, mode):
    """What a convolution's error names for these arguments ('spans', 'reflect padding',
    'circular padding'), or None if it computes."""
    if any(n + sum(p) < d * (k - 1) + 1 for n, p, d, k in zip(sizes, padding, dilation, kernel)):
        return "spans"
    if mode == "reflect" and any(max(p) >= n for n, p in zip(sizes, padding)):
        return "reflect padding"
    if mode == "circular" and any(max(p) > n for n, p in zip(sizes, padding)):
        return "circular padding"
    return None


def check_layer(conv, x, batched, padding, mode):
    """A convolution layer (float64) on x (N, C, *size), or on its first sample alone, against
    np_conv; where the layer must refuse the input, that it does, naming why. Returns the
    layer's output, or None."""
    x_in = ag.tensor(x if batched else x[0])
    reason = refusal(x.shape[2:], padding, conv.dilation, conv.kernel_size, mode)
    if reason:
        with pytest.raises(RuntimeError, match=reason):
            conv(x_in)
        return None
    b = None if conv.bias is None else conv.bias.detach().numpy()
    expected = np_conv(x, conv.weight.detach().numpy(), b, conv.stride, padding, conv.dilation, conv.groups, mode)
    got = conv(x_in)
    np.testing.assert_allclose(got.detach().numpy(), expected if batched else expected[0], rtol=1e-10, atol=1e-12)
    return got


__all__ = ["NUMPY_PAD", "check_layer", "np_conv", "refusal", "same_padding"]
