"""Matched staggered DiD: stacking and clustering logic with stand-in matchers, then the
sample design with sroi.match against the synthetic data's known effects."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError
from sroi.impact.staggered import matched_staggered_did

ROOT = Path(__file__).resolve().parents[2]


def panel(n=300, T=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treated = rng.uniform(size=n) < 0.35
    G = np.where(treated, rng.choice([3, 5], size=n), 0)
    t = np.arange(1, T + 1)
    y0 = rng.normal(size=n)[:, None] + 0.2 * t + 0.5 * rng.normal(size=(n, T))
    y = y0 + np.where((G[:, None] > 0) & (t >= G[:, None]), 1.0, 0.0)
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(t, n),
            "y": y.ravel(),
            "g": np.repeat(G, T),
            "x": np.repeat(x, T),
            "school": np.repeat(np.arange(n) % 20, T),
        }
    )


def keep_all(df, treatment, covariates, random_state=0, **kw):
    """Stand-in matcher: every unit kept with weight 1 (no matching)."""
    d = df.copy()
    d["weights"] = 1.0
    return SimpleNamespace(data=d, seen=df)


KW = dict(outcome="y", unit="id", time="t", cohort="g")


def test_keep_all_matcher_equals_staggered_did():
    """With every pool unit kept, stacking + unit clustering reproduces staggered_did."""
    df = panel()
    m = matched_staggered_did(
        df, covariates=["x"], matcher=keep_all, estimator="unconditional", **KW
    )
    s = sroi.staggered_did(df, estimator="unconditional", **KW)
    np.testing.assert_allclose(m.att_gt["att"], s.att_gt["att"], atol=1e-12)
    np.testing.assert_allclose(m.att_gt["std_error"], s.att_gt["std_error"], rtol=1e-10)
    for kind in ("simple", "group", "dynamic", "calendar"):
        a, b = m.aggregate_effect(kind), s.aggregate_effect(kind)
        assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-10)
    np.testing.assert_allclose(m.aggregate("group").table["att"], s.aggregate("group").table["att"])
    # a comparison unit serves both cohorts: its influence is summed within unit
    assert m.n_units == df["id"].nunique()
    assert m.cluster == "id"


def test_reg_estimator_matches_staggered_reg():
    df = panel(seed=1)
    m = matched_staggered_did(
        df, covariates=["x"], matcher=keep_all, estimator="reg", adjust_for_history=False, **KW
    )
    s = sroi.staggered_did(df, estimator="reg", covariates=["x"], **KW)
    np.testing.assert_allclose(m.att_gt["att"], s.att_gt["att"], atol=1e-10)
    assert m.aggregate_effect("group").std_error == pytest.approx(
        s.aggregate_effect("group").std_error, rel=1e-8
    )


def test_history_adjustment_by_hand():
    """adjust_for_history: each cell after treatment is the regression-adjusted 2x2 with the
    matched lags as regressors (OLS on the comparison units, by hand); cells before
    treatment are those of the regression on the covariates alone."""
    df = panel(seed=4)
    m = matched_staggered_did(df, covariates=["x"], matcher=keep_all, estimator="reg", **KW)
    plain = matched_staggered_did(
        df, covariates=["x"], matcher=keep_all, estimator="reg", adjust_for_history=False, **KW
    )
    wide = df.pivot(index="id", columns="t", values="y")
    units = df.groupby("id")[["g", "x"]].first()
    pre = ~m.att_gt["post"].astype(bool)
    np.testing.assert_allclose(m.att_gt.loc[pre, "att"], plain.att_gt.loc[pre, "att"], atol=1e-12)
    checked = 0
    for _, cell in m.att_gt.loc[~pre].iterrows():
        g, t = int(cell["cohort"]), int(cell["time"])
        keep = units["g"].isin([0, g])
        d = units[keep]
        dy = (wide.loc[keep, t] - wide.loc[keep, g - 1]).to_numpy()
        X = np.column_stack([np.ones(len(d)), d["x"], wide.loc[keep, g - 1], wide.loc[keep, g - 2]])
        c, tr = (d["g"] == 0).to_numpy(), (d["g"] == g).to_numpy()
        beta = np.linalg.lstsq(X[c], dy[c], rcond=None)[0]
        assert cell["att"] == pytest.approx(np.mean(dy[tr] - X[tr] @ beta), abs=1e-10)
        checked += 1
    assert checked == int((~pre).sum()) > 0
    # the lags are informative here (unit effects), so the adjusted effect is more precise
    assert m.aggregate_effect("group").std_error < plain.aggregate_effect("group").std_error


def test_cross_section_uses_reference_period_history():
    df = panel(seed=2)
    seen = {}

    def spy(d, treatment, covariates, random_state=0, **kw):
        seen[int(d.loc[d[treatment] == 1].shape[0])] = (d.copy(), list(covariates))
        return keep_all(d, treatment, covariates)

    matched_staggered_did(df, covariates=["x"], history_periods=2, matcher=spy, **KW)
    wide = df.pivot(index="id", columns="t", values="y")
    G = df.groupby("id")["g"].first()
    for d, covs in seen.values():
        assert covs == ["x", "y_lag1", "y_lag2"]
        g = int(G.loc[d.loc[d["_treated"] == 1, "id"].iloc[0]])
        np.testing.assert_allclose(d["y_lag1"], wide.loc[d["id"], g - 1].to_numpy())
        np.testing.assert_allclose(d["y_lag2"], wide.loc[d["id"], g - 2].to_numpy())
        # pool: never-treated only
        assert set(G.loc[d.loc[d["_treated"] == 0, "id"]]) == {0}


def test_nearest_on_x_matcher_and_counts():
    df = panel(seed=3)

    def nearest(d, treatment, covariates, random_state=0, **kw):
        """1:1 nearest neighbour on x with replacement; the first treated unit unmatched."""
        t = d[d[treatment] == 1]
        c = d[d[treatment] == 0]
        j = np.abs(t["x"].to_numpy()[:, None] - c["x"].to_numpy()[None, :]).argmin(axis=1)
        w = pd.Series(0.0, index=d.index)
        w.loc[t.index[1:]] = 1.0
        np.add.at(w.to_numpy(), d.index.get_indexer(c.index[j[1:]]), 1.0)
        out = d.copy()
        out["weights"] = w.to_numpy()
        return SimpleNamespace(data=out[out["weights"] > 0])

    res = matched_staggered_did(df, covariates=["x"], matcher=nearest, **KW)
    coh = res.cohorts.set_index("cohort")
    n_t = df.groupby("id")["g"].first().value_counts()
    for g in (3, 5):
        assert coh.loc[g, "n_treated"] == n_t[g]
        assert coh.loc[g, "n_matched_treated"] == n_t[g] - 1
    assert any("not matched" in n for n in res.notes)
    eff = res.aggregate_effect("group")
    assert abs(eff.estimate - 1.0) < 4 * eff.std_error
    assert set(res.matches) == {3, 5}
    assert "Matched staggered DiD" in res.summary()


def test_school_clustering_and_pool_column():
    df = panel(seed=4)
    df["eligible"] = (df["school"] < 15).astype(int)
    res = matched_staggered_did(
        df, covariates=["x"], matcher=keep_all, pool="eligible", cluster="school", **KW
    )
    pool_ids = set(df.loc[(df["g"] == 0) & (df["eligible"] == 1), "id"])
    assert res.cohorts["n_pool"].tolist() == [len(pool_ids)] * 2
    assert res.cluster == "school" and res.n_clusters == 20
    ids_pool = res.aggregate_effect("group")
    assert ids_pool.cluster == "school"


def test_bad_inputs():
    df = panel(seed=5)
    with pytest.raises(SroiInputError, match="covariates"):
        matched_staggered_did(df, covariates=[], matcher=keep_all, **KW)
    with pytest.raises(SroiInputError, match="not in the panel"):
        matched_staggered_did(df, covariates=["nope"], matcher=keep_all, **KW)
    with pytest.raises(SroiInputError, match="match_kwargs"):
        matched_staggered_did(
            df, covariates=["x"], matcher=keep_all, match_kwargs={"treatment": "d"}, **KW
        )
    with pytest.raises(SroiInputError, match="never-treated"):
        matched_staggered_did(df[df["g"] > 0], covariates=["x"], matcher=keep_all, **KW)
    with pytest.raises(SroiInputError, match="weights"):
        matched_staggered_did(
            df, covariates=["x"], matcher=lambda d, **k: SimpleNamespace(data=d), **KW
        )


def _sample():
    base = ROOT / "data_samples" / "impact_programmes"
    p = pd.read_csv(base / "panel.csv")
    u = pd.read_csv(base / "pupils.csv")
    df = p.merge(u, on="pupil_id")
    df["pool"] = (df["programme_school"] == 0).astype(int)
    df["social_care"] = df[["child_in_need", "child_protection", "looked_after"]].max(axis=1)
    truth = json.loads((base / "truth.json").read_text())
    return df, truth


# child protection and looked-after are rare and separate treated from pool units in some
# cohorts (sroi.match refuses a propensity model with separation): combined with child in
# need into one social-care indicator here
MATCH_COVS = ["phase", "year_group", "fsm", "idaci_decile", "sen", "social_care"]


@pytest.mark.skipif(
    not (ROOT / "data_samples" / "impact_programmes" / "truth.json").exists(),
    reason="sample data not generated",
)
def test_sample_design_recovers_true_effect_with_sroi_match():
    df, truth = _sample()
    res = matched_staggered_did(
        df,
        outcome="attendance_rate",
        unit="pupil_id",
        time="term",
        cohort="cohort",
        covariates=MATCH_COVS,
        history=["family_stress"],
        pool="pool",
        estimator="reg",
    )
    true = truth["outcomes"]["attendance_rate"]["satt"]["group"]["overall"]
    eff = res.aggregate_effect("group")
    assert abs(eff.estimate - true) < 3 * eff.std_error
    assert set(res.matches) == {4, 6, 8}
    assert hasattr(res.matches[4], "balance")


def test_oracle_on_untreated_outcome_of_synthetic_data():
    """Matched staggered DiD on Y(0) of the enrolled pupils gives an effect near zero."""
    from sroi.data import synthetic

    pupils, pan = synthetic.generate(n_pupils=6000, seed=11, return_potential=True)
    df = pan.merge(pupils, on="pupil_id")
    df["pool"] = (df["programme_school"] == 0).astype(int)
    df["social_care"] = df[["child_in_need", "child_protection", "looked_after"]].max(axis=1)
    res = matched_staggered_did(
        df,
        outcome="attendance_rate_y0",
        unit="pupil_id",
        time="term",
        cohort="cohort",
        covariates=MATCH_COVS,
        history=["family_stress"],
        pool="pool",
    )
    eff = res.aggregate_effect("group")
    print(f"oracle Y(0): {eff.estimate:.5f} (SE {eff.std_error:.5f})")
    assert abs(eff.estimate) < 3 * eff.std_error
    assert abs(eff.estimate) < 0.01  # below the true group effect on attendance (about 0.014)


@pytest.mark.skipif(
    not (ROOT / "data_samples" / "impact_programmes" / "truth.json").exists(),
    reason="sample data not generated",
)
def test_sample_multiple_outcomes_with_adjusted_pvalues():
    """The report's workflow: several outcomes, one primary, Holm for the secondaries."""
    from sroi.impact.inference.multiplicity import adjust_secondary

    df, truth = _sample()
    effects = {}
    for y in ("attendance_rate", "persistent_absence", "suspensions"):
        res = matched_staggered_did(
            df,
            outcome=y,
            unit="pupil_id",
            time="term",
            cohort="cohort",
            covariates=MATCH_COVS,
            history=["family_stress"],
            pool="pool",
            estimator="unconditional",
            matcher=_cached_match(),
        )
        effects[y] = res.aggregate_effect("group")
    tab = adjust_secondary(effects, "attendance_rate")
    assert tab.loc[0, "p_adjusted"] == effects["attendance_rate"].p_value
    assert (tab["p_adjusted"].iloc[1:].to_numpy() >= tab["p_value"].iloc[1:].to_numpy()).all()
    for y, eff in effects.items():
        true = truth["outcomes"][y]["satt"]["group"]["overall"]
        assert abs(eff.estimate - true) < 4 * eff.std_error, y


