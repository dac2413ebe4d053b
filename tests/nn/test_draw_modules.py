"""Drawing a model's forward pass grouped by module (nn.draw, Module.draw_graph): clusters named
and nested as the modules, depth folding, repeated blocks and loop steps folded with a count,
the time steps of nn.RNN / GRU / LSTM, parameter names, hooks removed, real SVG files."""

import shutil
from collections import Counter, OrderedDict

import numpy as np
import pytest
from dot_reading import _svg_texts, by_first_line, cluster_named, parse

import autograd as ag
import nn
import nn.functional as F

TIMES = "\N{MULTIPLICATION SIGN}"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the Graphviz program `dot` is not installed (apt-get install graphviz); CI installs it",
)


def is_op(attrs):
    return "rounded" in attrs.get("style", "")


def is_box(attrs):
    return attrs.get("shape") == "box3d"


def first_line(attrs):
    return attrs["label"].split("\n")[0]


def op_count(*roots):
    """How many ops the plain drawing (no groups) of ``roots`` has: the reference the groups
    and boxes must add up to."""
    nodes = parse(ag.draw_graph(list(roots)).source)[0]
    return sum(is_op(a) for a in nodes.values())


def box_ops(attrs):
    """The op count a folded box states ("12 ops")."""
    line = next(x for x in attrs["label"].split("\n") if x.endswith((" ops", " op")))
    return int(line.split()[0])


def assert_hooks_removed(model):
    for name, module in model.named_modules():
        assert not module._forward_hooks and not module._forward_pre_hooks, name or "the model"


def encoder_head(seed=0):
    ag.manual_seed(seed)
    return nn.Sequential(OrderedDict(encoder=nn.MLP(3, [4], 5), head=nn.Linear(5, 2)))


# --- clusters: names and nesting -------------------------------------------------------------
def test_mlp_clusters_are_named_and_nested_as_the_modules():
    model = encoder_head()
    x = ag.randn(6, 3)
    nodes, edges, clusters = parse(model.draw_graph(x).source)
    root = cluster_named(clusters, "Sequential")
    encoder = cluster_named(clusters, "encoder")
    assert clusters[root]["parent"] is None
    assert clusters[encoder]["label"] == "encoder: MLP" and clusters[encoder]["parent"] == root
    expected = {"encoder.0": ("Linear", encoder), "encoder.1": ("ReLU", encoder), "encoder.2": ("Linear", encoder),
                "head": ("Linear", root)}
    for name, (kind, parent) in expected.items():
        c = cluster_named(clusters, name)
        assert clusters[c]["label"] == f"{name}: {kind}" and clusters[c]["parent"] == parent
    assert len(clusters) == 1 + 1 + 3 + 1

    names = by_first_line(nodes)
    # Every parameter is drawn once, with its dotted name and shape, inside its own layer.
    for pname, p in model.named_parameters():
        (ident,) = names[pname]
        assert nodes[ident]["label"] == f"{pname}\n{p.shape}"
        owner = cluster_named(clusters, pname.rsplit(".", 1)[0])
        assert ident in clusters[owner]["nodes"]
    (relu,) = clusters[cluster_named(clusters, "encoder.1")]["nodes"]
    assert nodes[relu]["label"] == "ReluBackward\n(6, 4)"
    # The input is drawn, named, outside the model; the output is named and highlighted.
    (inp,) = names["input"]
    assert nodes[inp]["label"] == "input\n(6, 3)" and inp not in clusters[root]["nodes"]
    (out,) = names["output"]
    assert "penwidth" in nodes[out] and out in clusters[cluster_named(clusters, "head")]["nodes"]
    # Grouping adds no node and no edge: the same forward drawn plainly has as many.
    plain_nodes, plain_edges, _ = parse(ag.draw_graph(model(x.detach().requires_grad_())).source)
    assert len(nodes) == len(plain_nodes) and len(edges) == len(plain_edges)
    assert_hooks_removed(model)


