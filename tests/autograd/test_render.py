"""Graph rendering: DOT structure of known expressions, markers, groups and folding, cuts,
deep graphs, real SVG/PNG files, the text tree, and the message when Graphviz is missing."""

import gc
import re
import shutil
import struct
import sys

import graphviz
import numpy as np
import pytest
from dot_reading import _svg_texts, by_first_line, cluster_named, parse

import autograd as ag
from autograd import Scalar
from autograd.render import GraphvizNotFoundError, Group, draw_graph, draw_text
from autograd.render.__main__ import main as render_main

TIMES = "\N{MULTIPLICATION SIGN}"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the Graphviz program `dot` is not installed (apt-get install graphviz); CI installs it",
)


# --- Scalars: micrograd's picture ---------------------------------------------------------------
def micrograd_example():
    a, b, c, f = Scalar(2.0, "a"), Scalar(-3.0, "b"), Scalar(10.0, "c"), Scalar(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    loss = d * f
    loss.label = "L"
    return loss, (a, b, c, f, e, d)


def test_scalar_graph_has_a_record_per_value_and_a_node_per_op():
    loss, _ = micrograd_example()
    loss.backward()
    nodes, edges, _ = parse(draw_graph(loss).source)
    # 4 leaves + 3 values computed by 3 ops; each op has two inputs and one output edge.
    assert len(nodes) == 4 + 2 * 3
    assert len(edges) == 3 * 2 + 3
    records = {ident: attrs for ident, attrs in nodes.items() if attrs["shape"] == "record"}
    ops = sorted(attrs["label"] for attrs in nodes.values() if attrs["shape"] != "record")
    assert ops == ["*", "*", "+"]
    # Values and gradients by hand: L = (a b + c) f.
    expected = {
        "a": (2.0, -3.0 * -2.0), "b": (-3.0, 2.0 * -2.0), "c": (10.0, -2.0), "f": (-2.0, 2.0 * -3.0 + 10.0),
        "e": (-6.0, -2.0), "d": (4.0, -2.0), "L": (-8.0, 1.0),
    }
    for ident, attrs in records.items():
        fields = [x.strip() for x in attrs["label"].strip("{} ").split("|")]
        data, grad = expected[fields[0]]
        assert fields[1:] == [f"data {data:.4f}", f"grad {grad:.4f}"], ident
    # The output is highlighted, and only the output.
    highlighted = [attrs["label"].split("|")[0].strip("{ ") for attrs in nodes.values() if "penwidth" in attrs]
    assert highlighted == ["L"]


def test_scalar_edges_follow_the_forward_computation():
    loss, _ = micrograd_example()
    nodes, edges, _ = parse(draw_graph(loss).source)
    names = {ident: attrs["label"].split("|")[0].strip("{ ") for ident, attrs in nodes.items()}
    arrows = {(names[t], names[h]) for t, h, _ in edges}
    # a, b -> * -> e ; e, c -> + -> d ; d, f -> * -> L
    assert ("a", "*") in arrows and ("b", "*") in arrows and ("*", "e") in arrows
    assert ("e", "+") in arrows and ("c", "+") in arrows and ("+", "d") in arrows
    assert ("d", "*") in arrows and ("f", "*") in arrows and ("*", "L") in arrows


def test_scalar_fields_follow_the_options_and_the_graph_keeps_intermediates():
    a, b = Scalar(3.0, "a"), Scalar(4.0, "b")
    out = (a * b) + a  # the product is held by no variable of ours, only by the graph
    gc.collect()
    nodes, _, _ = parse(draw_graph(out, show_grad=False).source)
    labels = [attrs["label"] for attrs in nodes.values() if attrs["shape"] == "record"]
    assert not any("grad" in label for label in labels)
    assert any("data 15.0000" in label for label in labels)  # the output, 3*4 + 3
    assert any("data 12.0000" in label for label in labels)  # the product, kept alive as micrograd does
    assert not any("data ?" in label for label in labels)
    nodes, _, _ = parse(draw_graph(out, show_data=False, show_grad=False).source)
    assert not any("data" in attrs["label"] for attrs in nodes.values())


def test_rankdir_turns_records_to_read_across():
    loss, _ = micrograd_example()
    lr = parse(draw_graph(loss).source)[0]
    tb_source = draw_graph(loss, rankdir="TB").source
    tb = parse(tb_source)[0]
    assert "rankdir=TB" in tb_source
    assert all(attrs["label"].startswith("{") for attrs in lr.values() if attrs["shape"] == "record")
    assert not any(attrs["label"].startswith("{") for attrs in tb.values() if attrs["shape"] == "record")


def test_scalar_zero_gradient_is_marked_only_after_backward():
    x, w = Scalar(0.0, "x"), Scalar(5.0, "w")
    out = x * w
    out.label = "out"
    before = parse(draw_graph(out).source)[0]
    assert not any("zero" in attrs["label"] for attrs in before.values())  # every grad is 0.0 before
    out.backward()
    after = parse(draw_graph(out).source)[0]
    marked = [attrs["label"].split("|")[0].strip("{ ") for attrs in after.values() if "zero" in attrs["label"]]
    assert marked == ["w"]  # d(out)/dw = x = 0; x's own gradient is w = 5


def test_scalar_nan_gradient_is_marked_red():
    a, b = Scalar(1.0, "a"), Scalar(2.0, "b")
    out = a * b
    out.backward()
    a.grad = float("nan")
    nodes = parse(draw_graph(out).source)[0]
    records = [attrs for attrs in nodes.values() if attrs["shape"] == "record"]
    by_name = {attrs["label"].split("|")[0].strip("{ "): attrs for attrs in records}
    assert "NaN" in by_name["a"]["label"] and "NaN" not in by_name["b"]["label"]
    assert by_name["a"]["fillcolor"] != by_name["b"]["fillcolor"]


# --- Tensors: one node per op -------------------------------------------------------------------
def linear_example():
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = ag.tensor([1.0, 0.5, 2.0], requires_grad=True)
    b = ag.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    y = ((x * w).sum(1) + b).sum()
    return y, {"x": x, "w": w, "b": b}


def test_tensor_graph_counts_names_shapes_and_dtypes():
    y, params = linear_example()
    nodes, edges, _ = parse(draw_graph(y, params=params).source)
    # leaves x, w, b; ops Mul, Sum, Add, Sum. Edges: x,w->Mul->Sum->Add<-b, Add->Sum.
    assert len(nodes) == 3 + 4
    assert len(edges) == 6
    labels = {ident: attrs["label"].split("\n") for ident, attrs in nodes.items()}
    assert sorted(lines[0] for lines in labels.values()) == sorted(
        ["x", "w", "b", "MulBackward", "SumBackward", "AddBackward", "SumBackward"]
    )
    by_name = {lines[0]: lines for lines in labels.values()}
    assert by_name["x"][1] == "(2, 3)" and by_name["w"][1] == "(3,)"
    assert by_name["b"][1] == "(2,) float64"  # dtype only where it is not float32
    assert by_name["MulBackward"][1] == "(2, 3)"
    assert by_name["AddBackward"][1] == "(2,) float64"  # float32 + float64 promotes
    ids = {lines[0]: ident for ident, lines in labels.items() if lines[0] != "SumBackward"}
    arrows = {(t, h) for t, h, _ in edges}
    assert (ids["x"], ids["MulBackward"]) in arrows and (ids["b"], ids["AddBackward"]) in arrows


def test_tensor_output_is_highlighted_and_unnamed_leaves_say_leaf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    nodes = parse(draw_graph(y).source)[0]
    highlighted = [attrs["label"] for attrs in nodes.values() if "penwidth" in attrs]
    assert highlighted == ["SumBackward\n()"]
    assert any(attrs["label"] == "leaf\n(2,)" for attrs in nodes.values())
    assert not any("(2,)" in attrs["label"] for attrs in parse(draw_graph(y, show_shapes=False).source)[0].values())


def test_params_as_named_parameters_pairs_and_names_for_intermediates():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x.tanh()
    y = (h * 2.0).sum()
    nodes = parse(draw_graph(y, params=[("input", x), ("hidden", h)]).source)[0]
    labels = sorted(attrs["label"] for attrs in nodes.values())
    assert "input\n(2,)" in labels
    assert "hidden\nTanhBackward\n(2,)" in labels


def test_small_tensors_show_values_and_large_ones_their_range():
    small = ag.tensor([1.5, -2.25], requires_grad=True)
    large = ag.tensor(np.arange(-3.0, 17.0), requires_grad=True)  # 20 elements, min -3, max 16
    y = small.sum() + large.sum()
    y.backward()
    nodes = parse(draw_graph(y, params={"small": small, "large": large}, show_data=True, show_grad=True).source)[0]
    by_name = {attrs["label"].split("\n")[0]: attrs["label"] for attrs in nodes.values()}
    assert "1.5" in by_name["small"] and "-2.25" in by_name["small"]
    assert "min -3.0000 max 16.0000" in by_name["large"]
    assert "grad [1., 1.]" in by_name["small"]
    default = parse(draw_graph(y, params={"small": small}).source)[0]
    assert not any("data" in attrs["label"] or "grad" in attrs["label"] for attrs in default.values())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("make", "word"),
    [
        (lambda x: (x.sqrt() * 0.0).sum(), "NaN"),  # 0 * (1 / (2 sqrt 0)) = 0 * inf
        (lambda x: x.log().sum(), "inf"),  # 1 / 0
        (lambda x: (x * 0.0).sum(), "zero"),
    ],
)
def test_tensor_gradients_in_trouble_are_marked(make, word):
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    ok = ag.tensor([1.0, 2.0], requires_grad=True)
    y = make(x) + (ok * ok).sum()
    before = parse(draw_graph(y, params={"x": x, "ok": ok}).source)[0]
    assert not any("[!]" in attrs["label"] for attrs in before.values())  # no gradient yet
    y.backward()
    grad = x.grad.numpy()
    assert {"NaN": np.isnan(grad).any(), "inf": np.isinf(grad).any(), "zero": not grad.any()}[word]
    nodes = parse(draw_graph(y, params={"x": x, "ok": ok}).source)[0]
    marked = [attrs["label"].split("\n")[0] for attrs in nodes.values() if "[!]" in attrs["label"]]
    assert marked == ["x"]
    by_name = {attrs["label"].split("\n")[0]: attrs for attrs in nodes.values()}
    assert word in by_name["x"]["label"]
    assert by_name["x"]["fillcolor"] != by_name["ok"]["fillcolor"]


