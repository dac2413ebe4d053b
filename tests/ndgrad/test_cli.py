"""The ``ndgrad`` command, end to end on small settings."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import nn
from ndgrad import training
from ndgrad.cli import main

pytestmark = pytest.mark.slow


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ndgrad", *args], capture_output=True, text=True, timeout=300)


def is_png(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_demo_writes_plot_graph_and_a_checkpoint_that_loads(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "30", "--quiet"]) == 0
    printed = capsys.readouterr().out
    test_accuracy = float(printed.split("test accuracy")[1].split()[0])
    assert test_accuracy > 0.9  # the shallow net learns the galaxy
    assert str(out) in printed
    assert is_png(out / "decision_boundary.png")
    state = nn.load(out / "checkpoint.npz")
    assert state["epoch"] == 30 and state["config"]["dataset"] == "spiral"
    assert "0.weight" in state["model"] and state["model"]["0.weight"].shape == (100, 2)
    text = (out / "graph.txt").read_text()
    assert "0.weight" in text and ("CrossEntropy" in text or "LogSoftmax" in text)
    if shutil.which("dot"):
        svg = (out / "graph.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "0.weight" in svg
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,step,lr") and len(lines) == 31


def test_train_mlp_resume_continues_the_step_count(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "mlp", "--dataset", "moons", "--epochs", "2", "--batch-size", "50", "--out", out,
                 "--quiet", "--log", "jsonl"]) == 0
    first = nn.load(os.path.join(out, "checkpoint.npz"))
    assert (first["epoch"], first["step"]) == (2, 8)  # 200 points / 50 per batch, twice
    assert main(["train", "mlp", "--resume", os.path.join(out, "checkpoint.npz"), "--epochs", "4", "--out", out,
                 "--quiet", "--log", "jsonl"]) == 0
    second = nn.load(os.path.join(out, "checkpoint.npz"))
    assert (second["epoch"], second["step"]) == (4, 16)
    rows = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [int(r.split('"step": ')[1].split(",")[0]) for r in rows] == [4, 8, 12, 16]
    assert not np.array_equal(first["model"]["0.weight"], second["model"]["0.weight"])


def test_resumed_run_matches_an_uninterrupted_one(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    common = ["--dataset", "spiral", "--optimizer", "sgd", "--quiet"]
    assert main(["train", "mlp", *common, "--epochs", "4", "--out", whole]) == 0
    assert main(["train", "mlp", *common, "--epochs", "2", "--out", parts]) == 0
    assert main(["train", "mlp", "--resume", os.path.join(parts, "checkpoint.npz"), "--epochs", "4",
                 "--out", parts, "--quiet"]) == 0
    a, b = nn.load(os.path.join(whole, "checkpoint.npz")), nn.load(os.path.join(parts, "checkpoint.npz"))
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])


# A process started in the background by a non-interactive shell (CI's `cmd &`) inherits SIGINT
# ignored, and so do its children: Ctrl-C cannot be delivered there, so there is nothing to test.
needs_sigint = pytest.mark.skipif(signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
                                  reason="SIGINT is ignored in this process (started in the background)")


@needs_sigint
def test_ctrl_c_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path):
    # moons: 200 points in 13 batches of 16 per epoch; one-cycle fails when stepped too often.
    common = ["--dataset", "moons", "--epochs", "3", "--batch-size", "16", "--schedule", "onecycle", "--quiet"]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main(["train", "mlp", *common, "--out", str(whole)]) == 0

    def ctrl_c(step: int) -> None:  # the real signal, at a known step: 7 batches into the second epoch
        if step == 20:
            signal.raise_signal(signal.SIGINT)

    config = training.Config(task="mlp", dataset="moons", epochs=3, batch_size=16, schedule="onecycle")
    with pytest.raises(training.Interrupted):
        training.train(config, str(parts), quiet=True, on_step=ctrl_c)
    assert nn.load(parts / "checkpoint.npz")["step"] == 20
    assert main(["train", "mlp", "--resume", str(parts / "checkpoint.npz"), "--quiet"]) == 0
    a, b = nn.load(whole / "checkpoint.npz"), nn.load(parts / "checkpoint.npz")
    assert a["step"] == b["step"] == 39
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])

    def rows(folder):  # the metrics log without its timings
        return [line.rsplit(",", 1)[0] for line in (folder / "metrics.csv").read_text().splitlines()]

    assert rows(parts) == rows(whole) and rows(whole)[-1].startswith("3,39,")


def test_resume_continues_in_the_checkpoint_folder_with_its_log_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "mlp", "--dataset", "moons", "--epochs", "1", "--out", "run", "--log", "jsonl",
                 "--quiet"]) == 0
    assert main(["train", "mlp", "--resume", os.path.join("run", "checkpoint.npz"), "--epochs", "2", "--quiet"]) == 0
    assert os.listdir(tmp_path) == ["run"]
    assert sorted(os.listdir(tmp_path / "run")) == ["checkpoint.npz", "metrics.jsonl"]
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 2


def test_train_rnn_on_sentiment(tmp_path, capsys):
    out = str(tmp_path / "rnn")
    assert main(["train", "rnn", "--dataset", "sentiment", "--cell", "gru", "--width", "16", "--epochs", "1",
                 "--out", out]) == 0
    assert "epoch   1" in capsys.readouterr().out
    assert "rnn.weight_hh_l0" in nn.load(os.path.join(out, "checkpoint.npz"))["model"]


@needs_sigint
def test_ctrl_c_saves_a_checkpoint_and_resume_continues(tmp_path):
    out = str(tmp_path / "interrupted")
    proc = subprocess.Popen([sys.executable, "-m", "ndgrad", "train", "mlp", "--dataset", "digits", "--epochs",
                             "1000", "--batch-size", "8", "--out", out, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = os.path.join(out, "checkpoint.npz")
    deadline = time.time() + 120
    while not os.path.exists(ckpt) and time.time() < deadline:
        time.sleep(0.2)  # wait until at least one epoch is done, so training is under way
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "checkpoint saved" in err and "--resume" in err and "Traceback" not in err
    state = nn.load(ckpt)
    assert state["step"] > 0
    assert main(["train", "mlp", "--resume", ckpt, "--epochs", str(state["epoch"] + 1), "--out", out,
                 "--quiet"]) == 0
    assert nn.load(ckpt)["step"] > state["step"]


def test_graph_writes_files_and_prints_text(tmp_path, capsys):
    assert main(["graph", "neuron"]) == 0
    text = capsys.readouterr().out
    assert "x1" in text and "tanh" in text
    gv = tmp_path / "mlp.gv"
    assert main(["graph", "mlp", "--out", str(gv)]) == 0
    assert gv.read_text().startswith("digraph") and "0.weight" in gv.read_text()
    if shutil.which("dot"):
        png = tmp_path / "rnn.png"
        assert main(["graph", "rnn", "--out", str(png)]) == 0
        assert is_png(png)


def finished_run(folder):
    """A one-epoch run with a cosine schedule; its checkpoint."""
    assert main(["train", "mlp", "--schedule", "cosine", "--epochs", "1", "--out", str(folder), "--quiet"]) == 0
    return folder / "checkpoint.npz"


def weights_file(folder):
    nn.save({"weight": np.zeros(3)}, folder / "weights.npz")  # an nn.save file, not a training checkpoint
    return folder / "weights.npz"


def unknown_setting(folder):
    state = nn.load(finished_run(folder))
    state["config"]["colour"] = "red"
    nn.save(state, folder / "odd.npz")
    return folder / "odd.npz"


def regular_file(folder):
    (folder / "afile").write_text("not a folder")
    return folder / "afile"


MADE_BEFORE = {"{ckpt}": finished_run, "{weights}": weights_file, "{odd}": unknown_setting, "{file}": regular_file}


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "mlp", "--lr", "-1"], ["--lr", "-1"]),
        (["train", "mlp", "--epochs", "zero"], ["--epochs", "zero"]),
        (["train", "rnn", "--dataset", "spiral"], ["spiral", "chars", "sentiment"]),
        (["train", "mlp", "--resume", "/nonexistent/ckpt.npz"], ["/nonexistent/ckpt.npz"]),
        (["train", "mlp", "--optimizer", "lbfgs"], ["lbfgs"]),
        (["graph", "mlp", "--out", "graph.jpeg"], ["graph.jpeg", ".svg"]),
        (["train", "mlp", "--resume", "{ckpt}", "--epochs", "9"], ["cosine", "9 epochs"]),
        (["fly"], ["fly"]),
        (["train", "mlp", "--out", "/proc/forbidden"], ["/proc/forbidden"]),
        (["train", "mlp", "--out", "{file}"], ["afile"]),
        (["demo", "--out", "/proc/x"], ["/proc/x"]),
        (["train", "mlp", "--resume", "{weights}"], ["weights.npz", "train checkpoint: missing 'config'"]),
        (["train", "mlp", "--resume", "{odd}"], ["odd.npz", "not an ndgrad train checkpoint", "'colour'"]),
        (["train", "mlp", "--resume", "{ckpt}", "--lr", "5"], ["--lr 5.0", "0.01"]),
        (["train", "rnn", "--resume", "{ckpt}"], ["train rnn", "mlp"]),
        (["graph", "mlp", "--out", "missing/graph.svg"], ["missing", "no folder"]),
        (["graph", "--expr", "__import__('os')"], ["__import__", "not allowed"]),
        (["graph", "--expr", "x.__class__"], ["x.__class__", "not allowed"]),
        (["graph", "--expr", "open('f').read()"], ["open('f').read()", "not allowed"]),
        (["graph", "--expr", "tanh(x"], ["tanh(x", "not an expression"]),
        (["graph", "--expr", "x * 2", "--var", "y=2"], ["y", "does not appear"]),
        (["graph", "--expr", "x", "--var", "x=os"], ["x=os", "number"]),
        (["graph", "neuron", "--modules"], ["neuron", "--modules"]),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(args, words, tmp_path):
    args = [str(MADE_BEFORE[a](tmp_path)) if a in MADE_BEFORE else a for a in args]
    before = sorted(tmp_path.rglob("*"))
    result = subprocess.run([sys.executable, "-m", "ndgrad", *args], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 2
    # A refused command writes nothing (no output folder, no checkpoint).
    assert sorted(tmp_path.rglob("*")) == before
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "ndgrad", "graph", "mlp"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": REPO})
    proc.stdout.close()  # as `| head` does once it has read enough: every write fails
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 1
    assert "BrokenPipeError" not in err and "Traceback" not in err


def test_without_graphviz_the_whole_hint_is_shown_and_no_stray_file_is_left(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))  # graphviz runs `dot` from PATH
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "sudo apt-get install graphviz" in printed and "dot -V" in printed
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "decision_boundary.png", "graph.gv", "graph.txt",
                                       "metrics.csv"]
    with pytest.raises(SystemExit) as stop:
        main(["graph", "mlp", "--out", str(tmp_path / "mlp.svg")])
    assert stop.value.code == 2
    assert "brew install graphviz" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["demo"]


def test_graph_draws_an_expression_over_scalars_or_tensors(tmp_path, capsys):
    assert main(["graph", "--expr", "tanh(x1*w1 + x2*w2 + b)", "--var", "x1=2", "--var", "w1=-3", "--var", "x2=0",
                 "--var", "b=6.88"]) == 0
    text = capsys.readouterr().out
    assert "tanh" in text and all(name in text for name in ("x1", "w1", "x2", "w2", "b"))
    assert "w2  data 1.0000" in text and "data 0.8800" in text  # w2 defaults to 1; -6 + 0 + 6.88
    gv = tmp_path / "expr.gv"
    assert main(["graph", "--expr", "(x * w).sum().exp()", "--var", "x=[1, 2]", "--var", "w=[3, 4]",
                 "--out", str(gv)]) == 0
    source = gv.read_text()
    assert source.startswith("digraph") and "ExpBackward" in source and "(2,)" in source


def test_graph_expression_functions_are_not_variables(capsys):
    from ndgrad.expression import ExpressionError, build

    _, variables = build("tanh(x) + x.exp()", {"x": 0.5})
    assert sorted(variables) == ["x"]  # neither tanh nor exp becomes a Scalar of its own
    with pytest.raises(ExpressionError, match="'tanh' does not appear"):
        build("tanh(x)", {"tanh": 5.0})
    with pytest.raises(SystemExit) as stop:
        main(["graph", "--expr", "tanh(x)", "--var", "tanh=5"])
    assert stop.value.code == 2 and "does not appear" in capsys.readouterr().err


def test_graph_modules_draws_the_forward_pass_module_by_module(tmp_path, capsys):
    assert main(["graph", "mlp", "--modules", "--depth", "1"]) == 0
    text = capsys.readouterr().out
    assert "0: Linear" in text and "1: Tanh" in text and "Backward" not in text
    gv = tmp_path / "modules.gv"
    assert main(["graph", "rnn", "--modules", "--out", str(gv)]) == 0
    assert "cluster" in gv.read_text() and "rnn" in gv.read_text()


def test_check_writes_nothing_into_the_working_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    result = subprocess.run([sys.executable, "-m", "ndgrad", "check", "--examples", "2"], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path, env={**env, "PYTHONPATH": REPO})
    # Whether every op passes is the test above's business; this one is about the folder.
    assert result.returncode in (0, 1) and "ops pass" in result.stdout, result.stderr[-2000:]
    assert os.listdir(tmp_path) == []


def test_check_prints_a_pass_table_for_every_op(capsys):
    from autograd.op_table import CASES
    from nn.op_table import CASES as NN_CASES

    cases = [*CASES, *NN_CASES]
    assert main(["check", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert f"{len(cases)} of {len(cases)} ops pass" in out
    assert all(f"{c.name} " in out for c in cases)


def test_check_reports_a_broken_op(monkeypatch, capsys):
    import autograd.op_table as table
    import nn.op_table
    from autograd.ops import elementwise

    monkeypatch.setattr(elementwise.Exp, "backward", staticmethod(lambda ctx, g: g * 1.01))
    monkeypatch.setattr(table, "CASES", [c for c in table.CASES if c.name in ("exp", "sin")])
    monkeypatch.setattr(nn.op_table, "CASES", [])
    assert main(["check", "--examples", "3"]) == 1
    out = capsys.readouterr().out
    assert "exp " in out and "FAIL" in out and "1 of 2 ops pass" in out and "--- exp" in out
