"""The Tensor API that ported PyTorch code meets: Size, formatting, torch's keyword names and
aliases, and the small methods (new_*, narrow, view_as, ...). Each behaviour is checked on
its own; where torch is installed, the same calls are compared with torch's."""

import numpy as np
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


# --- format and str ---------------------------------------------------------------------------


def test_a_0d_tensor_formats_as_its_number():
    assert f"{ag.tensor(1.5)}" == "1.5" and f"{ag.tensor(1.5):.2f}" == "1.50"
    assert f"{ag.tensor(3)}" == "3" and f"{ag.tensor(3):>4}" == "   3" and f"{ag.tensor(3):.1f}" == "3.0"
    assert f"{ag.tensor(True)}" == "True" and f"{ag.tensor(True):d}" == "1"
    assert "{:.3e}".format(ag.tensor(1234.5, dtype=ag.float64)) == "1.234e+03"  # noqa: UP032
    loss = (ag.tensor([1.0, 2.0], requires_grad=True) * 2).sum()
    assert f"loss {loss:.4f}" == "loss 6.0000"  # the usual training-loop print, on a tensor in a graph
    with pytest.raises(ValueError):
        f"{ag.tensor(1.5):d}"  # float's own refusal, as in torch


def test_other_tensors_format_as_their_text_and_refuse_a_spec():
    x = ag.tensor([1.5, 2.0])
    assert f"{x}" == str(x) == repr(x) == "tensor([1.5000, 2.0000])"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{x:.2f}"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{ag.zeros(1, 1):>3}"


def test_a_0d_parameter_formats_as_its_text_as_in_torch():
    nn = pytest.importorskip("nn")
    p = nn.Parameter(ag.tensor(1.5))
    assert f"{p}" == str(p) and str(p).startswith("Parameter containing:")


# --- types, sizes of elements, layout ----------------------------------------------------------


def test_nelement_and_element_size():
    x = ag.zeros(2, 3)
    assert x.nelement() == x.numel() == 6
    sizes = {ag.float32: 4, ag.float64: 8, ag.float16: 2, ag.int64: 8, ag.int32: 4, ag.bool_: 1, ag.uint8: 1}
    for dtype, size in sizes.items():
        assert ag.zeros(1, dtype=dtype).element_size() == size


def test_type_names_the_type_or_casts():
    x = ag.tensor([1.5, -2.5])
    assert x.type() == "torch.FloatTensor" and x.double().type() == "torch.DoubleTensor"
    assert x.long().type() == "torch.LongTensor" and x.bool().type() == "torch.BoolTensor"
    assert x.type(ag.float64).dtype == np.float64 and x.type("torch.LongTensor").tolist() == [1, -2]
    with pytest.raises(ValueError, match=r"unknown tensor type 'torch\.ComplexTensor'"):
        x.type("torch.ComplexTensor")


def test_type_as_view_as_reshape_as():
    x = ag.arange(6.0, requires_grad=True)
    y = x.type_as(ag.zeros(1, dtype=ag.float64))
    assert y.dtype == np.float64 and y.requires_grad
    assert x.view_as(ag.zeros(2, 3)).shape == (2, 3) and x.reshape_as(ag.zeros(3, 2)).shape == (3, 2)
    x.view_as(ag.zeros(3, 2)).sum().backward()
    assert x.grad.tolist() == [1.0] * 6
    for method in (x.type_as, x.view_as, x.reshape_as):
        with pytest.raises(TypeError, match="other must be a Tensor"):
            method(np.zeros(6))


@pytest.mark.parametrize(
    "make",
    [lambda: ag.arange(12.0).reshape(3, 4).t(), lambda: ag.arange(12.0)[::3], lambda: ag.arange(24.0).reshape(2, 3, 4)
     .permute(2, 0, 1)[:, ::2]],
    ids=["transposed", "strided", "permuted and strided"],
)
def test_contiguous_copies_what_is_not_in_row_major_order(make):
    x = make()
    assert not x.is_contiguous()
    y = x.contiguous()
    assert y.is_contiguous() and y.shape == x.shape and y.tolist() == x.tolist()
    assert ag.zeros(2, 3).contiguous().is_contiguous()


