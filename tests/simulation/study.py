"""Coverage study of the headline inference with 7 programme schools (issue 13).

Run (not part of the default test run; the fast version is ``test_coverage_fast.py``)::

    python -m tests.simulation.study --reps 500 --estimator staggered
    python -m tests.simulation.study --reps 500 --estimator matched_school --no-pupil

Estimators: ``staggered`` (:func:`~sroi.impact.staggered.staggered_did`, regression on
``x`` and ``flag``); ``matched`` (:func:`~sroi.impact.staggered.matched_staggered_did` as
the sample report configured it before issue 13: nearest-neighbour logit propensity
matching 1:1 without replacement, caliper 0.2 SD, on ``x``, ``flag`` and the last two
terms' attendance, regression on ``x`` and ``flag``); ``matched_school`` (the sample
report's design since issue 13: the same score, then within its caliper Mahalanobis
matching on the raw attendance and the attendance relative to the school's level in those
terms, ``history_within_school``, and the regression of the cells after enrolment adjusted
for those lags too, ``adjust_for_history``); ``matched_school_unadjusted`` (the same
matching, regression on ``x`` and ``flag`` only); ``matched_relative`` (the relative
attendance only, from :func:`~sroi.impact.staggered.school_history.add_school_level`, in the
score model); ``matched_adjusted`` (``matched`` with the history adjustment: the library's
defaults without ``history_within_school``).

For each scenario of :mod:`tests.simulation.dgp` and each replication the group-aggregated
ATT is estimated once, clustered on ``school_id``, and every inference option is read off the
same fit:

* ``normal``: analytic clustered SE with normal critical values (R ``did``'s rule);
* ``t(G1-1)``: the same SE with t(G_treated - 1) critical values (``small_sample="auto"``,
  the default with 7 treated schools);
* ``mult. boot``: multiplier-bootstrap SE (999 Rademacher draws on school sums), normal
  critical values (R ``did`` with ``clustervars``), and ``mult. boot t``: t(G_treated - 1);
* ``wild boot``: school-level wild bootstrap-t (Webb weights, 999 draws);
* ``pupil``: (``staggered`` estimator only) SEs clustered on the pupil, normal;
* ``RI (inverted)``: the fast randomisation test over programme schools
  (:func:`~sroi.impact.staggered.school_randomization.school_randomization_test` without
  covariates: unmatched, unadjusted group ATT, ``--ri-perms`` reshuffles; the report's check
  adds regression adjustment for what the design matches on, see
  ``tests/simulation/randomization_size.py``; here selection shifts only levels, so the
  unadjusted version keeps its size) inverted for a constant additive effect; with varying
  effects it covers the truth only approximately;
* ``RI (size at 5%)``: the same test on the outcome with the true effect removed (the sharp
  null holds), so its rejection rate at 5% is its size; run on the first ``--ri-reps``
  replications.

Reported per option: bias and its Monte Carlo SE, SD of the estimate, mean SE, coverage of
the 95% interval with its Monte Carlo SE ``sqrt(c(1-c)/R)``, and mean interval length.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sroi.impact.inference.multiplier_bootstrap import rademacher_draws, summarise_draws
from sroi.impact.staggered import matched_staggered_did, staggered_did
from sroi.impact.staggered.school_history import add_school_level
from sroi.impact.staggered.school_randomization import school_randomization_test
from tests.simulation.dgp import SCENARIOS, Scenario, _tau, simulate

LEVEL = 0.95
COVARIATES = ["x", "flag"]
RI_COLUMNS = ("attendance", "pupil_id", "term", "cohort", "school_id")
ESTIMATORS = (
    "staggered",
    "matched",
    "matched_school",
    "matched_school_unadjusted",
    "matched_relative",
    "matched_adjusted",
)
#: the sample report's matching options (evaluations/impact_programmes/evaluation.yaml)
MATCH_KWARGS = {
    "method": "nearest",
    "distance": "logit",
    "ratio": 1,
    "replace": False,
    "caliper": 0.2,
}


@dataclass
class Draw:
    """One replication: the estimate, the truth and each option's interval."""

    estimate: float
    truth: float
    se: float
    intervals: dict[str, tuple[float, float]]
    ri_p: float = np.nan