def test_retained_intermediate_gradient_is_shown_and_marked():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.retain_grad()
    y = (h * 0.0).sum()
    y.backward()
    nodes = parse(draw_graph(y, show_grad=True).source)[0]
    exp = next(attrs["label"] for attrs in nodes.values() if attrs["label"].startswith("ExpBackward"))
    assert "grad [0., 0.]" in exp and "zero" in exp
    mul = next(attrs["label"] for attrs in nodes.values() if attrs["label"].startswith("MulBackward"))
    assert "grad ?" in mul and "[!]" not in mul  # nobody holds the product


def test_multi_output_op_labels_its_edges_and_lists_its_outputs():
    x = ag.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    y = (x.max(0).values * 2.0).sum()
    nodes, edges, _ = parse(draw_graph(y).source)
    max_id, max_attrs = next((k, a) for k, a in nodes.items() if a["label"].startswith("MaxBackward"))
    assert max_attrs["label"].split("\n")[1] == "(2,) · (2,) int64"  # values, indices
    assert [attrs.get("label") for t, _, attrs in edges if t == max_id] == ["0"]


def test_saved_values_are_drawn_until_backward_frees_them():
    x = ag.tensor([[1.0, 2.0]])  # a constant input, saved by the matmul
    w = ag.tensor([[1.0], [3.0]], requires_grad=True)
    y = (x @ w).tanh().sum()
    nodes, edges, _ = parse(draw_graph(y, params={"x": x, "w": w}, show_saved=True).source)
    saved = [k for k, a in nodes.items() if "dashed" in a.get("style", "")]
    assert [nodes[k]["label"] for k in saved] == ["x\n(1, 2)"]
    dashed = [(t, h) for t, h, a in edges if a.get("style") == "dashed"]
    matmul = next(k for k, a in nodes.items() if a["label"].startswith("MatmulBackward"))
    w_id = next(k for k, a in nodes.items() if a["label"].startswith("w"))
    assert sorted(dashed) == sorted([(saved[0], matmul), (w_id, matmul)])  # both operands saved
    tanh = next(a["label"] for a in nodes.values() if a["label"].startswith("TanhBackward"))
    assert "saved: its output" in tanh
    assert len(parse(draw_graph(y).source)[0]) == len(nodes) - 1  # off by default
    y.backward()
    nodes, edges, _ = parse(draw_graph(y, params={"x": x, "w": w}, show_saved=True).source)
    assert not any("dashed" in a.get("style", "") for a in nodes.values())
    assert "freed" in next(a["label"] for a in nodes.values() if a["label"].startswith("MatmulBackward"))


