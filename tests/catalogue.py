"""The bad-input catalogue: misuses that ndgrad recognises, an example of each, the exception
it raises and what its message must name.

This table is the single source of ``docs/errors.md`` and of ``tests/autograd/test_catalogue.py``,
which runs every example and checks that the page is current. After changing a row or a
message, regenerate the page from the repository root:

    .venv/bin/python -m tests.catalogue > docs/errors.md
"""

from __future__ import annotations

import html
import linecache
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass

import numpy as np

import autograd as ag
import nn
import nn.functional as F
import optim
from autograd.ops.math import IntegerDivisionError
from nn.checkpoint import CheckpointError


@dataclass(frozen=True)
class Misuse:
    what: str  # the mistake, in words
    code: str  # an example that makes it (statements; the names of NAMESPACE are imported)
    raises: type[BaseException]
    says: tuple[str, ...]  # what the message must contain: the offending values


def namespace() -> dict[str, object]:
    return {"ag": ag, "nn": nn, "optim": optim, "F": F, "np": np, "zipfile": zipfile}


SECTIONS: dict[str, list[Misuse]] = {
    "Shapes, dims and indices": [
        Misuse("operands whose shapes do not broadcast", "ag.ones(2, 3) + ag.ones(4)", ValueError,
               ("(2, 3)", "(4,)")),
        Misuse("matmul of matrices whose inner sizes differ", "ag.ones(2, 3) @ ag.ones(4, 5)", ValueError,
               ("(2, 3)", "(4, 5)", "(3)", "(4)")),
        Misuse("matmul with a 0-d operand", "ag.ones(()) @ ag.ones(3)", ValueError, ("()", "(3,)")),
        Misuse("a dim out of range", "ag.ones(2, 3).sum(dim=2)", IndexError, ("dim 2", "2 dims")),
        Misuse("a dim that is not an int", "ag.ones(2, 3).softmax(dim=0.5)", TypeError, ("0.5",)),
        Misuse("the same dim twice", "ag.ones(2, 3).sum(dim=(0, -2))", ValueError, ("(0, -2)",)),
        Misuse("reshape to a different number of elements", "ag.ones(2, 3).reshape(4, 2)", ValueError,
               ("(2, 3)", "(4, 2)")),
        Misuse("reshape with two -1", "ag.ones(4).reshape(-1, -1)", ValueError, ("(-1, -1)",)),
        Misuse("expand a dim that is not 1", "ag.ones(2, 3).expand(4, 3)", ValueError, ("(2, 3)", "(4, 3)")),
        Misuse("permute with dims that are not a permutation", "ag.ones(2, 3).permute(1, 1)", ValueError,
               ("(1, 1)", "(2, 3)")),
        Misuse("split sizes that do not add up", "ag.ones(5).split([2, 2])", ValueError, ("[2, 2]", "5")),
        Misuse("split a 0-d tensor", "ag.tensor(1.0).split(1)", ValueError, ("0-d",)),
        Misuse("a dim and its NumPy spelling together", "ag.ones(2, 3).sum(dim=0, axis=1)", TypeError,
               ("dim=", "axis=")),
        Misuse("the median along a dim of size 0", "ag.ones(2, 0).median(1)", ValueError, ("dim 1", "(2, 0)")),
        Misuse("new_full with an int for its size (torch wants a sequence)", "ag.ones(2).new_full(3, 0.0)",
               TypeError, ("new_full", "int 3")),
        Misuse("a function form given its tensor both ways", "ag.sum(ag.ones(2), input=ag.ones(2))", TypeError,
               ("sum()", "input")),
        Misuse("a split size that is not an int", "ag.ones(3).split(1.5)", TypeError, ("1.5",)),
        Misuse("expand with -1 for a new leading dim", "ag.ones(3).expand(-1, 3)", ValueError,
               ("(3,)", "(-1, 3)", "dim 0")),
        Misuse("cat tensors whose other dims differ", "ag.cat([ag.ones(2, 3), ag.ones(2, 4)])", ValueError,
               ("(2, 3)", "(2, 4)", "tensor 1")),
        Misuse("stack tensors of different shapes", "ag.stack([ag.ones(2), ag.ones(3)])", ValueError,
               ("(2,)", "(3,)")),
        Misuse("cat of nothing", "ag.cat([])", ValueError, ("at least one",)),
        Misuse("an index out of range", "ag.ones(2, 3)[:, 3]", IndexError, ("index 3", "dim 1", "size 3")),
        Misuse("an index array with an entry out of range", "ag.ones(4)[[0, 5]]", IndexError, ("index 5", "size 4")),
        Misuse("more indices than dims", "ag.ones(2, 3)[0, 0, 0]", IndexError, ("(2, 3)",)),
        Misuse("a boolean mask of the wrong shape", "ag.ones(2, 3)[ag.tensor([True, False, True])]", IndexError,
               ("(3,)", "(2, 3)")),
        Misuse("a float tensor as an index", "ag.ones(3)[ag.tensor([0.0, 1.0])]", IndexError, ("float32",)),
        Misuse("a value in NumPy's order for an index torch orders otherwise",
               "x = ag.zeros(3, 4, 5)\nx[0, :, [0, 1]] = ag.zeros(2, 4)", ValueError, ("(2, 4)", "(4, 2)")),
        Misuse("gather with an index of fewer dims than the input", "ag.ones(2, 3).gather(0, ag.tensor([0, 1]))",
               RuntimeError, ("(2,)", "(2, 3)")),
        Misuse("a gather index out of range", "ag.ones(2, 3).gather(1, ag.tensor([[3]]))", IndexError,
               ("index 3", "dim 1", "size 3")),
        Misuse("scatter from a source of another dtype",
               "ag.zeros(2, 3).scatter(1, ag.tensor([[0]]), ag.ones(1, 1, dtype=ag.float64))", TypeError,
               ("float64", "float32")),
        Misuse("an unknown scatter_reduce reduction",
               "ag.zeros(3).scatter_reduce(0, ag.tensor([0]), ag.ones(1), 'max')", ValueError, ("'max'", "amax")),
        Misuse("masked_fill with a mask that is not bool", "ag.ones(3).masked_fill(ag.tensor([1, 0, 1]), 0.0)",
               TypeError, ("bool", "int64")),
        Misuse("masked_scatter with too few source elements",
               "ag.zeros(3).masked_scatter(ag.tensor([True, False, True]), ag.ones(1))", RuntimeError, ("2", "(1,)")),
        Misuse("topk of more elements than there are", "ag.ones(2, 3).topk(4)", RuntimeError, ("k = 4", "size 3")),
        Misuse("einsum with a subscript of two sizes", "ag.einsum('ij,jk', ag.ones(2, 3), ag.ones(4, 2))",
               RuntimeError, ("'j'", "size 4", "(4, 2)", "3")),
        Misuse("cross along a dim that is not of size 3", "ag.cross(ag.ones(2, 3), ag.ones(2, 3), dim=0)",
               RuntimeError, ("dim 0", "(2, 3)", "size 3")),
        Misuse("max of an empty tensor", "ag.zeros(0).max()", ValueError, ("(0,)",)),
        Misuse("max along a dim of size 0", "ag.ones(3, 0).max(dim=1)", ValueError, ("dim 1", "(3, 0)")),
        Misuse("eye of a negative size", "ag.eye(-1)", ValueError, ("n", "-1")),
        Misuse("a count that is not an int", "ag.linspace(0, 1, 2.5)", TypeError, ("steps", "2.5")),
        Misuse("randint with an empty range", "ag.randint(5, 3, (2,))", ValueError, ("low=5", "high=3")),
        Misuse("item() of a tensor with several elements", "ag.ones(2, 2).item()", ValueError, ("(2, 2)",)),
        Misuse("the truth value of a tensor with several elements", "bool(ag.ones(2))", ValueError, ("(2,)",)),
        Misuse("sizes that are negative", "ag.zeros(2, -1)", ValueError, ("(2, -1)",)),
    ],
    "Dtypes": [
        Misuse("an integer tensor that requires grad", "ag.tensor([1, 2], requires_grad=True)", TypeError,
               ("int64",)),
        Misuse("requires_grad assigned on an integer tensor, then used",
               "t = ag.tensor([1, 2])\nt.requires_grad = True\n(t * 2.5).sum().backward()", TypeError, ("int64",)),
        Misuse("the mean of integers", "ag.arange(3).mean()", TypeError, ("mean()", "int64")),
        Misuse("a gradient of another dtype assigned to .grad",
               "x = ag.zeros(2, requires_grad=True)\nx.grad = ag.ones(2, dtype=ag.float64)", TypeError,
               ("float64", "float32")),
        Misuse("a tensor of strings", "ag.tensor(['a', 'b'])", TypeError, ("<U1",)),
        Misuse("a name that is not a dtype", "ag.ones(2, dtype='float99')", TypeError, ("'float99'",)),
        Misuse("where with a condition that is not bool", "ag.where(ag.ones(2), ag.ones(2), ag.zeros(2))",
               TypeError, ("float32",)),
        Misuse("an in-place op whose result needs a wider dtype", "ag.arange(3).add_(0.5)", TypeError,
               ("int64", "0.5")),
        Misuse("arithmetic with something that is not a number", "ag.ones(2) * None", TypeError, ("NoneType",)),
        Misuse("a bitwise op on floats", "ag.ones(2) & 1", TypeError, ("bitwise_and", "float32")),
        Misuse("an in-place op whose result the tensor's dtype cannot hold", "ag.arange(3).exp_()", TypeError,
               ("exp_", "float32", "int64")),
        Misuse("integer division by zero", "ag.arange(3) // ag.tensor([1, 0, 2])", IntegerDivisionError,
               ("division by zero", "int64")),
        Misuse("an unknown rounding mode", "ag.ones(2).div(3, rounding_mode='round')", ValueError, ("'round'",)),
        Misuse("a dtype view that does not fit the last dim", "ag.zeros(3).view(ag.float64)", RuntimeError,
               ("(3,)", "float64", "3 elements")),
        Misuse("a tensor type torch does not name", "ag.ones(2).type('torch.ComplexTensor')", ValueError,
               ("torch.ComplexTensor",)),
    ],
    "The graph": [
        Misuse("backward() of a tensor that does not require grad", "ag.ones(2, 3).sum().backward()",
               RuntimeError, ("does not require grad",)),
        Misuse("backward() of a tensor with several elements, without a gradient",
               "(ag.ones(2, 3, requires_grad=True) * 2).backward()", RuntimeError, ("(2, 3)", "gradient")),
        Misuse("a gradient of the wrong shape", "(ag.ones(2, 3, requires_grad=True) * 2).backward(ag.ones(3, 2))",
               RuntimeError, ("(3, 2)", "(2, 3)")),
        Misuse("a second backward through freed buffers",
               "x = ag.ones(2, requires_grad=True)\ny = (x.exp() * 3).sum()\ny.backward()\ny.backward()",
               RuntimeError, ("retain_graph=True",)),
        Misuse("a value saved for backward, then modified in place",
               "h = ag.ones(3, requires_grad=True) * 1.0\ny = h.cos()\nh.add_(1.0)\ny.sum().backward()",
               RuntimeError, ("CosBackward", "(3,)", "modified in place")),
        Misuse("an in-place change of a leaf that requires grad", "ag.ones(2, requires_grad=True).mul_(2.0)",
               RuntimeError, ("mul_", "leaf", "(2,)")),
        Misuse("an in-place change, while recording, of a tensor that shares memory with a view",
               "x = ag.ones(2, 3, requires_grad=True) * 1\nrow = x[0]\nrow.mul_(2.0)", RuntimeError,
               ("mul_", "(3,)", "shares memory")),
        Misuse("an in-place change of a broadcast view", "ag.ones(3).expand(2, 3).fill_(0.0)", RuntimeError,
               ("fill_", "(2, 3)", "read-only")),
        Misuse("a recorded in-place op whose result has another shape",
               "(ag.ones(3, requires_grad=True) * 1).add_(ag.ones(2, 3))", ValueError, ("add_", "(2, 3)", "(3,)")),
        Misuse("requires_grad_(False) on a tensor computed from others",
               "(ag.ones(2, requires_grad=True) * 2).requires_grad_(False)", RuntimeError, ("non-leaf", "detach")),
        Misuse("a gradient of another shape assigned to .grad",
               "x = ag.zeros(2, requires_grad=True)\nx.grad = ag.ones(3)", ValueError, ("(3,)", "(2,)")),
        Misuse("a hook that is not callable", "ag.zeros(2, requires_grad=True).register_hook(3)", TypeError,
               ("int", "3")),
        Misuse("numpy() of a tensor that requires grad", "ag.ones(2, requires_grad=True).numpy()", RuntimeError,
               ("detach",)),
        Misuse("grad() with respect to a tensor the output does not depend on",
               "x, y = ag.ones(2, requires_grad=True), ag.ones(2, requires_grad=True)\nag.grad((x * 2).sum(), [x, y])",
               RuntimeError, ("input 1", "(2,)", "allow_unused")),
        Misuse("a NaN or infinite gradient under anomaly detection",
               "x = ag.zeros(2, requires_grad=True)\nwith ag.detect_anomaly():\n    x.sqrt().sum().backward()",
               ag.AnomalyError, ("SqrtBackward", "(2,)", "x.sqrt()")),
    ],
    "nn": [
        Misuse("an input with the wrong number of features", "nn.Linear(4, 2)(ag.ones(3, 5))", nn.ShapeError,
               ("4 features", "(3, 5)")),
        Misuse("a layer size that is negative", "nn.Linear(-1, 2)", ValueError, ("in_features", "-1")),
        Misuse("a class index out of range", "nn.CrossEntropyLoss()(ag.zeros(2, 3), ag.tensor([0, 3]))",
               nn.IndexRangeError, ("target 3", "3 classes")),
        Misuse("float class targets", "nn.CrossEntropyLoss()(ag.zeros(2, 3), ag.tensor([0.0, 1.0]))", nn.DtypeError,
               ("float32", "(2,)")),
        Misuse("targets for another batch size", "nn.CrossEntropyLoss()(ag.zeros(2, 3), ag.tensor([0, 1, 2]))",
               nn.ShapeError, ("(3,)", "(2, 3)")),
        Misuse("probabilities outside [0, 1] in binary cross-entropy",
               "nn.BCELoss()(ag.full((2,), 1.5), ag.tensor([0.0, 1.0]))", nn.DomainError, ("1.5",)),
        Misuse("a hidden state of the wrong shape", "nn.RNN(3, 4)(ag.zeros(5, 2, 3), ag.zeros(1, 3, 4))",
               nn.ShapeError, ("(1, 3, 4)", "(1, 2, 4)")),
        Misuse("a sequence with the wrong number of features", "nn.RNN(3, 4)(ag.zeros(5, 2, 7))", nn.ShapeError,
               ("7 features", "input_size=3")),
        Misuse("an LSTM state that is not an (h, c) pair", "nn.LSTM(3, 4)(ag.zeros(5, 2, 3), ag.zeros(1, 2, 4))",
               TypeError, ("(h_0, c_0)",)),
        Misuse("an RNN step whose state does not fit the batch",
               "F.rnn_tanh_cell(ag.zeros(2, 3), ag.zeros(5, 4), ag.zeros(4, 3), ag.zeros(4, 4))", nn.ShapeError,
               ("(2, 3)", "(5, 4)", "(2, 4)")),
        Misuse("an RNN step with a W_hh that is not square",
               "F.rnn_tanh_cell(ag.zeros(2, 3), ag.zeros(2, 4), ag.zeros(4, 3), ag.zeros(4, 5))", nn.ShapeError,
               ("(4, 5)", "square")),
        Misuse("an unknown RNN nonlinearity", "nn.RNN(3, 4, nonlinearity='sigmoid')", ValueError, ("'sigmoid'",)),
        Misuse("a dropout probability outside [0, 1]", "nn.Dropout(p=1.5)", ValueError, ("1.5",)),
        Misuse("glu along a dim of odd size", "F.glu(ag.ones(2, 3))", nn.ShapeError, ("(2, 3)", "size 3")),
        Misuse("prelu slopes for another number of channels", "F.prelu(ag.ones(2, 3), ag.ones(2))", nn.ShapeError,
               ("(2,)", "(2, 3)", "3")),
        Misuse("hardtanh bounds in the wrong order", "nn.Hardtanh(2.0, 1.0)", ValueError, ("2.0", "1.0")),
        Misuse("an in-place activation whose result the input's dtype cannot hold",
               "F.silu(ag.arange(3), inplace=True)", nn.DtypeError, ("float32", "int64")),
        Misuse("an embedding index out of range", "nn.Embedding(5, 2)(ag.tensor([1, 5]))", nn.IndexRangeError,
               ("index 5", "5 embeddings")),
        Misuse("a convolution input with the wrong number of channels", "nn.Conv1d(2, 4, 3)(ag.zeros(1, 3, 10))",
               nn.ShapeError, ("(1, 3, 10)", "3 channels")),
        Misuse("a convolution kernel larger than the padded input",
               "F.conv2d(ag.ones(1, 1, 4, 2), ag.ones(1, 1, 3, 3))", nn.ShapeError,
               ("dim 3", "spans 3 positions", "only 2")),
        Misuse("padding='same' with a stride", "F.conv2d(ag.ones(1, 1, 5, 5), ag.ones(1, 1, 3, 3), stride=2, "
               "padding='same')", RuntimeError, ("padding='same'", "stride=2")),
        Misuse("a pooling padding wider than half the window", "F.max_pool2d(ag.ones(1, 1, 5, 5), 3, padding=2)",
               ValueError, ("(2, 2)", "half")),
        Misuse("reflect padding as wide as the input", "F.pad(ag.ones(1, 1, 3), (3, 0), mode='reflect')",
               nn.ShapeError, ("(3, 0)", "length 3")),
        Misuse("fold of columns that are not the image's windows", "F.fold(ag.ones(1, 4, 5), (3, 3), 2)",
               nn.ShapeError, ("(1, 4, 5)", "2 * 2 windows", "5 columns")),
        Misuse("max_unpool indices outside the output", "F.max_unpool2d(ag.ones(1, 1, 1, 1), ag.tensor([[[[7]]]]), 2)",
               nn.IndexRangeError, ("index 7", "(2, 2)")),
        Misuse("attention whose query and key have different numbers of features",
               "F.scaled_dot_product_attention(ag.ones(2, 3, 4), ag.ones(2, 5, 3), ag.ones(2, 5, 6))", nn.ShapeError,
               ("(2, 3, 4)", "(2, 5, 3)")),
        Misuse("an embed_dim that num_heads does not divide", "nn.MultiheadAttention(6, 4)", ValueError,
               ("embed_dim 6", "num_heads 4")),
        Misuse("a key_padding_mask for another batch size",
               "attention = nn.MultiheadAttention(4, 2)\nx, memory = ag.ones(3, 2, 4), ag.ones(5, 2, 4)\n"
               "attention(x, memory, memory, key_padding_mask=ag.zeros(3, 5).bool())", nn.ShapeError,
               ("(2, 5)", "(3, 5)")),
        Misuse("a state_dict entry of the wrong shape",
               "nn.Linear(2, 2).load_state_dict({'weight': ag.zeros(3, 2), 'bias': ag.zeros(2)})", nn.ShapeError,
               ("'weight'", "(3, 2)", "(2, 2)")),
        Misuse("a plain tensor assigned to a parameter", "m = nn.Linear(2, 2)\nm.weight = ag.ones(2, 2)", TypeError,
               ("'weight'", "nn.Parameter")),
    ],
    "optim": [
        Misuse("a negative learning rate", "optim.SGD([nn.Parameter(ag.ones(2))], lr=-0.1)", ValueError,
               ("lr", "-0.1")),
        Misuse("Adam betas outside [0, 1)", "optim.Adam([nn.Parameter(ag.ones(2))], betas=(0.9, 1.0))", ValueError,
               ("betas[1]", "1.0")),
        Misuse("a negative weight decay", "optim.Adam([nn.Parameter(ag.ones(2))], weight_decay=-1)", ValueError,
               ("weight_decay", "-1")),
        Misuse("Nesterov momentum without momentum", "optim.SGD([nn.Parameter(ag.ones(2))], lr=0.1, nesterov=True)",
               ValueError, ("momentum=0.0",)),
        Misuse("no parameters (an exhausted generator, say)", "optim.SGD([], lr=0.1)", ValueError, ("empty",)),
        Misuse("a parameter computed from others", "optim.SGD([ag.ones(2, requires_grad=True) * 2], lr=0.1)",
               ValueError, ("parameter 0", "(2,)", "leaf")),
        Misuse("the same parameter twice", "p = nn.Parameter(ag.ones(2))\noptim.SGD([p, p], lr=0.1)", ValueError,
               ("parameter 1", "parameter 0")),
        Misuse("a learning-rate schedule with step_size 0",
               "optim.lr_scheduler.StepLR(optim.SGD([nn.Parameter(ag.ones(2))], lr=0.1), step_size=0)", ValueError,
               ("step_size", "0")),
    ],
    "Checkpoints": [
        Misuse("saving a module instead of its state", "nn.save(nn.Linear(2, 2), 'model.npz')", TypeError,
               ("state_dict()", "Linear")),
        Misuse("saving an object that would need pickle", "nn.save({'f': object()}, 'model.npz')", TypeError,
               ("obj['f']", "object")),
        Misuse("a truncated file",
               "nn.save({'w': ag.ones(3)}, 'full.npz')\ndata = open('full.npz', 'rb').read()\n"
               "open('cut.npz', 'wb').write(data[: len(data) // 2])\nnn.load('cut.npz')",
               CheckpointError, ("'cut.npz'", "truncated")),
        Misuse("a file of another format", "open('notes.npz', 'w').write('hello')\nnn.load('notes.npz')",
               CheckpointError, ("'notes.npz'", "b'hello'")),
        Misuse("a pickle (a PyTorch .pt file, say)",
               "import pickle\nopen('model.pt', 'wb').write(pickle.dumps({'w': 1}))\nnn.load('model.pt')",
               CheckpointError, ("'model.pt'", "pickle")),
        Misuse("an .npz holding an object array (a pickle inside)",
               "with zipfile.ZipFile('evil.npz', 'w') as z:\n"
               "    z.writestr('structure.json', '{\"format\": \"ndgrad-checkpoint\", \"version\": 1, "
               "\"root\": {\"$tensor\": 0}}')\n"
               "    with z.open('a0.npy', 'w') as f:\n"
               "        np.save(f, np.array([print], dtype=object), allow_pickle=True)\n"
               "nn.load('evil.npz')",
               CheckpointError, ("'evil.npz'", "a0.npy", "object array")),
        Misuse("a checkpoint from a newer format version",
               "with zipfile.ZipFile('future.npz', 'w') as z:\n"
               "    z.writestr('structure.json',\n"
               "               '{\"format\": \"ndgrad-checkpoint\", \"version\": 99, \"root\": null}')\n"
               "nn.load('future.npz')",
               CheckpointError, ("'future.npz'", "version 99")),
    ],
}


