"""``ndgrad``: the project's command line.

    ndgrad demo [--out DIR]                  the lectures' shallow net on the galaxy data
    ndgrad train mlp|rnn [options]           train on a built-in dataset, log, checkpoint, resume
    ndgrad graph [mlp|rnn|neuron] [--out F]  render a model's computation graph (or print it)
    ndgrad graph --expr "tanh(x*w + b)"      ... or an expression's (--var x=2, w=[1,2])
    ndgrad graph mlp|rnn --modules           ... or a model's modules (--depth N folds deeper ones)
    ndgrad check                             gradient checks of every built-in op, as a table

Bad arguments print a message and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, fields
from functools import partial
from typing import Any

import numpy as np

import autograd as ag
import nn

from . import expression, training
from .training import Config, Interrupted


class UsageError(Exception):
    """A bad argument found after parsing (a missing file, an impossible combination)."""


def _number(kind: Callable[[str], Any], what: str, ok: Callable[[Any], bool], wanted: str) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)`` (int or float, ``what`` it is called), refused unless ``ok``."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
        return value

    return parse


_INF = float("inf")
# NOTE: the float checks are written so that nan fails them.
_positive_int = _number(int, "a whole number", lambda v: v >= 1, "a whole number >= 1")
_nonnegative_int = _number(int, "a whole number", lambda v: v >= 0, "a whole number >= 0")
_positive_float = _number(float, "a number", lambda v: 0 < v < _INF, "a positive finite number")
_nonnegative_float = _number(float, "a number", lambda v: 0 <= v < _INF, "a finite number >= 0")


# --- demo ------------------------------------------------------------------------------------
def demo(out_dir: str = "ndgrad-demo", epochs: int = 60, quiet: bool = False) -> dict[str, Any]:
    """Train a shallow (one hidden layer) ReLU network on the spiral galaxy and write the
    decision boundary, the computation graph and a checkpoint into ``out_dir``."""
    config = Config(task="mlp", dataset="spiral", width=100, depth=1, optimizer="adam", lr=0.02,
                    schedule="cosine", epochs=epochs, batch_size=32, seed=0)
    print(f"Training a 2-100-3 ReLU network on the spiral galaxy ({epochs} epochs, Adam, cosine schedule)")
    result = _train(config, out_dir, quiet=quiet)
    metrics = result["metrics"]
    print(f"train accuracy {metrics['train_accuracy']:.3f}   test accuracy {metrics['test_accuracy']:.3f}")
    model, (x, y) = result["model"], result["data"]["test"]
    written = [result["checkpoint"], os.path.join(out_dir, "metrics.csv")]
    written += _draw_model_graph(model, x[:8], y[:8], os.path.join(out_dir, "graph"))
    plot = _plot_boundary(model, x, y, os.path.join(out_dir, "decision_boundary.png"))
    if plot:
        written.append(plot)
    print(f"wrote into {os.path.abspath(out_dir)}/:")
    for path in written:
        print(f"  {os.path.basename(path)}")
    return result


def _draw_model_graph(model: nn.Module, x: ag.Tensor, y: ag.Tensor, stem: str) -> list[str]:
    """The graph of the loss on a few points: SVG if Graphviz is installed, else DOT and text."""
    loss = training.loss_fn(model, x, y)
    drawing = ag.draw_graph(loss, params=dict(model.named_parameters()))
    with open(stem + ".txt", "w") as f:
        f.write(ag.draw_text(loss, params=dict(model.named_parameters())) + "\n")
    written = [stem + ".txt"]
    try:
        # pipe(), not render(): render() writes the DOT source beside the image first, and leaves
        # it there when Graphviz is missing.
        _write(stem + ".svg", drawing.pipe(format="svg"))
        written.append(stem + ".svg")
    except ag.render.GraphvizNotFoundError as error:  # say how to get it, keep the DOT source
        _write(stem + ".gv", drawing.source)
        written.append(stem + ".gv")
        print(f"(graph not rendered; its DOT source is in {os.path.basename(stem)}.gv)\n{error}")
    return written


def _write(path: str, content: str | bytes) -> None:
    """Write a file the command was asked for: a path it cannot write is a bad argument."""
    try:
        with open(path, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _plot_boundary(model: nn.Module, x: ag.Tensor, y: ag.Tensor, path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no decision-boundary plot: matplotlib is not installed; pip install 'ndgrad[demo]')")
        return None
    points = x.numpy()
    lo, hi = points.min(0) - 0.2, points.max(0) + 0.2
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    grid = ag.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))
    model.eval()
    with ag.no_grad():
        regions = model(grid).argmax(1).numpy().reshape(gx.shape)
    model.train()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(gx, gy, regions, alpha=0.3, cmap="viridis")
    ax.scatter(points[:, 0], points[:, 1], c=y.numpy(), s=8, cmap="viridis", edgecolors="k", linewidths=0.2)
    ax.set_title("decision regions of the shallow network (test points)")
    ax.set_aspect("equal")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


# --- train -----------------------------------------------------------------------------------
def _train(config: Config, out: str, **options: Any) -> dict[str, Any]:
    try:
        return training.train(config, out, **options)
    except training.RunSetupError as error:
        raise UsageError(str(error)) from None


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (the options' defaults are None to tell)."""
    given = {f.name: getattr(args, f.name) for f in fields(Config) if getattr(args, f.name, None) is not None}
    return {**given, "task": args.task}


