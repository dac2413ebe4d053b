"""nn.errors: bad input raises what torch raises (RuntimeError, mostly) and what ndgrad raised
before (ValueError, KeyError, TypeError, IndexError), at once, with messages naming the values."""

import pickle

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn.errors import DomainError, DtypeError, IndexRangeError, ShapeError, StateDictError

CASES = [
    # (what, the mistake, the type ndgrad raised before, what the message must name)
    ("Linear: wrong feature count", lambda: nn.Linear(4, 2)(ag.ones(3, 5)), ValueError, ["4", "5", "(3, 5)"]),
    ("BatchNorm1d: wrong channel count", lambda: nn.BatchNorm1d(3)(ag.ones(2, 4)), ValueError, ["3", "4"]),
    ("LayerNorm: wrong trailing shape", lambda: nn.LayerNorm(3)(ag.ones(2, 4)), ValueError, ["(3,)", "(2, 4)"]),
    ("RNN: wrong feature count", lambda: nn.RNN(3, 2)(ag.ones(4, 1, 5)), RuntimeError, ["5", "input_size=3"]),
    ("RNN: wrong hidden shape", lambda: nn.GRU(3, 2)(ag.ones(4, 1, 3), ag.ones(1, 2, 2)), RuntimeError,
     ["(1, 2, 2)", "(1, 1, 2)"]),
    ("RNNCell: wrong feature count", lambda: nn.LSTMCell(3, 2)(ag.ones(4, 5)), RuntimeError, ["5", "input_size=3"]),
    ("Conv1d: wrong channel count", lambda: nn.Conv1d(3, 2, 2)(ag.ones(4, 5, 6)), RuntimeError, ["5", "3"]),
    ("load_state_dict: wrong shape",
     lambda: nn.Linear(2, 3).load_state_dict({"weight": ag.zeros(3, 3), "bias": ag.zeros(3)}), ValueError,
     ["'weight'", "(3, 3)", "(3, 2)"]),
    ("load_state_dict: wrong shape, not strict",
     lambda: nn.Linear(2, 3).load_state_dict({"weight": ag.zeros(3, 3)}, strict=False), ValueError, ["(3, 3)"]),
    ("load_state_dict: missing key", lambda: nn.Linear(2, 3).load_state_dict({"weight": ag.zeros(3, 2)}), KeyError,
     ["missing", "'bias'"]),
    ("load_state_dict: unexpected key",
     lambda: nn.Linear(2, 3).load_state_dict({"weight": ag.zeros(3, 2), "bias": ag.zeros(3), "extra": ag.ones(1)}),
     KeyError, ["unexpected", "'extra'"]),
    ("binary_cross_entropy: input above 1", lambda: F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0])),
     ValueError, ["1.5"]),
    ("cross_entropy: float class targets", lambda: F.cross_entropy(ag.zeros(3, 4), ag.tensor([1.0, 2.0, 0.0])),
     TypeError, ["float32", "(3,)"]),
    ("cross_entropy: class out of range", lambda: F.cross_entropy(ag.zeros(3, 4), ag.tensor([1, 2, 7])), IndexError,
     ["7", "4 classes"]),
    ("one_hot: class out of range", lambda: F.one_hot(ag.tensor([1, 5]), 3), IndexError, ["5", "3 classes"]),
    ("one_hot: float classes", lambda: F.one_hot(ag.tensor([1.0, 2.0]), 3), TypeError, ["float32"]),
    ("Embedding: id out of range", lambda: nn.Embedding(3, 2)(ag.tensor([5])), IndexError, ["5", "3 embeddings"]),
    ("Embedding: float ids", lambda: nn.Embedding(3, 2)(ag.tensor([1.0])), TypeError, ["float32"]),
]


@pytest.mark.parametrize(("make", "before", "names"), [pytest.param(m, b, n, id=w) for w, m, b, n in CASES])
def test_bad_input_raises_runtime_error_as_torch_and_the_type_it_raised_before(make, before, names):
    with pytest.raises(RuntimeError) as as_torch:
        make()
    with pytest.raises(before):
        make()
    message = str(as_torch.value)
    assert [n for n in names if n not in message] == [], message


def test_every_error_is_a_runtime_error_and_a_builtin():
    for error, builtin in [(ShapeError, ValueError), (DtypeError, TypeError), (DomainError, ValueError),
                           (IndexRangeError, IndexError), (StateDictError, KeyError)]:
        assert issubclass(error, RuntimeError) and issubclass(error, builtin)
        assert getattr(nn, error.__name__) is error
        assert type(pickle.loads(pickle.dumps(error("x")))) is error  # survives multiprocessing and pytest-xdist


def test_state_dict_error_reads_without_keyerror_quotes():
    # str(KeyError("message")) is "'message'"; the message should read as written.
    with pytest.raises(StateDictError) as info:
        nn.Linear(2, 3).load_state_dict({})
    assert str(info.value).startswith("load_state_dict into Linear: missing keys ['weight', 'bias']")


def test_the_shape_check_comes_first_and_names_every_mismatch():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = {"0.weight": np.zeros((3, 3)), "0.bias": np.zeros(4)}
    with pytest.raises(ShapeError, match=r"'0.weight'.*\(3, 3\).*'0.bias'.*\(4,\).*missing keys"):
        model.load_state_dict(state)