def _cached_match():
    """sroi.match memoised on the cross-section (the matching does not depend on the outcome
    when the history is family_stress only), to keep the test fast."""
    cache = {}

    def matcher(d, **kw):
        key = (len(d), float(d.iloc[:, 2:].select_dtypes("number").to_numpy().sum()))
        if key not in cache:
            cache[key] = sroi.match(d, **kw)
        return cache[key]

    return matcher


def _recording_matcher(log):
    def matcher(df, treatment, covariates, random_state=0, **kw):
        log.append((df.copy(), list(covariates), kw))
        return keep_all(df, treatment, covariates)

    return matcher


def test_support_restriction_drops_pool_values_no_treated_unit_has():
    """A 0/1 characteristic that no cohort-g treated unit has: those pool units are excluded
    (counted in the notes and the cohort table) and the now-constant column leaves the model;
    a column read only for exact matching reaches the matcher without entering the model."""
    df = panel(seed=2)
    first = df.drop_duplicates("id").set_index("id")
    rng = np.random.default_rng(5)
    flag = pd.Series(0, index=first.index)
    pool_ids = first.index[first["g"] == 0]
    flagged = rng.choice(pool_ids, size=7, replace=False)
    flag[flagged] = 1
    df["looked_after"] = df["id"].map(flag)
    df["phase"] = np.where(df["id"] % 2 == 0, "primary", "secondary")
    log = []
    m = matched_staggered_did(
        df,
        covariates=["x", "looked_after"],
        history=[],
        matcher=_recording_matcher(log),
        match_kwargs={"exact": ["phase"]},
        estimator="unconditional",
        **KW,
    )
    assert len(log) == 2  # cohorts 3 and 5
    for seen, covs, kw in log:
        assert "looked_after" not in covs and covs == ["x"]
        assert "phase" in seen.columns and kw["exact"] == ["phase"]
        assert not set(flagged) & set(seen["id"])
    assert (m.cohorts["n_pool_off_support"] == 7).all()
    assert sum("7 pool unit(s) with looked_after = 1 excluded" in n for n in m.notes) == 2
    # turned off: the flagged units reach the matcher and the column stays in the model
    log.clear()
    matched_staggered_did(
        df,
        covariates=["x", "looked_after"],
        history=[],
        matcher=_recording_matcher(log),
        estimator="unconditional",
        restrict_support=False,
        **KW,
    )
    assert all(set(flagged) <= set(seen["id"]) and "looked_after" in c for seen, c, _ in log)