def test_several_roots_share_nodes_and_are_all_highlighted():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()
    y1, y2 = e.sum(), (e * e).sum()
    nodes, edges, _ = parse(draw_graph([y1, y2], params={"x": x}).source)
    # x, Exp, Sum (y1), Mul, Sum (y2): Exp once though both roots reach it.
    assert len(nodes) == 5
    assert len(edges) == 1 + 1 + 1 + 1  # x->Exp, Exp->Sum, Exp->Mul (once), Mul->Sum
    assert sum("penwidth" in a for a in nodes.values()) == 2


def test_a_leaf_alone_is_one_highlighted_node():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges, _ = parse(draw_graph(w, params={"w": w}).source)
    assert list(a["label"] for a in nodes.values()) == ["w\n(2,)"] and edges == []
    assert "penwidth" in next(iter(nodes.values()))


NASTY = 'a{|}<"q">\\'  # record syntax, a quote, a backslash


def test_labels_with_dot_syntax_are_escaped():
    b = Scalar(1.0, NASTY) * 2.0
    source = draw_graph(b).source
    # Record structure characters and the quote get a backslash, the backslash is doubled.
    assert 'label="{ a\\{\\|\\}\\<\\"q\\"\\>\\\\ | data' in source
    t = ag.tensor([1.0], requires_grad=True)
    assert 'label="a{|}<\\"q\\">\\\\\\n(1,)"' in draw_graph(t.exp(), params={NASTY: t}).source


@needs_dot
def test_escaped_labels_render_literally():
    t = ag.tensor([1.0], requires_grad=True)
    for root, params in ((Scalar(1.0, NASTY) * 2.0, None), (t.exp(), {NASTY: t})):
        assert NASTY in _svg_texts(draw_graph(root, params=params).pipe(format="svg"))


