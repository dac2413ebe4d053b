"""Drawing a model's forward pass grouped by module: ``nn.draw(model, *inputs)`` (the same as
``model.draw_graph(*inputs)``), and ``nn.draw_text`` for terminals and logs.

One forward pass runs with temporary hooks on every submodule, removed afterwards even when
forward raises. Each module call becomes an ``autograd.render.Group`` of the ops and
parameters it used, named by the module's attribute path ("encoder.0") and kind (its class),
nested as the calls were nested. The renderer draws the groups as clusters, folds modules
deeper than ``depth`` into one node each, and folds runs of identical consecutive calls
(stacked copies of a block, the steps of a Python loop over an ``RNNCell``) into one node
with a count. A module called more than once gets one group per call: "cell#1", "cell#2", ...

``nn.RNN``, ``GRU`` and ``LSTM`` loop over time inside a single call, so no hook sees their
steps. They are found in the graph instead (``_time_steps``) and grouped as "rnn[t=0]",
"rnn[t=1]", ..., which fold the same way as the calls of a cell.

This module imports nothing from ``nn``: what it uses of a module is written down below as
protocols (``DrawableModule``, ``RecurrentLayer``), so that ``Module.draw_graph`` can call it
without an import cycle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

import autograd as ag
from autograd import Context, Tensor
from autograd.ops import Stack
from autograd.render import Drawing, Group, draw_graph
from autograd.render import draw_text as draw_graph_text

# The part of the first time step that was computed before the loop (the input projection of
# every step at once) is recognised by being used by the third and later steps;
# the second step alone cannot tell it from the state carried over from the first.
MIN_STEPS = 3


@runtime_checkable
class DrawableModule(Protocol):
    """What the drawing uses of an ``nn.Module`` (and of each of its submodules)."""

    def __call__(self, *args: Any) -> Any: ...
    def modules(self) -> Iterator[Any]: ...
    def named_modules(self) -> Iterator[tuple[str, Any]]: ...
    def named_parameters(self) -> Iterator[tuple[str, Tensor]]: ...
    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> Any: ...
    def register_forward_hook(self, hook: Callable[..., Any]) -> Any: ...


@runtime_checkable
class RecurrentLayer(Protocol):
    """What the drawing reads of a layer that loops over time inside one call (``nn.RNN``,
    ``GRU`` and ``LSTM``, the subclasses of ``nn.RNNBase``, and any layer shaped like them)."""

    batch_first: bool
    num_layers: int

    @property
    def num_directions(self) -> int: ...


def draw(
    model: DrawableModule, *inputs: Any, depth: int | None = None, collapse_repeats: bool = True, **kwargs: Any
) -> Drawing:
    """Run ``model(*inputs)`` once and draw the graph it recorded, each module call a cluster.

    Args:
        inputs: passed to forward as they are, except that floating-point tensors that do not
            require grad are replaced by detached copies that do, so that they are drawn.
        depth: modules nested this deep are drawn as one node each: 0 draws the whole model
            as one node, 1 its children, and so on; None expands everything. (The time steps
            of an RNN layer count as one level below it.)
        collapse_repeats: fold consecutive identical calls at the same level (stacked blocks,
            repeated calls of one cell, the time steps of an RNN) into one node with a count.
        kwargs: the options of ``autograd.draw_graph`` (``show_shapes``, ``rankdir``,
            ``max_nodes``, ...). ``params`` adds names to the defaults: the parameters'
            dotted names, "input" and "output" (numbered when there are several).

    The forward pass runs in the model's current mode and with gradients recorded (even inside
    ``no_grad``); a BatchNorm in training mode updates its running statistics, as any forward
    would, so call ``model.eval()`` first if that matters. Only the positional arguments of a
    call count as its inputs; other values that reach a call from outside it (passed by
    keyword, or kept on a module) are drawn inside it, unless an earlier call produced them.
    """
    roots, options = _prepare(model, inputs, depth, collapse_repeats, kwargs, "nn.draw")
    return draw_graph(roots, **options)


def draw_text(
    model: DrawableModule, *inputs: Any, depth: int | None = None, collapse_repeats: bool = True, **kwargs: Any
) -> str:
    """``draw``'s graph as an indented tree (no Graphviz needed); the options are ``draw``'s."""
    roots, options = _prepare(model, inputs, depth, collapse_repeats, kwargs, "nn.draw_text")
    return draw_graph_text(roots, **options)


def _prepare(
    model: Any, inputs: tuple[Any, ...], depth: Any, collapse_repeats: Any, kwargs: dict[str, Any], caller: str
) -> tuple[list[Tensor], dict[str, Any]]:
    """Check the arguments, trace the call, and return the roots and the renderer's options."""
    if not isinstance(model, DrawableModule):
        raise TypeError(f"{caller} draws an nn.Module, got {type(model).__name__}")
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool)):
        raise TypeError(f"{caller}: depth must be an int or None, got {type(depth).__name__} {depth!r}")
    if depth is not None and depth < 0:
        raise ValueError(f"{caller}: depth must be >= 0 (0 draws the whole model as one node), got {depth}")
    if not isinstance(collapse_repeats, bool):
        raise TypeError(f"{caller}: collapse_repeats must be True or False, got {collapse_repeats!r}")
    for key in ("groups", "collapse"):
        if key in kwargs:
            raise TypeError(f"{caller}: {key}= comes from the modules; use depth= and collapse_repeats= instead")
    extra = _pairs(kwargs.pop("params", None), caller)
    roots, names, groups = _trace(model, inputs)
    options = dict(kwargs, params=names + extra, groups=groups, collapse={"depth": depth, "repeats": collapse_repeats})
    return roots, options