def test_nn_draw_and_the_method_agree_and_text_needs_no_graphviz():
    model = encoder_head()
    x = ag.randn(2, 3)
    assert nn.draw(model, x, depth=1).source == model.draw_graph(x, depth=1).source
    text = nn.draw_text(model, x)
    assert "encoder.0.weight  (4, 3)  in encoder.0" in text
    assert "ReluBackward  (2, 4)  in encoder.1" in text
    assert f"encoder: MLP  [{op_count(model(x))} ops]" not in text  # expanded unless asked
    folded = nn.draw_text(model, x, depth=1)
    assert folded.splitlines()[0].startswith("head: Linear  [")
    assert_hooks_removed(model)


# --- depth ------------------------------------------------------------------------------------
def test_depth_folds_deeper_modules_into_one_node_each():
    model = encoder_head()
    x = ag.randn(3, 3)
    total = op_count(model(x))

    nodes, edges, clusters = parse(model.draw_graph(x, depth=1).source)
    assert [c["label"] for c in clusters.values()] == ["Sequential"]
    boxes = {first_line(a): a for a in nodes.values() if is_box(a)}
    assert sorted(boxes) == ["encoder: MLP", "head: Linear"]
    assert box_ops(boxes["encoder: MLP"]) + box_ops(boxes["head: Linear"]) == total
    assert "→ (3, 5)" in boxes["encoder: MLP"]["label"]  # what leaves the encoder
    # input -> encoder -> head, and nothing else is left.
    ids = {first_line(a): k for k, a in nodes.items()}
    assert len(nodes) == 3
    assert sorted((t, h) for t, h, _ in edges) == sorted(
        [(ids["input"], ids["encoder: MLP"]), (ids["encoder: MLP"], ids["head: Linear"])]
    )

    nodes, _, clusters = parse(model.draw_graph(x, depth=0).source)
    assert clusters == {}
    (box,) = [a for a in nodes.values() if is_box(a)]
    assert first_line(box) == "Sequential" and box_ops(box) == total

    nodes, _, clusters = parse(model.draw_graph(x, depth=2).source)
    assert sorted(c["label"] for c in clusters.values()) == ["Sequential", "encoder: MLP", "head: Linear"]
    assert sorted(first_line(a) for a in nodes.values() if is_box(a)) == [
        "encoder.0: Linear", "encoder.1: ReLU", "encoder.2: Linear",
    ]
    assert_hooks_removed(model)


# --- repeated blocks ----------------------------------------------------------------------------
def block(width, act=nn.Tanh):
    return nn.Sequential(nn.Linear(width, width), act())


def test_identical_consecutive_blocks_fold_into_one_node_with_a_count():
    ag.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 8), *[block(8) for _ in range(4)], nn.Linear(8, 2))
    x = ag.randn(5, 3)
    per_block = op_count(block(8)(ag.randn(5, 8, requires_grad=True)))
    nodes, edges, clusters = parse(model.draw_graph(x).source)
    (box_id,) = [k for k, a in nodes.items() if is_box(a)]
    lines = nodes[box_id]["label"].split("\n")
    assert lines[:2] == ["1 … 4: Sequential", TIMES + "4"]
    assert box_ops(nodes[box_id]) == 4 * per_block
    assert sorted(c["label"] for c in clusters.values()) == ["0: Linear", "5: Linear", "Sequential"]
    # The blocks' parameters are folded with them; each block feeds the next.
    assert not any(n.startswith(("1.", "2.", "3.", "4.")) for n in by_first_line(nodes))
    assert [a.get("label") for t, h, a in edges if t == h == box_id] == ["next"]

    unfolded = parse(model.draw_graph(x, collapse_repeats=False).source)[2]
    assert sorted(c["label"] for c in unfolded.values() if c["label"].endswith(": Sequential")) == [
        f"{k}: Sequential" for k in range(1, 5)
    ]
    assert_hooks_removed(model)


def test_different_blocks_do_not_fold():
    ag.manual_seed(2)
    model = nn.Sequential(block(4), block(4, nn.ReLU), block(4), nn.Sequential(nn.Linear(4, 3), nn.Tanh()))
    nodes, _, clusters = parse(model.draw_graph(ag.randn(2, 4)).source)
    assert not any(is_box(a) for a in nodes.values())
    assert sum(c["label"].endswith(": Sequential") for c in clusters.values()) == 4


