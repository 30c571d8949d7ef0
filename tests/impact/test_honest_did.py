"""Tests for honest_did (Rambachan & Roth 2023): hand-computable intervals and identified sets,
breakdown values, coverage by simulation under the worst violation a restriction allows, and
input errors. Parity with the reference implementation: tests/impact/test_honest_parity.py."""

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
from sroi.impact.did.honest_arp import arp_interval, moments
from sroi.impact.did.honest_ci import (
    HonestProblem,
    relative_magnitude_interval,
    smoothness_interval,
)
from sroi.impact.did.honest_delta import post_rows, relative_magnitude_constraints
from sroi.impact.did.honest_flci import folded_normal_quantile

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"
Z975 = stats.norm.ppf(0.975)


def _problem(b, S, n_pre, lv, n_sim=2000, seed=0):
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((n_sim, len(b))) @ np.linalg.cholesky(S).T
    return HonestProblem(
        np.asarray(b), np.asarray(S), n_pre, np.asarray(lv, float), 0.05, draws, 0.005
    )


def test_folded_normal_quantile():
    assert folded_normal_quantile(0.0, 0.05)[0] == pytest.approx(Z975, abs=1e-12)
    q, dq = folded_normal_quantile(1.3, 0.05)
    assert stats.norm.cdf(q - 1.3) - stats.norm.cdf(-q - 1.3) == pytest.approx(0.95, abs=1e-12)
    h = 1e-6
    assert dq == pytest.approx(
        (folded_normal_quantile(1.3 + h, 0.05)[0] - folded_normal_quantile(1.3 - h, 0.05)[0])
        / (2 * h),
        rel=1e-5,
    )


def test_flci_one_pre_period_is_linear_extrapolation_by_hand():
    # one pre-period: v_pre is pinned by "orthogonal to a linear trend", v_pre = sum_t t l_t,
    # so theta_hat = l'b_post + (sum t l_t) b_{-1}; worst-case bias M * sum_r |sum_{t>=r}
    # (t - r + 1) l_t| (here l = (0, 1): 2 + 1 = 3)
    b = np.array([-0.1, 0.6, 0.9])
    S = np.array([[0.01, 0.002, 0.0], [0.002, 0.02, 0.005], [0.0, 0.005, 0.03]])
    r = honest_did(b, S, 1, 2, method="smoothness", M=[0.0, 0.05], l_vec=[0, 1])
    assert r.ci.eq("FLCI").all()
    theta = 0.9 + 2 * (-0.1)
    a = np.array([2.0, 0.0, 1.0])
    se = float(np.sqrt(a @ S @ a))
    r0, r5 = r.iloc[0], r.iloc[1]
    assert (r0.lb, r0.ub) == pytest.approx((theta - Z975 * se, theta + Z975 * se), abs=1e-9)
    cv = folded_normal_quantile(0.05 * 3 / se, 0.05)[0]
    assert (r5.lb, r5.ub) == pytest.approx((theta - cv * se, theta + cv * se), abs=1e-9)
    # identified set at the point estimates: the trend continued, -+ M * 3
    assert (r5.id_lb, r5.id_ub) == pytest.approx((theta - 0.15, theta + 0.15), abs=1e-9)
    bd = r.attrs["breakdown"]
    at = honest_did(b, S, 1, 2, method="smoothness", M=[bd], l_vec=[0, 1])
    assert at.lb.iloc[0] == pytest.approx(0.0, abs=1e-7)


def test_flci_uses_every_pre_period_and_is_never_longer():
    # two pre-periods with a noisy last one: the optimal FLCI leans on the earlier period
    b = np.array([-0.2, -0.1, 0.6, 0.9])
    S = np.diag([0.001, 0.04, 0.02, 0.03])
    opt = honest_did(b, S, 2, 2, method="smoothness", M=[0.0], l_vec=[1, 0]).iloc[0]
    # linear extrapolation from the last pre-period only: v = (0, 1, 1, 0), se from S
    se_lin = float(np.sqrt(0.04 + 0.02))
    assert opt.ub - opt.lb < 2 * Z975 * se_lin
    # M = 0 is the minimum-variance unbiased combination: v_pre solves min v'Sv with
    # -2 v_{-2} - v_{-1} + 1 = 0 -> v = lambda S^{-1} t, closed form
    t = np.array([-2.0, -1.0])
    w = np.linalg.solve(S[:2, :2], t)
    v_pre = -w / (t @ w)  # t'v_pre = -1
    v = np.concatenate([v_pre, [1.0, 0.0]])
    est, se = float(v @ b), float(np.sqrt(v @ S @ v))
    assert (opt.lb, opt.ub) == pytest.approx((est - Z975 * se, est + Z975 * se), abs=1e-8)


