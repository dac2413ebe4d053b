"""Fuzzing the engine with two hypothesis state machines.

``EngineFuzzer`` applies random ops to random tensors (float16, float32, float64, int32,
int64 and bool; 0-d, zero-size and broadcast shapes; dims, sizes and indices that are often
out of range; arrays and numbers on either side; values that are not real numbers) under a
random grad mode, with detach, in-place ops, hooks, retain_grad and repeated backward calls.
Besides its own rules, it runs every line of ``autograd/op_table.py`` (rule ``table``), so a
new op there is fuzzed too. Every step must either match a NumPy reference of the op (in
torch's result dtype) or raise TypeError, ValueError, IndexError or RuntimeError with a message that
names the values it got; anything else (AttributeError, KeyError, ZeroDivisionError, an
assertion, a NumPy exception type, a bare NumPy message) is a bug. Each tensor carries a
*recipe*: the NumPy computation that leads to it from the leaves. Every backward is
checked against central finite differences of the root's recipe, in float64.

``ReferenceBackprop`` builds random DAGs with shared nodes and multi-output ops in float64
and compares the engine's gradients (``backward``, ``autograd.grad``, ``create_graph``)
with a naive recursive chain rule written here: every path from the root to a leaf is
walked on its own, with NumPy derivative rules, no topological order, no dependency count.

CI runs a short, derandomized search. ``NDGRAD_FUZZ_EXAMPLES=2000`` runs 2000 fresh random
programs of each machine, each up to 60 steps long (``--hypothesis-seed=N`` picks other ones).
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import autograd as ag
from autograd import Tensor, testing
from autograd.op_table import CASES, np_sum_to_shape, reduced_shapes
from autograd.testing import _kwargs_strategy, _per_input, _shape_list

# NaN and inf are values like any other here (log of a negative, 0 / 0): the references
# produce the same ones, and compare them.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

FUZZ_EXAMPLES = int(os.environ.get("NDGRAD_FUZZ_EXAMPLES", "0"))
LONG = FUZZ_EXAMPLES > 0
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES or 40,
    stateful_step_count=60 if LONG else 30,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    **({"derandomize": False} if LONG else {}),
)

DOCUMENTED = (TypeError, ValueError, IndexError, RuntimeError)
OUR_PACKAGES = ("autograd", "nn", "optim", "builtins")
NICE_VALUES = [0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0]  # zeros and ties find kinks and tie rules
SCALARS = [0, 1, 2, -1, 0.5, -2.0, 3.0]
SIDES = [2, 3, 1, 2, 3, 1, 0]  # about one dim in seven is empty


def assert_documented(error: BaseException, fragments: Sequence[str], where: str) -> None:
    """``error`` is one of the documented types, raised by us, with a message naming a value."""
    kind = type(error)
    assert isinstance(error, DOCUMENTED) and kind.__module__.split(".")[0] in OUR_PACKAGES, (
        f"{where}: internal error {kind.__module__}.{kind.__name__}: {error}"
    )
    message = str(error)
    assert message.strip(), f"{where}: {kind.__name__} with an empty message"
    assert any(f in message for f in fragments if f), (
        f"{where}: {kind.__name__}({message!r}) names none of the values involved: {list(fragments)}"
    )


def describe(*values: Any) -> list[str]:
    """The strings an error message may use to name ``values``: shapes, dtypes, numbers."""
    out: list[str] = []
    for v in values:
        if isinstance(v, (Tensor, np.ndarray)):
            out += [str(tuple(v.shape)), str(v.dtype)]
        elif isinstance(v, (list, tuple)):
            out += [str(v), str(tuple(v)), *describe(*v)]
        elif v is not None and v is not Ellipsis and not isinstance(v, slice):
            out.append(str(v))
    return out


# --- recipes: the NumPy reference of every value -------------------------------------------------


class Probe:
    """What a recipe evaluation learns about its neighbourhood: how close any op came to a
    kink or a singularity (where finite differences mean nothing) and how large values got."""

    def __init__(self, fd: bool) -> None:
        self.fd = fd  # evaluating for finite differences: float casts keep float64
        self.margin = np.inf
        self.largest = 0.0

    def kink(self, distance: Any) -> None:
        d = np.asarray(distance, dtype=np.float64)
        if self.fd and d.size:
            self.margin = min(self.margin, float(np.nan_to_num(np.min(d), nan=0.0)))

    def singular(self, x: Any) -> None:
        # 1/x, log x, sqrt x: curvature explodes near 0, so finite differences need a wide berth.
        self.kink(np.abs(np.asarray(x, dtype=np.float64)) / 50.0)

    def see(self, value: Any) -> None:
        if isinstance(value, tuple):
            return  # a multi-output op: each output is seen where it is picked
        v = np.asarray(value)
        if self.fd and v.size and v.dtype.kind in "fc":
            self.largest = max(self.largest, float(np.max(np.abs(v))) if np.isfinite(v).all() else np.inf)


VALUE_PROBE = Probe(fd=False)


class Recipe:
    """A leaf (a variable of the finite differences), a constant, or ``fn`` of other recipes.

    ``tainted``: the tensor's memory was changed behind the graph's back (an unrecorded
    in-place op on it or on memory it shares), so no recipe describes it. ``overwritten``:
    the value was later changed in place, so a backward that needs it may refuse.
    """

    __slots__ = ("dtype", "fn", "inputs", "is_leaf", "overwritten", "recorded", "tainted", "tensor", "value")

    def __init__(self, dtype: np.dtype, fn: Callable[..., Any] | None = None, inputs: Sequence[Recipe] = (),
                 value: Any = None, tensor: Tensor | None = None, recorded: bool = False) -> None:
        self.fn, self.inputs, self.value, self.dtype = fn, tuple(inputs), value, dtype
        self.is_leaf = tensor is not None and fn is None
        self.tensor = tensor
        self.tainted = False
        self.overwritten = False
        self.recorded = recorded

    @classmethod
    def leaf(cls, t: Tensor) -> Recipe:
        return cls(t.dtype, value=t.detach().numpy().astype(np.float64), tensor=t)

    @classmethod
    def const(cls, t: Tensor) -> Recipe:
        return cls(t.dtype, value=np.array(t.detach().numpy(), copy=True))

    @classmethod
    def broken(cls, was: Recipe) -> Recipe:
        r = cls(was.dtype, inputs=(was,))
        r.tainted = True
        return r


def subgraph(root: Recipe) -> list[Recipe]:
    seen: dict[int, Recipe] = {}
    stack = [root]
    while stack:
        r = stack.pop()
        if id(r) not in seen:
            seen[id(r)] = r
            stack.extend(r.inputs)
    return list(seen.values())


def evaluate(root: Recipe, probe: Probe, overrides: dict[int, np.ndarray], memo: dict[int, Any] | None = None) -> Any:
    """The value of ``root`` (``memo`` collects every value on the way)."""
    memo = {} if memo is None else memo
    memo.update(overrides)

    def value(r: Recipe) -> Any:
        if id(r) not in memo:
            if r.fn is None:
                memo[id(r)] = r.value
            else:
                out = r.fn(*[value(i) for i in r.inputs], probe)
                probe.see(out)
                memo[id(r)] = out
        return memo[id(r)]

    return value(root)


class UnmeasurableError(Exception):
    """Finite differences stepped onto NaN or inf: the gradient there cannot be checked."""


def fd_gradient(root: Recipe, weights: np.ndarray, target: Recipe, base: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d sum(weights * root) / d target, by central differences with ``target`` overridden."""
    grad = np.zeros(base.shape)
    flat = grad.reshape(-1)
    for i in range(base.size):
        values = []
        for step in (eps, -eps):
            moved = np.array(base, dtype=np.float64, order="C", copy=True)  # base may be a broadcast view
            moved.flat[i] += step
            out = evaluate(root, Probe(fd=True), {id(target): moved})
            values.append(float(np.sum(weights * np.asarray(out, dtype=np.float64))))
        flat[i] = (values[0] - values[1]) / (2 * eps)
    if not np.isfinite(grad).all():
        raise UnmeasurableError
    return grad


# --- the NumPy references of the ops, with torch's rules for dims ------------------------------------


def norm_dim(dim: Any, ndim: int) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"dim {dim}")
    return int(dim) % n if ndim else 0


def norm_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = {norm_dim(d, ndim) for d in dims}
    if len(axes) != len(dims):
        raise ValueError("repeated dim")
    return tuple(sorted(axes)) if ndim else ()


def ref_max(x: np.ndarray, dim: Any, keepdim: bool, probe: Probe, pick: str) -> Any:
    # Each slice reduced needs an element; other empty dims give empty results, as in torch.
    if x.size == 0 and (dim is None or x.shape[norm_dim(dim, x.ndim)] == 0):
        raise ValueError("empty")
    reduce, arg = (np.max, np.argmax) if pick == "max" else (np.min, np.argmin)
    # Ties follow a rule (split evenly, or all to the first index) that finite differences
    # cannot see, so a tie, like a near tie, is a kink.
    if dim is None:
        if probe.fd and x.size > 1:
            s = np.sort(x.reshape(-1))
            probe.kink(s[-1] - s[-2] if pick == "max" else s[1] - s[0])
        return reduce(x)
    axis = norm_dim(dim, x.ndim)
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    if probe.fd and x.shape[axis] > 1:
        s = np.sort(x, axis=axis)
        ends = np.take(s, [-1, -2] if pick == "max" else [0, 1], axis=axis)
        probe.kink(np.abs(np.take(ends, 0, axis=axis) - np.take(ends, 1, axis=axis)))
    return reduce(x, axis=axis, keepdims=keepdim), arg(x, axis=axis, keepdims=keepdim).astype(np.int64)


def ref_logsumexp(x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
    m = x if x.ndim == 0 else np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((), x.dtype)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axis=axes))


def ref_softmax(x: np.ndarray, dim: Any, log: bool) -> np.ndarray:
    axis = norm_dim(dim, x.ndim)
    y = x.reshape(1) if x.ndim == 0 else x
    shifted = y - (np.max(y, axis=axis, keepdims=True) if y.size else np.zeros((), y.dtype))
    if log:
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    else:
        e = np.exp(shifted)
        out = e / np.sum(e, axis=axis, keepdims=True)
    return out.reshape(x.shape)


def ref_reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError("bad shape")
    return x.reshape(shape)


