"""Tests for honest_did (Rambachan & Roth 2023 restrictions): hand-computed identified sets,
breakdown values, and coverage of the robust intervals by simulation under violations of
parallel trends that satisfy the restriction."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sroi
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did import honest_did

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


def test_relative_magnitude_identified_set_by_hand():
    # pre: beta_{-3}=0.1, beta_{-2}=0.3, (ref 0) -> first differences 0.2, -0.3 -> D = 0.3
    b = np.array([0.1, 0.3, 1.0, 1.5])
    S = np.diag([0.01, 0.01, 0.04, 0.04])
    r = honest_did(b, S, 2, 2, Mbar=[0, 1, 2])
    row = r.set_index("Mbar").loc[1.0]
    assert row.id_lb == pytest.approx(1.0 - 0.3) and row.id_ub == pytest.approx(1.0 + 0.3)
    # average of the two post periods: K = |l1 + l2| + |l2| = 1.5
    r2 = honest_did(b, S, 2, 2, Mbar=[1], l_vec=[0.5, 0.5])
    assert r2.id_lb.iloc[0] == pytest.approx(1.25 - 0.3 * 1.5)
    # Mbar = 0: Bonferroni-widened interval around l'beta_post
    z1 = stats.norm.ppf(1 - 0.8 * 0.05 / 2)
    r0 = r.set_index("Mbar").loc[0.0]
    assert r0.lb == pytest.approx(1.0 - z1 * 0.2) and r0.ub == pytest.approx(1.0 + z1 * 0.2)
    lo, hi = r.attrs["original"]
    assert r0.lb < lo and r0.ub > hi
    # intervals widen monotonically with Mbar and contain the identified set
    assert (np.diff(r.lb) < 0).all() and (np.diff(r.ub) > 0).all()
    assert (r.lb <= r.id_lb).all() and (r.ub >= r.id_ub).all()


def test_relative_magnitude_breakdown():
    b = np.array([0.05, -0.05, 0.8, 0.9])
    S = np.eye(4) * 0.01
    r = honest_did(b, S, 2, 2)
    bd = r.attrs["breakdown"]
    assert 0 < bd < np.inf
    at = honest_did(b, S, 2, 2, Mbar=[bd * 0.999, bd * 1.001])
    assert at.lb.iloc[0] > 0 and at.lb.iloc[1] < 0
    # an insignificant effect breaks down at 0
    assert honest_did(np.array([0.0, 0.0, 0.1, 0.1]), S, 2, 2).attrs["breakdown"] == 0.0


def test_smoothness_linear_extrapolation_by_hand():
    # a linear pre-trend of slope 0.1 continues: beta_{-2} = -0.2, beta_{-1} = -0.1
    b = np.array([-0.2, -0.1, 0.6, 0.9])
    S = np.diag([0.01, 0.01, 0.02, 0.03])
    r = honest_did(b, S, 2, 2, method="smoothness", M=[0, 0.05], l_vec=[0, 1])
    theta = 0.9 - 2 * 0.1  # extrapolated trend removed: effect at post period 2
    assert r.attrs["theta_hat"] == pytest.approx(theta)
    se = np.sqrt(0.03 + 4 * 0.01)
    r0 = r.set_index("M").loc[0.0]
    z = stats.norm.ppf(0.975)
    assert (r0.lb, r0.ub) == pytest.approx((theta - z * se, theta + z * se))
    # worst-case bias at M for post period 2: K = (2) + (1) = 3
    assert r.attrs["K"] == pytest.approx(3.0)
    r5 = r.set_index("M").loc[0.05]
    assert r5.id_ub - r5.id_lb == pytest.approx(2 * 0.05 * 3)
    assert r5.ub - r5.lb > r0.ub - r0.lb
    bd = r.attrs["breakdown"]
    at = honest_did(b, S, 2, 2, method="smoothness", M=[bd], l_vec=[0, 1])
    assert at.lb.iloc[0] == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("method", ["relative_magnitude", "smoothness"])
def test_coverage_under_worst_case_violation(method):
    # true delta satisfies the restriction with equality (the hardest case); tau_post = 1
    rng = np.random.default_rng(3)
    n_pre, n_post = 3, 3
    if method == "relative_magnitude":
        # pre differences up to 0.1, post differences exactly Mbar * 0.1 in the worst direction
        delta = np.array([-0.2, -0.1, 0.05, 0.1, 0.2, 0.3])  # post: +0.1 each (Mbar = 1)
        grid = dict(Mbar=[1.0])
    else:
        # linear trend 0.1 plus the largest allowed curvature M = 0.05
        t = np.array([-3, -2, -1, 1, 2, 3], float)
        delta = 0.1 * t
        delta[3:] += 0.05 * np.array([1, 3, 6])  # second differences 0.05
        grid = dict(M=[0.05])
    tau = np.concatenate([np.zeros(n_pre), np.ones(n_post)])
    A = rng.normal(size=(6, 6)) * 0.05
    S = A @ A.T + np.eye(6) * 0.01
    L = np.linalg.cholesky(S)
    cover = 0
    reps = 400
    for _ in range(reps):
        b = tau + delta + L @ rng.standard_normal(6)
        r = honest_did(b, S, n_pre, n_post, method=method, n_sim=4000, **grid)
        cover += r.lb.iloc[0] <= 1.0 <= r.ub.iloc[0]
    assert cover / reps >= 0.93


def test_event_study_input_and_errors():
    d = pd.read_csv(FIX / "panel.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        es = sroi.event_study(
            d,
            outcome="y",
            unit="unit",
            time="time",
            cohort="cohort",
            method="sun_abraham",
            window=(-4, 3),
            cluster="school",
        )
        r = honest_did(es)
    assert len(r) == 9 and r.attrs["breakdown"] >= 0
    est0 = es.coefficients.set_index("event_time").loc[0, "estimate"]
    assert r.attrs["theta_hat"] == pytest.approx(est0)
    twfe = sroi.event_study(
        d, outcome="y", unit="unit", time="time", cohort="cohort", window=(-3, 2), cluster="unit"
    )
    with pytest.warns(SroiWarning, match="Sun & Abraham"):
        honest_did(twfe)
    b = np.zeros(4)
    with pytest.raises(SroiInputError, match="n_pre"):
        honest_did(b, np.eye(4), 2, 3)
    with pytest.raises(SroiInputError, match="sigma"):
        honest_did(b, np.eye(3), 2, 2)
    with pytest.raises(SroiInputError, match="method"):
        honest_did(b, np.eye(4), 2, 2, method="box")
    with pytest.raises(SroiInputError, match="l_vec"):
        honest_did(b, np.eye(4), 2, 2, l_vec=[1, 0, 0])


def test_bad_random_state_is_an_input_error_naming_it():
    b = np.array([0.1, 0.3, 1.0, 1.5])
    S = np.diag([0.01, 0.01, 0.04, 0.04])
    with pytest.raises(SroiInputError, match="random_state"):
        honest_did(b, S, 2, 2, random_state="x")
