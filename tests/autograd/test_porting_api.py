"""The Tensor API that ported PyTorch code meets: Size, formatting, torch's keyword names and
aliases, and the small methods (new_*, narrow, view_as, ...). Each behaviour is checked on
its own; where torch is installed, the same calls are compared with torch's."""

import pytest

import autograd as ag
from autograd import Size

# --- Size -------------------------------------------------------------------------------------


def test_shape_and_size_are_sizes_that_print_as_torch():
    x = ag.zeros(2, 3)
    assert type(x.shape) is Size and type(x.size()) is Size
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert repr(x.shape) == str(x.shape) == "torch.Size([2, 3])"
    assert str(ag.tensor(1.0).shape) == "torch.Size([])"
    assert type(x.shape[0]) is int and type(x.shape[1:]) is Size and x.shape[1:] == (3,)
    assert type(x.shape + (4,)) is Size and x.shape + (4,) == (2, 3, 4)
    assert x.shape.numel() == 6


def test_size_in_an_f_string_reads_as_a_tuple():
    # A documented difference (see Size.__format__): messages put shapes in f-strings.
    x = ag.zeros(2, 3)
    assert f"{x.shape}" == "(2, 3)" and f"{x.shape!s}" == "torch.Size([2, 3])"


def test_size_adds_only_ints():
    with pytest.raises(TypeError, match="Size takes ints"):
        _ = ag.zeros(2).shape + (1.5,)