# --- max_nodes ---------------------------------------------------------------------------------
def test_max_nodes_cuts_with_a_marker_saying_what_was_left_out():
    x = ag.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10):
        y = y * 1.5
    nodes, edges, _ = parse(draw_graph(y, max_nodes=4).source)
    marker = nodes.pop("cut")
    assert len(nodes) == 4  # the four ops nearest the output
    assert all(a["label"].startswith("MulBackward") for a in nodes.values())
    assert "7 more nodes" in marker["label"] and "max_nodes=4" in marker["label"]  # 6 ops and the leaf
    cut_edges = [(t, h) for t, h, _ in edges if t == "cut"]
    assert len(cut_edges) == 1 and cut_edges[0][1] in nodes
    assert len(edges) == 3 + 1


def test_max_nodes_counts_shared_nodes_once():
    x = ag.tensor([0.5], requires_grad=True)
    z = x.exp()
    for _ in range(5):
        z = z.sin() + z.cos()
    # 1 Exp + 5 * (Sin, Cos, Add) = 16 ops and the leaf; edges 1 + 5 * 4.
    full_nodes, full_edges, _ = parse(draw_graph(z).source)
    assert len(full_nodes) == 17 and len(full_edges) == 21
    nodes, _, _ = parse(draw_graph(z, max_nodes=5).source)
    assert "12 more nodes" in nodes["cut"]["label"]
    assert len(nodes) == 5 + 1


def test_max_nodes_in_text():
    x = ag.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(6):
        y = y.sin()
    lines = draw_text(y, max_nodes=2).splitlines()
    assert lines[-1] == "… 5 more nodes not drawn (max_nodes=2)"
    assert lines[-2].endswith("… inputs not drawn (max_nodes)")
    assert sum("SinBackward" in line for line in lines) == 2


# --- deep graphs ---------------------------------------------------------------------------------
DEEP = 200_000


@pytest.fixture(scope="module")
def deep_chain():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(DEEP):
        y = y * 1.0
    return y


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
def test_deep_graph_draws_every_node_without_recursion(deep_chain):
    lines = draw_graph(deep_chain).source.splitlines()
    assert sum(" -> " in line for line in lines) == DEEP
    assert sum(line.startswith("\tn") and " [label=" in line for line in lines) == DEEP + 1


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
def test_deep_graph_cut_still_counts_everything(deep_chain):
    nodes, _, _ = parse(draw_graph(deep_chain, max_nodes=50).source)
    assert f"{DEEP + 1 - 50} more nodes" in nodes["cut"]["label"]


@pytest.mark.slow  # a stress test: run in CI with the rest (-m slow selects them)
def test_deep_graph_as_text_keeps_lines_short(deep_chain):
    lines = draw_text(deep_chain).splitlines()
    assert len(lines) == DEEP + 1
    assert max(map(len, lines)) < 200
    assert lines[-1].startswith(f"[depth {DEEP}]") and lines[-1].endswith("leaf  (2,)")


def _peak_stack_depth(fn):
    depth = peak = 0

    def profile(frame, event, arg):
        nonlocal depth, peak
        if event == "call":
            depth += 1
            peak = max(peak, depth)
        elif event == "return":
            depth -= 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return peak


def _chain_with_groups(n):
    x = ag.tensor([1.0], requires_grad=True)
    y, groups = x, []
    for k in range(n):
        before = y
        y = (y * 1.0).tanh()
        groups.append(Group.between(f"step{k}", [before], [y], parent=groups[-1] if groups else None, kind="Step"))
    return y, groups


@pytest.mark.parametrize(
    "render",
    [
        lambda y, g: draw_graph(y).source,
        lambda y, g: draw_text(y),
        lambda y, g: draw_graph(y, max_nodes=5).source,
        lambda y, g: draw_graph(y, groups=g).source,  # groups nested n deep
        lambda y, g: draw_text(y, groups=g, collapse={"depth": 3, "repeats": True}),
    ],
)
def test_rendering_is_not_recursive(render):
    # The deepest Python stack while drawing must not grow with the depth of the graph.
    # (300 ops, and 300 groups nested inside each other: far deeper than any stack of modules.)
    shallow, shallow_groups = _chain_with_groups(10)
    deep, deep_groups = _chain_with_groups(300)
    render(shallow, shallow_groups)  # imports and caches first
    assert _peak_stack_depth(lambda: render(deep, deep_groups)) <= _peak_stack_depth(
        lambda: render(shallow, shallow_groups)
    )


# --- groups: clusters and folding ------------------------------------------------------------
def mlp_with_groups():
    x = ag.tensor([[1.0, -1.0, 0.5]], requires_grad=True)
    w1, b1 = ag.tensor(np.full((3, 4), 0.1, np.float32), requires_grad=True), ag.zeros(4, requires_grad=True)
    w2, b2 = ag.tensor(np.full((4, 2), 0.2, np.float32), requires_grad=True), ag.zeros(2, requires_grad=True)
    model = Group("model", kind="MLP")
    layer1 = Group("model.0", parent=model, kind="Linear")
    h = (x @ w1 + b1).tanh()
    layer1.add_between([x], [h])
    layer2 = Group.between("model.1", [h], [out := h @ w2 + b2], parent=model, kind="Linear")
    model.add_between([x], [out])
    params = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2}
    return out.sum(), params, [model, layer1, layer2]


