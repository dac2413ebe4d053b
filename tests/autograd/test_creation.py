"""Factories as torch's: device= (CPU only) on every one, torch.device objects, dtype names,
the default dtype (set_default_dtype) and device, Size, empty/as_tensor."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import creation

# Every factory, called with extra keyword arguments.
FACTORIES = {
    "tensor": lambda **kw: ag.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: ag.as_tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: ag.zeros(2, 3, **kw),
    "ones": lambda **kw: ag.ones(2, 3, **kw),
    "empty": lambda **kw: ag.empty(2, 3, **kw),
    "full": lambda **kw: ag.full((2, 3), 1.5, **kw),
    "eye": lambda **kw: ag.eye(3, **kw),
    "arange": lambda **kw: ag.arange(0.0, 3.0, **kw),
    "linspace": lambda **kw: ag.linspace(0, 1, 5, **kw),
    "rand": lambda **kw: ag.rand(2, 3, **kw),
    "randn": lambda **kw: ag.randn(2, 3, **kw),
    "randint": lambda **kw: ag.randint(0, 5, (2, 3), **kw),
    "randperm": lambda **kw: ag.randperm(4, **kw),
    "normal": lambda **kw: ag.normal(0.0, 1.0, (2, 3), **kw),
    "zeros_like": lambda **kw: ag.zeros_like(ag.ones(2), **kw),
    "ones_like": lambda **kw: ag.ones_like(ag.ones(2), **kw),
    "empty_like": lambda **kw: ag.empty_like(ag.ones(2), **kw),
    "full_like": lambda **kw: ag.full_like(ag.ones(2), 3.0, **kw),
    "rand_like": lambda **kw: ag.rand_like(ag.ones(2), **kw),
    "randn_like": lambda **kw: ag.randn_like(ag.ones(2), **kw),
    "randint_like": lambda **kw: ag.randint_like(ag.ones(2), 5, **kw),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_every_factory_takes_the_cpu_as_device_and_refuses_others_by_name(name):
    make = FACTORIES[name]
    for cpu in (None, "cpu", "cpu:0", ag.device("cpu")):
        assert make(device=cpu).device == "cpu"
    for other in ("cuda", "cuda:1", "mps"):
        with pytest.raises(ag.DeviceError, match=f"'{other}' is not available") as error:
            make(device=other)
        assert isinstance(error.value, ValueError) and isinstance(error.value, RuntimeError)


def test_device_objects_behave_as_torchs():
    cpu = ag.device("cpu")
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu" and cpu.type == "cpu" and cpu.index is None
    assert cpu == ag.device("cpu") == "cpu" and hash(cpu) == hash(ag.device(cpu))
    indexed = ag.device("cpu:0")
    assert indexed.index == 0 and str(indexed) == "cpu:0" and repr(indexed) == "device(type='cpu', index=0)"
    assert ag.device("cpu", 1).index == 1 and indexed != cpu
    assert ag.zeros(2).device == cpu and ag.get_default_device() == cpu
    with pytest.raises(ValueError, match="'cuda:0' is not available"):
        ag.device(0)  # a bare ordinal is a CUDA device, as in torch
    with pytest.raises(RuntimeError, match="unknown device type 'gpu'"):
        ag.device("gpu")
    with pytest.raises(ValueError, match="'cpu:x'"):
        ag.device("cpu:x")
    with pytest.raises(TypeError, match="device name"):
        ag.device(1.5)


def test_to_takes_devices_dtypes_and_other_tensors():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(ag.device("cpu")) is x and x.to("cpu:0") is x and x.to(device=None) is x
    assert x.to(ag.double).dtype == np.float64 and x.to(ag.device("cpu"), ag.half).dtype == np.float16
    assert x.to(ag.zeros(1, dtype=ag.float64)).dtype == np.float64  # another tensor: its dtype
    with pytest.raises(RuntimeError, match="'cuda' is not available"):
        x.to("cuda")
    with pytest.raises(ValueError, match="'mps' is not available"):
        x.to(device="mps")
    with pytest.raises(TypeError, match="two dtypes"):
        x.to(ag.float, ag.double)


def test_dtype_names_are_torchs():
    names = {
        "float": np.float32, "double": np.float64, "half": np.float16, "long": np.int64, "int": np.int32,
        "short": np.int16, "bool": np.bool_, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
        "float16": np.float16, "float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64,
    }
    for name, dtype in names.items():
        assert getattr(ag, name) == np.dtype(dtype), name
        assert ag.zeros(2, dtype=getattr(ag, name)).dtype == dtype
    assert ag.tensor([1, 2], dtype=ag.long).dtype == np.int64
    assert ag.ones(2).float().dtype == ag.float and ag.ones(2).to(ag.bool).dtype == np.bool_
    # Python's float and int still mean 64 bits, as in torch.
    assert ag.zeros(1, dtype=float).dtype == np.float64 and ag.zeros(1, dtype=int).dtype == np.int64


def test_dtype_names_against_torch():
    torch = pytest.importorskip("torch")
    for name in ("float", "double", "half", "long", "int", "short", "bool", "int8", "uint8", "int16"):
        assert str(getattr(torch, name)).removeprefix("torch.") == str(getattr(ag, name)).replace("bool_", "bool"), name


@pytest.fixture
def float64_default():
    ag.set_default_dtype(ag.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(ag.float32)


def test_the_default_dtype_is_float32_and_settable(float64_default):
    assert ag.get_default_dtype() == np.float64
    made = {
        "zeros": ag.zeros(2), "ones": ag.ones(2), "empty": ag.empty(2), "eye": ag.eye(2), "rand": ag.rand(2),
        "randn": ag.randn(2), "linspace": ag.linspace(0, 1, 3), "arange of floats": ag.arange(0.0, 2.0),
        "full of a float": ag.full((2,), 0.5), "tensor of floats": ag.tensor([1.5, 2.5]),
        "normal": ag.normal(0.0, 1.0, (2,)), "exp of ints": ag.tensor([1, 2]).exp(),
        "ints times a float": ag.tensor([1, 2]) * 0.5, "a Linear's weight": nn.Linear(2, 3).weight,
    }
    for what, t in made.items():
        assert t.dtype == np.float64, what
    assert ag.arange(3).dtype == np.int64 and ag.tensor([1, 2]).dtype == np.int64  # integers stay
    assert ag.tensor([1.0], dtype=ag.float).dtype == np.float32
    # As torch prints: the default dtype is not shown, another float dtype is.
    assert repr(ag.tensor([1.5])) == "tensor([1.5000])"
    assert repr(ag.tensor([1.5], dtype=ag.float32)) == "tensor([1.5000], dtype=float32)"


def test_the_default_dtype_comes_back():
    ag.set_default_dtype(ag.float16)
    try:
        assert ag.zeros(1).dtype == np.float16 and ag.tensor([0.5]).dtype == np.float16
    finally:
        ag.set_default_dtype("float32")
    assert ag.zeros(1).dtype == np.float32 and ag.tensor([0.5]).dtype == np.float32
    assert (ag.tensor([1, 2]) / 2).dtype == np.float32 and repr(ag.tensor([1.5])) == "tensor([1.5000])"


def test_only_floating_dtypes_can_be_the_default():
    for bad in (ag.int64, ag.bool, None):
        with pytest.raises(TypeError, match="only floating-point dtypes"):
            ag.set_default_dtype(bad)
    assert ag.get_default_dtype() == np.float32


def test_set_default_device_takes_the_cpu_only():
    ag.set_default_device("cpu")
    ag.set_default_device(None)
    ag.set_default_device(ag.device("cpu"))
    with pytest.raises(RuntimeError, match="'cuda' is not available"):
        ag.set_default_device("cuda")
    assert ag.get_default_device() == "cpu"


def test_size_is_a_tuple_that_prints_as_torchs():
    size = ag.Size([2, 3, 4])
    assert size == (2, 3, 4) and isinstance(size, tuple) and size.numel() == 24
    assert repr(size) == "torch.Size([2, 3, 4])" and repr(ag.Size()) == "torch.Size([])"
    assert isinstance(size[1:], ag.Size) and size[1:] == (3, 4) and size[0] == 2
    assert isinstance(size + (5,), ag.Size) and size + (5,) == (2, 3, 4, 5)
    assert ag.Size(np.array([1, 2])) == (1, 2)
    with pytest.raises(TypeError, match=r"ints, got float 2\.5"):
        ag.Size([1, 2.5])


def test_size_against_torch():
    torch = pytest.importorskip("torch")
    assert repr(ag.Size([2, 3])) == repr(torch.Size([2, 3]))
    assert repr(ag.Size([2, 3])[1:]) == repr(torch.Size([2, 3])[1:])


def test_empty_and_as_tensor():
    e = ag.empty(2, 3, dtype=ag.float64, requires_grad=True)
    assert e.shape == (2, 3) and e.dtype == np.float64 and e.requires_grad
    assert ag.empty_like(ag.zeros(4, dtype=ag.long)).dtype == np.int64
    x = ag.ones(2)
    assert ag.as_tensor(x) is x and ag.as_tensor(x, dtype=ag.double).dtype == np.float64
    assert ag.as_tensor([1, 2]).dtype == np.int64
    with pytest.raises(TypeError, match="zeros_like takes a tensor, got list"):
        ag.zeros_like([1.0])


def test_factory_arguments_keep_their_meaning():
    # The keyword-only device= did not shift the positional arguments these factories had.
    assert ag.full((2,), 1, ag.float64).dtype == np.float64
    assert ag.eye(2, 3, ag.float64).shape == (2, 3)
    assert ag.arange(0, 4, 2, ag.float64).tolist() == [0.0, 2.0]
    assert ag.linspace(0, 1, 3, ag.float64).dtype == np.float64
    assert ag.zeros_like(ag.ones(2), ag.int64).dtype == np.int64
    assert creation.DEFAULT_SEED == 67280421310721  # torch's, for a new Generator
