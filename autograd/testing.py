"""Property-based testing for ops: hypothesis strategies for tensors, shapes and the
arguments of reductions, and ``check_op``, which checks an op on generated inputs in one call.

``check_op`` draws shapes and values, then checks the forward against a NumPy reference,
first- and second-order gradients against central finite differences (``gradcheck`` and
``gradgradcheck``), that no input is modified, and that outputs require grad exactly when
an input does. For a custom ``Function``::

    import numpy as np
    from autograd.testing import broadcastable_shapes, check_op, elements

    def test_softplus():
        check_op(Softplus.apply, lambda x: np.logaddexp(0.0, x))

    def test_my_div():  # two broadcast operands, the divisor kept away from 0
        check_op(MyDiv.apply, np.divide, shapes=broadcastable_shapes(2),
                 elements=[elements(), elements(avoid=[0.0], margin=0.5)])

This module needs hypothesis, a test dependency (``pip install hypothesis``); the rest of
``autograd`` does not, and does not import this module.

How many examples each call tries comes from the active hypothesis profile unless
``max_examples`` is given. ``load_profile()`` registers this module's profiles ``dev``,
``ci`` and ``thorough`` and loads the one the environment variable
``NDGRAD_HYPOTHESIS_PROFILE`` names (``ci`` by default); call it from a ``conftest.py``::

    from autograd.testing import load_profile
    load_profile()
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Callable, Sequence
from typing import Any, TypedDict, overload

import numpy as np

try:
    import hypothesis.extra.numpy as hnp
    from hypothesis import HealthCheck, Phase, given, note, settings
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "autograd.testing needs hypothesis, a test dependency: pip install hypothesis (or ndgrad[test])"
    ) from error

from .engine import grad
from .grad_mode import no_grad
from .gradcheck import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = [
    "PROFILES", "PROFILE_VARIABLE", "broadcastable_shapes", "check_op", "dim_kwargs", "dims", "elements", "grid",
    "load_profile", "register_profiles", "shapes", "tensors",
]

Shape = tuple[int, ...]


# --- shapes --------------------------------------------------------------------------------------


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3) -> SearchStrategy[Shape]:
    """Array shapes. The defaults stay small (at most 27 elements), since a full Jacobian
    check costs two evaluations per input element."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(
    n: int = 2, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3
) -> SearchStrategy[tuple[Shape, ...]]:
    """Tuples of ``n`` shapes that broadcast together, with missing leading dims and
    size-1 dims (so that gradients must be summed back to each operand's shape)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"broadcastable_shapes: n must be a positive int, got {n!r}")
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda drawn: tuple(drawn.input_shapes))


# --- values --------------------------------------------------------------------------------------


def elements(
    low: float = -3.0, high: float = 3.0, *, avoid: Sequence[float] = (), margin: float = 1e-2
) -> SearchStrategy[float]:
    """Floats in the bounded domain [low, high], at least ``margin`` away from every point of
    ``avoid`` (kinks such as relu's and abs's at 0, poles such as a divisor's 0).

    ``margin`` must dwarf the finite-difference step (1e-6), so that no perturbed value
    crosses a kink.
    """
    if not low < high:
        raise ValueError(f"elements: need low < high, got low={low}, high={high}")
    if margin < 0:
        raise ValueError(f"elements: margin must be non-negative, got {margin}")
    pieces, start = [], float(low)
    for point in sorted(float(p) for p in avoid):
        if point - margin > start:
            pieces.append((start, point - margin))
        start = max(start, point + margin)
    if start < high:
        pieces.append((start, float(high)))
    if not pieces:
        raise ValueError(f"elements: nothing of [{low}, {high}] is at least {margin} away from {list(avoid)}")
    return st.one_of([st.floats(a, b, allow_nan=False, allow_infinity=False) for a, b in pieces])


def grid(low: float, high: float, step: float, *, offset: float = 0.0) -> SearchStrategy[float]:
    """Values ``low + offset + k * step`` up to ``high``. Two grids with different offsets
    never meet, which keeps the operands of maximum/minimum or clamp away from ties."""
    if not step > 0:
        raise ValueError(f"grid: step must be positive, got {step}")
    count = int(np.floor((high - low - offset) / step + 1e-9))
    if count < 0:
        raise ValueError(f"grid: no point of [{low}, {high}] at offset {offset}")
    return st.integers(0, count).map(lambda k: low + offset + k * step)


def _spread(a: np.ndarray, gap: float) -> np.ndarray:
    """Move values apart, upwards, until any two differ by at least ``gap`` (order kept)."""
    flat = a.reshape(-1).copy()
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    for k in range(1, ordered.size):
        ordered[k] = max(ordered[k], ordered[k - 1] + gap)
    flat[order] = ordered
    return flat.reshape(a.shape)


def _arrays(
    shape: Any, dtype: Any, values: SearchStrategy[Any] | None, distinct: bool, gap: float
) -> SearchStrategy[np.ndarray]:
    dtype = np.dtype(dtype)
    if values is None:
        values = elements() if dtype.kind == "f" else st.integers(-5, 5)
    if dtype.kind == "f" and dtype != np.float64:
        values = values.map(lambda v: float(dtype.type(v)))  # hypothesis wants exactly representable values
    drawn = hnp.arrays(dtype, shape, elements=values)
    if distinct:
        drawn = drawn.map(lambda a: _spread(a, gap).astype(dtype))
    return drawn


def tensors(
    shape: Shape | SearchStrategy[Shape] | None = None,
    *,
    dtype: Any = np.float64,
    elements: SearchStrategy[Any] | None = None,
    requires_grad: bool = True,
    distinct: bool = False,
    gap: float = 1e-2,
) -> SearchStrategy[Tensor]:
    """Tensors of a fixed or drawn ``shape`` (default: ``shapes()``), float64 by default,
    with values from ``elements`` (default: ``elements()``, floats in [-3, 3]).

    ``distinct=True`` makes every two values differ by at least ``gap``: ties and
    near-ties make max, min and sorting non-differentiable. Values are pushed apart
    upwards, so they may end up to ``size * gap`` above the range ``elements`` draws from.
    Integer and bool dtypes give tensors that do not require grad.
    """
    dtype = np.dtype(dtype)
    drawn_shape = shapes() if shape is None else shape
    arrays = _arrays(drawn_shape, dtype, elements, distinct, gap)
    grad = requires_grad and dtype.kind == "f"
    return arrays.map(lambda a: Tensor(a, requires_grad=grad, dtype=dtype))


# --- arguments of reductions ----------------------------------------------------------------------


def _ndim(shape: Shape | int) -> int:
    return shape if isinstance(shape, int) else len(shape)


@overload
def dims(shape: Shape | int) -> SearchStrategy[int]: ...


@overload
def dims(
    shape: Shape | int, *, allow_none: bool = ..., allow_tuple: bool = ...
) -> SearchStrategy[int | tuple[int, ...] | None]: ...


def dims(
    shape: Shape | int, *, allow_none: bool = False, allow_tuple: bool = False
) -> SearchStrategy[int | tuple[int, ...] | None]:
    """A ``dim`` argument valid for a tensor of ``shape`` (or of that many dims): an int,
    negative ones included; with ``allow_tuple`` also tuples of distinct dims; with
    ``allow_none`` also None (reduce everything)."""
    ndim = _ndim(shape)
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in torch
    options: list[SearchStrategy[Any]] = [st.integers(-n, n - 1)]
    if allow_tuple and ndim > 0:
        axes = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
        options.append(axes.flatmap(lambda ax: st.tuples(*[st.sampled_from([a, a - ndim]) for a in ax])))
    if allow_none:
        options.append(st.none())
    return st.one_of(options)


def dim_kwargs(
    shape: Shape | int, *, allow_none: bool = False, allow_tuple: bool = False, keepdim: bool = True
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments ``{"dim": ..., "keepdim": ...}`` for a reduction of a tensor of
    ``shape``; ``keepdim=False`` leaves keepdim out. Made for ``check_op(kwargs=...)``::

        check_op(lambda x, dim, keepdim: x.sum(dim, keepdim),
                 lambda a, dim, keepdim: np.sum(a, axis=dim, keepdims=keepdim),
                 kwargs=lambda shape: dim_kwargs(shape, allow_none=True, allow_tuple=True))
    """
    fields: dict[str, SearchStrategy[Any]] = {"dim": dims(shape, allow_none=allow_none, allow_tuple=allow_tuple)}
    if keepdim:
        fields["keepdim"] = st.booleans()
    return st.fixed_dictionaries(fields)


# --- hypothesis profiles ------------------------------------------------------------------------------

PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 5},  # a quick run while editing
    # the default: derandomized, so that CI and a local run draw the same examples and a CI
    # failure reproduces exactly
    "ci": {"max_examples": 30, "derandomize": True},
    "thorough": {"max_examples": 300},  # a deeper random search, before a release
}
PROFILE_VARIABLE = "NDGRAD_HYPOTHESIS_PROFILE"