def ref_expand(x: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    lead = len(sizes) - x.ndim
    if lead < 0 or any(s < 0 for s in sizes[:lead]) or any(s < -1 for s in sizes):
        raise ValueError("bad sizes")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise ValueError("cannot expand")
    return np.broadcast_to(x, shape)


def ref_split(x: np.ndarray, sizes: Any, dim: int) -> tuple[np.ndarray, ...]:
    if x.ndim == 0:
        raise ValueError("0-d")
    axis = norm_dim(dim, x.ndim)
    n = x.shape[axis]
    if isinstance(sizes, int):
        if sizes <= 0:
            raise ValueError("size")
        sizes = [min(sizes, n - i) for i in range(0, n, sizes)] or [0]
    elif sum(sizes) != n or any(s < 0 for s in sizes):
        raise ValueError("sections")
    bounds = np.cumsum([0, *sizes])
    return tuple(np.take(x, np.arange(bounds[i], bounds[i + 1]), axis=axis) for i in range(len(sizes)))


def ref_chunk(x: np.ndarray, chunks: int, dim: int) -> tuple[np.ndarray, ...]:
    if chunks <= 0:
        raise ValueError("chunks")
    if x.ndim == 0:
        raise ValueError("0-d")
    n = x.shape[norm_dim(dim, x.ndim)]
    return ref_split(x, max(-(-n // chunks), 1), dim)


def ref_unbind(x: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    if x.ndim == 0:
        raise ValueError("0-d")
    return tuple(np.moveaxis(x, norm_dim(dim, x.ndim), 0))


def ref_squeeze(x: np.ndarray, dim: Any) -> np.ndarray:
    if dim is None:
        return x.reshape(tuple(n for n in x.shape if n != 1))
    axes = norm_dims(dim, x.ndim) or ()
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def ref_flatten(x: np.ndarray, start: int, end: int) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    s, e = norm_dim(start, x.ndim), norm_dim(end, x.ndim)
    if s > e:
        raise ValueError("order")
    return x.reshape(x.shape[:s] + (int(np.prod(x.shape[s : e + 1])),) + x.shape[e + 1 :])


def ref_permute(x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
    axes = tuple(norm_dim(d, x.ndim) for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError("not a permutation")
    return np.transpose(x, axes)


def ref_transpose(x: np.ndarray, a: int, b: int) -> np.ndarray:
    a, b = norm_dim(a, x.ndim), norm_dim(b, x.ndim)
    return np.swapaxes(x, a, b) if x.ndim else x


def ref_movedim(x: np.ndarray, a: int, b: int) -> np.ndarray:
    a, b = norm_dim(a, x.ndim), norm_dim(b, x.ndim)
    return np.moveaxis(x, a, b) if x.ndim else x


def ref_cat(arrays: Sequence[np.ndarray], dim: int) -> np.ndarray:
    if not arrays or arrays[0].ndim == 0:
        raise ValueError("cat")
    return np.concatenate(arrays, axis=norm_dim(dim, arrays[0].ndim))


def ref_stack(arrays: Sequence[np.ndarray], dim: int) -> np.ndarray:
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError("shapes")
    return np.stack(arrays, axis=norm_dim(dim, arrays[0].ndim + 1))


def ref_var(x: np.ndarray, dim: Any, correction: int, keepdim: bool) -> np.ndarray:
    axes = norm_dims(dim, x.ndim)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    mean = np.sum(x, axis=axes, keepdims=True) * (1.0 / n if n else np.nan)
    centered = x - mean
    return np.sum(centered * centered, axis=axes, keepdims=keepdim) / max(n - correction, 0)


def ref_mean(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    axes = norm_dims(dim, x.ndim)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    return np.sum(x, axis=axes, keepdims=keepdim) * (1.0 / n if n else np.nan)


def ref_prod(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    if x.ndim == 0:
        if dim is not None:
            norm_dim(dim, 0)
        return np.prod(x.reshape(1), axis=0)
    return np.prod(x, axis=None if dim is None else norm_dim(dim, x.ndim), keepdims=keepdim)


def ref_clamp(x: np.ndarray, lo: Any, hi: Any, probe: Probe) -> np.ndarray:
    if lo is None and hi is None:
        raise ValueError("clamp")
    if probe.fd:  # where x meets a bound, and where the bounds cross (then every element is hi)
        for a, b in ((x, lo), (x, hi), (lo, hi)):
            if a is not None and b is not None:
                probe.kink(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))
    return np.clip(x, lo, hi)


def ref_amax(x: np.ndarray, dim: Any, keepdim: bool, probe: Probe, pick: str = "max") -> np.ndarray:
    axes = norm_dims(dim, x.ndim)
    if any(x.shape[a] == 0 for a in axes or ()) or ((axes is None or x.ndim == 0) and x.size == 0):
        raise ValueError("nothing to reduce")
    if probe.fd and x.size:  # ties split the gradient evenly, which finite differences cannot see
        kept = [i for i in range(x.ndim) if axes is not None and i not in axes]
        rows = np.sort(np.transpose(x, kept + [i for i in range(x.ndim) if i not in kept]).reshape(
            [x.shape[i] for i in kept] + [-1]), axis=-1)
        if rows.shape[-1] > 1:
            probe.kink(rows[..., -1] - rows[..., -2] if pick == "max" else rows[..., 1] - rows[..., 0])
    return (np.max if pick == "max" else np.min)(x, axis=axes, keepdims=keepdim)


def ref_norm(x: np.ndarray, p: Any, dim: Any, keepdim: bool, probe: Probe) -> np.ndarray:
    if x.dtype.kind != "f":
        raise TypeError("norm of integers")
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(p)
        p = 2  # the Frobenius norm: the 2-norm of the elements
    if not p > 0:
        raise ValueError("p")
    a = np.abs(x)
    if p != 2:
        probe.kink(a)
    if p == math.inf:
        return ref_amax(a, dim, keepdim, probe)
    out = np.sum(a**p, axis=norm_dims(dim, x.ndim), keepdims=keepdim) ** (1.0 / p)
    probe.kink(out)  # a zero vector: the norm's kink
    return out


def ref_product(op: str, x: np.ndarray, y: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    if op == "dot":
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("dot")
        return np.dot(x, y)
    if op == "mm":
        if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0]:
            raise ValueError("mm")
        return np.matmul(x, y)
    if y.ndim != 2 or x.ndim == 0 or x.shape[-1] != y.shape[1] or (b is not None and b.shape != (y.shape[0],)):
        raise ValueError("linear")
    out = np.matmul(x, y.T)
    return out if b is None else out + b


def ref_sum_to_shape(x: np.ndarray, target: Any) -> np.ndarray:
    if not isinstance(target, (tuple, list)):
        raise TypeError("not a shape")
    if any(n < 0 for n in target):
        raise ValueError("negative size")
    lead = x.ndim - len(target)
    if lead < 0 or any(t != 1 and t != n for t, n in zip(target, x.shape[lead:])):
        raise ValueError("does not broadcast")
    return np_sum_to_shape(x, tuple(target))


def ref_index(index: Any, shape: tuple[int, ...]) -> Any:
    """``index`` for NumPy, checked as torch checks it: every integer in range for its dim,
    even where NumPy lets it pass (an integer array broadcast against an empty one)."""
    items = index if type(index) is tuple else (index,)
    items = tuple(i.detach().numpy() if isinstance(i, Tensor)
                  else np.asarray(i, np.int64) if isinstance(i, list) and not i else i for i in items)
    arrays = [np.asarray(i) if not isinstance(i, slice) and i is not None and i is not Ellipsis else i for i in items]
    consumed = sum(a.ndim if isinstance(a, np.ndarray) and a.dtype == bool else 1
                   for a in arrays if a is not None and a is not Ellipsis)
    dim = 0
    for a in arrays:
        if a is Ellipsis:
            dim += len(shape) - consumed
        elif isinstance(a, np.ndarray) and a.dtype == bool:
            if a.shape != shape[dim : dim + a.ndim]:
                raise IndexError("mask shape")
            dim += a.ndim
        elif a is not None:
            if isinstance(a, np.ndarray) and dim < len(shape) and a.size:
                if a.max() >= shape[dim] or a.min() < -shape[dim]:
                    raise IndexError("out of range")
            dim += 1
    return items if type(index) is tuple else items[0]


def torch_steps(index: Any, ndim: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A checked index (``ref_index``) as torch applies it: its ints first, as selects with every
    other dim whole, then the rest as NumPy reads it (``x[first][rest]``; ``first`` ends in an
    ellipsis, so that ``x[first]`` is a view even when it selects a single element)."""
    items = index if type(index) is tuple else (index,)
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("two ellipses")

    def is_int(i: Any) -> bool:
        if isinstance(i, np.ndarray):
            return i.ndim == 0 and i.dtype.kind in "iu"
        return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))

    def taken(i: Any) -> int:
        if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)):
            return 0
        a = np.asarray(i) if isinstance(i, list) else i
        return a.ndim if isinstance(a, np.ndarray) and a.dtype == bool else 1

    free = ndim - sum(taken(i) for i in items)
    expanded = [s for i in items for s in ([slice(None)] * free if i is Ellipsis else [i])]
    first = tuple(s for i in expanded for s in ([int(i)] if is_int(i) else [slice(None)] * taken(i)))
    return (*first, Ellipsis), tuple(i for i in expanded if not is_int(i))


def ref_getitem(x: np.ndarray, index: Any) -> np.ndarray:
    first, rest = torch_steps(ref_index(index, x.shape), x.ndim)
    return x[first][rest]


# --- torch's dtype rule, as the reference of every op that mixes dtypes -----------------------------

CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating
FLOATING = "floating"  # an op defined on floats only: integer and bool inputs become float32


def torch_dtype(*operands: Any, floating: bool = False) -> np.dtype | None:
    """The dtype torch gives an elementwise op's result. Operands fall in three groups: arrays
    with dims, 0-d arrays, Python numbers (a float counts as float32, an int as int64). The
    first group decides, unless a later one has a higher category; within a group, the
    wider type wins."""
    groups: list[np.dtype | None] = [None, None, None]
    for x in operands:
        if isinstance(x, (bool, int, float)):
            d, g = np.dtype(np.bool_ if isinstance(x, bool) else np.int64 if isinstance(x, int) else np.float32), 2
        elif isinstance(x, np.ndarray) and x.dtype.kind in CATEGORY:
            d, g = x.dtype, (0 if x.ndim else 1)
        else:
            continue
        before = groups[g]
        if before is None or CATEGORY[d.kind] > CATEGORY[before.kind]:
            groups[g] = d
        elif CATEGORY[d.kind] == CATEGORY[before.kind]:
            groups[g] = np.promote_types(before, d)
    result = None
    for d in groups:
        if d is not None and (result is None or CATEGORY[d.kind] > CATEGORY[result.kind]):
            result = d
    if floating and result is not None and result.kind != "f":
        return np.dtype(np.float32)
    return result


def promoting(ref: Callable[..., Any], extra: Any = (), limit: int | None = None) -> Callable[..., Any]:
    """``ref(*arrays, probe)`` computed in the dtype torch gives the result: the arrays (the first
    ``limit`` of them; the rest are not operands) are cast to it first, with the numbers in
    ``extra`` taking part in the rule. ``extra`` may be FLOATING. Finite differences keep float64."""
    floating = extra == FLOATING
    numbers = () if floating else tuple(extra)

    def reference(*args: Any) -> Any:
        *xs, probe = args
        n = len(xs) if limit is None else limit
        dtype = torch_dtype(*xs[:n], *numbers, floating=floating)
        if dtype is not None:
            if probe.fd and dtype.kind == "f":
                dtype = np.dtype(np.float64)
            xs[:n] = [x.astype(dtype) if isinstance(x, np.ndarray) else x for x in xs[:n]]
        return ref(*xs, probe)

    return reference


UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray, Probe], np.ndarray]]] = {
    "neg": (lambda t: -t, lambda x, p: -x),
    "exp": (lambda t: t.exp(), promoting(lambda x, p: np.exp(x), FLOATING)),
    "log": (lambda t: t.log(), promoting(lambda x, p: (p.singular(x), np.log(x))[1], FLOATING)),
    "sqrt": (lambda t: t.sqrt(), promoting(lambda x, p: (p.singular(x), np.sqrt(x))[1], FLOATING)),
    "abs": (lambda t: t.abs(), lambda x, p: (p.kink(np.abs(x)), np.abs(x))[1]),
    "sin": (lambda t: t.sin(), promoting(lambda x, p: np.sin(x), FLOATING)),
    "cos": (lambda t: ag.cos(t), promoting(lambda x, p: np.cos(x), FLOATING)),
    "tanh": (lambda t: t.tanh(), promoting(lambda x, p: np.tanh(x), FLOATING)),
    "sigmoid": (lambda t: t.sigmoid(), promoting(lambda x, p: 1.0 / (1.0 + np.exp(-x)), FLOATING)),
    "relu": (lambda t: t.relu(), lambda x, p: (p.kink(np.abs(x)), np.maximum(x, 0))[1]),
    "clone": (lambda t: t.clone(), lambda x, p: np.array(x, copy=True)),
    "square": (lambda t: t**2, promoting(lambda x, p: x**2, (2,))),
    "cube": (lambda t: ag.pow(t, 3), promoting(lambda x, p: x**3, (3,))),
    "rsqrt": (lambda t: t**-0.5, promoting(lambda x, p: (p.singular(x), x**-0.5)[1], (-0.5,))),
    "reciprocal": (lambda t: 1 / t, promoting(lambda x, p: (p.singular(x), 1 / x)[1], FLOATING)),
    "exp2": (lambda t: 2.0**t, promoting(lambda x, p: 2.0**x, (2.0,))),
    "pos": (lambda t: +t, lambda x, p: x),
    "T": (lambda t: t.T, lambda x, p: np.transpose(x)),
    "mT": (lambda t: t.mT, lambda x, p: np.swapaxes(x, -1, -2) if x.ndim >= 2 else _raise(ValueError("mT"))),
}


def _raise(error: Exception) -> Any:
    raise error


BINARY: dict[str, tuple[Callable[[Any, Any], Tensor], Callable[[Any, Any, Probe], np.ndarray]]] = {
    "add": (lambda a, b: a + b, promoting(lambda x, y, p: x + y)),
    "sub": (lambda a, b: a - b, promoting(lambda x, y, p: x - y)),
    "mul": (lambda a, b: a * b, promoting(lambda x, y, p: x * y)),
    "div": (lambda a, b: a / b, promoting(lambda x, y, p: (p.singular(y), x / y)[1], FLOATING)),
    "pow": (lambda a, b: a**b, promoting(lambda x, y, p: (p.singular(x), _negative_base(x, y, p), x**y)[-1])),
    "maximum": (ag.maximum, promoting(lambda x, y, p: (p.kink(_gap(x, y)), np.maximum(x, y))[1])),
    "minimum": (ag.minimum, promoting(lambda x, y, p: (p.kink(_gap(x, y)), np.minimum(x, y))[1])),
    "matmul": (lambda a, b: a @ b, lambda x, y, p: np.matmul(x, y)),
}


def _negative_base(x: Any, y: Any, p: Probe) -> None:
    # d(x ** y)/dy = x ** y * log(x) is NaN for x < 0 (as in torch), even where the gradient that
    # reaches it is 0: no finite difference measures that, so an exponent that is an array marks it.
    if isinstance(y, np.ndarray):
        p.kink(np.where(np.asarray(x) < 0, 0.0, 1.0))


def _gap(x: Any, y: Any) -> np.ndarray:
    # Exact ties follow the engine's half-and-half rule, which is no kink for the sums we test;
    # nearly tied values are where finite differences cross over.
    d = np.abs(np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64))
    return np.where(d == 0, 1.0, d)


class Reference:
    """The gradients a backward from ``root`` (seeded with ``weights``) must produce: central
    differences of ``sum(weights * root)``, through the recipes, in float64. Not ``checkable``
    when a value changed behind the graph's back, or the point sits on a kink or overflows."""

    def __init__(self, root: Recipe, weights: np.ndarray) -> None:
        self.root, self.weights = root, weights
        self.graph = subgraph(root)
        self.ids = {id(r) for r in self.graph}
        self.leaves: dict[int, list[Recipe]] = {}  # a leaf tensor may appear under several recipes
        for r in self.graph:
            if r.is_leaf:
                self.leaves.setdefault(id(r.tensor), []).append(r)
        self.base: dict[int, Any] = {}
        self.checkable = not any(r.tainted for r in self.graph)
        if self.checkable:
            probe = Probe(fd=True)
            evaluate(root, probe, {}, self.base)
            self.checkable = probe.margin >= 1e-3 and probe.largest <= 1e3
        dtypes = {np.dtype(r.dtype) for r in self.graph}
        self.tol = 3e-2 if np.dtype(np.float16) in dtypes else 5e-3 if np.dtype(np.float32) in dtypes else 1e-6
        self.cache: dict[int, np.ndarray] = {}

    def expected(self, target: Recipe, shape: tuple[int, ...] = ()) -> np.ndarray:
        if id(target) not in self.ids:
            return np.zeros(shape)
        if id(target) not in self.cache:
            base = np.asarray(self.base[id(target)], np.float64)
            self.cache[id(target)] = fd_gradient(self.root, self.weights, target, base)
        return self.cache[id(target)]

    def leaf(self, t: Tensor) -> np.ndarray:
        return sum((self.expected(r) for r in self.leaves.get(id(t), [])), np.zeros(t.shape))

    def unused(self, x: Tensor, recipe: Recipe) -> bool:
        """Whether grad() may call ``x`` unused: it is outside the graph, or its derivative is 0."""
        if (id(x) not in self.leaves) if x.is_leaf else (id(recipe) not in self.ids):
            return True
        try:
            return self.checkable and not np.any(self.leaf(x) if x.is_leaf else self.expected(recipe))
        except UnmeasurableError:
            return True


class Slot:
    """A tensor the machine can reach, and the recipe of its current value. ``history`` holds
    every recipe the tensor's memory has had (requires_grad_ swaps them without a change):
    graphs built from any of them may have saved that memory."""

    __slots__ = ("_recipe", "history", "tensor")

    def __init__(self, tensor: Tensor, recipe: Recipe) -> None:
        self.tensor, self._recipe, self.history = tensor, recipe, [recipe]

    @property
    def recipe(self) -> Recipe:
        return self._recipe

    @recipe.setter
    def recipe(self, recipe: Recipe) -> None:
        self._recipe = recipe
        self.history.append(recipe)


def shapes(max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.sampled_from(SIDES), max_size=max_dims).map(tuple)


def values(shape: tuple[int, ...], dtype: np.dtype) -> st.SearchStrategy[np.ndarray]:
    if dtype.kind == "f":
        elements = st.one_of(st.sampled_from(NICE_VALUES), st.floats(-3, 3, width=32))
        return hnp.arrays(np.float64, shape, elements=elements).map(lambda a: a.astype(dtype))
    if dtype.kind == "b":
        return hnp.arrays(np.bool_, shape)
    return hnp.arrays(dtype, shape, elements=st.integers(-3, 3))


FLOAT_DTYPES = [np.dtype(np.float32), np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)]
DTYPES = FLOAT_DTYPES + [np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_)]
OPERAND_DTYPES = DTYPES[:-1]
# The dim argument of reductions: None, one dim or several, often out of range or repeated.
DIMS = st.one_of(st.none(), st.integers(-4, 3), st.lists(st.integers(-3, 3), max_size=3).map(tuple))
# Values that are not real numbers: no tensor holds them, and no op takes them.
FOREIGN = [1j, np.complex64(1 + 1j), np.array([1j]), "a", np.array(["a"]), np.array([None], dtype=object), object()]
FOREIGN_DTYPES = [object, complex, np.complex64, str, "datetime64[s]", "V4"]
TABLE = {case.name: case for case in CASES if case.reference is not None}


class EngineFuzzer(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.slots: list[Slot] = []
        self.recording = True
        self.freed: set[int] = set()  # recorded recipes whose buffers a backward may have released
        self.leaf_factor: dict[int, float] = {}  # leaf tensor id -> product of its hooks' factors
        self.handles: list[tuple[Any, int, float]] = []
        self.observers: list[tuple[Recipe, list[Tensor]]] = []  # hooks on non-leaves and what they saw
        self.retained: list[tuple[Tensor, Recipe]] = []

    def teardown(self) -> None:
        """At the end of every run, check the gradients of the largest graph once more."""
        try:
            roots = [s for s in self.slots if s.tensor.requires_grad]
            if roots:
                root = max(roots, key=lambda s: len(subgraph(s.recipe)))
                ids = {id(r) for r in subgraph(root.recipe)}
                inputs = [(s.tensor, s.recipe) for s in self.slots if s.tensor.requires_grad and id(s.recipe) in ids]
                unique = list({id(t): (t, r) for t, r in inputs}.values())
                self.backprop(root, "grad_unused", 12345, unique[:6])
        finally:
            ag.set_grad_enabled(True)

    # --- helpers ------------------------------------------------------------------------------
    def pick(self, data: st.DataObject, where: Callable[[Slot], bool] | None = None) -> Slot | None:
        pool = [s for s in self.slots if where is None or where(s)]
        if not pool:
            return None
        # Newer tensors first: deep graphs are where the bugs hide.
        return pool[len(pool) - 1 - data.draw(st.integers(0, len(pool) - 1), label="slot (from newest)")]

    def any_slot(self, data: st.DataObject) -> Slot:
        slot = self.pick(data)
        assert slot is not None  # rules that call this have the precondition `self.slots`
        return slot

    def new_leaf(self, data: st.DataObject, shape: tuple[int, ...], dtype: np.dtype, requires_grad: bool) -> Slot:
        array = data.draw(values(shape, dtype), label=f"values {shape} {dtype}")
        t = ag.tensor(array, requires_grad=requires_grad)
        slot = Slot(t, Recipe.leaf(t) if requires_grad else Recipe.const(t))
        self.slots.append(slot)
        return slot

    def operand(self, data: st.DataObject, like: Slot) -> Slot:
        """Another tensor for a binary op: an existing one, or a new one that broadcasts with ``like``."""
        if data.draw(st.booleans(), label="reuse an existing tensor"):
            return self.any_slot(data)
        shape = list(like.tensor.shape)
        lead = data.draw(st.integers(0, len(shape)), label="drop leading dims")
        shape = [1 if data.draw(st.integers(0, 3), label="make it 1") == 0 else n for n in shape[lead:]]
        dtype = data.draw(st.sampled_from(OPERAND_DTYPES), label="dtype")
        return self.new_leaf(data, tuple(shape), dtype, dtype.kind == "f" and data.draw(st.booleans()))

    def expects_grad(self, inputs: Sequence[Slot], out: Tensor, differentiable: bool) -> bool:
        return (differentiable and self.recording and out.dtype.kind == "f"
                and any(s.tensor.requires_grad for s in inputs))

    def apply(
        self,
        name: str,
        inputs: Sequence[Slot],
        call: Callable[..., Any],
        ref: Callable[..., Any],
        args: Sequence[Any] = (),
        nondiff_outputs: Sequence[int] = (),
    ) -> None:
        """Run an op on the engine and on the reference; compare; keep the results as slots.

        ``call`` takes the input tensors; ``ref`` takes their arrays and a Probe, last.
        """
        tensors = [s.tensor for s in inputs]
        before = [np.array(t.detach().numpy(), copy=True) for t in tensors]
        where = f"{name}{tuple(tuple(t.shape) for t in tensors)} {[str(t.dtype) for t in tensors]} args={args!r}"
        try:
            expected = ref(*[t.detach().numpy() for t in tensors], VALUE_PROBE)
            refused = None
        except (ValueError, IndexError, TypeError) as e:
            expected, refused = None, e
        try:
            out = call(*tensors)
        except Exception as error:  # the type is what is under test
            assert_documented(error, describe(*tensors, *args), where)
            assert refused is not None, f"{where}: refused input the reference accepts: {error!r}"
            return
        assert refused is None, f"{where}: accepted input the reference refuses ({refused!r}); got {out!r}"
        outs = out if isinstance(out, tuple) else (out,)
        expected_outs = expected if isinstance(expected, tuple) else (expected,)
        assert len(outs) == len(expected_outs), f"{where}: {len(outs)} outputs, expected {len(expected_outs)}"
        for t, b in zip(tensors, before):
            np.testing.assert_array_equal(t.detach().numpy(), b, err_msg=f"{where} modified its input")
        node: Recipe | None = None
        for k, (o, e) in enumerate(zip(outs, expected_outs)):
            assert isinstance(o, Tensor), f"{where}: output {k} is a {type(o).__name__}"
            e = np.asarray(e)
            assert o.shape == e.shape, f"{where}: output {k} has shape {o.shape}, expected {e.shape}"
            assert o.dtype == e.dtype, f"{where}: output {k} has dtype {o.dtype}, expected {e.dtype}"
            assert_values(o.detach().numpy(), e, where)
            if o is tensors[0]:
                # Ops that change nothing (reshape to the same shape, +t) return their input.
                self.slots.append(Slot(o, inputs[0].recipe))
                continue
            rg = self.expects_grad(inputs, o, k not in nondiff_outputs)
            assert o.requires_grad == rg, f"{where}: output {k} requires_grad={o.requires_grad}, expected {rg}"
            assert (o.grad_fn is not None) == rg, f"{where}: output {k} grad_fn={o.grad_fn!r}"
            if rg and not isinstance(out, tuple):
                recipe = Recipe(o.dtype, ref, [s.recipe for s in inputs], recorded=True)
            elif rg:
                # The outputs of one node share one recipe for it: freeing it frees all of them.
                if node is None:
                    node = Recipe(o.dtype, ref, [s.recipe for s in inputs], recorded=True)
                recipe = Recipe(o.dtype, lambda outputs, p, _k=k: outputs[_k], [node], recorded=True)
            else:
                recipe = Recipe.const(o)
            self.slots.append(Slot(o, recipe))

    # --- making tensors --------------------------------------------------------------------------
    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self.new_leaf(data, data.draw(shapes(), label="shape"), np.dtype(np.float32), True)

    @rule(data=st.data(), shape=shapes(), dtype=st.sampled_from(DTYPES), requires_grad=st.booleans())
    def leaf(self, data: st.DataObject, shape: tuple[int, ...], dtype: np.dtype, requires_grad: bool) -> None:
        if requires_grad and dtype.kind != "f":
            with pytest.raises(TypeError) as info:
                ag.tensor(np.zeros(shape, dtype), requires_grad=True)
            assert_documented(info.value, [str(dtype)], "tensor(requires_grad=True)")
            return
        self.new_leaf(data, shape, dtype, requires_grad)

    # --- elementwise ---------------------------------------------------------------------------
    @rule(data=st.data(), op=st.sampled_from(sorted(UNARY)))
    def unary(self, data: st.DataObject, op: str) -> None:
        call, ref = UNARY[op]
        self.apply(op, [self.any_slot(data)], call, ref)

    @rule(data=st.data(), op=st.sampled_from(sorted(BINARY)), scalar=st.sampled_from(SCALARS),
          side=st.sampled_from(["tensor", "scalar", "reflected", "ndarray"]))
    def binary(self, data: st.DataObject, op: str, scalar: Any, side: str) -> None:
        call, ref = BINARY[op]
        a = self.any_slot(data)
        if op == "matmul" and data.draw(st.booleans(), label="matching matmul operand"):
            b = self.new_leaf(data, matmul_partner(data, a.tensor.shape), np.dtype(np.float32), True)
            self.apply(op, [a, b], call, ref)
        elif op == "matmul" or side == "tensor":
            self.apply(op, [a, self.operand(data, a)], call, ref)
        elif side == "ndarray":  # a constant array on the left: `ndarray * tensor`
            array = np.array(self.operand(data, a).tensor.detach().numpy(), copy=True)
            self.apply(f"ndarray {op}", [a], lambda t: call(array, t), lambda x, p: ref(array, x, p), [array])
        elif side == "scalar":
            self.apply(f"{op} scalar", [a], lambda t: call(t, scalar), lambda x, p: ref(x, scalar, p), [scalar])
        else:
            self.apply(f"scalar {op}", [a], lambda t: call(scalar, t), lambda x, p: ref(scalar, x, p), [scalar])

    @rule(data=st.data(), threshold=st.sampled_from([0.0, 0.5, -1.0]), other_scalar=st.booleans())
    def where(self, data: st.DataObject, threshold: float, other_scalar: bool) -> None:
        c = self.any_slot(data)
        a = self.any_slot(data)
        cond = c.tensor > threshold
        if other_scalar:
            self.apply("where", [a], lambda t: ag.where(cond, t, 0.5),
                       promoting(lambda x, p: np.where(cond.detach().numpy(), x, 0.5), (0.5,)), [cond])
        else:
            self.apply("where", [a, self.operand(data, a)], lambda t, u: t.where(cond, u),
                       promoting(lambda x, y, p: np.where(cond.detach().numpy(), x, y)), [cond])

    @rule(data=st.data(), lo=st.sampled_from([None, -0.5, 0, "tensor"]), hi=st.sampled_from([None, 1.0, -1, "tensor"]))
    def clamp(self, data: st.DataObject, lo: Any, hi: Any) -> None:
        a = self.any_slot(data)
        inputs = [a]
        bounds: list[tuple[bool, Any]] = []  # (is an input, input position or the constant)
        for bound in (lo, hi):
            if bound == "tensor":
                inputs.append(self.operand(data, a))
                bounds.append((True, len(inputs) - 1))
            else:
                bounds.append((False, bound))

        def resolve(xs: Sequence[Any]) -> list[Any]:
            return [xs[v] if is_input else v for is_input, v in bounds]

        numbers = tuple(v for is_input, v in bounds if not is_input and v is not None)
        self.apply("clamp", inputs, lambda *ts: ts[0].clamp(*resolve(ts)),
                   promoting(lambda *xs: ref_clamp(xs[0], *resolve(xs), xs[-1]), numbers), [lo, hi, "min"])

    @rule(data=st.data(), dtype=st.sampled_from(DTYPES))
    def cast(self, data: st.DataObject, dtype: np.dtype) -> None:
        # Finite differences keep float64 where the engine casts to another float type.
        self.apply(f"to({dtype})", [self.any_slot(data)], lambda t: t.to(dtype),
                   lambda x, p: x.astype(np.float64 if p.fd and dtype.kind == "f" else dtype), [dtype])

    @rule(data=st.data(), op=st.sampled_from(["gt", "le", "eq"]), scalar=st.sampled_from([0, 0.5]))
    def compare(self, data: st.DataObject, op: str, scalar: float) -> None:
        ufunc = {"gt": np.greater, "le": np.less_equal, "eq": np.equal}[op]
        self.apply(op, [self.any_slot(data)], lambda t: getattr(t, op)(scalar), lambda x, p: ufunc(x, scalar), [scalar])

    # --- reductions -------------------------------------------------------------------------------
    @rule(
        data=st.data(),
        op=st.sampled_from(["sum", "mean", "var", "std", "logsumexp", "prod"]),
        dim=DIMS,
        keepdim=st.booleans(),
        correction=st.sampled_from([0, 1]),
    )
    def reduce(self, data: st.DataObject, op: str, dim: Any, keepdim: bool, correction: int) -> None:
        if op == "prod" and isinstance(dim, tuple):
            dim = dim[0] if dim else None

        def std(x: np.ndarray, p: Probe) -> np.ndarray:
            v = ref_var(x, dim, correction, keepdim)
            p.singular(v)
            return np.sqrt(v)

        def floats_only(ref: Callable[[np.ndarray, Probe], Any]) -> Callable[[np.ndarray, Probe], Any]:
            # torch will not guess the dtype of a statistic of integers
            return lambda x, p: ref(x, p) if x.dtype.kind == "f" else _raise(TypeError(op))

        table: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray, Probe], Any]]] = {
            "sum": (lambda t: t.sum(dim, keepdim),
                    lambda x, p: np.sum(x, axis=norm_dims(dim, x.ndim), keepdims=keepdim)),
            "mean": (lambda t: t.mean(dim, keepdim=keepdim), floats_only(lambda x, p: ref_mean(x, dim, keepdim))),
            "var": (lambda t: t.var(dim, correction=correction, keepdim=keepdim),
                    floats_only(lambda x, p: ref_var(x, dim, correction, keepdim))),
            "std": (lambda t: t.std(dim, correction=correction, keepdim=keepdim), floats_only(std)),
            "logsumexp": (lambda t: ag.logsumexp(t, dim, keepdim),
                          promoting(lambda x, p: ref_logsumexp(x, norm_dims(dim, x.ndim), keepdim), FLOATING)),
            "prod": (lambda t: t.prod(dim, keepdim), lambda x, p: ref_prod(x, dim, keepdim)),
        }
        call, ref = table[op]
        self.apply(op, [self.any_slot(data)], call, ref, [dim])

    @rule(data=st.data(), op=st.sampled_from(["max", "min", "argmax", "argmin"]),
          dim=st.one_of(st.none(), st.integers(-3, 3)), keepdim=st.booleans())
    def select(self, data: st.DataObject, op: str, dim: Any, keepdim: bool) -> None:
        a = self.any_slot(data)
        pick = op[-3:]
        if op.startswith("arg"):
            def ref(x: np.ndarray, p: Probe) -> Any:
                if dim is None:
                    if x.size == 0:
                        raise ValueError("empty")
                    flat = np.asarray((np.argmax if pick == "max" else np.argmin)(x), dtype=np.int64)
                    return flat.reshape((1,) * x.ndim) if keepdim else flat  # torch keeps every dim, as 1
                return ref_max(x, dim, keepdim, p, pick)[1]

            self.apply(op, [a], lambda t: getattr(t, op)(dim, keepdim), ref, [dim], nondiff_outputs=[0])
        elif dim is None:
            self.apply(op, [a], lambda t: getattr(t, op)(), lambda x, p: ref_max(x, None, False, p, pick))
        else:
            self.apply(op, [a], lambda t: tuple(getattr(t, op)(dim, keepdim)),
                       lambda x, p: ref_max(x, dim, keepdim, p, pick), [dim], nondiff_outputs=[1])

    @rule(data=st.data(), log=st.booleans(), dim=st.integers(-3, 3))
    def softmax(self, data: st.DataObject, log: bool, dim: int) -> None:
        name = "log_softmax" if log else "softmax"
        self.apply(name, [self.any_slot(data)], lambda t: getattr(t, name)(dim),
                   promoting(lambda x, p: ref_softmax(x, dim, log), FLOATING), [dim])

    @rule(data=st.data(), p=st.sampled_from([2, 1, 1.5, 3, math.inf, "fro", -math.inf, 0, -1, "nuc", "max"]),
          dim=DIMS, keepdim=st.booleans())
    def norm(self, data: st.DataObject, p: Any, dim: Any, keepdim: bool) -> None:
        self.apply(f"norm({p!r})", [self.any_slot(data)], lambda t: t.norm(p, dim, keepdim),
                   lambda x, probe: ref_norm(x, p, dim, keepdim, probe), [p, dim])

    @rule(data=st.data(), pick=st.sampled_from(["max", "min"]), dim=DIMS, keepdim=st.booleans())
    def extreme(self, data: st.DataObject, pick: str, dim: Any, keepdim: bool) -> None:
        op = "a" + pick
        self.apply(op, [self.any_slot(data)], lambda t: getattr(ag, op)(t, dim, keepdim),
                   lambda x, p: ref_amax(x, dim, keepdim, p, pick), [dim])

    @rule(data=st.data(), op=st.sampled_from(["dot", "mm", "linear", "linear_no_bias"]), fit=st.booleans())
    def product(self, data: st.DataObject, op: str, fit: bool) -> None:
        """dot, mm and linear of a tensor and operands made to fit it, or of any two or three."""
        a = self.any_slot(data)
        n = a.tensor.shape[-1] if a.tensor.ndim else 1
        m = data.draw(st.sampled_from([1, 2, 3]), label="out size")
        dtype = np.dtype(np.float32)
        if op == "dot":
            others = [self.new_leaf(data, (n,), dtype, True) if fit else self.any_slot(data)]
        elif op == "mm":
            others = [self.new_leaf(data, (n, m), dtype, True) if fit else self.any_slot(data)]
        else:
            count = 2 if op == "linear" else 1
            others = [self.new_leaf(data, (m, n)[k:], dtype, data.draw(st.booleans())) if fit else self.any_slot(data)
                      for k in range(count)]
            if count == 2:
                others = [others[0], self.new_leaf(data, (m,), dtype, True) if fit else others[1]]
        calls = {"dot": ag.dot, "mm": ag.mm, "linear": ag.linear, "linear_no_bias": ag.linear}
        self.apply(op, [a, *others], calls[op], lambda *xs: ref_product(op, *xs[:-1]))

    @rule(data=st.data())
    def foreign(self, data: st.DataObject) -> None:
        """A value that is not a real number (complex, a string, an object) is refused with a
        TypeError, by every op and every in-place change, and no tensor of its dtype is made."""
        t = self.any_slot(data).tensor
        u = ag.tensor(np.array(t.detach().numpy(), copy=True))  # one that may be changed in place
        value = data.draw(st.sampled_from(FOREIGN), label="value")
        dtype = data.draw(st.sampled_from(FOREIGN_DTYPES), label="dtype")
        calls: dict[str, Callable[[], Any]] = {
            "add": lambda: t + value, "mul": lambda: value * t, "pow": lambda: t**value, "div": lambda: t / value,
            "matmul": lambda: t @ value, "maximum": lambda: ag.maximum(t, value),
            "where": lambda: ag.where(t > 0, t, value), "clamp": lambda: t.clamp(value, None),
            "setitem": lambda: u.__setitem__(..., value), "fill_": lambda: u.fill_(value),
            "add_": lambda: u.add_(value), "copy_": lambda: u.copy_(value), "tensor": lambda: ag.tensor(value),
            "to": lambda: t.to(dtype),
        }
        op = data.draw(st.sampled_from(sorted(calls)), label="op")
        where = f"{op} of {t.shape} {t.dtype} with {dtype if op == 'to' else repr(value)}"
        try:
            out = calls[op]()
        except Exception as error:  # the type is what is under test
            names = [type(value).__name__, str(getattr(value, "dtype", "")), repr(value), str(value),
                     str(np.dtype(dtype))]
            assert_documented(error, describe(t) + names, where)
            assert isinstance(error, TypeError), f"{where}: {error!r}"
        else:
            raise AssertionError(f"{where}: accepted, giving {type(out).__name__} {getattr(out, 'dtype', '')}")
        np.testing.assert_array_equal(u.detach().numpy(), t.detach().numpy(),
                                      err_msg=f"{where}: failed but changed the tensor")

    @rule(data=st.data(), name=st.sampled_from(sorted(TABLE)), dtype=st.sampled_from(FLOAT_DTYPES))
    def table(self, data: st.DataObject, name: str, dtype: np.dtype) -> None:
        """Any op of ``autograd/op_table.py`` (a new line there is fuzzed here with no more code), on
        new tensors drawn as its line says: in the op's domain, away from its kinks, with valid
        arguments; which of them require grad is drawn too. What is built on them later follows
        the other rules."""
        case = TABLE[name]
        options = case.options
        drawn = options.get("shapes", testing.shapes())
        shape_list = _shape_list(data.draw(drawn, label="shapes") if isinstance(drawn, st.SearchStrategy) else drawn)
        inputs = []
        for shape, elements in zip(shape_list, _per_input(options.get("elements"), len(shape_list))):
            rg = data.draw(st.booleans(), label="requires grad")
            t = data.draw(testing.tensors(shape, dtype=dtype, elements=elements, requires_grad=rg,
                                          distinct=options.get("distinct", False), gap=options.get("gap", 1e-2)),
                          label=f"input {shape}")
            inputs.append(Slot(t, Recipe.leaf(t) if rg else Recipe.const(t)))
        self.slots.extend(inputs)
        kw = data.draw(_kwargs_strategy(options.get("kwargs"), shape_list), label="kwargs")
        # A line with a step of its own (a cast through float32) rounds more than the finite
        # differences here can step over: its gradients are left to check_op.
        lossy = "eps" in options

        def ref(*xs: Any) -> Any:
            if lossy:
                xs[-1].kink(0.0)
            return case.reference(*xs[:-1], **kw)

        self.apply(name, inputs, lambda *ts: case.op(*ts, **kw), ref, [kw])

    # --- shapes -------------------------------------------------------------------------------------
    @rule(data=st.data())
    def reshape(self, data: st.DataObject) -> None:
        a = self.any_slot(data)
        n = a.tensor.numel()
        sizes = [s for s in range(1, 7) if n % s == 0] or [0]
        shape = data.draw(st.one_of(
            st.sampled_from(sizes).map(lambda s: (s, n // s if s else 0)),
            st.sampled_from(sizes).map(lambda s: (-1, s)),
            st.just((n,)),
            st.lists(st.integers(-2, 4), max_size=3).map(tuple),
        ), label="shape")
        self.apply("reshape", [a], lambda t: t.reshape(shape), lambda x, p: ref_reshape(x, shape), [shape])
        # view is reshape here (NumPy copies when it must), given sizes one by one
        self.apply("view", [a], lambda t: t.view(*shape) if shape else t.view(shape),
                   lambda x, p: ref_reshape(x, shape), [shape])

    @rule(data=st.data())
    def sum_to_shape(self, data: st.DataObject) -> None:
        a = self.any_slot(data)
        target = data.draw(st.one_of(reduced_shapes(a.tensor.shape), shapes(), st.integers(-1, 3),
                                     st.lists(st.integers(-1, 3), max_size=3).map(tuple)), label="target")
        self.apply("sum_to_shape", [a], lambda t: t.sum_to_shape(target), lambda x, p: ref_sum_to_shape(x, target),
                   [target])

    @rule(data=st.data(), op=st.sampled_from(["flatten", "squeeze", "unsqueeze", "transpose", "movedim", "permute"]),
          d0=st.integers(-4, 3), d1=st.integers(-4, 3), no_dim=st.booleans(), spoil=st.integers(0, 3))
    def dims(self, data: st.DataObject, op: str, d0: int, d1: int, no_dim: bool, spoil: int) -> None:
        a = self.any_slot(data)
        perm: tuple[int, ...] = ()
        if op == "permute":
            perm = tuple(data.draw(st.permutations(range(a.tensor.ndim)), label="perm"))
            if spoil == 0:
                perm = (*perm[:-1], d0)
        squeeze_dim = None if no_dim else d0
        table: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray], list[Any]]] = {
            "flatten": (lambda t: t.flatten(d0, d1), lambda x: ref_flatten(x, d0, d1), [d0, d1]),
            "squeeze": (lambda t: t.squeeze(squeeze_dim), lambda x: ref_squeeze(x, squeeze_dim), [d0]),
            "unsqueeze": (lambda t: t.unsqueeze(d0), lambda x: np.expand_dims(x, norm_dim(d0, x.ndim + 1)), [d0]),
            "transpose": (lambda t: t.transpose(d0, d1), lambda x: ref_transpose(x, d0, d1), [d0, d1]),
            "movedim": (lambda t: t.movedim(d0, d1), lambda x: ref_movedim(x, d0, d1), [d0, d1]),
            "permute": (lambda t: t.permute(*perm), lambda x: ref_permute(x, perm), [perm]),
        }
        call, ref, args = table[op]
        self.apply(op, [a], call, lambda x, p: ref(x), args)

    @rule(data=st.data())
    def expand(self, data: st.DataObject) -> None:
        a = self.any_slot(data)
        sizes = tuple(data.draw(st.sampled_from([-1, n, 2, 3] if n == 1 else [-1, n, n, 2]), label="size")
                      for n in a.tensor.shape)
        sizes = tuple(data.draw(st.lists(st.sampled_from([2, 1, 3, -1, 0]), max_size=2), label="new dims")) + sizes
        self.apply("expand", [a], lambda t: t.expand(*sizes), lambda x, p: ref_expand(x, sizes), [sizes])

    @rule(data=st.data())
    def getitem(self, data: st.DataObject) -> None:
        a = self.any_slot(data)
        index = data.draw(indices(a.tensor.shape), label="index")
        self.apply("getitem", [a], lambda t: t[index], lambda x, p: ref_getitem(x, index), [index])

    @rule(data=st.data(), op=st.sampled_from(["split", "sections", "chunk", "unbind"]), dim=st.integers(-3, 2),
          size=st.integers(-1, 3), sections=st.lists(st.integers(-1, 3), max_size=3))
    def split(self, data: st.DataObject, op: str, dim: int, size: int, sections: list[int]) -> None:
        table: dict[str, tuple[Callable[[Tensor], Any], Callable[[np.ndarray], Any], list[Any]]] = {
            "split": (lambda t: t.split(size, dim), lambda x: ref_split(x, size, dim), [size, dim]),
            "sections": (lambda t: t.split(sections, dim), lambda x: ref_split(x, sections, dim), [sections, dim]),
            "chunk": (lambda t: ag.chunk(t, size, dim), lambda x: ref_chunk(x, size, dim), [size, dim]),
            "unbind": (lambda t: t.unbind(dim), lambda x: ref_unbind(x, dim), [dim]),
        }
        call, ref, args = table[op]
        self.apply(op, [self.any_slot(data)], call, lambda x, p: ref(x), args)

    @rule(data=st.data(), stack=st.booleans(), dim=st.integers(-3, 3), n=st.integers(1, 3))
    def join(self, data: st.DataObject, stack: bool, dim: int, n: int) -> None:
        first = self.any_slot(data)
        parts = [first]
        for _ in range(n - 1):
            same = self.pick(data, lambda s: s.tensor.shape == first.tensor.shape)
            parts.append(same if same is not None and data.draw(st.booleans()) else self.operand(data, first))
        fn, ref = (ag.stack, ref_stack) if stack else (ag.cat, ref_cat)
        self.apply(fn.__name__, parts, lambda *ts: fn(list(ts), dim), promoting(lambda *xs: ref(xs[:-1], dim)), [dim])

    # --- in place --------------------------------------------------------------------------------
    @rule(data=st.data(), op=st.sampled_from(["add_", "sub_", "mul_", "div_", "copy_", "fill_", "zero_", "setitem"]),
          scalar=st.sampled_from(SCALARS), use_tensor=st.booleans())
    def inplace(self, data: st.DataObject, op: str, scalar: Any, use_tensor: bool) -> None:
        x = self.any_slot(data)
        t = x.tensor
        other = self.operand(data, x) if (use_tensor and op not in ("fill_", "zero_")) or op == "copy_" else None
        index = data.draw(indices(t.shape), label="index") if op == "setitem" else None
        value: Any = other.tensor if other is not None else scalar
        raw_value = value.detach().numpy() if isinstance(value, Tensor) else value
        ufuncs = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}

        def ref(old: np.ndarray, v: Any, p: Probe) -> np.ndarray:
            # Finite differences of a float32 tensor's update are taken in float64 all the same.
            out = np.array(old, dtype=np.float64 if p.fd and old.dtype.kind == "f" else old.dtype, copy=True)
            if op in ufuncs:
                if op == "div_":
                    p.singular(v)
                ufuncs[op](out, v, out=out, casting="same_kind")
            elif op == "copy_":
                out[...] = v
            elif op == "setitem":
                first, rest = torch_steps(ref_index(index, out.shape), out.ndim)
                out[first][rest] = v
            else:
                out.fill(0 if op == "zero_" else v)
            return out

        where = f"{op} on {t.shape} {t.dtype} with {describe(value)} index={index!r}"
        old_data = np.array(t.detach().numpy(), copy=True)
        was = (t.requires_grad, t.grad_fn)
        leaf_rg = t.requires_grad and t.is_leaf
        records = self.recording and t.dtype.kind == "f" and (t.requires_grad or getattr(value, "requires_grad", False))
        try:
            expected = ref(old_data, raw_value, VALUE_PROBE)
            refused = None
        except (ValueError, IndexError, TypeError) as e:
            expected, refused = None, e
        try:
            if op == "setitem":
                t[index] = value
                result = t
            else:
                result = t.zero_() if op == "zero_" else getattr(t, op)(value)
        except Exception as error:  # the type is what is under test
            assert_documented(error, describe(t, value, index), where)
            message = str(error)
            legit = (
                refused is not None
                or (self.recording and leaf_rg and "leaf" in message)
                or (records and "shares memory" in message)
                or (not t.detach().numpy().flags.writeable and "read-only" in message)
            )
            assert legit, f"{where}: refused input the reference accepts: {error!r}"
            np.testing.assert_array_equal(t.detach().numpy(), old_data,
                                          err_msg=f"{where} failed but changed the tensor")
            return
        assert refused is None, f"{where}: accepted input the reference refuses ({refused!r})"
        assert not (self.recording and leaf_rg), f"{where}: modified a leaf that requires grad while recording"
        assert result is t, f"{where} returned a new tensor"
        assert t.dtype == old_data.dtype, f"{where} changed the dtype to {t.dtype}"
        assert_values(t.detach().numpy(), expected, where)
        if records:
            assert t.requires_grad and t.grad_fn is not None, f"{where} was not recorded"
        else:
            assert (t.requires_grad, t.grad_fn) == was, f"{where} changed the history while not recording"
        # Update the recipes: of this tensor, and of every other that shares its memory.
        old_recipe = x.recipe
        for s in self.slots:
            if s.tensor is t or same_memory(s.tensor.detach().numpy(), t.detach().numpy()):
                for r in s.history:
                    r.overwritten = True
        if records:
            inputs = [old_recipe] + ([other.recipe] if other is not None else [])
            new = Recipe(t.dtype, lambda old, *v: ref(old, v[0] if len(v) > 1 else raw_value, v[-1]), inputs,
                         recorded=True)
        elif t.requires_grad and t.is_leaf:
            new = Recipe.leaf(t)  # a parameter update: later graphs start from the new value
        elif t.requires_grad:
            new = Recipe.broken(old_recipe)
        else:
            new = Recipe.const(t)
        for s in self.slots:
            if s.tensor is t:
                s.recipe = new
            elif same_memory(s.tensor.detach().numpy(), t.detach().numpy()):
                s.recipe = Recipe.broken(s.recipe) if s.tensor.requires_grad else Recipe.const(s.tensor)
        # A retained gradient stays with the node that was current when retain_grad() was called.
        self.retained = [(r, rec) for r, rec in self.retained if r is not t]

    # --- the graph ---------------------------------------------------------------------------------
    @rule(data=st.data())
    def detach(self, data: st.DataObject) -> None:
        a = self.any_slot(data)
        d = a.tensor.detach()
        assert not d.requires_grad and d.grad_fn is None
        assert d.numel() == 0 or np.shares_memory(d.detach().numpy(), a.tensor.detach().numpy())
        self.slots.append(Slot(d, Recipe.const(d)))

    @rule(enabled=st.booleans(), as_decorator=st.booleans())
    def grad_mode(self, enabled: bool, as_decorator: bool) -> None:
        if as_decorator:
            seen = ag.set_grad_enabled(enabled)(ag.is_grad_enabled)()
            assert seen == enabled and ag.is_grad_enabled() == self.recording
            with ag.no_grad():
                assert not ag.is_grad_enabled()
            assert ag.is_grad_enabled() == self.recording
            return
        ag.set_grad_enabled(enabled)
        self.recording = enabled

    @rule(data=st.data(), flag=st.booleans())
    def requires_grad_(self, data: st.DataObject, flag: bool) -> None:
        t = self.any_slot(data).tensor
        try:
            t.requires_grad_(flag)
        except Exception as error:  # the type is what is under test
            assert_documented(error, describe(t) + ["non-leaf"], "requires_grad_")
            assert (flag and t.dtype.kind != "f") or (not flag and t.grad_fn is not None), f"requires_grad_: {error}"
            return
        assert t.requires_grad == flag or t.grad_fn is not None
        if t.is_leaf:
            new = Recipe.leaf(t) if flag else Recipe.const(t)
            for s in self.slots:
                if s.tensor is t:
                    s.recipe = new

    @rule(data=st.data(), factor=st.sampled_from([2.0, -1.0, 0.5]), remove=st.booleans())
    def hook(self, data: st.DataObject, factor: float, remove: bool) -> None:
        s = self.pick(data, lambda s: s.tensor.requires_grad)
        if s is None:
            with pytest.raises(RuntimeError) as info:
                self.any_slot(data).tensor.register_hook(lambda g: g)
            assert_documented(info.value, ["does not require grad"], "register_hook")
            return
        t = s.tensor
        if t.is_leaf:
            handle = t.register_hook(lambda g, f=factor: g * f)
            self.leaf_factor[id(t)] = self.leaf_factor.get(id(t), 1.0) * factor
            self.handles.append((handle, id(t), factor))
            if remove:
                handle, key, f = self.handles.pop(0)
                handle.remove()
                handle.remove()  # twice is harmless
                self.leaf_factor[key] /= f
        else:
            seen: list[Tensor] = []
            t.register_hook(seen.append)
            self.observers.append((s.recipe, seen))

    @rule(data=st.data())
    def retain_grad(self, data: st.DataObject) -> None:
        s = self.pick(data, lambda s: s.tensor.requires_grad and not s.tensor.is_leaf)
        if s is not None and all(t is not s.tensor for t, _ in self.retained):
            s.tensor.retain_grad()
            s.tensor.grad = None
            self.retained.append((s.tensor, s.recipe))

    @rule(data=st.data(), mode=st.sampled_from(["backward", "retain", "twice", "create_graph", "grad", "grad_unused"]),
          seed=st.integers(0, 2**16))
    def backward(self, data: st.DataObject, mode: str, seed: int) -> None:
        root = self.pick(data, lambda s: s.tensor.requires_grad)
        if root is None:
            with pytest.raises(RuntimeError) as info:
                self.any_slot(data).tensor.sum().backward()
            assert_documented(info.value, ["does not require grad"], "backward")
            return
        inputs: list[tuple[Tensor, Recipe]] = []
        if mode.startswith("grad"):
            pool = [s for s in self.slots if s.tensor.requires_grad]
            for i in data.draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=3), label="inputs"):
                if all(x is not pool[i].tensor for x, _ in inputs):
                    inputs.append((pool[i].tensor, pool[i].recipe))
        self.backprop(root, mode, seed, inputs)

    def backprop(self, root: Slot, mode: str, seed: int, inputs: list[tuple[Tensor, Recipe]]) -> None:
        """Run one backward (or grad()) from ``root`` and compare what it delivers with the reference."""
        t = root.tensor
        ref = Reference(root.recipe, np.random.default_rng(seed).uniform(-1, 1, t.shape))
        may_fail = []
        if ref.ids & self.freed:
            may_fail.append("retain_graph")
        if any(r.overwritten for r in ref.graph):
            may_fail.append("modified in place")
        leaf_tensors = {id(s.tensor): s.tensor for s in self.slots if s.tensor.is_leaf and s.tensor.requires_grad}
        grads_before = {k: snapshot(v.grad) for k, v in leaf_tensors.items()}
        retained_before = [snapshot(r.grad) for r, _ in self.retained]
        for _, seen in self.observers:
            seen.clear()
        seed_grad = ag.tensor(ref.weights.astype(t.dtype))
        result: Sequence[Any] = ()
        try:
            if mode == "backward":
                t.backward(seed_grad)
            elif mode == "retain":
                t.backward(seed_grad, retain_graph=True)
            elif mode == "twice":
                t.backward(seed_grad, retain_graph=True)
                t.backward(seed_grad)
            elif mode == "create_graph":
                t.backward(seed_grad, create_graph=True)
            else:
                result = ag.grad(t, [x for x, _ in inputs], seed_grad, retain_graph=True,
                                 allow_unused=mode == "grad_unused")
        except Exception as error:  # the type is what is under test
            assert_documented(error, describe(t) + ["retain_graph", "modified in place", "not used"], "backward")
            message = str(error)
            if mode == "grad" and "was not used" in message:
                # Fine for an input outside the graph, or one that reaches it only through an op
                # that passes it no gradient (fill_): its derivative is exactly zero.
                assert any(ref.unused(x, rec) for x, rec in inputs), f"grad(): {message}"
            else:
                assert any(m in message for m in may_fail), f"backward ({mode}) failed: {error!r}"
            self.after_failed_backward(ref.graph, mode)
            return
        if mode in ("backward", "twice"):
            self.freed |= {id(r) for r in ref.graph if r.recorded}
        # `pytest --hypothesis-show-statistics` shows how often gradients were compared.
        event("gradients: " + (mode if ref.checkable else "not comparable (kink, overflow or changed memory)"))
        if not ref.checkable:
            return
        try:
            if mode.startswith("grad"):
                self.check_returned(ref, inputs, result, mode)
                for k, v in leaf_tensors.items():
                    now = None if v.grad is None else v.grad.detach().numpy()
                    assert_same(now, grads_before[k], "grad() changed a .grad")
            else:
                self.check_accumulated(ref, mode, leaf_tensors, grads_before, retained_before)
        except UnmeasurableError:
            pass

    def check_returned(self, ref: Reference, inputs: list[tuple[Tensor, Recipe]], result: Sequence[Any],
                       mode: str) -> None:
        for (x, rec), g in zip(inputs, result):
            want = ref.leaf(x) * self.leaf_factor.get(id(x), 1.0) if x.is_leaf else ref.expected(rec, x.shape)
            if g is None:
                assert mode == "grad_unused" and not np.any(want), f"grad() returned None for input {x.shape}"
                continue
            assert_grad(g.detach().numpy(), want, ref.tol, f"grad() of input {x.shape}")

    def check_accumulated(self, ref: Reference, mode: str, leaf_tensors: dict[int, Tensor],
                          grads_before: dict[int, Any], retained_before: list[Any]) -> None:
        repeat = 2.0 if mode == "twice" else 1.0
        for k, v in leaf_tensors.items():
            old = grads_before[k]
            now = None if v.grad is None else np.asarray(v.grad.detach().numpy())
            if k not in ref.leaves:
                assert_same(now, old, f"backward changed .grad of a leaf {v.shape} outside the graph")
                continue
            if old is not None and not np.isfinite(old).all():
                continue  # inf + g - inf is nan: an increment cannot be measured
            got = (np.zeros(v.shape) if now is None else now) - (0 if old is None else old)
            assert_grad(got, repeat * self.leaf_factor.get(k, 1.0) * ref.leaf(v), ref.tol, f"leaf {v.shape} {v.dtype}")
        for (r, rec), old in zip(self.retained, retained_before):
            if id(rec) in ref.ids and (old is None or np.isfinite(old).all()):
                now = np.zeros(r.shape) if r.grad is None else r.grad.detach().numpy()
                got = now - (0 if old is None else old)
                assert_grad(got, repeat * ref.expected(rec), ref.tol, f"retained {r.shape}")
        for rec, seen in self.observers:
            if id(rec) in ref.ids:
                want = ref.expected(rec)
                if not seen:  # the node was never reached: nothing flows into it
                    assert_grad(np.zeros(want.shape), want, ref.tol, "a hook that did not run")
                    continue
                assert len(seen) == repeat, f"a hook ran {len(seen)} times in {mode}"
                total = sum(np.asarray(g.detach().numpy(), dtype=np.float64) for g in seen)
                assert_grad(total, repeat * want, ref.tol, f"hook on {want.shape}")

    def after_failed_backward(self, graph: list[Recipe], mode: str) -> None:
        # A backward that stops part way has delivered some gradients: start the sums afresh.
        if mode in ("backward", "twice"):
            self.freed |= {id(r) for r in graph if r.recorded}
        for s in self.slots:
            if s.tensor.is_leaf and s.tensor.requires_grad:
                s.tensor.grad = None
        for r, _ in self.retained:
            r.grad = None

    @invariant()
    def engine_state_is_restored(self) -> None:
        assert ag.is_grad_enabled() == self.recording
        assert gc.isenabled(), "a backward left the cyclic garbage collector paused"
        assert not ag.is_anomaly_enabled()


