"""The programs in examples/ run, and learn: each in its short mode, in a subprocess, with its
losses read from what it prints (lines ``<part> step <n> loss <value>``).

Each is written for PyTorch's API, with ``import ndgrad as torch`` its only difference from a
torch program (its data comes from ``nn.datasets``, ndgrad's bundled sets). Where torch is
installed, the same files with ``import torch`` in that line run too (in one process, which
pays for torch's start-up once) and their loss curves are compared with ndgrad's. The
examples draw their initial weights, minibatches and noise from NumPy seeds, so both start
from the same loss and, step by step, stay close; they are not equal, as float32 sums are
not done in the same order.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
IMPORT_LINE = "import ndgrad as torch"
LOSS_LINE = re.compile(r"^(\w+) step (\d+) loss ([-+0-9.eE]+|nan|inf)$", re.MULTILINE)
TIMEOUT = 120

# The parts each file prints losses for, and the fraction of its first loss that its last
# must be below in short mode (what a few steps reliably reach, with some margin).
PARTS = {
    "polynomial_fit.py": {"tensors": 0.15, "autograd": 0.15, "function": 0.15, "nn": 0.05},
    "char_model.py": {"bigram": 0.75, "mlp": 0.9},
    "cnn_digits.py": {"cnn": 0.7},
    "lstm_sine_lbfgs.py": {"lstm": 0.02},
    "vae_digits.py": {"vae": 0.75},
    "word_language_model.py": {"words": 0.95},
    "sentiment_gru.py": {"gru": 0.5},
}
# The digits come from the copy inside scikit-learn (in the test extra): without it those two cannot run.
NEEDS = {"cnn_digits.py": "sklearn", "vae_digits.py": "sklearn"}
ALLOWED_IMPORTS = {"argparse", "collections", "math", "os", "re", "tempfile", "numpy", "ndgrad", "nn.datasets"}


def losses(output: str) -> dict[str, list[float]]:
    curves: dict[str, list[float]] = {}
    for part, _, value in LOSS_LINE.findall(output):
        curves.setdefault(part, []).append(float(value))
    return curves


def run(path: Path) -> str:
    result = subprocess.run([sys.executable, str(path), "--short"], cwd=ROOT, capture_output=True, text=True,
                            timeout=TIMEOUT, check=False)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stderr[-3000:]}"
    return result.stdout


def runnable(name: str) -> bool:
    return name not in NEEDS or importlib.util.find_spec(NEEDS[name]) is not None


def skip_unless_runnable(name: str) -> None:
    if not runnable(name):
        pytest.skip(f"{name} needs {NEEDS[name]}, which is not installed")


@pytest.fixture(scope="module")
def ndgrad_outputs() -> dict[str, str]:
    return {name: run(EXAMPLES / name) for name in PARTS if runnable(name)}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(PARTS)


@pytest.mark.parametrize("name", sorted(PARTS))
def test_an_example_differs_from_a_torch_program_by_its_import_line_only(name):
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    assert source.count(f"\n{IMPORT_LINE}\n") == 1
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
            if any(alias.name == "ndgrad" for alias in node.names):
                assert [(a.name, a.asname) for a in node.names] == [("ndgrad", "torch")]
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= ALLOWED_IMPORTS, f"{name} imports {sorted(imported - ALLOWED_IMPORTS)}"


@pytest.mark.parametrize("name", sorted(PARTS))
def test_an_example_learns(name, ndgrad_outputs):
    skip_unless_runnable(name)
    curves = losses(ndgrad_outputs[name])
    assert sorted(curves) == sorted(PARTS[name]), ndgrad_outputs[name]
    for part, fraction in PARTS[name].items():
        curve = curves[part]
        assert len(curve) >= 3 and all(math.isfinite(v) for v in curve), (part, curve)
        assert curve[-1] < fraction * curve[0], f"{name} {part}: the loss went from {curve[0]} to {curve[-1]}"


# Run with `exec` rather than runpy, so that each file is compiled from the text given: the
# torch copy is never written where the project's files are.
_TORCH_RUNNER = """
import contextlib, io, json, sys, traceback
results = {}
for name, source in json.load(sys.stdin).items():
    out = io.StringIO()
    sys.argv = [name, "--short"]
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, name, "exec"), {"__name__": "__main__", "__file__": name})
        results[name] = {"stdout": out.getvalue()}
    except BaseException:
        results[name] = {"stdout": out.getvalue(), "error": traceback.format_exc()}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def torch_outputs() -> dict[str, dict[str, str]]:
    pytest.importorskip("torch")
    sources = {name: (EXAMPLES / name).read_text(encoding="utf-8").replace(f"\n{IMPORT_LINE}\n", "\nimport torch\n")
               for name in PARTS if runnable(name)}
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # small tensors: threads only contend for the cores
    result = subprocess.run([sys.executable, "-c", _TORCH_RUNNER], input=json.dumps(sources), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=4 * TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", sorted(PARTS))
def test_an_example_tracks_torchs_losses(name, ndgrad_outputs, torch_outputs):
    skip_unless_runnable(name)
    theirs = torch_outputs[name]
    assert "error" not in theirs, f"{name} under torch:\n{theirs.get('error')}"
    ours, reference = losses(ndgrad_outputs[name]), losses(theirs["stdout"])
    assert sorted(ours) == sorted(reference)
    for part, fraction in PARTS[name].items():
        a, b = ours[part], reference[part]
        assert len(a) == len(b)
        assert a[0] == pytest.approx(b[0], rel=1e-4), f"{name} {part}: first losses {a[0]} and {b[0]}"
        assert a == pytest.approx(b, rel=0.1, abs=1e-3), f"{name} {part}: curves {a} and {b}"
        assert b[-1] < fraction * b[0] and a[-1] < fraction * a[0]
