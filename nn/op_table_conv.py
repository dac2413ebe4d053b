"""The lines of ``nn``'s op table (``nn/op_table.py``) for convolution, pooling, padding and
resizing: each public function, on small generated batches, against a NumPy reference written
another way than the op (through ``numpy.lib.stride_tricks.sliding_window_view`` and
``einsum``, ``np.pad``, or loops over output positions), at first and second order.

The ops of ``nn/windows.py`` and ``nn/pooling.py`` are reached through them: ``Windows`` by
``unfold`` (and every convolution), ``WindowsSum`` by ``fold`` and the transposed convolutions,
``PlaneGather`` by the max pools and ``PlaneScatter`` by ``max_unpool2d`` (each one's backward is
the other, so that the second order runs both).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

import autograd as ag
from autograd.op_table import OpCase, case
from autograd.testing import elements

from . import functional as F

__all__ = ["CASES", "COVERED_BY"]

SMALL = 12  # examples per case: each runs a full Jacobian check at both orders


# --- shapes and arguments ----------------------------------------------------------------------------


@st.composite
def conv_shapes(draw, dims=2, transposed=False):
    """input (N, C, *size), weight, bias (C_out,), with C and C_out multiples of the groups the
    weight's shape implies: weight (C_out, C / groups, *kernel), or (C, C_out / groups, *kernel)
    for a transposed convolution."""
    n, groups = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    c, o = groups * draw(st.integers(1, 2 // groups)), groups * draw(st.integers(1, 2 // groups))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    size = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    weight = (c, o // groups, *kernel) if transposed else (o, c // groups, *kernel)
    return (n, c, *size), weight, (o,)


def conv_kwargs(x, w, b):
    groups = x[1] // w[1]
    options = st.fixed_dictionaries({
        "stride": st.sampled_from([1, 2]), "padding": st.sampled_from([0, 1]), "dilation": st.sampled_from([1, 2]),
        "groups": st.just(groups)})
    return options.filter(lambda kw: all(n + 2 * kw["padding"] >= kw["dilation"] * (k - 1) + 1
                                          for n, k in zip(x[2:], w[2:])))


def conv_transpose_kwargs(x, w, b):
    groups = b[0] // w[1]
    options = st.fixed_dictionaries({
        "stride": st.sampled_from([1, 2]), "padding": st.sampled_from([0, 1]), "dilation": st.sampled_from([1, 2]),
        "output_padding": st.sampled_from([0, 1]), "groups": st.just(groups)})
    return options.filter(lambda kw: kw["output_padding"] < max(kw["stride"], kw["dilation"]) and all(
        (n - 1) * kw["stride"] - 2 * kw["padding"] + kw["dilation"] * (k - 1) + kw["output_padding"] + 1 >= 1
        for n, k in zip(x[2:], w[2:])))


IMAGES = st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 4), st.integers(1, 4))  # (N, C, H, W)


def pool_kwargs(shape, dilation=False, ceil=True):
    """kernel_size, stride, padding (at most half the kernel) and ceil_mode that leave at least
    one window in an input of ``shape``, and some input element in every window (a window of
    padding alone is -inf, which finite differences cannot check)."""
    def fits(kw):
        span = [d * (k - 1) + 1 for k, d in zip(_pair(kw["kernel_size"]), _pair(kw.get("dilation", 1)))]
        return all(2 * p <= s for p, s in zip(_pair(kw["padding"]), span)) and all(
            n + 2 * p >= s for n, p, s in zip(shape[2:], _pair(kw["padding"]), span)) and np.isfinite(
            np_max_pool2d(np.zeros(shape), **{"dilation": 1, **kw})).all()

    fields = {"kernel_size": st.sampled_from([1, 2, 3, (2, 1)]), "stride": st.sampled_from([None, 1, 2, (1, 2)]),
              "padding": st.sampled_from([0, 1, (1, 0)]), "ceil_mode": st.booleans() if ceil else st.just(False)}
    if dilation:
        fields["dilation"] = st.sampled_from([1, 2])
    return st.fixed_dictionaries(fields).filter(fits)


def avg_pool_kwargs(shape):
    extra = st.fixed_dictionaries({"count_include_pad": st.booleans()})
    return st.tuples(pool_kwargs(shape), extra).map(lambda kws: {**kws[0], **kws[1]})


def unpool_indices(shape):
    """For input (N, C, H, W) of a 2x2 unpool: one position inside each 2x2 window of the (2H, 2W)
    output, as a max pool with kernel 2 would give (so no two are equal)."""
    n, c, h, w = shape

    def flat(picks):
        rows, cols = np.divmod(np.asarray(picks).reshape(shape), 2)
        return (2 * np.arange(h)[:, None] + rows) * (2 * w) + 2 * np.arange(w) + cols

    return {"indices": st.lists(st.integers(0, 3), min_size=n * c * h * w, max_size=n * c * h * w).map(flat)}


def interpolate_kwargs(shape):
    size = st.tuples(st.integers(1, 5), st.integers(1, 5))
    nearest = st.fixed_dictionaries({"size": size, "mode": st.sampled_from(["nearest", "nearest-exact"])})
    linear = st.fixed_dictionaries({"size": size, "mode": st.just("bilinear"), "align_corners": st.booleans()})
    scaled = st.fixed_dictionaries({"scale_factor": st.sampled_from([2, 1.5, 0.5]).filter(
        lambda f: min(math.floor(n * f) for n in shape[2:]) >= 1), "mode": st.sampled_from(["nearest", "bilinear"])})
    return st.one_of(nearest, linear, scaled)


def pad_kwargs(shape):
    """(left, right, top, bottom) widths that every mode accepts on ``shape``, and a mode."""
    h, w = shape[2:]
    crop = -1 if h > 1 else 0  # a negative width crops, and leaves at least one row
    widths = st.tuples(st.integers(0, w - 1), st.integers(0, w - 1), st.integers(0, h - 1), st.integers(crop, h - 1))
    return st.fixed_dictionaries({"pad": widths, "mode": st.sampled_from(["constant", "reflect", "replicate",
                                                                          "circular"])})


def fold_configurations():
    """(kernel_size, stride, output_size, number of columns) of folds of small images."""
    found = []
    for kernel, stride, size in itertools.product([(1, 1), (2, 1), (1, 2), (2, 2)], [1, 2],
                                                  itertools.product(range(2, 4), range(2, 4))):
        count = math.prod((n - k) // stride + 1 for n, k in zip(size, kernel))
        found.append((kernel, stride, size, count))
    return found


FOLDS = fold_configurations()
# (N, C * kH * kW, L) for some configuration; fold_kwargs finds the configurations that fit it.
FOLD_COLUMNS = st.tuples(st.sampled_from(FOLDS), st.integers(1, 2), st.integers(1, 2)).map(
    lambda drawn: (drawn[1], drawn[2] * math.prod(drawn[0][0]), drawn[0][3]))


def fold_kwargs(shape):
    _, rows, columns = shape
    fitting = [{"output_size": size, "kernel_size": kernel, "stride": stride}
               for kernel, stride, size, count in FOLDS if count == columns and rows % math.prod(kernel) == 0]
    return st.sampled_from(fitting)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# --- NumPy references ----------------------------------------------------------------------------------


def np_windows(x, kernel, stride, dilation, fill=0.0, padding=None, after=None):
    """(N, C, *out, *kernel) windows of ``x`` padded with ``fill`` by ``padding`` on both sides (and
    ``after`` more at the end), through sliding_window_view."""
    dims = x.ndim - 2
    padding = padding or (0,) * dims
    after = after or (0,) * dims
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p + a) for p, a in zip(padding, after)], constant_values=fill)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    view = sliding_window_view(x, spans, axis=tuple(range(2, 2 + dims)))
    steps = tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, d) for d in dilation)
    return view[(slice(None), slice(None)) + steps]


def np_conv2d(x, w, b, stride, padding, dilation, groups):
    win = np_windows(x, w.shape[2:], _pair(stride), _pair(dilation), padding=_pair(padding))
    n, c, oh, ow, kh, kw = win.shape
    win = win.reshape(n, groups, c // groups, oh, ow, kh, kw)
    kernels = w.reshape(groups, w.shape[0] // groups, *w.shape[1:])
    return np.einsum("ngchwij,gocij->ngohw", win, kernels).reshape(n, w.shape[0], oh, ow) + b[:, None, None]


def np_conv1d(x, w, b, stride, padding, dilation, groups):
    """conv2d on a height-1 image with a height-1 kernel."""
    return np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding), (1, dilation), groups)[:, :, 0]


def np_conv_transpose2d(x, w, b, stride, padding, dilation, output_padding, groups):
    """Each input element adds weight * itself to the output window it spreads over."""
    n, c, h, wd = x.shape
    cg, og = c // groups, w.shape[1]
    kh, kw = w.shape[2:]
    full = [(m - 1) * stride + dilation * (k - 1) + 1 + output_padding for m, k in ((h, kh), (wd, kw))]
    out = np.zeros((n, og * groups, *full))
    for g, i, j in itertools.product(range(groups), range(kh), range(kw)):
        contribution = np.einsum("nchw,co->nohw", x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg, :, i, j])
        out[:, g * og:(g + 1) * og, i * dilation:i * dilation + stride * (h - 1) + 1:stride,
            j * dilation:j * dilation + stride * (wd - 1) + 1:stride] += contribution
    return out[:, :, padding:full[0] - padding, padding:full[1] - padding] + b[:, None, None]


def _ceil_after(shape, kernel, stride, dilation, padding, ceil_mode):
    """Extra padding at the end so that ceil_mode's last, partial window exists (torch's count)."""
    after = []
    for n, k, s, d, p in zip(shape[2:], kernel, stride, dilation, padding):
        room = n + 2 * p - d * (k - 1) - 1
        count = (-(-room // s) if ceil_mode else room // s) + 1
        if ceil_mode and (count - 1) * s >= n + p:
            count -= 1
        after.append(max(0, (count - 1) * s + d * (k - 1) + 1 - n - 2 * p))
    return tuple(after)


def np_max_pool2d(x, kernel_size, stride, padding, ceil_mode, dilation=1):
    kernel, dilation, padding = _pair(kernel_size), _pair(dilation), _pair(padding)
    stride = kernel if stride is None else _pair(stride)
    after = _ceil_after(x.shape, kernel, stride, dilation, padding, ceil_mode)
    return np_windows(x, kernel, stride, dilation, -np.inf, padding, after).max(axis=(-2, -1))


def np_avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    kernel, padding = _pair(kernel_size), _pair(padding)
    stride = kernel if stride is None else _pair(stride)
    after = _ceil_after(x.shape, kernel, stride, (1, 1), padding, ceil_mode)
    total = np_windows(x, kernel, stride, (1, 1), 0.0, padding, after).sum(axis=(-2, -1))
    # The divisor: the window's positions inside the padded input (or inside the input alone).
    counted = np.pad(np.ones(x.shape[2:]), [(p, p) for p in padding], constant_values=float(count_include_pad))
    divisor = np_windows(counted[None, None], kernel, stride, (1, 1), 0.0, None, after).sum(axis=(-2, -1))
    return total / divisor


def np_adaptive(reduce):
    """The adaptive pool by its definition: output cell i covers [floor(i S / O), ceil((i + 1) S / O))."""
    def reference(x, output_size):
        out_h, out_w = _pair(output_size)
        h, w = x.shape[2:]
        out = np.empty(x.shape[:2] + (out_h, out_w))
        for i, j in itertools.product(range(out_h), range(out_w)):
            rows = slice(i * h // out_h, -(-(i + 1) * h // out_h))
            cols = slice(j * w // out_w, -(-(j + 1) * w // out_w))
            out[:, :, i, j] = reduce(x[:, :, rows, cols], axis=(-2, -1))
        return out
    return reference


def np_max_unpool2d(x, indices):
    n, c, h, w = x.shape
    out = np.zeros((n, c, 4 * h * w))
    np.put_along_axis(out, indices.reshape(n, c, -1), x.reshape(n, c, -1), axis=2)
    return out.reshape(n, c, 2 * h, 2 * w)


def np_interpolation_matrix(n_in, n_out, mode, ratio, align_corners):
    """(n_out, n_in): row i holds the weight of each input position in output position i."""
    matrix = np.zeros((n_out, n_in))
    for i in range(n_out):
        if mode.startswith("nearest"):
            matrix[i, min(math.floor((i + (0.5 if mode == "nearest-exact" else 0.0)) * ratio), n_in - 1)] = 1.0
        else:
            if align_corners:
                coordinate = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                coordinate = max((i + 0.5) * ratio - 0.5, 0.0)
            low = min(math.floor(coordinate), n_in - 1)
            matrix[i, low] += 1 - (coordinate - low)
            matrix[i, min(low + 1, n_in - 1)] += coordinate - low
    return matrix


def np_interpolate(x, mode, size=None, scale_factor=None, align_corners=None):
    """Resizing as a linear map on each spatial dim: out = A x B^T per image."""
    sizes = size if size is not None else tuple(math.floor(n * scale_factor) for n in x.shape[2:])
    ratios = [n / m if size is not None else 1.0 / scale_factor for n, m in zip(x.shape[2:], sizes)]
    rows, cols = (np_interpolation_matrix(n, m, mode, r, align_corners) for n, m, r in zip(x.shape[2:], sizes, ratios))
    return np.einsum("oh,nchw,pw->ncop", rows, x, cols)


def np_pad(x, pad, mode):
    (left, right, top, bottom) = pad
    numpy_modes: dict[str, Literal["constant", "reflect", "edge", "wrap"]] = {
        "constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    cropped = x[:, :, max(-top, 0):x.shape[2] - max(-bottom, 0)]  # a negative width crops
    return np.pad(cropped, [(0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (left, right)], mode=numpy_modes[mode])


def np_group_norm(x, num_groups):
    groups = x.reshape(x.shape[0], num_groups, -1)
    centred = groups - groups.mean(axis=2, keepdims=True)
    return (centred / np.sqrt((centred**2).mean(axis=2, keepdims=True) + 1e-5)).reshape(x.shape)


def np_unfold(x, kernel_size, stride):
    win = np_windows(x, _pair(kernel_size), _pair(stride), (1, 1))  # (N, C, oh, ow, kh, kw)
    n, c, oh, ow, kh, kw = win.shape
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def np_fold(cols, output_size, kernel_size, stride):
    (h, w), (kh, kw) = output_size, kernel_size
    out_w = (w - kw) // stride + 1
    n, rows, positions = cols.shape
    blocks = cols.reshape(n, rows // (kh * kw), kh, kw, positions)
    out = np.zeros((n, rows // (kh * kw), h, w))
    for p in range(positions):
        top, left = (p // out_w) * stride, (p % out_w) * stride
        out[:, :, top:top + kh, left:left + kw] += blocks[..., p]
    return out


# --- the lines ------------------------------------------------------------------------------------------

CASES: list[OpCase] = [
    case("conv2d", F.conv2d, np_conv2d, shapes=conv_shapes(), kwargs=conv_kwargs, max_examples=SMALL),
    case("conv1d", F.conv1d, np_conv1d, shapes=conv_shapes(dims=1), kwargs=conv_kwargs, max_examples=SMALL),
    case("conv_transpose2d", F.conv_transpose2d, np_conv_transpose2d, shapes=conv_shapes(transposed=True),
         kwargs=conv_transpose_kwargs, max_examples=SMALL),
    case("max_pool2d", F.max_pool2d, np_max_pool2d, shapes=IMAGES, kwargs=lambda s: pool_kwargs(s, dilation=True),
         distinct=True, max_examples=SMALL),
    case("avg_pool2d", F.avg_pool2d, np_avg_pool2d, shapes=IMAGES, kwargs=avg_pool_kwargs, max_examples=SMALL),
    case("adaptive_avg_pool2d", F.adaptive_avg_pool2d, np_adaptive(np.mean), shapes=IMAGES,
         kwargs={"output_size": st.sampled_from([1, 2, 3, (3, 2)])}, max_examples=SMALL),
    case("adaptive_max_pool2d", F.adaptive_max_pool2d, np_adaptive(np.max), shapes=IMAGES,
         kwargs={"output_size": st.sampled_from([1, 2, 3, (3, 2)])}, distinct=True, max_examples=SMALL),
    case("max_unpool2d", lambda x, indices: F.max_unpool2d(x, ag.tensor(indices), 2), np_max_unpool2d,
         shapes=IMAGES, kwargs=unpool_indices, max_examples=SMALL),
    case("pad", F.pad, np_pad, shapes=IMAGES, kwargs=pad_kwargs, max_examples=SMALL),
    case("interpolate", F.interpolate, np_interpolate, shapes=IMAGES, kwargs=interpolate_kwargs, max_examples=SMALL),
    case("unfold", F.unfold, np_unfold, shapes=IMAGES.filter(lambda s: min(s[2:]) >= 2),
         kwargs={"kernel_size": st.sampled_from([1, 2, (2, 1)]), "stride": st.sampled_from([1, 2])},
         max_examples=SMALL),
    case("fold", F.fold, np_fold, shapes=FOLD_COLUMNS, kwargs=fold_kwargs, max_examples=SMALL),
    case("group_norm", lambda x, w, b, num_groups: F.group_norm(x, num_groups, w, b),
         lambda x, w, b, num_groups: np_group_norm(x, num_groups) * w[:, None, None] + b[:, None, None],
         shapes=st.tuples(st.integers(1, 2), st.sampled_from([2, 4]), st.integers(1, 3), st.integers(2, 3)).map(
             lambda s: (s, s[1:2], s[1:2])), kwargs=lambda s, w, b: {"num_groups": st.sampled_from([1, 2])},
         elements=elements(-2, 2), max_examples=SMALL),
]

# The case that exercises each Function subclass of nn/windows.py and nn/pooling.py.
COVERED_BY = {"Windows": "unfold", "WindowsSum": "fold", "PlaneGather": "max_pool2d", "PlaneScatter": "max_unpool2d"}