def _pairs(params: Any, caller: str) -> list[Any]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return list(params.items())
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{caller}: params must map names to tensors (a dict, or (name, tensor) pairs), "
            f"got {type(params).__name__}"
        ) from None


# --- one forward pass, watched ------------------------------------------------------------
class _Call:
    """One module call: its group, and what it needs to find where its ops begin."""

    __slots__ = ("children", "finished", "group", "module", "outputs")

    def __init__(self, module: DrawableModule, group: Group) -> None:
        self.module = module
        self.group = group
        self.children = 0
        self.finished: list[Tensor] = []  # the outputs of this call's child calls that returned
        self.outputs: list[Tensor] = []


class _Recorder:
    """The hooks: a pre-hook opens a group per call, the forward hook fills it."""

    def __init__(self, model: DrawableModule, inputs: list[Tensor]) -> None:
        self.names = {id(m): name for name, m in model.named_modules()}
        self.inputs = inputs
        self.stack: list[_Call] = []
        self.calls: list[_Call] = []  # in the order they started, which is the clusters' order

    def before(self, module: DrawableModule, args: tuple[Any, ...]) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None:
            parent.children += 1
        # The group exists before forward runs, so that the calls inside can name it as parent.
        kind = type(module).__name__
        # The model itself has the empty path; its class names it.
        name = self.names[id(module)] or kind
        group = Group(name, parent=None if parent is None else parent.group, kind=kind)
        call = _Call(module, group)
        self.calls.append(call)
        self.stack.append(call)

    def after(self, module: DrawableModule, args: tuple[Any, ...], output: Any) -> None:
        # A call whose forward raised (and whose caller caught it) never gets here: drop it.
        while self.stack and self.stack[-1].module is not module:
            self.stack.pop()
        if not self.stack:
            return
        call = self.stack.pop()
        call.outputs = _tensors(output)
        # The walk back from the outputs stops at what came in: the arguments, the model's inputs,
        # and whatever calls that returned before this one began produced. The last catches the
        # values passed by keyword (hooks see only positional arguments), such as cell(x, hx=h).
        earlier = [t for frame in self.stack for t in frame.finished]
        call.group.add_between([*_tensors(args), *self.inputs, *earlier], call.outputs)
        if self.stack:
            self.stack[-1].finished.extend(call.outputs)