def register_profiles() -> None:
    """Register the hypothesis profiles of ``PROFILES`` (``dev``, ``ci``, ``thorough``), all with
    deadlines off, since finite differences are slow and their time varies with the drawn
    shapes, and with ``print_blob``, so that a failure prints its ``@reproduce_failure`` line.
    Profiles of the same names registered before are replaced."""
    # Built on hypothesis's own defaults, not on whichever profile is active (a second call
    # would otherwise give `thorough` the derandomize of a loaded `ci`).
    base = settings.get_profile("default")
    for name, options in PROFILES.items():
        settings.register_profile(name, base, deadline=None, print_blob=True, **options)


def load_profile(name: str | None = None) -> str:
    """Register the profiles (``register_profiles``) and make ``name`` the active one; by
    default the one the environment variable ``NDGRAD_HYPOTHESIS_PROFILE`` names, else ``ci``.
    Returns the name loaded. An unknown name raises a ValueError that lists the valid ones."""
    chosen = os.environ.get(PROFILE_VARIABLE, "ci") if name is None else name
    if chosen not in PROFILES:
        given_as = f"{PROFILE_VARIABLE}={chosen!r}" if name is None else f"load_profile: {chosen!r}"
        raise ValueError(
            f"{given_as} is not a hypothesis profile of autograd.testing; choose one of {', '.join(PROFILES)}"
        )
    register_profiles()
    settings.load_profile(chosen)
    return chosen


