"""The graph as the renderers see it: the nodes reachable from the roots, how they connect,
and what each can tell about itself (name, shape, value, gradient, trouble).

It only reads what the engine recorded (``Context.next_edges`` and friends) and walks it
breadth-first with a queue, never by recursion, so a chain of a million ops is fine.
Breadth-first also decides what a ``max_nodes`` cut keeps: the nodes nearest the output.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import shapes
from ..function import Context, Variable
from ..scalar import Scalar

SMALL = 16  # tensors with at most this many elements show their values; larger ones their range

# How a Scalar's op reads in a micrograd-style drawing; other ops use their lowercased name.
SCALAR_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Neg": "neg", "Pow": "pow"}

TROUBLE_TEXT = {"nan": "[!] grad has NaN", "inf": "[!] grad has inf", "zero": "[!] grad is all zero"}

# What a drawing starts from: one Tensor or Scalar, or a sequence of them.
Roots = Variable | Sequence[Variable]
# Names for drawn values: a mapping name -> value, or the (name, value) pairs of ``model.named_parameters()``.
Names = Mapping[str, Variable] | Iterable[tuple[str, Variable]] | None


class Node:
    """One op (a ``Context``) or one leaf value, in breadth-first order from the roots."""

    __slots__ = ("cut", "index", "inputs", "is_op", "obj", "outputs", "scalar")

    def __init__(self, index: int, obj: Any) -> None:
        self.index = index
        self.obj = obj
        self.is_op = type(obj) is Context
        self.scalar = issubclass(obj._out_cls if self.is_op else type(obj), Scalar)
        # One entry per input that needs a gradient, in argument order: (source node, its output_nr);
        # the source is -1 where max_nodes left it out.
        self.inputs: list[tuple[int, int]] = []
        self.cut = 0
        # output_nr -> (shape, dtype), learned from the edges of the ops that consume it.
        self.outputs: dict[int, tuple[tuple[int, ...], Any]] = {}
        if self.is_op and obj.output_meta is not None:
            self.outputs = dict(enumerate(obj.output_meta))

    def output_nrs(self) -> list[int]:
        """The outputs to draw, in order: those known, or output 0 alone (a leaf's value)."""
        return sorted(self.outputs) or [0]


class Facts(NamedTuple):
    """What one drawn value says about itself, already formatted."""

    title: str  # "MulBackward", a Scalar op symbol such as "*", or "leaf"
    name: str  # from params or a Scalar's label; "" if it has none
    shape: str  # "(3, 4)" with the dtype where it is not float32; "" if not shown
    data: str | None  # None when not asked for or not known
    grad: str | None
    trouble: str  # "", "nan", "inf" or "zero"
    saved: list[str]  # what the op saved that is not drawn as a node of its own


class Graph:
    """The nodes reachable from ``roots`` (at most ``max_nodes``), walked breadth-first."""

    def __init__(
        self,
        roots: Sequence[Variable],
        params: Names = None,
        max_nodes: int | None = None,
        show_shapes: bool = True,
        show_data: bool | None = None,
        show_grad: bool | None = None,
        show_saved: bool = False,
    ) -> None:
        _check_options(show_shapes=show_shapes, show_saved=show_saved)
        _check_options(allow_none=True, show_data=show_data, show_grad=show_grad)
        if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool)):
            raise TypeError(f"max_nodes must be an int or None, got {type(max_nodes).__name__} {max_nodes!r}")
        if max_nodes is not None and max_nodes < 1:
            raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
        self.nodes: list[Node] = []
        self.index: dict[int, int] = {}  # id(op or leaf) -> position in nodes
        self.roots: list[tuple[int, int]] = []  # (node, output_nr), one per root value
        self.max_nodes = max_nodes
        self.omitted = 0
        self.show_shapes = show_shapes
        self.show_data = show_data
        self.show_grad = show_grad
        self.show_saved = show_saved
        self._names: dict[Any, str] = {}
        # Values the caller holds (roots, named params): the only sure way to an op's output.
        self._held: dict[Any, Variable] = {}
        for name, value in _named(params):
            self._names[_key(value)] = name
            self._held[_key(value)] = value
        for root in roots:
            self._held.setdefault(_key(root), root)
        self._walk(roots)
        self.backward_ran = self._backward_ran(roots)

    # --- the walk ------------------------------------------------------------------------
    def _add(self, obj: Any) -> int:
        i = len(self.nodes)
        self.index[id(obj)] = i
        self.nodes.append(Node(i, obj))
        return i

    def _walk(self, roots: Sequence[Variable]) -> None:
        queue: deque[int] = deque()
        for root in roots:
            start = root.grad_fn if root.grad_fn is not None else root
            i = self.index.get(id(start))
            if i is None:
                i = self._add(start)
                queue.append(i)
            nr = root._output_nr if root.grad_fn is not None else 0
            self.roots.append((i, nr))
            if root.grad_fn is not None:
                self.nodes[i].outputs.setdefault(nr, (tuple(np.shape(root._data)), getattr(root, "dtype", None)))
        refused: list[Any] = []
        while queue:
            node = self.nodes[queue.popleft()]
            if not node.is_op:
                continue
            for edge in node.obj.edges():
                if edge is None:
                    continue
                target, nr, shape, dtype, value = edge
                if value is not None and target is not value:  # a Scalar: its consumers hold it
                    self._held.setdefault((id(target), nr), value)
                j = self.index.get(id(target))
                if j is None:
                    if self.max_nodes is not None and len(self.nodes) >= self.max_nodes:
                        node.inputs.append((-1, nr))
                        node.cut += 1
                        refused.append(target)
                        continue
                    j = self._add(target)
                    queue.append(j)
                node.inputs.append((j, nr))
                source = self.nodes[j]
                if source.is_op:
                    source.outputs.setdefault(nr, (() if shape is None else tuple(shape), dtype))
        self.omitted = self._count_beyond(refused)

    def _count_beyond(self, refused: list[Any]) -> int:
        """How many distinct nodes the cut left out (all of them, not just the first layer)."""
        seen: set[int] = set()
        stack = []
        for obj in refused:
            if id(obj) not in seen:
                seen.add(id(obj))
                stack.append(obj)
        count = 0
        while stack:
            obj = stack.pop()
            count += 1
            if type(obj) is not Context:
                continue
            for edge in obj.edges():
                if edge is not None and id(edge[0]) not in seen and id(edge[0]) not in self.index:
                    seen.add(id(edge[0]))
                    stack.append(edge[0])
        return count

    def _backward_ran(self, roots: Sequence[Variable]) -> bool:
        # A Scalar's grad is 0.0 before any backward, so "all zero" only means trouble after one.
        for root in roots:
            g = root.grad
            if g is not None and np.any(np.asarray(getattr(g, "data", g)) != 0):
                return True
        return any(n.is_op and n.obj.freed for n in self.nodes)

    # --- what a node can tell -------------------------------------------------------------
    def value(self, i: int, nr: int = 0) -> Variable | None:
        """The value node ``i`` produced as output ``nr``, if anyone still holds it."""
        node = self.nodes[i]
        if not node.is_op:
            return node.obj
        held = self._held.get((id(node.obj), nr))
        if held is not None:
            return held
        ref = node.obj.retained().get(nr)
        if ref is not None:
            return ref()
        return None

    def name(self, i: int, nr: int = 0) -> str:
        node = self.nodes[i]
        name = self._names.get((id(node.obj), nr) if node.is_op else id(node.obj))
        if name:
            return name
        value = self.value(i, nr)
        return getattr(value, "label", "") if isinstance(value, Scalar) else ""

    def title(self, i: int) -> str:
        node = self.nodes[i]
        if not node.is_op:
            return "leaf"
        if node.scalar:
            op = node.obj.function.__name__
            return SCALAR_SYMBOLS.get(op, op.lower())
        return node.obj.name()

    def shape_text(self, i: int, nr: int | None = None) -> str:
        """The shape (and dtype if not float32) of output ``nr``, or of every output if None."""
        node = self.nodes[i]
        if node.scalar or not self.show_shapes:
            return ""
        if not node.is_op:
            return format_shape(node.obj.shape, node.obj.dtype)
        nrs = sorted(node.outputs) if nr is None else [nr]
        return " · ".join(format_shape(*node.outputs[k]) for k in nrs if k in node.outputs)

    def trouble(self, i: int, nr: int = 0) -> str:
        value = self.value(i, nr)
        if value is None or value.grad is None:
            return ""
        grad = np.asarray(getattr(value.grad, "data", value.grad), dtype=np.float64)
        if np.isnan(grad).any():
            return "nan"
        if np.isinf(grad).any():
            return "inf"
        if not grad.any() and (self.backward_ran or not self.nodes[i].scalar):
            return "zero"
        return ""

    def facts(self, i: int, nr: int = 0) -> Facts:
        node = self.nodes[i]
        value = self.value(i, nr)
        shows_data = node.scalar if self.show_data is None else self.show_data
        shows_grad = node.scalar if self.show_grad is None else self.show_grad
        data = grad = None
        if shows_data:
            data = "?" if value is None else format_value(value._data)
        if shows_grad:
            if value is None:
                grad = "?"
            else:
                grad = "none" if value.grad is None else format_value(getattr(value.grad, "data", value.grad))
        shape = self.shape_text(i, nr if node.scalar else None)
        return Facts(self.title(i), self.name(i, nr), shape, data, grad, self.trouble(i, nr), self.saved_notes(i))

    # --- saved values (show_saved) ----------------------------------------------------------
    def saved_values(self, i: int) -> list[Variable]:
        """Graph values the op saved for backward (inputs, usually); [] once backward freed them."""
        node = self.nodes[i]
        entries = node.obj.saved_entries() if self.show_saved and node.is_op else None
        if entries is None:
            return []
        return [entry[1] for entry in entries if entry[0] == "var"]

    def saved_notes(self, i: int) -> list[str]:
        """What the op saved that is not a graph value: its own output, constant arrays."""
        node = self.nodes[i]
        if not (self.show_saved and node.is_op):
            return []
        entries = node.obj.saved_entries()
        if entries is None:
            return ["saved values freed by backward"]
        notes = []
        for entry in entries:
            if entry[0] == "out":
                notes.append(f"saved: its output {entry[2]}" if node.obj.n_outputs > 1 else "saved: its output")
            elif entry[0] == "const" and isinstance(entry[1], np.ndarray):
                notes.append(f"saved: array {format_shape(entry[1].shape, entry[1].dtype)}")
        return notes

    def describe_saved(self, value: Variable) -> str:
        """A label for a saved value: its name, else where it comes from; its shape or value."""
        name = self._names.get(_key(value)) or (value.label if isinstance(value, Scalar) else "")
        if not name:
            name = value.grad_fn.name() if value.grad_fn is not None else "leaf" if value.requires_grad else "constant"
        if isinstance(value, Scalar):
            return f"{name} {format_value(value._data)}"
        parts = [name, format_shape(value._data.shape, value._data.dtype) if self.show_shapes else ""]
        if self.show_data:
            parts.append(format_value(value._data))
        return "\n".join(p for p in parts if p)

    def source_of(self, value: Variable) -> tuple[int, int] | None:
        """The drawn node (and output) a saved value comes from, if it is in the drawing."""
        obj = value.grad_fn if value.grad_fn is not None else value
        i = self.index.get(id(obj))
        return None if i is None else (i, value._output_nr if value.grad_fn is not None else 0)


