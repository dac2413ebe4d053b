"""Bad input: every misuse raises the right exception type (ValueError for shapes and sizes
that do not fit, IndexError for dims and indices out of range, TypeError for wrong types and
dtypes, RuntimeError for misuse of the graph) with a message naming the offending values."""

import numpy as np
import pytest

import autograd as ag


def leaf(*shape):
    return ag.zeros(*shape, requires_grad=True)


def assigned_requires_grad(t):
    t.requires_grad = True  # an attribute write: checked where the tensor first enters a graph
    return t


def assign_grad(t, grad):
    t.grad = grad


def check(exception, make, *fragments):
    """``make()`` raises ``exception`` whose message contains every fragment."""
    with pytest.raises(exception) as info:
        make()
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{message!r} does not name {missing}"


CASES = [
    # --- shapes that do not broadcast -----------------------------------------------------------
    ("add", ValueError, lambda: ag.ones(2, 3) + ag.ones(4), ["(2, 3)", "(4,)"]),
    ("mul grad", ValueError, lambda: leaf(2, 3) * ag.ones(3, 2), ["(2, 3)", "(3, 2)"]),
    ("sub", ValueError, lambda: ag.ones(5) - ag.ones(2, 3), ["(5,)", "(2, 3)"]),
    ("div", ValueError, lambda: ag.ones(2, 1, 3) / ag.ones(4, 2), ["(2, 1, 3)", "(4, 2)"]),
    ("pow", ValueError, lambda: ag.ones(3) ** ag.ones(2), ["(3,)", "(2,)"]),
    ("maximum", ValueError, lambda: ag.maximum(ag.ones(3), ag.ones(4)), ["(3,)", "(4,)"]),
    ("where", ValueError, lambda: ag.where(ag.ones(2) > 0, ag.ones(3), ag.ones(2)), ["(3,)", "(2,)"]),
    ("ndarray op", ValueError, lambda: np.ones((2, 2)) + leaf(3), ["(2, 2)", "(3,)"]),
    # --- matmul ---------------------------------------------------------------------------------
    ("matmul 2d", ValueError, lambda: ag.ones(2, 3) @ ag.ones(4, 5), ["(2, 3)", "(4, 5)", "3", "4"]),
    ("matmul 1d", ValueError, lambda: ag.ones(3) @ ag.ones(4), ["(3,)", "(4,)"]),
    ("matmul mat-vec", ValueError, lambda: ag.ones(2, 3) @ ag.ones(2), ["(2, 3)", "(2,)"]),
    ("matmul batch", ValueError, lambda: ag.ones(2, 2, 3) @ ag.ones(3, 3, 4), ["(2, 2, 3)", "(3, 3, 4)"]),
    ("matmul 0-d", ValueError, lambda: ag.ones(()) @ ag.ones(3), ["()", "(3,)"]),
    ("matmul fn", ValueError, lambda: ag.matmul(leaf(2, 3), leaf(2, 3)), ["(2, 3)"]),
    # --- dims out of range ------------------------------------------------------------------------
    ("sum dim", IndexError, lambda: ag.ones(2, 3).sum(2), ["dim 2", "2 dims"]),
    ("sum neg dim", IndexError, lambda: ag.ones(2, 3).sum(-3), ["dim -3", "2 dims"]),
    ("sum tuple dim", IndexError, lambda: ag.ones(2, 3).sum((0, 5)), ["dim 5"]),
    ("mean dim", IndexError, lambda: ag.ones(4).mean(1), ["dim 1", "1 dims"]),
    ("var dim", IndexError, lambda: ag.ones(2, 3).var(3), ["dim 3"]),
    ("prod dim", IndexError, lambda: ag.ones(2, 3).prod(-4), ["dim -4"]),
    ("max dim", IndexError, lambda: ag.ones(2, 3).max(2), ["dim 2"]),
    ("min dim", IndexError, lambda: ag.ones(2, 3).min(7), ["dim 7"]),
    ("argmax dim", IndexError, lambda: ag.ones(2, 3).argmax(2), ["dim 2"]),
    ("softmax dim", IndexError, lambda: ag.ones(2, 3).softmax(2), ["dim 2"]),
    ("log_softmax dim", IndexError, lambda: ag.ones(2, 3).log_softmax(-3), ["dim -3"]),
    ("logsumexp dim", IndexError, lambda: ag.ones(2, 3).logsumexp(3), ["dim 3"]),
    ("squeeze dim", IndexError, lambda: ag.ones(2, 1).squeeze(2), ["dim 2"]),
    ("unsqueeze dim", IndexError, lambda: ag.ones(2, 3).unsqueeze(4), ["dim 4"]),
    ("transpose dim", IndexError, lambda: ag.ones(2, 3).transpose(0, 2), ["dim 2"]),
    ("permute dim", IndexError, lambda: ag.ones(2, 3).permute(0, 3), ["dim 3"]),
    ("size dim", IndexError, lambda: ag.ones(2, 3).size(2), ["dim 2"]),
    ("flatten dim", IndexError, lambda: ag.ones(2, 3).flatten(0, 2), ["dim 2"]),
    ("cat dim", IndexError, lambda: ag.cat([ag.ones(2), ag.ones(2)], dim=1), ["dim 1"]),
    ("stack dim", IndexError, lambda: ag.stack([ag.ones(2), ag.ones(2)], dim=3), ["dim 3"]),
    ("split dim", IndexError, lambda: ag.ones(4).split(2, dim=1), ["dim 1"]),
    ("chunk dim", IndexError, lambda: ag.ones(4).chunk(2, dim=-2), ["dim -2"]),
    # --- dims of the wrong kind -------------------------------------------------------------------
    ("float dim", TypeError, lambda: ag.ones(2).sum(0.5), ["0.5"]),
    ("str dim", TypeError, lambda: ag.ones(2).softmax("0"), ["str", "'0'"]),
    ("repeated dim", ValueError, lambda: ag.ones(2, 3).sum((0, -2)), ["(0, -2)"]),
    ("permute repeat", ValueError, lambda: ag.ones(2, 3).permute(1, 1), ["(1, 1)", "(2, 3)"]),
    ("permute length", ValueError, lambda: ag.ones(2, 3, 4).permute(1, 0), ["(1, 0)", "(2, 3, 4)"]),
    # --- reshape, expand, split ---------------------------------------------------------------------
    ("reshape", ValueError, lambda: ag.ones(2, 3).reshape(4, 2), ["(2, 3)", "6", "(4, 2)"]),
    ("reshape -1", ValueError, lambda: ag.ones(2, 3).reshape(4, -1), ["(2, 3)", "(4, -1)"]),
    ("view", ValueError, lambda: leaf(5).view(2, 2), ["(5,)", "(2, 2)"]),
    ("reshape two -1", ValueError, lambda: ag.ones(4).reshape(-1, -1), ["(-1, -1)"]),
    ("reshape negative", ValueError, lambda: ag.ones(4).reshape(-2, -2), ["(-2, -2)"]),
    ("reshape float", TypeError, lambda: ag.ones(4).reshape(2.0, 2), ["2.0"]),
    ("expand", ValueError, lambda: ag.ones(2, 3).expand(4, 3), ["(2, 3)", "(4, 3)"]),
    ("expand fewer dims", ValueError, lambda: ag.ones(2, 3).expand(3), ["(3,)", "(2, 3)"]),
    ("expand -1 new dim", ValueError, lambda: ag.ones(3).expand(-1, 3), ["(3,)", "(-1, 3)", "size -1", "dim 0"]),
    ("expand negative", ValueError, lambda: ag.ones(3).expand(-2), ["(3,)", "(-2,)", "size -2"]),
    ("split sections", ValueError, lambda: ag.ones(5).split([2, 2]), ["[2, 2]", "5"]),
    ("split size", ValueError, lambda: ag.ones(5).split(0), ["0"]),
    ("chunk count", ValueError, lambda: ag.ones(5).chunk(0), ["0"]),
    ("split float", TypeError, lambda: ag.ones(3).split(1.5), ["1.5"]),
    ("split float sections", TypeError, lambda: ag.ones(3).split([1.5, 1.5]), ["[1.5, 1.5]"]),
    ("chunk float", TypeError, lambda: ag.ones(3).chunk(1.5), ["float", "1.5"]),
    ("flatten order", ValueError, lambda: ag.ones(2, 3, 4).flatten(2, 1), ["2", "1"]),
    ("mT of 1-D", ValueError, lambda: ag.ones(3).mT, ["(3,)"]),
    # --- cat and stack --------------------------------------------------------------------------------
    ("cat shapes", ValueError, lambda: ag.cat([ag.ones(2, 3), ag.ones(2, 4)]), ["(2, 3)", "(2, 4)", "tensor 1"]),
    ("cat ndim", ValueError, lambda: ag.cat([ag.ones(2, 3), ag.ones(3)], dim=1), ["(2, 3)", "(3,)"]),
    ("cat empty", ValueError, lambda: ag.cat([]), ["at least one"]),
    ("cat 0-d", ValueError, lambda: ag.cat([ag.tensor(1.0), ag.tensor(2.0)]), ["0-d"]),
    ("stack shapes", ValueError, lambda: ag.stack([ag.ones(2), leaf(3)]), ["(2,)", "(3,)", "tensor 1"]),
    ("stack empty", ValueError, lambda: ag.stack([]), ["at least one"]),
    ("cat of a tensor", TypeError, lambda: ag.cat(ag.ones(2, 3)), ["(2, 3)", "sequence"]),
    ("stack of a tensor", TypeError, lambda: ag.stack(ag.ones(2, 3)), ["(2, 3)", "sequence"]),
    # --- indexing ---------------------------------------------------------------------------------------
    ("index", IndexError, lambda: ag.ones(2, 3)[2], ["index 2", "size 2", "(2, 3)"]),
    ("negative index", IndexError, lambda: ag.ones(2, 3)[-3], ["index -3", "size 2"]),
    ("index dim 1", IndexError, lambda: ag.ones(2, 3)[:, 3], ["index 3", "dim 1", "size 3"]),
    ("index after ellipsis", IndexError, lambda: ag.ones(2, 3, 4)[..., 4], ["index 4", "dim 2", "size 4"]),
    ("array index", IndexError, lambda: leaf(4)[[0, 5, 1]], ["index 5", "size 4"]),
    ("tensor index", IndexError, lambda: ag.ones(4)[ag.tensor([-5, 0])], ["index -5", "size 4"]),
    ("too many indices", IndexError, lambda: ag.ones(2, 3)[0, 0, 0], ["3", "(2, 3)"]),
    ("index 0-d", IndexError, lambda: ag.tensor(1.0)[0], ["()"]),
    ("mask shape", IndexError, lambda: ag.ones(2, 3)[ag.tensor([True, False, True])], ["(3,)", "(2, 3)"]),
    ("mask 2-d", IndexError, lambda: ag.ones(2, 3)[np.ones((3, 2), dtype=bool)], ["(3, 2)", "(2, 3)"]),
    ("mask after slice", IndexError, lambda: ag.ones(2, 3)[:, np.array([True, False])], ["(2,)", "(2, 3)"]),
    ("float index", IndexError, lambda: ag.ones(3)[ag.tensor([0.0, 1.0])], ["float32"]),
    ("setitem index", IndexError, lambda: ag.ones(3).__setitem__(3, 1.0), ["index 3", "size 3"]),
    # --- dtypes -------------------------------------------------------------------------------------------
    ("requires_grad int", TypeError, lambda: ag.tensor([1, 2], requires_grad=True), ["int64"]),
    ("requires_grad bool", TypeError, lambda: ag.Tensor([True], requires_grad=True), ["bool"]),
    ("requires_grad zeros", TypeError, lambda: ag.zeros(2, dtype=ag.int32, requires_grad=True), ["int32"]),
    ("requires_grad_ int", TypeError, lambda: ag.arange(3).requires_grad_(), ["int64"]),
    ("requires_grad= int", TypeError, lambda: assigned_requires_grad(ag.tensor([1, 2])) * 2.5, ["int64"]),
    ("requires_grad= bool", TypeError, lambda: assigned_requires_grad(ag.tensor(True)).backward(), ["bool"]),
    ("mean int", TypeError, lambda: ag.arange(3).mean(), ["mean()", "int64"]),
    ("mean bool", TypeError, lambda: (ag.ones(2) > 0).mean(), ["mean()", "bool"]),
    ("var int", TypeError, lambda: ag.arange(3).var(), ["var()", "int64"]),
    ("std int", TypeError, lambda: ag.arange(3).std(0), ["std()", "int64"]),
    ("norm int", TypeError, lambda: ag.arange(3).norm(), ["norm()", "int64"]),
    ("grad dtype", TypeError, lambda: assign_grad(leaf(2), ag.ones(2, dtype=ag.float64)), ["float64", "float32"]),
    ("grad not a tensor", TypeError, lambda: assign_grad(leaf(2), np.ones(2)), ["ndarray"]),
    ("bad dtype", TypeError, lambda: ag.tensor([1.0], dtype="float99"), ["'float99'"]),
    ("string data", TypeError, lambda: ag.tensor(["a", "b"]), ["<U1"]),
    ("object data", TypeError, lambda: ag.tensor([{}, None]), ["object"]),
    ("where condition", TypeError, lambda: ag.where(ag.ones(2), ag.ones(2), ag.zeros(2)), ["float32"]),
    ("invert float", TypeError, lambda: ~ag.ones(2), ["float32"]),
    ("index with float", TypeError, lambda: [1, 2][ag.tensor(1.0)], ["float32"]),
    ("tensor + str", TypeError, lambda: leaf(2) + "a", ["(2,)"]),
    ("tensor * None", TypeError, lambda: ag.ones(2) * None, ["NoneType"]),
    ("tensor @ str", TypeError, lambda: ag.ones(2) @ "ab", ["(2,)"]),
    ("max of tensor", TypeError, lambda: ag.ones(2).max(ag.ones(2)), ["maximum"]),
    # --- sizes ----------------------------------------------------------------------------------------------
    ("item", ValueError, lambda: ag.ones(2, 2).item(), ["(2, 2)", "4 elements"]),
    ("float()", ValueError, lambda: float(ag.ones(3)), ["(3,)"]),
    ("bool", ValueError, lambda: bool(ag.ones(2)), ["(2,)"]),
    ("len 0-d", TypeError, lambda: len(ag.tensor(1.0)), ["0-d"]),
    ("iter 0-d", TypeError, lambda: iter(ag.tensor(1.0)), ["0-d"]),
    ("zeros negative", ValueError, lambda: ag.zeros(2, -1), ["(2, -1)"]),
    ("randn negative", ValueError, lambda: ag.randn(-3), ["(-3,)"]),
    ("zeros float", TypeError, lambda: ag.zeros(2.5), ["2.5"]),
    ("arange step", ValueError, lambda: ag.arange(0, 5, 0), ["step"]),
    ("linspace steps", ValueError, lambda: ag.linspace(0, 1, -2), ["-2"]),
    ("linspace float steps", TypeError, lambda: ag.linspace(0, 1, 2.5), ["steps", "2.5"]),
    ("eye negative", ValueError, lambda: ag.eye(-1), ["n", "-1"]),
    ("eye float", TypeError, lambda: ag.eye(2.5), ["n", "2.5"]),
    ("eye negative m", ValueError, lambda: ag.eye(2, -3), ["m", "-3"]),
    ("randint empty range", ValueError, lambda: ag.randint(5, 3, (2,)), ["low=5", "high=3"]),
    ("randint high 0", ValueError, lambda: ag.randint(0, size=(2,)), ["low=0", "high=0"]),
    ("grad shape", ValueError, lambda: assign_grad(leaf(2), ag.ones(3)), ["(3,)", "(2,)"]),
    ("max along an empty dim", ValueError, lambda: ag.ones(3, 0).max(1), ["dim 1", "(3, 0)"]),
    ("argmin along an empty dim", ValueError, lambda: ag.ones(0, 2).argmin(0), ["dim 0", "(0, 2)"]),
    ("amax along an empty dim", ValueError, lambda: ag.ones(2, 0).amax(-1), ["dim 1", "(2, 0)"]),
    ("max empty", ValueError, lambda: ag.zeros(0).max(), ["(0,)"]),
    ("argmin empty", ValueError, lambda: ag.zeros(2, 0).argmin(), ["(2, 0)"]),
    ("clamp", ValueError, lambda: ag.ones(2).clamp(), ["min", "max"]),
    # --- in-place ops that do not fit -------------------------------------------------------------------
    ("add_ shape", ValueError, lambda: ag.ones(3).add_(ag.ones(4)), ["(3,)", "(4,)"]),
    ("mul_ grows", ValueError, lambda: ag.ones(3).mul_(ag.ones(2, 3)), ["(3,)", "(2, 3)"]),
    ("sub_ dtype", TypeError, lambda: ag.arange(3).sub_(ag.ones(3)), ["int64", "float32"]),
    ("copy_ shape", ValueError, lambda: ag.ones(3).copy_(ag.ones(4)), ["(4,)", "(3,)"]),
    ("setitem value", ValueError, lambda: ag.ones(2, 3).__setitem__(0, ag.ones(4)), ["(2, 3)", "(4,)"]),
    ("recorded setitem", ValueError, lambda: (leaf(2, 3) * 1).__setitem__(0, ag.ones(4)), ["(4,)"]),
]