def same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays may share memory; an empty view counts as sharing its base's (the
    engine gives a view and its base one version counter, whatever their sizes)."""
    return np.may_share_memory(a, b) or _base(a) is _base(b)


def _base(a: np.ndarray) -> Any:
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def snapshot(grad: Tensor | None) -> np.ndarray | None:
    return None if grad is None else np.array(grad.detach().numpy(), copy=True)


def matmul_partner(data: st.DataObject, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not shape:
        return (2,)
    k = shape[-1]
    return data.draw(st.sampled_from([(k,), (k, 2), (k, 1), (2, k, 3)]), label="matmul partner")


def indices(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Indices for a tensor of ``shape``: ints, slices, int and bool arrays, None, Ellipsis; some invalid."""

    def item(n: int) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.integers(-n - 1, n),
            st.builds(slice, st.sampled_from([None, 0, 1, -1]), st.sampled_from([None, 2, -1, 5]),
                      st.sampled_from([None, 1, 2, -1])),
            st.lists(st.integers(-n - 1, n), max_size=3).map(lambda v: np.asarray(v, dtype=np.int64)),
            st.lists(st.integers(-n - 1, n), max_size=2),
            st.lists(st.integers(-n, max(n - 1, 0)), max_size=3).map(lambda v: ag.tensor(np.asarray(v, np.int64))),
            hnp.arrays(np.bool_, st.sampled_from([(n,), (n + 1,)])),
            st.just(None),
            st.just(Ellipsis),
        )

    sizes = list(shape) + [1]
    return st.lists(st.integers(0, len(sizes) - 1).flatmap(lambda i: item(sizes[i])), min_size=1, max_size=3).map(
        lambda items: items[0] if len(items) == 1 else tuple(items)
    )


