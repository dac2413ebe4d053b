"""The backward walk: from the roots, run every node's backward once, consumers before
producers, and deliver gradients to leaves (or to the caller of ``grad``).

Nodes are numbered as they are made, and a node is always made after the nodes of its
inputs, so running them in decreasing number is an order in which every node has received
all of its gradient before it runs: no pass that counts dependencies first. A heap holds
the nodes that have received some gradient and not yet run. Iterative throughout, so a
chain of a million ops is fine. The walk is the same for ``Tensor`` and ``Scalar``; what
differs is asked of the values through ``Variable`` (``variable.py``).

Without ``create_graph`` gradients are raw (arrays, floats) and rules run on them directly;
with it they are values, and every rule is recorded like forward code.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any, TypeVar

import numpy as np

from .anomaly import check_gradients, note_backward_error
from .anomaly import state as _anomaly
from .function import _FREED, Context
from .grad_mode import _state
from .variable import Variable

# A leaf may keep a freshly computed gradient array instead of copying it into ``.grad`` when
# nobody else can hold it; only reference counts under the GIL can prove that.
_CAN_PROVE_UNSHARED = hasattr(sys, "getrefcount") and getattr(sys, "_is_gil_enabled", lambda: True)()
_EXCLUSIVE_REFS = 3  # the results tuple, the loop's variable, getrefcount's argument

V = TypeVar("V", bound=Variable)  # the kind of value (Tensor or Scalar) whose gradients ``grad`` returns


def run_backward(
    roots: Sequence[Variable],
    seeds: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Variable] | None = None,
) -> list[Any] | None:
    """Backpropagate ``seeds`` (raw gradients, or values with ``create_graph``) from ``roots``.
    With ``inputs`` given, return their gradients instead of accumulating into any ``.grad``
    (``autograd.grad``, and ``backward(inputs=...)``, which then accumulates them itself)."""
    capture: dict[Any, int] = {}
    captured: list[Any] = []
    needed: set[Context] | None = None
    runs: set[Context] = set()
    if inputs is not None:
        for i, x in enumerate(inputs):
            capture[(id(x.grad_fn), x._output_nr) if x.grad_fn is not None else id(x)] = i
        captured = [None] * len(inputs)
        needed, runs = _nodes_leading_to(roots, inputs)

    buffers: dict[Context, Any] = {}  # what has reached each waiting node: a gradient, or one per output
    heap: list[tuple[int, Context]] = []
    node: Context | None = None  # the one being backpropagated, for anomaly mode's error notes
    prev = _state.enabled
    _state.enabled = create_graph
    # NOTE: the walk allocates many short-lived objects and makes no reference cycles, but
    # each allocation burst would make the cyclic collector traverse the whole graph again.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        for root, g in zip(roots, seeds):
            target = root.grad_fn
            if target is None:
                _deliver(root, g, create_graph, capture, captured, False)
            elif needed is None or target in needed:
                if type(root._data) is float and not capture:  # every Scalar keeps its gradient
                    root._accumulate_grad(g, create_graph)
                _arrive(buffers, heap, target, root._output_nr, g)
        check_nan = _anomaly.enabled and _anomaly.check_nan
        while heap:
            node = heappop(heap)[1]
            g = buffers.pop(node)
            grads = None  # the fast path: one output, no hooks, g as it arrived
            if node._rare is not None or capture:
                grads = _prepare_outputs(node, g, capture, captured)
            if needed is not None and node not in runs:
                continue  # reached only to capture its gradient: nothing below it leads to an input
            if node._saved is _FREED:
                raise node.freed_error()
            partials = node._partials
            if partials is not None:
                _scalar_step(node, partials, g if grads is None else grads[0], create_graph, buffers, heap, needed,
                             capture, captured)
                if not retain_graph:
                    node._saved = _FREED  # as a tensor's node that saved its inputs
                continue
            fn = node.function
            if not (fn.on_arrays or create_graph):
                results = _users_backward(fn, node, [g] if grads is None else grads)
            elif grads is None:
                results = fn.backward(node, g)
            else:
                results = fn.backward(node, *grads)
            edges = node.next_edges
            if type(results) is not tuple:
                results = (results,)
            if len(results) != len(edges):
                raise _arity_error(node, results)
            if check_nan:
                check_gradients(node, results)
            if not retain_graph and node._saved:
                node.release()
            for i, edge in enumerate(edges):
                if edge is None:
                    continue
                g = results[i]
                if g is None:
                    continue
                shape = edge[2]
                if shape is not None:
                    if create_graph:
                        if not isinstance(g, Variable) or g._data.shape != shape or g._data.dtype != edge[3]:
                            g = _fit_value(node, g, edge)
                    elif type(g) is not np.ndarray or g.shape != shape or g.dtype != edge[3]:
                        g = _fit_raw(node, g, edge)
                target = edge[0]
                if type(target) is Context:
                    if len(edge) > 4 and not capture:  # a Scalar, which keeps its gradient
                        edge[4]._accumulate_grad(g, create_graph)
                    if needed is None or target in needed:
                        _arrive(buffers, heap, target, edge[1], g)
                    elif capture:
                        _capture(capture, captured, (id(target), edge[1]), g)
                else:
                    # NOTE: the count is taken here, where every reference to g is known.
                    owned = (_CAN_PROVE_UNSHARED and not create_graph and type(g) is np.ndarray
                             and g.base is None and sys.getrefcount(g) <= _EXCLUSIVE_REFS)
                    _deliver(target, g, create_graph, capture, captured, owned)
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


def _arrive(buffers: dict[Context, Any], heap: list[Any], node: Context, nr: int, g: Any) -> None:
    """Add ``g`` to what output ``nr`` of ``node`` has received; the first arrival queues it."""
    before = buffers.get(node)
    rare = node._rare
    if rare is None or rare.output_meta is None:
        if before is None:
            buffers[node] = g
            heappush(heap, (-node._seq, node))
        else:
            buffers[node] = before + g
        return
    if before is None:
        before = buffers[node] = [None] * len(rare.output_meta)
        heappush(heap, (-node._seq, node))
    before[nr] = g if before[nr] is None else before[nr] + g


def _users_backward(fn: Any, node: Context, grads: Any) -> Any:
    """A user's Function gets and returns tensors, even in a first-order backward."""
    wrap = node._out_cls._wrap
    results = fn.backward(node, *[g if g is None else wrap(g) for g in grads])
    if type(results) is not tuple:
        return results if not isinstance(results, Variable) else results._data
    return tuple(r._data if isinstance(r, Variable) else r for r in results)