@pytest.mark.parametrize(
    ("name", "exception", "make", "fragments"), CASES, ids=[getattr(c, "values", c)[0] for c in CASES]
)
def test_bad_input(name, exception, make, fragments):
    check(exception, make, *fragments)


# --- misuse of the graph -----------------------------------------------------------------------------


def test_backward_on_a_tensor_that_does_not_require_grad():
    check(RuntimeError, lambda: ag.ones(2, 3).sum().backward(), "does not require grad", "()")
    check(RuntimeError, lambda: ag.ones(2, 3).backward(ag.ones(2, 3)), "does not require grad", "(2, 3)")
    with ag.no_grad():
        y = (leaf(2) * 2).sum()
    check(RuntimeError, y.backward, "does not require grad")


def test_backward_on_a_non_scalar_without_gradient():
    check(RuntimeError, lambda: (leaf(2, 3) * 2).backward(), "(2, 3)", "gradient")


def test_gradient_argument_of_the_wrong_shape():
    y = leaf(2, 3) * 2
    check(RuntimeError, lambda: y.backward(ag.ones(3, 2)), "(3, 2)", "(2, 3)")
    check(RuntimeError, lambda: y.backward(np.ones(6)), "(6,)", "(2, 3)")
    check(RuntimeError, lambda: ag.grad(y, y, grad_outputs=ag.ones(3)), "(3,)", "(2, 3)")