def _resumed_config(args: argparse.Namespace, state: dict[str, Any]) -> Config:
    """The checkpoint's config, after refusing any option given that contradicts it (silently
    training something other than what was asked for is worse than an error)."""
    saved = asdict(Config(**state["config"]))
    conflicts = []
    for name, value in _given_settings(args).items():
        if name != "epochs" and value != saved[name]:  # epochs: training.train decides if it can extend
            given = f"train {value}" if name == "task" else f"{_option(name)} {value}"
            conflicts.append(f"{given} (the checkpoint: {saved[name]})")
    if conflicts:
        raise UsageError(f"--resume {args.resume} continues the run with the checkpoint's settings, which these "
                         f"contradict: {'; '.join(conflicts)}. Only --epochs may differ; leave out the others.")
    return Config(**saved)


def run_train(args: argparse.Namespace) -> int:
    state = None
    if args.resume:
        if not os.path.isfile(args.resume):
            raise UsageError(f"--resume: no checkpoint at {args.resume}")
        try:
            state = training.read_checkpoint(args.resume)
        except training.RunSetupError as error:
            raise UsageError(f"--resume: {error}") from None
        config = _resumed_config(args, state)
        out = args.out or os.path.dirname(args.resume) or "."  # continue where the run was
    else:
        datasets = training.MLP_DATASETS if args.task == "mlp" else training.RNN_DATASETS
        dataset = args.dataset or datasets[0]
        if dataset not in datasets:
            raise UsageError(f"--dataset {dataset} is not a dataset for {args.task}; "
                             f"choose from {', '.join(datasets)}")
        config = Config(**{**_given_settings(args), "dataset": dataset})
        out = args.out or f"ndgrad-{args.task}"

    def report(row: dict[str, Any]) -> None:
        if not args.quiet:
            print(f"epoch {row['epoch']:3d}  step {row['step']:6d}  loss {row['train_loss']:.4f}  "
                  f"train acc {row['train_accuracy']:.3f}  test acc {row['test_accuracy']:.3f}", flush=True)

    try:
        result = _train(config, out, resume=state, quiet=args.quiet, on_epoch=report, epochs=args.epochs)
    except Interrupted as stop:
        print(f"\n{stop}; continue with --resume {stop.path}", file=sys.stderr)
        return 130
    print(f"done after {result['step']} steps; checkpoint {result['checkpoint']}")
    return 0


# --- graph -----------------------------------------------------------------------------------
GRAPH_FORMATS = ("svg", "png", "pdf", "gv", "dot")