def _scalar_step(node: Context, partials: tuple[float | None, ...], g: Any, create_graph: bool,
                 buffers: dict[Context, Any], heap: list[Any], needed: set[Context] | None, capture: dict[Any, int],
                 captured: list[Any]) -> None:
    """A Scalar's node: its local derivatives ``partials``, computed as floats when it was made, times the
    gradient; every Scalar it reaches keeps its share in ``.grad``, as in micrograd.

    With ``create_graph`` the op is applied again, recorded, and its own backward rule gives
    the shares as Scalars in the graph: the recorded path costs nothing until it is asked for."""
    args = node.next_edges
    if create_graph:
        shares = node.function.backward(*_recorded_again(node, args), g)
        if type(shares) is not tuple:
            shares = (shares,)
    else:
        shares = [None if d is None else g * d for d in partials]
    if _anomaly.enabled and _anomaly.check_nan:
        check_gradients(node, tuple(shares))
    for a, share in zip(args, shares):
        if share is None or not isinstance(a, Variable) or not a.requires_grad:
            continue
        target = a.grad_fn
        if target is None:
            _deliver(a, share, create_graph, capture, captured, False)
            continue
        if not capture:
            a._accumulate_grad(share, create_graph)
        if needed is None or target in needed:
            _arrive(buffers, heap, target, 0, share)


def _recorded_again(node: Context, args: tuple[Any, ...]) -> tuple[Context]:
    """The node of ``node``'s op applied again to its arguments, with recording on."""
    out = node.function.apply(*args)
    return (out.grad_fn,)


