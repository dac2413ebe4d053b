"""The Transformer layers: TransformerEncoderLayer, TransformerDecoderLayer, their stacks and
Transformer. Their wiring against the equations written out here from their own sublayers,
torch's parameter names, masks (a causal target sees no later position, padded memory is
ignored), dropout only in training, gradients (finite differences), and torch itself when it
is installed (its state_dict loaded, outputs compared in evaluation mode)."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def val(t):
    return t.detach().numpy()


def dtensor(a, requires_grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def randomize(module, rng):
    with ag.no_grad():
        for p in module.parameters():
            p.copy_(rng.standard_normal(p.shape) * 0.5)
    return module


def encoder_layer(**options):
    return nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dtype=ag.float64, **options)


def decoder_layer(**options):
    return nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dtype=ag.float64, **options)


# --- the layers' equations ----------------------------------------------------------------------------


def feed_forward(layer, x, activation=F.relu):
    return layer.linear2(activation(layer.linear1(x)))


def self_attention(attn, x, mask=None, padding=None):
    return attn(x, x, x, attn_mask=mask, key_padding_mask=padding)[0]


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_is_post_norm_by_default(rng, activation):
    layer = randomize(encoder_layer(activation=activation), rng).eval()
    x = dtensor(rng.standard_normal((3, 2, 4)))
    act = F.relu if activation == "relu" else F.gelu
    h = layer.norm1(x + self_attention(layer.self_attn, x))
    expected = layer.norm2(h + feed_forward(layer, h, act))
    np.testing.assert_allclose(val(layer(x)), val(expected), rtol=1e-13)


def test_encoder_layer_norm_first_normalises_before_each_block(rng):
    layer = randomize(encoder_layer(norm_first=True, activation=ag.tanh), rng).eval()
    x = dtensor(rng.standard_normal((3, 2, 4)))
    padding = np.array([[False, False, True], [False, True, False]])
    h = x + self_attention(layer.self_attn, layer.norm1(x), padding=padding)
    expected = h + feed_forward(layer, layer.norm2(h), ag.tanh)
    np.testing.assert_allclose(val(layer(x, src_key_padding_mask=padding)), val(expected), rtol=1e-13)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_attends_to_itself_then_to_memory(rng, norm_first):
    layer = randomize(decoder_layer(norm_first=norm_first), rng).eval()
    tgt, memory = dtensor(rng.standard_normal((3, 2, 4))), dtensor(rng.standard_normal((5, 2, 4)))
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64)
    blocks = [lambda x: self_attention(layer.self_attn, x, causal),
              lambda x: layer.multihead_attn(x, memory, memory)[0],
              lambda x: feed_forward(layer, x)]
    x = tgt
    for block, norm in zip(blocks, (layer.norm1, layer.norm2, layer.norm3)):
        x = x + block(norm(x)) if norm_first else norm(x + block(x))
    np.testing.assert_allclose(val(layer(tgt, memory, tgt_mask=causal)), val(x), rtol=1e-13)


def test_layer_parameters_have_torchs_names(rng):
    assert list(encoder_layer().state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
        "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
    ]
    names = list(decoder_layer(bias=False).state_dict())
    assert names == ["self_attn.in_proj_weight", "self_attn.out_proj.weight", "multihead_attn.in_proj_weight",
                     "multihead_attn.out_proj.weight", "linear1.weight", "linear2.weight", "norm1.weight",
                     "norm2.weight", "norm3.weight"]
    assert encoder_layer(layer_norm_eps=1e-3).norm2.eps == 1e-3
    assert encoder_layer(batch_first=True).self_attn.batch_first


def test_activation_module_is_a_submodule_and_a_bad_name_is_refused():
    layer = nn.TransformerEncoderLayer(4, 2, activation=nn.GELU())
    assert isinstance(dict(layer.named_children())["activation"], nn.GELU)
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable, got 'swish'"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")


def test_dropout_only_in_training(rng):
    layer = encoder_layer(dropout=0.5)
    x = dtensor(rng.standard_normal((3, 2, 4)))
    assert not np.allclose(val(layer(x)), val(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(val(layer(x)), val(layer(x)))


# --- stacks ------------------------------------------------------------------------------------------


def test_encoder_stacks_independent_copies_then_norm(rng):
    template = randomize(encoder_layer(), rng)
    stack = nn.TransformerEncoder(template, 2, norm=nn.LayerNorm(4, dtype=ag.float64)).eval()
    assert len(stack.layers) == 2 and stack.num_layers == 2
    first, second = stack.layers
    assert first is not template and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(val(first.linear1.weight), val(template.linear1.weight))
    with ag.no_grad():
        second.linear1.weight.mul_(2.0)
    assert not np.array_equal(val(first.linear1.weight), val(second.linear1.weight))
    assert "layers.1.self_attn.in_proj_weight" in stack.state_dict() and "norm.weight" in stack.state_dict()
    x = dtensor(rng.standard_normal((3, 2, 4)))
    np.testing.assert_allclose(val(stack(x)), val(stack.norm(second(first(x)))), rtol=1e-13)


def test_decoder_stack_passes_memory_to_every_layer(rng):
    stack = nn.TransformerDecoder(randomize(decoder_layer(), rng), 2).eval()
    tgt, memory = dtensor(rng.standard_normal((3, 2, 4))), dtensor(rng.standard_normal((5, 2, 4)))
    padding = np.array([[False] * 4 + [True], [False] * 5])
    expected = stack.layers[1](stack.layers[0](tgt, memory, memory_key_padding_mask=padding), memory,
                               memory_key_padding_mask=padding)
    np.testing.assert_allclose(val(stack(tgt, memory, memory_key_padding_mask=padding)), val(expected), rtol=1e-13)


def test_causal_mask_hides_later_positions(rng):
    stack = nn.TransformerEncoder(randomize(encoder_layer(batch_first=True), rng), 2).eval()
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=ag.float64)
    x = rng.standard_normal((1, 4, 4))
    later = x.copy()
    later[:, 2:] += 5.0
    out, out_later = (val(stack(dtensor(a), mask=mask)) for a in (x, later))
    np.testing.assert_allclose(out_later[:, :2], out[:, :2], rtol=1e-13)
    assert not np.allclose(out_later[:, 2:], out[:, 2:])
    # the same mask given as bool (True = may not attend) and with the hint
    blocked = np.triu(np.ones((4, 4), dtype=bool), 1)
    np.testing.assert_allclose(val(stack(dtensor(x), mask=blocked, is_causal=True)), out, rtol=1e-13)


def test_padded_memory_is_ignored(rng):
    layer = randomize(decoder_layer(), rng).eval()
    tgt, memory = rng.standard_normal((3, 1, 4)), rng.standard_normal((5, 1, 4))
    padding = np.array([[False, False, False, True, True]])
    changed = memory.copy()
    changed[3:] = -7.0
    out, out_changed = (val(layer(dtensor(tgt), dtensor(m), memory_key_padding_mask=padding))
                        for m in (memory, changed))
    np.testing.assert_allclose(out_changed, out, rtol=1e-13)


def test_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(val(mask), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert mask.dtype == np.float32
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=ag.float64).dtype == np.float64


# --- Transformer ---------------------------------------------------------------------------------------


def test_transformer_names_initialisation_and_shapes(rng):
    ag.manual_seed(0)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)
    names = list(model.state_dict())
    assert names[:2] == ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.self_attn.in_proj_bias"]
    assert {"encoder.layers.1.norm2.bias", "encoder.norm.weight", "decoder.layers.0.multihead_attn.out_proj.weight",
            "decoder.layers.0.norm3.weight", "decoder.norm.bias"} <= set(names)
    assert not any(n.startswith("decoder.layers.1") for n in names)
    for name, p in model.named_parameters():  # Xavier-uniform for every matrix
        if p.ndim > 1:
            assert np.abs(val(p)).max() <= math.sqrt(6 / sum(p.shape)), name
    model.eval()
    out = model(ag.randn(5, 3, 8), ag.randn(4, 3, 8), tgt_mask=model.generate_square_subsequent_mask(4))
    assert out.shape == (4, 3, 8)
    first = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)
    assert first(ag.randn(3, 5, 8), ag.randn(3, 4, 8)).shape == (3, 4, 8)
    assert first(ag.randn(5, 8), ag.randn(4, 8)).shape == (4, 8)  # unbatched


def test_transformer_custom_stacks(rng):
    encoder = nn.TransformerEncoder(encoder_layer(), 1)
    decoder = nn.TransformerDecoder(decoder_layer(), 1)
    model = nn.Transformer(4, 2, custom_encoder=encoder, custom_decoder=decoder)
    assert model.encoder is encoder and model.decoder is decoder and encoder.norm is None
    model.eval()
    src, tgt = dtensor(rng.standard_normal((5, 2, 4))), dtensor(rng.standard_normal((3, 2, 4)))
    np.testing.assert_allclose(val(model(src, tgt)), val(decoder(tgt, encoder(src))), rtol=1e-13)


def test_transformer_target_sees_only_earlier_targets(rng):
    model = randomize(nn.Transformer(4, 2, 1, 2, 6, dtype=ag.float64), rng).eval()
    src, tgt = rng.standard_normal((5, 1, 4)), rng.standard_normal((3, 1, 4))
    mask = model.generate_square_subsequent_mask(3, dtype=ag.float64)
    changed = tgt.copy()
    changed[2] += 3.0
    out, out_changed = (val(model(dtensor(src), dtensor(t), tgt_mask=mask)) for t in (tgt, changed))
    np.testing.assert_allclose(out_changed[:2], out[:2], rtol=1e-13)


def test_transformer_bad_input_names_shapes():
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match=r"same batch size \(dim 1.*\(5, 3, 8\) and \(4, 2, 8\)"):
        model(ag.randn(5, 3, 8), ag.randn(4, 2, 8))
    with pytest.raises(RuntimeError, match=r"d_model = 8 features.*\(5, 3, 6\) and \(4, 3, 8\)"):
        model(ag.randn(5, 3, 6), ag.randn(4, 3, 8))
    with pytest.raises(ValueError, match="num_layers must be a non-negative int, got -1"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), -1)
    with pytest.raises(TypeError, match="expected a layer"):
        nn.TransformerDecoder("layer", 2)
    with pytest.raises(ValueError, match="sz must be a non-negative int"):
        nn.Transformer.generate_square_subsequent_mask(2.5)


def test_every_parameter_receives_a_gradient(rng):
    model = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0)
    out = model(ag.randn(5, 2, 4), ag.randn(3, 2, 4), tgt_mask=model.generate_square_subsequent_mask(3))
    out.square().sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not np.any(p.grad.numpy())]
    assert missing == []


def test_layer_gradients_first_and_second_order(rng):
    layer = randomize(nn.TransformerEncoderLayer(2, 1, dim_feedforward=2, dropout=0.0, dtype=ag.float64,
                                                 activation="gelu"), rng)
    x = dtensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    fn = lambda x, *params: layer(x)
    assert ag.gradcheck(fn, [x, *layer.parameters()])
    assert ag.gradgradcheck(fn, [x])
    decoder = randomize(nn.TransformerDecoderLayer(2, 1, dim_feedforward=2, dropout=0.0, dtype=ag.float64,
                                                   norm_first=True), rng)
    memory = dtensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    fn = lambda x, m, *params: decoder(x, m)
    assert ag.gradcheck(fn, [x, memory, *decoder.parameters()])


# --- against torch ------------------------------------------------------------------------------------

# torch warns that its inference fast path is off for some of these options.
quiet_fast_path_warning = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
TORCH_OPTIONS = [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}, {"bias": False}]


def torch_pair(torch, name, *args, **options):
    """torch's module in float64 and evaluation mode, and ours with its state_dict loaded."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **options).double().eval()
    ours = getattr(nn, name)(*args, dtype=ag.float64, **options).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours


def sequences(rng, batch_first, *lengths, batch=3, features=8):
    return [rng.standard_normal((batch, n, features) if batch_first else (n, batch, features)) for n in lengths]


def compare(torch, ours, theirs, arrays, **masks):
    # Inputs that require grad keep torch off its inference fast path, whose nested tensors
    # return zeros at padded positions.
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = theirs(*t_in, **{k: torch.tensor(m) for k, m in masks.items()}).detach().numpy()
    np.testing.assert_allclose(val(ours(*(dtensor(a) for a in arrays), **masks)), expected, rtol=1e-11, atol=1e-13)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@quiet_fast_path_warning
@pytest.mark.parametrize("options", TORCH_OPTIONS)
def test_encoder_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    theirs, ours = torch_pair(torch, "TransformerEncoderLayer", 8, 2, 16, **options)
    bf = options.get("batch_first", False)
    (x,) = sequences(rng, bf, 4)
    padding = rng.random((3, 4)) > 0.7
    padding[:, 0] = False
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    compare(torch, ours, theirs, [x], src_mask=causal, src_key_padding_mask=padding)
    t_stack = torch.nn.TransformerEncoder(theirs, 2, norm=torch.nn.LayerNorm(8).double()).eval()
    stack = nn.TransformerEncoder(ours, 2, norm=nn.LayerNorm(8, dtype=ag.float64)).eval()
    stack.load_state_dict(t_stack.state_dict())
    compare(torch, stack, t_stack, [x], mask=causal, src_key_padding_mask=padding)