def test_contiguous_is_the_tensor_itself_when_already_contiguous_and_passes_gradients():
    x = ag.zeros(2, 3, requires_grad=True)
    assert x.contiguous() is x
    w = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    weights = ag.tensor(np.arange(12.0).reshape(4, 3))
    (w.t().contiguous() * weights).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.arange(12.0).reshape(4, 3).T)


# --- new_* ------------------------------------------------------------------------------------


def test_new_factories_take_this_tensors_dtype_unless_given():
    x = ag.zeros(1, dtype=ag.float64)
    assert x.new_zeros(2, 3).dtype == np.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones([2]).tolist() == [1.0, 1.0] and x.new_empty(4).shape == (4,)
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_full((2,), 7).dtype == np.float64
    assert ag.zeros(1, dtype=ag.int64).new_full((2,), 7.5).tolist() == [7, 7]
    assert x.new_zeros(2, dtype=ag.int32).dtype == np.int32
    assert x.new_zeros(()).shape == () and x.new_ones(2, requires_grad=True).requires_grad
    assert not x.new_zeros(2).requires_grad


def test_new_full_wants_a_sequence_of_sizes_as_in_torch():
    with pytest.raises(TypeError, match="new_full: size must be a tuple or list"):
        ag.zeros(1).new_full(2, 7.0)


def test_new_tensor_copies_its_data_outside_the_graph():
    x = ag.zeros(1, dtype=ag.float64)
    source = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.new_tensor(source)
    assert y.dtype == np.float64 and not y.requires_grad and y.grad_fn is None
    with ag.no_grad():
        y.mul_(10.0)
    assert source.tolist() == [1.0, 2.0]  # a copy, not a view
    assert ag.zeros(1, dtype=ag.int64).new_tensor([1.7]).tolist() == [1]


# --- torch's keyword names ----------------------------------------------------------------------


def test_methods_take_torchs_keyword_names():
    a, b = ag.tensor([[1.0, 2.0], [3.0, 4.0]]), ag.tensor([[0.5, 1.0], [1.5, 2.0]])
    assert a.pow(exponent=2).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert a.mm(mat2=b).tolist() == (a @ b).tolist() and a.matmul(other=b).tolist() == (a @ b).tolist()
    assert a[0].dot(tensor=b[0]).item() == 2.5
    assert a.add(b, alpha=2).tolist() == [[2.0, 4.0], [6.0, 8.0]] and a.sub(b, alpha=2).tolist() == [[0.0] * 2] * 2
    assert a.add(1, alpha=3).tolist() == [[4.0, 5.0], [6.0, 7.0]] and a.add([1.0, 2.0], alpha=-1)[0].tolist() == [0, 0]
    assert a.add(b).tolist() == (a + b).tolist()


def test_add_with_alpha_is_differentiable():
    a, b = ag.tensor([1.0, 2.0], requires_grad=True), ag.tensor([3.0, 4.0], requires_grad=True)
    a.add(b, alpha=-0.5).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [-0.5, -0.5]


def test_function_forms_name_the_tensor_input_as_torch_does():
    x = ag.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert ag.sum(input=x, dim=0).tolist() == [4.0, 2.0] and ag.sum(x, dim=1).tolist() == [-1.0, 7.0]
    assert ag.matmul(input=x, other=x).tolist() == (x @ x).tolist()
    assert ag.mm(input=x, mat2=x).tolist() == (x @ x).tolist() and ag.pow(input=x, exponent=2)[0].tolist() == [1, 4]
    assert ag.dot(input=x[0], tensor=x[1]).item() == -5.0
    assert ag.add(input=x, other=1, alpha=2)[0].tolist() == [3.0, 0.0]
    assert ag.exp(input=ag.zeros(2)).tolist() == [1.0, 1.0] and ag.numel(input=x) == 4
    assert [t.shape for t in ag.split(tensor=x, split_size_or_sections=1, dim=1)] == [(2, 1), (2, 1)]
    assert ag.transpose(input=x, dim0=0, dim1=1).tolist() == x.t().tolist()
    assert ag.max(input=x, dim=1).indices.tolist() == [0, 1] and ag.eq(input=x, other=x).all()


