"""``MultiheadAttention`` and the Transformer built from it, as in ``torch.nn``: the encoder and
decoder layers, their stacks, and ``Transformer`` itself.

Every module has torch's constructor arguments and parameter names (``self_attn.in_proj_weight``,
``linear1.weight``, ``norm1.bias``, ``encoder.layers.0....``), so a torch state_dict loads. The
attention itself is ``multi_head_attention_forward`` (``nn/attention.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from . import init
from .attention import multi_head_attention_forward
from .containers import ModuleList
from .dropout import Dropout
from .errors import DomainError, ShapeError
from .linear import Linear
from .module import Module, Parameter, factory_dtype
from .normalization import LayerNorm

Activation = str | Callable[[Tensor], Tensor]


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads, each on embed_dim / num_heads features of the projected
    query, key and value, followed by an output projection.

    The parameters have torch's names and shapes: ``in_proj_weight`` (3 embed_dim, embed_dim)
    holds the query, key and value projections one after another, or, when ``kdim`` or ``vdim``
    differ from ``embed_dim``, ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and
    ``v_proj_weight`` (E, vdim) do; ``in_proj_bias`` (3 E); ``out_proj.weight``/``out_proj.bias``;
    with ``add_bias_kv``, ``bias_k``/``bias_v`` (1, 1, E), a learned key and value appended to
    every sequence. ``add_zero_attn`` appends a key and value of zeros after the heads are
    split. Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).
    ``dropout`` drops attention weights in training.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        owner = "MultiheadAttention"
        for name, n in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim), ("vdim", vdim)):
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n <= 0):
                raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{owner}: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        dtype = factory_dtype(owner, device, dtype)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = F._check_probability(dropout, owner, "dropout")
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(ag.zeros(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(ag.zeros(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(ag.zeros(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(ag.zeros(embed_dim, self.vdim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(ag.zeros(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(ag.zeros(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(ag.zeros(1, 1, embed_dim, dtype=dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # As torch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v; the output
        # projection keeps Linear's initialisation except for its bias.
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attention output shaped like the query, attention weights or None).

        ``key_padding_mask`` (N, S), or (S,) unbatched, marks keys to ignore: True (bool), or a
        float added to their scores. ``attn_mask`` (L, S), or (N * num_heads, L, S), masks
        (query, key) pairs the same way: True means "may not attend", the opposite of
        ``scaled_dot_product_attention``. ``is_causal`` is torch's hint that ``attn_mask`` is the
        causal mask, which must be given too. The weights are (N, L, S) averaged over the heads,
        or (N, num_heads, L, S) without ``average_attn_weights``. A query whose keys are all
        masked gets an output of ``out_proj.bias`` and weights of 0 (torch gives nan when it
        computes the weights).
        """
        if self.batch_first and query.ndim == 3:  # the function takes sequence first
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        if self.batch_first and query.ndim == 3:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        dims = "".join(f", {name}={getattr(self, name)}" for name in ("kdim", "vdim")
                       if getattr(self, name) != self.embed_dim)
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}{dims}, "
                f"batch_first={self.batch_first}")


def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """The causal mask for a sequence of length ``sz``: 0 where query i may attend to key j (j <= i),
    -inf above the diagonal, as a float tensor to add to attention scores."""
    if isinstance(sz, bool) or not isinstance(sz, int) or sz < 0:
        raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative int, got {sz!r}")
    upper = np.triu(np.ones((sz, sz), dtype=bool), 1)
    return ag.tensor(np.where(upper, -np.inf, 0.0), dtype=factory_dtype("generate_square_subsequent_mask",
                                                                         device, dtype))