def test_relative_magnitudes_mbar_zero_is_the_usual_interval():
    # one post period, Mbar = 0: delta_post = 0, so theta = beta_post is point identified and
    # the conditional test is the two-sided z-test (eta | eta > 0 is half-normal)
    b = np.array([0.05, -0.02, 0.3])
    S = np.array([[0.01, 0.003, 0.002], [0.003, 0.012, 0.004], [0.002, 0.004, 0.02]])
    r = honest_did(b, S, 2, 1, ci="conditional", Mbar=[0.0, 1.0])
    se = np.sqrt(0.02)
    assert (r.lb.iloc[0], r.ub.iloc[0]) == pytest.approx(
        (0.3 - Z975 * se, 0.3 + Z975 * se), abs=1e-9
    )
    assert r.id_lb.iloc[0] == pytest.approx(0.3) and r.id_ub.iloc[0] == pytest.approx(0.3)
    # C-LF with the exact least-favourable value z_{1-kappa/2}: the hybrid's second stage at
    # (alpha - kappa)/(1 - kappa) truncated at it gives z_{1-alpha/2} again
    A, d = relative_magnitude_constraints(2, 1, 0.0, 1, 1)
    keep = post_rows(A, 2)
    m = moments(b, S, 2, np.ones(1), A[keep], d[keep])
    cv = stats.norm.ppf(1 - 0.005 / 2)
    lo, hi = arp_interval(
        m, 0.05, (0.3 - cv * se, 0.3 + cv * se), hybrid="LF", kappa=0.005, lf_cv=cv
    )
    assert (lo, hi) == pytest.approx((0.3 - Z975 * se, 0.3 + Z975 * se), abs=1e-9)


def test_identified_sets_by_hand():
    # pre: beta_{-2}=0.1, beta_{-1}=0.3, (ref 0): first differences 0.2, -0.3 -> D = 0.3
    b = np.array([0.1, 0.3, 1.0, 1.5])
    S = np.diag([0.01, 0.01, 0.04, 0.04])
    r = honest_did(b, S, 2, 2, Mbar=[0, 1, 2])
    assert list(r.ci) == ["C-LF"] * 3
    row = r.set_index("Mbar").loc[1.0]
    assert (row.id_lb, row.id_ub) == pytest.approx((0.7, 1.3))
    # average of the two post periods: |delta_1| <= D, |delta_2| <= 2D -> -+ 1.5 D
    r2 = honest_did(b, S, 2, 2, Mbar=[1], l_vec=[0.5, 0.5])
    assert (r2.id_lb.iloc[0], r2.id_ub.iloc[0]) == pytest.approx((1.25 - 0.45, 1.25 + 0.45))
    # intervals widen with Mbar and contain the identified set
    assert (np.diff(r.lb) < 0).all() and (np.diff(r.ub) > 0).all()
    assert (r.lb <= r.id_lb).all() and (r.ub >= r.id_ub).all()


@pytest.mark.parametrize(
    ("method", "ci"),
    [
        ("relative_magnitude", "C-LF"),
        ("relative_magnitude", "conditional"),
        ("relative_magnitude", "bonferroni"),
        ("smoothness", "FLCI"),
        ("smoothness", "C-LF"),
        ("smoothness", "C-F"),
    ],
)
def test_breakdown_is_where_the_interval_reaches_zero(method, ci):
    b = np.array([0.05, -0.05, 0.8, 0.9])
    S = np.eye(4) * 0.01 + 0.002
    key = "Mbar" if method == "relative_magnitude" else "M"
    r = honest_did(b, S, 2, 2, method=method, ci=ci, n_sim=2000)
    bd = r.attrs["breakdown"]
    assert 0 < bd < np.inf
    at = honest_did(b, S, 2, 2, method=method, ci=ci, n_sim=2000, **{key: [bd * 0.999, bd * 1.001]})
    assert at.lb.iloc[0] > 0 and at.lb.iloc[1] <= 0
    # an insignificant effect breaks down at 0
    r0 = honest_did(np.array([0.0, 0.0, 0.1, 0.1]), S, 2, 2, method=method, ci=ci, n_sim=2000)
    assert r0.attrs["breakdown"] == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["C-LF", "conditional", "FLCI"])
