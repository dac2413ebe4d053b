"""The module system: registration, naming order, buffers, traversal, modes, state_dict
round trips and loading errors, repr, forward hooks, and the containers."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import Module, Parameter


class Affine(Module):
    """A layer written the way a user would: one parameter per attribute, one buffer."""

    def __init__(self, n):
        super().__init__()
        self.scale = Parameter(ag.ones(n))
        self.shift = Parameter(ag.zeros(n))
        self.register_buffer("calls", ag.zeros(1))
        self.register_buffer("scratch", ag.zeros(n), persistent=False)

    def forward(self, x):
        return x * self.scale + self.shift


class Net(Module):
    def __init__(self):
        super().__init__()
        self.gain = Parameter(ag.ones(1))  # registered after the first child would be, but listed first
        self.body = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), Affine(3))
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.body(x)) * self.gain


@pytest.fixture(autouse=True)
def seeded():
    ag.manual_seed(0)


def val(t):
    return t.detach().numpy()


# --- registration and naming ------------------------------------------------------------------


def test_attributes_register_parameters_modules_and_buffers():
    m = Affine(2)
    assert list(m._parameters) == ["scale", "shift"]
    assert [n for n, _ in m.named_buffers()] == ["calls", "scratch"]
    m.note = "plain"  # anything else is an ordinary attribute
    assert m.note == "plain" and "note" not in m._parameters
    assert m.scale.requires_grad and isinstance(m.scale, Parameter)


def test_named_parameters_own_first_then_children_in_registration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "gain",
        "body.0.weight", "body.0.bias",
        "body.2.scale", "body.2.shift",
        "head.weight", "head.bias",
    ]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["gain"]
    assert next(n for n, _ in net.named_parameters(prefix="model")) == "model.gain"
    assert len(list(net.parameters())) == 7


def test_shared_parameters_and_modules_are_listed_once():
    net = Net()
    net.tied = net.head  # the same module under a second name
    net.body[2].shift = net.body[2].scale  # one parameter under two names
    names = [n for n, _ in net.named_parameters()]
    assert names.count("body.2.scale") == 1 and "body.2.shift" not in names
    assert not any(n.startswith("tied.") for n in names)
    assert len(list(net.parameters())) == len({id(p) for p in net.parameters()}) == 6
    assert [n for n, _ in net.named_modules()].count("tied") == 0


def test_state_dict_keeps_every_name_of_shared_modules_like_torch():
    # torch writes a tied module under each of its names, so its state_dicts map one to one.
    net = Net()
    net.tied = net.head
    keys = list(net.state_dict())
    assert "tied.weight" in keys and "head.weight" in keys
    fresh = Net()
    fresh.tied = fresh.head
    fresh.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(val(fresh.tied.weight), val(net.head.weight))


def test_reassigning_and_deleting_attributes():
    m = Affine(2)
    m.scale = Parameter(ag.full((2,), 3.0))
    np.testing.assert_array_equal(val(m.scale), 3.0)
    assert [n for n, _ in m.named_parameters()] == ["scale", "shift"]  # replaced where it was
    with pytest.raises(TypeError, match=r"Tensor to parameter 'scale'.*Parameter"):
        m.scale = ag.ones(2)
    m.scale = None
    assert m.scale is None and [n for n, _ in m.named_parameters()] == ["shift"]
    m.calls = ag.ones(1)  # a tensor assigned to a buffer name replaces the buffer
    np.testing.assert_array_equal(m.calls.numpy(), 1.0)
    with pytest.raises(TypeError, match=r"buffer 'calls'.*list"):
        m.calls = [1.0]
    del m.shift
    assert "shift" not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="'Affine' object has no attribute 'shift'"):
        m.shift


def test_a_module_can_replace_a_plain_attribute_and_vice_versa_is_refused():
    net = Net()
    net.extra = 5
    net.extra = nn.Linear(1, 1)
    assert "extra" in dict(net.named_children())
    with pytest.raises(TypeError, match="submodule 'extra'"):
        net.extra = 5


def test_registering_over_another_kind_of_attribute_is_refused_like_torch():
    layer = nn.Linear(2, 3)
    weight = layer.weight
    # register_buffer("weight", ...) used to replace the parameter quietly.
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        layer.register_buffer("weight", ag.zeros(1))
    assert layer.weight is weight and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.register_buffer("steps", ag.zeros(1))
    with pytest.raises(KeyError, match="attribute 'steps' already exists"):
        layer.register_parameter("steps", None)
    with pytest.raises(KeyError, match="attribute 'bias' already exists"):
        layer.add_module("bias", nn.Identity())
    layer.note = "a plain attribute"
    with pytest.raises(KeyError, match="attribute 'note' already exists"):
        layer.register_buffer("note", None)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        layer.register_buffer("forward", None)
    # The same kind again is a re-registration, as in torch.
    layer.register_buffer("steps", ag.ones(2))
    layer.register_parameter("weight", Parameter(ag.zeros(3, 2)))
    layer.add_module("inner", nn.Tanh())
    layer.add_module("inner", nn.ReLU())
    assert isinstance(layer.inner, nn.ReLU) and layer.steps.shape == (2,) and layer.weight is not weight


def test_register_methods_validate_their_arguments():
    m = Module()
    with pytest.raises(TypeError, match="Parameter or None, got Tensor"):
        m.register_parameter("w", ag.ones(1))
    with pytest.raises(TypeError, match="Tensor or None, got ndarray"):
        m.register_buffer("b", np.ones(1))
    with pytest.raises(TypeError, match="Module or None, got int"):
        m.add_module("child", 3)
    with pytest.raises(ValueError, match=r"'a\.b'"):
        m.register_parameter("a.b", Parameter(ag.ones(1)))
    with pytest.raises(ValueError, match="''"):
        m.add_module("", nn.Identity())


def test_forgetting_super_init_is_a_clear_error():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(ag.ones(1))

    with pytest.raises(RuntimeError, match=r"Broken.__init__ must call super\(\).__init__\(\)"):
        Broken()


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        Module()(ag.ones(1))


def test_parameter_shares_memory_and_results_are_plain_tensors():
    t = ag.ones(3)
    p = Parameter(t)
    with ag.no_grad():
        p.mul_(2.0)
    np.testing.assert_array_equal(t.numpy(), 2.0)
    assert type(p * 2) is ag.Tensor
    assert not Parameter(ag.ones(1), requires_grad=False).requires_grad
    assert repr(Parameter(ag.tensor([1.0]))).startswith("Parameter containing:\ntensor([1.]")


# --- buffers -----------------------------------------------------------------------------------


def test_buffers_persistent_or_not():
    m = Affine(2)
    assert list(m.state_dict()) == ["scale", "shift", "calls"]  # 'scratch' is not persistent
    assert [n for n, _ in m.named_buffers()] == ["calls", "scratch"]
    assert not any(b.requires_grad for b in m.buffers())
    m.register_buffer("scratch", ag.ones(2))  # registering again makes it persistent
    assert "scratch" in m.state_dict()


def test_double_casts_float_parameters_and_buffers_but_not_integers():
    bn = nn.BatchNorm1d(2)
    same = bn.weight
    assert bn.double() is bn
    assert bn.weight is same and bn.weight.dtype == np.float64 and bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    assert bn.float().weight.dtype == np.float32


# --- traversal ---------------------------------------------------------------------------------


def test_children_modules_and_named_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert list(net.children()) == [net.body, net.head]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "body.2", "head"]
    assert next(iter(net.modules())) is net
    assert net.get_submodule("body.2") is net.body[2]
    with pytest.raises(AttributeError, match="no submodule 'nope'"):
        net.get_submodule("body.nope")


def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="bool"):
        net.train("no")


def test_zero_grad_to_none_or_to_zeros():
    net = Net()
    net(ag.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np.any(p.grad.numpy()) for p in net.parameters())
    assert all(p.grad is g for p, g in zip(net.parameters(), grads))  # zeroed in place, as torch
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_in_place_drops_the_history_of_a_gradient_built_with_create_graph():
    layer = nn.Linear(2, 1)
    layer(ag.ones(3, 2)).square().sum().backward(create_graph=True)
    assert layer.weight.grad.requires_grad
    layer.zero_grad(set_to_none=False)
    assert not layer.weight.grad.requires_grad and not np.any(layer.weight.grad.numpy())


def test_apply_visits_children_before_their_parent_like_torch():
    net = Net()
    order = []
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    # torch's apply is post-order: each child's subtree, then the module itself.
    assert order == ["Linear", "Tanh", "Affine", "Sequential", "Linear", "Net"]


def test_apply_to_reinitialise_linear_layers():
    net = Net()

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(init_linear)
    assert not np.any(val(net.head.weight)) and not np.any(val(net.body[0].weight))


def test_requires_grad_freezes_parameters():
    net = Net()
    net.body.requires_grad_(False)
    assert not any(p.requires_grad for p in net.body.parameters())
    assert net.head.weight.requires_grad


def test_deepcopy_gives_an_independent_module():
    net = Net()
    twin = copy.deepcopy(net)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    with ag.no_grad():
        twin.head.weight.add_(1.0)
    assert not np.array_equal(val(twin.head.weight), val(net.head.weight))
    x = ag.ones(2, 2)
    assert twin(x).shape == net(x).shape


# --- state_dict ----------------------------------------------------------------------------------


def test_state_dict_round_trip_reproduces_outputs():
    a, b = Net(), Net()
    x = ag.randn(5, 2)
    assert not np.allclose(val(a(x)), val(b(x)))
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(val(a(x)), val(b(x)))


def test_state_dict_values_are_detached_views_of_the_parameters():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["gain", "body.0.weight", "body.0.bias", "body.2.scale", "body.2.shift", "body.2.calls",
                        "head.weight", "head.bias"]
    assert not any(v.requires_grad for v in sd.values())
    sd["gain"].fill_(5.0)
    np.testing.assert_array_equal(val(net.gain), 5.0)  # shares memory, as torch's does
    assert net.state_dict(keep_vars=True)["gain"] is net.gain


def test_load_state_dict_takes_torchs_assign_argument():
    net = Net()
    assert net.load_state_dict(net.state_dict(), assign=False) == nn.IncompatibleKeys([], [])
    with pytest.raises(NotImplementedError, match="assign=True"):
        net.load_state_dict(net.state_dict(), assign=True)


def test_named_parameters_and_buffers_with_every_name_of_a_shared_one():
    shared = nn.BatchNorm1d(2)
    seq = nn.Sequential(shared, nn.Tanh(), shared)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in seq.named_buffers(prefix="m", remove_duplicate=False)] == [
        f"m.{i}.{b}" for i in (0, 2) for b in ("running_mean", "running_var", "num_batches_tracked")
    ]
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight"]
    assert [n for n, _ in tied.named_parameters(remove_duplicate=False)] == ["0.weight", "1.weight"]


def test_load_state_dict_copies_values_into_the_same_objects():
    net = Net()
    weight = net.head.weight
    net.load_state_dict({**net.state_dict(), "head.weight": np.full((1, 3), 2.0)})
    assert net.head.weight is weight and weight.requires_grad
    np.testing.assert_array_equal(val(weight), 2.0)
    assert weight.dtype == np.float32


def test_strict_loading_reports_missing_and_unexpected_keys():
    net = Net()
    sd = net.state_dict()
    del sd["head.bias"]
    sd["head.extra"] = ag.ones(1)
    with pytest.raises(KeyError, match=r"missing keys \['head.bias'\].*unexpected keys \['head.extra'\]"):
        net.load_state_dict(sd)


def test_non_strict_loading_returns_the_keys_and_loads_the_rest():
    net = Net()
    sd = {k: ag.zeros(*v.shape) for k, v in net.state_dict().items() if k != "head.bias"}
    sd["unused"] = ag.ones(2)
    bias_before = val(net.head.bias).copy()
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["unused"]
    assert isinstance(result, nn.IncompatibleKeys)
    np.testing.assert_array_equal(val(net.head.weight), 0.0)
    np.testing.assert_array_equal(val(net.head.bias), bias_before)


@pytest.mark.parametrize("strict", [True, False])
def test_shape_mismatch_is_an_error_even_when_not_strict_and_loads_nothing(strict):
    net = Net()
    sd = {k: ag.zeros(*v.shape) for k, v in net.state_dict().items()}
    sd["head.weight"] = ag.zeros(3, 1)
    gain_before = val(net.gain).copy()
    with pytest.raises(ValueError, match=r"'head.weight': checkpoint has shape \(3, 1\), the module \(1, 3\)"):
        net.load_state_dict(sd, strict=strict)
    np.testing.assert_array_equal(val(net.gain), gain_before)  # all or nothing


def test_batchnorm_and_mlp_state_dicts_have_torch_names():
    model = nn.Sequential(nn.MLP(2, 4, 3), nn.BatchNorm1d(3))
    assert list(model.state_dict()) == [
        "0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias",
        "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
    ]


# --- repr --------------------------------------------------------------------------------------


def test_nested_repr_like_torch():
    assert repr(Net()) == (
        "Net(\n"
        "  (body): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "    (1): Tanh()\n"
        "    (2): Affine()\n"
        "  )\n"
        "  (head): Linear(in_features=3, out_features=1, bias=True)\n"
        ")"
    )


def test_extra_repr_single_and_multi_line_with_children():
    class Scaled(Module):
        def __init__(self, lines):
            super().__init__()
            self.lines = lines
            self.inner = nn.Identity()

        def extra_repr(self):
            return "\n".join(self.lines)

    assert repr(Scaled(["k=2"])) == "Scaled(\n  k=2\n  (inner): Identity()\n)"
    assert repr(Scaled(["a=1", "b=2"])) == "Scaled(\n  a=1\n  b=2\n  (inner): Identity()\n)"
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1, inplace=False)"


# --- hooks -------------------------------------------------------------------------------------


def test_forward_hooks_see_and_replace_inputs_and_outputs():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0.0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append((m, args[0].shape, out.shape)))
    x = ag.ones(3, 2)
    out = layer(x)
    np.testing.assert_allclose(val(out), np.broadcast_to(val(layer.bias), (3, 2)))
    assert seen == [(layer, (3, 2), (3, 2))]
    pre.remove()
    post.remove()
    pre.remove()  # removing twice is harmless
    assert not np.allclose(val(layer(x)), val(out))
    assert len(seen) == 1


def test_hooks_run_in_registration_order_and_a_single_value_is_wrapped():
    layer = nn.Identity()
    calls = []
    layer.register_forward_pre_hook(lambda m, args: calls.append("pre1") or args[0] + 1.0)
    layer.register_forward_pre_hook(lambda m, args: calls.append("pre2") or args[0] * 10.0)
    layer.register_forward_hook(lambda m, args, out: calls.append("post1") or out - 1.0)
    layer.register_forward_hook(lambda m, args, out: calls.append("post2"))
    out = layer(ag.zeros(1))
    assert calls == ["pre1", "pre2", "post1", "post2"]
    np.testing.assert_array_equal(out.numpy(), [9.0])


# --- containers --------------------------------------------------------------------------------


def test_sequential_indexing_slicing_and_iteration():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c and len(seq) == 3 and list(seq) == [a, b, c]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]  # names kept, as torch
    x = ag.randn(4, 2)
    np.testing.assert_array_equal(val(seq(x)), val(c(b(a(x)))))
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        seq[3]


def test_sequential_with_names_setitem_append_delitem():
    seq = nn.Sequential(OrderedDict([("first", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in seq.named_children()] == ["first", "act"] and seq.first is seq[0]
    seq[1] = nn.ReLU()
    assert isinstance(seq.act, nn.ReLU)
    seq = nn.Sequential(nn.Identity(), nn.Tanh(), nn.ReLU())
    seq[0] = nn.Sigmoid()  # replacing a layer keeps its place in the forward order
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "Tanh", "ReLU"]
    del seq[0]
    assert [type(m).__name__ for m in seq] == ["Tanh", "ReLU"]
    assert [n for n, _ in seq.named_children()] == ["0", "1"]  # renumbered, as torch
    seq.append(nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Tanh", "ReLU", "Sigmoid"]
    del seq[0:2]
    assert [type(m).__name__ for m in seq] == ["Sigmoid"]


def test_sequential_insert_extend_pop_as_torch():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    assert seq.insert(1, nn.Sigmoid()) is seq
    assert [type(m).__name__ for m in seq] == ["ReLU", "Sigmoid", "Tanh"]
    assert seq.insert(-1, nn.Identity()).insert(4, nn.GELU()) is seq  # before the last; at the end
    assert [type(m).__name__ for m in seq] == ["ReLU", "Sigmoid", "Identity", "Tanh", "GELU"]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3", "4"]
    first = seq[0]
    assert seq.pop(0) is first and [type(m).__name__ for m in seq] == ["Sigmoid", "Identity", "Tanh", "GELU"]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    popped = seq.pop(slice(1, 3))
    assert isinstance(popped, nn.Sequential) and [type(m).__name__ for m in popped] == ["Identity", "Tanh"]
    assert seq.extend([nn.Tanh(), nn.ReLU()]).append(nn.Sigmoid()) is seq
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "GELU", "Tanh", "ReLU", "Sigmoid"]
    with pytest.raises(IndexError, match="index 6 is out of range for length 5"):
        seq.insert(6, nn.ReLU())
    with pytest.raises(TypeError, match="expected a Module, got int"):
        seq.insert(0, 3)
    named = nn.Sequential(OrderedDict(enc=nn.Tanh()))
    with pytest.raises(ValueError, match=r"\['enc'\]"):
        named.insert(0, nn.ReLU())


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    layers.append(nn.Tanh()).extend([nn.ReLU()])
    assert isinstance(layers[-1], nn.ReLU) and len(layers) == 5
    layers.insert(0, nn.Sigmoid())
    assert isinstance(layers[0], nn.Sigmoid) and isinstance(layers[1], nn.Linear)
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4", "5"]
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    last = layers[-1]
    assert layers.pop(-1) is last and len(layers) == 4
    with pytest.raises(IndexError, match="index 9"):
        layers[9]

    class Owner(Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])

    assert [n for n, _ in Owner().named_parameters()] == ["blocks.0.weight", "blocks.0.bias",
                                                         "blocks.1.weight", "blocks.1.bias"]


def test_module_dict():
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert list(d) == ["enc", "dec"] and list(d.keys()) == ["enc", "dec"] and len(d) == 2
    assert "enc" in d and "other" not in d
    d["act"] = nn.ReLU()
    assert [k for k, _ in d.items()] == ["enc", "dec", "act"]
    assert [n for n, _ in d.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    del d["act"]
    assert "act" not in d
    d.update([("extra", nn.Tanh())])
    assert isinstance(d["extra"], nn.Tanh)
    with pytest.raises(KeyError, match=r"'missing'.*\['enc', 'dec', 'extra'\]"):
        d["missing"]


def test_module_to_device_and_dtype():
    model = nn.Linear(2, 3)
    assert model.to("cpu") is model and model.cpu() is model
    weight = model.weight
    model.to("cpu", ag.float64)
    assert model.weight is weight and weight.dtype == np.float64
    with pytest.raises(ValueError, match="'cuda'"):
        model.to("cuda")