def test_function_forms_say_when_the_tensor_is_given_twice():
    x = ag.ones(2)
    with pytest.raises(TypeError, match=r"sum\(\) got multiple values for argument 'input'"):
        ag.sum(x, input=x)
    with pytest.raises(TypeError, match=r"pow\(\) got multiple values"):
        ag.pow(x, input=x, exponent=2)


def test_function_forms_show_torchs_signature():
    import inspect

    assert list(inspect.signature(ag.sum).parameters)[:2] == ["input", "dim"]
    assert list(inspect.signature(ag.split).parameters)[:2] == ["tensor", "split_size_or_sections"]
    assert ag.pow.__name__ == "pow" and ag.sum.__doc__ == ag.Tensor.sum.__doc__


# --- keepdims= and axis=, torch's NumPy-style names -----------------------------------------------

REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "logsumexp", "std", "var", "any", "all"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_take_keepdims_and_axis(name):
    x = ag.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    method = getattr(x, name)
    assert method(axis=1, keepdims=True).shape == (2, 1) == method(dim=1, keepdim=True).shape
    assert method(1, keepdims=False).shape == (2,)
    assert getattr(ag, name)(input=x, axis=0, keepdims=True).shape == (1, 3)


def test_max_and_min_take_keepdims():
    x = ag.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.max(dim=1, keepdims=True).values.tolist() == [[5.0], [7.0]]
    assert x.min(axis=0, keepdims=True).indices.tolist() == [[0, 1]]


# --- the same calls in torch ----------------------------------------------------------------------


def test_formatting_matches_torch():
    torch = pytest.importorskip("torch")
    values = [(1.5, None), (0.1, None), (3, None), (True, None), (-0.0, None), (1e-5, None), (2.0, "float64")]
    specs = ["", ".2f", ">8", "e", "d", ".3g"]
    for value, dtype in values:
        ours = ag.tensor(value, dtype=dtype)
        theirs = torch.tensor(value, dtype=getattr(torch, dtype) if dtype else None)
        for spec in specs:
            assert _outcome(format, ours, spec) == _outcome(format, theirs, spec), (value, dtype, spec)
        assert str(ours) == repr(ours) and str(theirs) == repr(theirs)
    for shape in [(2,), (2, 3), (0,)]:
        for spec in ["", ".2f"]:
            assert _outcome(format, ag.ones(*shape), spec) == _outcome(format, torch.ones(*shape), spec)


def test_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(), (2,), (2, 3, 4)]:
        ours, theirs = ag.zeros(shape), torch.zeros(shape)
        assert repr(ours.shape) == repr(theirs.shape) and str(ours.size()) == str(theirs.size())
        assert repr(ours.shape[1:]) == repr(theirs.shape[1:]) and print_text(ours.shape) == print_text(theirs.shape)


def test_methods_match_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    ours, theirs = ag.tensor(data), torch.tensor(data)
    calls = [
        lambda t: t.nelement(), lambda t: t.element_size(), lambda t: t.double().element_size(), lambda t: t.type(),
        lambda t: t.long().type(), lambda t: t.bool().type(), lambda t: t.half().type(), lambda t: t.int().type(),
        lambda t: t.t().is_contiguous(), lambda t: t.is_contiguous(), lambda t: t.t().contiguous().is_contiguous(),
        lambda t: t[:, ::2].is_contiguous(), lambda t: t.t().contiguous().tolist(),
        lambda t: t.new_zeros(2, 3).tolist(), lambda t: t.new_ones((2,)).tolist(),
        lambda t: t.new_full((2,), 7).tolist(),
        lambda t: t.long().new_full((2,), 7.5).tolist(), lambda t: t.new_empty(2, 1).shape,
        lambda t: t.new_tensor([1, 2]).tolist(), lambda t: str(t.new_tensor([1, 2]).dtype).split(".")[-1],
        lambda t: str(t.new_zeros(2, dtype=t.long().dtype).dtype).split(".")[-1],
        lambda t: t.long().new_tensor([1.7]).tolist(), lambda t: t.new_zeros(()).shape,
        lambda t: t.type_as(t.long()).tolist(), lambda t: t.view_as(t.reshape(12)).shape,
        lambda t: t.reshape_as(t.reshape(2, 6)).shape, lambda t: t.new_full(2, 7),
        lambda t: t.pow(exponent=2).tolist(), lambda t: t.add(t, alpha=2).tolist(),
        lambda t: t.sub(1, alpha=3).tolist(),
        lambda t: t.mm(mat2=t.t()).tolist(), lambda t: t[0].dot(tensor=t[1]).item(),
        lambda t: t.sum(axis=0, keepdims=True).tolist(), lambda t: t.mean(1, keepdims=True).tolist(),
        lambda t: t.amax(axis=1).tolist(), lambda t: t.argmax(1, keepdims=True).tolist(),
        lambda t: t.max(dim=0, keepdims=True)[0].tolist(), lambda t: t.std(axis=1, keepdims=True).shape,
    ]
    for i, call in enumerate(calls):
        assert _outcome(call, ours) == _outcome(call, theirs), i


