"""``python -m autograd.render [OUTPUT]``: draw the graph of a demo model.

    python -m autograd.render docs/graph.svg --saved  # the MLP of the README's picture
    python -m autograd.render graph.png --zero-init   # see the all-zero gradients marked
    python -m autograd.render --model neuron           # a micrograd neuron, as text

The format follows OUTPUT's suffix (.svg, .png, .pdf, or .gv/.dot for the DOT text, which
needs no Graphviz); without OUTPUT the graph is printed as text.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..creation import tensor, zeros
from ..scalar import Scalar
from ..tensor import Tensor
from ..variable import Variable
from . import GraphvizNotFoundError, draw_graph, draw_text

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".gv": "dot", ".dot": "dot"}


def demo_mlp(zero_init: bool = False, seed: int = 0) -> tuple[Tensor, dict[str, Tensor]]:
    """A 3-8-2 tanh MLP, its cross-entropy on a batch of 4, after backward."""
    rng = np.random.default_rng(seed)
    x = tensor(rng.normal(size=(4, 3)).astype(np.float32))
    target = tensor(np.eye(2, dtype=np.float32)[[0, 1, 1, 1]])
    params = {
        "w1": tensor(rng.normal(0, 0.5, (3, 8)).astype(np.float32), requires_grad=True),
        "b1": zeros(8, requires_grad=True),
        "w2": tensor(rng.normal(0, 0.5, (8, 2)).astype(np.float32), requires_grad=True),
        "b2": zeros(2, requires_grad=True),
    }
    if zero_init:
        # With the last layer at zero, no gradient reaches the first: the lecture's exercise.
        params["w2"] = zeros(8, 2, requires_grad=True)
    h = (x @ params["w1"] + params["b1"]).tanh()
    logits = h @ params["w2"] + params["b2"]
    loss = -(logits.log_softmax(1) * target).sum(1).mean()
    # retain_graph keeps what the ops saved for backward, so that --saved can still show it.
    loss.backward(retain_graph=True)
    return loss, {"x": x, "target": target, **params}


def demo_neuron() -> tuple[Scalar, dict[str, Scalar]]:
    """micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b), after backward."""
    x1, x2 = Scalar(2.0, "x1"), Scalar(0.0, "x2")
    w1, w2 = Scalar(-3.0, "w1"), Scalar(1.0, "w2")
    b = Scalar(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    # The intermediates are returned too: a Scalar shows its data only while someone holds it.
    return o, {"x1*w1": x1w1, "x2*w2": x2w2, "x1*w1 + x2*w2": x1w1x2w2, "n": n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograd.render", description="Draw the graph of a demo model.")
    parser.add_argument("output", nargs="?", help="file to write (.svg, .png, .pdf, .gv); omit to print text")
    parser.add_argument("--model", choices=["mlp", "neuron"], default="mlp")
    parser.add_argument("--zero-init", action="store_true", help="zero the MLP's last layer (gradients vanish)")
    parser.add_argument("--saved", action="store_true", help="show what each op saved for backward")
    parser.add_argument("--max-nodes", type=int, default=None)
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR")
    args = parser.parse_args(argv)
    if args.max_nodes is not None and args.max_nodes < 1:
        parser.error(f"--max-nodes must be at least 1, got {args.max_nodes}")
    fmt = None
    if args.output is not None:
        fmt = FORMATS.get(Path(args.output).suffix.lower())
        if fmt is None:
            parser.error(f"cannot tell the format of {args.output!r}: use one of {', '.join(FORMATS)}")
    demo: tuple[Variable, Mapping[str, Variable]] = demo_mlp(args.zero_init) if args.model == "mlp" else demo_neuron()
    root, params = demo
    if args.output is None:
        print(draw_text(root, params=params, max_nodes=args.max_nodes, show_saved=args.saved))
        return 0
    drawing = draw_graph(root, params=params, max_nodes=args.max_nodes, rankdir=args.rankdir, show_saved=args.saved)
    out = Path(args.output)
    if fmt == "dot":
        out.write_text(drawing.source, encoding="utf-8")
    else:
        try:
            out.write_bytes(drawing.pipe(format=fmt))
        except GraphvizNotFoundError as error:
            print(error, file=sys.stderr)
            return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