def assert_values(actual: np.ndarray, expected: np.ndarray, where: str) -> None:
    expected = np.asarray(expected)
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected, err_msg=where)
        return
    tol = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-5}.get(expected.dtype, 1e-10)
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, equal_nan=True, err_msg=where)


def assert_grad(actual: Any, expected: np.ndarray, tol: float, where: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape, f"{where}: gradient of shape {actual.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, err_msg=where)


def assert_same(now: Any, before: Any, where: str) -> None:
    if before is None:
        assert now is None, where
    else:
        np.testing.assert_array_equal(now, before, err_msg=where)


# --- machine 2: the engine against a naive recursive chain rule -----------------------------------


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


class Node:
    """A value of the reference DAG: its engine tensor, its NumPy value, and for each
    input the function that maps this node's adjoint to that input's share (a VJP)."""

    def __init__(self, tensor: Tensor, value: np.ndarray, parents: Sequence[tuple[Node, Callable[..., Any]]] = ()):
        self.tensor, self.value, self.parents = tensor, value, list(parents)


def naive_backprop(node: Node, adjoint: np.ndarray, into: dict[int, np.ndarray]) -> None:
    """Push ``adjoint`` down every path separately: exponential in shared nodes, obviously right."""
    if not node.parents:
        into[id(node)] = into.get(id(node), 0) + adjoint
        return
    for parent, vjp in node.parents:
        naive_backprop(parent, vjp(adjoint), into)


def count_paths(node: Node, memo: dict[int, int]) -> int:
    if id(node) not in memo:
        memo[id(node)] = 1 if not node.parents else sum(count_paths(p, memo) for p, _ in node.parents)
    return memo[id(node)]


REF_SHAPES = [(2, 3), (3,), (2, 1), (1, 3), (), (3, 3)]


def broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


class ReferenceBackprop(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[Node] = []
        self.leaves: list[Node] = []

    def pick(self, data: st.DataObject, where: Callable[[Node], bool] | None = None) -> Node | None:
        pool = [n for n in self.nodes if where is None or where(n)]
        if not pool:
            return None
        return pool[len(pool) - 1 - data.draw(st.integers(0, len(pool) - 1), label="node (from newest)")]

    def add(self, tensor: Tensor, value: np.ndarray, parents: Sequence[tuple[Node, Callable[..., Any]]]) -> Node:
        np.testing.assert_allclose(tensor.detach().numpy(), value, rtol=1e-12, atol=1e-12)
        node = Node(tensor, value, parents)
        self.nodes.append(node)
        return node

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        for shape in [(2, 3), (3, 3)]:
            self.leaf(data, shape)

    @rule(data=st.data(), shape=st.sampled_from(REF_SHAPES))
    def leaf(self, data: st.DataObject, shape: tuple[int, ...]) -> None:
        value = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)), label="leaf")
        node = Node(ag.tensor(value, requires_grad=True), value)
        self.nodes.append(node)
        self.leaves.append(node)

    @rule(data=st.data(), op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "square"]))
    def binary(self, data: st.DataObject, op: str) -> None:
        a = self.pick(data)
        assert a is not None
        x = a.value
        if op == "square":  # x * x: one node reached twice through one op
            self.add(a.tensor * a.tensor, x * x, [(a, lambda g: g * x), (a, lambda g: g * x)])
            return
        b = self.pick(data, lambda n: broadcastable(n.value.shape, x.shape))
        assert b is not None
        if op == "div":  # a divisor kept away from zero, built in the graph too
            b = self.add(b.tensor.abs() + 1.0, np.abs(b.value) + 1.0, [(b, lambda g, v=b.value: g * np.sign(v))])
        y = b.value
        sa, sb = x.shape, y.shape
        if op == "add":
            t, v = a.tensor + b.tensor, x + y
            rules = [lambda g: unbroadcast(g, sa), lambda g: unbroadcast(g, sb)]
        elif op == "sub":
            t, v = a.tensor - b.tensor, x - y
            rules = [lambda g: unbroadcast(g, sa), lambda g: unbroadcast(-g, sb)]
        elif op == "mul":
            t, v = a.tensor * b.tensor, x * y
            rules = [lambda g: unbroadcast(g * y, sa), lambda g: unbroadcast(g * x, sb)]
        elif op == "div":
            t, v = a.tensor / b.tensor, x / y
            rules = [lambda g: unbroadcast(g / y, sa), lambda g: unbroadcast(-g * x / y**2, sb)]
        else:
            t, v = ag.maximum(a.tensor, b.tensor), np.maximum(x, y)
            win = (x > y) + 0.5 * (x == y)  # ties share the gradient half and half
            rules = [lambda g: unbroadcast(g * win, sa), lambda g: unbroadcast(g * (1 - win), sb)]
        self.add(t, v, list(zip([a, b], rules)))

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), op=st.sampled_from(["tanh", "sin", "exp", "sigmoid", "neg", "abs"]))
    def unary(self, data: st.DataObject, op: str) -> None:
        a = self.pick(data)
        assert a is not None
        x = a.value
        if op == "tanh":
            v, d = np.tanh(x), 1 - np.tanh(x) ** 2
        elif op == "sin":
            v, d = np.sin(x), np.cos(x)
        elif op == "exp":
            x = np.clip(x, -3, 3)  # exp only of values that stay small: the graph applies clamp first
            v = np.exp(x)
            d = v * ((a.value >= -3) & (a.value <= 3))
        elif op == "sigmoid":
            v = 1 / (1 + np.exp(-x))
            d = v * (1 - v)
        elif op == "neg":
            v, d = -x, -np.ones_like(x)
        else:
            v, d = np.abs(x), np.sign(x)
        t = a.tensor.clamp(-3, 3).exp() if op == "exp" else getattr(a.tensor, op if op != "neg" else "__neg__")()
        self.add(t, v, [(a, lambda g: g * d)])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), op=st.sampled_from(["sum", "mean", "softmax", "logsumexp"]), dim=st.integers(-2, 1),
          keepdim=st.booleans())
    def reduce(self, data: st.DataObject, op: str, dim: int, keepdim: bool) -> None:
        a = self.pick(data, lambda n: n.value.ndim >= 1 and -n.value.ndim <= dim < n.value.ndim)
        if a is None:
            return
        x, axis = a.value, dim % a.value.ndim
        n = x.shape[axis]
        if op in ("sum", "mean"):
            scale = 1.0 if op == "sum" else 1.0 / n
            t = getattr(a.tensor, op)(dim, keepdim=keepdim)
            v = np.sum(x, axis=axis, keepdims=keepdim) * scale
            self.add(t, v, [(a, lambda g: np.broadcast_to(g if keepdim else np.expand_dims(g, axis), x.shape) * scale)])
        elif op == "softmax":
            e = np.exp(x - x.max(axis=axis, keepdims=True))
            s = e / e.sum(axis=axis, keepdims=True)
            self.add(a.tensor.softmax(dim), s, [(a, lambda g: s * (g - (g * s).sum(axis=axis, keepdims=True)))])
        else:
            m = x.max(axis=axis, keepdims=True)
            lse = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
            v = lse if keepdim else np.squeeze(lse, axis)
            p = np.exp(x - lse)
            self.add(ag.logsumexp(a.tensor, dim, keepdim), v,
                     [(a, lambda g: p * (g if keepdim else np.expand_dims(g, axis)))])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data())
    def matmul(self, data: st.DataObject) -> None:
        a = self.pick(data, lambda n: n.value.ndim in (1, 2))
        if a is None:
            return
        k = a.value.shape[-1]
        b = self.pick(data, lambda n: n.value.ndim in (1, 2) and n.value.shape[0] == k)
        if b is None:
            return
        x, y = a.value, b.value
        x2, y2 = x.reshape(1, -1) if x.ndim == 1 else x, y.reshape(-1, 1) if y.ndim == 1 else y

        def as_matrix(g: np.ndarray) -> np.ndarray:
            return g.reshape(x2.shape[0], y2.shape[1])

        self.add(a.tensor @ b.tensor, x @ y, [
            (a, lambda g: (as_matrix(g) @ y2.T).reshape(x.shape)),
            (b, lambda g: (x2.T @ as_matrix(g)).reshape(y.shape)),
        ])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), which=st.integers(0, 3))
    def index(self, data: st.DataObject, which: int) -> None:
        a = self.pick(data, lambda n: n.value.ndim >= 1)
        if a is None:
            return
        n = a.value.shape[0]
        index = [0, slice(None, None, -1), np.array([0, n - 1, 0]), (Ellipsis, slice(0, 1))][which]
        x = a.value

        def vjp(g: np.ndarray) -> np.ndarray:
            out = np.zeros_like(x)
            np.add.at(out, index, g)
            return out

        self.add(a.tensor[index], x[index], [(a, vjp)])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), dim=st.integers(-2, 1), use=st.lists(st.integers(0, 3), min_size=1, max_size=2))
    def multi_output(self, data: st.DataObject, dim: int, use: list[int]) -> None:
        a = self.pick(data, lambda n: n.value.ndim >= 1 and -n.value.ndim <= dim < n.value.ndim)
        if a is None:
            return
        x, axis = a.value, dim % a.value.ndim
        kind = data.draw(st.sampled_from(["unbind", "split", "max"]), label="multi-output op")
        if kind == "max":
            values, idx = a.tensor.max(dim)
            i = np.argmax(x, axis=axis)
            picked = np.expand_dims(i, axis) == np.arange(x.shape[axis]).reshape(
                [-1 if j == axis else 1 for j in range(x.ndim)])
            self.add(values, x.max(axis=axis), [(a, lambda g: np.expand_dims(g, axis) * picked)])
            np.testing.assert_array_equal(idx.detach().numpy(), i)
            return
        outs = a.tensor.unbind(dim) if kind == "unbind" else a.tensor.split(1, dim)
        for k in use:
            k %= len(outs)

            def vjp(g: np.ndarray, k: int = k) -> np.ndarray:
                out = np.zeros_like(x)
                sl = [slice(None)] * x.ndim
                sl[axis] = k if kind == "unbind" else slice(k, k + 1)
                out[tuple(sl)] += g
                return out

            value = np.take(x, k, axis=axis) if kind == "unbind" else np.take(x, [k], axis=axis)
            self.add(outs[k], value, [(a, vjp)])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), dim=st.integers(0, 1))
    def cat(self, data: st.DataObject, dim: int) -> None:
        a = self.pick(data, lambda n: n.value.ndim > dim)
        if a is None:
            return
        shape = a.value.shape

        def fits(n: Node) -> bool:
            s = n.value.shape
            return len(s) == len(shape) and all(s[i] == shape[i] for i in range(len(s)) if i != dim)

        b = self.pick(data, fits)
        assert b is not None  # a itself fits
        split = shape[dim]
        self.add(ag.cat([a.tensor, b.tensor], dim), np.concatenate([a.value, b.value], dim), [
            (a, lambda g: np.take(g, np.arange(split), axis=dim)),
            (b, lambda g: np.take(g, np.arange(split, g.shape[dim]), axis=dim)),
        ])

    @precondition(lambda self: self.nodes)
    @rule(data=st.data(), mode=st.sampled_from(["backward", "grad", "create_graph", "twice"]), seed=st.integers(0, 999))
    def check(self, data: st.DataObject, mode: str, seed: int) -> None:
        memo: dict[int, int] = {}
        root = self.pick(data, lambda n: count_paths(n, memo) <= 2000)
        assert root is not None
        w = np.random.default_rng(seed).uniform(-1, 1, root.value.shape)
        expected: dict[int, np.ndarray] = {}
        naive_backprop(root, w, expected)
        leaves = self.leaves
        if mode == "grad" or mode == "create_graph":
            got = ag.grad(root.tensor, [n.tensor for n in leaves], grad_outputs=ag.tensor(w),
                          retain_graph=True, create_graph=mode == "create_graph", allow_unused=True)
            for n, g in zip(leaves, got):
                want = expected.get(id(n))
                if want is None:
                    unused = g is None or not np.any(g.detach().numpy())
                    assert unused, "gradient for a leaf the root does not depend on"
                    continue
                want = np.broadcast_to(want, n.value.shape)
                np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-9, atol=1e-12)
            return
        for n in leaves:
            n.tensor.grad = None
        root.tensor.backward(ag.tensor(w), retain_graph=True)
        if mode == "twice":
            root.tensor.backward(ag.tensor(w), retain_graph=True)
        times = 2.0 if mode == "twice" else 1.0
        for n in leaves:
            want = expected.get(id(n))
            if want is None:
                assert n.tensor.grad is None
            else:
                np.testing.assert_allclose(n.tensor.grad.detach().numpy(), times * want, rtol=1e-9, atol=1e-12)


