"""``ndgrad check``: every built-in op's gradients against finite differences, as a table.

It runs the test suite's own tables (``autograd.op_table`` and ``nn.op_table``, for the ops
``nn.functional`` defines) through ``autograd.testing.check_op``:
forward against NumPy, first and second order against central differences, in float64.
It needs hypothesis (``pip install 'ndgrad[test]'``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def check_all_ops(max_examples: int = 10, verbose: bool = True) -> int:
    # hypothesis keeps its caches in ./.hypothesis unless told otherwise, and a command should
    # not leave a folder wherever it is run. The variable is read once, on first use, so it is
    # set only when hypothesis is not loaded yet (inside pytest the project's settings stand).
    with tempfile.TemporaryDirectory(prefix="ndgrad-check-") as storage:
        if "hypothesis" not in sys.modules:
            os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", storage)
        return _check_all_ops(max_examples, verbose)


def _check_all_ops(max_examples: int, verbose: bool) -> int:
    try:
        from autograd.op_table import CASES as AUTOGRAD_CASES
        from autograd.op_table import run_case
        from nn.op_table import CASES as NN_CASES
    except ImportError as error:
        print(f"ndgrad check needs hypothesis: pip install 'ndgrad[test]' ({error})")
        return 2
    failures = []
    cases = [*AUTOGRAD_CASES, *NN_CASES]
    print(f"{'op':<24} {'result':<8} {'seconds':>8}")
    for case in cases:
        started = time.perf_counter()
        try:
            run_case(case, max_examples=max_examples)
            result = "pass"
        except Exception as error:  # a failed check is a row of the table, not the end of it
            failures.append((case.name, error))
            result = "FAIL"
        print(f"{case.name:<24} {result:<8} {time.perf_counter() - started:>8.2f}", flush=True)
    print(f"\n{len(cases) - len(failures)} of {len(cases)} ops pass ({max_examples} examples each)")
    if verbose:
        for name, error in failures:
            print(f"\n--- {name}\n{error}")
    return 1 if failures else 0
