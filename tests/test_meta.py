"""Meta-analysis (sroi.meta): hand-computable cases, parity with R metafor, simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi import SroiInputError
from sroi.meta import estimate_tau2, meta_analysis
from sroi.meta.model import leave_one_out

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
STUDIES = pd.read_csv(FIXTURES / "studies.csv")
REFERENCE = pd.read_csv(FIXTURES / "metafor_reference.csv")
LEAVE1OUT = pd.read_csv(FIXTURES / "metafor_leave1out.csv")


def _set(name: str) -> pd.DataFrame:
    return STUDIES[STUDIES["set"] == name]


# ---- hand-computable -------------------------------------------------------------------------
def test_fixed_effect_by_hand():
    # y = (1, 3), se = (1, 1): inverse-variance mean 2, SE sqrt(1/2), Q = 2
    r = meta_analysis([1.0, 3.0], [1.0, 1.0], method="FE", test="z")
    assert r.estimate == pytest.approx(2.0)
    assert r.std_error == pytest.approx(np.sqrt(0.5))
    assert r.q == pytest.approx(2.0)
    assert r.q_df == 1
    assert r.i2 == pytest.approx(50.0)  # (Q - df) / Q
    assert r.weights == pytest.approx((50.0, 50.0))
    assert r.fixed_effect is None


def test_dersimonian_laird_by_hand():
    # equal variances v: tau2_DL = max(0, (Q - (k-1)) / (k/v - k/v/k... )) = s^2_y - v
    y = np.array([0.0, 1.0, 2.0, 3.0])
    v = np.full(4, 0.25)
    # Q = sum (y - 1.5)^2 / v = 5 / 0.25 = 20; c = 16 - 64/16 = 12; tau2 = (20 - 3) / 12
    assert estimate_tau2(y, v, "DL") == pytest.approx(17 / 12)
    # with equal variances every estimator's tau2 equals var(y) - v (REML, PM too)
    assert estimate_tau2(y, v, "PM") == pytest.approx(np.var(y, ddof=1) - 0.25)
    assert estimate_tau2(y, v, "REML") == pytest.approx(np.var(y, ddof=1) - 0.25)


def test_homogeneous_places_give_zero_tau2_and_equal_fe():
    r = meta_analysis([0.1, 0.1, 0.1], [0.05, 0.1, 0.2], test="z")
    assert r.tau2 == 0.0
    assert r.estimate == pytest.approx(r.fixed_effect.estimate)
    assert r.pi_low == pytest.approx(r.ci_low)


# ---- parity with R metafor -----------------------------------------------------------------
@pytest.mark.parametrize(
    "row", [r for _, r in REFERENCE.iterrows()], ids=lambda r: f"{r.set}-{r.method}-{r.test}"
)
def test_parity_with_metafor(row):
    d = _set(row["set"])
    r = meta_analysis(d["yi"], d["sei"], list(d["place"]), method=row["method"], test=row["test"])
    tol = 1e-6
    for ours, theirs in [
        (r.estimate, row["estimate"]),
        (r.std_error, row["se"]),
        (r.statistic, row["stat"]),
        (r.p_value, row["pval"]),
        (r.ci_low, row["ci_lb"]),
        (r.ci_high, row["ci_ub"]),
        (r.tau2, row["tau2"]),
        (r.pi_low, row["pi_lb"]),
        (r.pi_high, row["pi_ub"]),
        (r.q, row["QE"]),
        (r.q_p, row["QEp"]),
        (r.weights[0], row["weight_1"]),
    ]:
        assert ours == pytest.approx(theirs, rel=tol, abs=tol)
    assert r.i2 == pytest.approx(row["I2"], rel=1e-6, abs=1e-6)
    assert r.h2 == pytest.approx(row["H2"], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", sorted(LEAVE1OUT["set"].unique()))
def test_leave_one_out_parity_with_metafor(name):
    d = _set(name)
    ref = LEAVE1OUT[LEAVE1OUT["set"] == name].reset_index(drop=True)
    r = meta_analysis(d["yi"], d["sei"], list(d["place"]), method="REML", test="knha")
    ours = leave_one_out(r)
    assert list(ours["left_out"]) == list(ref["left_out"])
    for a, b in [
        ("estimate", "estimate"),
        ("std_error", "se"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("p_value", "pval"),
        ("tau2", "tau2"),
        ("i2", "I2"),
        ("q", "QE"),
        ("q_p", "QEp"),
    ]:
        np.testing.assert_allclose(ours[a], ref[b], rtol=1e-6, atol=1e-6)


def test_auto_test_switches_to_z_at_ten_places():
    small, large = _set("k8_wide_se"), _set("k10")
    assert meta_analysis(small["yi"], small["sei"]).test == "knha"
    assert meta_analysis(large["yi"], large["sei"]).test == "z"


# ---- simulation with a known truth ---------------------------------------------------------
@pytest.mark.parametrize(("method", "test"), [("REML", "knha"), ("DL", "knha"), ("PM", "knha")])
def test_simulation_bias_and_coverage_with_seven_places(method, test):
    # 7 places, true mean 0.02, tau 0.01, standard errors 0.004 to 0.012: HKSJ intervals
    # should cover at about the nominal 95%. 2000 replications: Monte Carlo SE of the
    # coverage about 0.005, of the mean about 0.0001.
    rng = np.random.default_rng(11)
    reps, k, mu, tau = 2000, 7, 0.02, 0.01
    se = rng.uniform(0.004, 0.012, (reps, k))
    y = mu + rng.normal(0, tau, (reps, k)) + rng.normal(0, 1, (reps, k)) * se
    est = np.empty(reps)
    cover = np.empty(reps, dtype=bool)
    for i in range(reps):
        r = meta_analysis(y[i], se[i], method=method, test=test)
        est[i] = r.estimate
        cover[i] = r.ci_low <= mu <= r.ci_high
    mc_se_mean = est.std(ddof=1) / np.sqrt(reps)
    assert abs(est.mean() - mu) < 4 * mc_se_mean
    assert abs(cover.mean() - 0.95) < 4 * np.sqrt(0.95 * 0.05 / reps)


# ---- input errors -----------------------------------------------------------------------------
def test_input_errors_name_the_place_and_value():
    with pytest.raises(SroiInputError, match="at least 2 places"):
        meta_analysis([0.1], [0.1])
    with pytest.raises(
        SroiInputError, match=r"std_error must be a positive finite number; got Leeds \(0.0\)"
    ):
        meta_analysis([0.1, 0.2], [0.1, 0.0], ["York", "Leeds"])
    with pytest.raises(SroiInputError, match="estimate is missing or infinite for York"):
        meta_analysis([np.nan, 0.2], [0.1, 0.1], ["York", "Leeds"])
    with pytest.raises(SroiInputError, match="method must be one of"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], method="HS")
    with pytest.raises(SroiInputError, match="one value per place"):
        meta_analysis([0.1, 0.2], [0.1])
    with pytest.raises(SroiInputError, match="exactly the same estimate"):
        meta_analysis([0.1, 0.1, 0.1], [0.1, 0.2, 0.1], test="knha")
    assert meta_analysis([0.1, 0.1, 0.1], [0.1, 0.2, 0.1], test="adhoc").std_error > 0
    with pytest.raises(SroiInputError, match="leave-one-out needs at least 3"):
        leave_one_out(meta_analysis([0.1, 0.2], [0.1, 0.15]))