EXAMPLE = "<example>"


def run(misuse: Misuse) -> BaseException:
    """Run the example in a fresh namespace and a scratch directory; return what it raised."""
    # Registered as the source of EXAMPLE, so that messages quoting the user's line can find it.
    linecache.cache[EXAMPLE] = (len(misuse.code), None, misuse.code.splitlines(keepends=True), EXAMPLE)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # file names in examples and messages stay short and the same every run
        try:
            with np.errstate(all="ignore"):  # NumPy's warnings (sqrt of 0 in backward) are not the point
                exec(compile(misuse.code, EXAMPLE, "exec"), namespace())
        except BaseException as error:  # what the example raises is the point
            return error
        finally:
            os.chdir(here)
    raise AssertionError(f"{misuse.what!r}: {misuse.code!r} raised nothing")


def _cell(text: str, code: bool = False) -> str:
    text = html.escape(text, quote=False).replace("|", "&#124;")
    if code:
        return "<code>" + text.replace("\n", "<br>").replace("  ", "&nbsp;&nbsp;") + "</code>"
    return text.replace("\n", " ")


def _kind(error: type[BaseException]) -> str:
    documented = next(base for base in error.__mro__ if base.__module__ == "builtins")
    return error.__name__ if documented is error else f"{error.__name__} (a {documented.__name__})"


