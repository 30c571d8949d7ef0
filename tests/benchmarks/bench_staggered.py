"""Speed of sroi.staggered_did (issue 4 targets), run by ``nox -s bench`` or
``python -m pytest tests/benchmarks/bench_staggered.py -q -s``.

Design: 100,000 units x 10 periods, cohorts 4, 6, 8, 10 plus never treated, doubly robust
with 3 covariates. Targets: analytic SEs under 2 s; 999 multiplier-bootstrap draws under
5 s more; peak memory under 2 GB. Prints medians over repeats (wall and CPU time) and the
ratio against csdid (reference port of R did, if installed) on the same data.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import sroi

REPEATS = 3


def make_panel(n: int = 100_000, T: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    treated = rng.uniform(size=n) < 1 / (1 + np.exp(-(X @ np.array([0.4, -0.3, 0.2]))))
    G = np.where(treated, rng.choice([4, 6, 8, 10], size=n), 0)
    t = np.arange(1, T + 1)
    Y = rng.normal(size=n)[:, None] + 0.1 * t + 0.2 * X[:, :1] * t + rng.normal(size=(n, T))
    Y += np.where((G[:, None] > 0) & (t >= G[:, None]), 1.0, 0.0)
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(t, n),
            "y": Y.ravel(),
            "g": np.repeat(G, T),
            "x1": np.repeat(X[:, 0], T),
            "x2": np.repeat(X[:, 1], T),
            "x3": np.repeat(X[:, 2], T),
        }
    )


KW = dict(outcome="y", unit="id", time="t", cohort="g", covariates=["x1", "x2", "x3"])


def _median_time(fn, repeats=REPEATS):
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


@pytest.fixture(scope="module")
def panel():
    return make_panel()


def test_bench_staggered_dr_analytic(panel):
    wall, cpu = _median_time(lambda: sroi.staggered_did(panel, **KW))
    print(
        f"\nstaggered_did dr, 3 covariates, 100k x 10, analytic: median wall {wall:.2f} s, cpu {cpu:.2f} s (target < 2 s)"
    )


def test_bench_staggered_bootstrap(panel):
    base_wall, _ = _median_time(lambda: sroi.staggered_did(panel, **KW), repeats=1)

    def boot():
        r = sroi.staggered_did(panel, n_boot=999, random_state=0, **KW)
        r.aggregate_effect("group")

    wall, cpu = _median_time(boot)
    print(
        f"\n+ 999 multiplier-bootstrap draws (att_gt table + group): median wall {wall:.2f} s, "
        f"extra over analytic ~{wall - base_wall:.2f} s (target < 5 s more)"
    )


def test_bench_memory(panel):
    tracemalloc.start()
    r = sroi.staggered_did(panel, **KW)
    r.aggregate("dynamic")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\npeak traced memory (numpy + pandas allocations): {peak / 1e9:.2f} GB (target < 2 GB)")


def test_bench_ratio_against_csdid(panel):
    csdid = pytest.importorskip("csdid.att_gt")

    def ref():
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            csdid.ATTgt(
                yname="y", tname="t", idname="id", gname="g", data=panel, xformla="y ~ x1 + x2 + x3"
            ).fit(est_method="dr", bstrap=False)

    ours, _ = _median_time(lambda: sroi.staggered_did(panel, **KW), repeats=1)
    theirs, _ = _median_time(ref, repeats=1)
    print(
        f"\ncsdid {theirs:.2f} s vs sroi {ours:.2f} s on the same data: ratio {theirs / ours:.2f}x"
    )
