"""Side-by-side speed of sroi and its peers, one fresh process per call (issue 17).

Run ``nox -s bench`` (which installs the peers into the session's own environment), or
directly in an environment that has sroi and the peers::

    python tests/benchmarks/side_by_side.py --repeats 3
    python tests/benchmarks/side_by_side.py --cases twfe event_study --repeats 5

Each case runs ``repeats`` times per side in a fresh interpreter, sides alternating. The
worker imports the side's package and reads the data before the clock starts, then times
the estimator call alone: wall time, CPU time (all threads of the process) and the growth
of the peak resident memory over the call. R MatchIt runs under ``Rscript`` and times
``matchit()`` itself (``proc.time``; memory from R's ``gc`` maximum). One table is printed:
medians, the ratio peer / sroi of wall and of CPU time (> 1: sroi is faster), the growth of
peak memory and the largest absolute difference between the sides' point estimates; then
the log-log slope of sroi's Callaway-Sant'Anna time against the number of units over
three sizes (1 = linear). ``--warm`` times a second call in each process instead (JIT
compilation and first-call caches excluded). A peer that is not installed is shown as
``n/a``. BLAS runs one thread on every side (``--threads``; sroi limits its own solves
to one thread anyway). Nothing here is a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WINDOW = (-4, 4)
COVS3 = ["x1", "x2", "x3"]


# ----------------------------------------------------------------------------- the data
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


def make_cs_panel(n_units: int, n_periods: int = 10, seed: int = 0) -> pd.DataFrame:
    """Callaway-Sant'Anna design: cohorts 4, 6, 8, 10 and never treated, selection on 3 x."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_units, 3))
    treated = rng.uniform(size=n_units) < 1 / (1 + np.exp(-(X @ np.array([0.4, -0.3, 0.2]))))
    G = np.where(treated, rng.choice([4, 6, 8, 10], size=n_units), 0)
    t = np.arange(1, n_periods + 1)
    Y = rng.normal(size=n_units)[:, None] + 0.1 * t + 0.2 * X[:, :1] * t
    Y = Y + rng.normal(size=(n_units, n_periods))
    Y += np.where((G[:, None] > 0) & (t >= G[:, None]), 1.0, 0.0)
    cols = {f"x{j + 1}": np.repeat(X[:, j], n_periods) for j in range(3)}
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n_units), n_periods),
            "t": np.tile(t, n_units),
            "y": Y.ravel(),
            "g": np.repeat(G, n_periods),
            **cols,
        }
    )


