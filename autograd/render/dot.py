"""``draw_graph``: a recorded graph as a ``graphviz.Digraph``.

Arrows follow the forward computation (inputs on the left with the default ``rankdir="LR"``).
Scalars are drawn as micrograd draws them: a record with data and grad per value and a
small node per op. Tensors are drawn one node per op, as the backward graph names them
(``MulBackward``), with the leaves named from ``params``.
"""

from __future__ import annotations

from typing import Any, overload

import graphviz

from .graph import TROUBLE_TEXT, Facts, Graph, Names, Roots, as_roots
from .groups import Collapse, Group, Layout, plan

RANKDIRS = ("LR", "RL", "TB", "BT")

# Fill colours: what a node is, and what is wrong with its gradient (which wins).
FILL = {"op": "#e8e8e8", "leaf": "#cfe2ff", "saved": "#ffd8a8", "box": "#ead9f5", "value": "#ffffff"}
TROUBLE_FILL = {"nan": "#ff8a80", "inf": "#ff8a80", "zero": "#ffe066"}
ROOT_BORDER = {"color": "#1b7f2a", "penwidth": "2.5"}
CLUSTER_FILLS = ("#f6f8fb", "#edf1f7", "#e3e9f2")

INSTALL_HINT = """\
Rendering needs the Graphviz program `{program}`, which was not found on PATH. The Python package
`graphviz` is installed, but it only writes DOT text; the drawing is done by the program. Install it:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz  (then add its bin folder to PATH)
and check with `dot -V`. Until then, `.source` gives the DOT text, and autograd.draw_text(...)
draws the graph as text in the terminal."""


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering was asked for, but the Graphviz program is not installed."""

    def __init__(self, program: str) -> None:
        RuntimeError.__init__(self, INSTALL_HINT.format(program=program))


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` (so ``.source``, ``.render``, inline display in Jupyter) whose
    rendering, when Graphviz itself is missing, says how to install it."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Write the drawing to a file (see ``graphviz.Digraph.render``); returns its path."""
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError(self.engine) from error

    @overload
    def pipe(self, *args: Any, encoding: None = None, **kwargs: Any) -> bytes: ...
    @overload
    def pipe(self, *args: Any, encoding: str, **kwargs: Any) -> str: ...
    def pipe(self, *args: Any, encoding: str | None = None, **kwargs: Any) -> bytes | str:
        """The rendered drawing (see ``graphviz.Digraph.pipe``): bytes, or text with ``encoding``."""
        try:
            return super().pipe(*args, encoding=encoding, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError(self.engine) from error

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        # In a notebook without Graphviz, show how to get it rather than a traceback.
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError as error:
            return {"text/plain": str(error)}


def draw_graph(
    root: Roots,
    *,
    params: Names = None,
    show_shapes: bool = True,
    show_data: bool | None = None,
    show_grad: bool | None = None,
    show_saved: bool = False,
    rankdir: str = "LR",
    max_nodes: int | None = None,
    collapse: Collapse = None,
    groups: list[Group] | None = None,
) -> Drawing:
    """Draw the graph that computed ``root`` (a Tensor, a Scalar, or a sequence of them).

    Args:
        params: names for leaves (and any other value): a dict name -> tensor, or the
            (name, tensor) pairs of ``model.named_parameters()``.
        show_shapes: shapes on tensor nodes (with the dtype where it is not float32).
        show_data: values; None means yes for Scalars, no for tensors. Tensors of up to 16
            elements show every value, larger ones their range. An op's output is only known
            if someone holds it: the root, values named in ``params``, and tensors that called
            ``retain_grad()``; others show ``?``.
        show_grad: gradients, shown as ``show_data`` shows values (the same default).
        show_saved: what each op saved for backward (dashed, orange), until backward frees it.
        rankdir: "LR" (inputs left, output right), "TB", "RL" or "BT".
        max_nodes: draw at most this many ops and leaves, the ones nearest the output, and
            a marker saying how many were left out.
        collapse: how to fold ``groups``: ``d`` folds groups nested deeper than ``d`` into
            one node each, ``"repeats"`` folds runs of identical sibling groups into one node
            with a count, and ``{"depth": d, "repeats": True}`` does both.
        groups: ``Group``s (module calls, say) to draw as nested clusters.

    Whatever the options, a gradient with NaN or inf is marked red and an all-zero one
    yellow, with a line saying so.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    graph = Graph(as_roots(root, "draw_graph"), params, max_nodes, show_shapes, show_data, show_grad, show_saved)
    return _DotWriter(graph, plan(graph, groups, collapse), rankdir).drawing


class _DotWriter:
    def __init__(self, graph: Graph, layout: Layout, rankdir: str) -> None:
        self.graph = graph
        self.layout = layout
        # A record's fields run across the rank direction unless braced: with LR they would
        # stack up, so braces turn them to read left to right, as micrograd's do.
        self.record_braces = rankdir in ("LR", "RL")
        self.drawing = Drawing(
            name="autograd",
            graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "height": "0.3"},
            edge_attr={"arrowsize": "0.7", "fontname": "Helvetica", "fontsize": "9"},
        )
        self.clusters = [
            graphviz.Digraph(
                name=c.id,
                graph_attr={
                    "label": _escape(c.group.title),
                    "labeljust": "l",
                    "style": "rounded,filled",
                    "fillcolor": CLUSTER_FILLS[(c.depth - 1) % len(CLUSTER_FILLS)],
                    "color": "#9aa5b1",
                    "fontname": "Helvetica",
                    "fontsize": "10",
                },
            )
            for c in layout.clusters
        ]
        self.roots = set(graph.roots)
        # Edges are collected and written last, after every node has found its cluster.
        self.edges: set[tuple[str, str, str]] = set()
        self.edge_list: list[tuple[str, str, dict[str, str]]] = []
        self.saved_ids: dict[int, str] = {}
        for node in graph.nodes:
            if layout.box_of[node.index] is None:
                if node.scalar:
                    self._scalar_node(node.index)
                else:
                    self._tensor_node(node.index)
        for k in range(len(layout.boxes)):
            self._box(k)
        for node in graph.nodes:
            self._inputs(node.index)
            if graph.show_saved:
                self._saved(node.index)
        if graph.omitted:
            self._cut_marker()
        # A cluster is added to its parent as text, so the innermost ones must be complete first.
        for k in sorted(range(len(layout.clusters)), key=lambda k: -layout.clusters[k].depth):
            parent = layout.clusters[k].parent
            (self.drawing if parent is None else self.clusters[parent]).subgraph(self.clusters[k])
        self.drawing.body.extend(_statement(f"{tail} -> {head}", attrs) for tail, head, attrs in self.edge_list)

    # --- where things go --------------------------------------------------------------------
    def _target(self, cluster: int | None) -> graphviz.Digraph:
        return self.drawing if cluster is None else self.clusters[cluster]

    def _out_id(self, i: int, nr: int) -> str:
        """The DOT node an edge leaving output ``nr`` of node ``i`` starts from."""
        k = self.layout.box_of[i]
        if k is not None:
            return self.layout.boxes[k].id
        node = self.graph.nodes[i]
        return f"n{i}v{nr}" if node.scalar and node.is_op else f"n{i}"

    def _in_id(self, i: int) -> str:
        k = self.layout.box_of[i]
        return f"n{i}" if k is None else self.layout.boxes[k].id

    # --- nodes ------------------------------------------------------------------------------
    def _style(self, role: str, trouble: str, root: bool) -> dict[str, str]:
        attrs = {"style": "filled", "fillcolor": TROUBLE_FILL.get(trouble, FILL[role])}
        if trouble in ("nan", "inf"):
            attrs.update(color="#c62828", penwidth="2")
        if root:
            attrs.update(ROOT_BORDER)
        return attrs

    def _tensor_node(self, i: int) -> None:
        graph, node = self.graph, self.graph.nodes[i]
        facts = graph.facts(i)
        trouble = _worst(graph.trouble(i, nr) for nr in node.output_nrs())
        root = any((i, nr) in self.roots for nr in node.output_nrs())
        lines = [facts.name] if facts.name else []
        if node.is_op or not facts.name:
            lines.append(facts.title)
        lines += _detail_lines(facts._replace(trouble=trouble))
        role = "op" if node.is_op else "leaf"
        attrs = self._style(role, trouble, root)
        attrs["shape"] = "box"
        if node.is_op:
            attrs["style"] += ",rounded"
        _node(self._target(self.layout.cluster_of[i]), f"n{i}", _label(lines), **attrs)

    def _scalar_node(self, i: int) -> None:
        graph, node = self.graph, self.graph.nodes[i]
        target = self._target(self.layout.cluster_of[i])
        if not node.is_op:
            self._record(target, f"n{i}", i, 0)
            return
        op_attrs = {"shape": "ellipse", "style": "filled", "fillcolor": FILL["op"], "margin": "0.02"}
        _node(target, f"n{i}", _escape(graph.title(i)), **op_attrs)
        for nr in node.output_nrs():
            self._record(target, f"n{i}v{nr}", i, nr)
            self._edge(f"n{i}", f"n{i}v{nr}")

    def _record(self, target: graphviz.Digraph, dot_id: str, i: int, nr: int) -> None:
        """micrograd's value node: { name | data | grad }."""
        facts = self.graph.facts(i, nr)
        fields = [_escape_record(facts.name)] if facts.name else []
        if facts.data is not None:
            fields.append(f"data {_escape_record(facts.data)}")
        if facts.grad is not None:
            fields.append(f"grad {_escape_record(facts.grad)}")
        if facts.trouble:
            fields.append(_escape_record(TROUBLE_TEXT[facts.trouble]))
        fields += [_escape_record(note) for note in facts.saved]
        attrs = self._style("value", facts.trouble, (i, nr) in self.roots)
        label = " | ".join(fields or [" "])
        _node(target, dot_id, "{ " + label + " }" if self.record_braces else label, shape="record", **attrs)

    def _box(self, k: int) -> None:
        box, graph = self.layout.boxes[k], self.graph
        members = box.members
        n_ops = sum(graph.nodes[i].is_op for i in members)
        lines = [box.label]
        if box.count > 1:
            lines.append(box.times)
        lines.append(_plural(n_ops, "op"))
        if box.outputs:
            lines.append("→ " + ", ".join(box.outputs))
        trouble = _worst(graph.trouble(i, nr) for i in members for nr in graph.nodes[i].output_nrs())
        if trouble:
            lines.append(TROUBLE_TEXT[trouble])
        root = any(self.layout.box_of[i] == k for i, _ in graph.roots)
        attrs = self._style("box", trouble, root)
        _node(self._target(box.parent), box.id, _label(lines), shape="box3d", **attrs)

    def _cut_marker(self) -> None:
        graph = self.graph
        _node(
            self.drawing,
            "cut",
            _label([f"… {_plural(graph.omitted, 'more node')} not drawn", f"(max_nodes={graph.max_nodes})"]),
            shape="note",
            style="dashed",
            fontcolor="#555555",
        )
        for node in graph.nodes:
            if node.cut:
                self._edge("cut", self._in_id(node.index), style="dashed", color="#888888")

    # --- edges ------------------------------------------------------------------------------
    def _edge(self, tail: str, head: str, **attrs: str) -> None:
        # A dashed (saved-value) edge may run beside a solid one between the same nodes.
        key = (tail, head, attrs.get("style", ""))
        if key in self.edges:
            return
        self.edges.add(key)
        self.edge_list.append((tail, head, attrs))

    def _inputs(self, i: int) -> None:
        graph, layout = self.graph, self.layout
        head = self._in_id(i)
        for j, nr in graph.nodes[i].inputs:
            if j < 0:
                continue
            tail = self._out_id(j, nr)
            if tail == head:
                # Inside a folded box only the links from one repeat to the next stay visible.
                if layout.instance[j] == layout.instance[i]:
                    continue
                self._edge(tail, head, style="dashed", label="next")
            elif graph.nodes[j].is_op and graph.nodes[j].obj.n_outputs > 1 and layout.box_of[j] is None:
                self._edge(tail, head, label=str(nr), fontsize="9")
            else:
                self._edge(tail, head)

    def _saved(self, i: int) -> None:
        graph = self.graph
        if self.layout.box_of[i] is not None:
            return
        for value in graph.saved_values(i):
            source = graph.source_of(value)
            if source is not None:
                tail = self._out_id(*source)
            else:
                tail = self.saved_ids.get(id(value), "")
                if not tail:
                    tail = self.saved_ids[id(value)] = f"s{len(self.saved_ids)}"
                    _node(
                        self._target(self.layout.cluster_of[i]),
                        tail, _escape(graph.describe_saved(value)), shape="box", style="filled,dashed",
                        fillcolor=FILL["saved"],
                    )
            self._edge(tail, f"n{i}", style="dashed", color="#e8590c", arrowhead="odot")


def _node(target: graphviz.Digraph, ident: str, label: str, **attrs: str) -> None:
    target.body.append(_statement(ident, {"label": label, **attrs}))


def _statement(head: str, attrs: dict[str, str]) -> str:
    """One DOT statement. NOTE: written directly rather than through Digraph.node/edge, whose
    argument checking and quoting took most of the time for graphs of 100k nodes; our ids are
    plain (n12, box3), every value is quoted, and labels come escaped from ``_escape``."""
    if not attrs:
        return f"\t{head}\n"
    listed = " ".join(f'{k}="{_quote_free(v)}"' for k, v in attrs.items())
    return f"\t{head} [{listed}]\n"


def _quote_free(value: str) -> str:
    return value.replace('"', '\\"')


def _detail_lines(facts: Facts) -> list[str]:
    lines = []
    if facts.shape:
        lines.append(facts.shape)
    if facts.data is not None:
        lines.append(f"data {facts.data}")
    if facts.grad is not None:
        lines.append(f"grad {facts.grad}")
    if facts.trouble:
        lines.append(TROUBLE_TEXT[facts.trouble])
    return lines + facts.saved


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _worst(troubles: Any) -> str:
    found = set(troubles)
    for t in ("nan", "inf", "zero"):
        if t in found:
            return t
    return ""


def _escape(text: str) -> str:
    # graphviz quotes the label; backslashes must be doubled to stay literal, and a newline
    # in our text is DOT's line break.
    return "\\n".join(line.replace("\\", "\\\\") for line in text.split("\n"))


def _label(lines: list[str]) -> str:
    return _escape("\n".join(lines))


def _escape_record(text: str) -> str:
    """Text for one field of a record label, where { } | < > are structure."""
    text = _escape(text)
    for ch in "{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text
