"""The backward walk: from the roots, run every node's backward once, in reverse
topological order, and deliver gradients to leaves (or to the caller of ``grad``).

Iterative throughout (no recursion), so a chain of a million ops is fine. The walk is the
same for ``Tensor`` and ``Scalar``; what differs (how a gradient is seeded, accumulated
into ``.grad``, reduced to a broadcast operand's shape) is asked of the values themselves.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from .anomaly import check_gradients, note_backward_error
from .anomaly import state as _anomaly
from .function import Context, Variable
from .grad_mode import _state


def run_backward(
    roots: Sequence[Variable],
    grad_roots: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Variable] | None = None,
) -> list[Any] | None:
    """Backpropagate from ``roots``. With ``inputs`` (``autograd.grad``), return their
    gradients instead of accumulating into any ``.grad``."""
    capture: dict[Any, int] = {}
    captured: list[Any] = []
    if inputs is not None:
        for i, x in enumerate(inputs):
            if not isinstance(x, Variable) or not x.requires_grad:
                raise RuntimeError(
                    f"grad(): input {i} ({_describe(x)}) does not require grad, so it has no gradient"
                )
            key = (x.grad_fn, x._output_nr) if x.grad_fn is not None else x
            capture[_key(key)] = i
        captured = [None] * len(inputs)

    # A node's incoming gradient: the gradient itself for a node with one output (most of
    # them), a list with one slot per output otherwise; None while nothing has arrived.
    buffers: dict[Context, Any] = {}
    ready: list[Context] = []
    node: Context | None = None  # the one being backpropagated, for anomaly mode's error notes
    prev = _state.enabled
    _state.enabled = create_graph
    # NOTE: the walk allocates many short-lived objects and makes no reference cycles, but
    # each allocation burst would make the cyclic collector traverse the whole graph again
    # (half the time of a large scalar graph's backward). Refcounting frees everything here.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        for root, g in zip(roots, grad_roots):
            if root.grad_fn is None:
                _deliver_to_leaf(root, g, create_graph, capture, captured)
            else:
                _add(buffers, root.grad_fn, root._output_nr, g)
        deps = _count_dependencies([r.grad_fn for r in roots if r.grad_fn is not None])
        ready = [n for n in buffers if deps.get(n, 0) == 0]
        # The hot loop: helpers are inlined where a call per node would show in profiles.
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            edges = node.next_edges
            results: Any = None
            if grads is not None:
                if node._freed:
                    raise node.freed_error()
                if node._n_outputs == 1 and node._pre_hooks is None and node._retained is None and not capture:
                    results = node.function.backward(node, grads)
                else:
                    grads = _prepare_outputs(node, grads if node._n_outputs != 1 else [grads], capture, captured)
                    results = node.function.backward(node, *grads)
                if type(results) is not tuple:
                    results = (results,)
                if len(results) != len(edges):
                    raise _arity_error(node, results)
                if _anomaly.enabled and _anomaly.check_nan:
                    check_gradients(node, results)
                if not retain_graph:
                    node.release()
            for i, edge in enumerate(edges):
                if edge is None:
                    continue
                target = edge[0]
                g = None if results is None else results[i]
                if g is not None and edge[2] is not None:
                    if not isinstance(g, Variable) or g.data.shape != edge[2] or g.data.dtype != edge[3]:
                        g = _fit(node, g, edge)
                if type(target) is Context:
                    if g is not None:
                        if target._n_outputs == 1:
                            before = buffers.get(target)
                            buffers[target] = g if before is None else before + g
                        else:
                            _add(buffers, target, edge[1], g)
                    left = deps[target] - 1
                    deps[target] = left
                    if left == 0:
                        if target not in buffers:
                            # Nothing reached it: its inputs get nothing either, but their
                            # dependency counts must still fall.
                            buffers[target] = None
                        ready.append(target)
                elif g is not None:
                    _deliver_to_leaf(target, g, create_graph, capture, captured)
    except Exception as error:
        # Costs nothing until something fails: then, in anomaly mode, say which op's backward it
        # was and where the user created that op.
        if _anomaly.enabled and node is not None:
            note_backward_error(error, node)
        raise
    finally:
        _state.enabled = prev
        if collecting:
            gc.enable()
    if inputs is None:
        return None
    return captured


def _key(obj: Any) -> Any:
    return (id(obj[0]), obj[1]) if type(obj) is tuple else id(obj)


def _describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f"{type(x).__name__} of shape {tuple(shape)}" if shape is not None else type(x).__name__


def _count_dependencies(starts: list[Context]) -> dict[Context, int]:
    """How many edges of the graph point at each node reachable from ``starts``."""
    deps: dict[Context, int] = {}
    seen = set(starts)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is not None and type(edge[0]) is Context:
                target = edge[0]
                deps[target] = deps.get(target, 0) + 1
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
    return deps


def _add(buffers: dict[Context, Any], node: Context, nr: int, g: Any) -> None:
    """Add ``g`` to what output ``nr`` of ``node`` has received (see ``buffers`` above)."""
    if node._n_outputs == 1:
        before = buffers.get(node)
        buffers[node] = g if before is None else before + g
        return
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node._n_outputs
    slots[nr] = g if slots[nr] is None else slots[nr] + g


def _prepare_outputs(node: Context, grads: list[Any], capture: dict[Any, int], captured: list[Any]) -> list[Any]:
    """Fill missing output gradients with zeros, run hooks, retain and capture."""
    for nr, g in enumerate(grads):
        if g is None:
            assert node._output_meta is not None
            shape, dtype = node._output_meta[nr]
            grads[nr] = g = node._out_cls._zeros(shape, dtype)
        if node._pre_hooks is not None:
            for hook in node._pre_hooks.get(nr, ()):
                r = hook(g)
                if r is not None:
                    grads[nr] = g = r
        if node._retained is not None and nr in node._retained:
            value = node._retained[nr]()
            if value is not None:
                value._accumulate_grad(g, _state.enabled)
        if capture:
            i = capture.get((id(node), nr))
            if i is not None:
                captured[i] = g if captured[i] is None else captured[i] + g
    return grads


def _arity_error(node: Context, results: tuple[Any, ...]) -> RuntimeError:
    return RuntimeError(
        f"{node.function.__name__}.backward returned {len(results)} gradients, but forward took "
        f"{len(node.next_edges)} positional arguments; return one per argument (None where there is none)"
    )


def _fit(node: Context, g: Any, edge: tuple[Any, int, Any, Any]) -> Any:
    """Give a gradient its input's shape and dtype: the one place broadcasting is undone."""
    if not isinstance(g, Variable):
        g = node._out_cls._wrap(g)
    shape, dtype = edge[2], edge[3]
    if shape is not None and g.shape != shape:
        g = g._sum_to_shape(shape, node.name())
    if dtype is not None and g.dtype != dtype:
        g = g.to(dtype)
    return g


def _deliver_to_leaf(leaf: Any, g: Any, create_graph: bool, capture: dict[Any, int], captured: list[Any]) -> None:
    for hook in leaf._hooks or ():
        r = hook(g)
        if r is not None:
            g = r
    if capture:
        i = capture.get(id(leaf))
        if i is not None:
            captured[i] = g if captured[i] is None else captured[i] + g
        return
    leaf._accumulate_grad(g, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    With ``create_graph=True`` the returned gradients are part of the graph, so they can be
    differentiated again (Hessian-vector products, gradient penalties).
    """
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    single = isinstance(inputs, Variable)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Variable):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad(): output {i} ({_describe(out)}) does not require grad")
    seeds = [out._seed_grad(g) for out, g in zip(outputs, grad_outputs)]
    result = run_backward(outputs, seeds, create_graph if retain_graph is None else retain_graph, create_graph, inputs)
    assert result is not None
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} ({_describe(inputs[i])}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(result)
