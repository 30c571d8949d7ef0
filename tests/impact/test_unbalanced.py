"""Staggered DiD on unbalanced panels (issue 13 part 5): allow_unbalanced_panel.

Three kinds of check: reference numbers (moderndid 0.2.0, a port of R did, on a panel with
attrition: tests/fixtures/unbalanced/make_unbalanced.py), hand-computable small cases, and a
simulation with attrition at random; plus the default (balanced) behaviour counting the
units it drops.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.staggered import staggered_did
from sroi.impact.staggered.drdid_rc import rc_did

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "unbalanced"
REF = json.loads((FIX / "reference.json").read_text())
PANEL = pd.read_csv(FIX / "panel.csv")

_EST = {"dr": "dr", "reg": "reg", "ipw": "ipw"}
_CG = {"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}


def _complete_units(df: pd.DataFrame) -> pd.DataFrame:
    n_obs = df.groupby("id")["t"].transform("size")
    return df[n_obs == df["t"].nunique()].reset_index(drop=True)


def _fit(case: dict, data: pd.DataFrame = PANEL) -> object:
    opts = case["options"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        return staggered_did(
            data,
            "y",
            "id",
            "t",
            "g",
            estimator=_EST[opts["est_method"]],
            covariates=None if opts["xformla"] == "~1" else ["x"],
            control_group=_CG[opts["control_group"]],
            base_period=opts.get("base_period", "varying"),
            anticipation=opts.get("anticipation", 0),
            allow_unbalanced_panel=True,
            small_sample="normal",
        )


_ALL = [("cases", k) for k in sorted(REF["cases"])]
_ALL += [("balanced_cases", k) for k in sorted(REF["balanced_cases"])]


@pytest.mark.parametrize(("group", "name"), _ALL)
def test_att_gt_and_aggregations_match_moderndid(group: str, name: str) -> None:
    case = REF[group][name]
    balanced = group == "balanced_cases"
    res = _fit(case, _complete_units(PANEL) if balanced else PANEL)
    tab = res.att_gt.set_index(["cohort", "time"])
    ref = case["att_gt"]
    keys = list(zip(ref["cohort"], ref["time"], strict=True))
    np.testing.assert_allclose(tab.loc[keys, "att"], ref["att"], rtol=0, atol=1e-9)
    se_ref = np.array(ref["se"], dtype=float)
    se = tab.loc[keys, "std_error"].to_numpy()
    np.testing.assert_array_equal(np.isnan(se), np.isnan(se_ref))
    ok = ~np.isnan(se_ref)
    np.testing.assert_allclose(se[ok], se_ref[ok], rtol=1e-8, atol=0)
    for kind in ("simple", "dynamic", "group"):
        eff = res.aggregate_effect(kind)
        assert eff.estimate == pytest.approx(case[kind]["att"], abs=1e-9)
        assert eff.std_error == pytest.approx(case[kind]["se"], rel=1e-8)
    dyn = res.aggregate("dynamic").table
    assert dyn["event_time"].tolist() == case["dynamic"]["event_time"]
    np.testing.assert_allclose(dyn["att"], case["dynamic"]["att_e"], atol=1e-9)
    se_e = np.array(case["dynamic"]["se_e"], dtype=float)
    ok = ~np.isnan(se_e)
    np.testing.assert_allclose(dyn["std_error"].to_numpy()[ok], se_e[ok], rtol=1e-8)
    assert (res.n_units_partial > 0) is not balanced
    if not case["options"].get("anticipation"):
        assert res.n_units == PANEL["id"].nunique()


def test_point_estimates_match_diff_diff() -> None:
    ref = REF["diff_diff_reg_never_x"]
    res = _fit(REF["cases"]["reg_never_x"])
    tab = res.att_gt.set_index(["cohort", "time"])
    keys = list(zip(ref["cohort"], ref["time"], strict=True))
    np.testing.assert_allclose(tab.loc[keys, "att"], ref["att"], atol=1e-9)


def test_default_drops_and_counts_units_with_gaps() -> None:
    n_partial = int((PANEL.groupby("id").size() < PANEL["t"].nunique()).sum())
    with pytest.warns(SroiWarning, match="not observed in every period"):
        res = staggered_did(PANEL, "y", "id", "t", "g", estimator="reg", covariates=["x"])
    assert res.n_units_dropped_unbalanced == n_partial
    assert res.n_units_partial == 0
    row = res.exclusions[res.exclusions["reason"].str.startswith("not observed in every")]
    assert int(row["n_units"].iloc[0]) == n_partial
    assert res.n_units == PANEL["id"].nunique() - n_partial
    extra = res.aggregate_effect("group").extra
    assert extra["n_units_dropped_unbalanced"] == n_partial


def _balanced(seed: int = 0, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), 4)
    t = np.tile(np.arange(1, 5), n)
    g = np.where(np.arange(n) < n // 2, 3, 0)[ids]
    x = rng.normal(size=n)[ids] + 0.1 * t
    y = x + 0.5 * t + (g > 0) * (t >= 3) + rng.normal(size=n * 4)
    return pd.DataFrame({"id": ids, "t": t, "g": g, "x": x, "y": y})


def test_balanced_panel_is_unchanged_by_the_option() -> None:
    df = _balanced()
    a = staggered_did(df, "y", "id", "t", "g", covariates=["x"])
    b = staggered_did(df, "y", "id", "t", "g", covariates=["x"], allow_unbalanced_panel=True)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    assert b.n_units_partial == 0


def test_hand_computed_four_means() -> None:
    """Without covariates each 2x2 is the difference of four observation means."""
    rows = [
        # id, t, g, y
        (1, 1, 2, 1.0),
        (1, 2, 2, 4.0),
        (2, 2, 2, 6.0),  # treated, seen only after treatment
        (3, 1, 2, 3.0),  # treated, seen only before
        (4, 1, 0, 2.0),
        (4, 2, 0, 3.0),
        (5, 1, 0, 0.0),
        (6, 2, 0, 5.0),
    ]
    df = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel=True)
    # treated: post mean (4+6)/2 = 5, pre mean (1+3)/2 = 2; comparison: post (3+5)/2 = 4,
    # pre (2+0)/2 = 1  ->  (5 - 2) - (4 - 1) = 0
    assert res.att_gt["att"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    df.loc[df["id"] == 2, "y"] = 10.0  # treated post mean becomes 7 -> ATT 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel=True)
    assert res.att_gt["att"].iloc[0] == pytest.approx(2.0, abs=1e-12)
    assert res.att_gt["n_treated"].iloc[0] == 3
    assert res.n_units == 6 and res.n_units_partial == 4


def test_influence_function_sums_within_unit() -> None:
    """Unbalanced SE = sqrt(sum_i (sum of the unit's observation terms)^2) / n1 (R did)."""
    rows = [(1, 1, 2, 1.0), (1, 2, 2, 4.0), (2, 2, 2, 6.0), (3, 1, 2, 3.0)]
    rows += [(4, 1, 0, 2.0), (4, 2, 0, 3.5), (5, 1, 0, 0.0), (6, 2, 0, 5.0), (7, 1, 0, 1.0)]
    df = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel=True)
    rc = rc_did(
        df["y"].to_numpy(),
        (df["t"] == 2).to_numpy(float),
        (df["g"] == 2).to_numpy(float),
        method="unconditional",
    )
    unit_sums = pd.Series(rc.inf_func).groupby(df["id"].to_numpy()).sum()
    expected = np.sqrt(np.sum(unit_sums.to_numpy() ** 2)) / len(df)
    assert res.att_gt["std_error"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_errors_name_the_fix() -> None:
    df = PANEL
    with pytest.raises(SroiInputError, match="dr_imp"):
        staggered_did(
            df, "y", "id", "t", "g", estimator="dr_imp", covariates=["x"],
            allow_unbalanced_panel=True,
        )  # fmt: skip
    with pytest.raises(SroiInputError, match="allow_unbalanced_panel must be True or False"):
        staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel="yes")
    with pytest.raises(SroiInputError, match="unbalanced panel does not have"):
        staggered_did(
            df, "y", "id", "t", "g", covariates=["x"], covariate_timing="change",
            allow_unbalanced_panel=True,
        )  # fmt: skip


def test_missing_outcome_drops_only_the_row() -> None:
    df = _balanced()
    df.loc[3, "y"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel=True)
    row = res.exclusions[res.exclusions["reason"].str.startswith("missing outcome")]
    assert row["n_rows"].tolist() == [1]
    assert "unit kept" in row["reason"].iloc[0]
    assert res.n_units == df["id"].nunique() and res.n_units_partial == 1


def _attrition_draw(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    T = 4
    ids = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    z = rng.normal(size=n)
    g = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), 3, 0)[ids]
    y = z[ids] + 0.5 * t * z[ids] + 1.0 * ((g > 0) & (t >= 3)) + rng.normal(size=n * T)
    df = pd.DataFrame({"id": ids, "t": t, "g": g, "z": z[ids], "y": y})
    return df[rng.random(n * T) > 0.3]  # 30% of unit-periods missing at random