def make_match_data(n_treated: int, n_control: int, p: int, seed: int = 0) -> pd.DataFrame:
    """Treated units shifted by 0.3 on ``p`` normal covariates (as bench_matching)."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.3, 1, (n_treated, p)), rng.normal(0, 1, (n_control, p))])
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    df.insert(0, "treat", np.r_[np.ones(n_treated, int), np.zeros(n_control, int)])
    return df


def make_pupils(n_pupils: int) -> pd.DataFrame:
    """The synthetic pupil x term panel of the sample at ``n_pupils`` (6,000 = the sample)."""
    from sroi.data import synthetic

    pupils, panel = synthetic.generate(n_pupils=n_pupils)
    return panel.merge(pupils, on="pupil_id", how="left", validate="many_to_one")


DATA: dict[str, Callable[[], pd.DataFrame]] = {
    "panel_1m": lambda: make_panel(100_000),
    "cs_100k": lambda: make_cs_panel(100_000),
    "cs_300k": lambda: make_cs_panel(300_000),
    "cs_1m": lambda: make_cs_panel(1_000_000),
    "match_10k_1m": lambda: make_match_data(10_000, 1_000_000, 3),
    "match_2k_50k": lambda: make_match_data(2_000, 50_000, 5),
    "pupils_6k": lambda: make_pupils(6_000),
    "pupils_60k": lambda: make_pupils(60_000),
}


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


def _sroi_cs(n_boot: int) -> Callable[[pd.DataFrame], float]:
    def call(df: pd.DataFrame) -> float:
        import sroi

        r = sroi.staggered_did(
            df,
            outcome="y",
            unit="id",
            time="t",
            cohort="g",
            estimator="dr",
            covariates=COVS3,
            n_boot=n_boot,
            random_state=0,
        )
        return float(r.aggregate_effect("simple").estimate)

    return call


def _csdid_cs(n_boot: int) -> Callable[[pd.DataFrame], float]:
    def call(df: pd.DataFrame) -> float:
        from csdid.att_gt import ATTgt

        with contextlib.redirect_stdout(io.StringIO()):
            a = ATTgt(
                yname="y", tname="t", idname="id", gname="g", data=df, xformla="y ~ x1 + x2 + x3"
            ).fit(est_method="dr", bstrap=n_boot > 0)
            a.aggte("simple", bstrap=n_boot > 0, biters=max(n_boot, 1))
        return float(a.atte["overall_att"])

    return call


def _diffdiff_cs(n_boot: int) -> Callable[[pd.DataFrame], float]:
    def call(df: pd.DataFrame) -> float:
        from diff_diff import CallawaySantAnna

        r = CallawaySantAnna(estimation_method="dr", n_bootstrap=n_boot, seed=0).fit(
            df, outcome="y", unit="id", time="t", first_treat="g", covariates=COVS3,
            aggregate="simple",
        )  # fmt: skip
        return float(r.overall_att)

    return call


def _sroi_match(distance: str) -> Callable[[pd.DataFrame], float]:
    def call(df: pd.DataFrame) -> float:
        import sroi

        covs = [c for c in df.columns if c != "treat"]
        m = sroi.match(df, "treat", covs, distance=distance)
        return float(m.n_treated)

    return call


def _sroi_matched_staggered(df: pd.DataFrame) -> float:
    from sroi.impact.staggered import matched_staggered_did

    r = matched_staggered_did(
        df,
        outcome="attendance_rate",
        unit="pupil_id",
        time="term",
        cohort="cohort",
        covariates=["fsm", "sen", "prior_attainment", "idaci_decile", "child_in_need"],
        cluster="school_id",
    )
    return float(r.aggregate_effect("simple").estimate)


MATCHIT = {
    "logit": "method = 'nearest', distance = 'glm'",
    "mahalanobis": "method = 'nearest', distance = 'mahalanobis'",
}
MODULES = {  # imported before the clock starts (sroi's package imports lazily)
    # scipy.spatial: the k-d tree of Mahalanobis matching, imported on first use, like
    # library(MatchIt) in R, imported before the clock starts
    "sroi": "sroi.impact.did,sroi.impact.staggered,sroi.impact.matching,scipy.spatial",
    "pyfixest": "pyfixest",
    "linearmodels": "linearmodels",
    "csdid": "csdid.att_gt",
    "diff-diff": "diff_diff",
}


@dataclass
class Case:
    """One benchmark: the data set and each side's call (``str``: a MatchIt call)."""

    key: str
    label: str
    data: str
    sides: dict[str, Callable[[pd.DataFrame], float] | str] = field(default_factory=dict)


CASES = [
    Case(
        "twfe",
        "TWFE, unit+time FE, CR1 by unit, 1M rows",
        "panel_1m",
        {"sroi": _sroi_twfe, "pyfixest": _pyfixest_twfe, "linearmodels": _linearmodels_twfe},
    ),
    Case(
        "event_study",
        "event study -4..4, CR1 by unit, 1M rows",
        "panel_1m",
        {"sroi": _sroi_es, "pyfixest": _pyfixest_es},
    ),
    Case(
        "cs_100k",
        "Callaway-Sant'Anna DR, 3 covariates, analytic, 100k units x 10",
        "cs_100k",
        {"sroi": _sroi_cs(0), "csdid": _csdid_cs(0), "diff-diff": _diffdiff_cs(0)},
    ),
    Case(
        "cs_100k_boot",
        "Callaway-Sant'Anna DR, 999 multiplier draws, 100k units x 10",
        "cs_100k",
        {"sroi": _sroi_cs(999), "csdid": _csdid_cs(999), "diff-diff": _diffdiff_cs(999)},
    ),
    Case(
        "cs_300k",
        "Callaway-Sant'Anna DR, analytic, 300k units x 10",
        "cs_300k",
        {"sroi": _sroi_cs(0)},
    ),  # fmt: skip
    Case(
        "cs_1m",
        "Callaway-Sant'Anna DR, 3 covariates, analytic, 1M units x 10",
        "cs_1m",
        {"sroi": _sroi_cs(0), "csdid": _csdid_cs(0), "diff-diff": _diffdiff_cs(0)},
    ),
    Case(
        "cs_1m_boot",
        "Callaway-Sant'Anna DR, 999 multiplier draws, 1M units x 10",
        "cs_1m",
        {"sroi": _sroi_cs(999), "csdid": _csdid_cs(999), "diff-diff": _diffdiff_cs(999)},
    ),
    Case(
        "match_nn",
        "NN 1:1 logit, 10k treated x 1M controls",
        "match_10k_1m",
        {"sroi": _sroi_match("logit"), "MatchIt": MATCHIT["logit"]},
    ),
    Case(
        "match_maha",
        "NN 1:1 Mahalanobis, 5 covariates, 2k x 50k",
        "match_2k_50k",
        {"sroi": _sroi_match("mahalanobis"), "MatchIt": MATCHIT["mahalanobis"]},
    ),
    Case(
        "matched_6k",
        "matched staggered DiD, the sample (6k pupils x 9 terms)",
        "pupils_6k",
        {"sroi": _sroi_matched_staggered},
    ),  # fmt: skip
    Case(
        "matched_60k",
        "matched staggered DiD, 10x the sample (60k pupils x 9 terms)",
        "pupils_60k",
        {"sroi": _sroi_matched_staggered},
    ),  # fmt: skip
]
BY_KEY = {c.key: c for c in CASES}
SCALING = ("cs_100k", "cs_300k", "cs_1m")


