"""Size and power of the randomisation check over schools with within-school selection.

Data-generating process (its own, small; :mod:`tests.simulation.dgp` selects on
characteristics that only shift the level, which the difference removes): 40 schools of
50 pupils, 9 terms, 7 programme schools chosen at random, each starting one wave (term 4, 6
or 8, at random) in which it enrols 15 of its pupils: those with the largest
``-y_{i,g-1} / 0.05 + 0.8 x_i + N(0, 1)``, i.e. low attendance in the term before
enrolment (a transient dip, which regresses to the mean) and a recorded characteristic
``x`` that also steepens the pupil's trend. Attendance is

``y_it = 0.9 + a_i + 0.004 x_i t + s_st + e_it + tau * 1[enrolled by t]``

with ``a_i ~ N(0, 0.03^2)``, ``e_it ~ N(0, 0.04^2)`` and independent school-by-term shocks
``s_st ~ N(0, 0.01^2)``. The comparison pool is the never-enrolled pupils of the other
schools (``programme_school_controls=False``, as the sample report).

Statistics: ``adjusted`` (the report's check: regression on ``x`` and two terms of
attendance history) and ``unadjusted`` (the check before the fix). Under ``tau = 0`` the
rejection rate at 5% is the size (Monte Carlo SE ``sqrt(p (1 - p) / reps)``); under
``tau > 0`` it is the power.

Run: ``python -m tests.simulation.randomization_size --reps 500 --perms 199`` (about two
minutes); the fast version is tests/simulation/test_randomization_size.py.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from sroi.impact.staggered.school_randomization import school_randomization_test

N_SCHOOLS, PER_SCHOOL, N_PROGRAMME, N_ENROL, N_TERMS = 40, 50, 7, 15, 9
COLUMNS = ("y", "pupil", "term", "cohort", "school")


def simulate(rng: np.random.Generator, tau: float = 0.0) -> pd.DataFrame:
    """One panel of the design above (long: one row per pupil and term)."""
    n = N_SCHOOLS * PER_SCHOOL
    school = np.repeat(np.arange(N_SCHOOLS), PER_SCHOOL)
    x = rng.normal(size=n)
    terms = np.arange(1, N_TERMS + 1)
    y0 = (
        0.9
        + rng.normal(scale=0.03, size=n)[:, None]
        + 0.004 * x[:, None] * terms[None, :]
        + rng.normal(scale=0.01, size=(N_SCHOOLS, N_TERMS))[school]
        + rng.normal(scale=0.04, size=(n, N_TERMS))
    )
    G = np.zeros(n)
    for s in rng.choice(N_SCHOOLS, N_PROGRAMME, replace=False):
        g = int(rng.choice([4, 6, 8]))
        members = np.flatnonzero(school == s)
        score = -y0[members, g - 2] / 0.05 + 0.8 * x[members] + rng.normal(size=members.size)
        G[members[np.argsort(-score)[:N_ENROL]]] = g
    post = (G[:, None] > 0) & (terms[None, :] >= G[:, None])
    return pd.DataFrame(
        {
            "pupil": np.repeat(np.arange(n), N_TERMS),
            "term": np.tile(terms, n),
            "y": (y0 + tau * post).ravel(),
            "cohort": np.repeat(G, N_TERMS),
            "school": np.repeat(school, N_TERMS),
            "x": np.repeat(x, N_TERMS),
        }
    )


def p_values(panel: pd.DataFrame, perms: int, seed: int, adjusted: bool) -> float:
    """The check's p-value (adjusted on ``x`` and two terms of history, or unadjusted)."""
    kw = {"covariates": ["x"], "history": ["y"], "history_periods": 2} if adjusted else {}
    return school_randomization_test(
        panel,
        *COLUMNS,
        n_perm=perms,
        random_state=seed,
        programme_school_controls=False,
        **kw,  # type: ignore[arg-type]
    ).p_value


def rejection_rate(
    reps: int, perms: int, tau: float, adjusted: bool, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Share of ``reps`` replications with p <= alpha, and its Monte Carlo SE."""
    rng = np.random.default_rng(seed)
    rej = [p_values(simulate(rng, tau), perms, seed + r, adjusted) <= alpha for r in range(reps)]
    rate = float(np.mean(rej))
    return rate, float(np.sqrt(max(rate * (1 - rate), 1e-12) / reps))


def main() -> None:
    """Print size (tau = 0) and power rows of the adjusted statistic, size of the unadjusted."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--perms", type=int, default=199)
    ap.add_argument("--tau", type=float, nargs="+", default=[0.0, 0.005, 0.01])
    a = ap.parse_args()
    for adjusted in (True, False):
        for tau in a.tau if adjusted else [0.0]:
            rate, se = rejection_rate(a.reps, a.perms, tau, adjusted)
            name = "adjusted" if adjusted else "unadjusted"
            print(
                f"{name:10s} tau={tau:.3f} reps={a.reps} rejection at 5%: {rate:.3f} (MC SE {se:.3f})"
            )


if __name__ == "__main__":
    main()
