"""Shared by the benchmark scripts: timing, optional libraries, and the result format."""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def median_seconds(step: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall time of ``step`` over ``repeat`` runs after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def optional(name: str) -> Any:
    """The module if it is installed (torch, micrograd), else None: references are optional."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def emit(result: dict[str, Any]) -> None:
    """Print one workload's result as a JSON line, the format ``run.py`` collects."""
    print("RESULT " + json.dumps(result), flush=True)
    sys.stdout.flush()