def as_roots(root: Any, caller: str) -> list[Variable]:
    """``root`` as a list of values: one Tensor or Scalar, or a sequence of them."""
    if isinstance(root, Variable):
        return [root]
    if isinstance(root, (list, tuple)):
        if not root:
            raise ValueError(f"{caller} needs at least one value to draw, got an empty {type(root).__name__}")
        for k, r in enumerate(root):
            if not isinstance(r, Variable):
                raise TypeError(f"{caller}: root[{k}] must be a Tensor or Scalar, got {type(r).__name__}")
        return list(root)
    raise TypeError(f"{caller} draws a Tensor, a Scalar or a list of them, got {type(root).__name__}")


def _check_options(allow_none: bool = False, **options: Any) -> None:
    for name, value in options.items():
        if not (isinstance(value, bool) or (allow_none and value is None)):
            expected = "True, False or None" if allow_none else "True or False"
            raise TypeError(f"{name} must be {expected}, got {value!r}")


def _key(value: Variable) -> Any:
    return (id(value.grad_fn), value._output_nr) if value.grad_fn is not None else id(value)


def _named(params: Names) -> Iterable[tuple[str, Variable]]:
    """``params`` as (name, value) pairs: a mapping, or pairs as ``named_parameters()`` yields."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    try:
        pairs = list(items)
    except TypeError:
        raise TypeError(
            f"params must map names to tensors (e.g. dict(model.named_parameters())), got {type(params).__name__}"
        ) from None
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"params must be a mapping or (name, tensor) pairs, got the item {pair!r}")
        name, value = pair
        if not isinstance(name, str):
            raise TypeError(f"params names must be strings, got {type(name).__name__} {name!r}")
        if not isinstance(value, Variable):
            raise TypeError(f"params[{name!r}] must be a Tensor or Scalar, got {type(value).__name__}")
    return pairs


def format_shape(shape: Sequence[int], dtype: Any) -> str:
    text = str(tuple(shape))
    if dtype is not None and np.dtype(dtype) != shapes.DEFAULT_FLOAT:
        text += f" {np.dtype(dtype).name}"
    return text


def format_number(x: float) -> str:
    x = float(x)
    if x == 0 or not np.isfinite(x) or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def format_value(data: Any) -> str:
    """Small arrays in full, larger ones as their range: a label must stay a label."""
    arr = np.asarray(data)
    if arr.ndim == 0:
        return format_number(arr.item())
    if arr.size <= SMALL:
        return np.array2string(arr, precision=4, separator=", ", max_line_width=48)
    return f"min {format_number(arr.min())} max {format_number(arr.max())}"
