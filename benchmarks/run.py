"""Run every benchmark workload, each in a process of its own, and print one table.

    python benchmarks/run.py [--repeat N] [--only NAME ...] [--json PATH]

Times are medians over N runs after warm-up, in the same run for every implementation and
taken in turns (one step of each per round, after an untimed step of its own where the arrays
are megabytes; the scalar MLP, in blocks, excepted: see its workload), so that ratios hold
even while the load of a shared machine drifts. The table is also written as JSON (default
benchmarks/results/latest.json) for comparison across commits.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np

from common import THREAD_VARIABLES

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["scalar_mlp", "deep_chain", "mlp_step", "adam_step", "tiny_ops", "rnn_step", "cnn_step", "memory"]


def run_workload(name: str, repeat: int, threads: int) -> dict[str, Any]:
    # Every library gets the same number of threads: BLAS through the environment (read when
    # NumPy loads, hence one process per workload), torch through set_num_threads.
    env = {**os.environ, **{v: str(threads) for v in THREAD_VARIABLES}, "NDGRAD_BENCH_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, os.path.join(HERE, "workloads.py"), name, "--repeat", str(repeat)],
                          capture_output=True, text=True, check=False, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"workload {name} failed:\n{proc.stdout}\n{proc.stderr}")


def by_impl(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["impl"]: r for r in result["rows"]}


def targets(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target of the performance issue; None: reference missing."""
    out: list[tuple[str, str, bool | None]] = []

    def ratio(workload: str, a: str, b: str) -> float | None:
        rows = by_impl(results[workload]) if workload in results else {}
        if a in rows and b in rows:
            return rows[a]["seconds"] / rows[b]["seconds"]
        return None

    def add(label: str, value: float | None, ok: Any, fmt: str = "{:.2f}x") -> None:
        out.append((label, "n/a (reference not installed)" if value is None else fmt.format(value),
                    None if value is None else bool(ok(value))))

    if "scalar_mlp" in results:
        add("scalar MLP: micrograd / ndgrad >= 10", ratio("scalar_mlp", "micrograd", "ndgrad Scalar"),
            lambda v: v >= 10)
    if "deep_chain" in results:
        add("deep chain: ndgrad Tensor / torch <= 0.3", ratio("deep_chain", "ndgrad Tensor", "torch"),
            lambda v: v <= 0.3)
    if "mlp_step" in results:
        add("MLP step: ndgrad / torch eager <= 1", ratio("mlp_step", "ndgrad", "torch eager"), lambda v: v <= 1)
        add("MLP step: ndgrad / NumPy <= 1.0", ratio("mlp_step", "ndgrad", "NumPy by hand"), lambda v: v <= 1.0)
    if "adam_step" in results:
        add("Adam step: ndgrad / NumPy <= 1.2", ratio("adam_step", "ndgrad", "NumPy by hand"), lambda v: v <= 1.2)
    if "tiny_ops" in results:
        add("tiny ops: ndgrad / torch eager <= 0.35", ratio("tiny_ops", "ndgrad", "torch eager"), lambda v: v <= 0.35)
    if "rnn_step" in results:
        add("RNN: ndgrad RNNCell loop / torch RNNCell loop <= 0.6",
            ratio("rnn_step", "ndgrad RNNCell loop", "torch RNNCell loop"), lambda v: v <= 0.6)
        add("RNN: ndgrad nn.RNN / NumPy BPTT <= 1.0", ratio("rnn_step", "ndgrad nn.RNN", "NumPy BPTT by hand"),
            lambda v: v <= 1.0)
    if "cnn_step" in results:
        add("CNN step: ndgrad / NumPy im2col by hand <= 1.5", ratio("cnn_step", "ndgrad", "NumPy by hand"),
            lambda v: v <= 1.5)
        add("CNN step: ndgrad / torch eager <= 2", ratio("cnn_step", "ndgrad", "torch eager"), lambda v: v <= 2)
    if "memory" in results:
        rows = by_impl(results["memory"])
        add("memory: ndgrad peak / NumPy peak <= 1.5",
            rows["ndgrad"]["peak_above_baseline"] / max(rows["numpy"]["peak_above_baseline"], 1), lambda v: v <= 1.5)
        add("memory: growth between step 100 and 200 = 0", rows["ndgrad"]["growth_100_200"] / 2**20,
            lambda v: v <= 0, "{:.2f} MiB")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", nargs="*", choices=ORDER)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS and torch (default 1: on a shared 2-core machine more threads "
                             "make small matmuls stall, for every library alike)")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    for name in args.only or ORDER:
        if name == "memory":
            rows = [run_workload(f"memory_{impl}", 1, args.threads)["rows"][0] for impl in ("numpy", "ndgrad")]
            results[name] = {"workload": name, "rows": rows}
        else:
            results[name] = run_workload(name, args.repeat, args.threads)
    versions = {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
                "machine": platform.machine(), "threads": args.threads}
    for lib in ("torch", "micrograd"):
        try:
            versions[lib] = __import__(lib).__dict__.get("__version__", "installed")
        except ImportError:
            versions[lib] = "not installed"
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"medians over {args.repeat} runs after warm-up, implementations timed in turns (scalar MLP: in blocks)\n")
    print(f"{'workload':<12} {'implementation':<22} {'time':>12} {'loss / value':>16}")
    for name, result in results.items():
        for r in result["rows"]:
            if name == "memory":
                print(f"{name:<12} {r['impl']:<22} peak +{r['peak_above_baseline'] / 2**20:7.1f} MiB, "
                      f"growth {r['growth_100_200'] / 2**20:+.2f} MiB")
                continue
            t = f"{r['us_per_op']:.2f} us/op" if "us_per_op" in r else f"{r['seconds'] * 1e3:.3f} ms"
            loss = "" if r.get("loss") is None else f"{r['loss']:.6f}"
            print(f"{name:<12} {r['impl']:<22} {t:>12} {loss:>16}")
    print()
    table = targets(results)
    for label, measured, met in table:
        mark = {True: "met", False: "NOT met", None: "-"}[met]
        print(f"{label:<55} {measured:>30}  {mark}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"versions": versions, "results": results,
                   "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in table]}, f, indent=2)


if __name__ == "__main__":
    main()
