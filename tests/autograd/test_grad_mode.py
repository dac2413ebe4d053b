"""Grad modes as decorators, the way torch 2.x accepts them: without parentheses, called on a
function, and on generator functions, whose body runs in the mode while the code consuming
the generator keeps its own. (Context managers and thread-locality: test_engine.py.)"""

import pytest

import autograd as ag


def leaf():
    return ag.tensor([1.0], requires_grad=True)


def test_bare_decorators():
    @ag.no_grad
    def frozen(t, scale=2.0):
        return t * scale, ag.is_grad_enabled()

    @ag.enable_grad
    def tracked(t):
        return t * 2

    y, enabled = frozen(leaf(), scale=3.0)
    assert not y.requires_grad and not enabled and y.tolist() == [3.0]
    assert frozen.__name__ == "frozen"
    with ag.no_grad():
        assert tracked(leaf()).requires_grad
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_a_mode_called_on_a_function():
    assert ag.no_grad(ag.is_grad_enabled)() is False
    with ag.no_grad():
        assert ag.enable_grad(ag.is_grad_enabled)() is True
    assert ag.is_grad_enabled()


# Made in the test: set_grad_enabled(False) switches the mode as soon as it is called.
DECORATORS = {
    "no_grad": (lambda: ag.no_grad, False),
    "no_grad()": (lambda: ag.no_grad(), False),
    "set_grad_enabled(False)": (lambda: ag.set_grad_enabled(False), False),
    "enable_grad": (lambda: ag.enable_grad, True),
}


@pytest.mark.parametrize(("make", "mode"), DECORATORS.values(), ids=DECORATORS.keys())
def test_generator_bodies_run_in_the_mode(make, mode):
    @make()
    def steps():
        received = yield ag.is_grad_enabled()
        yield received, ag.is_grad_enabled(), (leaf() * 2).requires_grad
        return "done"

    with ag.set_grad_enabled(not mode):
        gen = steps()
        assert next(gen) is mode
        assert ag.is_grad_enabled() is (not mode)  # the consumer's mode between steps
        assert gen.send("sent") == ("sent", mode, mode)
        with pytest.raises(StopIteration) as stop:
            next(gen)
        assert stop.value.value == "done"
        assert ag.is_grad_enabled() is (not mode)
    assert ag.is_grad_enabled()


def test_generators_see_throw_and_close_in_the_mode():
    seen = []

    @ag.no_grad
    def steps():
        try:
            yield 1
        except ValueError:
            seen.append(("throw", ag.is_grad_enabled()))
        try:
            yield 2
        finally:
            seen.append(("close", ag.is_grad_enabled()))

    gen = steps()
    next(gen)
    assert gen.throw(ValueError()) == 2
    gen.close()
    assert seen == [("throw", False), ("close", False)]
    assert ag.is_grad_enabled()
    assert list(steps()) == [1, 2]


def test_decorating_something_that_is_not_a_function():
    with pytest.raises(TypeError, match="int 3"):
        ag.no_grad(3)
    with pytest.raises(TypeError, match="str 'f'"):
        ag.enable_grad()("f")
    with pytest.raises(TypeError, match="takes a bool"):
        ag.set_grad_enabled(ag.is_grad_enabled)
    assert ag.is_grad_enabled()