def render() -> str:
    lines = [
        "# Bad input: the misuses ndgrad recognises",
        "",
        "<!-- Generated by `python -m tests.catalogue > docs/errors.md` from tests/catalogue.py; do not edit. -->",
        "",
        "Each row is a mistake, an example that makes it, the exception it raises and the message, as",
        "produced by running the example. `tests/autograd/test_catalogue.py` runs every example, checks the",
        "exception and that the message names the offending values, and that this page is current.",
        "",
        "The exception types mean: **ValueError**, a shape, size or value that does not fit;",
        "**IndexError**, a dim or index out of range; **TypeError**, an argument of the wrong type or",
        "dtype; **RuntimeError**, a misuse of the graph (backward, in-place changes, hooks) or of a",
        "module's state. Examples use `import autograd as ag`, `nn`, `optim`, `nn.functional as F`,",
        "`numpy as np` and `zipfile`; files are written to the current directory.",
    ]
    for section, rows in SECTIONS.items():
        lines += ["", f"## {section}", "", "| Misuse | Example | Raises | Message |", "|---|---|---|---|"]
        for misuse in rows:
            message = str(run(misuse))
            lines.append(f"| {_cell(misuse.what)} | {_cell(misuse.code, code=True)} | {_kind(misuse.raises)} "
                         f"| {_cell(message)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