def test_coverage_under_worst_case_violation(ci):
    # the true delta satisfies the restriction with equality; tau_post = 1. 200 draws: the
    # Monte Carlo SE of a 0.95 coverage is 0.015, so 0.91 is about 2.7 SE below nominal
    rng = np.random.default_rng(3)
    n_pre = 2
    if ci == "FLCI":
        t = np.array([-2, -1, 1, 2], float)
        delta = 0.1 * t
        delta[2:] += 0.05 * np.array([1, 3])  # second differences 0.05 at and after 0
        size, fn = 0.05, smoothness_interval
    else:
        delta = np.array([-0.2, -0.1, 0.1, 0.2])  # pre differences 0.1, post differences 0.1
        size, fn = 1.0, relative_magnitude_interval
    A = rng.normal(size=(4, 4)) * 0.05
    S = A @ A.T + np.eye(4) * 0.01
    L = np.linalg.cholesky(S)
    tau = np.array([0, 0, 1.0, 1.0])
    reps, cover = 200, 0
    for _ in range(reps):
        b = tau + delta + L @ rng.standard_normal(4)
        lo, hi = fn(_problem(b, S, n_pre, [1, 0], n_sim=1000), size, ci)
        cover += lo <= 1.0 <= hi
    assert cover / reps >= 0.91


def test_union_over_polyhedra_and_data_contradicting_the_restriction():
    # Mbar = 0 and two post periods: the union's polyhedra share their post moments
    b = np.array([0.0, 0.01, 0.5, 0.52])
    S = np.eye(4) * 0.001
    p = _problem(b, S, 2, [1, 0])
    lo, hi = relative_magnitude_interval(p, 0.0, "conditional")
    assert lo < 0.5 < hi and hi - lo < 2 * 3 * np.sqrt(0.001)
    # smoothness with M = 0 and a sharply broken pre-trend (one post period: the
    # pre-period second differences are tested too, as HonestDiD): every value is rejected
    b2 = np.array([0.0, 1.0, 0.0, 0.0])
    S2 = np.eye(4) * 1e-4
    r = honest_did(b2, S2, 3, 1, method="smoothness", ci="conditional", M=[0.0])
    assert np.isnan(r.lb.iloc[0]) and np.isnan(r.ub.iloc[0])


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
        r = honest_did(es, n_sim=2000)
    assert len(r) == 9 and r.attrs["breakdown"] >= 0
    est0 = es.coefficients.set_index("event_time").loc[0, "estimate"]
    assert r.attrs["theta_hat"] == pytest.approx(est0)
    twfe = sroi.event_study(
        d, outcome="y", unit="unit", time="time", cohort="cohort", window=(-3, 2), cluster="unit"
    )
    with pytest.warns(SroiWarning, match="Sun & Abraham"):
        honest_did(twfe, method="smoothness")


def test_input_errors_name_the_problem():
    b = np.zeros(4)
    S = np.eye(4)
    with pytest.raises(SroiInputError, match="n_pre"):
        honest_did(b, S, 2, 3)
    with pytest.raises(SroiInputError, match="sigma"):
        honest_did(b, np.eye(3), 2, 2)
    with pytest.raises(SroiInputError, match="method"):
        honest_did(b, S, 2, 2, method="box")
    with pytest.raises(SroiInputError, match="ci"):
        honest_did(b, S, 2, 2, ci="ARP")
    with pytest.raises(SroiInputError, match="ci"):
        honest_did(b, S, 2, 2, ci="FLCI")  # FLCI is for smoothness only
    with pytest.raises(SroiInputError, match="ci"):
        honest_did(b, S, 2, 2, method="smoothness", ci="bonferroni")
    with pytest.raises(SroiInputError, match="l_vec"):
        honest_did(b, S, 2, 2, l_vec=[1, 0, 0])
    with pytest.raises(SroiInputError, match="positive semi-definite"):
        honest_did(b, np.diag([1.0, 1.0, -0.5, 1.0]), 2, 2)
    with pytest.raises(SroiInputError, match="symmetric"):
        honest_did(b, S + np.triu(np.ones((4, 4)), 1) * 0.1, 2, 2)
    with pytest.raises(SroiInputError, match="Mbar"):
        honest_did(b, S, 2, 2, Mbar=[-1])
    with pytest.raises(SroiInputError, match="random_state"):
        honest_did(b, S, 2, 2, random_state="x")