def test_groups_are_nested_clusters_holding_their_nodes():
    loss, params, groups = mlp_with_groups()
    nodes, edges, clusters = parse(draw_graph(loss, params=params, groups=groups).source)
    names = by_first_line(nodes)
    model, l1, l2 = (cluster_named(clusters, n) for n in ("model", "model.0", "model.1"))
    assert clusters[model]["label"] == "model: MLP" and clusters[model]["parent"] is None
    assert clusters[l1]["parent"] == model and clusters[l2]["parent"] == model
    assert {names["w1"][0], names["b1"][0], names["TanhBackward"][0]} <= clusters[l1]["nodes"]
    assert {names["w2"][0], names["b2"][0]} <= clusters[l2]["nodes"]
    assert not clusters[l1]["nodes"] & clusters[l2]["nodes"]
    assert names["x"][0] not in clusters[model]["nodes"]  # the input comes from outside
    assert names["SumBackward"][0] not in clusters[model]["nodes"]
    # 5 leaves, ops Matmul, Add, Tanh, Matmul, Add, Sum: the groups add no nodes or edges.
    assert len(nodes) == 11 and len(edges) == 10


def test_a_node_listed_by_sibling_groups_goes_to_their_parent():
    w = ag.tensor([2.0], requires_grad=True)
    x = ag.tensor([1.0], requires_grad=True)
    a = x * w
    b = a * w
    outer = Group("outer", [a, b, w])
    first = Group("first", [a, w], parent=outer)
    second = Group("second", [b, w], parent=outer)
    nodes, _, clusters = parse(draw_graph(b, params={"w": w, "x": x}, groups=[outer, first, second]).source)
    w_id = by_first_line(nodes)["w"][0]
    assert w_id in clusters[cluster_named(clusters, "outer")]["nodes"]
    assert w_id not in clusters[cluster_named(clusters, "first")]["nodes"]
    assert w_id not in clusters[cluster_named(clusters, "second")]["nodes"]
    # Listed by nested groups only, it goes to the innermost.
    nodes, _, clusters = parse(draw_graph(b, params={"w": w}, groups=[outer, first]).source)
    assert by_first_line(nodes)["w"][0] in clusters[cluster_named(clusters, "first")]["nodes"]


def test_collapse_depth_folds_deeper_groups_into_one_node():
    loss, params, groups = mlp_with_groups()
    nodes, edges, clusters = parse(draw_graph(loss, params=params, groups=groups, collapse=1).source)
    boxes = {k: a for k, a in nodes.items() if a["shape"] == "box3d"}
    assert sorted(a["label"].split("\n")[0] for a in boxes.values()) == ["model.0: Linear", "model.1: Linear"]
    assert "3 ops" in next(a["label"] for a in boxes.values() if a["label"].startswith("model.0"))  # Matmul, Add, Tanh
    assert "→ (1, 4)" in next(a["label"] for a in boxes.values() if a["label"].startswith("model.0"))
    assert [clusters[c]["label"] for c in clusters] == ["model: MLP"]
    # x, two boxes, Sum; x -> box0 -> box1 -> Sum.
    assert len(nodes) == 4 and len(edges) == 3
    nodes, edges, clusters = parse(draw_graph(loss, params=params, groups=groups, collapse=0).source)
    assert clusters == {} and len(nodes) == 3 and len(edges) == 2
    assert "5 ops" in next(a["label"] for a in nodes.values() if a["shape"] == "box3d")


def rnn_with_groups(steps=4):
    rng = np.random.default_rng(0)
    wx = ag.tensor(rng.normal(size=(3, 5)).astype(np.float32), requires_grad=True)
    wh = ag.tensor(rng.normal(size=(5, 5)).astype(np.float32), requires_grad=True)
    b = ag.zeros(5, requires_grad=True)
    wo = ag.tensor(rng.normal(size=(5, 2)).astype(np.float32), requires_grad=True)
    h0 = ag.zeros(2, 5, requires_grad=True)
    rnn = Group("rnn", kind="RNN")
    groups, h = [rnn], h0
    for t in range(steps):
        x = ag.tensor(rng.normal(size=(2, 3)).astype(np.float32))
        new = (x @ wx + h @ wh + b).tanh()
        groups.append(Group.between(f"rnn.step{t}", [h], [new], parent=rnn, kind="RNNCell"))
        h = new
    rnn.add_between([h0], [h])
    out = h @ wo
    groups.append(Group.between("head", [h], [out], kind="Linear"))
    return out.sum(), dict(wx=wx, wh=wh, b=b, wo=wo, h0=h0), groups


