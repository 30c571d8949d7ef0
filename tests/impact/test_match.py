"""sroi.match: hand-computable cases, a brute-force reference of the greedy algorithm,
property tests (calipers and exact strata always respected) and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sroi
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.matching.greedy import match_multivariate, match_scalar


def brute_force(
    d, t, order, ratio, replace=False, disc=None, cal=np.inf, strata=None, cov=None, cw=None
):
    """Naive O(n1 x n0) greedy matching with MatchIt semantics (nearest |d_t - d_c|, ties to
    the control first in the data, rounds for ratio > 1)."""
    n = len(d)
    disc = np.zeros(n, bool) if disc is None else disc
    strata = np.zeros(n, int) if strata is None else strata
    ind1 = np.flatnonzero(t == 1)
    ctrl = np.flatnonzero(t == 0)
    used = np.zeros(n, bool)
    mm = -np.ones((len(ind1), ratio), int)
    for r in range(ratio):
        for i in order:
            ti = ind1[i]
            if disc[ti]:
                continue
            best, bd = -1, np.inf
            for c in ctrl:
                if disc[c] or strata[c] != strata[ti] or (used[c] and not replace):
                    continue
                if c in mm[i]:
                    continue
                dd = abs(d[ti] - d[c])
                if dd > cal:
                    continue
                if cov is not None and np.any(np.abs(cov[c] - cov[ti]) > cw):
                    continue
                if dd < bd:
                    best, bd = c, dd
            if best >= 0:
                mm[i, r] = best
                used[best] = True
    return mm


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(4, 40),
    seed=st.integers(0, 10_000),
    ratio=st.integers(1, 3),
    replace=st.booleans(),
    use_cal=st.booleans(),
    use_cov=st.booleans(),
    ties=st.booleans(),
)
def test_scalar_matching_equals_brute_force(n, seed, ratio, replace, use_cal, use_cov, ties):
    rng = np.random.default_rng(seed)
    t = (rng.random(n) < 0.4).astype(int)
    if t.sum() == 0 or t.sum() == n:
        t[0], t[-1] = 1, 0
    d = rng.integers(0, 6, n) / 5.0 if ties else rng.random(n)
    disc = rng.random(n) < 0.1
    cal = 0.25 if use_cal else np.inf
    cov = rng.integers(0, 4, (n, 1)).astype(float) if use_cov else None
    cw = np.array([1.0]) if use_cov else None
    order = rng.permutation(int(t.sum()))
    got = match_scalar(
        d,
        t,
        order,
        ratio,
        replace=replace,
        discarded=disc,
        caliper=None if not use_cal else cal,
        cov_values=cov,
        cov_calipers=cw,
    )
    exp = brute_force(d, t, order, ratio, replace, disc, cal, cov=cov, cw=cw)
    np.testing.assert_array_equal(got, exp)


@settings(max_examples=60, deadline=None)
@given(
    n=st.sampled_from([10, 30, 120]),
    seed=st.integers(0, 10_000),
    ratio=st.integers(1, 2),
    replace=st.booleans(),
)
def test_multivariate_matching_equals_brute_force(n, seed, ratio, replace):
    rng = np.random.default_rng(seed)
    t = (rng.random(n) < 0.4).astype(int)
    if t.sum() == 0 or t.sum() == n:
        t[0], t[-1] = 1, 0
    Z = rng.integers(0, 3, (n, 2)).astype(float)  # many exact ties
    order = np.arange(int(t.sum()))
    got = match_multivariate(Z, t, order, ratio, replace=replace, k_start=2)
    # brute force on Euclidean distance
    ind1, ctrl = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    used = np.zeros(n, bool)
    exp = -np.ones((len(ind1), ratio), int)
    for r in range(ratio):
        for i in order:
            cand = [c for c in ctrl if (replace or not used[c]) and c not in exp[i]]
            if not cand:
                continue
            dist = [np.sqrt(((Z[c] - Z[ind1[i]]) ** 2).sum()) for c in cand]
            c = cand[int(np.argmin(dist))]
            exp[i, r] = c
            used[c] = True
    np.testing.assert_array_equal(got, exp)


def _df(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    grp = rng.choice(["a", "b", "c"], size=n)
    p = 1 / (1 + np.exp(-(-1 + 0.8 * x1 - 0.5 * x2)))
    t = (rng.random(n) < p).astype(int)
    y = 1 + x1 + 2 * t + rng.normal(size=n)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2, "grp": grp, "y": y})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cal=st.floats(0.01, 1.0),
    ratio=st.integers(1, 3),
    replace=st.booleans(),
    exact=st.booleans(),
    agecal=st.booleans(),
)
def test_every_pair_respects_caliper_and_stratum(seed, cal, ratio, replace, exact, agecal):
    df = _df(120, seed)
    caliper = {"distance": cal, "x2": 0.5} if agecal else cal
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        m = sroi.match(
            df,
            "t",
            ["x1", "x2"],
            ratio=ratio,
            replace=replace,
            caliper=caliper,
            exact=["grp"] if exact else None,
        )
    p = m.pairs()
    ad = m.all_data
    width = m.info["caliper_distance"]
    assert width == pytest.approx(cal * ad["distance"].std(ddof=1))
    dt = ad.loc[p["treated"], "distance"].to_numpy()
    dc = ad.loc[p["control"], "distance"].to_numpy()
    assert np.all(np.abs(dt - dc) <= width)
    if agecal:
        w2 = m.info["caliper_covariates"]["x2"]
        assert np.all(
            np.abs(ad.loc[p["treated"], "x2"].to_numpy() - ad.loc[p["control"], "x2"].to_numpy())
            <= w2
        )
    if exact:
        assert np.all(
            ad.loc[p["treated"], "grp"].to_numpy() == ad.loc[p["control"], "grp"].to_numpy()
        )
    assert (p.groupby("treated").size() <= ratio).all()
    if not replace:
        assert not p["control"].duplicated().any()
    else:
        assert not p.duplicated(["treated", "control"]).any()


def test_hand_computed_matching_and_weights():
    # scores: treated 0.9, 0.5 ; controls 0.85, 0.55, 0.1, 0.52
    df = pd.DataFrame(
        {
            "t": [1, 1, 0, 0, 0, 0],
            "ps": [0.9, 0.5, 0.85, 0.55, 0.1, 0.52],
            "y": [10.0, 6.0, 7.0, 5.0, 1.0, 4.0],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        },
        index=list("ABCDEF"),
    )
    m = sroi.match(df, "t", ["x"], distance=df["ps"])
    p = m.pairs()
    assert dict(zip(p["treated"], p["control"], strict=True)) == {"A": "C", "B": "F"}
    assert m.data.index.tolist() == ["A", "B", "C", "F"]
    assert m.all_data.loc["D", "status"] == "not selected as a match"
    e = m.effect("y")
    assert e.estimate == pytest.approx((10 + 6) / 2 - (7 + 4) / 2)
    # 2:1 without replacement, largest first, in rounds: A gets C, B gets F, then A gets D,
    # then B gets E (weights: each control 1/2 -> normalised to 1)
    m2 = sroi.match(df, "t", ["x"], distance=df["ps"], ratio=2)
    p2 = m2.pairs()
    assert sorted(p2.loc[p2.treated == "A", "control"]) == ["C", "D"]
    assert sorted(p2.loc[p2.treated == "B", "control"]) == ["E", "F"]
    np.testing.assert_allclose(m2.weights.to_numpy(), np.ones(6))
    # with replacement: both treated take the nearest controls; weights 1/k summed, normalised
    m3 = sroi.match(
        df,
        "t",
        ["x"],
        distance=pd.Series([0.9, 0.86, 0.85, 0.2, 0.1, 0.3], index=df.index),
        replace=True,
    )
    assert m3.pairs()["control"].tolist() == ["C", "C"]
    assert m3.all_data.loc["C", "weights"] == pytest.approx(1.0)  # 2 -> normalised to 1 control
    assert m3.all_data["subclass"].isna().all()
    mt = m3.matches()
    assert len(mt) == 4 and mt["id"].tolist() == ["A", "C", "B", "C"]


def test_caliper_drops_treated_and_changes_estimand():
    df2 = pd.DataFrame({"t": [1, 1, 0, 0], "ps": [0.9, 0.2, 0.88, 0.6], "x": [1, 2, 3, 5.0]})
    with pytest.warns(SroiWarning):
        m = sroi.match(df2, "t", ["x"], distance=df2["ps"], caliper=0.05, std_caliper=False)
    assert m.n_treated == 1
    assert m.estimand == "ATT in the matched treated"
    ex = m.exclusions.set_index(["group", "reason"])["n"]
    assert ex[("treated", "no control within caliper")] == 1
    assert ex[("control", "not selected as a match")] == 1


def test_more_treated_than_controls_counted():
    df = pd.DataFrame({"t": [1, 1, 1, 0], "x": [1.0, 2.0, 3.0, 2.5]})
    with pytest.warns(SroiWarning):
        m = sroi.match(df, "t", ["x"], distance=np.array([0.1, 0.2, 0.3, 0.25]))
    assert m.n_treated == 1
    ex = m.exclusions.set_index(["group", "reason"])["n"]
    assert ex[("treated", "no control left to match")] == 2


def test_exact_stratum_without_controls_is_counted():
    df = _df(150, 3)
    df.loc[(df.grp == "c") & (df.t == 0), "grp"] = "a"
    with pytest.warns(SroiWarning):
        m = sroi.match(df, "t", ["x1", "x2"], exact="grp")
    ex = m.exclusions.set_index(["group", "reason"])["n"]
    assert ex[("treated", "no control in exact stratum")] == ((df.grp == "c") & (df.t == 1)).sum()


def test_formula_and_categorical_expansion():
    df = _df(150, 4)
    a = sroi.match(df, "t", ["x1", "x2", "grp"])
    b = sroi.match(df, None, formula="t ~ x1 + x2 + grp")
    np.testing.assert_allclose(a.all_data["distance"], b.all_data["distance"])
    assert {"grp_a", "grp_b", "grp_c"} <= set(a.balance().index)
    c = sroi.match(df, "t", formula="t ~ x1 + I(x2 ** 2)")
    assert c.n_treated > 0


def test_missing_values_dropped_and_counted_or_error():
    df = _df(100, 5)
    df.loc[[0, 1, 2], "x1"] = np.nan
    m = sroi.match(df, "t", ["x1", "x2"])
    ex = m.exclusions.set_index("reason")["n"]
    assert ex.loc["missing covariate values"].sum() == 3
    assert (m.all_data.loc[[0, 1, 2], "weights"] == 0).all()
    with pytest.raises(SroiInputError, match="missing covariate"):
        sroi.match(df, "t", ["x1", "x2"], missing="error")


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"ratio": 0}, "ratio"),
        ({"ratio": 1.5}, "ratio"),
        ({"caliper": 0}, "caliper"),
        ({"caliper": -1.0}, "caliper"),
        ({"discard": "sometimes"}, "discard"),
        ({"order": "upwards"}, "order"),
        ({"distance": "cosine"}, "distance"),
        ({"method": "optimal"}, "method"),
        ({"caliper": {"grp": 0.1}}, "continuous"),
    ],
)
def test_bad_arguments(kwargs, msg):
    df = _df(80, 6)
    with pytest.raises(SroiInputError, match=msg):
        sroi.match(df, "t", ["x1", "x2"], **kwargs)


def test_bad_treatment_and_covariates():
    df = _df(80, 7)
    with pytest.raises(SroiInputError, match="0/1"):
        sroi.match(df.assign(t=df.t * 2), "t", ["x1"])
    with pytest.raises(SroiInputError, match="only one class"):
        sroi.match(df.assign(t=1), "t", ["x1"])
    with pytest.raises(SroiInputError, match="not found"):
        sroi.match(df, "treated", ["x1"])
    with pytest.raises(SroiInputError, match="not found"):
        sroi.match(df, "t", ["nope"])
    with pytest.raises(SroiInputError, match="constant"):
        sroi.match(df.assign(c=1.0), "t", ["x1", "c"])
    with pytest.raises(SroiInputError, match="separate"):
        sroi.match(df.assign(s=df.t), "t", ["x1", "s"])


def test_order_random_is_reproducible_and_result_api():
    df = _df(200, 8)
    a = sroi.match(df, "t", ["x1", "x2"], order="random", random_state=3)
    b = sroi.match(df, "t", ["x1", "x2"], order="random", random_state=3)
    pd.testing.assert_frame_equal(a.pairs(), b.pairs())
    assert {"weights", "subclass", "distance"} <= set(a.data.columns)
    assert (a.data["weights"] > 0).all()
    assert "Matching" in a.summary()
    assert "MatchResult" in repr(a)
    eff = a.effect("y")
    assert isinstance(eff, sroi.Effect)
    assert eff.cluster == "subclass" and eff.n_clusters == a.n_treated


def test_binary_outcome_ratios():
    rng = np.random.default_rng(9)
    df = _df(400, 9)
    df["yb"] = (rng.random(len(df)) < 0.2 + 0.2 * df.t).astype(int)
    m = sroi.match(df, "t", ["x1", "x2"])
    rr = m.effect("yb", scale="risk ratio")
    d = m.data
    p1 = d.loc[d.t == 1, "yb"].mean()
    p0 = np.average(d.loc[d.t == 0, "yb"], weights=d.loc[d.t == 0, "weights"])
    assert rr.estimate == pytest.approx(p1 / p0)
    assert rr.ci_low < rr.estimate < rr.ci_high
    assert rr.scale == "risk ratio"
    orr = m.effect("yb", scale="odds ratio")
    assert orr.estimate == pytest.approx(p1 / (1 - p1) / (p0 / (1 - p0)))
    with pytest.raises(SroiInputError, match="0/1"):
        m.effect("y", scale="risk ratio")
    rate = m.effect("yb", scale="rate ratio", covariates=["x1"])
    assert rate.estimate > 0


def test_user_distance_and_mahalanobis_api():
    df = _df(150, 10)
    m = sroi.match(df, "t", ["x1", "x2"], distance="mahalanobis")
    assert m.all_data["distance"].isna().all()
    assert m.estimand == "ATT"
    r = sroi.match(df, "t", ["x1", "x2"], distance="robust_mahalanobis", replace=True)
    assert r.n_treated == int(df.t.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        mv = sroi.match(df, "t", ["x1", "x2"], mahvars=["x1", "x2"], caliper=0.3)
    p = mv.pairs()
    dd = mv.all_data["distance"]
    assert np.all(
        np.abs(dd[p.treated].to_numpy() - dd[p.control].to_numpy()) <= mv.info["caliper_distance"]
    )


def test_balance_shows_mahalanobis_variables_outside_the_score():
    """Variables matched on by Mahalanobis distance within the score's caliper (mahvars) but
    not in the score model are in the balance table, after the covariates, with the same
    statistics as if they had been covariates (same weights)."""
    df = _df(200, 12).assign(
        x3=lambda d: d["x1"] * 0.5 + np.random.default_rng(1).normal(size=len(d))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        m = sroi.match(df, "t", ["x1", "x2"], mahvars=["x2", "x3"], caliper=0.5)
    assert m.info["mahvars"] == ["x2", "x3"]
    bal = m.balance()
    assert list(bal.index) == ["distance", "x1", "x2", "x3"]  # x2 once: it is a covariate too
    from sroi.impact import balance_table

    d = m.all_data  # no missing covariates here: every row is in the balance
    ref = balance_table(d[["x3"]], d["t"].to_numpy(), weights=d["weights"].to_numpy())
    np.testing.assert_allclose(bal.loc["x3", "smd_after"], ref.loc["x3", "smd_after"], rtol=1e-12)
    plain = sroi.match(df, "t", ["x1", "x2"])
    assert "x3" not in plain.balance().index and "mahvars" not in plain.info


def test_cluster_vcovs_and_abadie_imbens():
    rng = np.random.default_rng(11)
    df = _df(300, 11)
    df["school"] = rng.integers(0, 8, len(df))
    m = sroi.match(df, "t", ["x1", "x2"])
    with pytest.warns(SroiWarning, match="treated clusters"):
        cl = m.effect("y", vcov="cluster", cluster="school")
    assert cl.cluster == "school" and cl.n_clusters == 8
    with pytest.warns(SroiWarning):
        cr2 = m.effect("y", vcov="CR2", cluster="school")
    assert cr2.ci_type == "CR2 Bell-McCaffrey"
    assert cr2.estimate == pytest.approx(cl.estimate)
    # CR2 is larger than CR1-without-df-correction only through the adjustment; both finite
    assert np.isfinite(cr2.std_error) and cr2.ci_high - cr2.ci_low > 0
    with pytest.warns(SroiWarning):
        wb = m.effect("y", vcov="wild", cluster="school", n_boot=199)
    assert wb.ci_low < wb.estimate < wb.ci_high
    ai = m.effect("y", vcov="abadie_imbens")
    assert ai.estimate == pytest.approx(m.effect("y").estimate)
    assert 0 < ai.std_error < 1
    with pytest.raises(SroiInputError, match="cluster"):
        m.effect("y", vcov="CR2")
    with pytest.raises(SroiInputError, match="vcov"):
        m.effect("y", vcov="bogus")


def test_randomization_inference_over_clusters():
    rng = np.random.default_rng(12)
    n_sch = 16
    sch = np.repeat(np.arange(n_sch), 25)
    treated_school = np.isin(sch, np.arange(6))
    x1 = rng.normal(size=len(sch))
    t = (treated_school & (rng.random(len(sch)) < 0.5)).astype(int)
    df = pd.DataFrame(
        {"t": t, "x1": x1, "school": sch, "y": x1 + 1.0 * t + rng.normal(size=len(sch))}
    )
    df = df[(df.t == 1) | ~treated_school].reset_index(drop=True)
    m = sroi.match(df, "t", ["x1"])
    with pytest.warns(SroiWarning):
        ri = m.effect("y", vcov="randomization", cluster="school", n_boot=199, random_state=1)
    assert ri.ci_type.startswith("randomization")
    assert 0 < ri.p_value <= 1
    assert ri.n_treated_clusters == 6
    mixed = df.assign(school=rng.integers(0, 4, len(df)))
    m2 = sroi.match(mixed, "t", ["x1"])
    with pytest.raises(SroiInputError, match="mixed"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m2.effect("y", vcov="randomization", cluster="school")


def test_abadie_imbens_hand_computed():
    from sroi.impact.matching.effects import abadie_imbens_se

    # controls c1 (x=0, y=0), c2 (x=1, y=2), c3 (x=5, y=10); treated t1 (x=0.1, y=3) and
    # t2 (x=-0.1, y=6) both matched to c1. tau = 4.5; treated residuals -1.5, 1.5 (sum sq 4.5);
    # c1 serves K=2 (K'=2) so K^2 - K' = 2, sigma^2(c1) = 1/2 (0 - 2)^2 = 2 (nearest other
    # control c2). V = (4.5 + 2 * 2) / 2^2 = 2.125.
    y = np.array([0.0, 2.0, 10.0, 3.0, 6.0])
    t = np.array([0, 0, 0, 1, 1])
    X = np.array([[0.0], [1.0], [5.0], [0.1], [-0.1]])
    se = abadie_imbens_se(y, t, np.array([3, 4]), np.array([0, 0]), np.array([1, 1]), X)
    assert se == pytest.approx(np.sqrt(2.125))


def test_probit_and_linear_probit():
    df = _df(200, 13)
    a = sroi.match(df, "t", ["x1", "x2"], distance="probit")
    assert a.all_data["distance"].between(0, 1).all()
    b = sroi.match(df, "t", ["x1", "x2"], distance="probit", link="linear.probit")
    assert (b.all_data["distance"] < 0).any()
    with pytest.raises(SroiInputError, match="link"):
        sroi.match(df, "t", ["x1", "x2"], distance="probit", link="linear.logit")


def test_perfect_separation_names_the_covariate():
    rng = np.random.default_rng(14)
    x = rng.normal(size=200)
    df = pd.DataFrame({"t": (x > 0).astype(int), "x": x, "z": rng.normal(size=200)})
    with pytest.raises(SroiInputError, match=r"separation.*\['x'\]"):
        sroi.match(df, "t", ["x", "z"])


def test_robust_mahalanobis_is_invariant_to_monotone_transforms():
    df = _df(200, 15)
    a = sroi.match(df, "t", ["x1", "x2"], distance="robust_mahalanobis")
    b = sroi.match(
        df.assign(x1=np.exp(3 * df.x1), x2=df.x2**3),
        "t",
        ["x1", "x2"],
        distance="robust_mahalanobis",
    )
    pd.testing.assert_frame_equal(
        a.pairs()[["treated", "control"]], b.pairs()[["treated", "control"]]
    )
    # ordinary Mahalanobis is not invariant
    c = sroi.match(df, "t", ["x1", "x2"], distance="mahalanobis")
    d = sroi.match(df.assign(x1=np.exp(3 * df.x1)), "t", ["x1", "x2"], distance="mahalanobis")
    assert not c.pairs()["control"].equals(d.pairs()["control"])


def test_categorical_and_bool_covariates():
    df = _df(200, 16)
    df["flag"] = df.x2 > 0
    df["cat"] = pd.Categorical(df.grp, categories=["a", "b", "c", "unused"])
    m = sroi.match(df, "t", ["x1", "flag", "cat"])
    idx = set(m.balance().index)
    assert "flag" in idx and "cat_unused" not in idx and {"cat_a", "cat_b", "cat_c"} <= idx


@pytest.mark.parametrize("bad", ["x", -3, 1.5, True, np.random.RandomState(0)])
def test_random_state_is_checked(bad):
    df = _df(80, 17)
    with pytest.raises(SroiInputError, match="random_state"):
        sroi.match(df, "t", ["x1", "x2"], random_state=bad)
    m = sroi.match(df, "t", ["x1", "x2"])
    with pytest.raises(SroiInputError, match="random_state"):
        m.effect("y", random_state=bad)


def test_random_order_takes_a_generator():
    df = _df(200, 18)
    a = sroi.match(df, "t", ["x1", "x2"], order="random", random_state=4)
    b = sroi.match(df, "t", ["x1", "x2"], order="random", random_state=np.random.default_rng(4))
    pd.testing.assert_frame_equal(a.pairs(), b.pairs())


def test_result_is_read_only():
    df = _df(120, 19)
    m = sroi.match(df, "t", ["x1", "x2"])
    with pytest.raises(AttributeError):
        m.estimand = "ATE"  # type: ignore[misc]
    frame, weights, excluded = m.all_data, m.weights, m.exclusions
    frame.loc[:, "weights"] = 0.0
    weights.loc[:] = 0.0
    excluded.loc[:, "n"] = 0
    assert m.weights.sum() > 0 and m.all_data["weights"].sum() > 0
    assert m.exclusions.equals(sroi.match(df, "t", ["x1", "x2"]).exclusions)
    with pytest.raises(TypeError):
        m.info["order"] = "data"  # type: ignore[index]
    assert str(m) == m.summary()


def test_exact_method_hand_computed():
    # strata (sex, band): (f, 1) has 2 treated and 1 control, (m, 2) 1 treated and
    # 2 controls, (f, 2) only a control, (m, 1) only a treated unit
    df = pd.DataFrame(
        {
            "t": [1, 1, 0, 1, 0, 0, 0, 1],
            "sex": ["f", "f", "f", "m", "m", "m", "f", "m"],
            "band": [1, 1, 1, 2, 2, 2, 2, 1],
            "y": [5.0, 7.0, 4.0, 9.0, 3.0, 5.0, 100.0, 100.0],
        }
    )
    with pytest.warns(SroiWarning, match="1 of 4 treated units were not matched"):
        m = sroi.match(df, "t", ["sex", "band"], method="exact")
    # raw control weights n_t/n_c: 2 and 1/2, 1/2, scaled to sum to 3 matched controls
    np.testing.assert_allclose(m.weights.to_numpy(), [1, 1, 2, 1, 0.5, 0.5, 0, 0])
    assert m.estimand == "ATT in the matched treated"
    ex = m.exclusions.set_index(["group", "reason"])["n"]
    assert ex[("treated", "no match in exact stratum")] == 1
    assert ex[("control", "no match in exact stratum")] == 1
    sub = m.all_data["subclass"]
    assert sub[0] == sub[1] == sub[2] and sub[3] == sub[4] == sub[5] and sub[0] != sub[3]
    # ATT in the matched treated: (5 + 7 + 9)/3 - (2*4 + 0.5*3 + 0.5*5)/3
    assert m.effect("y").estimate == pytest.approx(7.0 - 4.0)
    with pytest.raises(SroiInputError, match="ATT"):
        sroi.match(df, "t", ["sex", "band"], method="exact", estimand="ATE")


def test_unknown_method_option():
    df = _df(80, 20)
    with pytest.raises(SroiInputError, match="cutpoints"):
        sroi.match(df, "t", ["x1", "x2"], cutpoints=3)


@pytest.mark.parametrize("rounding", [None, 1])
@pytest.mark.parametrize("ratio", [1, 2])
def test_multivariate_matching_equals_brute_force_on_thousands_of_units(rounding, ratio):
    # the batch of tree neighbours (16 per treated unit) runs out for some treated units,
    # and rounded covariates give exact ties, so both the batch and the fresh search are used
    rng = np.random.default_rng(11)
    n = 3000
    t = (rng.random(n) < 0.3).astype(int)
    Z = rng.normal(size=(n, 3)) + 0.4 * t[:, None]
    if rounding is not None:
        Z = np.round(Z, rounding)
    order = rng.permutation(int(t.sum()))
    got = match_multivariate(Z, t, order, ratio)
    ind1, ctrl = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    dist = np.sqrt(((Z[ind1][:, None, :] - Z[ctrl][None, :, :]) ** 2).sum(axis=2))
    free = np.ones(len(ctrl), bool)
    exp = -np.ones((len(ind1), ratio), int)
    for r in range(ratio):
        for i in order:
            if not free.any():
                break
            d = np.where(free, dist[i], np.inf)
            j = int(np.flatnonzero(d <= d.min() * (1 + 1e-10))[0])  # ties: first in the data
            exp[i, r] = ctrl[j]
            free[j] = False
    np.testing.assert_array_equal(got, exp)


def test_the_result_does_not_change_when_the_input_frame_is_changed_afterwards():
    # the result shares the input's memory until either is written (copy-on-write)
    df = _df(300, seed=3)
    covs = ["x1", "x2"]
    m = sroi.match(df, "t", covs)
    before = (m.all_data, m.data, m.covariate_matrix, m.balance())
    df.loc[df.index[0], "x1"] = 999.0
    df["x2"] *= 2
    after = (m.all_data, m.data, m.covariate_matrix, m.balance())
    for b, a in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert (m.all_data["x1"] != 999.0).all()