def test_simulation_unbiased_with_attrition_at_random() -> None:
    """Mean of the group ATT over 150 draws within 3 Monte Carlo SE of the truth (1.0).

    Selection on z with a z-specific trend: the ``dr`` estimator with covariate z is needed
    (the trend differs between groups), and attrition is at random.
    """
    rng = np.random.default_rng(13)
    est = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        for _ in range(150):
            df = _attrition_draw(rng)
            r = staggered_did(
                df, "y", "id", "t", "g", estimator="dr", covariates=["z"],
                allow_unbalanced_panel=True,
            )  # fmt: skip
            est.append(r.aggregate_effect("group").estimate)
    est_a = np.asarray(est)
    mc_se = est_a.std(ddof=1) / np.sqrt(est_a.size)
    assert abs(est_a.mean() - 1.0) < 3 * mc_se, (est_a.mean(), mc_se)


def _keep_all(cs: pd.DataFrame, treatment: str, covariates: list, random_state: object, **kw):
    """A matcher that keeps every treated and pool unit with weight 1."""
    from types import SimpleNamespace

    return SimpleNamespace(data=cs.assign(weights=1.0))


def _matched_panel() -> pd.DataFrame:
    """Cohorts 3 and 4 and never treated over 6 periods; every unit observed in periods 2 and
    3 (the reference periods), other unit-periods missing at random."""
    rng = np.random.default_rng(5)
    n, T = 200, 6
    ids = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    z = rng.normal(size=n)
    g = rng.choice([0, 0, 3, 4], n)[ids]
    y = z[ids] * (1 + 0.2 * t) + 1.0 * ((g > 0) & (t >= g)) + rng.normal(size=n * T)
    df = pd.DataFrame({"id": ids, "t": t, "g": g, "z": z[ids], "y": y})
    keep = np.isin(t, [2, 3]) | (rng.random(n * T) > 0.3)
    return df[keep].reset_index(drop=True)