def _fit(panel: pd.DataFrame, estimator: str, cluster: str | None) -> object:
    kw = dict(outcome="attendance", unit="pupil_id", time="term", cohort="cohort")
    if estimator in ESTIMATORS[1:]:
        history = ["attendance"]
        options: dict[str, object] = {"adjust_for_history": estimator == "matched_adjusted"}
        if estimator.startswith("matched_school"):
            options = {
                "history_within_school": ["attendance"],
                "adjust_for_history": estimator == "matched_school",
            }
        elif estimator == "matched_relative":
            panel = add_school_level(panel, "attendance", "pupil_id", "term", "cohort", "school_id")
            history = ["attendance_vs_school"]
        return matched_staggered_did(
            panel,
            covariates=COVARIATES,
            history=history,
            pool="pool",
            cluster=cluster,
            match_kwargs=MATCH_KWARGS,
            **kw,
            **options,
        )
    return staggered_did(panel, estimator="reg", covariates=COVARIATES, cluster=cluster, **kw)


def one_rep(
    sc: Scenario,
    seed: int,
    estimator: str,
    ri_perms: int = 0,
    wild_draws: int = 999,
    pupil: bool = True,
) -> Draw:
    """Simulate one panel, estimate, and compute every interval."""
    rng = np.random.default_rng(seed)
    panel, truth = simulate(sc, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _fit(panel, estimator, "school_id")
        parts = res.aggregator.aggregate("group")  # type: ignore[attr-defined]
        eff = res.aggregate_effect("group")  # type: ignore[attr-defined]
        inf = res.aggregator.inference  # type: ignore[attr-defined]
        est, se = eff.estimate, eff.std_error
        g1 = int(eff.n_treated_clusters)
        z = stats.norm.ppf(0.5 + LEVEL / 2)
        tq = stats.t.ppf(0.5 + LEVEL / 2, g1 - 1)
        draws = rademacher_draws(inf.S @ parts.coef[:, None], 999, seed, inf.n)
        se_b = float(summarise_draws(draws, LEVEL, inf.n)[0][0])
        wild = res.wild_bootstrap("group", n_boot=wild_draws, random_state=seed)  # type: ignore[attr-defined]
        iv = {
            "normal": (est - z * se, est + z * se),
            "t(G1-1)": (est - tq * se, est + tq * se),
            "mult. boot": (est - z * se_b, est + z * se_b),
            "mult. boot t": (est - tq * se_b, est + tq * se_b),
            "wild boot": (wild.ci_low, wild.ci_high),
        }
        if estimator == "staggered" and pupil:
            pe = _fit(panel, estimator, None).aggregate_effect("group")  # type: ignore[attr-defined]
            iv["pupil"] = (pe.ci_low, pe.ci_high)
        ri_p = np.nan
        if ri_perms:
            ri_kw = dict(n_perm=ri_perms, random_state=seed)
            ri = school_randomization_test(panel, *RI_COLUMNS, **ri_kw)  # type: ignore[arg-type]
            iv["RI (inverted)"] = ri.interval(LEVEL)
            if not sc.varying:
                # the sharp null "effect = truth" for every treated pupil-term holds exactly
                ri_p = float(ri.p_value_at(truth)[0])
            else:
                null = panel.assign(
                    attendance=panel["attendance"]
                    - _tau(sc, panel["cohort"].to_numpy(float), panel["term"].to_numpy())
                )
                ri_p = school_randomization_test(null, *RI_COLUMNS, **ri_kw).p_value  # type: ignore[arg-type]
    return Draw(est, truth, se, iv, ri_p)


def summarise(draws: Sequence[Draw], scenario: str) -> pd.DataFrame:
    """Bias, coverage (with Monte Carlo SE) and interval length per option."""
    est = np.array([d.estimate for d in draws])
    truth = np.array([d.truth for d in draws])
    err = est - truth
    sd = float(np.std(err, ddof=1))
    rows = []
    for name in dict.fromkeys(k for d in draws for k in d.intervals):
        has = np.array([name in d.intervals for d in draws])
        lo = np.array([d.intervals[name][0] for d in draws if name in d.intervals])
        hi = np.array([d.intervals[name][1] for d in draws if name in d.intervals])
        cov = float(np.mean((lo <= truth[has]) & (truth[has] <= hi)))
        rows.append(
            {
                "scenario": scenario,
                "option": name,
                "reps": int(has.sum()),
                "bias": float(np.mean(err)),
                "bias_mcse": sd / np.sqrt(len(draws)),
                "sd": sd,
                "mean_se": float(np.mean([d.se for d in draws])),
                "coverage": cov,
                "coverage_mcse": float(np.sqrt(cov * (1 - cov) / has.sum())),
                "length": float(np.mean(hi - lo)),
            }
        )
    ri = np.array([d.ri_p for d in draws if np.isfinite(d.ri_p)])
    if ri.size:
        size = float(np.mean(ri <= 0.05))
        rows.append(
            {
                "scenario": scenario,
                "option": "RI (size at 5%)",
                "reps": int(ri.size),
                "coverage": 1 - size,
                "coverage_mcse": float(np.sqrt(size * (1 - size) / ri.size)),
            }
        )
    return pd.DataFrame(rows)


def run(
    reps: int,
    estimator: str,
    scenarios: Sequence[Scenario] = SCENARIOS,
    ri_reps: int = 0,
    ri_perms: int = 99,
    seed: int = 20261202,
    pupil: bool = True,
    draws_out: str | None = None,
    start: int = 0,
) -> pd.DataFrame:
    """The study: one table row per scenario and inference option.

    With ``draws_out`` every replication is appended to that file as a JSON line as soon as
    it is done (:func:`table_from_draws` summarises a partial run).
    """
    out = []
    for sc in scenarios:
        k = SCENARIOS.index(sc)
        draws = []
        for r in range(start, start + reps):
            d = one_rep(
                sc,
                seed + 100_000 * k + r,
                estimator,
                ri_perms if r - start < ri_reps else 0,
                pupil=pupil,
            )
            draws.append(d)
            if draws_out:
                with open(draws_out, "a") as fh:
                    fh.write(json.dumps({"scenario": sc.name, **d.__dict__}) + "\n")
        out.append(summarise(draws, sc.name))
    return pd.concat(out, ignore_index=True)


def table_from_draws(paths: Sequence[str]) -> pd.DataFrame:
    """The table of :func:`run` from the JSON lines written with ``draws_out``."""
    recs = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    # a replication run twice (overlapping --start ranges) is the same draw: keep it once
    seen: set[tuple[str, float, float]] = set()
    unique = []
    for r in recs:
        key = (r["scenario"], r["estimate"], r["se"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    recs = unique
    out = []
    for name in dict.fromkeys(r["scenario"] for r in recs):
        draws = [
            Draw(
                r["estimate"],
                r["truth"],
                r["se"],
                {k: tuple(v) for k, v in r["intervals"].items()},
                np.nan if r["ri_p"] is None else r["ri_p"],
            )
            for r in recs
            if r["scenario"] == name
        ]
        out.append(summarise(draws, name))
    return pd.concat(out, ignore_index=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: print the coverage table (and write it with ``--out``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--estimator", choices=ESTIMATORS, default="staggered")
    ap.add_argument("--ri-reps", type=int, default=0)
    ap.add_argument("--ri-perms", type=int, default=99)
    ap.add_argument("--scenario", type=int, action="append", help="index into SCENARIOS")
    ap.add_argument("--out", default=None, help="CSV file for the table")
    ap.add_argument("--no-pupil", action="store_true", help="skip the pupil-clustered refit")
    ap.add_argument("--start", type=int, default=0, help="first replication's index")
    ap.add_argument("--draws-out", default=None, help="append each replication (JSON lines)")
    ap.add_argument("--summarise", nargs="+", default=None, help="table from --draws-out files")
    a = ap.parse_args(argv)
    pd.set_option("display.width", 200)
    if a.summarise:
        print(table_from_draws(a.summarise).to_string(index=False, float_format=_fmt))
        return
    scs = SCENARIOS if not a.scenario else [SCENARIOS[i] for i in a.scenario]
    t0 = time.time()
    table = run(
        a.reps,
        a.estimator,
        scs,
        a.ri_reps,
        a.ri_perms,
        pupil=not a.no_pupil,
        draws_out=a.draws_out,
        start=a.start,
    )
    print(table.to_string(index=False, float_format=_fmt))
    print(f"# {a.estimator}, {a.reps} reps, {time.time() - t0:.0f} s")
    if a.out:
        table.to_csv(a.out, index=False)


def _fmt(v: float) -> str:
    return f"{v:.4f}"


if __name__ == "__main__":
    main()