# --- loops over a cell ---------------------------------------------------------------------------
class CellLoop(nn.Module):
    """h_t = cell(x_t, h_{t-1}) over the sequence, then a linear read-out of the last state."""

    def __init__(self, by_keyword):
        super().__init__()
        self.cell = nn.RNNCell(3, 6)
        self.head = nn.Linear(6, 2)
        self.by_keyword = by_keyword

    def forward(self, xs):
        h = None
        for x in xs.unbind(0):
            h = self.cell(x, hx=h) if self.by_keyword else self.cell(x, h)
        return self.head(h)


@pytest.mark.parametrize("by_keyword", [False, True], ids=["positional", "keyword"])
def test_a_loop_of_ten_cell_calls_folds_into_one_node_with_a_count(by_keyword):
    ag.manual_seed(3)
    model = CellLoop(by_keyword)
    xs = ag.randn(10, 2, 3)
    one_call = op_count(model.cell(ag.randn(2, 3), ag.randn(2, 6, requires_grad=True)))
    nodes, edges, clusters = parse(model.draw_graph(xs).source)
    (box_id,) = [k for k, a in nodes.items() if is_box(a)]
    assert nodes[box_id]["label"].split("\n")[:2] == ["cell#1 … cell#10: RNNCell", TIMES + "10"]
    assert box_ops(nodes[box_id]) == 10 * one_call
    # The cell's weights are shared by the ten calls: drawn once, in the loop's cluster, feeding the box.
    loop = cluster_named(clusters, "CellLoop")
    names = by_first_line(nodes)
    for pname in ("cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh"):
        (ident,) = names[pname]
        assert ident in clusters[loop]["nodes"] and (ident, box_id) in {(t, h) for t, h, _ in edges}
    assert box_id in clusters[loop]["nodes"]

    clusters = parse(model.draw_graph(xs, collapse_repeats=False).source)[2]
    calls = sorted(c["label"] for c in clusters.values() if c["label"].endswith(": RNNCell"))
    assert calls == sorted(f"cell#{k}: RNNCell" for k in range(1, 11))
    assert all(clusters[c]["parent"] == cluster_named(clusters, "CellLoop")
               for c, info in clusters.items() if info["label"].endswith(": RNNCell"))
    assert f"cell#1 … cell#10: RNNCell {TIMES}10  [{10 * one_call} ops]" in nn.draw_text(model, xs)
    assert_hooks_removed(model)


# --- nn.RNN, GRU, LSTM: one call, a loop inside ------------------------------------------------
def elman_step_ops():
    """The ops of one Elman step h' = tanh(xw_t + h W^T), with xw_t, h and W given (one op: ElmanTanh)."""
    xw, h = ag.randn(2, 4, requires_grad=True), ag.randn(2, 4, requires_grad=True)
    w = ag.randn(4, 4, requires_grad=True)
    y = F.ElmanTanh.apply(xw, h, w)
    nodes = parse(ag.draw_graph(y).source)[0]
    return Counter(first_line(a) for a in nodes.values() if is_op(a))


def test_rnn_time_steps_are_grouped_and_fold_with_a_count():
    ag.manual_seed(4)
    rnn = nn.RNN(3, 4)
    x = ag.randn(7, 2, 3)
    nodes, edges, clusters = parse(rnn.draw_graph(x).source)
    (box_id,) = [k for k, a in nodes.items() if is_box(a)]
    assert nodes[box_id]["label"].split("\n")[:2] == ["RNN[t=0] … RNN[t=6]: RNN step", TIMES + "7"]
    assert box_ops(nodes[box_id]) == 7 * sum(elman_step_ops().values())
    assert box_id in clusters[cluster_named(clusters, "RNN")]["nodes"]
    assert [a.get("label") for t, h, a in edges if t == h == box_id] == ["next"]  # h_{t-1} feeds step t
    for pname, p in rnn.named_parameters():  # outside the steps: shared by all of them
        (ident,) = by_first_line(nodes)[pname]
        assert nodes[ident]["label"] == f"{pname}\n{p.shape}"

    nodes, _, clusters = parse(rnn.draw_graph(x, collapse_repeats=False).source)
    steps = {c: info for c, info in clusters.items() if info["label"].endswith(": RNN step")}
    assert sorted(info["label"] for info in steps.values()) == sorted(f"RNN[t={t}]: RNN step" for t in range(7))
    assert all(info["parent"] == cluster_named(clusters, "RNN") for info in steps.values())
    for info in steps.values():
        assert Counter(first_line(nodes[i]) for i in info["nodes"]) == elman_step_ops()
    assert_hooks_removed(rnn)