EngineFuzzer.TestCase.settings = FUZZ_SETTINGS
ReferenceBackprop.TestCase.settings = FUZZ_SETTINGS
TestEngineFuzzer = EngineFuzzer.TestCase
TestReferenceBackprop = ReferenceBackprop.TestCase


# --- what the fuzzers found: one regression test each ---------------------------------------------


def test_a_cast_to_an_integer_or_bool_dtype_leaves_the_graph():
    x = ag.tensor([1.5, -2.0], requires_grad=True)
    for dtype in (ag.int64, ag.int32, ag.bool_):
        y = x.to(dtype)
        assert y.dtype == dtype and not y.requires_grad and y.grad_fn is None
    (x.double() * 2).sum().backward()  # float casts stay differentiable
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("op", ["add_", "mul_", "copy_"])
def test_in_place_ops_on_integer_tensors_are_never_recorded(op):
    w = ag.tensor([0.5, 1.5, 2.5], requires_grad=True)
    t = ag.tensor([1, 2, 3])
    if op == "copy_":  # copy_ casts, as NumPy assignment does
        t.copy_(w)
        np.testing.assert_array_equal(t.detach().numpy(), [0, 1, 2])
    else:
        with pytest.raises(TypeError, match="int64"):
            getattr(t, op)(w)
        np.testing.assert_array_equal(t.detach().numpy(), [1, 2, 3])
    assert t.dtype == np.int64 and not t.requires_grad and t.grad_fn is None