def test_collapse_repeats_folds_the_unrolled_steps_into_one_node_with_a_count():
    loss, params, groups = rnn_with_groups(4)
    nodes, edges, clusters = parse(draw_graph(loss, params=params, groups=groups, collapse="repeats").source)
    boxes = [k for k, a in nodes.items() if a["shape"] == "box3d"]
    assert len(boxes) == 1
    lines = nodes[boxes[0]]["label"].split("\n")
    assert lines[:3] == ["rnn.step0 … rnn.step3: RNNCell", TIMES + "4", "20 ops"]  # 5 ops a step
    # wx, wh, b, h0, the box, the head's Matmul and wo, the Sum.
    assert len(nodes) == 8
    names = by_first_line(nodes)
    into_box = sorted(t for t, h, _ in edges if h == boxes[0] and t != boxes[0])
    assert into_box == sorted([names["wx"][0], names["wh"][0], names["b"][0], names["h0"][0]])
    loops = [a for t, h, a in edges if t == h == boxes[0]]
    assert len(loops) == 1 and loops[0]["style"] == "dashed"  # each step feeds the next
    assert len(edges) == 4 + 1 + 1 + 1 + 1  # into the box, the loop, box->Matmul, wo->Matmul, Matmul->Sum
    assert boxes[0] in clusters[cluster_named(clusters, "rnn")]["nodes"]
    # Without folding: four step clusters inside the rnn cluster.
    clusters = parse(draw_graph(loss, params=params, groups=groups).source)[2]
    steps = [c for c, info in clusters.items() if info["label"].endswith(": RNNCell")]
    assert len(steps) == 4 and all(clusters[c]["parent"] == cluster_named(clusters, "rnn") for c in steps)


def _linear_block(x, name, n_out, kind="Linear", tanh=False):
    w = ag.tensor(np.ones((x.shape[1], n_out), np.float32), requires_grad=True)
    y = x @ w
    if tanh:
        y = y.tanh()
    return y, Group.between(name, [x], [y], kind=kind)


def _folded_names(loss, groups):
    nodes = parse(draw_graph(loss, groups=groups, collapse="repeats").source)[0]
    return sorted(a["label"].split("\n")[0] for a in nodes.values() if a["shape"] == "box3d")


def test_collapse_repeats_needs_consecutive_groups_of_the_same_structure():
    x = ag.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    a1, ga1 = _linear_block(x, "a1", 3)
    a2, ga2 = _linear_block(a1, "a2", 3)
    b, gb = _linear_block(a2, "b", 3, tanh=True)
    assert _folded_names(b.sum(), [ga1, ga2, gb]) == ["a1 … a2: Linear"]
    # The same block on either side of a different one stays apart.
    y1, g1 = _linear_block(x, "first", 3)
    y2, g2 = _linear_block(y1, "middle", 3, tanh=True)
    y3, g3 = _linear_block(y2, "last", 3)
    assert _folded_names(y3.sum(), [g1, g2, g3]) == []
    # Same kind, different shapes: not repeats.
    z1, h1 = _linear_block(x, "wide", 5)
    z2, h2 = _linear_block(z1, "narrow", 2)
    assert _folded_names(z2.sum(), [h1, h2]) == []
    # The same ops wired differently: not repeats.
    e1 = x @ ag.tensor(np.ones((3, 3), np.float32), requires_grad=True)
    e2 = e1.exp().sin()
    f1 = e2 @ ag.tensor(np.ones((3, 3), np.float32), requires_grad=True)
    f2 = f1.sin().exp()
    j1, j2 = Group.between("exp-sin", [x], [e2], kind="Block"), Group.between("sin-exp", [e2], [f2], kind="Block")
    assert _folded_names(f2.sum(), [j1, j2]) == []
    # Same structure, different kinds: not repeats.
    k1, i1 = _linear_block(x, "p", 3, kind="Linear")
    k2, i2 = _linear_block(k1, "q", 3, kind="Projection")
    assert _folded_names(k2.sum(), [i1, i2]) == []


def test_collapse_depth_and_repeats_together():
    loss, params, groups = rnn_with_groups(3)
    nodes, _, clusters = parse(
        draw_graph(loss, params=params, groups=groups, collapse={"depth": 0, "repeats": True}).source
    )
    assert clusters == {}
    assert sorted(a["label"].split("\n")[0] for a in nodes.values() if a["shape"] == "box3d") == [
        "head: Linear",
        "rnn: RNN",
    ]


def test_groups_in_text():
    loss, params, groups = rnn_with_groups(4)
    text = draw_text(loss, params=params, groups=groups, collapse="repeats")
    assert f"rnn.step0 … rnn.step3: RNNCell {TIMES}4  [20 ops]  → (2, 5)" in text
    assert "wx  (3, 5)  in rnn" in text
    plain = draw_text(loss, params=params, groups=groups)
    assert sum(line.endswith("in rnn.step2") for line in plain.splitlines()) == 5


def test_group_between_collects_the_ops_of_a_call():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    before = x.exp()
    inside = (before * w).sin()
    after = inside.sum()
    group = Group.between("block", [before], [inside])
    ops = sorted(m.name() for m in group.members if isinstance(m, ag.Context))
    assert ops == ["MulBackward", "SinBackward"]  # not Exp (before the input) nor Sum (after)
    leaves = [m for m in group.members if not isinstance(m, ag.Context)]
    assert len(leaves) == 1 and leaves[0] is w
    assert not any(m is after.grad_fn or m is x for m in group.members)