def test_matched_unbalanced_equals_plain_with_a_keep_all_matcher() -> None:
    """With every unit matched at weight 1, the matched design is plain staggered DiD."""
    from sroi.impact.staggered import matched_staggered_did

    df = _matched_panel()
    m = matched_staggered_did(
        df, "y", "id", "t", "g", covariates=["z"], history=[], matcher=_keep_all,
        allow_unbalanced_panel=True, small_sample="normal",
    )  # fmt: skip
    p = staggered_did(
        df, "y", "id", "t", "g", estimator="reg", covariates=["z"],
        allow_unbalanced_panel=True, small_sample="normal",
    )  # fmt: skip
    cols = ["cohort", "time", "att", "std_error", "n_treated", "n_control"]
    pd.testing.assert_frame_equal(m.att_gt[cols], p.att_gt[cols], atol=1e-10)
    for kind in ("simple", "dynamic", "group"):
        a, b = m.aggregate_effect(kind), p.aggregate_effect(kind)
        assert a.estimate == pytest.approx(b.estimate, abs=1e-10)
        assert a.std_error == pytest.approx(b.std_error, rel=1e-9)
    assert m.n_units_partial == p.n_units_partial > 0
    assert m.aggregate_effect("group").extra["n_units_partial"] == m.n_units_partial


def test_matched_default_counts_dropped_units() -> None:
    from sroi.impact.staggered import matched_staggered_did

    df = _matched_panel()
    n_partial = int((df.groupby("id").size() < 6).sum())
    with pytest.warns(SroiWarning, match="not observed in every period"):
        m = matched_staggered_did(
            df, "y", "id", "t", "g", covariates=["z"], history=[], matcher=_keep_all
        )
    assert m.n_units_dropped_unbalanced == n_partial
    assert m.aggregate_effect("group").extra["n_units_dropped_unbalanced"] == n_partial


def test_clustered_and_bootstrap_inference_on_the_unit_sums() -> None:
    """Clustered SE = sqrt(sum over clusters of the summed unit influence functions^2) / n;
    the multiplier bootstrap runs on the same unit-level influence functions."""
    df = PANEL.assign(school=PANEL["id"] % 17)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = staggered_did(
            df, "y", "id", "t", "g", estimator="reg", covariates=["x"], cluster="school",
            allow_unbalanced_panel=True, small_sample="normal",
        )  # fmt: skip
        boot = staggered_did(
            df, "y", "id", "t", "g", estimator="reg", covariates=["x"], cluster="school",
            allow_unbalanced_panel=True, n_boot=499, random_state=3,
        )  # fmt: skip
    inf = res.influence_functions
    units = np.sort(df["id"].unique())
    school = (units % 17).astype(int)
    sums = np.vstack([inf[school == c].sum(axis=0) for c in range(17)])
    expected = np.sqrt((sums**2).sum(axis=0)) / len(units)
    np.testing.assert_allclose(res.att_gt["std_error"], expected, rtol=1e-12)
    ratio = boot.att_gt["std_error"] / res.att_gt["std_error"]
    assert ratio.between(0.8, 1.25).all(), ratio.describe()


def test_a_cell_without_observations_is_named() -> None:
    """A cohort unobserved in a base period: the error names the cell (R did returns NA)."""
    df = _balanced(seed=4)
    df = df[~((df["g"] == 3) & (df["t"] == 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        with pytest.raises(
            SroiInputError, match=r"ATT\(g=3, t=2\).*no treated observations in the later"
        ):
            staggered_did(df, "y", "id", "t", "g", allow_unbalanced_panel=True)