def step_clusters(clusters, nodes, kind):
    """Step cluster -> (parent label, op labels)."""
    return {
        info["label"]: (clusters[info["parent"]]["label"], Counter(first_line(nodes[i]) for i in info["nodes"]))
        for info in clusters.values()
        if info["label"].endswith(f": {kind} step")
    }


@pytest.mark.parametrize("cls", [nn.GRU, nn.LSTM])
def test_stacked_bidirectional_recurrent_layers_group_steps_per_layer_and_direction(cls):
    ag.manual_seed(5)
    kind = cls.__name__
    model = nn.Sequential(OrderedDict(rnn=cls(3, 4, num_layers=2, bidirectional=True, batch_first=True)))
    x = ag.randn(2, 5, 3)
    out, _ = model.rnn(x.detach().requires_grad_())
    nodes, _, clusters = parse(model.draw_graph(x, collapse_repeats=False).source)
    layers = {"rnn.l0", "rnn.l0_reverse", "rnn.l1", "rnn.l1_reverse"}
    for layer in layers:
        c = cluster_named(clusters, layer)
        assert clusters[c]["label"] == f"{layer}: {kind} layer"
        assert clusters[c]["parent"] == cluster_named(clusters, "rnn")
    steps = step_clusters(clusters, nodes, kind)
    assert sorted(steps) == sorted(f"{layer}[t={t}]: {kind} step" for layer in layers for t in range(5))
    assert all(parent == label.split("[")[0] + f": {kind} layer" for label, (parent, _) in steps.items())
    # Every step of every layer holds the same ops, and together they hold most of the graph.
    contents = [ops for _, ops in steps.values()]
    assert all(ops == contents[0] for ops in contents)
    assert sum(contents[0].values()) >= 4
    assert 20 * sum(contents[0].values()) < op_count(out)
    # Each layer's own parameters are drawn in its cluster.
    names = by_first_line(nodes)
    (w,) = names["rnn.weight_hh_l1_reverse"]
    assert w in clusters[cluster_named(clusters, "rnn.l1_reverse")]["nodes"]
    # Folded, the two directions of a layer are identical too.
    folded = parse(model.draw_graph(x).source)[0]
    boxes = sorted(a["label"].split("\n")[:2] for a in folded.values() if is_box(a))
    assert boxes == [[f"rnn.l0 … rnn.l0_reverse: {kind} layer", TIMES + "2"],
                     [f"rnn.l1 … rnn.l1_reverse: {kind} layer", TIMES + "2"]]
    assert_hooks_removed(model)


def test_short_sequences_are_drawn_as_one_cluster():
    # Two steps cannot tell the state carried over from what the loop computed beforehand.
    rnn = nn.LSTM(3, 4)
    nodes, _, clusters = parse(rnn.draw_graph(ag.randn(2, 1, 3)).source)
    assert [c["label"] for c in clusters.values()] == ["LSTM"]
    assert not any(is_box(a) for a in nodes.values())


def test_rnn_under_depth_limit_is_one_node():
    ag.manual_seed(6)
    model = nn.Sequential(OrderedDict(rnn=nn.RNN(3, 4)))
    x = ag.randn(6, 1, 3)
    nodes, _, clusters = parse(model.draw_graph(x, depth=1).source)
    boxes = [a for a in nodes.values() if is_box(a)]
    assert [first_line(a) for a in boxes] == ["rnn: RNN"]
    assert [c["label"] for c in clusters.values()] == ["Sequential"]
    assert box_ops(boxes[0]) == op_count(*model.rnn(x.detach().requires_grad_()))


# --- hooks, inputs, errors ----------------------------------------------------------------------
class Boom(nn.Module):
    def forward(self, x):
        raise ValueError("boom from forward")