def test_group_titles():
    assert Group("encoder.0", kind="Linear").title == "encoder.0: Linear"
    assert Group("Sequential", kind="Sequential").title == "Sequential"
    assert Group("", kind="MLP").title == "MLP" and Group("head").title == "head"


def test_groups_with_nothing_drawn_are_left_out():
    x = ag.tensor([1.0], requires_grad=True)
    y = x.exp()
    unused = ag.tensor([5.0], requires_grad=True)
    clusters = parse(draw_graph(y, groups=[Group("ghost", [unused]), Group("real", [y])]).source)[2]
    assert [info["label"] for info in clusters.values()] == ["real"]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(collapse=-1, groups=[]), ValueError, ["-1"]),
        (dict(collapse="everything", groups=[]), TypeError, ["'everything'"]),
        (dict(collapse={"depth": 1, "level": 2}, groups=[]), ValueError, ["level"]),
        (dict(collapse={"repeats": "yes"}, groups=[]), TypeError, ["'yes'"]),
        (dict(collapse=2), ValueError, ["collapse=2", "groups"]),
        (dict(groups=["layer"]), TypeError, ["groups[0]", "str"]),
        (dict(groups=[Group("child", parent=Group("orphan"))]), ValueError, ["'child'", "'orphan'"]),
    ],
)
def test_bad_groups_and_collapse(kwargs, error, words):
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(error) as info:
        draw_graph(x.exp(), **kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_group_parent_cycle_and_bad_members():
    a = Group("a")
    b = Group("b", parent=a)
    a.parent = b
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="cycle"):
        draw_graph(x.exp(), groups=[a, b])
    with pytest.raises(TypeError, match=r"'g'.*ndarray"):
        Group("g", [np.ones(2)])
    with pytest.raises(TypeError, match="Group name must be a string, got int 3"):
        Group(3)
    with pytest.raises(TypeError, match=r"'g'.*inputs.*float"):
        Group.between("g", [1.0], [x])


# --- argument checks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("root", "kwargs", "error", "words"),
    [
        (np.ones(2), {}, TypeError, ["ndarray"]),
        ([], {}, ValueError, ["empty list"]),
        ("LEAF", {}, TypeError, ["str"]),
        (None, dict(rankdir="up"), ValueError, ["'up'", "LR"]),
        (None, dict(max_nodes=0), ValueError, ["at least 1", "0"]),
        (None, dict(max_nodes=2.5), TypeError, ["float", "2.5"]),
        (None, dict(show_data="yes"), TypeError, ["show_data", "'yes'"]),
        (None, dict(show_saved=None), TypeError, ["show_saved", "None"]),
        (None, dict(params={"w": np.ones(2)}), TypeError, ["params['w']", "ndarray"]),
        (None, dict(params={3: "w"}), TypeError, ["int", "3"]),
        (None, dict(params=5), TypeError, ["int"]),
    ],
)
def test_bad_arguments(root, kwargs, error, words):
    if root is None:
        root = ag.tensor([1.0], requires_grad=True).exp()
    with pytest.raises(error) as info:
        draw_graph(root, **kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)
    if "rankdir" not in kwargs:
        with pytest.raises(error):
            draw_text(root, **kwargs)


# --- the text tree ----------------------------------------------------------------------------------
def test_scalar_text_tree():
    loss, _ = micrograd_example()
    loss.backward()
    assert draw_text(loss) == "\n".join(
        [
            "L = *  data -8.0000  grad 1.0000  [output]",
            "├─ d = +  data 4.0000  grad -2.0000",
            "│  ├─ e = *  data -6.0000  grad -2.0000",
            "│  │  ├─ a  data 2.0000  grad 6.0000",
            "│  │  └─ b  data -3.0000  grad -4.0000",
            "│  └─ c  data 10.0000  grad -2.0000",
            "└─ f  data -2.0000  grad 4.0000",
        ]
    )


def test_text_tree_refers_to_shared_nodes():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    a = x.exp()
    y = (a * a.sin()).sum()
    assert draw_text(y, params={"x": x}) == "\n".join(
        [
            "SumBackward  ()  [output]",
            "└─ MulBackward  (2,)",
            "   ├─ ExpBackward  (2,)  #1",
            "   │  └─ x  (2,)",
            "   └─ SinBackward  (2,)",
            "      └─ ExpBackward  #1 (shown above)",
        ]
    )


def test_text_tree_shows_markers_and_several_roots():
    x = ag.tensor([-1.0, -2.0], requires_grad=True)
    y1 = x.relu().sum()
    y2 = (x * 2.0).sum()
    y1.backward()
    lines = draw_text([y1, y2], params={"x": x}, show_grad=True).splitlines()
    assert lines[0].startswith("SumBackward") and lines[0].endswith("[output]")
    assert sum(line.endswith("[output]") for line in lines) == 2
    assert any("x  (2,)  grad [0., 0.]  [!] grad is all zero" in line for line in lines)