# --- check_op ---------------------------------------------------------------------------------------

_default_shapes, _default_elements = shapes, elements


def check_op(
    op: Callable[..., Any],
    reference: Callable[..., Any] | None = None,
    *,
    shapes: Any = None,
    elements: Any = None,
    kwargs: Any = None,
    second_order: bool = True,
    distinct: bool = False,
    gap: float = 1e-2,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    forward_rtol: float = 1e-7,
    max_examples: int | None = None,
    hypothesis_settings: settings | None = None,
) -> None:
    """Check ``op`` on generated float64 inputs; raise on the first failure (hypothesis
    shrinks it to a small example and prints it, with the exact input values).

    * ``op(*tensors, **kwargs)`` returns a tensor or a tuple of them.
    * ``reference(*arrays, **kwargs)``, if given, computes the same with NumPy; the forward
      must match it to ``forward_rtol``. Tensors among the kwargs reach it as arrays.
    * ``shapes``: a strategy (or a fixed value) giving one shape for a one-input op, or a
      tuple of shapes, one per input (such as ``broadcastable_shapes(2)``). Default
      ``shapes()``.
    * ``elements``: the values, as a strategy for every input or a list of strategies,
      one per input. Default ``elements()``, floats in [-3, 3]. Keep them inside the op's
      domain and away from its kinks (see ``elements(avoid=...)`` and ``grid``).
    * ``kwargs``: keyword arguments for ``op`` (and ``reference``): a dict of values and
      strategies, a strategy of dicts, or a function of the drawn shapes returning either
      (``lambda shape: dim_kwargs(shape)``).
    * ``distinct``: every input has values at least ``gap`` apart (for max, min and ties).
    * ``max_examples`` overrides the active profile's; ``hypothesis_settings`` replaces the
      profile as the settings to start from (``deadline`` is off regardless).

    Checked for each example: the forward against ``reference``; first-order gradients
    with ``gradcheck`` and, if ``second_order``, second-order ones with ``gradgradcheck``;
    that no input is modified; and that the floating-point outputs require grad exactly
    when an input does (and never under ``no_grad``). For an op of several inputs that
    holds for each input alone too, and backward then gives that input the gradient it
    gets when every input requires grad, and no other input a ``.grad``; an input that
    only gives a shape or a mask belongs in ``kwargs``. The default tolerances are tighter
    than gradcheck's (a gradient off by a factor of 1.001 fails), which the bounded
    float64 domains allow.

    Call it from a test function, not from inside another ``@given`` test.
    """
    if not callable(op):
        raise TypeError(f"check_op: op must be callable, got {type(op).__name__}")
    if reference is not None and not callable(reference):
        raise TypeError(f"check_op: reference must be callable or None, got {type(reference).__name__}")
    shape_strategy = _default_shapes() if shapes is None else shapes
    if not isinstance(shape_strategy, SearchStrategy):
        shape_strategy = st.just(shape_strategy)
    options = _Tolerances(eps=eps, atol=atol, rtol=rtol)

    def run(data: Any) -> None:
        __tracebackhide__ = True  # pytest shows the failure, not the frames of the checker
        shape_list = _shape_list(data.draw(shape_strategy, label="shapes"))
        values = _per_input(elements, len(shape_list))
        arrays = [
            data.draw(_arrays(s, np.float64, v, distinct, gap), label=f"input {i}")
            for i, (s, v) in enumerate(zip(shape_list, values))
        ]
        kw = data.draw(_kwargs_strategy(kwargs, shape_list), label="kwargs")
        note(_reproduction(op, arrays, kw))
        _check_example(op, reference, arrays, kw, second_order, forward_rtol, options)

    # hypothesis keys its example database on the test function's source, which is the same
    # for every check_op call; a key per op and test keeps one op's failures from being
    # replayed on another.
    run._hypothesis_internal_add_digest = (  # type: ignore[attr-defined]
        f"{os.environ.get('PYTEST_CURRENT_TEST', '')}|{getattr(op, '__module__', '')}.{_name(op)}"
    ).encode()
    base = hypothesis_settings or settings()  # settings() copies the current profile
    limits = settings(
        base,
        deadline=None,  # finite differences are slow, and their time varies with the shape
        suppress_health_check=[HealthCheck.too_slow],
        # The explain phase would list lines of gradcheck run only by failing examples: noise
        # here, where the message already says what failed, and slow.
        phases=[p for p in base.phases if p is not Phase.explain],
        max_examples=base.max_examples if max_examples is None else max_examples,
    )
    limits(given(st.data())(run))()