# ----------------------------------------------------------------------------- running
def worker(key: str, side: str, path: str, warm: bool = False) -> dict[str, Any]:
    """Run one call in this (fresh) process and measure it (imports and data untimed).

    ``warm``: call once untimed first (compilation and first-call caches excluded).
    """
    fn = BY_KEY[key].sides[side]
    assert callable(fn)
    for module in MODULES[side].split(","):
        importlib.import_module(module)
    df = pd.read_pickle(path)
    rss0 = _reset_peak_kb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if warm:
            fn(df)
        w0, c0 = time.perf_counter(), time.process_time()
        est = fn(df)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    rss1 = _peak_kb()
    return {"wall": wall, "cpu": cpu, "mem_mb": (rss1 - rss0) / 1024, "estimate": est}


def _reset_peak_kb() -> float:
    """Reset this process's peak resident memory to its current value; return it (kB).

    ``ru_maxrss`` is inherited over fork and exec on Linux, so a worker started by the process
    that made the data would start from the parent's peak and under-report the call's growth.
    Linux resets the peak (``VmHWM``) when ``5`` is written to ``/proc/self/clear_refs``;
    elsewhere ``ru_maxrss`` is used as it is.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return _peak_kb()


def _peak_kb() -> float:
    """Peak resident memory of this process (kB): ``VmHWM``, else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


R_MATCHIT = """
suppressPackageStartupMessages(library(MatchIt))
d <- read.csv("{csv}")
f <- as.formula(paste("treat ~", paste(setdiff(names(d), "treat"), collapse = " + ")))
invisible(gc(reset = TRUE)); g0 <- sum(gc()[, 2])
t0 <- proc.time()
m <- matchit(f, data = d, {args})
t1 <- proc.time() - t0
g1 <- sum(gc()[, 6])
cat(sprintf('{{"wall": %f, "cpu": %f, "mem_mb": %f, "estimate": %f}}\\n',
    t1[["elapsed"]], t1[["user.self"]] + t1[["sys.self"]], g1 - g0, sum(m$weights > 0) / 2))
"""


def _spawn(
    case: Case, side: str, files: dict[str, str], threads: int, warm: bool = False
) -> dict[str, Any] | None:
    call = case.sides[side]
    if isinstance(call, str):
        code = R_MATCHIT.format(csv=files[case.data + ".csv"], args=call)
        cmd = ["Rscript", "-e", code]
    else:
        cmd = [sys.executable, __file__, "--worker", case.key, side, files[case.data]]
        cmd += ["--warm"] if warm else []
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=_env(threads))
    if out.returncode != 0:
        err = out.stderr.strip().splitlines()
        print(
            f"  {side} failed on {case.key}: {err[-1] if err else out.returncode}", file=sys.stderr
        )
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _available(side: str) -> bool:
    if side == "MatchIt":
        if shutil.which("Rscript") is None:
            return False
        cmd = ["Rscript", "-e", "suppressPackageStartupMessages(library(MatchIt))"]
    else:
        cmd = [sys.executable, "-c", f"import {MODULES[side]}".replace(",", "; import ")]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def _med(rs: list[dict[str, Any]], k: str) -> float:
    return statistics.median(r[k] for r in rs)


