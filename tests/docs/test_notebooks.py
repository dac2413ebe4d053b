"""The notebooks in notebooks/: each runs from a clean kernel without an error, and each is
committed with the outputs of such a run, so that it reads well on a code host unexecuted.
The stored text outputs must be those that a fresh run prints now, so that a change in the
engine that changes a number cannot leave an old number on the page.

Select one notebook by its number: ``pytest tests/docs/test_notebooks.py -k 03``. Re-execute
notebooks from a clean kernel and save them with their outputs (all, or some by number):

    .venv/bin/python -m tests.docs.test_notebooks 03 05
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import html
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = [pytest.param(path, id=path.name) for path in sorted(NOTEBOOK_DIR.glob("*.ipynb"))]
TIMEOUT = 180  # seconds for a whole notebook; each is meant to run in under 60 on 2 cores
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks
SAVE_COMMAND = "python -m tests.docs.test_notebooks"

# What a fresh run may print differently from the stored run; everything else must match.
# Durations ("800 steps in 7.1 s", "notebook ran in 12 s") and object addresses in reprs
# ("<autograd.render.dot.Drawing at 0x7f...>") are masked; numbers computed from seeded data are not.
DURATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?= ?m?s\b)")
ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+\b")
SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.DOTALL)


def _code_cells(notebook: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(index among all cells, cell) of every code cell with some code in it."""
    return [
        (i, cell)
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip()
    ]


def _files_under(folder: Path) -> set[Path]:
    """Every file and folder below ``folder`` except notebooks and Jupyter's checkpoints, which
    appear when someone saves work there (not when a notebook runs)."""
    found = {p.relative_to(folder) for p in folder.rglob("*")}
    return {p for p in found if p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts}