def run_graph(args: argparse.Namespace) -> int:
    out, fmt = _graph_file(args.out) if args.out is not None else (None, None)
    if args.expr is not None and (args.model is not None or args.modules):
        raise UsageError("--expr draws the expression alone: leave out the model and --modules")
    if args.var and args.expr is None:
        raise UsageError("--var gives a value to a name in --expr; there is no --expr")
    if args.depth is not None and not args.modules:
        raise UsageError("--depth folds modules: it needs --modules")
    if args.modules and args.model == "neuron":
        raise UsageError("--modules draws the modules of mlp or rnn; neuron has none")
    ag.manual_seed(0)
    if args.modules:
        model, inputs, _ = _graph_model(args.model or "mlp")
        text = partial(nn.draw_text, model, inputs, depth=args.depth, max_nodes=args.max_nodes)
        graph = partial(nn.draw, model, inputs, depth=args.depth, max_nodes=args.max_nodes)
    else:
        root, params = _graph_root(args)
        text = partial(ag.draw_text, root, params=params, max_nodes=args.max_nodes)
        graph = partial(ag.draw_graph, root, params=params, max_nodes=args.max_nodes)
    if out is None:
        print(text())
        return 0
    drawing = graph()
    if fmt in ("gv", "dot"):
        _write(out, drawing.source)
    else:
        try:
            _write(out, drawing.pipe(format=fmt))
        except ag.render.GraphvizNotFoundError as error:
            raise UsageError(f"--out {args.out}: {error}\n(Or write --out FILE.gv for the DOT text, or leave out "
                             "--out for a text tree.)") from None
    print(f"wrote {out}")
    return 0


def _graph_root(args: argparse.Namespace) -> tuple[Any, dict[str, Any] | None]:
    """The value whose graph is drawn, with names for its leaves."""
    if args.expr is not None:
        try:
            root, params = expression.build(args.expr, expression.parse_variables(args.var))
        except expression.ExpressionError as error:
            raise UsageError(str(error)) from None
    elif args.model == "neuron":  # the lectures' neuron, tanh(x1 w1 + x2 w2 + b)
        x1, x2 = ag.Scalar(2.0, "x1"), ag.Scalar(0.0, "x2")
        w1, w2, b = ag.Scalar(-3.0, "w1"), ag.Scalar(1.0, "w2"), ag.Scalar(6.8813735870195432, "b")
        root, params = (x1 * w1 + x2 * w2 + b).tanh(), None
        root.label = "out"
    else:
        model, inputs, targets = _graph_model(args.model or "mlp")
        root, params = training.loss_fn(model, inputs, targets), dict(model.named_parameters())
    if isinstance(root, ag.Scalar) or root.numel() == 1:  # only a single number can start backward
        root.backward()  # so that the drawing shows gradients
    return root, params


def _graph_file(out: str) -> tuple[str, str]:
    """The file to write and its format (by its extension; none is SVG)."""
    stem, ext = os.path.splitext(out)
    fmt = ext.lstrip(".") or "svg"
    if fmt not in GRAPH_FORMATS:
        raise UsageError(f"--out {out}: the file must end in {', '.join('.' + f for f in GRAPH_FORMATS)}")
    # Refused rather than created: a folder that is not there is more likely a typo.
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise UsageError(f"--out {out}: there is no folder {folder}")
    return f"{stem}.{fmt}", fmt


def _graph_model(name: str) -> tuple[nn.Module, ag.Tensor, ag.Tensor]:
    """A small model of the kind ``train`` trains, with inputs and targets."""
    if name == "mlp":
        return nn.MLP(2, [8, 8], 3, activation="tanh"), ag.randn(4, 2), ag.tensor([0, 1, 2, 0])
    model = training.SequenceModel(10, 8, 10, "rnn", 1, per_step=True)
    return model, ag.randint(0, 10, (2, 5)), ag.randint(0, 10, (2, 5))


