"""sroi.staggered_did: hand-computable cases, inputs, exclusions, aggregation logic, oracle."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning


def tiny_panel() -> pd.DataFrame:
    """3 periods; cohort 2 (units 1, 2), cohort 3 (units 3, 4), never treated (5, 6, 7)."""
    y = {
        1: [1.0, 3.0, 4.0],
        2: [2.0, 5.0, 7.0],
        3: [0.0, 1.0, 5.0],
        4: [1.0, 1.5, 4.5],
        5: [0.0, 1.0, 1.5],
        6: [1.0, 1.5, 3.0],
        7: [2.0, 3.5, 4.0],
    }
    g = {1: 2, 2: 2, 3: 3, 4: 3, 5: 0, 6: 0, 7: 0}
    rows = [(u, t + 1, v, g[u]) for u, ys in y.items() for t, v in enumerate(ys)]
    return pd.DataFrame(rows, columns=["id", "t", "y", "g"])


def _wide(df):
    return df.pivot(index="id", columns="t", values="y")


def _dmean(W, units, a, b):
    return float((W.loc[units, a] - W.loc[units, b]).mean())


TREAT2, TREAT3, NEVER = [1, 2], [3, 4], [5, 6, 7]


def _fit(df=None, **kw):
    df = tiny_panel() if df is None else df
    return sroi.staggered_did(df, outcome="y", unit="id", time="t", cohort="g", **kw)


def test_att_gt_is_difference_of_mean_changes_never_treated():
    W = _wide(tiny_panel())
    res = _fit()
    a = res.att_gt.set_index(["cohort", "time"])["att"]
    # post cells use base g-1; pre cells compare consecutive periods (varying base)
    assert a[(2, 2)] == pytest.approx(_dmean(W, TREAT2, 2, 1) - _dmean(W, NEVER, 2, 1))
    assert a[(2, 3)] == pytest.approx(_dmean(W, TREAT2, 3, 1) - _dmean(W, NEVER, 3, 1))
    assert a[(3, 2)] == pytest.approx(_dmean(W, TREAT3, 2, 1) - _dmean(W, NEVER, 2, 1))
    assert a[(3, 3)] == pytest.approx(_dmean(W, TREAT3, 3, 2) - _dmean(W, NEVER, 3, 2))
    assert list(res.att_gt.columns[:9]) == [
        "cohort",
        "time",
        "att",
        "std_error",
        "ci_low",
        "ci_high",
        "event_time",
        "n_treated",
        "n_control",
    ]
    assert res.att_gt["event_time"].tolist() == [0, 1, -1, 0]
    assert res.att_gt.attrs["ci_type"] == "analytic pointwise"


def test_not_yet_treated_controls_include_later_cohorts():
    W = _wide(tiny_panel())
    res = _fit(control_group="not_yet_treated")
    a = res.att_gt.set_index(["cohort", "time"])
    # ATT(2,2): cohort 3 is not yet treated at t=2
    assert a.loc[(2, 2), "att"] == pytest.approx(
        _dmean(W, TREAT2, 2, 1) - _dmean(W, TREAT3 + NEVER, 2, 1)
    )
    assert a.loc[(2, 2), "n_control"] == 5
    # ATT(2,3): cohort 3 is treated at t=3, only never-treated remain
    assert a.loc[(2, 3), "att"] == pytest.approx(_dmean(W, TREAT2, 3, 1) - _dmean(W, NEVER, 3, 1))
    assert a.loc[(2, 3), "n_control"] == 3


def test_universal_base_period():
    W = _wide(tiny_panel())
    res = _fit(base_period="universal")
    a = res.att_gt.set_index(["cohort", "time"])
    assert a.loc[(3, 2), "att"] == 0.0 and np.isnan(a.loc[(3, 2), "std_error"])
    # pre cell (3,1) is Y1 - Y2 against the reference period 2
    assert a.loc[(3, 1), "att"] == pytest.approx(_dmean(W, TREAT3, 1, 2) - _dmean(W, NEVER, 1, 2))
    assert a.loc[(2, 1), "att"] == 0.0


def test_analytic_se_single_cell_by_hand():
    W = _wide(tiny_panel())
    res = _fit()
    dt = (W.loc[TREAT2, 2] - W.loc[TREAT2, 1]).to_numpy()
    dc = (W.loc[NEVER, 2] - W.loc[NEVER, 1]).to_numpy()
    se = np.sqrt(dt.var() / len(dt) + dc.var() / len(dc))  # population variances
    assert res.att_gt.loc[0, "std_error"] == pytest.approx(se)
    z = 1.959963984540054
    assert res.att_gt.loc[0, "ci_high"] == pytest.approx(res.att_gt.loc[0, "att"] + z * se)


def test_group_and_simple_aggregation_by_hand():
    res = _fit()
    a = res.att_gt.set_index(["cohort", "time"])["att"]
    grp = res.aggregate("group").table
    assert grp["cohort"].tolist() == [2, 3]
    theta2 = (a[(2, 2)] + a[(2, 3)]) / 2
    assert grp["att"].tolist() == pytest.approx([theta2, a[(3, 3)]])
    overall = res.aggregate_effect("group")
    assert isinstance(overall, Effect)
    assert overall.estimate == pytest.approx(0.5 * theta2 + 0.5 * a[(3, 3)])
    assert res.aggregate("group").overall.estimate == overall.estimate
    simple = res.aggregate("simple").overall
    assert isinstance(simple, Effect)
    assert simple.estimate == pytest.approx((a[(2, 2)] + a[(2, 3)] + a[(3, 3)]) / 3)
    assert any("over-weights" in n or "more weight" in n for n in simple.notes)
    dyn = res.aggregate("dynamic").table
    assert dyn["event_time"].tolist() == [-1, 0, 1]
    assert dyn.set_index("event_time").loc[0, "att"] == pytest.approx((a[(2, 2)] + a[(3, 3)]) / 2)
    cal = res.aggregate("calendar").table
    assert cal["time"].tolist() == [2, 3]
    assert cal.set_index("time").loc[3, "att"] == pytest.approx((a[(2, 3)] + a[(3, 3)]) / 2)
    with pytest.raises(SroiInputError, match="kind"):
        res.aggregate("cohortwise")


def test_effect_fields():
    eff = _fit().aggregate_effect("group")
    assert eff.estimand == "ATT (group aggregation)"
    assert "Callaway-Sant'Anna" in eff.method and "never-treated" in eff.method
    assert eff.ci_type == "analytic pointwise"
    assert eff.n_treated == 4 and eff.n_control == 3
    assert eff.outcome == "y"
    assert eff.ci_low < eff.estimate < eff.ci_high


def test_estimators_agree_without_covariates():
    base = _fit(estimator="dr").att_gt["att"].to_numpy()
    for est in ("ipw", "reg", "unconditional", "dr_imp"):
        np.testing.assert_allclose(_fit(estimator=est).att_gt["att"], base, atol=1e-12)


def test_anticipation_moves_base_period():
    W = _wide(tiny_panel())
    res = _fit(anticipation=1)
    a = res.att_gt.set_index(["cohort", "time"])
    # cohort 2 is now treated "in the first period plus anticipation": excluded and counted
    assert 2 not in res.att_gt["cohort"].tolist()
    ex = res.exclusions.set_index("reason")
    assert ex.filter(like="first period", axis=0)["n_units"].sum() == 2
    # cohort 3: base period g - 1 - anticipation = 1
    assert a.loc[(3, 3), "att"] == pytest.approx(_dmean(W, TREAT3, 3, 1) - _dmean(W, NEVER, 3, 1))
    assert a.loc[(3, 3), "base_period"] == 1


def test_exclusions_are_counted():
    df = tiny_panel()
    extra = pd.DataFrame(
        [
            (8, 1, 1.0, 0),
            (8, 3, 2.0, 0),  # gap: no period 2
            (9, 1, 1.0, 0),
            (9, 2, np.nan, 0),
            (9, 3, 1.0, 0),  # missing outcome
            (10, 1, 1.0, 1),
            (10, 2, 2.0, 1),
            (10, 3, 3.0, 1),  # treated in the first period
        ],
        columns=df.columns,
    )
    res = _fit(pd.concat([df, extra], ignore_index=True))
    ex = res.exclusions.set_index("reason")["n_units"]
    assert ex.filter(like="gaps").sum() == 1
    assert ex.filter(like="missing outcome").sum() == 1
    assert ex.filter(like="first period").sum() == 1
    assert res.exclusions["n_rows"].sum() == 8
    assert res.n_units == 7
    assert "excluded" in res.summary()
    # estimates unchanged by the excluded units
    np.testing.assert_allclose(res.att_gt["att"], _fit().att_gt["att"])


def test_cohort_after_last_period_is_never_treated():
    df = tiny_panel()
    df.loc[df["id"] == 7, "g"] = 9
    res = _fit(df)
    assert res.n_never_treated == 3
    assert any("after the last period" in n for n in res.notes)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.assign(t=d["t"] + 0.5), "integer periods"),
        (lambda d: d.assign(g=np.where(d["g"] == 2, 2.5, d["g"])), "non-integer"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), "duplicated"),
        (lambda d: d.assign(g=np.where((d["id"] == 1) & (d["t"] == 3), 0, d["g"])), "switches off"),
        (lambda d: d.assign(y=np.where(d["id"] == 1, "a", d["y"].astype(str))), "numeric"),
        (
            lambda d: d.assign(t=d["t"] * 2, g=d["g"] * 2 - np.where(d["g"] == 3, 1, 0)),
            "not time periods",
        ),
        (lambda d: d.assign(g=np.where(d["g"] == 0, -1, d["g"])), "negative"),
    ],
)
def test_bad_inputs(mutate, match):
    with pytest.raises(SroiInputError, match=match):
        _fit(mutate(tiny_panel()))


def test_bad_options():
    with pytest.raises(SroiInputError, match="not in the panel"):
        sroi.staggered_did(tiny_panel(), outcome="z", unit="id", time="t", cohort="g")
    with pytest.raises(SroiInputError, match="control_group"):
        _fit(control_group="everyone")
    with pytest.raises(SroiInputError, match="estimator"):
        _fit(estimator="ols")
    with pytest.raises(SroiInputError, match="base_period"):
        _fit(base_period="first")
    with pytest.raises(SroiInputError, match="anticipation"):
        _fit(anticipation=-1)
    with pytest.raises(SroiInputError, match="n_boot"):
        _fit(n_boot=1.5)
    with pytest.raises(SroiInputError, match="level"):
        _fit(level=95)
    with pytest.raises(SroiInputError, match="DataFrame"):
        sroi.staggered_did([1, 2], outcome="y", unit="id", time="t", cohort="g")


def test_no_never_treated():
    df = tiny_panel()
    df = df[df["g"] > 0]
    with pytest.raises(SroiInputError, match="no unit is never treated"):
        _fit(df)
    res = _fit(df, control_group="not_yet_treated")
    # periods from the last cohort (3) on are dropped; cohort 3 serves as comparison
    assert res.att_gt["cohort"].tolist() == [2]
    assert res.att_gt["time"].tolist() == [2]
    assert any("no never-treated" in n for n in res.notes)


def test_singleton_cohort_warns():
    df = tiny_panel()
    df.loc[df["id"] == 2, "g"] = 3
    df.loc[df["id"] == 3, "g"] = 0
    with pytest.warns(SroiWarning, match="single treated unit"):
        _fit(df)


def test_covariate_must_be_numeric_and_taken_from_base_period():
    df = tiny_panel()
    df["x"] = np.where(df["id"] % 2 == 0, "a", "b")
    with pytest.raises(SroiInputError, match="numeric"):
        _fit(df, covariates=["x"])


def simulate_panel(n=800, T=5, seed=0, effect=0.5):
    """Selection on x with x-specific trends: unconditional DiD is biased, covariates fix it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p_treat = 1 / (1 + np.exp(-(x - 0.3)))
    treated = rng.uniform(size=n) < p_treat
    G = np.where(treated, rng.choice([3, 4], size=n), 0)
    t = np.arange(1, T + 1)
    y0 = (
        rng.normal(size=n)[:, None]
        + 0.3 * t[None, :]
        + 0.4 * x[:, None] * t[None, :]
        + 0.3 * rng.normal(size=(n, T))
    )
    y1 = y0 + effect
    post = (G[:, None] > 0) & (t[None, :] >= G[:, None])
    y = np.where(post, y1, y0)
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(t, n),
            "y": y.ravel(),
            "y0": y0.ravel(),
            "g": np.repeat(G, T),
            "x": np.repeat(x, T),
            "school": np.repeat(np.arange(n) % 40, T),
        }
    )