def _kernel_manager() -> Any:
    """A manager for the kernel "python3" of the interpreter running the tests.

    Jupyter looks kernels up by name along a search path, where a user's own "python3" (for
    another Python, without this project installed) would come first; this one is pinned to
    ``sys.executable``.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager

    class RunningInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            if kernel_name != "python3":
                raise NoSuchKernel(kernel_name)
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python 3 ({sys.executable})",
                language="python",
            )

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=RunningInterpreter())


def _kernel_environment() -> dict[str, str]:
    """The environment of a run by hand: this process's, without pytest's variables.

    Under pytest, PYTEST_CURRENT_TEST names the running test, and ``check_op`` keys hypothesis's
    derandomized examples on it, so a kernel that inherited it would draw other examples (and
    print other outputs) than the run that was saved.
    """
    return {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}


async def _execute(client: Any) -> None:
    # cleanup_kc: shut the kernel down afterwards (and on timeout), although we made its manager
    await asyncio.wait_for(client.async_execute(cleanup_kc=True, env=_kernel_environment()), TIMEOUT)


@dataclass
class Run:
    """One execution of a notebook from a clean kernel."""

    notebook: Any  # the executed nbformat notebook, with fresh outputs
    failure: str | None  # why it did not finish, or None
    created: list[str]  # files it left in notebooks/
    seconds: float


_RUNS: dict[Path, Run] = {}  # each notebook runs once per session, however many tests read the run


def _run_from_a_clean_kernel(path: Path) -> Run:
    if path in _RUNS:
        return _RUNS[path]
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    for _, cell in _code_cells(notebook):  # a clean run: nothing stored may leak into the check
        cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(
        notebook,
        km=_kernel_manager(),
        timeout=TIMEOUT,
        record_timing=False,  # timestamps in the cells' metadata would change the file on every save
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # the kernel's working directory
    )
    before = _files_under(NOTEBOOK_DIR)
    start = time.monotonic()
    failure = None
    try:
        asyncio.run(_execute(client))
    except CellExecutionError as error:
        failure = f"{path.name} raised in a cell:\n{ANSI_COLOUR.sub('', str(error))}"
    except Exception:
        # Cancelled at the time limit, nbclient may report the kernel it shut down rather than the timeout.
        if time.monotonic() - start < TIMEOUT:
            raise
        failure = f"{path.name} did not finish within {TIMEOUT} s"
    seconds = time.monotonic() - start
    created = sorted(str(p) for p in _files_under(NOTEBOOK_DIR) - before)
    _RUNS[path] = Run(notebook, failure, created, seconds)
    return _RUNS[path]


def _require_jupyter() -> None:
    pytest.importorskip("nbformat", reason="executing notebooks needs the test extra (nbformat)")
    pytest.importorskip("nbclient", reason="executing notebooks needs the test extra (nbclient)")
    pytest.importorskip("ipykernel", reason="executing notebooks needs the test extra (ipykernel)")


def _joined(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _svg_labels(svg: str) -> str:
    """The text of a drawing (node and cluster labels, one per line): what a stale graph picture gets wrong."""
    return "\n".join("  " + html.unescape(t).strip() for t in SVG_TEXT.findall(svg))


def _text_outputs(cell: dict[str, Any]) -> dict[str, str]:
    """A code cell's outputs as text: its stdout, its stderr, and its results and displays in order
    (text/plain, the labels of SVG drawings, errors).

    Streams are compared whole, not message by message: the kernel flushes them in pieces whose
    boundaries, and whose order relative to displayed figures, depend on timing.
    """
    streams = {"stdout": "", "stderr": ""}
    results = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + _joined(out["text"])
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data:
                results.append(_joined(data["text/plain"]))
            if "image/svg+xml" in data:
                results.append("drawing:\n" + _svg_labels(_joined(data["image/svg+xml"])))
        elif kind == "error":
            results.append(f"error: {out.get('ename')}: {out.get('evalue')}")
    texts = {**streams, "results": "\n".join(results)}
    return {name: ADDRESS.sub("at 0x…", DURATION.sub("…", text)) for name, text in texts.items()}


def _stale_outputs(stored: dict[str, Any], fresh: dict[str, Any], max_lines: int = 12) -> list[str]:
    """A report per code cell whose stored text outputs differ from a fresh run's (empty: none do)."""
    stored_cells, fresh_cells = _code_cells(stored), _code_cells(fresh)
    stored_at, fresh_at = [i for i, _ in stored_cells], [i for i, _ in fresh_cells]
    if stored_at != fresh_at:
        return [f"the code cells differ: stored at {stored_at}, run at {fresh_at}"]
    reports = []
    for (i, stored_cell), (_, fresh_cell) in zip(stored_cells, fresh_cells):
        old, new = _text_outputs(stored_cell), _text_outputs(fresh_cell)
        for what in sorted(old.keys() | new.keys()):
            if old.get(what, "") == new.get(what, ""):
                continue
            diff = list(difflib.unified_diff(old.get(what, "").splitlines(), new.get(what, "").splitlines(),
                                             "stored", "fresh run", lineterm="", n=0))[2:]
            shown = [line if len(line) <= 200 else line[:200] + " …" for line in diff[:max_lines]]
            more = [f"  ... and {len(diff) - max_lines} more lines"] if len(diff) > max_lines else []
            reports.append("\n".join([f"cell {i}, {what}:", *("  " + line for line in shown), *more]))
    return reports


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_runs_from_a_clean_kernel(path: Path) -> None:
    _require_jupyter()
    run = _run_from_a_clean_kernel(path)
    if run.failure:
        pytest.fail(run.failure, pytrace=False)
    assert not run.created, f"{path.name} wrote into the repository's notebooks/ folder: {run.created}; use tempfile"
    ran = [cell.execution_count for _, cell in _code_cells(run.notebook)]
    assert None not in ran, f"{path.name}: some code cells did not run (execution counts {ran})"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_stored_outputs_are_those_of_a_fresh_run(path: Path) -> None:
    """The text a reader sees in the committed notebook is what the code prints today."""
    _require_jupyter()
    run = _run_from_a_clean_kernel(path)  # the run of the test above, when it ran in this session
    if run.failure:
        pytest.skip(f"{path.name} did not run (see test_notebook_runs_from_a_clean_kernel)")
    stored = json.loads(path.read_text(encoding="utf-8"))
    stale = _stale_outputs(stored, run.notebook)
    assert not stale, (
        f"{path.name}: stored outputs differ from a fresh run in {len(stale)} places, so the committed notebook shows "
        f"results the code no longer computes. Re-read the prose around them, then save a fresh run with "
        f"`{SAVE_COMMAND} {path.name[:2]}`.\n" + "\n".join(stale)
    )


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_is_committed_with_its_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = _code_cells(notebook)
    assert cells, f"{path.name} has no code cells"
    not_run = [i for i, cell in cells if cell.get("execution_count") is None]
    assert not not_run, (
        f"{path.name}: code cells {not_run} have no execution count, so their outputs are not stored; "
        "execute the notebook and save it with its outputs"
    )
    counts = [cell["execution_count"] for _, cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(cells)} in order, so the stored outputs do not "
        "come from one top-to-bottom run of a clean kernel"
    )
    errors = [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} is stored with errors in its outputs: {errors}"