def test_grad_misuse():
    x, y = leaf(2), ag.ones(2)
    out = (x * 2).sum()
    check(RuntimeError, lambda: ag.grad(out, [x, y]), "input 1", "(2,)", "does not require grad")
    check(RuntimeError, lambda: ag.grad(ag.ones(2).sum(), x), "output 0", "does not require grad")
    check(RuntimeError, lambda: ag.grad([out], [x], grad_outputs=[None, None]), "2 gradients", "1 outputs")
    check(RuntimeError, lambda: ag.grad((x * 2), x), "(2,)")


def test_hooks_and_retain_grad_need_requires_grad():
    check(RuntimeError, lambda: ag.ones(2).register_hook(lambda g: g), "does not require grad")
    check(RuntimeError, lambda: ag.ones(2).retain_grad(), "does not require grad")


def test_a_hook_must_be_callable():
    check(TypeError, lambda: leaf(2).register_hook(3), "int", "3")
    check(TypeError, lambda: (leaf(2) * 2).register_hook("g"), "str", "'g'")


def test_requires_grad_assigned_on_an_integer_tensor_gives_no_gradient():
    t = assigned_requires_grad(ag.tensor([1, 2]))
    check(TypeError, lambda: (t * 2.5).sum().backward(), "int64")
    check(TypeError, lambda: ag.grad(t.sum(), t), "int64")
    assert t.grad is None
    with ag.no_grad():  # nothing is recorded, so nothing is wrong
        assert (t * 2).tolist() == [2, 4]


