"""Tests for sroi.event_study: pyfixest parity (TWFE trimmed/binned, Sun-Abraham saturated),
Sun-Abraham = Callaway-Sant'Anna by hand, pre-trend test, plot and bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did import pretrend_wald

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"{name}.csv")


def es(df, **kw):
    kw.setdefault("window", (-3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        return sroi.event_study(df, outcome="y", unit="unit", time="time", cohort="cohort", **kw)


@pytest.mark.parametrize("panel", ["panel", "panel_unbalanced"])
@pytest.mark.parametrize("case,kw", [("es_twfe", {}), ("es_twfe_binned", {"bin_endpoints": True})])
def test_twfe_event_study_parity_with_pyfixest(panel, case, kw):
    ref = pd.read_csv(FIX / "pyfixest_reference.csv")
    ref = ref[ref.case == f"{panel}_{case}"].set_index("event_time")
    r = es(load(panel), cluster="school", **kw)
    c = r.coefficients.set_index("event_time").loc[ref.index]
    np.testing.assert_allclose(c.estimate, ref.estimate, atol=1e-10)
    # same SEs up to the documented degrees-of-freedom count: pyfixest counts all T period
    # effects (k + 1), sroi the T - 1 period dummies it estimates
    n, k = r.extra["n_obs"], r.extra["k"]
    np.testing.assert_allclose(
        c.std_error * np.sqrt((n - k) / (n - k - 1)), ref.std_error, rtol=1e-8
    )
    assert (c.index == ref.index).all()


def test_sun_abraham_parity_with_pyfixest_saturated():
    ref = pd.read_csv(FIX / "pyfixest_reference.csv")
    ref = ref[ref.case == "panel_es_saturated"].set_index("event_time")
    r = es(load("panel"), cluster="school", method="sun_abraham", window=(-4, 3))
    c = r.coefficients.set_index("event_time").loc[ref.index]
    np.testing.assert_allclose(c.estimate, ref.estimate, atol=1e-10)
    n, k = r.extra["n_obs"], r.extra["k"]
    np.testing.assert_allclose(
        c.std_error * np.sqrt((n - k) / (n - k - 1)), ref.std_error, rtol=1e-8
    )


def test_sun_abraham_equals_callaway_santanna_universal_base_by_hand():
    d = load("panel")
    r = es(d, method="sun_abraham", window=(-4, 3))
    m = d.groupby(["cohort", "time"]).y.mean().unstack()
    ce = r.cohort_effects.set_index(["cohort", "event_time"])
    for (g, e), row in ce.iterrows():
        t = g + e
        # ATT(g, t) with never-treated controls and base period g - 1
        att = (m.loc[g, t] - m.loc[g, g - 1]) - (m.loc[0, t] - m.loc[0, g - 1])
        assert row.estimate == pytest.approx(att, abs=1e-10)
    # aggregation: cohort-size-weighted average at each event time
    n_g = d.groupby("cohort").unit.nunique()
    for e, grp in r.cohort_effects.groupby("event_time"):
        w = n_g.loc[grp.cohort].to_numpy()
        expect = np.sum(w * grp.estimate.to_numpy()) / w.sum()
        got = r.coefficients.set_index("event_time").loc[e, "estimate"]
        assert got == pytest.approx(expect, abs=1e-10)


def test_oracle_untreated_outcome_gives_zero_effects():
    # outcome without any treatment effect and parallel trends by construction
    rng = np.random.default_rng(11)
    n, T = 400, 8
    coh = rng.choice([0, 4, 6], n)
    a = rng.normal(size=n) + coh / 4
    y0 = a[:, None] + np.linspace(0, 1, T)[None, :] + rng.normal(scale=0.3, size=(n, T))
    d = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), T),
            "time": np.tile(np.arange(1, T + 1), n),
            "cohort": np.repeat(coh, T),
            "y": y0.ravel(),
        }
    )
    for method in ("twfe", "sun_abraham"):
        r = es(d, method=method, window=(-3, 2))
        c = r.coefficients.dropna()
        # every coefficient within 4 SE of zero and small in absolute terms
        assert (np.abs(c.estimate) < 4 * c.std_error).all()
        assert np.abs(c.estimate).max() < 0.15


def test_pretrend_test_twfe_warns_and_sun_abraham_does_not():
    d = load("panel")
    r = es(d, cluster="school")
    with pytest.warns(SroiWarning, match="Sun & Abraham"):
        pt = r.pretrend_test()
    assert pt.df == 2 and pt.event_times == (-3, -2)
    sa = es(d, cluster="school", method="sun_abraham")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SroiWarning)
        pt = sa.pretrend_test()
    b = sa.coefficients.set_index("event_time").loc[[-3, -2], "estimate"].to_numpy()
    V = sa.vcov.loc[[-3, -2], [-3, -2]].to_numpy()
    W = b @ np.linalg.solve(V, b)
    assert pt.statistic == pytest.approx(W, rel=1e-10)
    from scipy import stats

    assert pt.p_value == pytest.approx(stats.f.sf(W / 2, 2, sa.n_clusters - 1), rel=1e-10)


def test_pretrend_rejects_a_real_pre_trend():
    rng = np.random.default_rng(2)
    n, T = 600, 8
    coh = rng.choice([0, 5], n)
    t = np.arange(1, T + 1)
    y = rng.normal(size=(n, T)) * 0.5 + 0.4 * (coh[:, None] > 0) * t[None, :]  # diverging trend
    d = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), T),
            "time": np.tile(t, n),
            "cohort": np.repeat(coh, T),
            "y": y.ravel(),
        }
    )
    pt = es(d, method="sun_abraham", window=(-4, 3)).pretrend_test()
    assert pt.p_value < 1e-6


def test_pretrend_wald_generic_and_errors():
    pt = pretrend_wald(np.array([1.0, 2.0]), np.diag([1.0, 4.0]))
    assert pt.statistic == pytest.approx(2.0)
    assert pt.df2 == np.inf
    with pytest.raises(SroiInputError):
        pretrend_wald(np.array([]), np.zeros((0, 0)))
    with pytest.raises(SroiInputError, match="vcov"):
        pretrend_wald(np.array([1.0]), np.eye(2))


def test_plot_and_summary():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    r = es(load("panel"), method="sun_abraham")
    fig = r.plot()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    s = r.summary()
    assert "pre-trend" in s and "sun_abraham" in s
    c = r.coefficients
    assert list(c.columns[:5]) == ["event_time", "estimate", "std_error", "ci_low", "ci_high"]
    ref = c[c.event_time == -1].iloc[0]
    assert ref.estimate == 0 and np.isnan(ref.std_error)


def test_trimmed_rows_counted_and_binned_keeps_them():
    d = load("panel")
    r = es(d, window=(-2, 1))
    rel = np.where(d.cohort > 0, d.time - d.cohort, 0)
    n_out = int(((d.cohort > 0) & ((rel < -2) | (rel > 1))).sum())
    assert r.exclusions["treated rows outside the event window -2..1"] == n_out
    rb = es(d, window=(-2, 1), bin_endpoints=True)
    assert rb.extra["n_obs"] == len(d)


def test_cr2_option_and_sun_abraham_without_never_treated():
    d = load("panel")
    r = es(d, vcov="CR2", cluster="school")
    assert r.ci_type.startswith("CR2")
    assert all(2 < v < 16 for v in r.extra["df"].values())
    nd = d[d.cohort > 0]
    sa = es(nd, method="sun_abraham", window=(-2, 1))
    assert any("last-treated" in k for k in sa.exclusions)
    assert set(sa.cohort_effects.cohort) == {3}


def test_bad_input():
    d = load("panel")
    with pytest.raises(SroiInputError, match="window"):
        es(d, window=(2, -2))
    with pytest.raises(SroiInputError, match="reference"):
        es(d, window=(0, 2), reference=-1)
    with pytest.raises(SroiInputError, match="method"):
        es(d, method="cs")
    with pytest.raises(SroiInputError, match="collinear"):
        es(d[d.cohort > 0], window=(-4, 3))


def test_sun_abraham_equals_sroi_staggered_did_universal_base():
    # issue 4, item 8: Sun-Abraham = Callaway-Sant'Anna with never-treated controls, universal
    # base period and no covariates (cross-check against sroi.staggered_did)
    d = load("panel")
    # no try/except: a signature change of staggered_did must fail this test, not skip it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        cs = sroi.staggered_did(
            d,
            outcome="y",
            unit="unit",
            time="time",
            cohort="cohort",
            control_group="never_treated",
            base_period="universal",
        )
    sa = es(d, method="sun_abraham", window=(-4, 3))
    att = cs.att_gt.set_index(["cohort", "time"])["att"]
    for _, row in sa.cohort_effects.iterrows():
        assert row.estimate == pytest.approx(
            att.loc[(row.cohort, row.cohort + row.event_time)], abs=1e-10
        )
    dyn = cs.aggregate("dynamic").table.set_index("event_time")["att"]
    mine = sa.coefficients.set_index("event_time")["estimate"]
    np.testing.assert_allclose(mine.loc[dyn.index], dyn, atol=1e-10)


def test_twfe_event_study_with_covariate_and_weights_equals_lsdv():
    d = load("panel_unbalanced")
    r = es(d, covariates=["x"], weights="w", window=(-3, 2))
    first = d.groupby("unit").time.transform("min")
    d = d[~((d.cohort > 0) & (d.cohort <= first))].copy()
    rel = np.where(d.cohort > 0, d.time - d.cohort, -99)
    keep = (d.cohort == 0) | ((rel >= -3) & (rel <= 2))
    d, rel = d[keep], rel[keep]
    ev = [-3, -2, 0, 1, 2]
    D = np.column_stack([(rel == e).astype(float) for e in ev])
    fe = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=True).to_numpy(float)
    X = np.column_stack([D, d.x, np.ones(len(d)), fe])
    sw = np.sqrt(d.w.to_numpy())
    beta = np.linalg.lstsq(X * sw[:, None], d.y.to_numpy() * sw, rcond=None)[0]
    got = r.coefficients.set_index("event_time").loc[ev, "estimate"].to_numpy()
    np.testing.assert_allclose(got, beta[:5], atol=1e-9)


def test_to_dict_is_json_ready_and_honest_shortcut():
    import json

    r = es(load("panel"), method="sun_abraham", cluster="school")
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["pretrend_test"]["valid_under_heterogeneous_effects"] is True
    assert len(d["coefficients"]) == len(r.coefficients)
    h = r.honest_did(method="smoothness")
    assert "M" in h.columns and h.attrs["breakdown"] >= 0