def test_sample_spec_covariates_run_with_sroi_match():
    """The sample spec's full covariate list (rare looked-after / child-protection flags
    included) runs end to end with sroi.match thanks to the support restriction."""
    from sroi.data.synthetic import load_sample

    pupils, pan = load_sample()
    df = pan.merge(
        pupils[pupils["programme_school"].eq(0) | pupils["enrolled"].eq(1)], on="pupil_id"
    )
    cov = [
        "year_group",
        "sex",
        "fsm",
        "sen",
        "idaci_decile",
        "ethnicity",
        "prior_attainment",
        "child_in_need",
        "child_protection",
        "looked_after",
    ]
    with pytest.warns(sroi.SroiWarning):
        r = matched_staggered_did(
            df,
            outcome="attendance_rate",
            unit="pupil_id",
            time="term",
            cohort="cohort",
            covariates=cov,
            history=["attendance_rate", "family_stress"],
            match_kwargs={"caliper": 0.2, "exact": ["phase"]},
            cluster="school_id",
        )
    truth = json.loads((ROOT / "data_samples/impact_programmes/truth.json").read_text())
    true_group = truth["outcomes"]["attendance_rate"]["satt"]["group"]["overall"]
    eff = r.aggregate_effect("group")
    assert r.cohorts["n_pool_off_support"].sum() > 0
    assert abs(eff.estimate - true_group) < 3 * eff.std_error


