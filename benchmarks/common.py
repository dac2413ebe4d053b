"""Shared by the benchmark scripts: timing, optional libraries, and the result format."""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

# The libraries' thread counts, read when each loads (common imports none of them, so that a
# script can set these before NumPy loads).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def interleaved_medians(
    steps: Sequence[Callable[[], object]], repeat: int, warmup: int = 3, rewarm: int = 0
) -> list[float]:
    """Median wall time of each step over ``repeat`` rounds, after ``warmup`` untimed ones.

    Each round runs every step once, the first one rotating: the load of a shared machine
    drifts over seconds, and taken in turns the steps see the same drift, so their ratios
    hold where medians of separate blocks of runs would not. ``rewarm`` untimed runs come
    before each timed one: a step whose arrays are megabytes would otherwise start from
    caches the other steps filled, which no training loop does."""
    for _ in range(warmup):
        for step in steps:
            step()
    times: list[list[float]] = [[] for _ in steps]
    for r in range(repeat):
        for i in range(len(steps)):
            k = (i + r) % len(steps)
            for _ in range(rewarm):
                steps[k]()
            t0 = time.perf_counter()
            steps[k]()
            times[k].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def median_seconds(step: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall time of ``step`` over ``repeat`` runs after ``warmup`` untimed ones."""
    return interleaved_medians([step], repeat, warmup)[0]


TINY_OPS = 200 * 3 + 1  # the ops of one tiny-ops step: 200 times a multiply, an add and a tanh, then a sum


def tiny_ops_step(x: Any) -> Callable[[], float]:
    """The tiny-ops step on ``x`` (a 4x4 leaf of any library with torch's API): 200 x
    tanh(y * 0.9 + 0.1), a sum and backward; returns the sum."""

    def step() -> float:
        y = x
        for _ in range(200):
            y = (y * 0.9 + 0.1).tanh()
        s = y.sum()
        s.backward()
        x.grad = None
        return float(s.item())

    return step


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
