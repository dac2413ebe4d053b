"""Derivatives of whole functions (``torch.autograd.functional``): ``jacobian``, ``hessian``,
and the products ``vjp`` (v^T J), ``jvp`` (J v), ``vhp`` (v^T H) and ``hvp`` (H v).

Each is built from ``grad``: a Jacobian is one backward pass per output element; a Hessian
is the Jacobian of a gradient taken with ``create_graph=True``; ``jvp`` runs backward twice
(the gradient of v^T J with respect to v is linear in v, and differentiating ``u -> J^T u``
against v gives J v), so no forward-mode engine is needed.

As in torch, ``inputs`` and the function's outputs are each a tensor or a tuple of tensors,
and results have the same structure. ``create_graph=True`` makes the results differentiable
(with respect to the inputs); otherwise they are detached. ``strict=True`` refuses an output
that does not depend on an input instead of giving zeros. ``vectorize`` and the strategy
arguments are accepted for compatibility and change nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

from .creation import ones_like, zeros, zeros_like
from .engine import grad
from .joining import stack
from .tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

# One tensor, or several: what ``inputs``, ``v`` and a function's outputs may be. The overloads
# below give each result the structure it has: a tensor where the argument was one, else a tuple.
Tensors = Tensor | Sequence[Tensor]


def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """Whether ``x`` was a tuple, and ``x`` as a tuple of tensors."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f" (item {i})" if is_tuple else ""
            raise TypeError(f"{fn}: {what} must be a tensor or a tuple of tensors, got {type(item).__name__}{where}")
    return is_tuple, items


def _shaped(is_tuple: bool, items: tuple[Any, ...]) -> Any:
    return items if is_tuple else items[0]


def _prepare_inputs(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Inputs to differentiate with respect to: fresh leaves, or (to differentiate the results
    again with respect to the caller's tensors) copies still attached to their graph."""
    return tuple(x.clone() if create_graph and x.requires_grad else x.detach().requires_grad_() for x in inputs)


def _call(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    return _as_tuple(func(*inputs), "the outputs of the function", fn)


def _finish(items: Any, create_graph: bool) -> Any:
    """Results detached unless they are to be differentiated again (nested tuples kept)."""
    if isinstance(items, tuple):
        return tuple(_finish(item, create_graph) for item in items)
    return items if create_graph else items.detach()


def _grads(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], grad_outputs: tuple[Tensor, ...],
           create_graph: bool, strict: bool, fn: str) -> tuple[Tensor | None, ...]:
    """The gradients of ``sum(outputs[i] * grad_outputs[i])`` with respect to each input. For
    an input the outputs do not depend on: None, or an error when ``strict``."""
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out.requires_grad]
    results: tuple[Tensor | None, ...] = (None,) * len(inputs)
    if pairs:
        results = grad([o for o, _ in pairs], inputs, grad_outputs=[g for _, g in pairs],
                       retain_graph=True, create_graph=create_graph, allow_unused=True)
    unused = [j for j, r in enumerate(results) if r is None]
    if strict and unused:
        raise RuntimeError(f"{fn}: the outputs do not depend on input {unused[0]}, which strict=True refuses")
    return results


def _grads_or_zeros(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], grad_outputs: tuple[Tensor, ...],
                    create_graph: bool, strict: bool, fn: str) -> tuple[Tensor, ...]:
    """``_grads``, with zeros for an input the outputs do not depend on."""
    results = _grads(outputs, inputs, grad_outputs, create_graph, strict, fn)
    return tuple(zeros_like(x) if r is None else r for x, r in zip(inputs, results))


def _check_v(v: Tensors | None, like: tuple[Tensor, ...], is_tuple: bool, what: str, fn: str) -> tuple[Tensor, ...]:
    """``v`` as a tuple matching ``like`` in length and shapes; None is allowed when ``like`` is
    a single one-element tensor (v is then 1)."""
    if v is None:
        if is_tuple or like[0].numel() != 1:
            raise RuntimeError(f"{fn}: v may be None only when the {what} is a single tensor of one element")
        return (ones_like(like[0]),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn}: v has {len(vs)} tensors for {len(like)} {what} tensors")
    for i, (a, b) in enumerate(zip(vs, like)):
        if a.shape != b.shape:
            raise RuntimeError(f"{fn}: v[{i}] has shape {a.shape}, the {what} {i} has shape {b.shape}")
    return vs


