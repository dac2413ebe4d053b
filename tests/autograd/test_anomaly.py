"""Anomaly detection: the first NaN/inf gradient names the op, its shapes and the user's line."""

import inspect
import os

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Scalar, anomaly

NDGRAD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__))), "ndgrad")


def _line_of(marker: str, test: str = "test_first_nan_gradient_names_user_line") -> int:
    source, start = inspect.getsourcelines(_line_of.__globals__[test])
    return start + next(i for i, line in enumerate(source) if marker in line)


def _text(error: BaseException) -> str:
    """The message with the notes Python 3.11 prints under it."""
    return "\n".join([str(error), *getattr(error, "__notes__", ())])


def test_first_nan_gradient_names_user_line():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt()  # MARK-SQRT
        loss = (y * 2.0).sum()
        with pytest.raises(ag.AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "SqrtBackward" in message
    assert "inf" in message
    assert "(2,)" in message
    assert __file__ in message
    assert f"line {_line_of('MARK-SQRT')}" in message
    assert "y = x.sqrt()" in message


def test_off_by_default_and_restored():
    assert not ag.is_anomaly_enabled()
    with ag.detect_anomaly():
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()
    x = ag.tensor([0.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        x.sqrt().sum().backward()  # no error when off: the inf simply flows into .grad
    assert x.grad.item() == float("inf")


def test_decorator_and_check_nan_false():
    @ag.detect_anomaly()
    def run():
        x = ag.tensor([0.0], requires_grad=True)
        with np.errstate(divide="ignore"):
            x.sqrt().sum().backward()

    with pytest.raises(ag.AnomalyError, match="SqrtBackward"):
        run()
    assert not ag.is_anomaly_enabled()

    with ag.detect_anomaly(check_nan=False):
        x = ag.tensor([0.0], requires_grad=True)
        with np.errstate(divide="ignore"):
            x.sqrt().sum().backward()
    assert x.grad.item() == float("inf")


def test_first_bad_op_is_named_not_the_ones_after_it():
    x = ag.tensor([1.0, 0.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        h = x * 3.0
        r = h.sqrt()  # infinite derivative at 0: the first bad gradient appears here
        loss = (r.tanh() * 2.0 + 1.0).sum()
        with pytest.raises(ag.AnomalyError) as info:
            loss.backward()
    assert "SqrtBackward" in str(info.value)
    assert "r = h.sqrt()" in str(info.value)


class _ScaledByConstant(Function):
    """c * x, whose backward also returns a gradient for c, NaN, whether c needs one or not."""

    @staticmethod
    def forward(ctx, c, x):
        ctx.save_for_backward(c)
        return c * x

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        return g * np.nan, g * c


def test_gradients_for_inputs_that_need_none_are_not_checked():
    # dot's gradient for the constant c would be 0 * inf = nan, but nothing uses it: no false alarm.
    c = ag.tensor([1.0, 2.0])
    x = ag.tensor([np.inf, 1.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(invalid="ignore"):
        (ag.dot(c, x) * 0).backward()
        _ScaledByConstant.apply(c, x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])
    c.requires_grad_()  # now the NaN is a gradient someone gets
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match=r"_ScaledByConstantBackward.*NaN for its input 0"):
        _ScaledByConstant.apply(c, x).sum().backward()



def test_matmul_computes_only_the_gradients_that_are_needed():
    c, x = ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0], requires_grad=True)
    for y in (ag.dot(c, x), ag.dot(x, c), c.reshape(1, 2) @ x.reshape(2, 1), c @ x.reshape(2, 1)):
        node = y.grad_fn
        grads = node.function.backward(node, ag.ones(*y.shape))
        assert [g is not None for g in grads] == list(node.needs_input_grad)


def test_input_shapes_list_every_input_in_the_order_input_i_counts_them():
    c = ag.ones(2, 1)  # input 0, needs no gradient
    x = ag.tensor([0.0, 1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(ag.AnomalyError) as info:
        (c / x).sum().backward()
    assert "input 1 (gradient shape (2, 3); input shapes [(2, 1), (3,)])" in str(info.value)
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(ag.AnomalyError) as info:
        x.sqrt().clamp(None, 1.0).sum().backward()  # bounds that are not tensors are None
    assert "input shapes [(3,)]" in str(info.value)  # the sqrt: the clamp passes the inf on
    with ag.detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(ag.AnomalyError) as info:
        (x.clamp(None, 1.0) * np.nan).sum().backward()
    assert "MulBackward" in str(info.value) and "input shapes [(3,), None]" in str(info.value)


class _Broken(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2.0

    @staticmethod
    def backward(ctx, g):
        raise KeyError("a bug in a user Function")


def test_errors_raised_in_a_backward_name_the_line_that_created_the_op():
    here = "test_errors_raised_in_a_backward_name_the_line_that_created_the_op"
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly(check_nan=False):  # check_nan=False still records the sites
        y = x.exp()  # MARK-EXP
        y.add_(1.0)
        with pytest.raises(RuntimeError, match="modified in place") as info:
            y.sum().backward()
    note = _text(info.value).splitlines()[-1]
    assert "ExpBackward" in note and "input shapes [(2,)]" in note
    assert f"{__file__}, line {_line_of('MARK-EXP', here)}" in note
    assert "y = x.exp()" in note

    with ag.detect_anomaly():
        z = (x * x).sum()  # MARK-MUL
        z.backward()
        with pytest.raises(RuntimeError, match="freed") as info:
            z.backward()
    assert f"line {_line_of('MARK-MUL', here)}" in _text(info.value)

    with ag.detect_anomaly():
        w = _Broken.apply(x)  # MARK-USER
        with pytest.raises(KeyError) as info:  # the type is kept
            w.sum().backward()
    assert info.value.args[0] == "a bug in a user Function"
    assert "_BrokenBackward" in _text(info.value) and "w = _Broken.apply(x)" in _text(info.value)

    w = _Broken.apply(x)  # anomaly mode off: the error as it was
    with pytest.raises(KeyError) as info:
        w.sum().backward()
    assert not getattr(info.value, "__notes__", None)


def test_the_note_goes_into_the_message_where_python_has_no_notes(monkeypatch):
    monkeypatch.setattr(anomaly, "_HAS_NOTES", False)  # Python 3.10
    x = ag.tensor([1.0], requires_grad=True)
    with ag.detect_anomaly():
        z = (x * x).sum()
        z.backward()
        with pytest.raises(RuntimeError) as info:
            z.backward()
    message = str(info.value)
    assert "its saved values were freed" in message.splitlines()[0]
    assert "z = (x * x).sum()" in message.splitlines()[-1]


def _compile_in(filename: str, source: str, **names):
    """Functions defined in ``source`` as if the file were ``filename`` (it need not exist)."""
    namespace = dict(names)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_the_line_is_the_users_even_through_the_ndgrad_package():
    train = _compile_in(os.path.join(NDGRAD_DIR, "_a_trainer.py"), "def train(x):\n    return x.sqrt().sum()\n")
    x = ag.zeros(2, requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(ag.AnomalyError) as info:
        train["train"](x).backward()  # MARK-TRAIN
    line = _line_of("MARK-TRAIN", "test_the_line_is_the_users_even_through_the_ndgrad_package")
    assert f"{__file__}, line {line}" in str(info.value)


def test_under_the_ndgrad_command_line_the_line_is_the_innermost_ndgrad_one():
    # `ndgrad train`: the only frames outside the library are the entry point's (the console
    # script, runpy), so the training loop's own line is the one to show.
    trainer = os.path.join(NDGRAD_DIR, "_a_trainer.py")
    train = _compile_in(trainer, "def train(x):\n    return x.sqrt().sum()\n")["train"]
    main = _compile_in(os.path.join(NDGRAD_DIR, "cli.py"), "def main(x):\n    return train(x)\n", train=train)["main"]
    x = ag.zeros(2, requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(ag.AnomalyError) as info:
        main(x).backward()
    assert f"{trainer}, line 2, in train" in str(info.value)


def test_scalars_report_inf_and_nan_gradients():
    x = Scalar(0.0)
    with ag.detect_anomaly(), np.errstate(all="ignore"):
        y = x.log()  # MARK-LOG
        with pytest.raises(ag.AnomalyError) as info:
            (y * 2.0).backward()
    message = str(info.value)
    assert "LogBackward" in message and "inf" in message and "input shapes [()]" in message
    assert f"line {_line_of('MARK-LOG', 'test_scalars_report_inf_and_nan_gradients')}" in message