# --- check -----------------------------------------------------------------------------------
def run_check(args: argparse.Namespace) -> int:
    from .check import check_all_ops

    return check_all_ops(max_examples=args.examples, verbose=not args.quiet)


# --- entry -----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors: a message and status 2, never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ndgrad", description="ndgrad: a small autograd engine on NumPy with a PyTorch-like API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="train the lectures' shallow network on the galaxy data")
    p.add_argument("--out", default="ndgrad-demo", help="output folder (default: ndgrad-demo)")
    p.add_argument("--epochs", type=_positive_int, default=60)
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("train", help="train an MLP or an RNN on a built-in dataset")
    p.add_argument("task", choices=["mlp", "rnn"])
    p.add_argument("--dataset", help="mlp: spiral, moons, circles, smiley, digits; rnn: chars, sentiment")
    p.add_argument("--width", type=_positive_int, help="hidden units per layer (default 64)")
    p.add_argument("--depth", type=_positive_int, help="hidden layers (default 2)")
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "gelu"])
    p.add_argument("--cell", choices=list(training.CELLS), help="rnn only (default rnn)")
    p.add_argument("--seq-len", dest="seq_len", type=_positive_int, help="rnn on chars (default 32)")
    p.add_argument("--optimizer", choices=list(training.OPTIMIZERS))
    p.add_argument("--lr", type=_positive_float)
    p.add_argument("--momentum", type=_nonnegative_float)
    p.add_argument("--weight-decay", dest="weight_decay", type=_nonnegative_float)
    p.add_argument("--schedule", choices=list(training.SCHEDULES))
    p.add_argument("--epochs", type=_positive_int)
    p.add_argument("--batch-size", dest="batch_size", type=_positive_int)
    p.add_argument("--clip", type=_nonnegative_float, help="clip the gradient norm to this (0: off)")
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="output folder (default ndgrad-mlp / ndgrad-rnn; with --resume, the checkpoint's)")
    p.add_argument("--resume", help="a checkpoint.npz to continue from (its settings are used)")
    p.add_argument("--log", choices=["csv", "jsonl"], help="metrics log format (default csv)")
    p.add_argument("--quiet", action="store_true")

    p = sub.add_parser("graph", help="render the computation graph of a model or an expression")
    p.add_argument("model", nargs="?", choices=["mlp", "rnn", "neuron"], help="the model to draw (default mlp)")
    p.add_argument("--expr", help="draw this expression instead, such as 'tanh(x*w + b)' (+ - * / **, "
                                  f"{', '.join(expression.FUNCTIONS)})")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="a value for a name in --expr: a number, or a list such as [1,2] for Tensors (default 1.0)")
    p.add_argument("--modules", action="store_true", help="draw the model's forward pass module by module")
    p.add_argument("--depth", type=_nonnegative_int, help="with --modules: fold modules nested deeper than this")
    p.add_argument("--out", help="file to write (.svg, .png, .pdf, .gv); without it, print a text tree")
    p.add_argument("--max-nodes", dest="max_nodes", type=_positive_int)

    p = sub.add_parser("check", help="check every built-in op's gradients against finite differences")
    p.add_argument("--examples", type=_positive_int, default=10, help="generated examples per op (default 10)")
    p.add_argument("--quiet", action="store_true", help="no failure reports after the table")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        status = _run(argv)
        sys.stdout.flush()  # here, so that a closed pipe is seen even when the output was buffered
        return status
    except BrokenPipeError:  # `ndgrad graph rnn | head`: the reader has gone, as Python's docs advise
        # Python flushes stdout again at exit: point it at devnull so that raises nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(argv: list[str] | None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            demo(args.out, args.epochs, args.quiet)
            return 0
        if args.command == "train":
            return run_train(args)
        if args.command == "graph":
            return run_graph(args)
        return run_check(args)
    except UsageError as error:
        parser.exit(2, f"ndgrad {args.command}: error: {error}\n")
    except Interrupted as stop:
        print(f"\n{stop}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