def test_notebooks_are_numbered_uniquely() -> None:
    names = [param.values[0].name for param in NOTEBOOKS]
    assert names, f"no notebooks in {NOTEBOOK_DIR}"
    badly_named = [n for n in names if not re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n)]
    assert not badly_named, f"notebooks must be named NN_topic.ipynb (lower case, underscores), not {badly_named}"
    numbers = [n[:2] for n in names]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not repeated, f"notebook numbers {repeated} are used twice in {names}"


def test_stale_outputs_are_reported() -> None:
    """The comparison itself: a changed number is reported, a changed duration or address is not."""

    def notebook(*texts: str) -> dict[str, Any]:
        cell = {"cell_type": "code", "source": ["print(x)"], "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [t]} for t in texts]}
        return {"cells": [cell]}

    same = notebook("800 steps in 7.1 s; loss 1.975\n", "<Drawing at 0x7f41f36a5ed0>\n")
    assert not _stale_outputs(same, notebook("800 steps in 12.0 s; loss 1.975\n<Drawing at 0x7f00aa>\n"))
    (report,) = _stale_outputs(same, notebook("800 steps in 7.1 s; loss 1.977\n<Drawing at 0x7f41f36a5ed0>\n"))
    assert "cell 0, stdout" in report and "-800 steps in … s; loss 1.975" in report, report
    assert "+800 steps in … s; loss 1.977" in report, report


def main(argv: list[str] | None = None) -> int:
    """Execute notebooks from a clean kernel, as the tests do, and save them with their outputs."""
    parser = argparse.ArgumentParser(prog=SAVE_COMMAND, description=main.__doc__)
    parser.add_argument("numbers", nargs="*", help="notebook numbers (01, 02, ...); all when omitted")
    args = parser.parse_args(argv)
    import nbformat

    paths = [param.values[0] for param in NOTEBOOKS]
    unknown = sorted(set(args.numbers) - {p.name[:2] for p in paths})
    if unknown:
        parser.error(f"no notebook numbered {', '.join(unknown)} in {NOTEBOOK_DIR}")
    for path in paths:
        if args.numbers and path.name[:2] not in args.numbers:
            continue
        run = _run_from_a_clean_kernel(path)
        if run.failure or run.created:
            print(run.failure or f"{path.name} wrote {run.created} into notebooks/", file=sys.stderr)
            return 1
        for _, cell in _code_cells(run.notebook):
            cell.metadata.pop("execution", None)  # timestamps of an earlier save
        nbformat.write(run.notebook, path)
        print(f"saved {path.name} ({run.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
