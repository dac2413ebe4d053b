"""Drawing recorded graphs, for Scalars and Tensors alike (one renderer for both).

* ``draw_graph(root, ...)``: a ``graphviz.Digraph`` that shows inline in Jupyter,
  ``.render(path, format="svg")`` writes a file, ``.source`` is the DOT text.
* ``draw_text(root, ...)``: the same graph as an indented tree, for terminals and logs.
* ``Group``: a named part of the graph (a module call) drawn as a cluster or folded away.

``graph.py`` walks the graph, ``groups.py`` decides clusters and folding, ``dot.py`` and
``text.py`` write the two renderings; ``python -m autograd.render`` draws a demo model.
"""

from .dot import Drawing, GraphvizNotFoundError, draw_graph
from .groups import Group
from .text import draw_text

__all__ = ["Drawing", "GraphvizNotFoundError", "Group", "draw_graph", "draw_text"]
