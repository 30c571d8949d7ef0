"""Data-generating process of the coverage study: 7 programme schools out of 40.

Each of 40 schools has ``pupils_per_school`` pupils observed for 9 terms. Seven programme
schools enrol 250 pupils in waves at terms 4, 6 and 8: within each programme school pupils
are ranked on a score of their recorded characteristics (a disadvantage index ``x``, a
pre-period marker ``flag``) plus noise, and the top ranks are enrolled, so selection is on
recorded characteristics. Attendance is

``y_it = 0.90 + a_i - 0.02 x_i - 0.01 flag_i + lambda_t + s_{school,t} + e_it + tau_it``

with pupil effects ``a_i``, term effects ``lambda_t``, pupil-by-term noise ``e_it`` and
school-by-term shocks ``s`` that are either independent from term to term or a random walk
(persistent). ``shock_share`` is the school share of the variance of the one-term change of
``y``. Effects ``tau_it`` are constant (``effect``) or vary with cohort and exposure.

The true ATT of the group aggregation is computed from the ``tau_it`` of the enrolled pupils,
as the estimator weighs them (cohort-size weights over each cohort's post-treatment mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

N_SCHOOLS = 40
N_PROGRAMME = 7
N_ENROLLED = 250
WAVES = (4, 6, 8)
N_TERMS = 9


@dataclass(frozen=True)
class Scenario:
    """One design of the study."""

    name: str
    persistent: bool
    varying: bool
    shock_share: float = 0.05
    effect: float = 0.02
    pupils_per_school: int = 60
    sigma_e: float = 0.04


SCENARIOS = (
    Scenario("independent shocks, constant effect", persistent=False, varying=False),
    Scenario("independent shocks, varying effect", persistent=False, varying=True),
    Scenario("persistent shocks, constant effect", persistent=True, varying=False),
    Scenario("persistent shocks, varying effect", persistent=True, varying=True),
)


def _tau(sc: Scenario, g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Effect of cohort ``g`` in term ``t`` (0 before enrolment)."""
    post = (g > 0) & (t >= g)
    if not sc.varying:
        return np.where(post, sc.effect, 0.0)
    e = t - g
    growth = sc.effect * (0.5 + 0.25 * np.minimum(e, 4)) * (1.0 + 0.1 * (g - 6))
    return np.where(post, growth, 0.0)


def simulate(sc: Scenario, rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    """One panel (long, one row per pupil and term) and the true group-aggregated ATT."""
    n_sch, per = N_SCHOOLS, sc.pupils_per_school
    n = n_sch * per
    school = np.repeat(np.arange(n_sch), per)
    x = rng.normal(size=n)
    flag = (rng.random(n) < 0.2 + 0.1 * (x > 0)).astype(float)
    programme = np.zeros(n_sch, dtype=bool)
    programme[rng.choice(n_sch, N_PROGRAMME, replace=False)] = True
    G = np.zeros(n)
    prog_pupils = np.flatnonzero(programme[school])
    quota = np.full(N_PROGRAMME, N_ENROLLED // N_PROGRAMME)
    quota[: N_ENROLLED % N_PROGRAMME] += 1
    for k, s in enumerate(np.flatnonzero(programme)):
        members = prog_pupils[school[prog_pupils] == s]
        score = 0.8 * x[members] + 0.8 * flag[members] + rng.normal(size=members.size)
        chosen = members[np.argsort(-score)[: quota[k]]]
        G[chosen] = rng.choice(WAVES, size=chosen.size)
    var_change = 2 * sc.sigma_e**2 / (1 - sc.shock_share)
    school_var_change = sc.shock_share * var_change
    terms = np.arange(1, N_TERMS + 1)
    if sc.persistent:
        steps = rng.normal(scale=np.sqrt(school_var_change), size=(n_sch, N_TERMS))
        shocks = np.cumsum(steps, axis=1)
    else:
        shocks = rng.normal(scale=np.sqrt(school_var_change / 2), size=(n_sch, N_TERMS))
    a = rng.normal(scale=0.03, size=n)
    lam = 0.005 * np.sin(terms)
    tt = np.tile(terms, n)
    ii = np.repeat(np.arange(n), N_TERMS)
    tau = _tau(sc, G[ii], tt)
    y = (
        0.90
        + a[ii]
        - 0.02 * x[ii]
        - 0.01 * flag[ii]
        + lam[tt - 1]
        + shocks[school[ii], tt - 1]
        + rng.normal(scale=sc.sigma_e, size=ii.size)
        + tau
    )
    panel = pd.DataFrame(
        {
            "pupil_id": ii,
            "term": tt,
            "attendance": y,
            "cohort": G[ii].astype(int),
            "school_id": school[ii],
            "x": x[ii],
            "flag": flag[ii],
            "pool": (~programme[school[ii]]).astype(int),
        }
    )
    return panel, true_group_att(sc, G)


def true_group_att(sc: Scenario, G: np.ndarray) -> float:
    """Cohort-size weighted mean over cohorts of each cohort's mean post-treatment effect."""
    cohorts, sizes = np.unique(G[G > 0], return_counts=True)
    theta = []
    for g in cohorts.astype(int):
        t = np.arange(g, N_TERMS + 1)
        theta.append(float(np.mean(_tau(sc, np.full(t.size, float(g)), t))))
    return float(np.sum(sizes * np.asarray(theta)) / sizes.sum())