def _inputs_and_v(inputs: Tensors, v: Tensors | None, create_graph: bool, fn: str) -> tuple[bool, tuple[Tensor, ...],
                                                                            tuple[Tensor, ...]]:
    """For a product with a vector of the inputs' shapes: whether the inputs were a tuple, the
    inputs prepared, and v checked against them."""
    inputs_tuple, xs = _as_tuple(inputs, "inputs", fn)
    vs = _check_v(v, xs, inputs_tuple, "inputs", fn)
    return inputs_tuple, _prepare_inputs(xs, create_graph), vs


@overload
def vjp(func: Callable[..., Tensor], inputs: Tensor, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Tensor]: ...
@overload
def vjp(func: Callable[..., Tensor], inputs: Sequence[Tensor], v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]: ...
@overload
def vjp(func: Callable[..., Sequence[Tensor]], inputs: Tensor, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[tuple[Tensor, ...], Tensor]: ...
@overload
def vjp(func: Callable[..., Sequence[Tensor]], inputs: Sequence[Tensor], v: Tensors | None = None,
        create_graph: bool = False, strict: bool = False) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]: ...
def vjp(func: Callable[..., Tensors], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the gradient of ``sum(outputs * v)`` with respect to the inputs."""
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare_inputs(xs, create_graph)
    outputs_tuple, outs = _call(func, xs, "vjp")
    vs = _check_v(v, outs, outputs_tuple, "outputs", "vjp")
    result = _grads_or_zeros(outs, xs, vs, create_graph, strict, "vjp")
    return _finish(_shaped(outputs_tuple, outs), create_graph), _finish(_shaped(inputs_tuple, result), create_graph)


@overload
def jvp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Tensor]: ...
@overload
def jvp(func: Callable[..., Sequence[Tensor]], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]: ...
def jvp(func: Callable[..., Tensors], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``, by differentiating ``u -> J^T u`` against v (backward twice)."""
    _, xs, vs = _inputs_and_v(inputs, v, create_graph, "jvp")
    outputs_tuple, outs = _call(func, xs, "jvp")
    # A dummy cotangent per floating output (integer outputs have no derivative).
    us = tuple(zeros_like(out).requires_grad_(out.dtype.kind == "f") for out in outs)
    transposed = _grads(outs, xs, us, True, strict, "jvp")  # J^T u, linear in u
    terms = [(t, v_) for t, v_ in zip(transposed, vs) if t is not None and t.requires_grad]
    variables = tuple(u for u in us if u.requires_grad)
    products = iter(_grads(tuple(t for t, _ in terms), variables, tuple(v_ for _, v_ in terms), create_graph, False,
                           "jvp") if variables else ())
    result: list[Tensor | None] = [next(products) if u.requires_grad else None for u in us]
    for i, (out, r) in enumerate(zip(outs, result)):
        if r is None:
            if strict:
                raise RuntimeError(f"jvp: output {i} does not depend on the inputs, which strict=True refuses")
            result[i] = zeros_like(out)
    return _finish(_shaped(outputs_tuple, outs), create_graph), _finish(_shaped(outputs_tuple, tuple(result)),
                                                                         create_graph)


@overload
def jacobian(func: Callable[..., Tensor], inputs: Tensor, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Tensor: ...
@overload
def jacobian(func: Callable[..., Tensor], inputs: Sequence[Tensor], create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> tuple[Tensor, ...]: ...
@overload
def jacobian(func: Callable[..., Sequence[Tensor]], inputs: Tensor, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> tuple[Tensor, ...]: ...
@overload
def jacobian(func: Callable[..., Sequence[Tensor]], inputs: Sequence[Tensor], create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> tuple[tuple[Tensor, ...], ...]: ...
def jacobian(func: Callable[..., Tensors], inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d output / d input, of shape ``output.shape + input.shape``: a tensor for one input and
    one output, a tuple over the inputs (or the outputs) when one of them is a tuple, and a
    tuple (per output) of tuples (per input) when both are."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare_inputs(xs, create_graph)
    outputs_tuple, outs = _call(func, xs, "jacobian")
    rows = []
    for out in outs:
        # One backward pass per element of the output: row k of the Jacobian is the gradient of out[k].
        per_element = [_grads_or_zeros((out,), xs, (_unit(out, k),), create_graph, strict, "jacobian")
                       for k in range(out.numel())]
        blocks = tuple(
            (stack([g[j] for g in per_element]) if per_element else zeros(0, *x.shape, dtype=x.dtype))
            .reshape(*out.shape, *x.shape)
            for j, x in enumerate(xs)
        )
        rows.append(_shaped(inputs_tuple, blocks))
    return _finish(_shaped(outputs_tuple, tuple(rows)), create_graph)


def _unit(like: Tensor, k: int) -> Tensor:
    """A tensor of ``like``'s shape and dtype, 1 at flat position ``k`` and 0 elsewhere."""
    unit = zeros(like.numel(), dtype=like.dtype)
    unit[k] = 1
    return unit.reshape(like.shape)


def _value_and_gradient(func: Callable[..., Any], xs: tuple[Tensor, ...], fn: str) -> tuple[Tensor, tuple[Tensor, ...]]:
    """The value of a function of one-element output and its gradient, differentiable again."""
    outputs_tuple, outs = _call(func, xs, fn)
    if outputs_tuple or outs[0].numel() != 1:
        shapes = [tuple(o.shape) for o in outs] if outputs_tuple else tuple(outs[0].shape)
        raise RuntimeError(f"{fn}: the function must return a single tensor of one element, got {shapes}")
    return outs[0], _grads_or_zeros(outs, xs, (ones_like(outs[0]),), True, False, fn)


@overload
def hessian(func: Callable[..., Tensor], inputs: Tensor, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Tensor: ...
@overload
def hessian(func: Callable[..., Tensor], inputs: Sequence[Tensor], create_graph: bool = False, strict: bool = False,
            vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> tuple[tuple[Tensor, ...], ...]: ...
def hessian(func: Callable[..., Tensor], inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The second derivatives of a function with one-element output: for one input x, a tensor
    of shape ``x.shape + x.shape``; for a tuple of inputs, a tuple of tuples (block [i][j] is
    d2 f / d x_i d x_j)."""
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "hessian")
    gradient = lambda *ys: _value_and_gradient(func, ys, "hessian")[1]
    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict, strategy=outer_jacobian_strategy)
    return result if inputs_tuple else result[0][0]


@overload
def vhp(func: Callable[..., Tensor], inputs: Tensor, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Tensor]: ...
@overload
def vhp(func: Callable[..., Tensor], inputs: Sequence[Tensor], v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]: ...
def vhp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Any]:
    """``(func(inputs), v^T H)`` for a function with one-element output: the vjp of its gradient."""
    inputs_tuple, xs, vs = _inputs_and_v(inputs, v, create_graph, "vhp")
    value, grads = _value_and_gradient(func, xs, "vhp")
    result = _grads_or_zeros(grads, xs, vs, create_graph, strict, "vhp")
    return _finish(value, create_graph), _finish(_shaped(inputs_tuple, result), create_graph)


@overload
def hvp(func: Callable[..., Tensor], inputs: Tensor, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Tensor]: ...
@overload
def hvp(func: Callable[..., Tensor], inputs: Sequence[Tensor], v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]: ...
def hvp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Any]:
    """``(func(inputs), H v)``. NOTE: the Hessian of a twice continuously differentiable
    function is symmetric, so H v = (v^T H)^T and one backward pass through the gradient gives
    it; torch's hvp takes two for the same numbers."""
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
