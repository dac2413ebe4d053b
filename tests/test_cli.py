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
from ndgrad.cli import main

pytestmark = pytest.mark.slow


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def test_train_rnn_on_sentiment(tmp_path, capsys):
    out = str(tmp_path / "rnn")
    assert main(["train", "rnn", "--dataset", "sentiment", "--cell", "gru", "--width", "16", "--epochs", "1",
                 "--out", out]) == 0
    assert "epoch   1" in capsys.readouterr().out
    assert "rnn.weight_hh_l0" in nn.load(os.path.join(out, "checkpoint.npz"))["model"]


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
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(args, words, tmp_path):
    resumes = "{ckpt}" in args
    if resumes:
        assert main(["train", "mlp", "--schedule", "cosine", "--epochs", "1", "--out", str(tmp_path), "--quiet"]) == 0
        args = [str(tmp_path / "checkpoint.npz") if a == "{ckpt}" else a for a in args]
    result = subprocess.run([sys.executable, "-m", "ndgrad", *args], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 2
    # A refused command writes nothing (no output folder, no checkpoint).
    assert sorted(p.name for p in tmp_path.iterdir()) == (["checkpoint.npz", "metrics.csv"] if resumes else [])
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_check_prints_a_pass_table_for_every_op(capsys):
    from autograd.op_table import CASES

    assert main(["check", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert f"{len(CASES)} of {len(CASES)} ops pass" in out
    assert all(f"{c.name} " in out for c in CASES)


def test_check_reports_a_broken_op(monkeypatch, capsys):
    import autograd.op_table as table
    from autograd.ops import elementwise

    monkeypatch.setattr(elementwise.Exp, "backward", staticmethod(lambda ctx, g: g * 1.01))
    monkeypatch.setattr(table, "CASES", [c for c in table.CASES if c.name in ("exp", "sin")])
    assert main(["check", "--examples", "3"]) == 1
    out = capsys.readouterr().out
    assert "exp " in out and "FAIL" in out and "1 of 2 ops pass" in out and "--- exp" in out
