"""Attention as functions of tensors, as in ``torch.nn.functional``: ``scaled_dot_product_attention``
and ``multi_head_attention_forward`` (the computation of ``nn.MultiheadAttention``, a layer that
lives in ``nn/transformer.py`` because, like every layer, it is built on ``functional``, which
re-exports these two).

Both are composed from matmul, softmax and ``where``, so they are differentiated to any order
with no rule of their own. A mask reaches the scores in one of two forms: a boolean array of
the (query, key) pairs that may attend, a constant applied with ``where`` (masked scores
become -inf), or a float tensor added to the scores, which may itself require grad (a learned
position bias). torch's two entry points read a bool mask in opposite ways:
``scaled_dot_product_attention`` attends where it is True, ``multi_head_attention_forward``
masks out where it is True. Both are translated to the first form here.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .errors import DomainError, DtypeError, ShapeError

# (pairs that may attend as a bool array or None, a float tensor added to the scores or None)
MaskParts = tuple[Any, Any]


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query key^T * scale + mask) value: query (..., L, E), key (..., S, E) and value
    (..., S, Ev) give (..., L, Ev); the leading dims broadcast.

    ``attn_mask`` broadcasts to (..., L, S): a bool mask is True where a query may attend to a
    key, a float mask is added to the scores. ``is_causal`` lets query i attend to keys 0..i
    (aligned at the top left when L != S) and excludes ``attn_mask``. ``scale`` defaults to
    1/sqrt(E). Attention weights are dropped with probability ``dropout_p`` whenever it is
    positive (the function has no training flag; pass 0.0 to evaluate). ``enable_gqa`` lets
    each of key's and value's Hk heads (dim -3) serve Hq/Hk consecutive query heads.

    A query whose keys are all masked attends to nothing: its output row is 0, as in torch.
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype.kind != "f":
            raise DtypeError(f"{op}: {name} must be floating point, got dtype {t.dtype}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(
            f"{op}: query, key and value need at least 2 dims (..., length, features), got shapes "
            f"{query.shape}, {key.shape} and {value.shape}"
        )
    dropout_p = _check_dropout(dropout_p, op)
    if enable_gqa:
        key, value = _share_heads(query, key, "key", op), _share_heads(query, value, "value", op)
    scores_shape = _scores_shape(query, key, value, op)
    if is_causal:
        if attn_mask is not None:
            raise DomainError(f"{op}: give either attn_mask or is_causal=True, not both (is_causal makes the mask)")
        parts: MaskParts = (_causal(query.shape[-2], key.shape[-2]), None)
    elif attn_mask is None:
        parts = (None, None)
    else:
        parts = _mask_parts(attn_mask, True, op, "attn_mask")
        mask_shape = tuple(np.shape(parts[0] if parts[1] is None else parts[1]))
        if _broadcast(mask_shape, scores_shape) != scores_shape:
            raise ShapeError(
                f"{op}: attn_mask of shape {mask_shape} does not broadcast to the scores' shape {scores_shape} "
                f"(query {query.shape}, key {key.shape})"
            )
    out, _ = _attend(query, key, value, parts, dropout_p, scale)
    return out


def _attend(query: Tensor, key: Tensor, value: Tensor, mask: MaskParts, dropout_p: float,
            scale: float | None) -> tuple[Tensor, Tensor]:
    """The attention output and its weights, for shapes and masks already checked."""
    allowed, bias = mask
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias.to(scores.dtype)
    if allowed is not None:
        scores = ag.where(allowed, scores, -math.inf)
    weights = _softmax_of_attended(scores)
    if dropout_p == 1.0:
        weights = weights * 0.0
    elif dropout_p > 0.0:
        # The weights' own values are not read, only their shape and dtype.
        keep = ag.bernoulli(weights.detach(), 1.0 - dropout_p)
        weights = weights * (keep * (1.0 / (1.0 - dropout_p)))
    return weights @ value, weights


def _softmax_of_attended(scores: Tensor) -> Tensor:
    """softmax over the keys; 0 for a query that has no key left to attend to."""
    # NOTE: a row of scores that are all -inf gives nan after softmax, and that nan would reach
    # every gradient through the matmuls. Such rows are replaced by 0 before the softmax (a
    # constant, so no gradient flows into them) and their weights by 0 after, as torch's
    # scaled_dot_product_attention does.
    dead = np.all(np.isneginf(scores.detach().numpy()), axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    return ag.where(dead, 0.0, ag.where(dead, 0.0, scores).softmax(-1))


def _check_dropout(p: Any, op: str) -> float:
    # The stubs give numbers.Real no __ge__, which 0.0 <= p falls back to at run time (a Fraction has one).
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:  # type: ignore[operator]
        raise DomainError(f"{op}: dropout probability must be a number in [0, 1], got {p!r}")
    return float(p)


def _share_heads(query: Tensor, kv: Tensor, name: str, op: str) -> Tensor:
    """Key or value with each of its heads repeated for the query heads it serves (grouped-query attention)."""
    if query.ndim < 3 or kv.ndim < 3:
        raise ShapeError(f"{op}: enable_gqa needs a heads dim (-3) in query and {name}, got shapes "
                         f"{query.shape} and {kv.shape}")
    heads, groups = query.shape[-3], kv.shape[-3]
    if heads % groups:
        raise ShapeError(f"{op}: {name}'s {groups} heads must divide query's {heads} heads (enable_gqa), got shapes "
                         f"query {query.shape} and {name} {kv.shape}")
    if heads == groups:
        return kv
    return kv[..., np.repeat(np.arange(groups), heads // groups), :, :]


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _scores_shape(query: Tensor, key: Tensor, value: Tensor, op: str) -> tuple[int, ...]:
    """(..., L, S), after checking that the three shapes fit together."""
    if key.shape[-1] != query.shape[-1]:
        raise ShapeError(f"{op}: query and key must have the same number of features (last dim), got shapes "
                         f"query {query.shape} and key {key.shape}")
    if value.shape[-2] != key.shape[-2]:
        raise ShapeError(f"{op}: key and value must have the same length (dim -2), got shapes key {key.shape} "
                         f"and value {value.shape}")
    lead = _broadcast(query.shape[:-2], key.shape[:-2])
    lead = None if lead is None else _broadcast(lead, value.shape[:-2])
    if lead is None:
        raise ShapeError(f"{op}: the leading (batch) dims of query {query.shape}, key {key.shape} and value "
                         f"{value.shape} do not broadcast")
    return (*lead, query.shape[-2], key.shape[-2])


def _causal(length: int, source: int) -> np.ndarray:
    """Query i may attend to keys 0..i."""
    return np.tril(np.ones((length, source), dtype=bool))


def _mask_parts(mask: Any, attend: bool, op: str, name: str) -> MaskParts:
    """A mask as (allowed, bias): a bool mask gives the pairs allowed (``attend`` is the value
    that means "may attend"), a float mask is added to the scores as it is."""
    values = mask.detach().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if values.dtype == np.bool_:
        return (values if attend else ~values), None
    if values.dtype.kind == "f":
        return None, (mask if isinstance(mask, Tensor) else ag.tensor(values))
    raise DtypeError(f"{op}: {name} must be bool or floating point, got dtype {values.dtype}")


def _reshaped(mask: MaskParts, shape: tuple[int, ...]) -> MaskParts:
    return tuple(part if part is None else part.reshape(shape) for part in mask)  # type: ignore[return-value]


def _merge(a: MaskParts, b: MaskParts) -> MaskParts:
    """Both masks at once: pairs allowed by both, and the sum of the biases."""
    allowed = a[0] if b[0] is None else b[0] if a[0] is None else a[0] & b[0]
    bias = a[1] if b[1] is None else b[1] if a[1] is None else a[1] + b[1]
    return allowed, bias


def _allow_more_keys(mask: MaskParts, extra: int) -> MaskParts:
    """The mask for ``extra`` more keys appended at the end, which every query may attend to."""
    allowed, bias = mask
    if allowed is not None:
        allowed = np.concatenate([allowed, np.ones((*allowed.shape[:-1], extra), dtype=bool)], -1)
    if bias is not None:
        bias = ag.cat([bias, ag.zeros(*bias.shape[:-1], extra, dtype=bias.dtype)], -1)
    return allowed, bias


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Any = None,
    need_weights: bool = True,
    attn_mask: Any = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """``MultiheadAttention``'s computation given its parameters, as torch's function of this name.

    query (L, N, E), key (S, N, kdim) and value (S, N, vdim), sequence first, or unbatched (L, E),
    (S, kdim), (S, vdim); returns (output (L, N, E) or (L, E), weights or None). The query, key
    and value are projected by the three blocks of rows of ``in_proj_weight`` (3E, E), or by
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` with ``use_separate_proj_weight``;
    ``static_k``/``static_v`` (N * num_heads, S, E / num_heads), when given, replace the
    projected key/value. Dropout of the weights applies when ``training``. The masks, weights
    and ``is_causal`` are described at ``MultiheadAttention.forward``.
    """
    op = "multi_head_attention_forward"
    projections = _projections(in_proj_weight, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                               v_proj_weight, embed_dim_to_check, op)
    batched = _check_mha_inputs(query, key, value, [w.shape[1] for w in projections], op)
    dropout_p = _check_dropout(dropout_p, op)
    if num_heads <= 0 or embed_dim_to_check % num_heads:
        raise ValueError(f"{op}: embed_dim {embed_dim_to_check} is not divisible by num_heads {num_heads}")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{op}: give both bias_k and bias_v or neither")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise ValueError(f"{op}: bias_k and bias_v cannot be appended to a static key and value")
    # From here on batch first: (N, L, E).
    query, key, value = (t.transpose(0, 1) if batched else t.unsqueeze(0) for t in (query, key, value))
    n, length, embed_dim = query.shape
    heads, head_dim = num_heads, embed_dim // num_heads
    biases = (None, None, None) if in_proj_bias is None else _thirds(in_proj_bias, embed_dim)
    q, k, v = (ag.linear(x, w, b) for x, w, b in zip((query, key, value), projections, biases))
    extra = 0  # keys appended after the given ones, which every query may attend to
    if bias_k is not None and bias_v is not None:  # both or neither, as checked above
        k = ag.cat([k, bias_k.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], 1)
        v = ag.cat([v, bias_v.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], 1)
        extra += 1
    q, k, v = (t.reshape(n, t.shape[1], heads, head_dim).transpose(1, 2) for t in (q, k, v))
    k = k if static_k is None else _static(static_k, "static_k", n, heads, head_dim, op)
    v = v if static_v is None else _static(static_v, "static_v", n, heads, head_dim, op)
    source = k.shape[2] - extra
    if add_zero_attn:
        zeros = ag.zeros(n, heads, 1, head_dim, dtype=k.dtype)
        k, v = ag.cat([k, zeros], 2), ag.cat([v, zeros], 2)
        extra += 1
    if is_causal and attn_mask is None:
        raise DomainError(
            f"{op}: is_causal=True is a hint that attn_mask is the causal mask, so attn_mask must be given too "
            "(Transformer.generate_square_subsequent_mask(L) makes one)"
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # torch trusts the hint here and attends causally whatever attn_mask holds.
        mask: MaskParts = (_causal(length, source), None)
    else:
        mask = _mha_masks(attn_mask, key_padding_mask, batched, n, heads, length, source, op)
    if extra:
        mask = _allow_more_keys(mask, extra)
    heads_out, weights = _attend(q, k, v, mask, dropout_p if training else 0.0, None)
    out = ag.linear(heads_out.transpose(1, 2).reshape(n, length, embed_dim), out_proj_weight, out_proj_bias)
    out = out.transpose(0, 1) if batched else out[0]
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(1)
    return out, (weights if batched else weights[0])


def _thirds(t: Tensor, size: int) -> tuple[Tensor, Tensor, Tensor]:
    return t[:size], t[size : 2 * size], t[2 * size :]


def _projections(in_proj_weight: Tensor | None, separate: bool, q_proj_weight: Tensor | None,
                 k_proj_weight: Tensor | None, v_proj_weight: Tensor | None, embed_dim: int,
                 op: str) -> tuple[Tensor, Tensor, Tensor]:
    """The query, key and value projection weights, checked against ``embed_dim``."""
    if not separate:
        if in_proj_weight is None:
            raise ValueError(f"{op}: in_proj_weight is None (pass q/k/v_proj_weight with use_separate_proj_weight)")
        if in_proj_weight.shape != (3 * embed_dim, embed_dim):
            raise ShapeError(f"{op}: in_proj_weight must have shape {(3 * embed_dim, embed_dim)}, got "
                             f"{in_proj_weight.shape}")
        return _thirds(in_proj_weight, embed_dim)
    weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    for name, w in zip(("q_proj_weight", "k_proj_weight", "v_proj_weight"), weights):
        if w is None:
            raise ValueError(f"{op}: use_separate_proj_weight needs {name}, got None")
        if w.ndim != 2 or w.shape[0] != embed_dim:
            raise ShapeError(f"{op}: {name} must have shape ({embed_dim}, features), got {w.shape}")
    return weights  # type: ignore[return-value]


def _check_mha_inputs(query: Tensor, key: Tensor, value: Tensor, features: list[int], op: str) -> bool:
    """Whether the (sequence-first) inputs are batched, after checking their shapes against each
    other and against the projections' input ``features``."""
    if query.ndim not in (2, 3):
        raise ShapeError(f"{op}: query must be batched 3-D or unbatched 2-D, got shape {query.shape}")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeError(f"{op}: query, key and value must have the same number of dims, got shapes "
                         f"{query.shape}, {key.shape} and {value.shape}")
    for name, t, n in zip(("query", "key", "value"), (query, key, value), features):
        if t.shape[-1] != n:
            raise ShapeError(f"{op}: expected {name} with {n} features in its last dim, got shape {t.shape}")
    if key.shape[:-1] != value.shape[:-1]:
        raise ShapeError(f"{op}: key and value must agree in all but their last dim, got shapes {key.shape} "
                         f"and {value.shape}")
    if query.ndim == 3 and query.shape[1] != key.shape[1]:
        raise ShapeError(f"{op}: query and key have different batch sizes: shapes {query.shape} and {key.shape} "
                         "(sequence first: (length, batch, features))")
    return query.ndim == 3


def _static(t: Tensor, name: str, n: int, heads: int, head_dim: int, op: str) -> Tensor:
    """A static key or value (N * heads, S, head_dim) as (N, heads, S, head_dim)."""
    if t.ndim != 3 or t.shape[0] != n * heads or t.shape[2] != head_dim:
        raise ShapeError(f"{op}: {name} must have shape (N * num_heads, S, head_dim) = ({n * heads}, S, {head_dim}), "
                         f"got {t.shape}")
    return t.reshape(n, heads, t.shape[1], head_dim)


def _mha_masks(attn_mask: Any, key_padding_mask: Any, batched: bool, n: int, heads: int, length: int,
               source: int, op: str) -> MaskParts:
    """``attn_mask`` and ``key_padding_mask`` (True = masked out) as one mask, laid out for
    scores of shape (N, heads, L, S)."""
    mask: MaskParts = (None, None)
    if attn_mask is not None:
        shape = tuple(np.shape(attn_mask))
        stacked = (n * heads, length, source) if batched else (heads, length, source)
        if shape not in ((length, source), stacked):
            raise ShapeError(f"{op}: attn_mask must have shape {(length, source)} or {stacked} for query length "
                             f"{length}, key length {source} and {heads} heads, got {shape}")
        target = (length, source) if len(shape) == 2 else (n, heads, length, source)
        mask = _reshaped(_mask_parts(attn_mask, False, op, "attn_mask"), target)
    if key_padding_mask is not None:
        shape = tuple(np.shape(key_padding_mask))
        expected = (n, source) if batched else (source,)
        if shape != expected:
            raise ShapeError(f"{op}: key_padding_mask must have shape {expected} (batch, key length), got {shape}")
        parts = _mask_parts(key_padding_mask, False, op, "key_padding_mask")
        mask = _merge(mask, _reshaped(parts, (n, 1, 1, source)))
    return mask

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]