# --- real files, Jupyter, and a missing Graphviz ----------------------------------------------------
@needs_dot
def test_render_svg_and_png_files(tmp_path):
    loss, params, groups = mlp_with_groups()
    loss.backward()
    drawing = draw_graph(loss, params=params, groups=groups)
    svg_path = drawing.render(tmp_path / "graph", format="svg", cleanup=True)
    assert svg_path.endswith("graph.svg")
    texts = _svg_texts((tmp_path / "graph.svg").read_bytes())
    for expected in ("w1", "(3, 4)", "MatmulBackward", "TanhBackward", "model: MLP", "model.0: Linear"):
        assert expected in texts, expected
    size = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', (tmp_path / "graph.svg").read_bytes())
    width_pt, height_pt = float(size[1]), float(size[2])
    drawing.render(tmp_path / "graph", format="png", cleanup=True)
    png = (tmp_path / "graph.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR" and png.endswith(b"IEND\xaeB`\x82")
    width_px, height_px = struct.unpack(">II", png[16:24])
    # The same layout: Graphviz draws PNGs at 96 dpi and measures SVGs in points (72 per inch).
    assert abs(width_px - width_pt * 96 / 72) <= 2 and abs(height_px - height_pt * 96 / 72) <= 2
    assert drawing.pipe(format="pdf")[:5] == b"%PDF-"


@needs_dot
def test_scalar_svg_shows_micrograd_records():
    loss, _ = micrograd_example()
    loss.backward()
    texts = _svg_texts(draw_graph(loss).pipe(format="svg"))
    for expected in ("L", "data -8.0000", "grad 1.0000", "a", "grad 6.0000", "*", "+"):
        assert expected in texts, expected


@needs_dot
def test_jupyter_display_is_svg():
    y, params = linear_example()
    bundle = draw_graph(y, params=params)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "MulBackward" in _svg_texts(bundle["image/svg+xml"].encode())


def test_missing_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    y, params = linear_example()
    drawing = draw_graph(y, params=params)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on it
    assert "MulBackward" in drawing.source  # building and DOT text need no Graphviz
    for attempt in (
        lambda: drawing.render(tmp_path / "g", format="svg"),
        lambda: drawing.pipe(format="png"),
    ):
        with pytest.raises(GraphvizNotFoundError) as info:
            attempt()
        message = str(info.value)
        for hint in ("`dot`", "apt-get install graphviz", "brew install graphviz", "conda install", "draw_text"):
            assert hint in message
        # Code written against graphviz's own error still catches it.
        assert isinstance(info.value, graphviz.ExecutableNotFound) and isinstance(info.value, RuntimeError)
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]


# --- the command line -------------------------------------------------------------------------------
def test_command_line_prints_text_and_writes_dot(tmp_path, capsys):
    assert render_main([]) == 0
    out = capsys.readouterr().out
    assert "w1  (3, 8)" in out and "[output]" in out
    assert render_main([str(tmp_path / "g.gv")]) == 0
    nodes = parse((tmp_path / "g.gv").read_text())[0]
    assert {"w1", "b1", "w2", "b2"} <= set(by_first_line(nodes))
    assert render_main(["--zero-init", str(tmp_path / "z.gv")]) == 0
    zero_init = parse((tmp_path / "z.gv").read_text())[0]
    marked = [a["label"].split("\n")[0] for a in zero_init.values() if "[!]" in a["label"]]
    assert sorted(marked) == ["b1", "w1"]  # nothing flows back through a zero last layer
    assert render_main(["--model", "neuron"]) == 0
    assert "o = tanh  data 0.7071" in capsys.readouterr().out  # tanh(0.8814) = 1/sqrt(2)
    with pytest.raises(SystemExit):
        render_main([str(tmp_path / "g.jpeg")])


@needs_dot
def test_command_line_writes_svg(tmp_path):
    assert render_main([str(tmp_path / "graph.svg")]) == 0
    texts = _svg_texts((tmp_path / "graph.svg").read_bytes())
    assert {"w1", "b2", "(3, 8)", "LogSoftmaxBackward"} <= set(texts)


def test_command_line_without_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert render_main([str(tmp_path / "graph.svg")]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "graph.svg").exists()


def test_a_node_shared_by_three_sibling_groups_sits_in_their_parent():
    # Regression: a pairwise choice put the shared weight in the third step's cluster.
    w = ag.randn(2, 2, requires_grad=True)
    x = ag.randn(2)
    outer = Group("outer")
    steps, h = [], x
    for k in range(3):
        before = h
        h = (w @ h).tanh()
        steps.append(Group.between(f"step{k}", [before], [h], parent=outer))
    outer.add_between([x], [h])
    source = ag.draw_graph(h, params={"w": w}, groups=[outer, *steps]).source
    clusters = source.split("subgraph cluster_")
    outer_own = clusters[1]  # the text of the outer cluster before its first sub-cluster
    assert 'label="w' in outer_own
    assert all('label="w' not in c for c in clusters[2:])