def test_a_recorded_in_place_op_that_would_change_the_shape_is_refused():
    y = ag.ones(3, requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"add_.*\(2, 3\).*\(3,\)"):
        y.add_(ag.ones(2, 3))
    assert y.shape == (3,) and isinstance(y.grad_fn, object) and y.grad_fn.name() == "MulBackward"


@pytest.mark.parametrize("op", ["fill_", "zero_", "copy_", "add_", "setitem"])
def test_in_place_ops_on_a_broadcast_view_are_refused(op):
    e = ag.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*read-only"):
        if op == "setitem":
            e[0] = 5.0
        elif op == "copy_":
            e.copy_(ag.zeros(2, 3))
        elif op == "zero_":
            e.zero_()
        else:
            getattr(e, op)(1.0)
    np.testing.assert_array_equal(e.detach().numpy(), np.ones((2, 3)))


def test_max_and_min_along_dim_0_of_a_0d_tensor():
    x = ag.tensor(2.5, requires_grad=True)
    values, indices = x.max(0)
    assert values.shape == () and values.item() == 2.5 and indices.item() == 0
    values.backward()
    assert x.grad.item() == 1.0
    assert ag.tensor(-1.0).min(-1, keepdim=True).values.item() == -1.0


def test_transpose_and_movedim_of_a_0d_tensor():
    x = ag.tensor(3.0)
    assert x.transpose(0, -1).item() == 3.0
    assert x.movedim(0, 0).item() == 3.0