def test_requires_grad_false_on_a_non_leaf():
    check(RuntimeError, lambda: (leaf(2) * 2).requires_grad_(False), "non-leaf", "MulBackward", "detach")


def test_numpy_of_a_tensor_that_requires_grad():
    check(RuntimeError, lambda: leaf(2).numpy(), "detach")


def test_inplace_on_a_leaf_that_requires_grad():
    check(RuntimeError, lambda: leaf(2, 2).mul_(2.0), "mul_", "leaf", "(2, 2)", "no_grad")


def test_second_backward_through_freed_buffers():
    y = (leaf(2).exp() * 3).sum()
    y.backward()
    check(RuntimeError, y.backward, "ExpBackward", "retain_graph=True")


def test_using_a_value_modified_in_place():
    h = leaf(3) * 1.0
    y = h.cos()
    h.add_(1.0)
    check(RuntimeError, lambda: y.sum().backward(), "CosBackward", "(3,)", "version 0", "1 now")


# --- user-defined Functions that break the contract ---------------------------------------------------


class TwoGradsForOneInput(ag.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        return g, g


class WrongShapeGrad(ag.Function):
    @staticmethod
    def forward(ctx, a):
        return a.sum()

    @staticmethod
    def backward(ctx, g):
        return ag.ones(5)


class ForwardFails(ag.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b


def test_user_function_contract_errors():
    check(RuntimeError, lambda: TwoGradsForOneInput.apply(leaf(2)).sum().backward(),
          "TwoGradsForOneInput", "returned 2", "1 positional")
    check(RuntimeError, lambda: WrongShapeGrad.apply(leaf(2, 3)).backward(), "(5,)", "(2, 3)")
    check(TypeError, lambda: TwoGradsForOneInput.apply(2.0), "TwoGradsForOneInput", "float")
    check(ValueError, lambda: ForwardFails.apply(leaf(2), leaf(3)), "ForwardFails", "(2,)", "(3,)")