@pytest.mark.parametrize("estimator", ["dr", "ipw", "reg", "dr_imp"])
def test_oracle_y0_gives_zero_effect(estimator):
    df = simulate_panel(seed=3)
    res = sroi.staggered_did(
        df, outcome="y0", unit="id", time="t", cohort="g", covariates=["x"], estimator=estimator
    )
    eff = res.aggregate_effect("group")
    assert abs(eff.estimate) < 3 * eff.std_error
    assert abs(eff.estimate) < 0.1
    # the same design on the observed outcome recovers the effect
    obs = sroi.staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], estimator=estimator
    ).aggregate_effect("group")
    assert abs(obs.estimate - 0.5) < 3 * obs.std_error


def test_unconditional_is_biased_under_covariate_trends():
    """The oracle on Y(0) detects the violation when covariates are left out."""
    df = simulate_panel(seed=3)
    eff = sroi.staggered_did(df, outcome="y0", unit="id", time="t", cohort="g").aggregate_effect(
        "group"
    )
    assert abs(eff.estimate) > 4 * eff.std_error
    pre = sroi.staggered_did(df, outcome="y0", unit="id", time="t", cohort="g").pretrend_test()
    assert pre.p_value < 0.01


def test_clustered_se_and_counts():
    df = simulate_panel(seed=4)
    res = sroi.staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], cluster="school"
    )
    assert res.n_clusters == 40
    eff = res.aggregate_effect("group")
    assert eff.cluster == "school" and eff.n_clusters == 40
    # cluster sums by hand for the first cell
    inf = res.influence_functions[:, 0]
    codes = np.arange(len(inf)) % 40
    S = np.bincount(codes, weights=inf)
    assert res.att_gt.loc[0, "std_error"] == pytest.approx(np.sqrt(np.sum(S**2)) / len(inf))
    unclustered = sroi.staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], cluster="id"
    )
    assert unclustered.cluster is None


