"""Side-by-side speed of sroi and its peers, one fresh process per call (issue 17).

Run ``nox -s bench`` (which installs the peers into the session's own environment), or
directly in an environment that has sroi and the peers::

    python tests/benchmarks/side_by_side.py --repeats 3 --units 100000

Each case runs ``repeats`` times per side in a fresh interpreter, sides alternating; the
worker times only the estimator call (data are written to a temporary file first and read
before the clock starts) and reports wall time, CPU time and the growth of the peak resident
memory. One table is printed: medians, the ratio peer / sroi (> 1: sroi is faster) and the
largest absolute difference between the two sides' point estimates. A peer that is not
importable is shown as ``n/a``. Nothing here is a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WINDOW = (-4, 4)


def make_panel(n_units: int, n_periods: int = 10, n_schools: int = 200, seed: int = 0):
    """Staggered panel: cohorts 4, 6, 8 and never treated by school, a covariate ``x``."""
    rng = np.random.default_rng(seed)
    school = rng.integers(0, n_schools, n_units)
    coh = rng.choice([0, 0, 4, 6, 8], n_schools)[school]
    t = np.arange(1, n_periods + 1)
    y = rng.normal(size=(n_units, 1)) + 0.1 * t + rng.normal(size=(n_units, n_periods))
    y += np.where((coh[:, None] > 0) & (t >= coh[:, None]), 0.5, 0.0)
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_periods),
            "time": np.tile(t, n_units),
            "cohort": np.repeat(coh, n_periods),
            "school": np.repeat(school, n_periods),
            "y": y.ravel(),
            "x": rng.normal(size=n_units * n_periods),
        }
    )
    # columns the peers need precomputed (not timed; sroi derives them inside the call)
    df["D"] = ((df.cohort > 0) & (df.time >= df.cohort)).astype(float)
    df["rel"] = np.where(df.cohort > 0, df.time - df.cohort, -1)
    df["in_window"] = (df.cohort == 0) | df.rel.between(*WINDOW)
    return df


# ----------------------------------------------------------------------------- the calls
def _sroi_twfe(df: pd.DataFrame) -> float:
    import sroi

    e = sroi.did(df, outcome="y", unit="unit", time="time", cohort="cohort", cluster="unit")
    return float(e.estimate)


def _pyfixest_twfe(df: pd.DataFrame) -> float:
    import pyfixest as pf

    fit = pf.feols("y ~ D | unit + time", df, vcov={"CRV1": "unit"})
    fit.se()
    return float(fit.coef()["D"])


def _linearmodels_twfe(df: pd.DataFrame) -> float:
    from linearmodels import PanelOLS

    d = df.set_index(["unit", "time"])
    fit = PanelOLS(d.y, d[["D"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    return float(fit.params["D"])


def _sroi_es(df: pd.DataFrame) -> float:
    import sroi

    es = sroi.event_study(
        df, outcome="y", unit="unit", time="time", cohort="cohort", window=WINDOW, cluster="unit"
    )
    co = es.coefficients
    return float(co.loc[co.event_time == 0, "estimate"].iloc[0])


def _pyfixest_es(df: pd.DataFrame) -> float:
    import pyfixest as pf

    d = df[df.in_window]
    fit = pf.feols("y ~ i(rel, ref=-1) | unit + time", d, vcov={"CRV1": "unit"})
    fit.se()
    return float(fit.coef()["rel::0"])


def _sroi_cs(df: pd.DataFrame) -> float:
    import sroi

    r = sroi.staggered_did(
        df,
        outcome="y",
        unit="unit",
        time="time",
        cohort="cohort",
        estimator="dr",
        covariates=["x"],
        n_boot=0,
    )
    return float(r.aggregate_effect("simple").estimate)


CASES: dict[str, dict[str, Callable[[pd.DataFrame], float]]] = {
    "TWFE, unit+time FE, CR1 by unit": {
        "sroi": _sroi_twfe,
        "pyfixest": _pyfixest_twfe,
        "linearmodels": _linearmodels_twfe,
    },
    "event study -4..4, CR1 by unit": {"sroi": _sroi_es, "pyfixest": _pyfixest_es},
    "Callaway-Sant'Anna DR (sroi only)": {"sroi": _sroi_cs},
}


def worker(case: str, side: str, path: str) -> dict[str, Any]:
    """Run one call in this (fresh) process and measure it."""
    df = pd.read_pickle(path)
    fn = CASES[case][side]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w0, c0 = time.perf_counter(), time.process_time()
        est = fn(df)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"wall": wall, "cpu": cpu, "mem_mb": (rss1 - rss0) / 1024, "estimate": est}


def _spawn(case: str, side: str, path: str, threads: int | None) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--worker", case, side, path]
    env = dict(os.environ)
    if threads is not None:  # the same BLAS/OpenMP/numba threads for every side
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        err = out.stderr.strip().splitlines()
        print(f"  {side} failed on {case!r}: {err[-1] if err else out.returncode}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _peer_available(side: str) -> bool:
    mod = {"sroi": "sroi", "pyfixest": "pyfixest", "linearmodels": "linearmodels"}[side]
    cmd = [sys.executable, "-c", f"import {mod}"]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def main(argv: list[str] | None = None) -> None:
    """Print the side-by-side table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=100_000, help="units (x 10 periods)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS/OpenMP threads for every side (multithreaded OpenBLAS is many times "
        "slower on a machine loaded beyond its cores)",
    )
    ap.add_argument("--skip", nargs="*", default=[], help="sides to leave out")
    ap.add_argument("--worker", nargs=3, metavar=("CASE", "SIDE", "DATA"))
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(*a.worker)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "panel.pkl")
        make_panel(a.units).to_pickle(path)
        print(
            f"{a.units * 10:,} rows; load average {os.getloadavg()}; repeats {a.repeats}; "
            f"threads {a.threads or os.environ.get('OPENBLAS_NUM_THREADS', 'default')}"
        )
        print("| case | side | wall s | CPU s | +peak MB | ratio wall / CPU | max |diff| |")
        print("|---|---|---|---|---|---|---|")
        for case in a.cases:
            sides = [s for s in CASES[case] if s not in a.skip and _peer_available(s)]
            runs: dict[str, list[dict[str, Any]]] = {s: [] for s in CASES[case]}
            for _ in range(a.repeats):  # sides alternate
                for s in sides:
                    r = _spawn(case, s, path, a.threads)
                    if r is not None:
                        runs[s].append(r)
            _rows(case, runs)
        print(f"load average after: {os.getloadavg()}")


def _rows(case: str, runs: dict[str, list[dict[str, Any]]]) -> None:
    def med(rs: list[dict[str, Any]], k: str) -> float:
        return statistics.median(r[k] for r in rs)

    base = runs["sroi"]
    for side, rs in runs.items():
        if not rs:
            print(f"| {case} | {side} | n/a | | | | |")
            continue
        wall, cpu, mem = med(rs, "wall"), med(rs, "cpu"), med(rs, "mem_mb")
        ratio = diff = ""
        if side != "sroi" and base:
            ratio = f"{wall / med(base, 'wall'):.2f} / {cpu / med(base, 'cpu'):.2f}"
            diff = f"{abs(rs[0]['estimate'] - base[0]['estimate']):.1e}"
        print(f"| {case} | {side} | {wall:.2f} | {cpu:.2f} | {mem:.0f} | {ratio} | {diff} |")


if __name__ == "__main__":
    main()