def _shape_list(drawn: Any) -> list[Shape]:
    """One shape (a tuple of ints) or a tuple of shapes, as a list of shapes."""
    if isinstance(drawn, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in drawn):
        return [tuple(int(s) for s in drawn)]
    if isinstance(drawn, (tuple, list)) and all(isinstance(s, (tuple, list)) for s in drawn) and drawn:
        return [tuple(int(n) for n in s) for s in drawn]
    raise TypeError(f"check_op: shapes must draw a shape or a tuple of shapes, drew {drawn!r}")


def _per_input(values: Any, n: int) -> list[Any]:
    if isinstance(values, (list, tuple)):
        if len(values) != n:
            raise ValueError(f"check_op: {len(values)} element strategies given for {n} inputs")
        return list(values)
    return [values] * n


def _kwargs_strategy(kwargs: Any, shape_list: list[Shape]) -> SearchStrategy[dict[str, Any]]:
    if callable(kwargs) and not isinstance(kwargs, SearchStrategy):
        kwargs = kwargs(*shape_list)
    if kwargs is None:
        return st.just({})
    if isinstance(kwargs, SearchStrategy):
        return kwargs
    if isinstance(kwargs, dict):
        return st.fixed_dictionaries({k: v if isinstance(v, SearchStrategy) else st.just(v) for k, v in kwargs.items()})
    raise TypeError(f"check_op: kwargs must be a dict, a strategy or a function of the shapes, got {kwargs!r}")


def _name(op: Any) -> str:
    owner = getattr(op, "__self__", None)  # MyFunction.apply is a method bound to the class
    if isinstance(owner, type):
        return f"{owner.__name__}.{op.__name__}"
    return getattr(op, "__name__", repr(op))


def _reproduction(op: Any, arrays: list[np.ndarray], kw: dict[str, Any]) -> str:
    listed = ", ".join(f"autograd.tensor(np.array({a.tolist()!r}), requires_grad=True)" for a in arrays)
    fn = f"lambda *xs: {_name(op)}(*xs, **{kw!r})" if kw else _name(op)
    return f"reproduce with: autograd.gradcheck({fn}, [{listed}]) (and gradgradcheck)"


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


class _Tolerances(TypedDict):
    """What ``check_op`` passes on to ``gradcheck`` and ``gradgradcheck``."""

    eps: float
    atol: float
    rtol: float


def _check_example(
    op: Callable[..., Any],
    reference: Callable[..., Any] | None,
    arrays: list[np.ndarray],
    kw: dict[str, Any],
    second_order: bool,
    forward_rtol: float,
    options: _Tolerances,
) -> None:
    __tracebackhide__ = True
    originals = [a.copy() for a in arrays]
    plain = [Tensor(a) for a in arrays]
    outs = _outputs(op(*plain, **kw))
    for k, o in enumerate(outs):
        if isinstance(o, Tensor) and o.requires_grad:
            raise AssertionError(f"output {k} requires grad although no input does")
    if reference is not None:
        ref_kw = {k: v._data if isinstance(v, Tensor) else v for k, v in kw.items()}
        _compare_forward(outs, _outputs(reference(*[a.copy() for a in arrays], **ref_kw)), forward_rtol)
    for i, (t, before) in enumerate(zip(plain, originals)):
        if not np.array_equal(t._data, before, equal_nan=True):
            raise AssertionError(f"op modified input {i} (shape {before.shape}) in place")

    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    with no_grad():
        for k, o in enumerate(_outputs(op(*leaves, **kw))):
            # An op may hand back an input unchanged (reshape to its own shape), which keeps its flag.
            if isinstance(o, Tensor) and o.requires_grad and not any(o is x for x in leaves):
                raise AssertionError(f"output {k} requires grad although it was computed under no_grad()")
    outs = _outputs(op(*leaves, **kw))
    for k, o in enumerate(outs):
        if isinstance(o, Tensor) and o.dtype.kind == "f" and not o.requires_grad:
            raise AssertionError(f"output {k} (shape {o.shape}) does not require grad although every input does")
    if len(arrays) > 1:
        _check_each_input_alone(op, arrays, kw, leaves, outs)

    fn = (lambda *xs: op(*xs, **kw)) if kw else op
    gradcheck(fn, leaves, **options)
    if second_order:
        gradgradcheck(fn, leaves, **options)


