"""The notebooks in notebooks/: each runs from a clean kernel without an error, and each is
committed with the outputs of such a run, so that it reads well on a code host unexecuted.

Select one notebook by its number: ``pytest tests/test_notebooks.py -k 03``.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = [pytest.param(path, id=path.name) for path in sorted(NOTEBOOK_DIR.glob("*.ipynb"))]
TIMEOUT = 180  # seconds for a whole notebook; each is meant to run in under 60 on 2 cores
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks


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


async def _execute(client: Any) -> None:
    # cleanup_kc: shut the kernel down afterwards (and on timeout), although we made its manager
    await asyncio.wait_for(client.async_execute(cleanup_kc=True), TIMEOUT)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_runs_from_a_clean_kernel(path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="executing notebooks needs the test extra (nbformat)")
    nbclient = pytest.importorskip("nbclient", reason="executing notebooks needs the test extra (nbclient)")
    pytest.importorskip("ipykernel", reason="executing notebooks needs the test extra (ipykernel)")
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    for _, cell in _code_cells(notebook):  # a clean run: nothing stored may leak into the check
        cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(
        notebook,
        km=_kernel_manager(),
        timeout=TIMEOUT,
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
    if failure:  # failed outside the except block, so that the report is not doubled by exception chaining
        pytest.fail(failure, pytrace=False)

    created = sorted(str(p) for p in _files_under(NOTEBOOK_DIR) - before)
    assert not created, f"{path.name} wrote into the repository's notebooks/ folder: {created}; use tempfile"
    ran = [cell.execution_count for _, cell in _code_cells(notebook)]
    assert None not in ran, f"{path.name}: some code cells did not run (execution counts {ran})"


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
