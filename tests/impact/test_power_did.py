"""Tests for the panel DiD minimum detectable effect (Burlig, Preonas & Woerman 2020)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sroi.errors import SroiInputError
from sroi.impact.did.power import ar1_covariance, estimate_error_covariance, mdes_panel

Z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)


def test_independent_errors_by_hand():
    r = mdes_panel(200, 4, 2, 0.25, sigma2=2.0, rho=0.0)
    var_unit = 2.0 * (1 / 4 + 1 / 2)
    assert r.var_unit == pytest.approx(var_unit)
    assert r.mdes == pytest.approx(Z * np.sqrt(var_unit / (0.25 * 0.75 * 200)))
    assert r.mdes == pytest.approx(r.naive_mdes)


def test_bpw_formula_components():
    # equicorrelated-within-block covariance: the BPW closed form equals a'Sigma a
    m, r = 3, 4
    S = ar1_covariance(m + r, 1.5, 0.6)
    res = mdes_panel(100, m, r, 0.5, cov=S)
    bpw = (
        ((m + r) / (m * r)) * res.sigma2
        + (m - 1) / m * res.psi_pre
        + (r - 1) / r * res.psi_post
        - 2 * res.psi_cross
    )
    assert res.var_unit == pytest.approx(bpw, rel=1e-12)
    # moderate positive autocorrelation raises the MDE above the naive i.i.d. formula
    # (pre and post means are each noisier); negative autocorrelation lowers it
    assert res.mdes > res.naive_mdes
    assert mdes_panel(100, m, r, 0.5, cov=ar1_covariance(m + r, 1.5, -0.5)).mdes < res.naive_mdes
    # t critical values widen the MDE
    assert mdes_panel(100, m, r, 0.5, cov=S, df=10).mdes > res.mdes


def test_unit_random_effect_cancels():
    S = ar1_covariance(6, 1.0, 0.3)
    a = mdes_panel(50, 3, 3, cov=S)
    b = mdes_panel(50, 3, 3, cov=S + 4.0)  # add a unit effect with variance 4
    assert a.mdes == pytest.approx(b.mdes, rel=1e-12)


def simulate_power(effect, J, m, r, P, sigma2, rho, reps, rng):
    T = m + r
    L = np.linalg.cholesky(ar1_covariance(T, sigma2, rho))
    n_t = int(round(P * J))
    rej = 0
    for _ in range(reps):
        e = rng.standard_normal((J, T)) @ L.T + rng.normal(size=(J, 1)) * 2  # unit effects
        e[:n_t, m:] += effect
        diff = e[:, m:].mean(axis=1) - e[:, :m].mean(axis=1)
        res = stats.ttest_ind(diff[:n_t], diff[n_t:])
        rej += res.pvalue < 0.05
    return rej / reps


@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_simulated_power_at_the_mdes_is_about_80_percent(rho):
    rng = np.random.default_rng(2020)
    J, m, r, P = 120, 4, 3, 0.5
    res = mdes_panel(J, m, r, P, sigma2=1.0, rho=rho, df=J - 2)
    pw = simulate_power(res.mdes, J, m, r, P, 1.0, rho, 600, rng)
    assert 0.74 <= pw <= 0.86, pw


def test_naive_formula_misstates_power_under_serial_correlation():
    # with positive autocorrelation the naive MDE is too small: a study sized with it is
    # under-powered (Burlig, Preonas & Woerman 2020)
    rng = np.random.default_rng(1)
    J, m, r = 120, 4, 4
    res = mdes_panel(J, m, r, 0.5, sigma2=1.0, rho=0.5, df=J - 2)
    assert res.naive_mdes < res.mdes
    pw_naive = simulate_power(res.naive_mdes, J, m, r, 0.5, 1.0, 0.5, 600, rng)
    assert pw_naive < 0.72


def test_estimate_error_covariance_recovers_ar1():
    rng = np.random.default_rng(4)
    J, T = 4000, 6
    S = ar1_covariance(T, 1.0, 0.5)
    e = rng.standard_normal((J, T)) @ np.linalg.cholesky(S).T + rng.normal(size=(J, 1))
    e += np.linspace(0, 1, T)  # period effects
    df = pd.DataFrame(
        {"u": np.repeat(np.arange(J), T), "t": np.tile(np.arange(T), J), "y": e.ravel()}
    )
    Sh = estimate_error_covariance(df, outcome="y", unit="u", time="t")
    a = mdes_panel(J, 3, 3, cov=S)
    b = mdes_panel(J, 3, 3, cov=Sh)
    assert b.var_unit == pytest.approx(a.var_unit, rel=0.05)
    with pytest.raises(SroiInputError, match="balanced"):
        estimate_error_covariance(df.iloc[1:], outcome="y", unit="u", time="t")


def test_bad_input():
    with pytest.raises(SroiInputError, match="treated_share"):
        mdes_panel(10, 2, 2, 1.2, sigma2=1)
    with pytest.raises(SroiInputError, match="cov"):
        mdes_panel(10, 2, 2, cov=np.eye(3))
    with pytest.raises(SroiInputError, match="sigma2"):
        mdes_panel(10, 2, 2)
    with pytest.raises(SroiInputError, match="rho"):
        mdes_panel(10, 2, 2, sigma2=1, rho=1.0)
    with pytest.raises(SroiInputError, match="n_pre"):
        mdes_panel(10, 0, 2, sigma2=1)
