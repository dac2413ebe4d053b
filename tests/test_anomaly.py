"""Anomaly detection: the first NaN/inf gradient names the op, its shapes and the user's line."""

import inspect

import numpy as np
import pytest

import autograd as ag


def _line_of(marker: str) -> int:
    source, start = inspect.getsourcelines(_line_of.__globals__["test_first_nan_gradient_names_user_line"])
    return start + next(i for i, line in enumerate(source) if marker in line)


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