def test_pretrend_test_by_hand():
    df = simulate_panel(seed=5)
    res = sroi.staggered_did(df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"])
    pt = res.pretrend_test()
    a = res.att_gt
    pre = (a["time"] < a["cohort"]).to_numpy()
    inf = res.influence_functions[:, pre]
    V = inf.T @ inf / len(inf) ** 2
    att = a.loc[pre, "att"].to_numpy()
    assert pt.df == pre.sum() == 3  # cohort 3: t=2; cohort 4: t=2, 3
    assert pt.statistic == pytest.approx(att @ np.linalg.solve(V, att))
    assert 0 <= pt.p_value <= 1
    assert "Pre-trend" in str(pt)
    with pytest.raises(SroiInputError, match="no pre-treatment"):
        _fit(tiny_panel().assign(g=lambda d: np.where(d["g"] == 3, 0, d["g"]))).pretrend_test()


def test_summary_mentions_design():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = _fit().summary()
    assert "Callaway-Sant'Anna" in text and "group aggregation" in text
    assert repr(_fit()).startswith("StaggeredResult(outcome='y'")


def test_few_treated_clusters_warn_and_string_covariate():
    df = simulate_panel(seed=9)
    df["region"] = df["id"] % 5
    with pytest.warns(SroiWarning, match="treated clusters"):
        res = sroi.staggered_did(
            df, outcome="y", unit="id", time="t", cohort="g", covariates="x", cluster="region"
        )
    assert res.n_treated_clusters == 5
    ref = sroi.staggered_did(df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"])
    np.testing.assert_allclose(res.att_gt["att"], ref.att_gt["att"])


@pytest.mark.parametrize("bad", ["x", -1, 1.5, True])
@pytest.mark.parametrize("n_boot", [0, 99])
def test_bad_random_state_is_an_input_error_naming_it(bad, n_boot):
    with pytest.raises(SroiInputError, match="random_state"):
        _fit(n_boot=n_boot, random_state=bad)


def test_seeded_bootstrap_is_reproducible_and_a_generator_is_accepted():
    a = _fit(n_boot=199, random_state=5).att_gt["std_error"]
    b = _fit(n_boot=199, random_state=5).att_gt["std_error"]
    np.testing.assert_array_equal(a, b)
    g = _fit(n_boot=199, random_state=np.random.default_rng(1))
    assert g.seed is not None and g.n_boot == 199
