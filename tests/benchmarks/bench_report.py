"""Benchmark: `sroi run` on the shipped sample evaluation (target: under 60 s end to end).

Run with ``nox -s bench`` or ``python -m pytest tests/benchmarks/bench_report.py -s``.
Prints the median wall time over repeats of the full command (papermill kernel start,
estimation, valuation with 10,000 Monte Carlo draws, HTML export, disclosure check), and
of ``sroi.report.evaluate`` alone (the computation without the notebook).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from sroi import resources

SPEC = resources.sample_spec()
REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3"))


def test_bench_sroi_run_sample(tmp_path):
    times = []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "sroi.cli", "run", str(SPEC), "-o", str(tmp_path / f"r{i}")],
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - t0)
        assert proc.returncode == 0, proc.stderr[-2000:]
    med = statistics.median(times)
    print(
        f"\nsroi run (sample): median {med:.1f} s over {REPEATS} runs "
        f"({', '.join(f'{t:.1f}' for t in times)}); target < 60 s"
    )


def test_bench_evaluate_sample():
    from sroi.report import evaluate

    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        evaluate(SPEC)
        times.append(time.perf_counter() - t0)
    print(
        f"\nsroi.report.evaluate (sample): median {statistics.median(times):.1f} s over "
        f"{REPEATS} runs ({', '.join(f'{t:.1f}' for t in times)})"
    )