def _rows(case: Case, runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    base = runs.get("sroi", [])
    lines = []
    for side, rs in runs.items():
        if not rs:
            lines.append(f"| {case.label} | {side} | n/a | | | | |")
            continue
        wall, cpu, mem = _med(rs, "wall"), _med(rs, "cpu"), _med(rs, "mem_mb")
        ratio = diff = ""
        if side != "sroi" and base:
            ratio = f"{wall / _med(base, 'wall'):.2f} / {cpu / _med(base, 'cpu'):.2f}"
            if not case.key.startswith("match_"):
                diff = f"{abs(rs[0]['estimate'] - base[0]['estimate']):.1e}"
        lines.append(
            f"| {case.label} | {side} | {wall:.2f} | {cpu:.2f} | {mem:.0f} | {ratio} | {diff} |"
        )
    return lines


def _slope(results: dict[str, dict[str, list[dict[str, Any]]]], what: str) -> str:
    sizes = {"cs_100k": 1e5, "cs_300k": 3e5, "cs_1m": 1e6}
    pts = [
        (sizes[k], _med(results[k]["sroi"], what))
        for k in SCALING
        if results.get(k, {}).get("sroi")
    ]
    if len(pts) < 2:
        return "n/a"
    x = np.log([p[0] for p in pts])
    y = np.log([p[1] for p in pts])
    return f"{np.polyfit(x, y, 1)[0]:.2f} ({len(pts)} sizes)"


def run(keys: list[str], repeats: int, threads: int, skip: list[str], warm: bool = False) -> None:
    """Write the data sets, run the cases with sides alternating, print the table."""
    cases = [BY_KEY[k] for k in keys]
    avail = {s: _available(s) for c in cases for s in c.sides if s not in skip}
    print(
        f"load average before: {os.getloadavg()}; repeats {repeats}; BLAS threads {threads}"
        + ("; warm (second call in each process timed)" if warm else "")
    )
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    table = ["| case | side | wall s | CPU s | +peak MB | ratio wall / CPU | max abs diff |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, str] = {}
        for case in cases:
            if case.data not in files:
                df = DATA[case.data]()
                files[case.data] = str(Path(tmp) / f"{case.data}.pkl")
                df.to_pickle(files[case.data])
                if any(isinstance(c, str) for c in case.sides.values()):
                    files[case.data + ".csv"] = str(Path(tmp) / f"{case.data}.csv")
                    df.to_csv(files[case.data + ".csv"], index=False)
                del df
            sides = [s for s in case.sides if avail.get(s)]
            runs: dict[str, list[dict[str, Any]]] = {s: [] for s in case.sides}
            for _ in range(repeats):  # sides alternate
                for s in sides:
                    r = _spawn(case, s, files, threads, warm)
                    if r is not None:
                        runs[s].append(r)
            results[case.key] = runs
            table += _rows(case, runs)
            print("\n".join(table[-len(case.sides) :]), flush=True)
    print()
    print("\n".join(table))
    print(
        f"\nCallaway-Sant'Anna scaling (sroi, log-log slope of time on units): "
        f"wall {_slope(results, 'wall')}, CPU {_slope(results, 'cpu')}"
    )
    print(f"load average after: {os.getloadavg()}")


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--cases``, ``--repeats``, ``--threads``, ``--skip``, ``--warm``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=[c.key for c in CASES], choices=list(BY_KEY))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads, every side")
    ap.add_argument("--skip", nargs="*", default=[], help="sides to leave out")
    ap.add_argument(
        "--warm",
        action="store_true",
        help="time a second call in each process (JIT compilation and caches excluded; "
        "the memory growth then covers both calls)",
    )
    ap.add_argument("--worker", nargs=3, metavar=("CASE", "SIDE", "DATA"))
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(*a.worker, warm=a.warm)))
        return
    run(a.cases, a.repeats, a.threads, a.skip, a.warm)


if __name__ == "__main__":
    main()
