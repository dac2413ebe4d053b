"""Groups: named parts of a graph (a module call, a block, one step of an RNN) drawn as nested
clusters, or folded into a single node.

A ``Group`` lists graph nodes (ops and leaves) and names its parent group. ``plan`` decides,
for a drawn ``Graph``, which groups are clusters and which are folded into one box:

* depth: with ``collapse=d`` a group nested deeper than ``d`` levels (top-level groups are
  at level 1) becomes one box holding everything inside it;
* repeats: with ``collapse="repeats"``, consecutive sibling groups of the same structure
  (stacked identical blocks, the unrolled steps of an RNN) become one box with a count.

Renderers then only ask the resulting ``Layout`` where each node goes.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..function import Context, Variable
from .graph import Graph

_UNSET = -2  # a node no group listed (yet)
_TOP = -1  # a node outside every group


class Group:
    """A named set of graph nodes drawn as one cluster.

    ``members`` are ops and leaves of the graph: a ``Context``, or a value standing for the
    op that produced it (its ``grad_fn``), or a leaf tensor itself (a parameter). Members not
    in the drawing are ignored. A node listed by nested groups is drawn in the innermost one;
    listed by groups in different branches, in the innermost group holding them all, so a
    weight shared by the steps of an RNN lands in the RNN's group rather than in one step.
    ``kind`` (a module's class name, say) is shown next to the name, and groups only count
    as repeats of each other when their kinds match.
    Sibling order is the order of the list given to the renderer (for modules: call order).
    """

    __slots__ = ("kind", "members", "name", "parent")

    def __init__(self, name: str, members: Iterable[Context | Variable] = (), parent: Group | None = None,
                 kind: str = "") -> None:
        if not isinstance(name, str):
            raise TypeError(f"Group name must be a string, got {type(name).__name__} {name!r}")
        if parent is not None and not isinstance(parent, Group):
            raise TypeError(f"Group {name!r}: parent must be a Group or None, got {type(parent).__name__}")
        if not isinstance(kind, str):
            raise TypeError(f"Group {name!r}: kind must be a string, got {type(kind).__name__}")
        self.name = name
        self.members = list(members)
        self.parent = parent
        self.kind = kind
        for m in self.members:
            if not isinstance(m, (Context, Variable)):
                raise TypeError(
                    f"Group {name!r}: members must be ops (Context) or values (Tensor, Scalar), got {type(m).__name__}"
                )

    @classmethod
    def between(
        cls,
        name: str,
        inputs: Sequence[Variable],
        outputs: Sequence[Variable],
        parent: Group | None = None,
        kind: str = "",
    ) -> Group:
        """The group of everything computed from ``inputs`` to ``outputs``."""
        group = cls(name, (), parent, kind)
        group.add_between(inputs, outputs)
        return group

    def add_between(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        """Add every op and leaf reached walking back from ``outputs``, stopping at ``inputs``:
        what a module call did, given what went in and what came out. (A module can create its
        group before its forward runs, so that its submodules can name it as their parent, and
        fill it in afterwards.)"""
        for role, values in (("inputs", inputs), ("outputs", outputs)):
            for v in values:
                if not isinstance(v, Variable):
                    raise TypeError(f"Group {self.name!r}: {role} must be Tensors or Scalars, got {type(v).__name__}")
        stop = {id(v.grad_fn if v.grad_fn is not None else v) for v in inputs}
        seen = {id(m) for m in self.members}
        stack = [v.grad_fn if v.grad_fn is not None else v for v in outputs if v.requires_grad]
        while stack:
            obj = stack.pop()
            if id(obj) in seen or id(obj) in stop:
                continue
            seen.add(id(obj))
            self.members.append(obj)
            if type(obj) is Context:
                stack.extend(edge[0] for edge in obj.edges() if edge is not None)

    @property
    def title(self) -> str:
        """What a drawing calls the group: "name: kind", or one of them when that says it all."""
        if not (self.name and self.kind) or self.name == self.kind:
            return self.name or self.kind
        return f"{self.name}: {self.kind}"

    def __repr__(self) -> str:
        kind = f", kind={self.kind!r}" if self.kind else ""
        return f"Group({self.name!r}, {len(self.members)} members{kind})"


class Cluster:
    """An expanded group: its nodes are drawn inside a box labelled with its name."""

    __slots__ = ("depth", "group", "id", "parent")

    def __init__(self, id: str, group: Group, parent: int | None, depth: int) -> None:  # noqa: A002
        self.id, self.group, self.parent, self.depth = id, group, parent, depth


class Box:
    """One or more groups (a run of repeats) folded into a single node."""

    __slots__ = ("groups", "id", "members", "outputs", "parent")

    def __init__(self, id: str, groups: list[Group], parent: int | None) -> None:  # noqa: A002
        self.id, self.groups, self.parent = id, groups, parent
        self.members: list[int] = []
        self.outputs: list[str] = []  # shapes of what leaves the box

    @property
    def count(self) -> int:
        return len(self.groups)

    @property
    def times(self) -> str:
        return f"\N{MULTIPLICATION SIGN}{self.count}"

    @property
    def label(self) -> str:
        first, last = self.groups[0], self.groups[-1]
        if self.count == 1:
            return first.title
        name = f"{first.name} … {last.name}"
        return f"{name}: {first.kind}" if first.kind else name


class Layout:
    """Where each graph node is drawn: folded into a box, or in a cluster (or neither)."""

    def __init__(self, graph: Graph) -> None:
        n = len(graph.nodes)
        self.box_of: list[int | None] = [None] * n  # index into boxes
        self.instance: list[int] = [0] * n  # which of a box's repeated groups the node came from
        self.cluster_of: list[int | None] = [None] * n  # index into clusters, for nodes not boxed
        self.clusters: list[Cluster] = []
        self.boxes: list[Box] = []


# How to fold groups: a depth limit, "repeats", or {"depth": d, "repeats": True}; None folds nothing.
Collapse = int | str | Mapping[str, Any] | None


def parse_collapse(collapse: Collapse) -> tuple[int | None, bool]:
    """``collapse`` as (depth limit or None, fold repeats?)."""
    if collapse is None:
        return None, False
    if collapse == "repeats":
        return None, True
    if isinstance(collapse, Mapping):
        unknown = set(collapse) - {"depth", "repeats"}
        if unknown:
            raise ValueError(f"collapse takes the keys 'depth' and 'repeats', got {sorted(map(str, unknown))}")
        depth = _depth_limit(collapse.get("depth"))
        repeats = collapse.get("repeats", False)
        if not isinstance(repeats, bool):
            raise TypeError(f"collapse['repeats'] must be True or False, got {repeats!r}")
        return depth, repeats
    if isinstance(collapse, int) and not isinstance(collapse, bool):
        return _depth_limit(collapse), False
    raise TypeError(
        "collapse must be None, a depth (int), 'repeats', or a dict such as {'depth': 1, 'repeats': True}; "
        f"got {collapse!r}"
    )


def _depth_limit(depth: Any) -> int | None:
    if depth is None:
        return None
    if not isinstance(depth, int) or isinstance(depth, bool):
        raise TypeError(f"collapse depth must be an int, got {type(depth).__name__} {depth!r}")
    if depth < 0:
        raise ValueError(f"collapse depth must be >= 0, got {depth}")
    return depth


def plan(graph: Graph, groups: Sequence[Group] | None, collapse: Collapse) -> Layout:
    """Which groups of the drawn ``graph`` become clusters and which fold into boxes.

    Breadth-first from the top: the children of an expanded group are scanned in order; a
    run of repeats, or a child deeper than the depth limit, becomes one box (taking all its
    subgroups with it); any other child becomes a cluster and is expanded in turn."""
    depth_limit, repeats = parse_collapse(collapse)
    layout = Layout(graph)
    if groups is None:
        if collapse is not None:
            raise ValueError(
                f"collapse={collapse!r} folds groups, but no groups were given: pass groups=[Group(...), ...] "
                "(drawing an nn.Module passes one group per module call)"
            )
        return layout
    groups = list(groups)
    for k, g in enumerate(groups):
        if not isinstance(g, Group):
            raise TypeError(f"groups[{k}] must be a Group, got {type(g).__name__}")
    position = {id(g): k for k, g in enumerate(groups)}
    parent = []
    for g in groups:
        if g.parent is not None and id(g.parent) not in position:
            raise ValueError(f"group {g.name!r} has the parent {g.parent.name!r}, which is not among the groups")
        parent.append(_TOP if g.parent is None else position[id(g.parent)])
    depth = _depths(groups, parent)

    # Each node goes to the innermost group listing it when those groups are nested in one
    # another; where branches meet (a weight shared by RNN steps), to their common ancestor.
    listed: dict[int, list[int]] = {}
    for k, g in enumerate(groups):
        for m in g.members:
            obj = m if isinstance(m, Context) else (m.grad_fn if m.grad_fn is not None else m)
            i = graph.index.get(id(obj))
            if i is not None:
                listed.setdefault(i, []).append(k)
    assigned = [_UNSET] * len(graph.nodes)
    for i, ks in listed.items():
        assigned[i] = _home(ks, parent, depth)

    # The nodes inside each group, its subgroups' included.
    inside: list[list[int]] = [[] for _ in groups]
    for i, k in enumerate(assigned):
        while k >= 0:
            inside[k].append(i)
            k = parent[k]
    signature = _signatures(graph, groups, parent, depth, inside) if repeats else None

    children: dict[int, list[int]] = {}
    for k in range(len(groups)):
        if inside[k]:  # a group with nothing drawn (cut by max_nodes, or unused) is left out
            children.setdefault(parent[k], []).append(k)
    cluster_index: dict[int, int] = {}
    queue: deque[int] = deque([_TOP])
    while queue:
        p = queue.popleft()
        kids = children.get(p, [])
        where = None if p == _TOP else cluster_index[p]
        start = 0
        while start < len(kids):
            end = start + 1
            if signature is not None:
                while end < len(kids) and signature[kids[end]] == signature[kids[start]]:
                    end += 1
            run = kids[start:end]
            if len(run) > 1 or (depth_limit is not None and depth[run[0]] > depth_limit):
                box = Box(f"box{len(layout.boxes)}", [groups[k] for k in run], where)
                for n, k in enumerate(run):
                    for i in inside[k]:
                        layout.box_of[i] = len(layout.boxes)
                        layout.instance[i] = n
                        box.members.append(i)
                box.members.sort()
                layout.boxes.append(box)
            else:
                k = run[0]
                cluster_index[k] = len(layout.clusters)
                layout.clusters.append(Cluster(f"cluster_{len(layout.clusters)}", groups[k], where, depth[k]))
                queue.append(k)
            start = end
    for i, k in enumerate(assigned):
        if layout.box_of[i] is None and k >= 0:
            layout.cluster_of[i] = cluster_index[k]
    _box_outputs(graph, layout)
    return layout


def _depths(groups: list[Group], parent: list[int]) -> list[int]:
    depth = [0] * len(groups)
    for k in range(len(groups)):
        chain = []
        j = k
        while j >= 0 and depth[j] == 0:
            chain.append(j)
            if len(chain) > len(groups):
                raise ValueError(f"the parents of group {groups[k].name!r} form a cycle")
            j = parent[j]
        d = 0 if j < 0 else depth[j]
        for j in reversed(chain):
            d += 1
            depth[j] = d
    return depth


def _home(ks: list[int], parent: list[int], depth: list[int]) -> int:
    """The deepest of ``ks`` if they lie on one chain of nested groups, else their deepest
    common ancestor (computed over all of them: pairwise choices would depend on order)."""
    deepest = max(ks, key=lambda k: depth[k])
    chain = set()
    x = deepest
    while x != _TOP:
        chain.add(x)
        x = parent[x]
    if all(k in chain for k in ks):
        return deepest
    common = ks[0]
    for k in ks[1:]:
        common = _common_ancestor(common, k, parent, depth)
    return common


def _common_ancestor(a: int, b: int, parent: list[int], depth: list[int]) -> int:
    """The innermost group holding both (a group holds itself), or _TOP."""
    x, y = a, b
    while x != y:
        if x == _TOP or y == _TOP:
            return _TOP
        if depth[x] >= depth[y]:
            x = parent[x]
        else:
            y = parent[y]
    return x


def _signatures(
    graph: Graph, groups: list[Group], parent: list[int], depth: list[int], inside: list[list[int]]
) -> list[int]:
    """A number per group, equal for groups of the same structure: the same kind, the same
    ops with the same shapes wired the same way, the same subgroups. (A fingerprint, not an
    isomorphism test; it tells stacked copies of one block apart from different blocks.)"""
    labels = [(graph.title(i), graph.shape_text(i)) for i in range(len(graph.nodes))]
    interned: dict[Any, int] = {}
    signature = [0] * len(groups)
    subgroups: dict[int, list[int]] = {}
    for k in sorted(range(len(groups)), key=lambda k: -depth[k]):  # children before parents
        members = set(inside[k])
        nodes = Counter(labels[i] for i in members)
        edges = Counter(
            (labels[j], labels[i]) for i in members for j, _ in graph.nodes[i].inputs if j in members
        )
        key = (
            groups[k].kind,
            tuple(sorted(nodes.items())),
            tuple(sorted(edges.items())),
            tuple(sorted(signature[c] for c in subgroups.get(k, []))),
        )
        signature[k] = interned.setdefault(key, len(interned))
        if parent[k] >= 0:
            subgroups.setdefault(parent[k], []).append(k)
    return signature


def _box_outputs(graph: Graph, layout: Layout) -> None:
    for node in graph.nodes:
        mine = layout.box_of[node.index]
        for j, nr in node.inputs:
            theirs = layout.box_of[j] if j >= 0 else None
            if theirs is not None and theirs != mine:
                shape = graph.shape_text(j, nr)
                box = layout.boxes[theirs]
                if shape and shape not in box.outputs:
                    box.outputs.append(shape)
    for i, nr in graph.roots:
        k = layout.box_of[i]
        if k is not None:
            shape = graph.shape_text(i, nr)
            if shape and shape not in layout.boxes[k].outputs:
                layout.boxes[k].outputs.append(shape)