def _nodes_leading_to(roots: Sequence[Variable], inputs: Sequence[Variable]) -> tuple[set[Context], set[Context]]:
    """The nodes a gradient must reach (those on a path from a root to an input, the inputs'
    own nodes included), and of those the ones whose backward must run (an edge of theirs
    leads to an input): ``grad`` runs only these, so that nodes below the inputs neither run
    nor free what they saved, as in torch."""
    targets = {id(x.grad_fn) if x.grad_fn is not None else id(x) for x in inputs}
    leads: dict[int, bool] = {}
    nodes: dict[int, Context] = {}
    starts = [r.grad_fn for r in roots if r.grad_fn is not None]
    stack: list[tuple[Context, bool]] = [(n, False) for n in starts]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            found = False
            for edge in node.edges():
                if edge is None:
                    continue
                t = edge[0]
                found = found or id(t) in targets or (type(t) is Context and leads.get(id(t), False))
            leads[key] = found
            continue
        if key in leads or key in nodes:
            continue
        nodes[key] = node
        stack.append((node, True))
        for edge in node.edges():
            if edge is not None and type(edge[0]) is Context and id(edge[0]) not in nodes:
                stack.append((edge[0], False))
    runs = {nodes[k] for k, found in leads.items() if found}
    return runs | {nodes[k] for k in nodes if k in targets}, runs


def _prepare_outputs(node: Context, grads: Any, capture: dict[Any, int], captured: list[Any]) -> list[Any]:
    """The gradients of a node's outputs: hooks run and retained or captured gradients kept
    for those that received one; zeros for those that did not."""
    rare = node._rare
    assert rare is not None or capture
    multi = rare is not None and rare.output_meta is not None
    grads = list(grads) if multi else [grads]
    for nr, g in enumerate(grads):
        if g is None:
            continue
        if rare is not None:
            if rare.pre_hooks is not None:
                for hook in rare.pre_hooks.get(nr, ()):
                    r = hook(_as_value(node, g))
                    if r is not None:
                        grads[nr] = g = r._data if not _state.enabled and isinstance(r, Variable) else r
            if rare.retained is not None:
                ref = rare.retained.get(nr)
                value = None if ref is None else ref()
                if value is not None:
                    value._accumulate_grad(g, _state.enabled)
        if capture:
            _capture(capture, captured, (id(node), nr), g)
    if multi:
        assert rare is not None and rare.output_meta is not None
        for nr, g in enumerate(grads):
            if g is None:
                shape, dtype = rare.output_meta[nr]
                zeros = node._out_cls._zeros(shape, dtype)
                grads[nr] = node._out_cls._wrap(zeros) if _state.enabled else zeros
    return grads


def _as_value(node: Context, g: Any) -> Any:
    """A gradient as hooks see it: always a value (tensor), as in torch."""
    return g if isinstance(g, Variable) else node._out_cls._wrap(g)


def _capture(capture: dict[Any, int], captured: list[Any], key: Any, g: Any) -> None:
    i = capture.get(key)
    if i is not None:
        captured[i] = g if captured[i] is None else captured[i] + g


def _arity_error(node: Context, results: tuple[Any, ...]) -> RuntimeError:
    return RuntimeError(
        f"{node.function.__name__}.backward returned {len(results)} gradients, but forward took "
        f"{len(node.next_edges)} positional arguments; return one per argument (None where there is none)"
    )


def _fit_raw(node: Context, g: Any, edge: tuple[Any, ...]) -> Any:
    """Give a raw gradient its input's shape and dtype: the one place broadcasting is undone."""
    g = np.asarray(g)
    shape, dtype = edge[2], edge[3]
    if g.shape != shape:
        g = node._out_cls._sum_to(g, shape, node.name())
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _fit_value(node: Context, g: Any, edge: tuple[Any, ...]) -> Any:
    """``_fit_raw`` for a gradient that is recorded (``create_graph``)."""
    if not isinstance(g, Variable):
        g = node._out_cls._wrap(np.asarray(g))
    shape, dtype = edge[2], edge[3]
    if g._data.shape != shape:
        g = node._out_cls._sum_to(g, shape, node.name())
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