def test_function_forms_match_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32)
    calls = [
        lambda m, x: m.sum(input=x, dim=0), lambda m, x: m.matmul(input=x, other=x), lambda m, x: m.mm(input=x, mat2=x),
        lambda m, x: m.pow(input=x, exponent=2), lambda m, x: m.add(input=x, other=x, alpha=2),
        lambda m, x: m.sub(input=x, other=1, alpha=2), lambda m, x: m.exp(input=x), lambda m, x: m.numel(input=x),
        lambda m, x: m.split(tensor=x, split_size_or_sections=1, dim=1)[1], lambda m, x: m.clamp(input=x, min=0),
        lambda m, x: m.transpose(input=x, dim0=0, dim1=1), lambda m, x: m.softmax(input=x, dim=1),
        lambda m, x: m.mean(input=x, dim=1, keepdim=True), lambda m, x: m.max(input=x, dim=0)[1],
        lambda m, x: m.dot(input=x[0], tensor=x[1]), lambda m, x: m.unsqueeze(input=x, dim=0).shape,
        lambda m, x: m.eq(input=x, other=x), lambda m, x: m.cumsum(input=x, dim=1),
        lambda m, x: m.sum(x, input=x),
    ]
    for i, call in enumerate(calls):
        ours, theirs = _outcome(call, ag, ag.tensor(data)), _outcome(call, torch, torch.tensor(data))
        assert _close(ours, theirs), (i, ours, theirs)


def _outcome(call, *args):
    """What a call gives: its result as plain Python values, or the type of the exception it raises."""
    try:
        result = call(*args)
    except Exception as e:  # the exception's type is the outcome compared
        return type(e)
    if hasattr(result, "tolist") and not isinstance(result, (str, int, float, bool)):
        return result.tolist()
    return tuple(result) if isinstance(result, tuple) else result


def _close(a, b):
    if isinstance(a, type) or isinstance(b, type):
        return a is b or (issubclass(a, Exception) and issubclass(b, Exception) and {a, b} <= {TypeError, ValueError})
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def print_text(value):
    import io

    buffer = io.StringIO()
    print(value, file=buffer)
    return buffer.getvalue()


def test_ops_with_a_dim_take_axis_as_torch_does():
    x = ag.tensor(np.arange(12.0).reshape(3, 4))
    idx = ag.tensor([[0, 1], [1, 0], [2, 3]])
    assert x.kthvalue(2, axis=1, keepdims=True).values.tolist() == [[1.0], [5.0], [9.0]]
    assert x.sort(axis=0, descending=True).values[0].tolist() == [8.0, 9.0, 10.0, 11.0]
    assert x.argsort(axis=1).shape == (3, 4) and x.topk(1, axis=0).indices.tolist() == [[2, 2, 2, 2]]
    assert x.gather(axis=1, index=idx).tolist() == [[0.0, 1.0], [5.0, 4.0], [10.0, 11.0]]
    assert ag.take_along_dim(x, idx, axis=1).tolist() == x.gather(1, idx).tolist()
    assert x.index_select(axis=1, index=ag.tensor([3])).tolist() == [[3.0], [7.0], [11.0]]
    assert x.narrow(axis=1, start=1, length=2).shape == (3, 2) and x.select(axis=1, index=0).tolist() == [0, 4, 8]
    assert x.repeat_interleave(2, axis=0).shape == (6, 4) and x.unflatten(axis=1, sizes=(2, 2)).shape == (3, 2, 2)
    with pytest.raises(TypeError, match="both dim= and its alias axis="):
        x.sort(dim=0, axis=1)