def _check_each_input_alone(
    op: Callable[..., Any], arrays: list[np.ndarray], kw: dict[str, Any], leaves: list[Tensor], outs: list[Any]
) -> None:
    """With only input i requiring grad, every floating-point output must still require grad,
    and backward must give input i the gradient it gets when every input requires grad (from
    ``leaves`` and their ``outs``), and no other input a ``.grad``. One forward and one
    backward per input: ``gradcheck``, which runs after this, checks the gradients themselves."""
    __tracebackhide__ = True
    floats = [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]
    if not floats:
        return
    together = grad(_weighted_sum(floats), leaves, allow_unused=True)
    for i in range(len(arrays)):
        inputs = [Tensor(a, requires_grad=j == i) for j, a in enumerate(arrays)]
        alone = []
        for k, o in enumerate(_outputs(op(*inputs, **kw))):
            if not (isinstance(o, Tensor) and o.dtype.kind == "f"):
                continue
            if not o.requires_grad:
                raise AssertionError(
                    f"output {k} (shape {o.shape}) does not require grad when only input {i} does "
                    "(an input that only gives a shape or a mask belongs in kwargs)"
                )
            alone.append(o)
        _weighted_sum(alone).backward()
        for j, x in enumerate(inputs):
            if j != i and x.grad is not None:
                raise AssertionError(f"input {j} got a .grad although only input {i} requires grad")
        got, expected = inputs[i].grad, together[i]
        if got is None or expected is None:
            if got is not expected:
                state = "no gradient" if got is None else "a gradient"
                raise AssertionError(
                    f"input {i} gets {state} when it alone requires grad, "
                    f"but {'none' if expected is None else 'one'} when every input does"
                )
            continue
        where = _first_difference(got._data, expected._data, rtol=1e-9, atol=1e-12)
        if where is not None:
            raise AssertionError(
                f"input {i}: its gradient when it alone requires grad differs from the one when every input does "
                f"{where}"
            )


def _weighted_sum(outs: list[Tensor]) -> Tensor:
    """A scalar of ``outs`` with a fixed random weight per element, so that the upstream gradient
    is not all ones and a backward that mishandles it shows."""
    rng = np.random.default_rng(0)
    return functools.reduce(operator.add, [(o * Tensor(rng.standard_normal(o.shape))).sum() for o in outs])


def _first_difference(got: np.ndarray, expected: np.ndarray, *, rtol: float, atol: float) -> str | None:
    """None if ``got`` matches ``expected`` in shape and to the tolerances, else where it does not."""
    if got.shape != expected.shape:
        return f"in shape: {got.shape} vs {expected.shape}"
    if np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True):
        return None
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    idx = tuple(int(v) for v in np.argwhere(bad)[0]) if bad.ndim else ()
    return f"at element {idx}: {got[idx]!r} vs {expected[idx]!r}"


def _compare_forward(outs: list[Any], expected: list[Any], rtol: float) -> None:
    if len(outs) != len(expected):
        raise AssertionError(f"op returned {len(outs)} outputs, the reference {len(expected)}")
    for k, (o, e) in enumerate(zip(outs, expected)):
        got = o._data if isinstance(o, Tensor) else np.asarray(o)
        e = np.asarray(e)
        if got.shape != e.shape:
            raise AssertionError(f"output {k} has shape {got.shape}, the reference {e.shape}")
        if got.dtype.kind in "biu" or e.dtype.kind in "biu":
            if not np.array_equal(got, e):
                raise AssertionError(f"output {k} differs from the reference:\n  got {got}\n  expected {e}")
            continue
        where = _first_difference(got, e, rtol=rtol, atol=rtol * 1e-3)
        if where is not None:
            raise AssertionError(f"output {k} differs from the reference {where} (rtol {rtol:g})")