def _deliver(leaf: Any, g: Any, create_graph: bool, capture: dict[Any, int], captured: list[Any],
             owned: bool) -> None:
    if leaf._hooks:
        for hook in leaf._hooks:
            r = hook(g if isinstance(g, Variable) else leaf._wrap(g))
            if r is not None:
                g = r if create_graph or not isinstance(r, Variable) else r._data
                owned = False
    if capture:
        _capture(capture, captured, id(leaf), g)
        return
    leaf._accumulate_grad(g, create_graph, owned)


def _describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f"{type(x).__name__} of shape {tuple(shape)}" if shape is not None else type(x).__name__


def backward(
    tensors: Variable | Sequence[Variable],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Variable | Sequence[Variable] | None = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend
    on (or of ``inputs`` only), as ``sum(t.backward(g) for t, g in ...)`` would."""
    roots, seeds = _roots_and_seeds(tensors, grad_tensors, "backward", create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(roots, seeds, retain, create_graph)
        return
    leaves = _as_list(inputs)
    if not leaves:
        raise RuntimeError("backward(inputs=...): inputs is empty; pass None to reach every leaf")
    _check_inputs(leaves, "backward")
    result = run_backward(roots, seeds, retain, create_graph, leaves)
    assert result is not None
    for x, g in zip(leaves, result):
        if g is not None:
            x._accumulate_grad(g, create_graph)


def grad(
    outputs: Variable | Sequence[Variable],
    inputs: V | Sequence[V],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[V, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated:
    one per input, of the input's kind (None for an unused input with ``allow_unused``; the
    type says ``V``, as torch's says Tensor, so that the common case needs no check).

    With ``create_graph=True`` the returned gradients are part of the graph, so they can be
    differentiated again (Hessian-vector products, gradient penalties). Nodes that lead only
    below ``inputs`` do not run.
    """
    roots, seeds = _roots_and_seeds(outputs, grad_outputs, "grad", create_graph)
    leaves = _as_list(inputs)
    if not leaves:
        raise RuntimeError("grad(): inputs is empty; name at least one tensor to differentiate with respect to")
    _check_inputs(leaves, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(roots, seeds, retain, create_graph, leaves)
    assert result is not None
    out: list[Any] = []
    for i, g in enumerate(result):
        x = leaves[i]
        if g is None:
            if materialize_grads:
                g = x._zeros(x._data.shape if hasattr(x._data, "shape") else (), getattr(x._data, "dtype", None))
            elif not allow_unused:
                raise RuntimeError(
                    f"grad(): input {i} ({_describe(x)}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            else:
                out.append(None)
                continue
        out.append(g if isinstance(g, Variable) else x._wrap(g))
    return tuple(out)


def _as_list(xs: Any) -> list[Any]:
    return [xs] if isinstance(xs, Variable) else list(xs)


def _check_inputs(inputs: list[Any], op: str) -> None:
    for i, x in enumerate(inputs):
        if not isinstance(x, Variable) or not x.requires_grad:
            raise RuntimeError(f"{op}(): input {i} ({_describe(x)}) does not require grad, so it has no gradient")


def _roots_and_seeds(outputs: Any, gradients: Any, op: str, create_graph: bool) -> tuple[list[Any], list[Any]]:
    roots = _as_list(outputs)
    if gradients is None or isinstance(gradients, Variable):
        gradients = [gradients] * len(roots) if gradients is None else [gradients]
    gradients = list(gradients)
    if len(gradients) != len(roots):
        raise RuntimeError(f"{op}(): {len(gradients)} gradients for {len(roots)} outputs")
    for i, out in enumerate(roots):
        if not isinstance(out, Variable):
            raise TypeError(f"{op}(): output {i} is a {type(out).__name__}, not a Tensor or Scalar")
        if not out.requires_grad:
            raise RuntimeError(f"{op}(): output {i} ({_describe(out)}) does not require grad")
    return roots, [out._seed_grad(g, create_graph) for out, g in zip(roots, gradients)]