@pytest.mark.parametrize("options", TORCH_OPTIONS)
def test_decoder_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    theirs, ours = torch_pair(torch, "TransformerDecoderLayer", 8, 2, 16, **options)
    bf = options.get("batch_first", False)
    tgt, memory = sequences(rng, bf, 4, 5)
    padding = rng.random((3, 5)) > 0.7
    padding[:, 0] = False
    masks = {"tgt_mask": np.triu(np.ones((4, 4), dtype=bool), 1), "memory_key_padding_mask": padding}
    compare(torch, ours, theirs, [tgt, memory], **masks)
    t_stack = torch.nn.TransformerDecoder(theirs, 2).eval()
    stack = nn.TransformerDecoder(ours, 2).eval()
    stack.load_state_dict(t_stack.state_dict())
    compare(torch, stack, t_stack, [tgt, memory], **masks)


@quiet_fast_path_warning
@pytest.mark.parametrize("options", TORCH_OPTIONS)
def test_transformer_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    theirs, ours = torch_pair(torch, "Transformer", 8, 2, 2, 2, 16, **options)
    src, tgt = sequences(rng, options.get("batch_first", False), 5, 4)
    compare(torch, ours, theirs, [src, tgt], tgt_mask=np.triu(np.full((4, 4), -np.inf), 1))
    # and the other way round: our state_dict into torch's module
    ours_back = nn.Transformer(8, 2, 2, 2, 16, dtype=ag.float64, **options).eval()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours_back.state_dict().items()})
    compare(torch, ours_back, theirs, [src, tgt])
