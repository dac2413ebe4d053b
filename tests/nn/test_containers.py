"""ParameterList and ParameterDict (and the dict methods ModuleDict shares with ParameterDict,
and Identity): names as torch gives them, so that a state_dict maps one to one; tensors made
Parameters sharing memory; list and dict behaviour; bad keys and values refused."""

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
import optim


def val(t):
    return t.detach().numpy()


class Owner(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(ag.zeros(2, 3)), ag.ones(3)])
        self.scales = nn.ParameterDict({"b": ag.ones(1), "a": ag.zeros(2)})


# --- ParameterList -----------------------------------------------------------------------------


def test_parameter_list_registers_numbered_parameters():
    owner = Owner()
    assert list(owner.state_dict()) == ["weights.0", "weights.1", "scales.a", "scales.b"]
    plist = owner.weights
    assert len(plist) == 2 and all(isinstance(p, nn.Parameter) and p.requires_grad for p in plist)
    assert [p.shape for p in owner.parameters()] == [(2, 3), (3,), (2,), (1,)]


def test_parameter_list_wraps_a_tensor_sharing_its_memory():
    t = ag.zeros(3)
    plist = nn.ParameterList([t])
    with ag.no_grad():
        plist[0].fill_(2.0)
    np.testing.assert_array_equal(val(t), 2.0)
    p = nn.Parameter(ag.ones(2))
    plist.append(p)
    assert plist[1] is p and plist[-1] is p


def test_parameter_list_as_a_list():
    a, b, c = (nn.Parameter(ag.full((1,), float(i))) for i in range(3))
    plist = nn.ParameterList([a])
    assert plist.append(b) is plist
    plist.extend([c])
    assert list(plist) == [a, b, c]
    part = plist[1:]
    assert isinstance(part, nn.ParameterList) and list(part) == [b, c]
    plist[0] = ag.zeros(4)
    assert plist[0].shape == (4,) and list(plist.state_dict()) == ["0", "1", "2"]
    plist += [ag.ones(1)]
    assert len(plist) == 4
    with pytest.raises(IndexError, match="index 4 is out of range for length 4"):
        plist[4]
    with pytest.raises(TypeError, match="got str"):
        plist.append("weight")
    with pytest.raises(TypeError, match="iterable of parameters, got int"):
        plist.extend(3)


def test_parameter_list_parameters_train():
    owner = Owner()
    opt = optim.SGD(owner.parameters(), lr=0.5)
    (owner.weights[1] * 2.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(val(owner.weights[1]), 0.0)


def test_parameter_list_repr():
    text = repr(nn.ParameterList([ag.zeros(2, 3, dtype=ag.float64)]))
    assert text == "ParameterList(\n  (0): Parameter containing: [float64 of size 2x3]\n)"


# --- ParameterDict -----------------------------------------------------------------------------


def test_parameter_dict_takes_a_plain_dict_in_sorted_order_as_torch():
    assert list(nn.ParameterDict({"b": ag.ones(1), "a": ag.ones(1)})) == ["a", "b"]
    ordered = OrderedDict([("b", ag.ones(1)), ("a", ag.ones(1))])
    assert list(nn.ParameterDict(ordered)) == ["b", "a"]
    assert list(nn.ParameterDict([("b", ag.ones(1)), ("a", ag.ones(1))])) == ["b", "a"]


def test_parameter_dict_as_a_dict():
    pdict = nn.ParameterDict()
    pdict["w"] = ag.zeros(2)
    assert isinstance(pdict["w"], nn.Parameter) and "w" in pdict and len(pdict) == 1
    p = nn.Parameter(ag.ones(3))
    assert pdict.setdefault("v", p) is p and pdict.setdefault("v", ag.zeros(1)) is p
    assert pdict.get("missing") is None and pdict.get("v") is p
    assert list(pdict.keys()) == ["w", "v"] and list(pdict.values())[1] is p
    assert [k for k, _ in pdict.items()] == ["w", "v"] and list(reversed(pdict)) == ["v", "w"]
    assert pdict.pop("v") is p and "v" not in pdict
    pdict.update({"x": ag.ones(1)})
    assert pdict.popitem()[0] == "x"
    copied = pdict.copy()
    assert copied["w"] is pdict["w"] and copied is not pdict
    merged = pdict | nn.ParameterDict({"z": ag.ones(1)})
    assert list(merged) == ["w", "z"] and list(pdict) == ["w"]
    pdict |= {"z": ag.ones(1)}
    assert list(pdict) == ["w", "z"]
    assert list(pdict.fromkeys(["p", "q"], ag.zeros(1))) == ["p", "q"]
    del pdict["w"]
    pdict.clear()
    assert len(pdict) == 0 and list(pdict.state_dict()) == []


def test_parameter_dict_keys_may_shadow_attribute_names():
    pdict = nn.ParameterDict({"training": ag.ones(1), "keys": ag.zeros(1)})
    assert pdict["training"].shape == (1,) and pdict.training is True
    assert list(pdict.keys()) == ["keys", "training"]


def test_parameter_dict_bad_keys_and_values():
    pdict = nn.ParameterDict({"a": ag.ones(1)})
    with pytest.raises(KeyError, match=r"no parameter 'b' \(keys: \['a'\]\)"):
        pdict["b"]
    with pytest.raises(KeyError, match="no parameter 'b'"):
        del pdict["b"]
    with pytest.raises(TypeError, match="keys are strings, got int 3"):
        pdict[3]
    with pytest.raises(ValueError, match=r"invalid name 'a\.b'"):
        pdict["a.b"] = ag.ones(1)
    with pytest.raises(TypeError, match="got float"):
        pdict["c"] = 1.5
    with pytest.raises(ValueError, match=r"element 0 is not a \(key, value\) pair"):
        pdict.update(["ab"])
    with pytest.raises(TypeError, match=r"mapping or \(key, value\) pairs, got int"):
        pdict.update(3)
    with pytest.raises(KeyError, match="empty"):
        nn.ParameterDict().popitem()


def test_parameter_dict_loads_a_state_dict():
    owner, other = Owner(), Owner()
    with ag.no_grad():
        other.scales["a"].fill_(5.0)
    owner.load_state_dict(other.state_dict())
    np.testing.assert_array_equal(val(owner.scales["a"]), 5.0)


# --- ModuleDict's shared methods, Identity ------------------------------------------------------


def test_module_dict_pop_and_clear():
    mdict = nn.ModuleDict({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    act = mdict["act"]
    assert mdict.pop("act") is act and list(mdict) == ["enc"]
    mdict.clear()
    assert len(mdict) == 0 and list(mdict.parameters()) == []
    with pytest.raises(TypeError, match="keys are strings"):
        mdict[0]


def test_identity_returns_its_input_and_ignores_arguments():
    x = ag.randn(2, 3)
    assert nn.Identity(54, unused="argument")(x) is x
    assert list(nn.Identity().parameters()) == []


def test_containers_match_torch_names():
    torch = pytest.importorskip("torch")

    class TorchOwner(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)), torch.ones(3)])
            self.scales = torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.zeros(2)})

    theirs, ours = TorchOwner(), Owner()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        theirs.scales["b"].fill_(3.0)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(val(ours.scales["b"]), 3.0)
