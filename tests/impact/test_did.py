"""Tests for sroi.did: hand-computable 2x2, parity with R clubSandwich (CR2) and pyfixest
(TWFE, CR1), few-cluster warnings and bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError, SroiWarning

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"{name}.csv")


def run(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        return sroi.did(df, outcome="y", unit="unit", time="time", cohort="cohort", **kw)


# --------------------------------------------------------------------------- hand cases


def test_2x2_equals_difference_of_four_means():
    rng = np.random.default_rng(1)
    n = 40
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), 2),
            "time": np.tile([1, 2], n),
            "cohort": np.repeat(np.where(np.arange(n) < 15, 2, 0), 2),
            "y": rng.normal(size=2 * n),
        }
    )
    m = df.groupby([df.cohort > 0, "time"]).y.mean()
    hand = (m[(True, 2)] - m[(True, 1)]) - (m[(False, 2)] - m[(False, 1)])
    e2 = run(df, design="2x2")
    et = run(df)  # with two periods TWFE equals the 2x2
    assert e2.estimate == pytest.approx(hand, abs=1e-12)
    assert et.estimate == pytest.approx(hand, abs=1e-12)
    assert e2.n_treated == 15 and e2.n_control == 25
    # balanced two-period panel: 2x2 regression clustered by unit has the same SE as the
    # TWFE except for the degrees-of-freedom factor (n-1)/(n-k): k = 4 vs k = 2
    ratio = np.sqrt(((2 * n - 1) / (2 * n - 4)) / ((2 * n - 1) / (2 * n - 2)))
    assert e2.std_error == pytest.approx(et.std_error * ratio, rel=1e-10)


def test_2x2_tiny_exact_numbers():
    # treated: 1 -> 4 (units a, b: 1->4, 3->6); control: 2 -> 3, 4 -> 5 ; effect = 3 - 1 = 2
    df = pd.DataFrame(
        {
            "unit": list("aabbccdd"),
            "time": [1, 2] * 4,
            "cohort": [2, 2, 2, 2, 0, 0, 0, 0],
            "y": [1.0, 4.0, 3.0, 6.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    e = run(df, design="2x2")
    assert e.estimate == pytest.approx(2.0, abs=1e-12)
    assert e.std_error == pytest.approx(0.0, abs=1e-10)


def test_2x2_repeated_cross_section_with_post_column():
    rng = np.random.default_rng(3)
    n = 400
    g = rng.integers(0, 2, n)
    p = rng.integers(0, 2, n)
    y = 1 + 0.5 * g + 0.3 * p + 2.0 * g * p + rng.normal(size=n)
    df = pd.DataFrame({"g": g, "post": p, "time": 1 + p, "y": y})
    e = sroi.did(df, outcome="y", unit=None, time="time", treatment="g", post="post", design="2x2")
    m = df.groupby(["g", "post"]).y.mean()
    assert e.estimate == pytest.approx((m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0]), abs=1e-12)
    assert e.cluster is None and "HC1" in e.ci_type
    # HC1 by hand via statsmodels
    import statsmodels.api as sm

    X = sm.add_constant(np.column_stack([g * p, g, p]))
    ref = sm.OLS(y, X).fit(cov_type="HC1")
    # our rows-as-clusters CR1 adds G/(G-1) and uses (n-1)/(n-k) instead of n/(n-k)
    assert e.std_error == pytest.approx(ref.bse[1], rel=1e-10)


# --------------------------------------------------------------------------- parity


CR2_CASES = {
    # case: (reference row, did arguments)
    "school": ("school", dict(cluster="school")),
    "unit": ("unit", dict()),
    "school_cov": ("school_cov", dict(cluster="school", covariates=["x"])),
    # unit-level weights (as from matching): working model Phi = I, clubSandwich's default
    "school_weighted": ("school_weighted_identity", dict(cluster="school", weights="w")),
    "school_wschool": ("school_wschool_identity", dict(cluster="school", weights="ws")),
}


@pytest.mark.parametrize("panel", ["panel", "panel_unbalanced"])
@pytest.mark.parametrize("case", list(CR2_CASES))
def test_cr2_parity_with_clubsandwich(panel, case):
    ref_case, kw = CR2_CASES[case]
    ref = pd.read_csv(FIX / "cr2_reference.csv").set_index("case").loc[f"{panel}_{ref_case}"]
    d = load(panel)
    d["ws"] = 0.5 + (d.school % 5) / 4
    e = run(d, vcov="CR2", **kw)
    assert e.estimate == pytest.approx(ref.estimate, abs=1e-10)
    assert e.std_error == pytest.approx(ref.se_cr2, rel=1e-8)
    assert e.extra["df"] == pytest.approx(ref.df_cr2, rel=1e-8)
    assert e.p_value == pytest.approx(ref.p_cr2, rel=1e-6)
    assert e.ci_type.startswith("CR2")


def test_cr2_weights_varying_within_units_use_inverse_weight_model():
    d = load("panel")
    rng = np.random.default_rng(0)
    d["wv"] = rng.uniform(0.5, 2, len(d))
    e = run(d, vcov="CR2", cluster="school", weights="wv")
    assert any("Phi = W^-1" in n for n in e.notes)
    assert np.isfinite(e.std_error) and e.extra["df"] > 1


@pytest.mark.parametrize("panel", ["panel", "panel_unbalanced"])
def test_2x2_cr2_parity(panel):
    ref = pd.read_csv(FIX / "cr2_reference.csv").set_index("case").loc[f"{panel}_2x2_school"]
    d = load(panel)
    d = d[d.cohort.isin([0, 3])]
    e = run(d, design="2x2", vcov="CR2", cluster="school")
    assert e.estimate == pytest.approx(ref.estimate, abs=1e-10)
    assert e.std_error == pytest.approx(ref.se_cr2, rel=1e-8)
    assert e.extra["df"] == pytest.approx(ref.df_cr2, rel=1e-8)
    e1 = run(d, design="2x2", cluster="school")
    assert e1.std_error == pytest.approx(ref.se_cr1_sandwich_hc1, rel=1e-8)


PF_CASES = {
    "unit": dict(),
    "school": dict(cluster="school"),
    "school_weighted": dict(cluster="school", weights="w"),
    "school_cov": dict(cluster="school", covariates=["x"]),
    "school_time": dict(cluster=["school", "time"]),
}


@pytest.mark.parametrize("panel", ["panel", "panel_unbalanced"])
@pytest.mark.parametrize("case", list(PF_CASES))
def test_twfe_parity_with_pyfixest(panel, case):
    ref = pd.read_csv(FIX / "pyfixest_reference.csv")
    ref = ref[(ref.case == f"{panel}_{case}") & (ref.coef == "D")].iloc[0]
    e = run(load(panel), **PF_CASES[case])
    assert e.estimate == pytest.approx(ref.estimate, abs=1e-10)
    n = e.extra["n_obs"]
    k = len(e.extra["coefficients"])
    if case == "school_time":
        # pyfixest counts no nested fixed effect with two-way clustering (k = #coefs + 1)
        k_pf = k - e.extra["n_periods"] + 2
    else:
        # pyfixest k_fixef="nonnested" counts all T period effects; sroi counts T-1 dummies
        k_pf = k + 1
    factor = np.sqrt((n - k) / (n - k_pf))
    assert e.std_error * factor == pytest.approx(ref.std_error, rel=1e-8)


def test_engines_agree():
    d = load("panel_unbalanced")
    a = run(d, weights="w", covariates=["x"], cluster="school", engine="linearmodels")
    b = run(d, weights="w", covariates=["x"], cluster="school", engine="within")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-10)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-10)
    assert "PanelOLS" in a.method and "within" in b.method


def test_twfe_equals_linearmodels_and_lsdv():
    d = load("panel_unbalanced")
    e = run(d, weights="w", covariates=["x"], engine="linearmodels")
    first = d.groupby("unit").time.transform("min")
    d = d[~((d.cohort > 0) & (d.cohort <= first))]
    X = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=True).to_numpy(float)
    X = np.column_stack([np.ones(len(d)), d.D, d.x, X])
    w = np.sqrt(d.w.to_numpy())
    beta = np.linalg.lstsq(X * w[:, None], d.y.to_numpy() * w, rcond=None)[0]
    assert e.estimate == pytest.approx(beta[1], abs=1e-9)


# --------------------------------------------------------------------------- metadata


def test_effect_records_clusters_and_warns_below_ten_treated_clusters():
    d = load("panel")
    d = d[d.cohort.isin([0, 3])]  # 7 treated schools
    with pytest.warns(SroiWarning, match="treated clusters"):
        e = sroi.did(d, outcome="y", unit="unit", time="time", cohort="cohort", cluster="school")
    assert e.cluster == "school"
    assert e.n_clusters == d.school.nunique()
    assert e.n_treated_clusters == d.loc[d.D == 1, "school"].nunique() < 10
    assert e.ci_type.startswith("cluster-robust CR1")
    assert any("treated clusters" in n for n in e.notes)
    assert e.n_treated == d.loc[d.cohort > 0, "unit"].nunique()


def test_wild_bootstrap_reproducible_and_reasonable():
    d = load("panel")
    a = run(d, cluster="school", vcov="wild", n_boot=399, random_state=5)
    b = run(d, cluster="school", vcov="wild", n_boot=399, random_state=5)
    assert (a.p_value, a.ci_low, a.ci_high) == (b.p_value, b.ci_low, b.ci_high)
    assert a.ci_low < a.estimate < a.ci_high
    assert "wild" in a.ci_type
    cr2 = run(d, cluster="school", vcov="CR2")
    # the bootstrap interval is of similar width to the CR2 interval
    assert 0.5 < (a.ci_high - a.ci_low) / (cr2.ci_high - cr2.ci_low) < 2.0


def test_treatment_indicator_equivalent_to_cohort():
    d = load("panel_unbalanced")
    e1 = run(d)
    e2 = sroi.did(d, outcome="y", unit="unit", time="time", treatment="D")
    assert e1.estimate == pytest.approx(e2.estimate, abs=1e-12)


def test_2x2_panel_with_group_column_and_json_ready():
    import json

    d = load("panel")
    d = d[d.cohort.isin([0, 3])].assign(G=lambda x: (x.cohort > 0).astype(int))
    a = sroi.did(d, outcome="y", unit="unit", time="time", treatment="G", post=3, design="2x2")
    b = run(d, design="2x2")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-12)
    assert a.extra["cell_counts"]["G1_P1"] == int(((d.G == 1) & (d.time >= 3)).sum())
    for e in (a, run(d, vcov="wild", cluster="school", n_boot=199, random_state=1)):
        json.dumps(e.to_dict(), allow_nan=False)


def test_missing_and_zero_weight_rows_are_counted():
    d = load("panel").copy()
    d.loc[[0, 5, 9], "y"] = np.nan
    d.loc[[20, 21], "w"] = 0.0
    e = run(d, weights="w")
    assert e.extra["exclusions"]["missing y"] == 3
    assert e.extra["exclusions"]["zero weight in w"] == 2
    assert any("3 rows excluded: missing y" in n for n in e.notes)
    assert e.extra["n_obs"] == len(d) - 5


def test_time_invariant_covariate_absorbed_and_noted():
    d = load("panel").copy()
    d["z"] = d.unit % 3
    e = run(d, covariates=["z"])
    assert e.estimate == pytest.approx(run(d).estimate, abs=1e-10)
    assert any("absorbed" in n for n in e.notes)


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_clear_errors():
    d = load("panel")
    with pytest.raises(SroiInputError, match="not a column"):
        sroi.did(d, outcome="nope", unit="unit", time="time", cohort="cohort")
    dup = pd.concat([d, d.iloc[[3]]])
    with pytest.raises(SroiInputError, match="duplicated"):
        run(dup)
    bad = d.assign(time=d.time + 0.5)
    with pytest.raises(SroiInputError, match="whole-number"):
        run(bad)
    bad = d.assign(cohort=np.where(d.cohort == 3, 3.5, d.cohort))
    with pytest.raises(SroiInputError, match="whole-number"):
        run(bad)
    off = d.assign(D=np.where((d.unit == d.loc[d.D == 1, "unit"].iloc[0]) & (d.time == 6), 0, d.D))
    with pytest.raises(SroiInputError, match="switches off"):
        sroi.did(off, outcome="y", unit="unit", time="time", treatment="D")
    with pytest.raises(SroiInputError, match="vcov"):
        run(d, vcov="HC9")
    with pytest.raises(SroiInputError, match="constant within"):
        run(d.assign(cohort=np.where(d.index == 0, 7 - d.cohort.iloc[0] % 4, d.cohort)))
    with pytest.raises(SroiInputError, match="one cluster variable"):
        run(d, cluster=["school", "time"], vcov="CR2")
    with pytest.raises(SroiInputError, match="post="):
        run(d, design="2x2")
    with pytest.raises(SroiInputError, match="nested"):
        run(d, cluster="time", vcov="CR2")


def test_first_period_treated_units_excluded_and_counted():
    d = load("panel").copy()
    d.loc[d.unit == 1, "cohort"] = 1
    e = run(d)
    assert e.extra["exclusions"]["treated from the first observed period (no pre-period)"] == 6


@pytest.mark.parametrize("vcov", ["cluster", "wild"])
@pytest.mark.parametrize("bad", ["x", -1, 0.5])
def test_bad_random_state_is_an_input_error_naming_it(vcov, bad):
    with pytest.raises(SroiInputError, match="random_state"):
        run(load("panel"), cluster="school", vcov=vcov, n_boot=199, random_state=bad)
