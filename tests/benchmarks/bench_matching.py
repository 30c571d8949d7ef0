"""Speed benchmark for sroi.match (issue 3, "Speed"). Run with ``nox -s bench`` or
``python -m pytest tests/benchmarks/bench_matching.py -s``. Prints medians over repeats and,
where Rscript with MatchIt is installed, the ratio to R MatchIt on the same data."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import sroi

REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3"))


def _data(n_t: int, n_c: int, p: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.3, 1, (n_t, p)), rng.normal(0, 1, (n_c, p))])
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    df.insert(0, "treat", np.r_[np.ones(n_t, int), np.zeros(n_c, int)])
    return df


def _median_time(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _r_time(df: pd.DataFrame, args: str) -> float | None:
    if shutil.which("Rscript") is None or os.environ.get("SROI_BENCH_SKIP_R"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.csv")
        df.to_csv(path, index=False)
        covs = " + ".join(c for c in df.columns if c != "treat")
        code = (
            "suppressPackageStartupMessages(library(MatchIt)); "
            f"d <- read.csv('{path}'); "
            f"t0 <- proc.time()[['elapsed']]; m <- matchit(treat ~ {covs}, data = d, {args}); "
            "cat(proc.time()[['elapsed']] - t0)"
        )
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=False)
        try:
            return float(out.stdout.strip().split()[-1])
        except (ValueError, IndexError):
            return None


def _report(label, t_py, t_r, peak_mb):
    ratio = f", R MatchIt {t_r:.2f} s, R/sroi {t_r / t_py:.1f}x" if t_r else ""
    print(
        f"\n{label}: sroi median {t_py:.2f} s over {REPEATS}, peak traced memory {peak_mb:.0f} MB{ratio}"
    )


def _peak(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak


def test_bench_nearest_logit_1m_controls():
    df = _data(10_000, 1_000_000, 3)
    covs = ["x0", "x1", "x2"]

    def run(replace):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sroi.match(df, "treat", covs, replace=replace)

    for replace in (False, True):
        t = _median_time(lambda replace=replace: run(replace))
        peak = _peak(lambda replace=replace: run(replace)) if REPEATS > 1 else float("nan")
        t_r = _r_time(df, f"method = 'nearest', replace = {str(replace).upper()}")
        _report(
            f"1:1 nearest, logit score, 10k treated x 1M controls, replace={replace}", t, t_r, peak
        )


def test_bench_mahalanobis_200k_controls():
    df = _data(10_000, 200_000, 5)
    covs = [f"x{j}" for j in range(5)]

    def run():
        return sroi.match(df, "treat", covs, distance="mahalanobis")

    t = _median_time(run)
    peak = _peak(run)
    t_r = _r_time(df, "method = 'nearest', distance = 'mahalanobis'")
    _report("1:1 nearest, Mahalanobis on 5 covariates, 10k x 200k", t, t_r, peak)
