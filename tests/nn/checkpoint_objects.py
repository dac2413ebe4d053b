"""What the checkpoint tests of both formats save: a small module, a nested object with every
kind of leaf, and exact comparison of what comes back."""

import math
from collections import OrderedDict

import numpy as np

import autograd as ag
import nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(ag.randn(3, 2))
        self.inner = nn.Module()
        self.inner.bias = nn.Parameter(ag.zeros(3))
        self.register_buffer("count", ag.tensor(np.array(5, dtype=np.int64)))


def same(a, b):
    """Exact equality of nested structures: types, dtypes, shapes and bytes of every array."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ag.Tensor):
        assert a.requires_grad == b.requires_grad
        same(np.asarray(a), np.asarray(b))
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            same(u, v)
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    else:
        assert a == b


def nested():
    rng = np.random.default_rng(0)
    return OrderedDict(
        [
            ("f32", ag.tensor(rng.standard_normal((3, 4)).astype(np.float32))),
            ("f64", ag.tensor(rng.standard_normal(5))),
            ("f16", ag.tensor(np.array([1.5, -0.0, np.inf], dtype=np.float16))),
            ("i64", ag.arange(6).reshape(2, 3)),
            ("i8", ag.tensor(np.array([-128, 127], dtype=np.int8))),
            ("u8", np.arange(4, dtype=np.uint8)),
            ("bool", ag.tensor(np.array([True, False]))),
            ("c64", np.array([1 + 2j], dtype=np.complex64)),
            ("scalar0d", ag.tensor(np.float32(2.5))),
            ("empty", np.zeros((0, 3), dtype=np.float32)),
            ("transposed", np.arange(12.0).reshape(3, 4).T),  # not C-contiguous
            ("big_endian", np.arange(3, dtype=">f4")),
            ("grad", ag.tensor([1.0, 2.0], requires_grad=True)),
            ("param", nn.Parameter(ag.ones(2))),
            ("np_scalars", [np.float32(0.1), np.int64(-3), np.bool_(True)]),
            ("numbers", [0, -7, 2**70, 0.1, -0.0, float("nan"), float("inf"), -float("inf"), True, False, None]),
            ("text", "ünïcode ✓ \"quoted\" \n"),
            ("tuple", (0.9, 0.999)),
            ("plain_dict", {"b": 1, "a": [1, {"deep": (np.arange(2),)}]}),
            ("int_keys", {0: "zero", 1: "one", -5: None}),
            ("odd_keys", {(1, "x"): 1, 2.5: 2, None: 3, True: 4}),
            ("empty_things", [[], (), {}, OrderedDict(), ""]),
        ]
    )
