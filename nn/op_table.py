"""The table of ``nn``'s own ops for ``autograd.testing.check_op``, in the format of
``autograd/op_table.py`` (which must not import nn): one line per op, with the NumPy
reference of its forward and the shapes, values and arguments to generate.

Every ``Function`` subclass defined in ``nn`` has a line (``COVERED_BY`` names it, and
``tests/autograd/test_op_gradients.py`` fails for a Function without one), reached through the
public function that uses it, and checked at first and second order. Needs hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from autograd.op_table import OpCase, case
from autograd.testing import broadcastable_shapes, elements, shapes

from . import functional as F
from . import op_table_activations, op_table_conv

__all__ = ["CASES", "COVERED_BY"]

# --- domains and arguments ---------------------------------------------------------------------

PROBABILITY = elements(0.05, 0.95)  # binary cross-entropy: log p and log(1 - p) stay well conditioned
TARGET = elements(0.0, 1.0)
SAME_PAIR = shapes().map(lambda s: (s, s))  # an input and a target of its shape
LOGITS = shapes(min_dims=2, max_dims=2, max_side=4)  # (N, C)
IGNORED = -100


@st.composite
def rnn_cell_shapes(draw):
    """input (N, I), hx (N, H), W_ih (H, I), W_hh (H, H), b_ih and b_hh (H,)."""
    n, i, h = (draw(st.integers(1, 3)) for _ in range(3))
    return (n, i), (n, h), (h, i), (h, h), (h,), (h,)


@st.composite
def attention_shapes(draw):
    """query (..., L, E), key (..., S, E), value (..., S, Ev), the leading dims broadcasting."""
    lead_q, lead_k, lead_v = draw(broadcastable_shapes(3, max_dims=2, max_side=2))
    length, source, features, out = (draw(st.integers(1, 3)) for _ in range(4))
    return lead_q + (length, features), lead_k + (source, features), lead_v + (source, out)


def attention_kwargs(query, key, value):
    """A bool or float mask of (L, S) with a scale, or is_causal alone."""
    pairs = (query[-2], key[-2])
    mask = st.one_of(st.none(), hnp.arrays(bool, pairs), hnp.arrays(np.float64, pairs, elements=elements(-2.0, 2.0)))
    with_mask = st.fixed_dictionaries({"attn_mask": mask, "scale": st.sampled_from([None, 0.7])})
    return st.one_of(with_mask, st.just({"is_causal": True}))


def class_targets(shape, ignore=False):
    """Class indices for logits of ``shape`` (N, C); with ``ignore``, some equal to ``IGNORED``
    but never all (the mean over no targets is nan)."""
    n, c = shape
    values = st.sampled_from([IGNORED, *range(c)]) if ignore else st.integers(0, c - 1)
    return hnp.arrays(np.int64, (n,), elements=values).filter(lambda t: (t != IGNORED).any())


def ce_kwargs(shape):
    return {"target": class_targets(shape, ignore=True), "reduction": st.sampled_from(["mean", "sum"])}


# --- NumPy references --------------------------------------------------------------------------

np_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_bce(p, y):
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def np_cross_entropy(x, target, reduction):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    kept = target != IGNORED
    picked = -log_probs[np.arange(len(target)), np.where(kept, target, 0)] * kept
    return picked.sum() / (kept.sum() if reduction == "mean" else 1)


def np_attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    scores = q @ np.swapaxes(k, -1, -2) * (1.0 / math.sqrt(q.shape[-1]) if scale is None else scale)
    allowed = np.tril(np.ones(scores.shape[-2:], dtype=bool)) if is_causal else None
    if attn_mask is not None and attn_mask.dtype == bool:
        allowed = attn_mask
    elif attn_mask is not None:
        scores = scores + attn_mask
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isneginf(top), 0.0, top))  # a query with every key masked: all 0
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0) @ v


_NP_REDUCTIONS: dict[str, Callable[..., Any]] = {"mean": np.mean, "sum": np.sum, "none": np.asarray}


def np_reduce(loss, reduction):
    return _NP_REDUCTIONS[reduction](loss)


# --- the table: one line per op ----------------------------------------------------------------

CASES: list[OpCase] = [
    case("gelu", F.gelu, lambda x: x * 0.5 * (1.0 + np_erf(x / math.sqrt(2.0)))),
    case("softplus", F.softplus, lambda x: np.logaddexp(0.0, x)),
    case("softplus_beta", lambda x, beta: F.softplus(x, beta), lambda x, beta: np.logaddexp(0.0, beta * x) / beta,
         kwargs={"beta": st.sampled_from([0.5, 2.0])}),
    case("binary_cross_entropy", lambda p, y: F.binary_cross_entropy(p, y, reduction="none"), np_bce,
         shapes=SAME_PAIR, elements=[PROBABILITY, TARGET]),
    case("binary_cross_entropy_weighted",
         lambda p, y, w, reduction: F.binary_cross_entropy(p, y, w, reduction=reduction),
         lambda p, y, w, reduction: np_reduce(np_bce(p, y) * w, reduction),
         shapes=shapes().map(lambda s: (s, s, s)), elements=[PROBABILITY, TARGET, elements(0.1, 2.0)],
         kwargs={"reduction": st.sampled_from(["mean", "sum", "none"])}),
    case("binary_cross_entropy_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
         lambda x, y: np.sum((1 - y) * x + np.logaddexp(0.0, -x)), shapes=SAME_PAIR, elements=[elements(), TARGET]),
    case("cross_entropy", lambda x, target, reduction: F.cross_entropy(x, target, reduction=reduction),
         np_cross_entropy, shapes=LOGITS, kwargs=ce_kwargs),
    case("scaled_dot_product_attention", F.scaled_dot_product_attention, np_attention, shapes=attention_shapes(),
         kwargs=attention_kwargs),
    case("rnn_tanh_cell", F.rnn_tanh_cell,
         lambda x, h, w_ih, w_hh, b_ih, b_hh: np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), shapes=rnn_cell_shapes()),
]

# The case that exercises each Function subclass of nn (found by tests/autograd/test_op_gradients.py).
COVERED_BY = {
    "BinaryCrossEntropy": "binary_cross_entropy", "ElmanTanh": "rnn_tanh_cell",
    "SoftmaxCrossEntropy": "cross_entropy", "Softplus": "softplus",
}

# Convolution, pooling, padding and resizing have a table of their own (nn/op_table_conv.py).
CASES += op_table_conv.CASES
COVERED_BY.update(op_table_conv.COVERED_BY)

# The activations have a table of their own (nn/op_table_activations.py).
CASES += op_table_activations.CASES