def _detect_is_causal(mask: Any, is_causal: bool | None, size: int) -> bool:
    """torch's reading of ``is_causal=None`` on a stack: True when the mask is exactly the float
    causal mask of the sequence's length, so that the layers may use the causal hint."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    values = mask.detach().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    return values.shape == (size, size) and bool(np.array_equal(values, np.triu(np.full((size, size), -np.inf), 1)))


def _activation(activation: Activation, owner: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if isinstance(activation, str) or not callable(activation):
        raise DomainError(f"{owner}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return activation


class _TransformerLayer(Module):
    """What both layers share: their constructor, the feed-forward block (linear1, activation,
    dropout, linear2) and the order of normalisation (``norm_first``: pre-norm, else post-norm
    as in the original Transformer). Each sublayer's output goes through its own dropout
    (dropout1, ...) before the residual add."""

    _sublayers_count: int  # 2 for the encoder layer, 3 for the decoder layer (attention to memory)

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        dtype = factory_dtype(owner, device, dtype)
        attention = {"dropout": dropout, "bias": bias, "batch_first": batch_first, "dtype": dtype}
        # Registered in torch's order, which is the order of state_dict and parameters().
        self.self_attn = MultiheadAttention(d_model, nhead, **attention)
        if self._sublayers_count == 3:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        count = range(1, self._sublayers_count + 1)
        for i in count:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for i in count:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation, owner)

    def _sublayers(self, x: Tensor, blocks: list[Callable[[Tensor], Tensor]]) -> Tensor:
        """x through each block in turn, each with its residual connection and its norm
        (``norm1`` for the first block, ...), before (``norm_first``) or after the add."""
        norms = [self.norm1, self.norm2, getattr(self, "norm3", None)]
        for block, norm in zip(blocks, norms):
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x

    def _attention_block(self, attention: MultiheadAttention, dropout: Dropout, x: Tensor, source: Tensor,
                         mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        out = attention(x, source, source, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=False,
                        is_causal=is_causal)[0]
        return dropout(out)

    def _feed_forward(self, x: Tensor, dropout: Dropout) -> Tensor:
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward network, each with a residual connection and a LayerNorm.

    Post-norm (default): x = norm1(x + sa(x)); x = norm2(x + ff(x)). With ``norm_first``:
    x = x + sa(norm1(x)); x = x + ff(norm2(x)). ``activation`` is "relu", "gelu" or a callable.
    Inputs are (S, N, d_model), or (N, S, d_model) with ``batch_first``, or unbatched (S, d_model).
    """

    _sublayers_count = 2

    def forward(self, src: Tensor, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """The layer on ``src``; the masks are ``MultiheadAttention``'s ``attn_mask`` and ``key_padding_mask``."""
        return self._sublayers(src, [
            lambda x: self._attention_block(self.self_attn, self.dropout1, x, x, src_mask, src_key_padding_mask,
                                            is_causal),
            lambda x: self._feed_forward(x, self.dropout2),
        ])


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention on the target, attention to the encoder's output (``memory``), then a
    feed-forward network; each with a residual connection and a LayerNorm (norm1, norm2, norm3),
    after the add, or before the block with ``norm_first``. Arguments as ``TransformerEncoderLayer``."""

    _sublayers_count = 3

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The layer on ``tgt``, attending to ``memory``; ``tgt_*`` masks go to the self-attention,
        ``memory_*`` masks to the attention over the memory."""
        return self._sublayers(tgt, [
            lambda x: self._attention_block(self.self_attn, self.dropout1, x, x, tgt_mask, tgt_key_padding_mask,
                                            tgt_is_causal),
            lambda x: self._attention_block(self.multihead_attn, self.dropout2, x, memory, memory_mask,
                                            memory_key_padding_mask, memory_is_causal),
            lambda x: self._feed_forward(x, self.dropout3),
        ])


def _clones(layer: Module, num_layers: int, owner: str) -> ModuleList:
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
        raise ValueError(f"{owner}: num_layers must be a non-negative int, got {num_layers!r}")
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: expected a layer (a Module) to copy, got {type(layer).__name__}")
    return ModuleList(copy.deepcopy(layer) for _ in range(num_layers))


def _stack_is_causal(layers: ModuleList, x: Tensor, mask: Any, is_causal: bool | None) -> bool:
    """The causal hint for a stack's layers: as given, or read from ``mask`` when None."""
    first = layers[0] if len(layers) else None
    batch_first = getattr(getattr(first, "self_attn", None), "batch_first", False)
    length = x.shape[1] if batch_first and x.ndim == 3 else x.shape[0]
    return _detect_is_causal(mask, is_causal, length)


class TransformerEncoder(Module):
    """``num_layers`` independent copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...) applied
    in turn, then ``norm`` if given. ``enable_nested_tensor`` and ``mask_check`` are torch's
    speed options and change nothing here (torch's nested fast path also zeroes the outputs at
    padded positions; these keep their computed values)."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        """The stack on ``src``; ``is_causal=None`` checks whether ``mask`` is the causal mask."""
        is_causal = _stack_is_causal(self.layers, src, mask, is_causal)
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return out if self.norm is None else self.norm(out)


class TransformerDecoder(Module):
    """``num_layers`` independent copies of ``decoder_layer`` applied in turn to the target, each
    attending to the same ``memory``, then ``norm`` if given."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The stack on ``tgt``; ``tgt_is_causal=None`` checks whether ``tgt_mask`` is the causal mask."""
        tgt_is_causal = _stack_is_causal(self.layers, tgt, tgt_mask, tgt_is_causal)
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need": ``encoder`` (a
    TransformerEncoder of ``num_encoder_layers`` layers and a final LayerNorm) reads ``src``,
    ``decoder`` (num_decoder_layers layers and a LayerNorm) reads ``tgt`` and attends to the
    encoder's output. Every parameter with more than one dim starts Xavier-uniform, as in torch.
    ``custom_encoder``/``custom_decoder`` replace the stacks. There is no embedding and no
    output projection: inputs and outputs have ``d_model`` features.
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        dtype = factory_dtype("Transformer", device, dtype)
        layer = {"dim_feedforward": dim_feedforward, "dropout": dropout, "activation": activation,
                 "layer_norm_eps": layer_norm_eps, "batch_first": batch_first, "norm_first": norm_first,
                 "bias": bias, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **layer), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **layer), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The decoder's output for ``tgt`` given the encoding of ``src``: (T, N, d_model), or
        (N, T, d_model) with ``batch_first``. ``tgt_mask`` is usually
        ``generate_square_subsequent_mask(T)``, so that position t sees only targets up to t."""
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise ShapeError(f"Transformer: src and tgt must have the same batch size (dim {batch_dim}, "
                             f"batch_first={self.batch_first}), got shapes {src.shape} and {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ShapeError(f"Transformer: src and tgt must have d_model = {self.d_model} features in their last "
                             f"dim, got shapes {src.shape} and {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)


__all__ = [
    "MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer", "generate_square_subsequent_mask",
]
