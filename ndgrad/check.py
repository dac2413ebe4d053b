"""``ndgrad check``: every built-in op's gradients against finite differences, as a table.

The table of ops is the test suite's own (``autograd.testing.BUILTIN_OPS``), so the command
checks exactly what the tests check. It needs hypothesis (``pip install 'ndgrad[test]'``).
"""

from __future__ import annotations

import time


def check_all_ops(seed: int = 0, verbose: bool = True) -> int:
    try:
        from autograd.testing import BUILTIN_OPS, run_op_case
    except ImportError as error:
        print(f"ndgrad check needs the test extras: pip install 'ndgrad[test]' ({error})")
        return 2
    failures = 0
    print(f"{'op':<28} {'result':<8} {'examples':>8} {'seconds':>8}")
    for case in BUILTIN_OPS:
        started = time.perf_counter()
        try:
            examples = run_op_case(case, seed=seed)
            result = "pass"
        except Exception as error:  # a failed check: report it and go on with the table
            failures += 1
            examples, result = 0, "FAIL"
            if verbose:
                print(f"  {case.name}: {str(error).splitlines()[0]}")
        print(f"{case.name:<28} {result:<8} {examples:>8} {time.perf_counter() - started:>8.2f}")
    print(f"\n{len(BUILTIN_OPS) - failures} of {len(BUILTIN_OPS)} ops pass")
    return 1 if failures else 0
