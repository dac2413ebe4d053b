"""``draw_text``: a recorded graph as an indented tree, for terminals and logs (no Graphviz).

The output is at the top, and below each node the values it was computed from::

    L = *  data -8.0000  grad 1.0000  [output]
    ├─ d = +  data 4.0000  grad -2.0000
    │  ├─ a  data 2.0000  grad 6.0000
    ...

A node used more than once is written in full the first time, tagged ``#k``, and referred
to as ``#k`` afterwards. The walk is depth-first with an explicit stack, and indentation
stops growing after ``INDENT_CAP`` levels (deeper lines say their depth), so even a chain
of a million ops prints line by line.
"""

from __future__ import annotations

from typing import Any

from .graph import TROUBLE_TEXT, Graph, Names, Roots, as_roots
from .groups import Collapse, Group, Layout, plan

INDENT_CAP = 30


def draw_text(
    root: Roots,
    *,
    params: Names = None,
    show_shapes: bool = True,
    show_data: bool | None = None,
    show_grad: bool | None = None,
    show_saved: bool = False,
    max_nodes: int | None = None,
    collapse: Collapse = None,
    groups: list[Group] | None = None,
) -> str:
    """The graph that computed ``root`` as an indented tree; the options are ``draw_graph``'s."""
    graph = Graph(as_roots(root, "draw_text"), params, max_nodes, show_shapes, show_data, show_grad, show_saved)
    return _TextWriter(graph, plan(graph, groups, collapse)).text()


class _TextWriter:
    def __init__(self, graph: Graph, layout: Layout) -> None:
        self.graph = graph
        self.layout = layout
        self.roots = set(graph.roots)

    def _key(self, i: int) -> Any:
        """A line of the tree stands for a node, or for the box a node is folded into."""
        k = self.layout.box_of[i]
        return ("n", i) if k is None else ("b", k)

    def _children(self, key: Any) -> list[Any]:
        graph, layout = self.graph, self.layout
        members = [key[1]] if key[0] == "n" else layout.boxes[key[1]].members
        children: list[Any] = []
        seen = {key}
        cut = False
        for i in members:
            for j, _ in graph.nodes[i].inputs:
                if j < 0:
                    cut = True
                    continue
                child = self._key(j)
                if child not in seen:
                    seen.add(child)
                    children.append(child)
        if cut:
            children.append(("cut", key))
        return children

    def text(self) -> str:
        # First the walk, then the lines: a node's #k tag is only known once we see it again.
        visits: list[tuple[Any, int, bool, bool]] = []  # (key, depth, is last child, first visit)
        seen: set[Any] = set()
        again: set[Any] = set()
        stack = [(self._key(i), 0, True) for i, _ in reversed(self.graph.roots)]
        while stack:
            key, depth, last = stack.pop()
            first = key not in seen
            visits.append((key, depth, last, first))
            if not first:
                again.add(key)
                continue
            seen.add(key)
            if key[0] == "cut":
                continue
            children = self._children(key)
            for n, child in enumerate(reversed(children)):
                stack.append((child, depth + 1, n == 0))
        tags: dict[Any, int] = {}
        lines = []
        open_levels: list[bool] = []  # per depth: does a sibling still follow below?
        for key, depth, last, first in visits:
            del open_levels[depth:]
            open_levels.append(not last)
            if key in again and key not in tags:
                tags[key] = len(tags) + 1
            text = self._describe(key) if first else self._refer(key, tags)
            if first and key in tags:
                text += f"  #{tags[key]}"
            lines.append(_prefix(open_levels, depth) + text)
        if self.graph.omitted:
            lines.append(f"… {self.graph.omitted} more nodes not drawn (max_nodes={self.graph.max_nodes})")
        return "\n".join(lines)

    def _refer(self, key: Any, tags: dict[Any, int]) -> str:
        return f"{self._title(key)}  #{tags[key]} (shown above)"

    def _title(self, key: Any) -> str:
        if key[0] == "b":
            box = self.layout.boxes[key[1]]
            return box.label + (f" {box.times}" if box.count > 1 else "")
        i = key[1]
        name, title = self.graph.name(i), self.graph.title(i)
        if not self.graph.nodes[i].is_op:
            return name or title
        return f"{name} = {title}" if name else title

    def _describe(self, key: Any) -> str:
        graph = self.graph
        if key[0] == "cut":
            return "… inputs not drawn (max_nodes)"
        parts = [self._title(key)]
        if key[0] == "b":
            box = self.layout.boxes[key[1]]
            n_ops = sum(graph.nodes[i].is_op for i in box.members)
            parts.append(f"[{n_ops} op{'' if n_ops == 1 else 's'}]")
            if box.outputs:
                parts.append("→ " + ", ".join(box.outputs))
            if any(self.layout.box_of[i] == key[1] for i, _ in graph.roots):
                parts.append("[output]")
            return "  ".join(parts)
        i = key[1]
        facts = graph.facts(i)
        if facts.shape:
            parts.append(facts.shape)
        if facts.data is not None:
            parts.append("data " + " ".join(facts.data.split()))
        if facts.grad is not None:
            parts.append("grad " + " ".join(facts.grad.split()))
        if facts.trouble:
            parts.append(TROUBLE_TEXT[facts.trouble])
        parts += facts.saved
        saved = [graph.describe_saved(v).replace("\n", " ") for v in graph.saved_values(i)]
        if saved:
            parts.append("saved: " + ", ".join(saved))
        cluster = self.layout.cluster_of[i]
        if cluster is not None:
            parts.append(f"in {self.layout.clusters[cluster].group.name}")
        if any(r[0] == i for r in self.roots):
            parts.append("[output]")
        return "  ".join(parts)


def _prefix(open_levels: list[bool], depth: int) -> str:
    if depth == 0:
        return ""
    first = max(1, depth - INDENT_CAP)
    # Level a's column shows whether the ancestor at depth a still has siblings to come.
    rails = "".join("│  " if open_levels[a] else "   " for a in range(first, depth))
    branch = "├─ " if open_levels[depth] else "└─ "
    lead = f"[depth {depth}] …" if first > 1 else ""
    return lead + rails + branch