def test_hooks_are_removed_even_when_forward_raises_and_user_hooks_stay():
    model = nn.Sequential(nn.Linear(3, 3), Boom())
    calls = []
    handle = model[0].register_forward_hook(lambda m, args, out: calls.append(out.shape))
    with pytest.raises(ValueError, match="boom from forward"):
        model.draw_graph(ag.randn(2, 3))
    assert list(model[0]._forward_hooks) == [handle._key] and not model[1]._forward_hooks
    assert all(not m._forward_pre_hooks for m in model.modules())
    assert calls == [(2, 3)]  # the user's hook ran once, and is still there
    handle.remove()
    assert_hooks_removed(model)


def test_draws_inside_no_grad_and_keeps_inputs_that_require_grad():
    model = encoder_head()
    x = ag.randn(2, 3, requires_grad=True)
    with ag.no_grad():
        nodes, _, _ = parse(model.draw_graph(x).source)
    assert nodes[by_first_line(nodes)["input"][0]]["label"] == "input\n(2, 3)"
    assert ag.is_grad_enabled()


def test_several_inputs_and_outputs_are_numbered():
    class TwoInTwoOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(4, 2)

        def forward(self, x, y):
            return {"sum": self.a(x) + self.b(y), "a": self.a(x)}

    model = TwoInTwoOut()
    nodes, _, clusters = parse(model.draw_graph(ag.randn(1, 3), ag.randn(1, 4)).source)
    names = by_first_line(nodes)
    assert {"input0", "input1", "output0", "output1"} <= set(names)
    # self.a is called twice: one cluster per call, numbered.
    assert sorted(c["label"] for c in clusters.values() if c["label"].startswith("a")) == [
        "a#1: Linear", "a#2: Linear"
    ]


def test_extra_params_name_more_values():
    model = encoder_head()
    x = ag.randn(2, 3, requires_grad=True)
    nodes = parse(model.draw_graph(x, params={"features": x}).source)[0]
    assert "features" in by_first_line(nodes) and "input" not in by_first_line(nodes)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: nn.draw(lambda x: x, ag.randn(2)), TypeError, ["nn.Module", "function"]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), depth=-1), ValueError, ["depth", "-1"]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), depth=1.5), TypeError, ["depth", "1.5"]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), collapse_repeats="yes"), TypeError, ["'yes'"]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), collapse=1), TypeError, ["collapse=", "depth="]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), groups=[]), TypeError, ["groups="]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), params=5), TypeError, ["params", "int"]),
        (lambda: encoder_head().draw_graph(ag.randn(2, 3), rankdir="up"), ValueError, ["'up'"]),
    ],
)
def test_bad_arguments(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


def test_nothing_to_draw():
    class Count(nn.Module):
        def forward(self, x):
            return int(x.shape[0])

    with pytest.raises(TypeError, match=r"Count\.forward returned a value of type int"):
        Count().draw_graph(ag.randn(2))
    frozen = nn.Embedding(10, 3).requires_grad_(False)
    with pytest.raises(RuntimeError, match="no output of Embedding requires grad"):
        frozen.draw_graph(ag.tensor(np.array([1, 2])))
    assert_hooks_removed(frozen)


# --- real files ------------------------------------------------------------------------------------
@needs_dot
def test_mlp_and_rnn_render_to_svg(tmp_path):
    model = encoder_head()
    path = model.draw_graph(ag.randn(4, 3)).render(tmp_path / "mlp", format="svg", cleanup=True)
    texts = _svg_texts((tmp_path / "mlp.svg").read_bytes())
    assert path.endswith("mlp.svg")
    for expected in ("Sequential", "encoder: MLP", "encoder.0: Linear", "encoder.1: ReLU", "encoder.0.weight",
                     "(4, 3)", "head.bias", "input", "ReluBackward"):
        assert expected in texts, expected

    ag.manual_seed(7)
    rnn = nn.Sequential(OrderedDict(rnn=nn.RNN(3, 4)))
    svg = rnn.draw_graph(ag.randn(8, 2, 3)).pipe(format="svg")
    texts = _svg_texts(svg)
    for expected in ("rnn: RNN", "rnn[t=0] … rnn[t=7]: RNN step", TIMES + "8", "rnn.weight_hh_l0", "(4, 4)"):
        assert expected in texts, expected