def _trace(
    model: DrawableModule, inputs: tuple[Any, ...]
) -> tuple[list[Tensor], list[tuple[str, Tensor]], list[Group]]:
    """Run the model once; return the outputs to draw, names for values, and the groups."""
    inputs = tuple(_drawable(x) for x in inputs)
    given = _tensors(inputs)
    recorder = _Recorder(model, given)
    handles = []
    try:
        for module in model.modules():
            handles.append(module.register_forward_pre_hook(recorder.before))
            handles.append(module.register_forward_hook(recorder.after))
        with ag.enable_grad():
            output = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    outputs = _tensors(output)
    if not outputs:
        raise TypeError(
            f"{type(model).__name__}.forward returned a value of type {type(output).__name__}, "
            "which holds no tensor to draw"
        )
    roots = [t for t in outputs if t.requires_grad]
    if not roots:
        raise RuntimeError(
            f"nothing to draw: no output of {type(model).__name__} requires grad, so no graph was recorded "
            "(are all its parameters frozen, and its inputs integers?)"
        )

    calls = recorder.calls
    count = Counter(id(c.module) for c in calls)
    seen: Counter[int] = Counter()
    for call in calls:
        if count[id(call.module)] > 1:
            seen[id(call.module)] += 1
            call.group.name = f"{call.group.name}#{seen[id(call.module)]}"
    groups = [c.group for c in calls]
    for call in calls:
        if call.children == 0 and call.outputs and isinstance(call.module, RecurrentLayer):
            groups += _time_steps(call)

    drawn_inputs = [t for t in given if t.requires_grad]
    names = [(_numbered("input", k, len(drawn_inputs)), t) for k, t in enumerate(drawn_inputs)]
    names += [(_numbered("output", k, len(outputs)), t) for k, t in enumerate(outputs) if t.requires_grad]
    names += list(model.named_parameters())  # last, so that a parameter keeps its own name
    return roots, names, groups


def _drawable(x: Any) -> Any:
    """A floating-point input gets a detached copy that requires grad, so that it is drawn
    (the graph only holds values that need a gradient)."""
    if isinstance(x, Tensor) and x.dtype.kind == "f" and not x.requires_grad:
        return x.detach().requires_grad_()
    return x


def _numbered(word: str, k: int, n: int) -> str:
    return word if n == 1 else f"{word}{k}"


def _tensors(obj: Any) -> list[Tensor]:
    """The tensors in an argument or a result: itself, or inside tuples, lists and dicts."""
    found: list[Tensor] = []
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            found.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
    return found


# --- the time steps of an RNN layer --------------------------------------------------------
class _Chain(NamedTuple):
    """One layer's loop over time in one direction, found in the graph."""

    steps: list[list[Any]]  # the nodes of each step, in the order they were computed
    times: list[int]  # each step's position in the output sequence
    reverse: bool
    reached: dict[int, Any]  # everything the steps' outputs were computed from, by id
    last: int  # id of the node that produced the last step's output
    stacking: list[Any]  # the ops that stacked the outputs into a sequence


def _inputs(node: Any) -> list[Any]:
    return [edge[0] for edge in node.next_edges if edge is not None] if type(node) is Context else []