@pytest.mark.parametrize("op", [lambda t: t.split(1), lambda t: t.chunk(2)])
def test_split_and_chunk_of_a_0d_tensor_are_refused(op):
    with pytest.raises(ValueError, match="0-d"):
        op(ag.tensor(1.0))


def test_the_mean_variance_and_std_of_nothing_are_nan():
    assert np.isnan(ag.zeros(0).mean().item())
    assert np.isnan(ag.zeros(0).var().item())
    assert ag.zeros(2, 0).mean(1).shape == (2,) and np.isnan(ag.zeros(2, 0).mean(1).detach().numpy()).all()
    x = ag.zeros(0, 3, requires_grad=True)
    x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)


def test_an_empty_list_index_selects_nothing():
    x = ag.ones(3, requires_grad=True)
    y = x[[]]
    assert y.shape == (0,)
    (y.sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_softmax_and_logsumexp_over_empty_dims():
    assert ag.zeros(0, 2).softmax(0).shape == (0, 2)
    assert ag.zeros(2, 0).log_softmax(1).shape == (2, 0)
    np.testing.assert_array_equal(ag.zeros(2, 0).logsumexp(1).numpy(), [-np.inf, -np.inf])  # log of an empty sum
    assert ag.tensor([1, 2]).softmax(0).dtype == np.float32  # and integers still work, as float32 (torch's)


def test_flatten_of_a_tensor_with_no_elements():
    assert ag.zeros(0, 3).flatten(1).shape == (0, 3)
    assert ag.zeros(2, 0, 3).flatten().shape == (0,)
    assert ag.zeros(2, 0, 3).flatten(0, 1).shape == (0, 3)


@pytest.mark.parametrize("op", ["copy_", "setitem"])
def test_a_source_with_extra_leading_ones_gets_its_gradient(op):
    # NumPy assignment drops leading size-1 dims of the source: (1, 3) fills (3,).
    src = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = ag.zeros(3, requires_grad=True) * 1
    if op == "copy_":
        y.copy_(src)
    else:
        y[:] = src
    (y * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [[1.0, 10.0, 100.0]])


def test_a_repeated_index_in_an_assignment_gives_the_gradient_to_the_value_that_was_written():
    x = ag.zeros(3, requires_grad=True)
    v = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y[[0, 0]] = v  # the last write wins: y[0] is v[1]
    assert y.detach().numpy()[0] == 2.0
    (y * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 10.0, 100.0])
    s = ag.tensor(3.0, requires_grad=True)  # one value broadcast to positions 1, 1 and 2
    y = x * 1
    y[[1, 1, 2]] = s
    (y * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert s.grad.item() == 110.0


def test_gradients_kept_by_create_graph_are_not_shared_or_read_only():
    a, b = ag.ones(2, requires_grad=True), ag.ones(2, requires_grad=True)
    (a + b).sum().backward(create_graph=True)  # add hands one gradient tensor to both inputs
    assert a.grad is not b.grad
    (a * 3.0).sum().backward()  # accumulates into a.grad in place
    np.testing.assert_array_equal(a.grad.detach().numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(b.grad.detach().numpy(), [1.0, 1.0])
    c = ag.tensor(1.0, requires_grad=True)
    c.expand(3).sum().backward(create_graph=True)  # a gradient that is a broadcast view
    c.expand(3).sum().backward()
    assert c.grad.item() == 6.0


# The long fuzz of the first machine with the whole op table, float16 and int32, ndarrays on the
# left and values that are not numbers (see the README's Reliability section for the runs).

NAN = float("nan")


def _setitem_first(x: Tensor) -> Tensor:
    y = x * 1
    y[0] = 5.0
    return y


# What torch gives for a NaN gradient arriving at every element of the output (checked by hand).
@pytest.mark.parametrize(("op", "expected"), [
    (lambda x: x.clamp(None, -1), [NAN, 0, 0]),
    (lambda x: x.clamp(-1, 1), [0, NAN, 0]),
    (lambda x: x.relu(), [0, 0, NAN]),
    (lambda x: ag.maximum(x, ag.zeros(3)), [0, NAN, NAN]),  # the tie at 0 gets half of NaN
    (lambda x: ag.minimum(x, ag.zeros(3)), [NAN, NAN, 0]),
    (lambda x: x.max(), [0, 0, NAN]),
    (lambda x: x.max(0).values, [0, 0, NAN]),
    (lambda x: x.min(0).values, [NAN, 0, 0]),
    (lambda x: x**0, [0, 0, 0]),
    (_setitem_first, [0, NAN, NAN]),
    (lambda x: x.abs(), [NAN, NAN, NAN]),  # as torch: abs multiplies by its sign
    (lambda x: x.amax(), [0, 0, NAN]),  # as max() (torch's amax multiplies by its weights)
], ids=["clamp_max", "clamp", "relu", "maximum", "minimum", "max", "max_dim", "min_dim", "pow_0", "setitem", "abs",
        "amax"])
def test_a_nan_from_upstream_stays_out_of_elements_an_op_passes_nothing_to(op, expected):
    x = ag.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    y = op(x)
    (g,) = ag.grad(y, [x], grad_outputs=ag.tensor(np.full(y.shape, NAN, np.float32)))
    np.testing.assert_array_equal(g.detach().numpy(), expected)


def test_the_fuzzers_nan_through_a_clamp():
    # The minimal example: y = clamp(0, max=-1) = -1, y ** y, whose gradient for the exponent
    # is y ** y * log(y) = nan; the clamp passes nothing back, so x's gradient is 0 (as in torch).
    x = ag.tensor(0.0, requires_grad=True)
    y = x.clamp(None, -1)
    with np.errstate(invalid="ignore"):
        (g,) = ag.grad(y**y, [x])
    assert g.item() == 0.0
    lo, hi = ag.tensor([-1.0] * 3, requires_grad=True), ag.tensor([1.0] * 3, requires_grad=True)
    x = ag.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    grads = ag.grad(x.clamp(lo, hi), [x, lo, hi], grad_outputs=ag.tensor([NAN] * 3))
    for g, want in zip(grads, [[0, NAN, 0], [NAN, 0, 0], [0, 0, NAN]]):
        np.testing.assert_array_equal(g.detach().numpy(), want)


def test_selections_stay_differentiable_to_second_order():
    x = ag.tensor([-2.0, 0.5, 2.0], requires_grad=True)
    (g,) = ag.grad((x.clamp(-1, 1) ** 3).sum(), [x], create_graph=True)
    (gg,) = ag.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.detach().numpy(), [0.0, 3.0, 0.0])  # 6x inside the bounds
    (g,) = ag.grad((x.relu() ** 2).sum(), [x], create_graph=True)
    np.testing.assert_allclose(ag.grad(g.sum(), [x])[0].detach().numpy(), [0.0, 2.0, 2.0])


@pytest.mark.parametrize("p", ["fro", 2])
def test_norm_takes_fro_as_the_two_norm(p):
    x = ag.tensor([[3.0, 4.0], [0.0, 12.0]], requires_grad=True)
    np.testing.assert_allclose(x.norm(p).item(), 13.0)
    np.testing.assert_allclose(x.norm(p, dim=1).detach().numpy(), [5.0, 12.0])
    x.norm(p).backward()
    np.testing.assert_allclose(x.grad.numpy(), x.detach().numpy() / 13.0, rtol=1e-6)


@pytest.mark.parametrize("p", ["nuc", "max", "inf"])
def test_norm_refuses_other_strings_by_name(p):
    with pytest.raises(ValueError, match=f"norm: p must be a number, inf or 'fro'.*'{p}'"):
        ag.ones(2, 2).norm(p)


@pytest.mark.parametrize(("shape", "error", "match"), [
    (3, TypeError, "sum_to_shape: shape must be a tuple of ints, got int 3"),
    ((1.5,), TypeError, r"\(1.5,\)"),
    ((-1,), ValueError, r"\(-1,\) has a negative size"),
    ((2,), ValueError, r"\(2, 3\).*\(2,\)"),
])
def test_sum_to_shape_refuses_what_is_not_a_shape_it_can_reach(shape, error, match):
    with pytest.raises(error, match=match):
        ag.ones(2, 3).sum_to_shape(shape)


@pytest.mark.parametrize("dtype", [object, complex, np.complex64, str, "datetime64[s]"])
def test_no_tensor_of_a_dtype_that_is_not_a_real_number(dtype):
    with pytest.raises(TypeError, match=re.escape(f"cannot have dtype {np.dtype(dtype)}")):
        ag.ones(2).to(dtype)
    with pytest.raises(TypeError, match="cannot have dtype"):
        ag.zeros(2, dtype=dtype)


@pytest.mark.parametrize("value", [1j, np.complex64(1 + 1j), np.array([1j, 1j]), np.array(["a", "b"]),
                                   np.array([None, None], dtype=object), "a"])
@pytest.mark.parametrize("op", ["mul", "rmul", "pow", "div", "matmul", "maximum", "where", "clamp"])
def test_complex_and_other_foreign_operands_are_refused(op, value):
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    calls = {"mul": lambda: t * value, "rmul": lambda: value * t, "pow": lambda: t**value, "div": lambda: t / value,
             "matmul": lambda: t @ value, "maximum": lambda: ag.maximum(t, value),
             "where": lambda: ag.where(t > 1, t, value), "clamp": lambda: t.clamp(value, None)}
    with pytest.raises(TypeError, match="bool, integer and floating-point numbers only, not"):
        calls[op]()


@pytest.mark.parametrize("value", [1j, np.array([1j, 1j]), np.array([None, None], dtype=object), "a"])
@pytest.mark.parametrize("op", ["setitem", "fill_", "add_", "copy_"])
def test_an_in_place_change_with_a_foreign_value_is_refused_and_changes_nothing(op, value):
    t = ag.tensor([1.0, 2.0])
    name = "__setitem__" if op == "setitem" else op
    with pytest.raises(TypeError, match=rf"{name} on a tensor of shape \(2,\): tensors hold"):
        t.__setitem__(..., value) if op == "setitem" else getattr(t, op)(value)
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize(("x_shape", "w_shape"), [((3, 0), (2, 0)), ((3, 2), (0, 2)), ((0, 2), (4, 2))])
def test_linear_backward_with_no_elements(x_shape, w_shape):
    x, w = ag.zeros(*x_shape, requires_grad=True), ag.ones(*w_shape, requires_grad=True)
    b = ag.ones(w_shape[0], requires_grad=True)
    ag.linear(x, w, b).sum().backward()
    assert x.grad.shape == x_shape and w.grad.shape == w_shape
    np.testing.assert_array_equal(b.grad.numpy(), np.full(w_shape[0], float(x_shape[0])))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amax_and_amin_of_slices_with_inf_and_nan(dtype):
    x = ag.tensor(np.array([[2.0, np.inf], [-np.inf, 1.0], [np.nan, 1.0]], dtype), requires_grad=True)
    np.testing.assert_array_equal(ag.amin(x, 1).detach().numpy(), [2.0, -np.inf, np.nan])
    np.testing.assert_array_equal(ag.amax(x, 1).detach().numpy(), [np.inf, 1.0, np.nan])
    assert ag.amin(x[:2]).item() == -np.inf and np.isnan(x.amax().item())
    (ag.amin(x[:2], 1) * ag.tensor([1.0, 0.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    y = ag.tensor(np.array([np.nan, 1.0, np.nan], dtype), requires_grad=True)
    y.max().backward()  # the NaNs are the max, and share the gradient (as in torch)
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.0, 0.5])
    y.grad = None
    y.amax().backward()  # the same for amax (torch's is NaN everywhere)
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.0, 0.5])


@pytest.mark.parametrize("op", [ag.maximum, ag.minimum])
def test_ties_with_an_ndarray_on_the_left_share_the_gradient(op):
    x = ag.zeros(2, 2, requires_grad=True)
    (g,) = ag.grad(op(np.zeros((1, 1), np.float32), x).sum(), [x])
    np.testing.assert_array_equal(g.detach().numpy(), np.full((2, 2), 0.5))