def test_multiplier_bootstrap_matches_staggered_did_with_the_same_seed():
    """With every pool unit kept, the bootstrap SEs equal staggered_did's for the same seed
    (same influence functions, same multipliers); n_boot=0 stays analytic."""
    df = panel(seed=3)
    kw = dict(estimator="unconditional", n_boot=499, random_state=11, **KW)
    m = matched_staggered_did(df, covariates=["x"], matcher=keep_all, **kw)
    s = sroi.staggered_did(df, **kw)
    np.testing.assert_allclose(m.att_gt["std_error"], s.att_gt["std_error"], rtol=1e-10)
    assert m.ci_type == s.att_gt.attrs["ci_type"] and "bootstrap" in m.ci_type
    a = matched_staggered_did(df, covariates=["x"], matcher=keep_all, **{**kw, "n_boot": 0})
    assert "bootstrap" not in a.ci_type
    with pytest.raises(SroiInputError, match="n_boot"):
        matched_staggered_did(df, covariates=["x"], matcher=keep_all, **{**kw, "n_boot": -1})


@pytest.mark.parametrize("bad", ["seed", -3, 2.5])
def test_bad_random_state_is_an_input_error_naming_it(bad):
    with pytest.raises(SroiInputError, match="random_state"):
        matched_staggered_did(panel(), covariates=["x"], matcher=keep_all, random_state=bad, **KW)