def _time_steps(call: _Call) -> list[Group]:
    """Groups for the time steps of an RNN, GRU or LSTM call.

    Each layer and direction stacks its per-step outputs h_1 ... h_L into its output sequence,
    and each h_t is computed from h_{t-1}. So a stack of L values, each computed from the one
    before, is a loop over time, and step t is what h_t needed that h_{t-1} did not (for an
    LSTM this takes in the cell state c_t too, since h_{t-1} was computed from c_{t-1}). What
    was computed before the loop is shared by all steps and stays in the module's group.
    """
    module, group = call.module, call.group
    assert isinstance(module, RecurrentLayer)
    out = call.outputs[0]  # the output sequence: (L, N, H), (N, L, H) batch first, or (L, H)
    length = out.shape[1] if module.batch_first and out.ndim == 3 else out.shape[0]
    if length < MIN_STEPS:
        return []
    interior = {id(m) for m in group.members}
    chains = []
    for node in group.members:
        if type(node) is Context and node.function is Stack:
            elements = _inputs(node)
            if len(elements) == length:
                chain = _chain(elements, interior, [node])
                if chain is not None:
                    chains.append(chain)
    # The stack of the final states of three or more layers also reads as a chain (each layer
    # is computed from the one below), but its "steps" hold whole layers: taking chains with
    # the smallest steps first, and never a node twice, leaves it out.
    chains.sort(key=lambda c: max(len(s) for s in c.steps))
    taken: set[int] = set()
    accepted: list[_Chain] = []
    for chain in chains:
        ids = {id(n) for step in chain.steps for n in step}
        if not ids & taken and len(accepted) < module.num_layers * module.num_directions:
            taken |= ids
            accepted.append(chain)
    if not accepted:
        return []

    kind = type(module).__name__
    single = module.num_layers * module.num_directions == 1
    # A layer is above every chain its input was computed from.
    below = {id(c): [o for o in accepted if o is not c and o.last in c.reached] for c in accepted}
    groups: list[Group] = []
    for chain in sorted(accepted, key=lambda c: (len(below[id(c)]), c.reverse)):
        parent, name = group, group.name
        if not single:
            # A layer's group holds all it computed: its input projection, its steps, the stacking.
            lower = {k for o in below[id(chain)] for k in [*o.reached, *map(id, o.stacking)]}
            members = [n for k, n in chain.reached.items() if k not in lower] + chain.stacking
            name = f"{group.name}.l{len(below[id(chain)]) // module.num_directions}"
            name += "_reverse" if chain.reverse else ""
            parent = Group(name, members, parent=group, kind=f"{kind} layer")
            groups.append(parent)
        for t, step in zip(chain.times, chain.steps):
            groups.append(Group(f"{name}[t={t}]", step, parent=parent, kind=f"{kind} step"))
    return groups


def _chain(elements: list[Any], interior: set[int], stacking: list[Any]) -> _Chain | None:
    """The steps of a loop whose outputs are ``elements``, if it is one (in either direction)."""
    n = len(elements)
    for times in (list(range(n)), list(range(n - 1, -1, -1))):
        found = _unroll([elements[t] for t in times], interior)
        if found is not None:
            steps, reached = found
            return _Chain(steps, times, times[0] != 0, reached, id(elements[times[-1]]), stacking)
    return None


def _unroll(outs: list[Any], interior: set[int]) -> tuple[list[list[Any]], dict[int, Any]] | None:
    reached: dict[int, Any] = {}
    steps: list[list[Any]] = []
    for t, out in enumerate(outs):
        if id(out) in reached or id(out) not in interior:
            return None
        new: list[Any] = []
        follows = t == 0  # does this output depend on the previous one?
        stack = [out]
        while stack:
            node = stack.pop()
            if id(node) in reached:
                follows = follows or node is outs[t - 1]
                continue
            if id(node) not in interior:
                continue
            reached[id(node)] = node
            new.append(node)
            stack.extend(_inputs(node))
        if not follows:
            return None
        steps.append(new)
    # The first step also reached what the loop was given: take out what later steps use
    # directly (never the state, which only the next step uses) and all it came from.
    first = {id(n) for n in steps[0]}
    stack = [x for step in steps[2:] for node in step for x in _inputs(node) if id(x) in first]
    shared: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in shared or id(node) not in first:
            continue
        shared.add(id(node))
        stack.extend(_inputs(node))
    steps[0] = [n for n in steps[0] if id(n) not in shared]
    if not steps[0]:
        return None
    return steps, reached
